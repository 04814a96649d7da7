"""``coditect man``: the coditect(1) page holds every command and renders cleanly."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from coditect_tui.cli import main
from coditect_tui.commands.roff import escape
from coditect_tui.commands.tree import full_tree


def page(capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["man"]) == 0
    return capsys.readouterr().out


def test_every_command_and_option(capsys: pytest.CaptureFixture[str]) -> None:
    text = page(capsys)
    tree = full_tree()
    headers = re.findall(r'^\.SS "(.*)"$', text, re.M)
    assert headers == [escape(c.name) for c in tree.walk()[1:]]
    assert {"coditect migrate", "coditect completion", "coditect session start"} <= {
        h.replace("\\-", "-") for h in headers
    }
    for command in tree.walk():
        for option in command.options:
            assert f"\\fB{escape(option.flags[-1])}\\fR" in text, (command.name, option.flags)
    sections = re.findall(r"^\.SH (.*)$", text, re.M)
    assert sections == [
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "OPTIONS",
        "COMMANDS",
        "ENVIRONMENT",
        "EXIT STATUS",
        "SEE ALSO",
    ]
    assert text.startswith(".TH CODITECT 1 ")
    # no line starts a request by accident (a help text starting with '.' or "'")
    macros = {"TH", "SH", "SS", "TP", "PP", "RS", "RE", "B", "br", "nh", "ad"}
    for line in text.splitlines():
        if line.startswith((".", "'")):
            assert line[1:].split(" ")[0] in macros, line


def test_escape() -> None:
    assert escape(".start") == "\\&.start"
    assert escape("'quote") == "\\&'quote"
    assert escape("a-b\\c") == "a\\-b\\ec"


def test_renders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "coditect.1"
    source.write_text(page(capsys))
    groff = shutil.which("groff")
    if groff is None:  # structure is checked above; rendering needs groff
        return
    run = subprocess.run(
        [groff, "-man", "-Tutf8", "-ww", "-z", str(source)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (run.returncode, run.stderr) == (0, "")  # -ww: every warning shown
    man = shutil.which("man")
    if man is None:
        return
    rendered = subprocess.run(
        [man, "-l", str(source)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"MANWIDTH": "80", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "MANPAGER": "cat"},
    ).stdout
    assert rendered.startswith("CODITECT(1)")
    for command in full_tree().walk()[1:]:
        assert f"   {command.name}\n" in rendered
    assert max(len(line) for line in rendered.splitlines()) <= 80
