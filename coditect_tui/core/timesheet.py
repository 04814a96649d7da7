"""Timesheets: sessions, active time, commits and pushes per tenant, person and day.

A git session's **active time** is the time between its moments of activity, leaving out
every gap longer than the idle threshold (:data:`IDLE_GAP`, 30 minutes by default: a
longer pause is a break, not work). The moments are the session's start, every audited
event of the session (``sessions.commit``, ``sessions.push``, ``sessions.sync``,
``sessions.end``…, with their times), its last push, its end, and, for a session still
active in a working tree here, the newest change time of a file it changed (given by the
caller). Only moments inside the period count, so a session spanning two periods is
split between them; each active stretch counts on the day (in ``tz``) it started.

Commits and pushes are counted from the audit events of the period. A principal whose
role may not read the audit log gets the session records' own counts (``commit_count``,
``push_count``) for the sessions that started in the period, and active time from the
start, last push and end alone (the rows say so: ``from_audit`` False).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from coditect_tui.core.backend import Backend
    from coditect_tui.core.models import AuditEvent, GitSession

#: A pause longer than this between two moments of activity is not counted as work.
IDLE_GAP = timedelta(minutes=30)
#: At most this many sessions and audit events are read per tenant.
MAX_ROWS = 200_000

By = Literal["tenant", "person", "day"]


@dataclass
class TimeRow:
    """One line of a timesheet.

    Attributes:
        tenant: the tenant.
        person: the principal who started the sessions ("" when grouped by tenant).
        day: ISO date in the timesheet's time zone ("" unless grouped by day).
        sessions: sessions with activity in the period (and on that day).
        active_seconds: active time, in seconds.
        commits: commits recorded in the period.
        pushes: pushes recorded in the period.
        from_audit: the counts and moments come from the audit log (else from the
            session records alone).
    """

    tenant: str
    person: str = ""
    day: str = ""
    sessions: int = 0
    active_seconds: float = 0.0
    commits: int = 0
    pushes: int = 0
    from_audit: bool = True
    _seen: set[str] = field(default_factory=set, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The row as JSON-ready data (hours rounded to hundredths)."""
        return {
            "tenant": self.tenant,
            "person": self.person,
            "day": self.day,
            "sessions": self.sessions,
            "active_hours": round(self.active_seconds / 3600, 2),
            "commits": self.commits,
            "pushes": self.pushes,
            "from_audit": self.from_audit,
        }


def active_stretches(
    moments: Iterable[datetime], *, idle_gap: timedelta = IDLE_GAP
) -> list[tuple[datetime, datetime]]:
    """The stretches between consecutive moments no further apart than ``idle_gap``.

    Args:
        moments: times of activity, in any order (duplicates allowed).
        idle_gap: the longest pause still counted as work.

    Returns:
        (start, end) of each counted stretch, in time order.
    """
    ordered = sorted(set(moments))
    return [(a, b) for a, b in itertools.pairwise(ordered) if b - a <= idle_gap]


def event_time(event: AuditEvent) -> datetime:
    """When ``event`` happened (its canonical UTC timestamp text, parsed)."""
    return datetime.fromisoformat(event.ts)


def session_moments(
    session: GitSession,
    events: Sequence[AuditEvent],
    *,
    since: datetime,
    until: datetime,
    touched: datetime | None = None,
) -> list[datetime]:
    """The moments of activity of ``session`` inside [since, until).

    Args:
        session: the session record.
        events: its audit events (any order).
        since: the period's start (inclusive).
        until: the period's end (exclusive).
        touched: the newest change time of a file the (active) session changed.

    Returns:
        The moments, unsorted.
    """
    moments = [session.started_at, *(event_time(e) for e in events)]
    moments += [t for t in (session.last_push, session.ended_at, touched) if t is not None]
    return [m for m in moments if since <= m < until]


