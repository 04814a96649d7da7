"""The project stands alone: a user's clone has nothing beside it.

Tests and benchmarks read only files inside this repository (the workspace generator and
the MEMORY-CONTEXT samples live under tests/), never a folder beside the checkout.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import REPO_ROOT

SIBLING = "shared"
# A relative path up to it, a pathlib join with it on either side, or its sub-folders by name.
REFERENCES = re.compile(
    rf"""\.\./{SIBLING}\b|/\s*["']{SIBLING}["']|["']{SIBLING}["']\s*/|\b{SIBLING}/(bench|fixtures)\b"""
)
CHECKED = ("tests", "bench", ".ci", "pyproject.toml")


def _files() -> list[Path]:
    found: list[Path] = []
    for name in CHECKED:
        top = REPO_ROOT / name
        candidates = [top] if top.is_file() else sorted(top.rglob("*"))
        found.extend(
            path
            for path in candidates
            if path.is_file()
            and "__pycache__" not in path.parts
            and "__snapshots__" not in path.parts
            and "fixtures" not in path.relative_to(REPO_ROOT).parts
        )
    return found


def test_nothing_reads_a_sibling_folder() -> None:
    offenders = []
    for path in _files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if REFERENCES.search(line):
                offenders.append(f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_check_recognises_each_spelling() -> None:
    for spelling in (
        "../" + SIBLING + "/bench/make_workspace.py",
        'REPO_ROOT.parent / "' + SIBLING + '" / "bench"',
        "Path(__file__).parents[2] / '" + SIBLING + "'",
        SIBLING + "/fixtures/memory-context-sample",
    ):
        assert REFERENCES.search(spelling), spelling
    assert not REFERENCES.search('db = tmp_path / "shared.db"')
    assert not REFERENCES.search("shared rate limits")
