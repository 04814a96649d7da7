"""``coditect groups list|add|remove|delete``: the tenant's groups of repos (its config).

Groups are the user's own tags, kept in the tenant profile of the config file on this
machine (``core/groups.py``); ``add``, ``remove`` and ``delete`` rewrite that file in place
(``core/groups_file.py``: comments and other keys kept, atomic). Changing them is refused
in read-only mode and to a read-only role (the auditor), as every change on this machine is
(``core/tenant/refusal.py``). Exit 0 done, 1 refused (read-only), 2 bad input.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from typing import TYPE_CHECKING, Any

from coditect_tui.commands.context import AddCommon, CliContext
from coditect_tui.commands.output import add_format_options

if TYPE_CHECKING:
    from coditect_tui.core.settings import TenantProfile

#: What changing groups is, for the refusal's wording (``core/tenant/refusal.py``).
CHANGE_PHRASE = "change groups"


def register(sub: Any, add_common: AddCommon) -> None:
    """Add ``groups`` and its verbs."""
    parser = sub.add_parser(
        "groups",
        help="user-defined groups of repos (tags) of the tenant",
        description="List and change the tenant's groups of repos, kept in the tenant's "
        "profile in the config file (comments and other keys are kept).",
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    listing = verbs.add_parser("list", help="the groups and their repos")
    add_format_options(listing, ("table", "json"))
    add_common(listing)
    listing.set_defaults(handler=run_list)
    for verb, helptext in (
        ("add", "add repos to a group (created when new)"),
        ("remove", "remove repos from a group"),
    ):
        one = verbs.add_parser(verb, help=helptext, description=helptext)
        one.add_argument("group", metavar="GROUP")
        one.add_argument(
            "repos",
            nargs="+",
            metavar="REPO",
            help="a repo's folder, its path relative to a workspace root, or its name",
        )
        add_format_options(one, ("text", "json"))
        add_common(one)
        one.set_defaults(handler=run_change)
    delete = verbs.add_parser("delete", help="delete a group (its repos stay)")
    delete.add_argument("group", metavar="GROUP")
    add_format_options(delete, ("text", "json"))
    add_common(delete)
    delete.set_defaults(handler=run_change, repos=[])
    parser.set_defaults(handler=run_list, format="table")


def _roots(ctx: CliContext, profile: TenantProfile) -> list[str]:
    from coditect_tui.core.workspace_roots import default_roots, demo_allowed

    allow = demo_allowed(profile, from_file=ctx.loaded.from_file)
    return [str(root) for root in default_roots(profile, allow_demo=allow).roots]


def run_list(args: argparse.Namespace, ctx: CliContext) -> int:
    """Print each group with its entries."""
    from coditect_tui.core.safe_text import safe_text
    from coditect_tui.core.wording import plural

    profile = ctx.profile()
    groups = {name: profile.groups[name] for name in sorted(profile.groups)}
    if args.format == "json":
        from coditect_tui.commands.output import print_json

        print_json({"tenant": profile.name, "groups": groups})
        return 0
    if not groups:
        print(f"no groups in tenant {safe_text(profile.name)} (coditect groups add GROUP REPO…)")
    for name, entries in groups.items():
        shown = ", ".join(safe_text(e) for e in entries) or "(empty)"
        print(f"{safe_text(name)} ({plural(len(entries), 'repo')}): {shown}")
    return 0


def resolve_repos(raw: list[str], roots: list[str]) -> dict[str, list[str]]:
    """The working trees each REPO argument names (an empty list: none).

    A folder on disk is the repo at that folder; any other text is looked up among the
    tenant's repos as a path relative to a root or a name (several repos may share one).
    """
    from coditect_tui.core.git.discovery import discover
    from coditect_tui.core.groups import normalise_entry, repo_keys

    tree = discover([r for r in roots if os.path.isdir(r)])
    paths = [str(node.path) for node in tree.repos()]
    out: dict[str, list[str]] = {}
    for arg in raw:
        folder = os.path.abspath(os.path.expanduser(arg))
        if folder in paths and os.path.isdir(folder):
            out[arg] = [folder]
            continue
        try:
            entry = normalise_entry(arg)
        except ValueError:
            out[arg] = []
            continue
        out[arg] = [p for p in paths if entry in repo_keys(p, roots)]
    return out


def run_change(args: argparse.Namespace, ctx: CliContext) -> int:
    """add / remove / delete, then say what changed."""
    from coditect_tui.commands.local_change import refuse_local_change
    from coditect_tui.core.errors import InvalidInput
    from coditect_tui.core.groups import GroupIndex, check_group_name, entry_for, normalise_entry
    from coditect_tui.core.groups_file import change_groups
    from coditect_tui.core.safe_text import safe_text
    from coditect_tui.core.wording import plural

    profile = ctx.profile()
    refuse_local_change(ctx, profile, CHANGE_PHRASE)
    try:
        group = check_group_name(args.group)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    roots = _roots(ctx, profile)
    verb = args.verb
    found = resolve_repos(args.repos, roots) if args.repos else {}
    if verb == "add":
        for arg, paths in found.items():
            if not paths:
                raise InvalidInput(
                    f"{safe_text(arg)}: no repo of that folder, path or name in tenant "
                    f"{safe_text(profile.name)}"
                )
    touched: list[str] = []

    def change(groups: dict[str, list[str]]) -> dict[str, list[str]]:
        if group not in groups and verb != "add":
            raise InvalidInput(f"no group {group!r} in tenant {safe_text(profile.name)}")
        if verb == "delete":
            touched.extend(groups.pop(group))
            return groups
        entries = groups.setdefault(group, [])
        if verb == "add":
            for arg, paths in found.items():
                folder = os.path.abspath(os.path.expanduser(arg))
                entry = entry_for(folder, roots) if paths == [folder] else normalise_entry(arg)
                if entry not in entries:
                    entries.append(entry)
                    touched.append(entry)
            return groups
        index = GroupIndex(groups, roots)
        for arg, paths in found.items():
            names = [e for p in paths for e in index.entries_naming(group, p)]
            with contextlib.suppress(ValueError):
                names += [e for e in entries if e == normalise_entry(arg)]
            if not names:
                raise InvalidInput(f"group {group!r} does not hold {safe_text(arg)}")
            for entry in dict.fromkeys(names):
                if entry in entries:
                    entries.remove(entry)
                    touched.append(entry)
        return groups

    _old, new = change_groups(ctx.loaded.path, profile.name, change)
    if args.format == "json":
        from coditect_tui.commands.output import print_json

        print_json(
            {
                "tenant": profile.name,
                "group": group,
                "action": verb,
                "entries": touched,
                "groups": {name: new[name] for name in sorted(new)},
            }
        )
        return 0
    what = {"add": "added to", "remove": "removed from", "delete": "deleted with"}[verb]
    listed = ", ".join(safe_text(e) for e in touched)
    if verb == "delete":
        sys.stdout.write(f"deleted group {group} ({plural(len(touched), 'repo')} in it)\n")
    elif touched:
        sys.stdout.write(f"{plural(len(touched), 'entry')} {what} {group}: {listed}\n")
    else:
        sys.stdout.write(f"nothing to change: {group} already holds them\n")
    return 0
