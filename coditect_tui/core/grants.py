"""Time-limited grants: when a membership ends, and how that is read, checked and shown.

UI-free helpers shared by the store (enforcement) and the CLI (``--expires``, ``--until``,
``--by``). Every moment is an aware UTC datetime; "now" is always passed in, so callers
(and tests) decide the clock. The header's "time left" is ``wording.time_left``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from coditect_tui.core.errors import InvalidInput, PermissionDenied
from coditect_tui.core.policy import Policy
from coditect_tui.core.wording import plural

_UNITS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60}
_DURATION = re.compile(r"(?:\d{1,6}[wdhm])+")
_PART = re.compile(r"(\d{1,6})([wdhm])")
#: the longest duration or grant accepted (keeps datetime arithmetic in range)
MAX_GRANT = timedelta(days=3660)


def show_moment(moment: datetime) -> str:
    """A moment as people read it in messages: ``2026-12-03 17:00 UTC``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def expired_message(principal: str, tenant: str, expires_at: datetime) -> str:
    """The one-line refusal of a call by a principal whose membership has ended."""
    return (
        f"the membership of {principal!r} in tenant {tenant!r} expired at {show_moment(expires_at)}"
    )


def grant_check(principal: str, tenant: str, expires_at: datetime | None, now: datetime) -> None:
    """Refuse a principal whose membership ended at or before ``now``.

    Args:
        principal: who acts.
        tenant: the tenant's name (for the message).
        expires_at: the membership's end (None: it does not end).
        now: the current time (aware).

    Raises:
        PermissionDenied: the membership has expired.
    """
    if expires_at is not None and now >= expires_at:
        raise PermissionDenied(expired_message(principal, tenant, expires_at))


def check_grant_expiry(
    policy: Policy, role: str, expires_at: datetime | None, now: datetime
) -> None:
    """Whether a membership in ``role`` may end at ``expires_at`` (set at ``now``).

    Raises:
        InvalidInput: the role requires an expiry (``requires_grant_expiry``) and there is
            none, the expiry is not after ``now``, or it is more than ``MAX_GRANT`` away.
    """
    if expires_at is None:
        if policy.role(role).requires_grant_expiry:
            raise InvalidInput(
                f"{role!r} memberships must have an expiry (roles.yaml requires_grant_expiry)"
            )
        return
    if expires_at.tzinfo is None:
        raise InvalidInput("the expiry must carry a time zone")
    if expires_at <= now:
        raise InvalidInput(f"the expiry {show_moment(expires_at)} is not in the future")
    if expires_at - now > MAX_GRANT:
        raise InvalidInput(f"the expiry is more than {plural(MAX_GRANT.days, 'day')} away")


def parse_duration(text: str) -> timedelta:
    """``30d``, ``12h``, ``2w``, ``90m`` or combinations such as ``3d4h``.

    Raises:
        InvalidInput: not such a duration, zero, or longer than ``MAX_GRANT``.
    """
    value = text.strip().lower().replace(" ", "")
    if not _DURATION.fullmatch(value):
        raise InvalidInput(f"not a duration: {text!r} (e.g. 30d, 12h, 2w, 3d4h)")
    seconds = sum(int(n) * _UNITS[unit] for n, unit in _PART.findall(value))
    if seconds == 0:
        raise InvalidInput(f"the duration {text!r} is zero")
    if seconds > MAX_GRANT.total_seconds():
        raise InvalidInput(f"the duration {text!r} is longer than {plural(MAX_GRANT.days, 'day')}")
    return timedelta(seconds=seconds)


def parse_moment(text: str) -> datetime:
    """A date (``2026-12-31``: the end of that day, UTC) or an ISO date-time (UTC when
    it names no zone).

    Raises:
        InvalidInput: neither.
    """
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        raise InvalidInput(
            f"not a date or date-time: {text!r} (e.g. 2026-12-31 or 2026-12-31T18:00Z)"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parse_expiry(text: str, now: datetime) -> datetime:
    """``--expires``: a duration from ``now`` (``30d``) or a date/date-time.

    Raises:
        InvalidInput: neither a duration nor a date.
    """
    value = text.strip()
    if value[:1].isdigit() and _DURATION.fullmatch(value.lower().replace(" ", "")):
        return now + parse_duration(value)
    return parse_moment(value)
