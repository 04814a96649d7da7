"""``core.batches.cut``: lists within a budget and a count, in order."""

from __future__ import annotations

from coditect_tui.core.batches import cut


def test_lists_stay_within_the_budget_and_an_item_over_it_goes_alone() -> None:
    assert cut([3, 3, 3, 9, 1, 1], 6, lambda n: n) == [[3, 3], [3], [9], [1, 1]]


def test_lists_hold_at_most_so_many_items() -> None:
    assert cut(range(7), 100, lambda _n: 1, most=3) == [[0, 1, 2], [3, 4, 5], [6]]


def test_nothing_to_cut_makes_no_list() -> None:
    assert cut([], 10, lambda n: n) == []
