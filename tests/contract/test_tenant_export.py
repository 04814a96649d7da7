"""``Backend.export_tenant`` on every backend: everything, one person, refusals, one event."""

from __future__ import annotations

from collections import Counter
from typing import Any

import orjson
import pytest

from coditect_tui.core.backend import EXPORT_KINDS, Backend, TenantRecord
from coditect_tui.core.errors import InvalidInput, PermissionDenied
from coditect_tui.core.models import (
    AuditFilter,
    GitSessionSpec,
    MemoryEntrySpec,
    ProjectSpec,
    RepoSpec,
    StatusSnapshotSpec,
    utcnow,
)
from tests.contract.harness import Harness


async def _drain(backend: Backend, person: str | None = None) -> list[TenantRecord]:
    return [r async for r in backend.export_tenant(person)]


async def _last_seq(backend: Backend) -> int:
    page = await backend.query_audit(limit=1)
    return page.items[0].seq


async def _fill(owner: Backend, editor: Backend) -> dict[str, Any]:
    project = await owner.upsert_project(ProjectSpec(name="p"))
    repo = await owner.upsert_repo(RepoSpec(project_id=project.id, path="/r", name="r"))
    await owner.create_session(
        GitSessionSpec(
            repo_id=repo.id, session_key="k", description="d", branch="b", started_at=utcnow()
        )
    )
    await owner.upsert_memory_entry(MemoryEntrySpec(path="o.md", kind="note", title="owner's"))
    await owner.record_status(StatusSnapshotSpec(summary={"repos": 1}))
    key = await owner.create_api_key()
    mine = await editor.upsert_project(ProjectSpec(name="eds"))
    await editor.upsert_memory_entry(
        MemoryEntrySpec(path="e.md", kind="note", title="ed's \x1b]0;pwn\x07", body="ed's words")
    )
    return {"key": key, "editor_project": mine.id}


async def test_owner_exports_everything_of_the_tenant(harness: Harness) -> None:
    owner = await harness.open("acme", "olivia", "owner")
    editor = await harness.open("acme", "ed", "editor")
    other = await harness.open("globex", "gus", "owner")
    try:
        made = await _fill(owner, editor)
        await other.upsert_project(ProjectSpec(name="foreign"))
        before = await _last_seq(owner)
        records = await _drain(owner)
        after = await _last_seq(owner)
    finally:
        for b in (owner, editor, other):
            await b.close()
    kinds = [r.kind for r in records]
    assert kinds == sorted(kinds, key=EXPORT_KINDS.index)  # kind by kind, in order
    counts = Counter(kinds)
    assert counts["members"] == 2
    assert counts["projects"] == 2 and counts["repos"] == 1 and counts["sessions"] == 1
    assert counts["memory"] == 2 and counts["status"] == 1
    assert {r.item["name"] for r in records if r.kind == "projects"} == {"p", "eds"}
    bodies = {r.item["path"]: r.item["body"] for r in records if r.kind == "memory"}
    assert bodies == {"o.md": "", "e.md": "ed's words"}  # the indexed text goes with it
    # the export is one event, recorded before the first record: the last audit record
    assert after == before + 1
    audit = [r.item for r in records if r.kind == "audit"]
    assert audit[-1]["seq"] == after and audit[-1]["action"] == "audit.tenant_export"
    assert [e["seq"] for e in audit] == list(range(1, after + 1))
    # never a secret, key hash or token
    dump = orjson.dumps([r.model_dump(mode="json") for r in records])
    assert made["key"].secret.encode() not in dump
    assert b"key_hash" not in dump
    assert b"foreign" not in dump


async def test_person_export_holds_only_their_data(harness: Harness) -> None:
    owner = await harness.open("acme", "olivia", "owner")
    editor = await harness.open("acme", "ed", "editor")
    try:
        made = await _fill(owner, editor)
        records = await _drain(owner, "ed")
        event = (await owner.query_audit(AuditFilter(action="audit.tenant_export"))).items[0]
    finally:
        await owner.close()
        await editor.close()
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        by_kind.setdefault(r.kind, []).append(r.item)
    assert [m["name"] for m in by_kind["members"]] == ["ed"]
    assert [p["id"] for p in by_kind["projects"]] == [made["editor_project"]]
    assert [(m["path"], m["body"]) for m in by_kind["memory"]] == [("e.md", "ed's words")]
    assert "repos" not in by_kind and "sessions" not in by_kind and "status" not in by_kind
    assert by_kind["audit"]
    shown = [
        (e["names"].get(e["actor"]), e["names"].get(e["resource_id"])) for e in by_kind["audit"]
    ]
    assert all("ed" in who for who in shown)
    # olivia's addition of ed names ed, and the export itself names ed
    assert any(actor == "olivia" for actor, _ in shown)
    assert event.shown(event.resource_id) == "ed" and event.shown(event.details["person"]) == "ed"


