"""Read-only mode: every mutating method refused; nothing but the audit log changes."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest

from coditect_tui.core.backend import MUTATING_METHODS, READ_METHODS, Backend
from coditect_tui.core.errors import ReadOnly
from coditect_tui.core.models import (
    Action,
    AuditEventSpec,
    AuditFilter,
    GitSessionSpec,
    GitSessionUpdate,
    MemoryEntrySpec,
    ProjectSpec,
    RepoSpec,
    Resource,
    StatusSnapshotSpec,
    utcnow,
)
from tests.contract.harness import QUIET_WEBHOOK, Harness

#: the audit tables, and the pseudonymous ids of principals the chain names first
AUDIT_TABLES = {"audit_events", "audit_heads", "principals"}


def test_every_backend_method_is_classified() -> None:
    """(test_classification.py checks where the classification comes from.)"""
    abstract = {
        name
        for name, member in inspect.getmembers(Backend)
        if getattr(member, "__isabstractmethod__", False)
    } - {"close"}
    assert abstract == MUTATING_METHODS | READ_METHODS
    assert not MUTATING_METHODS & READ_METHODS


def _calls(ids: dict[str, str]) -> dict[str, Callable[[Backend], Awaitable[Any]]]:
    return {
        "add_member": lambda b: b.add_member("new", "viewer"),
        "set_member_role": lambda b: b.set_member_role("vic", "editor"),
        "set_member_expiry": lambda b: b.set_member_expiry("vic", utcnow() + timedelta(days=2)),
        "remove_member": lambda b: b.remove_member("vic"),
        "erase_principal": lambda b: b.erase_principal("vic"),
        "create_tenant": lambda b: b.create_tenant("initech", tier="internal", owner="ian"),
        "set_tenant_state": lambda b: b.set_tenant_state("initech", "suspended"),
        "set_flag": lambda b: b.set_flag("memory", False),
        "clear_flag": lambda b: b.clear_flag("memory"),
        "create_invitation": lambda b: b.create_invitation("ivy", "viewer"),
        "revoke_invitation": lambda b: b.revoke_invitation(ids["invitation"]),
        "accept_invitation": lambda b: b.accept_invitation(ids["token"]),
        "create_api_key": lambda b: b.create_api_key(),
        "revoke_api_key": lambda b: b.revoke_api_key(ids["key"]),
        "upsert_project": lambda b: b.upsert_project(ProjectSpec(name="p", description="x")),
        "delete_project": lambda b: b.delete_project(ids["project"]),
        "upsert_repo": lambda b: b.upsert_repo(
            RepoSpec(project_id=ids["project"], path="/n", name="n")
        ),
        "delete_repo": lambda b: b.delete_repo(ids["repo"]),
        "create_session": lambda b: b.create_session(
            GitSessionSpec(
                repo_id=ids["repo"],
                session_key="k2",
                description="d",
                branch="b",
                started_at=utcnow(),
            )
        ),
        "update_session": lambda b: b.update_session(
            ids["session"], GitSessionUpdate(commit_count=9)
        ),
        "delete_session": lambda b: b.delete_session(ids["session"]),
        "upsert_memory_entry": lambda b: b.upsert_memory_entry(
            MemoryEntrySpec(path="m.md", kind="note", title="changed")
        ),
        "upsert_memory_entries": lambda b: b.upsert_memory_entries(
            [MemoryEntrySpec(path="new.md", kind="note", title="new")]
        ),
        "delete_memory_entry": lambda b: b.delete_memory_entry(ids["memory"]),
        "record_status": lambda b: b.record_status(StatusSnapshotSpec(summary={})),
        "prune_status": lambda b: b.prune_status(utcnow() + timedelta(days=1)),
        "import_audit_events": lambda b: b.import_audit_events(
            [
                AuditEventSpec(
                    ts=utcnow(), actor="x", action="x.y", resource_type="repos", source="f.json"
                )
            ]
        ),
        "record_event": lambda b: b.record_event(
            Resource.SESSIONS, Action.UPDATE, "sessions.push", ids["session"]
        ),
        "audit_head": lambda b: b.audit_head(),
        "add_webhook": lambda b: b.add_webhook(QUIET_WEBHOOK),
        "remove_webhook": lambda b: b.remove_webhook(ids["webhook"]),
    }


@pytest.mark.parametrize("role", ["owner", "auditor"])
async def test_read_only_refuses_every_mutation(harness: Harness, role: str) -> None:
    owner = await harness.open("acme", "olivia", "owner")
    project = await owner.upsert_project(ProjectSpec(name="p"))
    repo = await owner.upsert_repo(RepoSpec(project_id=project.id, path="/r", name="r"))
    session = await owner.create_session(
        GitSessionSpec(
            repo_id=repo.id, session_key="k", description="d", branch="b", started_at=utcnow()
        )
    )
    memory = await owner.upsert_memory_entry(
        MemoryEntrySpec(path="m.md", kind="note", title="t", body="text")
    )
    key = await owner.create_api_key()
    hook = await owner.add_webhook(QUIET_WEBHOOK)
    invitation = await owner.create_invitation("ivan", "viewer")
    await owner.add_member("vic", "viewer")
    await owner.record_status(StatusSnapshotSpec(summary={"repos": 1}))
    ids = {
        "project": project.id,
        "repo": repo.id,
        "session": session.id,
        "memory": memory.id,
        "key": key.info.id,
        "webhook": hook.info.id,
        "invitation": invitation.info.id,
        "token": invitation.token,
    }
    read_only = await harness.open("acme", "rita", role, read_only=True)
    assert (await read_only.whoami()).read_only
    before = harness.snapshot()
    calls = _calls(ids)
    assert set(calls) == MUTATING_METHODS
    try:
        for call in calls.values():
            with pytest.raises(ReadOnly):
                await call(read_only)
        # reads still work
        assert [p.name for p in (await read_only.list_projects()).items] == ["p"]
    finally:
        await read_only.close()
    after = harness.snapshot()
    changed = {t for t in before if before[t] != after.get(t)}
    assert changed <= AUDIT_TABLES, f"read-only handle changed {changed - AUDIT_TABLES}"
    denied = (await owner.query_audit(AuditFilter(actor="rita", outcome="denied"), limit=100)).items
    assert {e.details["method"] for e in denied} == MUTATING_METHODS
    assert (await owner.verify_audit()).ok
    await owner.close()


async def test_auditor_reads_are_audited(harness: Harness) -> None:
    owner = await harness.open("acme", "olivia", "owner")
    auditor = await harness.open("acme", "alma", "auditor", read_only=True)
    try:
        await auditor.list_projects()
        await auditor.query_audit(AuditFilter(actor="olivia"))
        _ = [e async for e in auditor.export_audit()]
    finally:
        await auditor.close()
    reads = [
        e
        for e in (await owner.query_audit(AuditFilter(actor="alma"), ascending=True)).items
        if e.action != "members.create"
    ]  # the harness's provisioning of alma
    assert [e.action for e in reads] == ["projects.read", "audit.read", "audit.export"]
    # the filter's name is recorded as olivia's pseudonymous id (shown as her name)
    (named,) = reads[1].details["filter"].values()
    assert list(reads[1].details["filter"]) == ["actor"] and reads[1].shown(named) == "olivia"
    await owner.close()


@pytest.mark.parametrize("role", ["owner", "auditor"])
async def test_read_only_records_a_command_that_changes_nothing_and_nothing_else(
    harness: Harness, role: str
) -> None:
    """Every custom-command run is audited: a read-only backend records ``repos.command``
    with action read (a command that changes nothing), and refuses that event as an
    update, and every other event even as a read (no forged history)."""
    owner = await harness.open("acme", "olivia", "owner")
    read_only = await harness.open("acme", "rita", role, read_only=True)
    before = harness.snapshot()
    try:
        seq = await read_only.record_event(
            Resource.REPOS, Action.READ, "repos.command", None, details={"command": "lint"}
        )
        for resource, action, name in (
            (Resource.REPOS, Action.UPDATE, "repos.command"),
            (Resource.SESSIONS, Action.READ, "sessions.push"),
            (Resource.REPOS, Action.READ, "repos.fetch"),
        ):
            with pytest.raises(ReadOnly):
                await read_only.record_event(resource, action, name, None)
    finally:
        await read_only.close()
    after = harness.snapshot()
    changed = {t for t in before if before[t] != after.get(t)}
    # over the API the server also keeps its answer to the write's Idempotency-Key (a
    # replay cache, no tenant data)
    allowed = AUDIT_TABLES | {"api_idempotency"}
    assert changed <= allowed, f"read-only handle changed {changed - allowed}"
    events = (await owner.query_audit(AuditFilter(actor="rita"), ascending=True)).items
    recorded = [e for e in events if e.action == "repos.command" and e.outcome == "ok"]
    assert [(e.seq, e.details.get("command")) for e in recorded] == [(seq, "lint")]
    assert (await owner.verify_audit()).ok
    await owner.close()
