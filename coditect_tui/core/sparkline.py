"""One sparkline for every surface: the dashboard pane, the Markdown report, the CLI.

A series is drawn with the eight block characters ``▁▂▃▄▅▆▇█``, one per value, scaled to
the series' largest value. ``▁`` means "nothing": a missing value (None), zero, or a
negative value. Any positive value draws at least ``▂``, so a day with one commit next to
a day with a hundred still shows; the largest value draws ``█``.
"""

from __future__ import annotations

from collections.abc import Sequence

#: The bars, lowest first.
SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[int | float | None]) -> str:
    """Draw ``values`` as one block character each.

    Args:
        values: the series, oldest first; None is a gap (no data that day).

    Returns:
        A string as long as ``values``: ``▁`` for None, zero and negative values, else
        ``▂`` to ``█`` in proportion to the largest value (rounded, at least ``▂``).
    """
    top = max((v for v in values if v is not None and v > 0), default=0)
    if not top:
        return SPARK[0] * len(values)
    steps = len(SPARK) - 1
    return "".join(
        SPARK[0] if v is None or v <= 0 else SPARK[max(1, round(v / top * steps))] for v in values
    )
