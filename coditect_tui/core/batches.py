"""Cutting a sequence into batches by a budget (bytes, files) without reordering it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")


def cut(
    items: Iterable[T], budget: int, cost: Callable[[T], int], *, most: int | None = None
) -> list[list[T]]:
    """``items`` in order, cut into lists whose costs add up to at most ``budget`` and that
    hold at most ``most`` items each (an item costing more than ``budget`` goes alone).

    Args:
        items: what to cut.
        budget: the most a list may cost.
        cost: what one item costs.
        most: the most items in a list (None: no limit).

    Returns:
        The lists, none of them empty.
    """
    parts: list[list[T]] = []
    current: list[T] = []
    used = 0
    for item in items:
        size = cost(item)
        if current and (used + size > budget or (most is not None and len(current) >= most)):
            parts.append(current)
            current, used = [], 0
        current.append(item)
        used += size
    if current:
        parts.append(current)
    return parts