@pytest.mark.parametrize("role", ["editor", "viewer", "consultant", "support"])
async def test_a_role_without_export_is_refused_and_audited(harness: Harness, role: str) -> None:
    owner = await harness.open("acme", "olivia", "owner")
    someone = await harness.open("acme", "sam", role)
    try:
        with pytest.raises(PermissionDenied):
            await _drain(someone)
        denied = await owner.query_audit(AuditFilter(actor="sam", outcome="denied"))
    finally:
        await owner.close()
        await someone.close()
    assert [e.action for e in denied.items] == ["audit.tenant_export"]


async def test_the_auditor_exports_read_only(harness: Harness) -> None:
    owner = await harness.open("acme", "olivia", "owner")
    auditor = await harness.open("acme", "ada", "auditor", read_only=True)
    try:
        await owner.upsert_project(ProjectSpec(name="p"))
        records = await _drain(auditor)
    finally:
        await owner.close()
        await auditor.close()
    assert [r.item["name"] for r in records if r.kind == "projects"] == ["p"]
    assert records[-1].item["action"] == "audit.tenant_export"


async def test_an_empty_person_is_invalid(owner: Backend) -> None:
    with pytest.raises(InvalidInput):
        await _drain(owner, " ")


async def test_the_export_folder_verifies_on_every_backend(owner: Backend, tmp_path: Any) -> None:
    from coditect_tui.core import checkpoints
    from coditect_tui.core.data_export import verify_tenant_export, write_tenant_export

    await owner.upsert_project(ProjectSpec(name="p", description="\x1b[31mred\u202e"))
    key = checkpoints.create_key()
    result = await write_tenant_export(owner, tmp_path / "export", key=key)
    check = verify_tenant_export(result.path, public=key.public_key())
    assert check.ok and check.signed, check.problems
    assert result.manifest.counts["projects"] == 1
    assert b"\x1b" not in (result.path / "projects.jsonl").read_bytes()


_LEFT_OUT_BY_TIER = ["projects", "repos", "sessions", "memory", "status"]


async def test_the_tier_decides_what_is_exported_and_names_what_it_left_out(
    harness: Harness,
) -> None:
    """An owner in the auditor tier (audit, no projects, memory or dashboard): members
    and the audit records are exported, the other kinds are named first, with the
    tier as the reason, and the export's event says so."""
    owner = await harness.open("acme", "olivia", "owner", tier="auditor")
    try:
        records = await _drain(owner)
        event = (await owner.query_audit(AuditFilter(action="audit.tenant_export"))).items[0]
    finally:
        await owner.close()
    omitted = [r.item for r in records if r.kind == "omitted"]
    assert [(o["kind"], o["reason"]) for o in omitted] == [(k, "tier") for k in _LEFT_OUT_BY_TIER]
    assert all("tier 'auditor' does not include" in o["detail"] for o in omitted), omitted
    kinds = [r.kind for r in records]
    assert kinds[: len(omitted)] == ["omitted"] * len(omitted)  # named before the data
    assert set(kinds) == {"omitted", "members", "audit"}
    assert event.details["omitted"] == dict.fromkeys(_LEFT_OUT_BY_TIER, "tier")


async def test_a_feature_flag_leaves_memory_out_for_one_member(harness: Harness) -> None:
    owner = await harness.open("acme", "olivia", "owner")
    await owner.add_member("adam", "admin")
    await owner.set_flag("memory", False, stakeholder="adam")
    await owner.upsert_memory_entry(MemoryEntrySpec(path="o.md", kind="note", title="o"))
    admin = await harness.open("acme", "adam", "admin")  # a local handle reads flags on open
    try:
        mine = await _drain(admin)
        everything = await _drain(owner)
    finally:
        await owner.close()
        await admin.close()
    omitted = [r.item for r in mine if r.kind == "omitted"]
    assert [(o["kind"], o["reason"]) for o in omitted] == [("memory", "tier")]
    assert "stakeholder override" in omitted[0]["detail"]
    assert "memory" not in {r.kind for r in mine}
    assert "omitted" not in {r.kind for r in everything}
    assert [r.item["path"] for r in everything if r.kind == "memory"] == ["o.md"]
