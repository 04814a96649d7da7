"""Timesheet arithmetic (core/timesheet.py): pauses over the idle threshold left out,
moments clipped to the period, stretches on the day they started, counts from the audit
events, or from the session records when the audit log may not be read."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone

from coditect_tui.core.models import AuditEvent, GitSession, format_ts
from coditect_tui.core.timesheet import active_stretches, build_timesheet, timesheet_csv

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _session(sid: str, who: str, start: datetime, end: datetime | None, **kw: object) -> GitSession:
    fields: dict[str, object] = {
        "id": sid,
        "repo_id": "r",
        "project_id": "p",
        "session_key": sid,
        "description": "d",
        "branch": "b",
        "started_at": start,
        "ended_at": end,
        "last_commit": None,
        "last_push": None,
        "commit_count": 0,
        "push_count": 0,
        "state": "ended" if end else "active",
        "summary": {},
        "created_by": who,
        **kw,
    }
    return GitSession.model_validate(fields)


def _event(seq: int, sid: str, action: str, when: datetime, outcome: str = "ok") -> AuditEvent:
    return AuditEvent.model_validate(
        {
            "seq": seq,
            "ts": format_ts(when),
            "actor": "x",
            "action": action,
            "resource_type": "sessions",
            "resource_id": sid,
            "outcome": outcome,
            "details": {},
            "source": "",
            "role": "owner",
            "prev_hash": "0" * 64,
            "hash": "0" * 64,
        }
    )


def test_pauses_longer_than_the_gap_are_not_work() -> None:
    m = [T0, T0 + timedelta(minutes=10), T0 + timedelta(minutes=50), T0 + timedelta(minutes=55)]
    assert active_stretches(m) == [(m[0], m[1]), (m[2], m[3])]  # the 40-minute pause is out
    assert active_stretches(m, idle_gap=timedelta(minutes=45)) == list(itertools.pairwise(m))


def test_rows_by_person_and_day_with_audit_counts() -> None:
    alice = _session("s1", "alice", T0, T0 + timedelta(minutes=20))
    bob = _session("s2", "bob", T0 + timedelta(days=1), None)
    events = [
        _event(1, "s1", "sessions.commit", T0 + timedelta(minutes=10)),
        _event(2, "s1", "sessions.push", T0 + timedelta(minutes=15)),
        _event(3, "s1", "sessions.commit", T0 + timedelta(minutes=16), outcome="error"),
        _event(4, "s2", "sessions.commit", T0 + timedelta(days=1, minutes=25)),
    ]
    since, until = T0 - timedelta(days=1), T0 + timedelta(days=3)
    by_person = build_timesheet("acme", [alice, bob], events, since=since, until=until)
    assert [r.to_dict() for r in by_person] == [
        {"tenant": "acme", "person": "alice", "day": "", "sessions": 1, "active_hours": 0.33,
         "commits": 1, "pushes": 1, "from_audit": True},
        {"tenant": "acme", "person": "bob", "day": "", "sessions": 1, "active_hours": 0.42,
         "commits": 1, "pushes": 0, "from_audit": True},
    ]  # fmt: skip
    by_day = build_timesheet("acme", [alice, bob], events, since=since, until=until, by="day")
    assert [(r.person, r.day, r.sessions) for r in by_day] == [
        ("alice", "2026-12-01", 1),
        ("bob", "2026-12-02", 1),
    ]
    by_tenant = build_timesheet("acme", [alice, bob], events, since=since, until=until, by="tenant")
    assert [(r.person, r.sessions, r.commits, r.pushes) for r in by_tenant] == [("", 2, 2, 1)]


def test_the_period_clips_moments_and_days_follow_the_time_zone() -> None:
    late = _session("s1", "alice", T0 + timedelta(hours=14, minutes=50), None)  # 23:50 UTC
    events = [_event(1, "s1", "sessions.commit", T0 + timedelta(hours=15, minutes=10))]
    plus2 = timezone(timedelta(hours=2))
    rows = build_timesheet(
        "acme", [late], events, since=T0, until=T0 + timedelta(days=2), by="day", tz=plus2
    )
    assert [(r.day, round(r.active_seconds)) for r in rows] == [("2026-12-02", 1200)]
    clipped = build_timesheet(
        "acme", [late], events, since=T0, until=T0 + timedelta(hours=15), by="tenant"
    )
    assert [(r.sessions, r.active_seconds, r.commits) for r in clipped] == [(1, 0.0, 0)]


def test_without_the_audit_log_the_session_records_count() -> None:
    ended = _session(
        "s1", "vic", T0, T0 + timedelta(minutes=25), commit_count=3, push_count=2,
        last_push=T0 + timedelta(minutes=20),
    )  # fmt: skip
    rows = build_timesheet("acme", [ended], None, since=T0, until=T0 + timedelta(days=1))
    assert [r.to_dict() for r in rows] == [
        {"tenant": "acme", "person": "vic", "day": "", "sessions": 1, "active_hours": 0.42,
         "commits": 3, "pushes": 2, "from_audit": False},
    ]  # fmt: skip


def test_csv_defuses_formulas_and_control_characters() -> None:
    hostile = _session("s1", "=cmd|'/c calc'!A1\x1b[2J", T0, T0 + timedelta(minutes=5))
    rows = build_timesheet("acme", [hostile], [], since=T0, until=T0 + timedelta(days=1))
    text = timesheet_csv(rows)
    assert "\x1b" not in text and "'=cmd" in text
