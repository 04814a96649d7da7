"""The tenant's usage as lines for people (``coditect usage`` and the admin screen)."""

from __future__ import annotations

from coditect_tui.core.models import ApiCalls, Usage
from coditect_tui.core.sparkline import sparkline
from coditect_tui.core.wording import byte_size, plural

#: What the API call lines say where there is no API to count.
NO_API = "no API: local store"


def api_call_lines(calls: ApiCalls | None) -> list[str]:
    """Today's API calls (against the tier's rate limit) and the last days', oldest first."""
    if calls is None:
        return [f"{'API calls':<18} {NO_API}"]
    today = calls.days[-1].calls if calls.days else 0
    limit = calls.per_minute_limit
    # the rate limit is per minute: a day's ceiling is 1,440 minutes of it
    against = "" if limit is None else f" (tier limit {limit:,}/min, {limit * 1440:,}/day)"
    total = sum(d.calls for d in calls.days)
    spark = sparkline([d.calls for d in calls.days])
    first = calls.days[0].day.isoformat() if calls.days else ""
    return [
        f"{'API calls today':<18} {today:,}{against}",
        f"{'API calls ' + plural(len(calls.days), 'day'):<18} {total:,}  {spark}  "
        f"(since {first}, UTC)",
    ]


def usage_lines(usage: Usage) -> list[str]:
    """The usage as aligned lines, quotas beside what they limit."""

    def against(used: int, quota: int | None) -> str:
        return f"{used:,}" if quota is None else f"{used:,} of {quota:,}"

    return [
        f"{'Tier':<18} {usage.tier}",
        f"{'Projects':<18} {against(usage.projects, usage.projects_quota)}",
        f"{'Members':<18} {against(usage.members, usage.members_quota)}",
        f"{'Repos':<18} {usage.repos:,}",
        f"{'Git sessions':<18} {usage.sessions:,}",
        f"{'Memory documents':<18} {usage.memory_documents:,} ({byte_size(usage.memory_bytes)})",
        f"{'Audit events':<18} {usage.audit_events:,}",
        *api_call_lines(usage.api_calls),
    ]
