"""The choice dialog (roles, features, on/off): typing a label moves the highlight to it,
so typing a role's name and enter picks that role, not the first one in the list."""

from __future__ import annotations

from textual.app import App

from coditect_tui.ui.screens.dialogs import ChoiceDialog

ROLES = [(r, r) for r in ("viewer", "editor", "admin", "owner", "auditor", "consultant")]


async def _pick(keys: list[str]) -> str | None:
    picked: list[str | None] = []

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(ChoiceDialog("Role", "The role of nina:", ROLES), picked.append)

    app = Host()
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press(*keys)
        await pilot.pause()
    return picked[0] if picked else None


async def test_typing_a_label_and_enter_picks_it() -> None:
    assert await _pick([*"editor", "enter"]) == "editor"
    assert await _pick(["a", "u", "enter"]) == "auditor"  # "a" alone would be admin
    assert await _pick(["c", "enter"]) == "consultant"


async def test_backspace_and_a_fresh_start() -> None:
    assert await _pick(["a", "u", "backspace", "enter"]) == "admin"
    assert await _pick(["o", "w", "z", "enter"]) == "owner"  # "z" matches nothing: it stays
    assert await _pick(["enter"]) == "viewer"  # nothing typed: the first, as before
