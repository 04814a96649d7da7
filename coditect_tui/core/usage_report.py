"""The tenant's usage as lines for people (``coditect usage`` and the admin screen)."""

from __future__ import annotations

from coditect_tui.core.models import Usage
from coditect_tui.core.wording import byte_size


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
    ]
