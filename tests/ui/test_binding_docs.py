"""Every binding id (the keymap's vocabulary) is documented in docs/user-guide.md."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from textual.binding import Binding
from textual.dom import DOMNode

import coditect_tui.ui as ui
from coditect_tui.ui.actions import ACTIONS

USER_GUIDE = Path(__file__).resolve().parents[2] / "docs" / "user-guide.md"


def binding_ids() -> set[str]:
    """The ids of every binding the app and its panes and screens declare."""
    ids = {action.binding_id for action in ACTIONS}
    for info in pkgutil.walk_packages(ui.__path__, f"{ui.__name__}."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, DOMNode):
                ids.update(b.id for b in value.BINDINGS if isinstance(b, Binding) and b.id)
    return ids


def test_every_binding_id_is_in_the_user_guide() -> None:
    ids = binding_ids()
    assert len(ids) > 40  # the walk found the panes and screens
    guide = USER_GUIDE.read_text()
    missing = sorted(i for i in ids if f"`{i}`" not in guide)
    assert not missing, f"binding ids not in docs/user-guide.md: {missing}"
