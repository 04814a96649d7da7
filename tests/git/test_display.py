"""Untrusted text from repos reaches the screen only as plain, control-free text."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from coditect_tui.commands.status import render_table
from coditect_tui.core.git import report
from coditect_tui.core.git.runner import GitRunner
from coditect_tui.core.git.status import RepoStatus, read_status
from coditect_tui.core.safe_text import safe_text
from tests.git.helpers import git, run_cli

SUBJECT = (
    "\x1b]0;pwned\x07[bold]B[/bold] [@click=app.quit]q[/] [link=https://e.example]l"
    "[/link] \x1b[2J \x1b]52;c;ZXZpbA==\x07 \x9b31m end"
)
AUTHOR = "[red]Mallory[/red]\x1b[5m"
FILES = ("evil\x1b]0;t\x07[bold]n.txt", "[link=evil:e.example]f[\u2215link].txt", "csi\x9b2J.txt")
BRANCH = "feat/x]@click=app.quit]"
FORBIDDEN = ("\x1b", "\x07", "\x9b")


@pytest.fixture
async def hostile_text_status(tmp_path: Path) -> RepoStatus:
    repo = tmp_path / "markup"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "switch", "-q", "-c", BRANCH)
    (repo / FILES[0]).write_text("x")
    git(repo, "add", "-A")
    git(repo, "-c", f"user.name={AUTHOR}", "commit", "-q", "--cleanup=verbatim", "-m", SUBJECT)
    (repo / FILES[0]).write_text("modified")
    for name in FILES[1:]:
        (repo / name).write_text("untracked")
    status = await read_status(GitRunner(), repo)
    assert status.error is None
    return status


def _fields(status: RepoStatus) -> list[str]:
    assert status.last_commit is not None
    return [
        status.branch or "",
        status.last_commit.subject,
        status.last_commit.author,
        *(f.path for f in status.files),
    ]


def test_raw_values_really_carry_escapes_and_markup(hostile_text_status: RepoStatus) -> None:
    raw = "".join(_fields(hostile_text_status))
    assert all(ch in raw for ch in FORBIDDEN)
    assert "[@click=app.quit]" in raw and "[link=" in raw


def test_safe_text_output_has_no_control_bytes(hostile_text_status: RepoStatus) -> None:
    for value in _fields(hostile_text_status):
        shown = safe_text(value)
        assert not any(ch in shown for ch in FORBIDDEN), repr(shown)
    subject = safe_text(hostile_text_status.last_commit.subject)  # type: ignore[union-attr]
    assert "[bold]B[/bold]" in subject and "[@click=app.quit]" in subject  # verbatim
    assert "\\u001b]0;pwned\\u0007" in subject and "\\u009b31m" in subject  # JSON escapes


@pytest.mark.parametrize("color", [False, True])
def test_table_shows_markup_literally_and_no_hostile_sequence(
    hostile_text_status: RepoStatus, color: bool
) -> None:
    text = render_table([hostile_text_status], width=400, color=color)
    if color:
        assert "\x1b[" in text  # Rich's own styling is there...
    for bad in ("\x1b]", "\x1b[2J", "\x07", "\x9b", "\x1b[5m"):
        assert bad not in text  # ...but nothing from the repo
    if not color:
        assert "\x1b" not in text
    assert "[bold]B[/bold]" in text
    assert BRANCH in text


def test_reports_are_terminal_safe(hostile_text_status: RepoStatus) -> None:
    rows = [hostile_text_status]
    markdown = report.render_markdown(rows)
    table_csv = report.csv_text(rows)
    as_json = report.to_json([r.to_dict() for r in rows])
    for text in (markdown, table_csv, as_json):
        assert not any(ch in text for ch in FORBIDDEN)
    assert "\\[bold\\]" in markdown  # escaped for markdown, not rendered
    parsed = list(csv.DictReader(io.StringIO(table_csv)))
    assert parsed[0]["last_commit_subject"].startswith("\\u001b]0;pwned\\u0007[bold]")
    back = json.loads(as_json)[0]
    assert back["last_commit"]["subject"] == hostile_text_status.last_commit.subject  # type: ignore[union-attr]


def test_cli_output_is_plain(hostile_text_status: RepoStatus) -> None:
    repo = hostile_text_status.path
    for args in ((), ("--csv",), ("--markdown",), ("--json",)):
        result = run_cli("status", "--no-record", *args, repo, env={"COLUMNS": "300"})
        assert result.returncode == 0, result.stderr
        assert not any(ch in result.stdout for ch in FORBIDDEN), args


def test_table_fits_80_columns(hostile_text_status: RepoStatus) -> None:
    text = render_table([hostile_text_status], width=80, color=False)
    lines = text.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert "markup" in text and "● dirty" in text and "last commit" not in text
