"""``coditect report time`` over real stores: a consultant's hours per client tenant,
counted from the audit log where the role may read it and from the session records where
it may not; bad dates are one line."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from coditect_store.base import Provision
from coditect_store.store import SqlStore
from coditect_tui.core.models import (
    Action,
    GitSessionSpec,
    GitSessionUpdate,
    ProjectSpec,
    RepoSpec,
    Resource,
    utcnow,
)
from tests.git.helpers import run_cli, write_config


async def _open(db: Path, tenant: str, principal: str) -> Any:
    provision = Provision(tenant.upper(), "internal", "owner")
    return await SqlStore.open_sqlite(db, tenant=tenant, principal=principal, provision=provision)


async def _repo(backend: Any, key: str) -> str:
    project = await backend.upsert_project(ProjectSpec(name=f"p-{key}"))
    repo = await backend.upsert_repo(RepoSpec(project_id=project.id, path=f"/w/{key}", name=key))
    return str(repo.id)


async def _session(backend: Any, repo_id: str, key: str, minutes_ago: int) -> str:
    started = utcnow() - timedelta(minutes=minutes_ago)
    session = await backend.create_session(
        GitSessionSpec(
            repo_id=repo_id, session_key=key, description="d", branch="b", started_at=started
        )
    )
    return str(session.id)


async def _world(db: Path) -> None:
    """t1: alice owns it, one session of 20 minutes with a commit (audited). t2: bob owns
    it, alice is a consultant there (no audit log for her): one session, 2 commits."""
    alice = await _open(db, "t1", "alice")
    sid = await _session(alice, await _repo(alice, "one"), "one", 20)
    await alice.record_event(Resource.SESSIONS, Action.UPDATE, "sessions.commit", sid)
    await alice.close()
    bob = await _open(db, "t2", "bob")
    await bob.add_member("alice", "consultant")
    repo_id = await _repo(bob, "two")
    await bob.close()
    consultant = await SqlStore.open_sqlite(db, tenant="t2", principal="alice")
    sid2 = await _session(consultant, repo_id, "two", 10)
    await consultant.update_session(
        sid2, GitSessionUpdate(commit_count=2, ended_at=utcnow() - timedelta(minutes=1))
    )
    await consultant.close()


def _config(tmp_path: Path, db: Path) -> Path:
    return write_config(tmp_path, [], db=db)  # tenant t1, principal alice, owner


def test_a_consultants_hours_per_client_tenant(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    asyncio.run(_world(db))
    config = _config(tmp_path, db)
    done = run_cli(
        "report", "time", "--config", str(config), "--all-tenants", "--by", "tenant", "--json"
    )
    assert done.returncode == 0, done.stderr
    rows = {r["tenant"]: r for r in json.loads(done.stdout)["rows"]}
    assert set(rows) == {"t1", "t2"}
    t1, t2 = rows["t1"], rows["t2"]
    assert (t1["sessions"], t1["commits"], t1["from_audit"]) == (1, 1, True)
    assert 0.32 <= t1["active_hours"] <= 0.35  # from the start to the audited commit
    assert (t2["sessions"], t2["commits"], t2["from_audit"]) == (1, 2, False)
    assert 0.14 <= t2["active_hours"] <= 0.16  # from the start to the end
    only_home = json.loads(run_cli("report", "time", "--config", str(config), "--json").stdout)
    assert [(r["tenant"], r["person"]) for r in only_home["rows"]] == [("t1", "alice")]
    md = run_cli("report", "time", "--config", str(config), "--all-tenants").stdout
    assert "| t2 | alice |  | 1 |" in md and "session records only" in md
    csv_out = run_cli("report", "time", "--config", str(config), "--csv").stdout
    assert csv_out.splitlines()[0] == "tenant,person,day,sessions,active_hours,commits,pushes"


def test_bad_periods_are_one_line(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    asyncio.run(_world(db))
    config = _config(tmp_path, db)
    for args, words in (
        (("--since", "last tuesday"), "is not a date"),
        (("--since", "2026-12-02", "--until", "2026-12-01"), "--since must be before"),
        (("--idle-minutes", "0"), "--idle-minutes must be"),
    ):
        done = run_cli("report", "time", "--config", str(config), *args)
        assert done.returncode == 2 and done.stdout == "", args
        assert done.stderr.count("\n") == 1 and words in done.stderr, done.stderr
