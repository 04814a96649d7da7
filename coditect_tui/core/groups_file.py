"""Writing a tenant's ``groups`` into the user's config file, keeping everything else.

The file is edited in place, line by line, where it is in plain block style: a repo added
to a block list is one line inserted after its last item, a removed one is its line
deleted, a new group is added after the last one (and ``groups:`` after the tenant's last
key when there is none), a deleted group loses its lines. Comments and every other key
stay as they were. A group written in flow style (``api: [a, b]``) is rewritten as a block
list (a comment inside that one group goes). A file whose tenants are in flow style (JSON,
say) is written again whole, as ``core/theme_choice.py`` does.

The new text is validated, and must give exactly the groups asked for, before it replaces
the old file, atomically and private (0600): a failure leaves the old file as it was.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from coditect_tui.core.errors import ConfigError
from coditect_tui.core.groups import check_groups
from coditect_tui.core.yaml_edit import LineEditor
from coditect_tui.core.yamlio import Loc, LocatedYaml, dump_yaml, load_yaml, scalar

Groups = dict[str, list[str]]
_ITEM = re.compile(r"^[ \t]*-[ \t]+[^\s#\[{]")
_BARE_KEY = re.compile(r"^[ \t]*(?:-[ \t]+)?[^\s#:]+[ \t]*:[ \t]*(?:#.*)?$")


def _block(indent: int, groups: Groups) -> list[str]:
    """Groups as block-style lines: ``name:`` at ``indent``, items two further in."""
    lines: list[str] = []
    for name, entries in groups.items():
        if entries:
            lines.append(f"{' ' * indent}{scalar(name)}:\n")
            lines.extend(f"{' ' * (indent + 2)}- {scalar(e)}\n" for e in entries)
        else:
            lines.append(f"{' ' * indent}{scalar(name)}: []\n")
    return lines


def _is_block_list(ed: LineEditor, loc: Loc, count: int) -> bool:
    """Whether group ``loc`` is ``name:`` on its own line with one-line ``- item``s."""
    if not _BARE_KEY.match(ed.lines[ed.line(loc)]):
        return False
    for index in range(count):
        item = (*loc, index)
        if item not in ed.doc.lines or not _ITEM.match(ed.lines[ed.line(item)]):
            return False
        if index and ed.line(item) != ed.line((*loc, index - 1)) + 1:
            return False  # a multi-line item, or something between items
    return True


def _edit_group(ed: LineEditor, loc: Loc, old: list[str], new: list[str], indent: int) -> None:
    """Change group ``loc`` from ``old`` to ``new`` entries."""
    key_line = ed.line(loc)
    if old and new and _is_block_list(ed, loc, len(old)):
        kept = [e for e in old if e in new]
        if kept == [e for e in new if e in old]:  # same order: delete and append lines
            for index, entry in enumerate(old):
                if entry not in new:
                    at = ed.line((*loc, index))
                    ed.replace(at, at + 1, [])
            added = [e for e in new if e not in old]
            if added:
                last = ed.lines[ed.line((*loc, len(old) - 1))]
                pad = last[: len(last) - len(last.lstrip(" \t"))]
                at = ed.line((*loc, len(old) - 1)) + 1
                ed.replace(at, at, [f"{pad}- {scalar(e)}\n" for e in added])
            return
    name = loc[-1]
    assert isinstance(name, str)
    ed.replace(key_line, ed.span_end(loc), _block(indent, {name: new}))


def _edit(text: str, doc: LocatedYaml, index: int, old: Groups, new: Groups) -> str | None:
    """The file's text with tenant ``index``'s groups changed from ``old`` to ``new``, or
    None when the layout is not the block style edited in place."""
    ed = LineEditor(text, doc)
    tenant: Loc = ("tenants", index)
    keys = [loc for loc in doc.lines if len(loc) == 3 and loc[:2] == tenant]
    if not keys or tenant not in doc.columns:
        return None
    key_col = doc.columns[keys[0]]
    for key_loc in keys:
        line = ed.lines[ed.line(key_loc)]
        before = line[: doc.columns[key_loc]].rstrip(" \t")
        if before not in ("", "-") and not before.endswith("-"):
            return None  # flow style: `- {name: x, ...}`
    groups_loc: Loc = (*tenant, "groups")
    if groups_loc not in doc.lines:
        if not new:
            return ed.text()
        at = ed.span_end(tenant)
        ed.replace(at, at, [f"{' ' * key_col}groups:\n", *_block(key_col + 2, new)])
        return ed.text()
    groups_line = ed.line(groups_loc)
    if not new:
        head = ed.lines[groups_line]
        comment = head[head.index("#") :].rstrip("\n") if "#" in head else ""
        tail = f"  {comment}" if comment else ""
        ed.replace(groups_line, ed.span_end(groups_loc), [f"{' ' * key_col}groups: {{}}{tail}\n"])
        return ed.text()
    names = [loc for loc in doc.lines if len(loc) == 4 and loc[:3] == groups_loc]
    if not old or not names or not _BARE_KEY.match(ed.lines[groups_line]):
        ed.replace(
            groups_line,
            ed.span_end(groups_loc),
            [f"{' ' * key_col}groups:\n", *_block(key_col + 2, new)],
        )
        return ed.text()
    indent = doc.columns[names[0]]
    for name, entries in old.items():
        loc = (*groups_loc, name)
        if name not in new:
            ed.replace(ed.line(loc), ed.span_end(loc), [])
        elif new[name] != entries:
            _edit_group(ed, loc, entries, new[name], indent)
    added = {name: entries for name, entries in new.items() if name not in old}
    if added:
        at = ed.span_end(groups_loc)
        ed.replace(at, at, _block(indent, added))
    return ed.text()


def _dump(data: dict[str, Any], index: int, new: Groups) -> str:
    data = copy.deepcopy(data)
    if new:
        data["tenants"][index]["groups"] = new
    else:
        data["tenants"][index].pop("groups", None)
    return dump_yaml(data)


def change_groups(
    config_path: Path, tenant: str, change: Callable[[Groups], Groups]
) -> tuple[Groups, Groups]:
    """Apply ``change`` to tenant ``tenant``'s groups and write them to the config file.

    Args:
        config_path: the user's config file (it must exist).
        tenant: the tenant profile's name.
        change: given a copy of the current groups, returns the new ones (it may raise
            a ``CoditectError`` to refuse; nothing is written then).

    Returns:
        (the groups before, the groups written).

    Raises:
        ConfigError: no config file, an invalid one, no such tenant, new groups that do
            not validate, or the file cannot be written; the file is then unchanged.
    """
    from coditect_tui.core.paths import replacing_private
    from coditect_tui.core.settings import load_settings

    shown = str(config_path)
    if not config_path.is_file():
        raise ConfigError(
            "no config file to keep groups in (`coditect init` writes one)", path=shown
        )
    loaded = load_settings(config_path, env={})
    profile = loaded.settings.profile(tenant)
    old = {name: list(entries) for name, entries in profile.groups.items()}
    try:
        new = check_groups(change(copy.deepcopy(old)))
    except ValueError as exc:
        raise ConfigError(str(exc), path=shown, key=f"tenants.{tenant}.groups") from None
    doc = load_yaml(config_path)
    tenants = doc.data.get("tenants") if isinstance(doc.data, dict) else None
    index = next(
        i
        for i, item in enumerate(tenants or [])
        if isinstance(item, dict) and item.get("name") == tenant
    )
    text = config_path.read_text(encoding="utf-8")
    problem = "the file could not be rewritten"
    for candidate in (_edit(text, doc, index, old, new), _dump(doc.data, index, new)):
        if candidate is None:
            continue
        staged = config_path
        try:
            with replacing_private(config_path) as staged:
                staged.write_text(candidate, encoding="utf-8")
                written = load_settings(staged, env={}).settings.profile(tenant).groups
                if written != new:
                    raise _NotAsked
        except _NotAsked:
            continue
        except OSError as exc:
            raise ConfigError(f"cannot write: {exc.strerror}", path=shown) from None
        except ConfigError as exc:  # the edit in place went wrong: try the whole file
            problem = str(exc).replace(str(staged), shown)
            continue
        return old, new
    raise ConfigError(f"groups not saved: {problem}", path=shown)


class _NotAsked(Exception):
    """The staged file validates but does not hold the groups asked for."""
