"""Hostile text through every pane, dialog and the palette (issue [3/8] item 1).

One repo folder, its branch, a commit subject, a memory file (name and body), a session
name and the tenant's display name each carry Textual markup (``[@click=app.quit]``,
styles, invalid markup), terminal escapes (ESC, OSC, BEL), a C1 control (CSI, 0x9b) and
a bidi override (U+202E). The app visits every pane and dialog; at every step nothing
raw reaches the screen, nothing is run, nothing crashes, and the names show literally, escaped.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from textual.command import CommandList, CommandPalette

from coditect_tui.core.settings import load_settings
from coditect_tui.ui.app import CoditectApp
from coditect_tui.ui.screens.dialogs import TextPrompt
from tests.ui.conftest import screen_text, settle, write_config

RAW = ("\x1b", "\x07", "\x9b", "\u202e")
REPO = "n02-[@click=app.quit]q[_]\x1b]0;pwned\x07\x9b2J\u202eevil[b=c:d]"
REPO_SHOWN = "n02-[@click=app.quit]q[_]\\u001b]0;pwned"  # (wrapped or cut after this)
REPO_TAIL = "evil[b=c:d]"
BRANCH = "fix/\x9bx\u202ey"
SUBJECT = "\x1b]52;c;SGk=\x07[@click=app.quit]s[/]\u202e"
MEMORY = "2026-01-02-[@click=app.quit]m\x1b[2J\u202e.md"
TITLE = "[@click=app.quit]T\x1b]0;t\x07\u202e"


@pytest.fixture
def hostile(tmp_path: Path, git_identity: None) -> Path:
    root = tmp_path / "ws"
    repo = root / REPO
    repo.mkdir(parents=True)
    git = ["git", "-C", str(repo)]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", SUBJECT], check=True)
    subprocess.run([*git, "checkout", "-q", "-b", BRANCH], check=True)
    notes = repo / "MEMORY-CONTEXT" / "sessions"
    notes.mkdir(parents=True)
    (notes / MEMORY).write_text(f"# {SUBJECT}\n\nbody \x1b[31m{REPO}\n")
    return write_config(
        tmp_path / "config.yaml",
        [
            {
                "name": "t",
                "display_name": TITLE,
                "principal": "me",
                "backend": {"kind": "local", "path": str(tmp_path / "store.db")},
                "workspace_roots": [str(root)],
            },
            {
                "name": "other",
                "principal": "me",
                "backend": {"kind": "local", "path": str(tmp_path / "other.db")},
                "workspace_roots": [],
            },
        ],
    )


def _clean(app: CoditectApp, where: str) -> str:
    assert app.is_running, f"{where}: the app stopped"
    text = screen_text(app)
    raw = [hex(ord(c)) for c in RAW if c in text]
    assert not raw, f"{where}: raw {raw} on screen"
    return text


async def test_hostile_text_everywhere(hostile: Path) -> None:
    settings = load_settings(hostile).settings
    app = CoditectApp.for_profile(settings, settings.profile("t"), config_path=hostile)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(app, pilot)
        text = _clean(app, "first screen")
        assert "T\\u001b]0;t\\u0007\\u202e" in text  # the header's tenant title
        repo = str(hostile.parent / "ws" / REPO)
        app.jump_to(repo)
        await settle(app, pilot)
        text = _clean(app, "repo pane")
        assert REPO_SHOWN in text and REPO_TAIL in text
        assert "fix/\\u009bx\\u202ey" in text
        assert "\\u001b]52;c;SGk=\\u0007[@click=app.quit]s[/]\\u202e" in text

        await pilot.press("s")  # a session on the hostile repo and branch
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        _clean(app, "start dialog")
        await pilot.press(*"go", "enter")
        await settle(app, pilot)
        _clean(app, "after start")

        panes = (("2", "dashboard"), ("3", "sessions"), ("4", "memory"), ("5", "audit"))
        for key, pane in (*panes, ("6", "repos")):
            await pilot.press(key)
            await settle(app, pilot)
            text = _clean(app, pane)
            if pane == "sessions":
                assert "-go" in text and "History: no sessions" not in text
            if pane == "memory":
                assert "[@click=app.quit]m\\u001b[2J\\u202e" in text
            if pane == "audit":
                table = app.query_one("#audit-table")
                table.focus()
                await pilot.press("enter")  # the newest event's detail
                await settle(app, pilot)
                assert type(app.screen).__name__ == "AuditDetail"
                _clean(app, "audit detail")
                await pilot.press("escape")
                await pilot.pause()
            if pane == "repos":  # the table and its mark, the filter menu
                assert REPO_SHOWN in text
                await pilot.press("space", "asterisk")
                await settle(app, pilot)
                assert "✔ 1 selected" in _clean(app, "select by filter")
                await pilot.press("escape")
                await pilot.pause()

        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"n02")
        for _ in range(100):
            await pilot.pause()
            if app.screen.query_one(CommandList).option_count:
                break
        assert isinstance(app.screen, CommandPalette)
        assert REPO_SHOWN in _clean(app, "palette")
        await pilot.press("escape")
        await pilot.pause()

        await pilot.press("ctrl+t")
        await pilot.pause()
        _clean(app, "tenant switcher")
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        _clean(app, "help")
        assert app.is_running
