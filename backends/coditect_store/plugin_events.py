"""Telling plugins what a committed transaction appended (docs/plugins.md).

``StoreBase._link`` keeps the payloads of the events it links, per transaction, when a
plugin listens; ``StoreBase._tx`` hands them to the process's plugin dispatcher after the
commit, and drops them on a rollback.
Plugins get plain frozen payloads, never the store, its rows or its connection.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from coditect_store.chain import PendingEvent
from coditect_tui.core.models import format_ts, utcnow
from coditect_tui.core.plugins import hub
from coditect_tui.core.plugins.events import AuditAppended, ProjectCreated


def plugins_listen() -> bool:
    """Whether an installed plugin wants audit or project events."""
    return hub.wants("audit_appended") or hub.wants("project_created")


def stamp(events: Sequence[PendingEvent]) -> None:
    """Give events without a time the one ``link_events`` would (so the payload has it)."""
    now = format_ts(utcnow())
    for event in events:
        if event.ts is None:
            event.ts = now


def plugin_events(
    tenant: str,
    principal: str,
    events: Sequence[PendingEvent],
    links: Sequence[tuple[int, str]],
) -> list[tuple[str, Any]]:
    """(hook, payload) for each linked event, and for each project it created."""
    found: list[tuple[str, Any]] = []
    for event, (seq, _hash) in zip(events, links, strict=True):
        # what the chain holds: principals by pseudonymous id (a plugin that keeps a copy
        # keeps nothing personal)
        actor, resource_id = event.chained or (event.actor or principal, event.resource_id)
        found.append(
            (
                "audit_appended",
                AuditAppended(
                    tenant=tenant,
                    seq=seq,
                    ts=event.ts or "",
                    actor=actor,
                    action=event.action,
                    resource_type=event.resource_type,
                    resource_id=resource_id,
                    outcome=event.outcome,
                ),
            )
        )
        if event.action == "projects.create" and event.outcome == "ok" and event.resource_id:
            name = str(event.details.get("name", ""))
            found.append(
                ("project_created", ProjectCreated(tenant, event.resource_id, name, actor))
            )
    return found


def announce(payloads: Sequence[tuple[str, Any]]) -> None:
    """Hand committed payloads to the installed dispatcher (in order)."""
    for hook, payload in payloads:
        hub.emit(hook, payload)
