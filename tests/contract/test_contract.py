"""Behaviour every backend must share (DESIGN §2): run against every harness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from coditect_tui.core import api_keys
from coditect_tui.core.backend import Backend
from coditect_tui.core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    QuotaExceeded,
)
from coditect_tui.core.memory.lookup import find_memory_entry
from coditect_tui.core.models import (
    Action,
    AuditEventSpec,
    AuditFilter,
    GitSessionSpec,
    GitSessionUpdate,
    MemoryEntrySpec,
    MemoryFilter,
    ProjectSpec,
    RepoSpec,
    Resource,
    StatusSnapshotSpec,
    utcnow,
)
from coditect_tui.core.policy import shipped_policy
from tests.contract.harness import Harness


async def _audit_count(backend: Backend) -> int:
    return (await backend.audit_head()).seq


async def test_whoami_and_tenant(owner: Backend) -> None:
    me = await owner.whoami()
    assert (me.name, me.role, me.tenant, me.read_only) == ("olivia", "owner", "acme", False)
    tenant = await owner.get_tenant()
    assert tenant.name == "acme" and tenant.tier == "internal"
    assert [t.name for t in await owner.list_tenants()] == ["acme"]


async def test_list_tenants_shows_only_memberships(harness: Harness) -> None:
    a = await harness.open("acme", "carla", "consultant")
    b = await harness.open("globex", "carla", "consultant")
    c = await harness.open("initech", "someone-else", "owner")
    try:
        # A local profile's principal is one name across the store's tenants; a server's
        # is an API key's, which lives in one tenant (a shared name is not an identity).
        remote = harness.name.startswith("remote")
        assert [t.name for t in await a.list_tenants()] == (
            ["acme"] if remote else ["acme", "globex"]
        )
        assert [t.name for t in await b.list_tenants()] == (
            ["globex"] if remote else ["acme", "globex"]
        )
        assert [t.name for t in await c.list_tenants()] == ["initech"]
    finally:
        for backend in (a, b, c):
            await backend.close()


async def test_project_upsert_is_idempotent_and_audited(owner: Backend) -> None:
    before = (await owner.query_audit(limit=1)).items[0].seq
    first = await owner.upsert_project(
        ProjectSpec(name="rollout", path="/w/rollout", kind="master")
    )
    again = await owner.upsert_project(
        ProjectSpec(name="rollout", path="/w/rollout", kind="master")
    )
    assert first.id == again.id and first.updated_at == again.updated_at
    changed = await owner.upsert_project(
        ProjectSpec(name="rollout", path="/w/rollout", kind="master", description="new")
    )
    assert changed.id == first.id and changed.description == "new"
    events = (await owner.query_audit(AuditFilter(resource_type="projects"))).items
    assert [e.action for e in events] == ["projects.update", "projects.create"]
    assert events[0].seq > before and events[0].details["description"] == "new"
    assert (await owner.get_project(first.id)).name == "rollout"


async def test_projects_keyset_pagination(owner: Backend) -> None:
    names = [f"p{i:03d}" for i in range(25)]
    for name in reversed(names):
        await owner.upsert_project(ProjectSpec(name=name))
    seen, cursor = [], None
    while True:
        page = await owner.list_projects(cursor=cursor, limit=10)
        seen += [p.name for p in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == names


async def test_bad_cursor_is_invalid_input(owner: Backend) -> None:
    with pytest.raises(InvalidInput):
        await owner.list_projects(cursor="not-a-cursor")
    page = await owner.list_sessions(limit=1)
    assert page.next_cursor is None
    project = await owner.upsert_project(ProjectSpec(name="a"))
    await owner.upsert_project(ProjectSpec(name="b"))
    cursor = (await owner.list_projects(limit=1)).next_cursor
    assert cursor is not None and project.id
    with pytest.raises(InvalidInput):
        await owner.query_audit(cursor=cursor)


async def test_missing_objects_are_not_found(owner: Backend) -> None:
    for call in (
        owner.get_project("nope"),
        owner.delete_project("nope"),
        owner.get_repo("nope"),
        owner.delete_repo("nope"),
        owner.get_session("nope"),
        owner.get_memory_entry("nope"),
        owner.get_memory_body("nope"),
        owner.delete_memory_entry("nope"),
        owner.revoke_api_key("nope"),
        owner.set_member_role("nobody", "viewer"),
        owner.remove_member("nobody"),
        owner.upsert_repo(RepoSpec(project_id="nope", path="/x", name="x")),
    ):
        with pytest.raises(NotFound):
            await call


async def test_repos_with_submodules(owner: Backend) -> None:
    project = await owner.upsert_project(ProjectSpec(name="master", kind="master"))
    parent = await owner.upsert_repo(
        RepoSpec(project_id=project.id, path="/w/master", name="master")
    )
    subs = [
        await owner.upsert_repo(
            RepoSpec(
                project_id=project.id,
                path=f"/w/master/submodules/core/r{i}",
                name=f"r{i}",
                parent_id=parent.id,
                category="core",
                is_submodule=True,
                initialised=i % 2 == 0,
            )
        )
        for i in range(3)
    ]
    again = await owner.upsert_repo(
        RepoSpec(
            project_id=project.id,
            path="/w/master/submodules/core/r0",
            name="r0",
            parent_id=parent.id,
            category="core",
            is_submodule=True,
            initialised=True,
        )
    )
    assert again.id == subs[0].id
    listed = (await owner.list_repos(project_id=project.id)).items
    assert [r.path for r in listed] == sorted(r.path for r in [parent, *subs])
    assert {r.initialised for r in listed if r.is_submodule} == {True, False}
    await owner.delete_repo(parent.id)
    assert (await owner.list_repos(project_id=project.id)).items == []


async def test_sessions_lifecycle(owner: Backend) -> None:
    project = await owner.upsert_project(ProjectSpec(name="svc"))
    repo = await owner.upsert_repo(RepoSpec(project_id=project.id, path="/w/svc", name="svc"))
    start = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    spec = GitSessionSpec(
        repo_id=repo.id,
        session_key="20261126-080000",
        description="fix",
        branch="session/2026-11-26-fix",
        started_at=start,
    )
    session = await owner.create_session(spec)
    assert (session.state, session.commit_count, session.project_id) == ("active", 0, project.id)
    with pytest.raises(Conflict):
        await owner.create_session(spec)
    ended = await owner.update_session(
        session.id,
        GitSessionUpdate(
            commit_count=3,
            push_count=1,
            last_commit="abc1234",
            ended_at=start + timedelta(hours=1),
            state="ended",
            summary={"files_changed": 4},
        ),
    )
    assert (ended.state, ended.commit_count, ended.summary) == ("ended", 3, {"files_changed": 4})
    later = await owner.create_session(
        spec.model_copy(
            update={"session_key": "20261127-080000", "started_at": start + timedelta(days=1)}
        )
    )
    listed = (await owner.list_sessions(project_id=project.id)).items
    assert [s.id for s in listed] == [later.id, session.id]
    assert (await owner.list_sessions(repo_id="other")).items == []
    await owner.delete_session(later.id)
    with pytest.raises(NotFound):
        await owner.get_session(later.id)


async def test_memory_index_search_and_export(owner: Backend) -> None:
    t0 = datetime(2025, 11, 22, 4, 15, 36, tzinfo=UTC)
    entries = [
        MemoryEntrySpec(
            path="MEMORY-CONTEXT/checkpoints/a.md",
            kind="checkpoint",
            title="Hooks implementation",
            body="phase zero hooks are complete",
            timestamp=t0,
            timestamp_raw="2025-11-22T04-15-36Z",
        ),
        MemoryEntrySpec(
            path="MEMORY-CONTEXT/sessions/b.md",
            kind="session",
            title="Submodule cross-check",
            body="symlink verification of every submodule",
            timestamp=t0 + timedelta(days=1),
        ),
        MemoryEntrySpec(
            path="MEMORY-CONTEXT/notes/c.md",
            kind="note",
            title="Undated",
            body="hooks without a date",
        ),
    ]
    created = [await owner.upsert_memory_entry(e) for e in entries]
    hits = await owner.search_memory("hooks")
    assert {h.entry.id for h in hits} == {created[0].id, created[2].id}
    assert all("\x02" in h.snippet for h in hits)
    assert [h.entry.id for h in await owner.search_memory('"symlink verification"')] == [
        created[1].id
    ]
    assert [h.entry.id for h in await owner.search_memory("submod*")] == [created[1].id]
    kinds = await owner.search_memory("hooks", MemoryFilter(kinds=["checkpoint"]))
    assert [h.entry.id for h in kinds] == [created[0].id]
    both = MemoryFilter(kinds=["checkpoint", "session"], since=t0)  # a list and a date
    assert [h.entry.id for h in await owner.search_memory("hooks", both)] == [created[0].id]
    listed_both = (await owner.list_memory_entries(both)).items
    assert {e.id for e in listed_both} == {created[0].id, created[1].id}
    for bad in ('"unbalanced', "NEAR(", "*", "-", "AND"):
        with pytest.raises(InvalidInput):
            await owner.search_memory(bad)
    listed = (await owner.list_memory_entries()).items
    assert [e.id for e in listed] == [created[1].id, created[0].id, created[2].id]
    page1 = await owner.list_memory_entries(limit=2)
    page2 = await owner.list_memory_entries(cursor=page1.next_cursor, limit=2)
    assert [e.id for e in page1.items + page2.items] == [e.id for e in listed]
    assert await owner.get_memory_body(created[0].id) == "phase zero hooks are complete"
    updated = await owner.upsert_memory_entry(
        entries[0].model_copy(
            update={"title": "Migrations", "body": "rewritten text about migrations"}
        )
    )
    assert updated.id == created[0].id
    assert [h.entry.id for h in await owner.search_memory("hooks")] == [created[2].id]
    exported = [e.id async for e in owner.export_memory(MemoryFilter(kinds=["session", "note"]))]
    assert exported == [created[1].id, created[2].id]
    await owner.delete_memory_entry(created[2].id)
    assert await owner.search_memory("hooks") == []


async def test_memory_batch_and_filters(harness: Harness, owner: Backend) -> None:
    specs = [
        MemoryEntrySpec(
            path=f"/w/p{i % 2}/MEMORY-CONTEXT/{i}.md",
            kind="note",
            title=f"note {i}",
            body=f"batch body {i}",
            tags=["checkpoint:2025-11-22T04-15-36Z"] if i == 3 else [],
        )
        for i in range(6)
    ]
    entries = await owner.upsert_memory_entries(specs)
    assert [e.path for e in entries] == [s.path for s in specs]
    assert await owner.upsert_memory_entries([]) == []
    again = await owner.upsert_memory_entries([specs[0].model_copy(update={"title": "new"})])
    assert again[0].id == entries[0].id and again[0].title == "new"
    in_p1 = await owner.list_memory_entries(MemoryFilter(path_prefix="/w/p1/"))
    assert sorted(e.path for e in in_p1.items) == sorted(s.path for s in specs[1::2])
    assert (await owner.list_memory_entries(MemoryFilter(path_prefix="/w/p%"))).items == []
    tagged = await owner.list_memory_entries(MemoryFilter(tags=["checkpoint:2025-11-22T04-15-36Z"]))
    assert [e.id for e in tagged.items] == [entries[3].id]
    assert len(await owner.search_memory("batch", MemoryFilter(path_prefix="/w/p0/"))) == 3
    viewer = await harness.open("acme", "vic", "editor")
    try:
        with pytest.raises(PermissionDenied):  # editors update only their own entries
            await viewer.upsert_memory_entries(
                [
                    MemoryEntrySpec(path="/w/mine.md", kind="note", title="mine"),
                    specs[2].model_copy(update={"title": "not yours"}),
                ]
            )
    finally:
        await viewer.close()
    assert (await owner.list_memory_entries(MemoryFilter(path_prefix="/w/mine"))).items == []


async def test_memory_id_prefix_and_lookup(harness: Harness, owner: Backend) -> None:
    """``MemoryFilter.id_prefix`` matches the start of ids literally, in this tenant only;
    ``find_memory_entry`` resolves a unique prefix and names the count of an ambiguous one."""
    specs = [
        MemoryEntrySpec(path=f"/w/n{i}.md", kind="note", title=f"n{i}", body=f"b{i}")
        for i in range(17)
    ]
    ids = [e.id for e in await owner.upsert_memory_entries(specs)]
    other = await harness.open("globex", "gina", "owner")
    try:
        foreign = await other.upsert_memory_entry(
            MemoryEntrySpec(path="/w/g.md", kind="note", title="g", body="g")
        )
        with pytest.raises(InvalidInput, match="no memory entry"):
            await find_memory_entry(owner, foreign.id)  # another tenant's id is unknown here
    finally:
        await other.close()
    for entry_id in ids:
        listed = await owner.list_memory_entries(MemoryFilter(id_prefix=entry_id[:3]), limit=1000)
        assert {e.id for e in listed.items} == {i for i in ids if i.startswith(entry_id[:3])}
    # 17 ids over 16 hex digits: some first digit is shared (pigeonhole)
    first = next(c for c in "0123456789abcdef" if sum(i.startswith(c) for i in ids) >= 2)
    count = sum(i.startswith(first) for i in ids)
    with pytest.raises(InvalidInput, match=f"^{count} memory entries have an id starting with"):
        await find_memory_entry(owner, first)
    unique = next(
        i[:n] for i in ids for n in range(1, 33) if sum(j.startswith(i[:n]) for j in ids) == 1
    )
    assert (await find_memory_entry(owner, unique)).id.startswith(unique)
    assert (await find_memory_entry(owner, ids[0])).id == ids[0]
    for literal in ("%", "_", ids[0][:4] + "%"):  # LIKE wildcards are plain characters
        assert (await owner.list_memory_entries(MemoryFilter(id_prefix=literal))).items == []
    with pytest.raises(InvalidInput):
        await find_memory_entry(owner, " ")


async def test_status_history(owner: Backend) -> None:
    first = await owner.record_status(
        StatusSnapshotSpec(summary={"repos": 2, "dirty": 1}, repos=[{"name": "a"}, {"name": "b"}])
    )
    second = await owner.record_status(StatusSnapshotSpec(summary={"repos": 2, "dirty": 0}))
    listed = (await owner.list_status()).items
    assert [s.id for s in listed] == [second.id, first.id]
    assert listed[1].repos == [{"name": "a"}, {"name": "b"}]
    assert (await owner.list_status(until=first.taken_at)).items == []
    assert await owner.prune_status(second.taken_at) == 1
    assert [s.id for s in (await owner.list_status()).items] == [second.id]


async def test_members_and_owner_protection(owner: Backend) -> None:
    await owner.add_member("vic", "viewer")
    with pytest.raises(Conflict):
        await owner.add_member("vic", "viewer")
    with pytest.raises(InvalidInput):
        await owner.add_member("eve", "superuser")
    assert (await owner.set_member_role("vic", "editor")).role == "editor"
    assert [m.name for m in await owner.list_members()] == ["olivia", "vic"]
    with pytest.raises(Conflict):
        await owner.set_member_role("olivia", "admin")
    with pytest.raises(Conflict):
        await owner.remove_member("olivia")
    await owner.remove_member("vic")
    assert [m.name for m in await owner.list_members()] == ["olivia"]


async def test_member_quota(harness: Harness) -> None:
    # the smallest quotas a tier reachable over this backend has (customer_individual
    # has no remote_api: the tenant API refuses it outright, see test_tier_matrix.py)
    tier = "vendor" if harness.name.startswith("remote") else "customer_individual"
    quotas = shipped_policy().tier(tier).quotas
    solo = await harness.open("solo", "sam", "owner", tier=tier)
    try:
        for i in range(quotas.members - 1):  # the owner is the first member
            await solo.add_member(f"friend{i}", "viewer")
        with pytest.raises(QuotaExceeded, match=rf"{tier}.*{quotas.members} members"):
            await solo.add_member("friend", "viewer")
        for i in range(quotas.projects):
            await solo.upsert_project(ProjectSpec(name=f"p{i}"))
        with pytest.raises(QuotaExceeded, match=f"{quotas.projects} projects"):
            await solo.upsert_project(ProjectSpec(name="extra"))
        await solo.upsert_project(ProjectSpec(name="p0", description="updates still work"))
    finally:
        await solo.close()


async def test_api_keys(owner: Backend) -> None:
    present = {k.id for k in await owner.list_api_keys()}  # a remote harness's own key
    await owner.add_member("aud", "auditor", expires_at=utcnow() + timedelta(days=60))
    new = await owner.create_api_key()
    assert api_keys.is_well_formed(new.secret) and new.secret.startswith("cdt_usr_")
    assert new.info.prefix == new.secret[:12] and new.info.role == "owner"
    with pytest.raises(InvalidInput, match="expiry"):
        await owner.create_api_key(principal="aud")
    expiring = await owner.create_api_key(principal="aud", expires_at=utcnow() + timedelta(days=30))
    assert expiring.secret.startswith("cdt_aud_") and expiring.info.role == "auditor"
    with pytest.raises(InvalidInput, match="exceeds"):
        await owner.create_api_key(
            principal="aud", role="editor", expires_at=utcnow() + timedelta(days=1)
        )
    with pytest.raises(InvalidInput, match="past"):
        await owner.create_api_key(expires_at=utcnow() - timedelta(days=1))
    listed = await owner.list_api_keys()
    assert {k.id for k in listed} - present == {new.info.id, expiring.info.id}
    assert all(new.secret not in repr(k) for k in listed)
    revoked = await owner.revoke_api_key(new.info.id)
    assert revoked.revoked_at is not None
    await owner.remove_member("aud")
    assert all(k.revoked_at for k in await owner.list_api_keys() if k.id not in present)


async def test_audit_query_filters_and_pages(owner: Backend) -> None:
    for i in range(30):
        await owner.upsert_project(ProjectSpec(name=f"proj-{i:02d}"))
    await owner.add_member("vic", "viewer")
    creates = AuditFilter(action="projects.create")
    newest = await owner.query_audit(creates, limit=12)
    assert len(newest.items) == 12 and newest.next_cursor
    rest = await owner.query_audit(creates, cursor=newest.next_cursor, limit=100)
    seqs = [e.seq for e in newest.items + rest.items]
    assert len(seqs) == 30 and seqs == sorted(seqs, reverse=True)
    oldest = await owner.query_audit(creates, limit=5, ascending=True)
    assert [e.details["name"] for e in oldest.items] == [f"proj-{i:02d}" for i in range(5)]
    members_events = (
        await owner.query_audit(AuditFilter(resource_type="members", actor="olivia"))
    ).items
    assert members_events[0].action == "members.create"
    assert (await owner.query_audit(AuditFilter(text="PROJ-07"))).items[0].details[
        "name"
    ] == "proj-07"
    assert (await owner.query_audit(AuditFilter(actor="nobody"))).items == []
    future = utcnow() + timedelta(days=1)
    assert (await owner.query_audit(AuditFilter(since=future))).items == []
    assert len((await owner.query_audit(AuditFilter(until=future), limit=1000)).items) >= 31


async def test_every_change_is_audited_in_the_chain(owner: Backend) -> None:
    before = await _audit_count(owner)
    project = await owner.upsert_project(ProjectSpec(name="x"))
    await owner.delete_project(project.id)
    events = (await owner.query_audit(limit=3)).items
    assert [(e.seq, e.action, e.resource_id) for e in events] == [
        (before + 2, "projects.delete", project.id),
        (before + 1, "projects.create", project.id),
        (before, "audit.checkpoint", None),
    ]
    report = await owner.verify_audit()
    assert report.ok and report.rows == before + 2


async def test_export_is_recorded_and_streams_oldest_first(owner: Backend) -> None:
    for i in range(5):
        await owner.upsert_project(ProjectSpec(name=f"e{i}"))
    exported = [e async for e in owner.export_audit(AuditFilter(action="projects.create"))]
    assert [e.details["name"] for e in exported] == [f"e{i}" for i in range(5)]
    last = (await owner.query_audit(limit=1)).items[0]
    assert last.action == "audit.export" and last.details["filter"] == {"action": "projects.create"}


async def test_record_event_and_import(owner: Backend) -> None:
    seq = await owner.record_event(
        Resource.SESSIONS,
        Action.UPDATE,
        "sessions.push",
        "s1",
        outcome="error",
        details={"branch": "session/x", "sha": "abc"},
    )
    event = (await owner.query_audit(limit=1)).items[0]
    assert (event.seq, event.action, event.outcome, event.details["sha"]) == (
        seq,
        "sessions.push",
        "error",
        "abc",
    )
    with pytest.raises(InvalidInput):
        await owner.record_event(Resource.SESSIONS, Action.UPDATE, "projects.x", None)
    ts = datetime(2025, 11, 22, 8, 28, 11, tzinfo=UTC)
    specs = [
        AuditEventSpec(
            ts=ts + timedelta(seconds=i),
            actor="checkpoint-script",
            action="submodule.commit",
            resource_type="repos",
            resource_id=f"sub{i}",
            details={"i": i},
            source="audit-logs/x.json",
        )
        for i in range(4)
    ]
    assert await owner.import_audit_events(specs + specs[:1]) == 4
    assert await owner.import_audit_events(specs) == 0
    imported = (
        await owner.query_audit(AuditFilter(action="submodule.commit"), ascending=True)
    ).items
    assert (imported[0].source, imported[0].role, imported[0].ts) == (
        "audit-logs/x.json",
        "imported",
        "2025-11-22T08:28:11.000000Z",
    )
    assert (await owner.verify_audit()).ok


async def test_checkpoint_claim_checked(owner: Backend) -> None:
    head = await owner.audit_head()
    assert head.tenant == "acme"
    assert (await owner.verify_audit(checkpoint=(head.seq, head.hash))).ok
    wrong = await owner.verify_audit(checkpoint=(head.seq, "0" * 64))
    assert (wrong.ok, wrong.reason, wrong.first_bad_seq) == (False, "checkpoint_mismatch", head.seq)
    beyond = await owner.verify_audit(checkpoint=(head.seq + 50, head.hash))
    assert (beyond.ok, beyond.reason) == (False, "truncation")
    progress: list[tuple[int, int]] = []
    await owner.verify_audit(progress=lambda done, total: progress.append((done, total)))
    assert progress and progress[-1][0] == progress[-1][1]


async def test_denials_are_audited(harness: Harness, owner: Backend) -> None:
    viewer = await harness.open("acme", "vic", "viewer")
    try:
        with pytest.raises(PermissionDenied):
            await viewer.upsert_project(ProjectSpec(name="nope"))
        with pytest.raises(PermissionDenied):
            await viewer.query_audit()
    finally:
        await viewer.close()
    denied = (await owner.query_audit(AuditFilter(outcome="denied"))).items
    assert {(e.shown(e.actor), e.action) for e in denied} >= {
        ("vic", "audit.read"),
        ("vic", "projects.upsert_project"),
    }


async def test_audit_seq_bounds(owner: Backend) -> None:
    for i in range(10):
        await owner.upsert_project(ProjectSpec(name=f"s{i}"))
    newest = (await owner.query_audit(limit=1)).items[0].seq
    window = await owner.query_audit(AuditFilter(min_seq=newest - 4, max_seq=newest - 2))
    assert [e.seq for e in window.items] == [newest - 2, newest - 3, newest - 4]
    below = await owner.query_audit(AuditFilter(max_seq=3), limit=100)
    assert [e.seq for e in below.items] == [3, 2, 1]
    above = await owner.query_audit(AuditFilter(min_seq=newest - 1), ascending=True)
    assert [e.seq for e in above.items] == [newest - 1, newest]
    with pytest.raises(ValueError):
        AuditFilter(max_seq=0)
