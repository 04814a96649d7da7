"""The grant helpers: durations, dates, the time left, and which ends are accepted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from coditect_tui.core.errors import InvalidInput, PermissionDenied
from coditect_tui.core.grants import (
    check_grant_expiry,
    grant_check,
    parse_duration,
    parse_expiry,
)
from coditect_tui.core.policy import shipped_policy
from coditect_tui.core.wording import time_left

NOW = datetime(2026, 12, 3, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("30d", timedelta(days=30)),
        ("2w", timedelta(days=14)),
        ("12h", timedelta(hours=12)),
        ("3d4h", timedelta(days=3, hours=4)),
        ("90m", timedelta(minutes=90)),
    ],
)
def test_durations(text: str, delta: timedelta) -> None:
    assert parse_duration(text) == delta
    assert parse_expiry(text, NOW) == NOW + delta


@pytest.mark.parametrize("text", ["", "d", "3x", "-3d", "0d", "99999w", "3.5d"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_duration(text)


def test_dates_and_times() -> None:
    assert parse_expiry("2026-12-31", NOW) == datetime(2027, 1, 1, tzinfo=UTC)
    assert parse_expiry("2026-12-31T18:00Z", NOW) == datetime(2026, 12, 31, 18, tzinfo=UTC)
    assert parse_expiry("2026-12-31T18:00", NOW) == datetime(2026, 12, 31, 18, tzinfo=UTC)
    with pytest.raises(InvalidInput, match="not a date"):
        parse_expiry("2026-13-01", NOW)


@pytest.mark.parametrize(
    ("left", "shown"),
    [
        (timedelta(days=3, hours=4, minutes=30), "3d 4h"),
        (timedelta(hours=4, minutes=10), "4h 10m"),
        (timedelta(minutes=10, seconds=5), "10m"),
        (timedelta(seconds=30), "<1m"),
        (timedelta(0), "expired"),
        (timedelta(days=-1), "expired"),
    ],
)
def test_time_left(left: timedelta, shown: str) -> None:
    assert time_left(NOW + left, NOW) == shown


def test_which_ends_are_accepted() -> None:
    policy = shipped_policy()
    with pytest.raises(InvalidInput, match="'auditor' memberships must have an expiry"):
        check_grant_expiry(policy, "auditor", None, NOW)
    check_grant_expiry(policy, "consultant", None, NOW)
    check_grant_expiry(policy, "auditor", NOW + timedelta(days=1), NOW)
    with pytest.raises(InvalidInput, match="not in the future"):
        check_grant_expiry(policy, "viewer", NOW, NOW)
    with pytest.raises(InvalidInput, match="days away"):
        check_grant_expiry(policy, "viewer", NOW + timedelta(days=3661), NOW)
    grant_check("alma", "acme", NOW + timedelta(microseconds=1), NOW)
    with pytest.raises(PermissionDenied, match="expired at 2026-12-03 17:00 UTC"):
        grant_check("alma", "acme", NOW, NOW)
