"""Counts with nouns ("1 entry", "2 entries") and HEAD in git's words."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from coditect_tui.core.wording import head_label, plural

PACKAGE = Path(__file__).resolve().parents[2] / "coditect_tui"


@pytest.mark.parametrize(
    ("count", "noun", "expected"),
    [
        (1, "entry", "1 entry"),
        (0, "entry", "0 entries"),
        (2, "commit", "2 commits"),
        (1, "commit", "1 commit"),
        (3, "match", "3 matches"),
        (2, "key", "2 keys"),
        (2, "category", "2 categories"),
        (1_234, "row", "1234 rows"),
    ],
)
def test_plural(count: int, noun: str, expected: str) -> None:
    assert plural(count, noun) == expected


@dataclass
class _Status:
    branch: str | None = None
    detached: bool = False
    head_oid: str | None = None
    unborn: bool = False


def test_grouped_counts() -> None:
    assert plural(1_234, "row", grouped=True) == "1,234 rows"


def test_head_label_says_detached_as_git_does() -> None:
    assert head_label(_Status(branch="main")) == "main"
    assert head_label(_Status(detached=True, head_oid="1a2b3c4d5e6f")) == "HEAD detached at 1a2b3c4"
    assert head_label(_Status(detached=True)) == "HEAD detached"
    assert head_label(_Status()) == "no branch"


# A count put straight before a plural noun in an f-string reads "1 entries" for one.
_COUNTED_PLURAL = re.compile(
    r"\}\s(commits|entries|repos|files|events|sessions|projects|rows|tenants|submodules|"
    r"hits|folders|errors|days)\b|[a-z]\(s\)(?!\})"
)


def test_no_f_string_puts_a_count_before_a_fixed_plural() -> None:
    found = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                source = ast.get_source_segment(path.read_text(encoding="utf-8"), node) or ""
                if _COUNTED_PLURAL.search(source):
                    found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {source}")
    assert not found, "\n".join(found)
