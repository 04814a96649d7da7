"""How the dashboard is computed: thresholds, window and time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

DEFAULT_WINDOW_DAYS = 30
DEFAULT_STALE_DAYS = 30
DEFAULT_ATTENTION_BELOW = 70


@dataclass(frozen=True, slots=True)
class DashboardOptions:
    """How the dashboard is computed (shipped defaults in config/views.yaml).

    Attributes:
        window_days: days of activity and trend shown, today included.
        stale_days: a repo whose HEAD commit is at least this many days old is stale.
        attention_below: repos scoring below this need attention.
        tz: the time zone whose calendar days bucket the activity.
    """

    window_days: int = DEFAULT_WINDOW_DAYS
    stale_days: int = DEFAULT_STALE_DAYS
    attention_below: int = DEFAULT_ATTENTION_BELOW
    tz: tzinfo = UTC

    def __post_init__(self) -> None:
        if not 1 <= self.window_days <= 366:
            raise ValueError("window_days must be between 1 and 366")
        if self.stale_days < 1:
            raise ValueError("stale_days must be at least 1")
        if not 0 <= self.attention_below <= 101:
            raise ValueError("attention_below must be between 0 and 101")


def window_days(now: datetime, options: DashboardOptions) -> list[date]:
    """The calendar days of the window, oldest first, ending with ``now``'s day."""
    today = now.astimezone(options.tz).date()
    return [today - timedelta(days=offset) for offset in range(options.window_days - 1, -1, -1)]


def window_start(now: datetime, options: DashboardOptions) -> datetime:
    """The first instant of the window (midnight of its first day, in ``options.tz``)."""
    first = window_days(now, options)[0]
    return datetime(first.year, first.month, first.day, tzinfo=options.tz)
