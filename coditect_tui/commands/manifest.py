"""``coditect manifest freeze|sync``: the workspace as a YAML manifest, and back.

``freeze`` writes the tenant's top-level repos (path relative to their root, remote URL,
branch, groups, category; ``core/manifest.py``); ``sync FILE`` clones what the root lacks
in parallel and reports what diverged, touching nothing that is there
(``core/manifest_sync.py``); it is a change on this machine, refused in read-only mode
and to read-only roles (``commands/local_change.py``). Exit codes: 0 done (diverged
repos are reported, not failures), 1 a clone failed or refused, 2 bad input (an invalid
manifest: nothing is cloned).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from coditect_tui.commands.context import AddCommon, CliContext
from coditect_tui.commands.output import add_format_options


def register(sub: Any, add_common: AddCommon) -> None:
    """Add ``manifest freeze`` and ``manifest sync``."""
    parser = sub.add_parser(
        "manifest",
        help="write the workspace as a manifest, or clone one",
        description="freeze: the tenant's repos as YAML; sync: clone what a manifest "
        "lists and the root lacks, and report what diverged.",
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    freeze = verbs.add_parser(
        "freeze",
        help="write the workspace's repos as YAML",
        description="Write every top-level repo of the tenant's workspace roots: its path "
        "relative to its root, remote URL (credentials stripped), branch, groups and "
        "category, in path order.",
    )
    freeze.add_argument("--output", "-o", metavar="FILE", help="write here (default: stdout)")
    add_format_options(freeze, ("text", "json"), note="text is the YAML manifest")
    add_common(freeze)
    freeze.set_defaults(handler=run_freeze)
    sync = verbs.add_parser(
        "sync",
        help="clone what a manifest lists and the root lacks",
        description="Clone every repo of FILE missing under the root, in parallel; a repo "
        "already there is compared (remote URL, branch) and never changed.",
    )
    sync.add_argument("file", metavar="FILE", help="a manifest written by freeze")
    sync.add_argument(
        "--root", metavar="DIR", help="where the paths lead (default: the first workspace root)"
    )
    sync.add_argument("--jobs", type=int, default=8, metavar="N", help="clones at once (default 8)")
    add_format_options(sync, ("table", "json"))
    add_common(sync)
    sync.set_defaults(handler=run_sync)


def run_freeze(args: argparse.Namespace, ctx: CliContext) -> int:
    """Discover, read each repo's remote and branch, write the YAML."""
    import asyncio

    from coditect_tui.core.errors import ConfigError
    from coditect_tui.core.git.discovery import discover
    from coditect_tui.core.git.runner import GitRunner, require_git
    from coditect_tui.core.groups import GroupIndex
    from coditect_tui.core.manifest import dump_manifest, freeze
    from coditect_tui.core.paths import replacing_private
    from coditect_tui.core.workspace_roots import default_roots, demo_allowed

    profile = ctx.profile()
    chosen = default_roots(
        profile, allow_demo=demo_allowed(profile, from_file=ctx.loaded.from_file)
    )
    if chosen.demo or not chosen.roots:
        raise ConfigError(
            f"tenant {profile.name} has no workspace_roots to freeze", path=str(ctx.loaded.path)
        )
    require_git()
    tree = discover(chosen.roots, tenant=profile.name)
    runner = GitRunner()
    try:
        data = asyncio.run(freeze(tree, runner, GroupIndex(profile.groups, tree.roots)))
    finally:
        runner.close()
    if args.format == "json":
        from coditect_tui.core.safe_text import safe_json

        text = safe_json(data, indent=True) + "\n"
    else:
        text = dump_manifest(data)
    if args.output:
        target = Path(args.output)
        try:
            with replacing_private(target) as staged:
                staged.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot write: {exc.strerror}", path=str(target)) from None
    else:
        sys.stdout.write(text)
    return 0


def run_sync(args: argparse.Namespace, ctx: CliContext) -> int:
    """Validate the manifest, clone, compare, report."""
    import asyncio

    from coditect_tui.commands.local_change import refuse_local_change
    from coditect_tui.core.errors import ConfigError, InvalidInput
    from coditect_tui.core.git.runner import require_git
    from coditect_tui.core.manifest import load_manifest
    from coditect_tui.core.manifest_sync import sync
    from coditect_tui.core.safe_text import safe_text
    from coditect_tui.core.wording import plural

    if args.jobs < 1:
        raise InvalidInput("--jobs must be at least 1")
    profile = ctx.profile()
    refuse_local_change(ctx, profile, "clone repos from a manifest")
    manifest = load_manifest(Path(args.file))
    if args.root:
        root = Path(args.root).expanduser()
    else:
        roots = profile.roots()
        if not roots:
            raise ConfigError("no --root and the tenant has no workspace_roots")
        root = roots[0]
    if root.exists() and not root.is_dir():
        raise InvalidInput(f"{safe_text(root)}: not a folder")
    require_git()
    results = asyncio.run(sync(manifest, root.resolve(), jobs=args.jobs))
    counts = {
        o: sum(r.outcome == o for r in results)
        for o in ("cloned", "present", "diverged", "skipped", "failed")
    }
    if args.format == "json":
        from coditect_tui.commands.output import print_json

        print_json(
            {
                "root": str(root.resolve()),
                "summary": counts,
                "repos": [r.to_dict() for r in results],
            }
        )
    else:
        for result in results:
            if result.outcome == "present":
                continue
            why = f": {'; '.join(result.reasons)}" if result.reasons else ""
            print(f"{result.outcome:<8} {safe_text(result.path)}{why}")
        print(
            f"{plural(len(results), 'repo')}: {counts['cloned']} cloned, {counts['present']} "
            f"present, {counts['diverged']} diverged, {counts['skipped']} skipped, "
            f"{counts['failed']} failed"
        )
    return 1 if counts["failed"] else 0
