"""One sparkline (core/sparkline.py) for the report, the CLI and the pane."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from coditect_tui.core import dashboard_report
from coditect_tui.core.dashboard import CommitDay, DashboardOptions, build_dashboard
from coditect_tui.core.sparkline import SPARK, sparkline


def test_the_report_draws_with_the_core_sparkline() -> None:
    assert dashboard_report.sparkline is sparkline
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    commits = (1, 0, 40, 3)
    board = replace(
        build_dashboard([], now=now, options=DashboardOptions(window_days=4)),
        commits=tuple(CommitDay(date(2026, 3, 7 + i), n) for i, n in enumerate(commits)),
    )
    lines = dashboard_report.dashboard_markdown_sections(board, ("commits",))
    drawn = sparkline(list(commits))
    assert f"`{drawn}` 44 commits" in lines
    assert drawn == "▂▁█▂"


def test_small_values_show_and_gaps_stay_lowest() -> None:
    # one commit beside a hundred still shows (the pane's old drawing rounded it to ▁)
    assert sparkline([1, 100]) == "▂█"
    assert sparkline([None, 0, -3, 4]) == "▁▁▁█"
    assert sparkline([]) == ""
    assert sparkline([None, None]) == "▁▁"
    assert sparkline([0.5, 1.0]) == "▅█"


@given(st.lists(st.one_of(st.none(), st.integers(-5, 10_000), st.floats(0, 1e6)), max_size=60))
def test_shape(values: list[int | float | None]) -> None:
    drawn = sparkline(values)
    assert len(drawn) == len(values) and set(drawn) <= set(SPARK)
    for value, bar in zip(values, drawn, strict=True):
        assert (bar == SPARK[0]) == (value is None or value <= 0)
    positive = [v for v in values if v is not None and v > 0]
    if positive:
        assert drawn[values.index(max(positive))] == SPARK[-1]
