"""The keys the app binds itself, so a custom command's key cannot shadow one.

The config is validated in core, which imports no UI, so the default key of every
app-level action lives here by binding id; the app's table of actions
(``ui/actions.py``) takes its keys from it.
"""

from __future__ import annotations

from collections.abc import Mapping

#: Binding id -> default key of every app-level action (``ui/actions.py`` reads it).
BUILTIN_KEYS: dict[str, str] = {
    "app.help": "question_mark",
    "app.switch_tenant": "ctrl+t",
    "app.refresh": "r",
    "session.start": "s",
    "session.commit": "c",
    "session.push": "p",
    "session.sync": "y",
    "session.pr": "P",
    "session.end": "x",
    "repo.fetch": "f",
    "session.memory": "m",
    "repo.editor": "e",
    "repo.shell": "o",
    "pane.repo": "1",
    "pane.dashboard": "2",
    "pane.sessions": "3",
    "pane.memory": "4",
    "pane.audit": "5",
    "pane.repos": "6",
    "app.focus_tree": "t",
    "app.search_memory": "slash",
    "group.filter": "g",
    "group.add": "plus",
    "group.remove": "minus",
    "repos.bulk": "B",
    "tenant.admin": "A",
    "selection.by_filter": "asterisk",
    "selection.clear": "escape",
    "app.quit": "q",
}

#: Keys Textual and the screen reserve (palette, quit, focus moves, dialogs).
RESERVED_KEYS: dict[str, str] = {
    "ctrl+p": "the command palette",
    "ctrl+c": "copy / quit",
    "ctrl+q": "quit",
    "tab": "focus",
    "shift+tab": "focus",
    "escape": "close",
    "enter": "select",
    "up": "cursor",
    "down": "cursor",
    "left": "cursor",
    "right": "cursor",
}


def taken_keys(keymap: Mapping[str, str]) -> dict[str, str]:
    """Every key the app binds, after the user's ``ui.keymap``, and what it does.

    Args:
        keymap: binding id -> keys (comma-separated), as in ``ui.keymap``.

    Returns:
        key -> the binding id (or the reserved use) it belongs to.
    """
    taken = dict(RESERVED_KEYS)
    for binding_id, default in BUILTIN_KEYS.items():
        for key in keymap.get(binding_id, default).split(","):
            if key.strip():
                taken[key.strip()] = binding_id
    return taken