def build_timesheet(
    tenant: str,
    sessions: Sequence[GitSession],
    events: Sequence[AuditEvent] | None,
    *,
    since: datetime,
    until: datetime,
    by: By = "person",
    tz: tzinfo = UTC,
    idle_gap: timedelta = IDLE_GAP,
    touched: Mapping[str, datetime] | None = None,
) -> list[TimeRow]:
    """One tenant's timesheet rows.

    Args:
        tenant: the tenant's name.
        sessions: every session record of the tenant (or at least those of the period).
        events: the tenant's ``sessions.*`` audit events of the period, or None when
            the principal may not read the audit log.
        since: the period's start (inclusive, aware).
        until: the period's end (exclusive, aware).
        by: one row per tenant, per person, or per person and day.
        tz: the time zone of the days.
        idle_gap: the longest pause still counted as work.
        touched: session id -> newest change time of a file it changed (active ones).

    Returns:
        The rows, sorted by person and day; the tenant's row even when empty (by tenant).
    """
    by_session: dict[str, list[AuditEvent]] = {}
    for event in events or ():
        if event.resource_id is not None and since <= event_time(event) < until:
            by_session.setdefault(event.resource_id, []).append(event)
    rows: dict[tuple[str, str], TimeRow] = {}
    if by == "tenant":
        rows[("", "")] = TimeRow(tenant, from_audit=events is not None)

    def row(person: str, day: str) -> TimeRow:
        key = ("" if by == "tenant" else person, day if by == "day" else "")
        if key not in rows:
            rows[key] = TimeRow(tenant, key[0], key[1], from_audit=events is not None)
        return rows[key]

    for session in sessions:
        mine = by_session.get(session.id, [])
        moments = session_moments(
            session, mine, since=since, until=until, touched=(touched or {}).get(session.id)
        )
        if not moments:
            continue
        person = session.created_by
        for start, end in active_stretches(moments, idle_gap=idle_gap):
            line = row(person, start.astimezone(tz).date().isoformat())
            line.active_seconds += (end - start).total_seconds()
            line._seen.add(session.id)
        first = min(moments).astimezone(tz).date().isoformat()
        line = row(person, first)
        line._seen.add(session.id)
        if events is not None:
            for event in mine:
                counted = row(person, event_time(event).astimezone(tz).date().isoformat())
                counted.commits += event.action == "sessions.commit" and event.outcome == "ok"
                counted.pushes += event.action == "sessions.push" and event.outcome == "ok"
        elif since <= session.started_at < until:
            line.commits += session.commit_count
            line.pushes += session.push_count
    for line in rows.values():
        line.sessions = len(line._seen)
    return sorted(rows.values(), key=lambda r: (r.person, r.day))


async def read_timesheet_inputs(
    backend: Backend, *, since: datetime, until: datetime, audit: bool = True
) -> tuple[list[GitSession], list[AuditEvent] | None]:
    """Every session record, and the ``sessions.*`` audit events of [since, until).

    Args:
        backend: the tenant's backend (read-only is enough).
        since: the period's start.
        until: the period's end.
        audit: False when the caller knows the audit log may not be read: it is not
            asked (the backend would record the refusal), and events are None.

    Returns:
        (sessions, events); events is None when the principal may not read the audit log.

    Raises:
        BackendError: the sessions cannot be read (PermissionDenied included).
    """
    from coditect_tui.core.errors import PermissionDenied
    from coditect_tui.core.models import AuditFilter

    sessions: list[GitSession] = []
    cursor: str | None = None
    while len(sessions) < MAX_ROWS:
        page = await backend.list_sessions(cursor=cursor, limit=500)
        sessions += page.items
        cursor = page.next_cursor
        if cursor is None:
            break
    events: list[AuditEvent] | None = [] if audit else None
    wanted = AuditFilter(resource_type="sessions", since=since, until=until)
    cursor = None
    try:
        while events is not None and len(events) < MAX_ROWS:
            chunk = await backend.query_audit(wanted, cursor=cursor, limit=1000)
            events += chunk.items
            cursor = chunk.next_cursor
            if cursor is None:
                break
    except PermissionDenied:
        events = None
    return sessions, events


#: The columns of every format, in order.
COLUMNS = ("tenant", "person", "day", "sessions", "active_hours", "commits", "pushes")


def timesheet_markdown(
    rows: Sequence[TimeRow], *, since: datetime, until: datetime, idle_gap: timedelta
) -> str:
    """The rows as a Markdown table with the period and the idle rule above it."""
    from coditect_tui.core.git.report import md

    minutes = int(idle_gap.total_seconds() // 60)
    lines = [
        "# Timesheet",
        f"**Period:** {since.isoformat()} to {until.isoformat()} (end excluded)  ",
        f"**Active time:** session activity, pauses over {minutes} minutes left out",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    for row in rows:
        data = row.to_dict()
        lines.append("| " + " | ".join(md(data[c]) for c in COLUMNS) + " |")
    if any(not r.from_audit for r in rows):
        lines += ["", "Counts from the session records only: your role may not read the audit log."]
    return "\n".join(lines) + "\n"


def timesheet_csv(rows: Sequence[TimeRow]) -> str:
    """The rows as CSV (header first; text cells neutralised, formulas defused)."""
    import csv
    import io

    from coditect_tui.core.git.report import csv_cell

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        data = row.to_dict()
        writer.writerow([csv_cell(data[c]) for c in COLUMNS])
    return out.getvalue()
