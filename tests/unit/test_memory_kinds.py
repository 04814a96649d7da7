"""The pydantic-free list of memory kinds equals the model's Literal."""

from typing import get_args

from coditect_tui.core.memory_kinds import MEMORY_KINDS
from coditect_tui.core.models import MemoryKind


def test_kinds_agree() -> None:
    assert get_args(MemoryKind) == MEMORY_KINDS
