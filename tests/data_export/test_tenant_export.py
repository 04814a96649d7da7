"""Tenant exports over real SQLite stores: layout, hashes, signatures, tamper detection,
subject access, atomicity, refusals, neutralised text and the CLI."""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from coditect_store.base import Provision
from coditect_store.store import SqlStore
from coditect_tui.core import checkpoints
from coditect_tui.core.backend import EXPORT_KINDS
from coditect_tui.core.data_export import (
    CHECKPOINT_NAME,
    FILE_NAMES,
    SIGNATURE_NAME,
    verify_tenant_export,
    write_tenant_export,
)
from coditect_tui.core.errors import InvalidInput, PermissionDenied
from coditect_tui.core.evidence import MANIFEST_NAME, SUMS_NAME
from coditect_tui.core.models import (
    AuditFilter,
    GitSessionSpec,
    MemoryEntrySpec,
    ProjectSpec,
    RepoSpec,
    StatusSnapshotSpec,
    utcnow,
)
from tests.git.helpers import run_cli

HOSTILE = "ed's \x1b]0;pwn\x07 \x9b31m \u202eevil\u2028x"
#: What must never reach an export file raw: C0 (but \n), DEL, C1, bidi, separators.
RAW_FORBIDDEN = [chr(c) for c in range(0x20) if c != 0x0A] + [
    "\x7f",
    *(chr(c) for c in range(0x80, 0xA0)),
    "\u202e",
    "\u2028",
    "\u2029",
]


async def _open(db: Path, principal: str, role: str = "owner", **kw: Any) -> SqlStore:
    return await SqlStore.open_sqlite(
        db, tenant="acme", principal=principal, provision=Provision("Acme", "internal", role), **kw
    )


async def _seed(db: Path) -> dict[str, Any]:
    owner = await _open(db, "olivia")
    editor = await _open(db, "ed", "editor")
    try:
        project = await owner.upsert_project(ProjectSpec(name="p"))
        repo = await owner.upsert_repo(RepoSpec(project_id=project.id, path="/r", name="r"))
        await owner.create_session(
            GitSessionSpec(
                repo_id=repo.id, session_key="k", description="d", branch="b", started_at=utcnow()
            )
        )
        await owner.record_status(StatusSnapshotSpec(summary={"repos": 1}))
        key = await owner.create_api_key()
        await editor.upsert_project(ProjectSpec(name="eds", description=HOSTILE))
        await editor.upsert_memory_entry(MemoryEntrySpec(path="e.md", kind="note", title=HOSTILE))
    finally:
        await owner.close()
        await editor.close()
    return {"secret": key.secret}


@pytest.fixture
def key() -> Any:
    return checkpoints.create_key()


@pytest.fixture
async def owner(tmp_path: Path) -> AsyncIterator[SqlStore]:
    db = tmp_path / "s.db"
    await _seed(db)
    store = await _open(db, "olivia")
    yield store
    await store.close()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_layout_manifest_sums_and_signature(
    owner: SqlStore, tmp_path: Path, key: Any
) -> None:
    target = tmp_path / "out" / "export"
    before = (await owner.query_audit(limit=1)).items[0].seq
    result = await write_tenant_export(owner, target, key=key)
    after = (await owner.query_audit(limit=1)).items[0].seq
    assert after == before + 1  # the export is one audited event
    names = {p.name for p in target.iterdir()}
    assert names == {
        *FILE_NAMES.values(),
        MANIFEST_NAME,
        SUMS_NAME,
        CHECKPOINT_NAME,
        SIGNATURE_NAME,
    }
    manifest = orjson.loads((target / MANIFEST_NAME).read_bytes())
    assert manifest["kind"] == "coditect-tenant-export" and manifest["format_version"] == 1
    assert manifest["tenant"]["name"] == "acme" and manifest["person"] is None
    assert manifest["exported_by"] == {"principal": "olivia", "role": "owner"}
    assert list(manifest["counts"]) == list(EXPORT_KINDS)
    assert manifest["counts"]["projects"] == 2 and manifest["counts"]["members"] == 2
    assert manifest["counts"]["audit"] == after and manifest["chain"]["contiguous"]
    for entry in manifest["files"]:
        file = target / entry["name"]
        assert entry["sha256"] == _sha(file) and entry["bytes"] == file.stat().st_size
        assert entry["rows"] == len(file.read_bytes().splitlines())
    sums = dict(
        reversed(line.split("  ")) for line in (target / SUMS_NAME).read_text().splitlines()
    )
    assert set(sums) == {*FILE_NAMES.values(), MANIFEST_NAME, CHECKPOINT_NAME}
    assert all(sums[name] == _sha(target / name) for name in sums)
    last = json.loads((target / "audit.jsonl").read_text().splitlines()[-1])
    assert last["action"] == "audit.tenant_export" and last["seq"] == after
    cp = checkpoints.read_checkpoint(target / CHECKPOINT_NAME, key.public_key(), tenant="acme")
    assert (cp.seq, cp.hash) == (last["seq"], last["hash"])
    check = verify_tenant_export(target, public=key.public_key())
    assert check.ok and check.signed and check.rows_checked == after, check.problems
    assert result.manifest.signature is not None
    # every file private
    assert {oct(p.stat().st_mode & 0o777) for p in target.iterdir()} == {"0o600"}
    assert oct(target.stat().st_mode & 0o777) == "0o700"


async def test_no_secret_and_no_raw_control_character(tmp_path: Path, key: Any) -> None:
    db = tmp_path / "s.db"
    made = await _seed(db)
    owner = await _open(db, "olivia")
    try:
        await write_tenant_export(owner, tmp_path / "x", key=key)
    finally:
        await owner.close()
    blob = b"".join((tmp_path / "x" / name).read_bytes() for name in FILE_NAMES.values())
    assert made["secret"].encode() not in blob and b"key_hash" not in blob
    assert made["secret"][-24:].encode() not in blob  # not even the random part
    text = blob.decode()
    assert not [c for c in RAW_FORBIDDEN if c in text]
    assert "\\u001b]0;pwn\\u0007" in text and "\\u202eevil\\u2028x" in text
    # a JSON reader gets the text back unchanged
    projects = [json.loads(line) for line in (tmp_path / "x" / "projects.jsonl").open()]
    assert HOSTILE in {p["description"] for p in projects}


async def test_subject_access_holds_only_that_person(owner: SqlStore, tmp_path: Path) -> None:
    result = await write_tenant_export(owner, tmp_path / "ed", person="ed")
    counts = result.manifest.counts
    assert result.manifest.person == "ed"
    assert (counts["members"], counts["projects"], counts["memory"]) == (1, 1, 1)
    assert counts["repos"] == counts["sessions"] == counts["status"] == 0
    events = [json.loads(line) for line in (tmp_path / "ed" / "audit.jsonl").open()]
    assert events and all(
        "ed" in (e["names"].get(e["actor"]), e["names"].get(e["resource_id"])) for e in events
    )
    assert not result.manifest.chain.contiguous
    check = verify_tenant_export(tmp_path / "ed", allow_unsigned=True)
    assert check.ok and check.rows_checked == len(events), check.problems
    # unsigned exports fail verification unless allowed
    assert not verify_tenant_export(tmp_path / "ed").ok


def _copy(src: Path, tmp_path: Path, name: str) -> Path:
    dst = tmp_path / name
    shutil.copytree(src, dst)
    return dst


async def test_a_changed_byte_fails_naming_the_file(
    owner: SqlStore, tmp_path: Path, key: Any
) -> None:
    good = tmp_path / "good"
    await write_tenant_export(owner, good, key=key)
    public = key.public_key()
    assert verify_tenant_export(good, public=public).ok
    for name in (*FILE_NAMES.values(), MANIFEST_NAME, SUMS_NAME, CHECKPOINT_NAME, SIGNATURE_NAME):
        bad = _copy(good, tmp_path, f"bad-{name}")
        data = bytearray((bad / name).read_bytes())
        middle = len(data) // 2
        data[middle] = ord("0") if data[middle] != ord("0") else ord("1")
        (bad / name).write_bytes(bytes(data))
        check = verify_tenant_export(bad, public=public)
        assert not check.ok, name
        assert check.problems[0].split(":")[0].endswith(name), (name, check.problems)
    # rewriting a file and every hash (manifest and SHA256SUMS) still fails the signature
    forged = _copy(good, tmp_path, "forged")
    projects = forged / "projects.jsonl"
    projects.write_bytes(projects.read_bytes().replace(b'"p"', b'"q"'))
    manifest = orjson.loads((forged / MANIFEST_NAME).read_bytes())
    for entry in manifest["files"]:
        if entry["name"] == "projects.jsonl":
            entry["sha256"], entry["bytes"] = _sha(projects), projects.stat().st_size
    (forged / MANIFEST_NAME).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    (forged / SUMS_NAME).write_text(
        "".join(
            f"{_sha(forged / n)}  {n}\n"
            for n in (*FILE_NAMES.values(), CHECKPOINT_NAME, MANIFEST_NAME)
        )
    )
    check = verify_tenant_export(forged, public=public)
    assert not check.ok and check.problems == (
        f"{SIGNATURE_NAME}: signature does not verify with the signing key "
        f"(key {checkpoints.key_id(public)}): forged or altered",
    )
    # a removed audit record breaks the chain check
    cut = _copy(good, tmp_path, "cut")
    lines = (cut / "audit.jsonl").read_bytes().splitlines(keepends=True)
    (cut / "audit.jsonl").write_bytes(b"".join(lines[:2] + lines[3:]))
    assert any(
        p.startswith("audit.jsonl") for p in verify_tenant_export(cut, public=public).problems
    )
    # an extra file is named
    extra = _copy(good, tmp_path, "extra")
    (extra / "notes.txt").write_text("x")
    assert verify_tenant_export(extra, public=public).problems == (
        "notes.txt: not listed in the manifest",
    )


async def test_a_role_without_export_is_refused_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    db = tmp_path / "s.db"
    await _seed(db)
    editor = await _open(db, "ed", "editor")
    try:
        with pytest.raises(PermissionDenied):
            await write_tenant_export(editor, tmp_path / "no")
    finally:
        await editor.close()
    assert not (tmp_path / "no").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".no")] == []
    owner = await _open(db, "olivia")
    try:
        denied = await owner.query_audit(AuditFilter(actor="ed", outcome="denied"))
    finally:
        await owner.close()
    assert [e.action for e in denied.items] == ["audit.tenant_export"]


async def test_targets_atomicity(owner: SqlStore, tmp_path: Path) -> None:
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    with pytest.raises(InvalidInput, match="not empty"):
        await write_tenant_export(owner, full)
    assert [p.name for p in full.iterdir()] == ["keep.txt"]
    (tmp_path / "file").write_text("x")
    with pytest.raises(InvalidInput, match="not a folder"):
        await write_tenant_export(owner, tmp_path / "file")
    with pytest.raises(InvalidInput):
        await write_tenant_export(owner, tmp_path / "blank", person="  ")
    assert not (tmp_path / "blank").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    result = await write_tenant_export(owner, empty)
    assert result.path == empty and (empty / MANIFEST_NAME).is_file()

    class Broken:
        """The store, but the stream fails after the members."""

        def __getattr__(self, name: str) -> Any:
            return getattr(owner, name)

        async def export_tenant(self, person: str | None = None) -> AsyncIterator[Any]:
            async for record in owner.export_tenant(person):
                if record.kind == "projects":
                    raise OSError("disk full")
                yield record

    with pytest.raises(OSError, match="disk full"):
        await write_tenant_export(Broken(), tmp_path / "half")  # type: ignore[arg-type]
    assert not (tmp_path / "half").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".half")] == []


def _config(tmp_path: Path, db: Path, role: str = "owner", principal: str = "olivia") -> str:
    config = tmp_path / f"{principal}.yaml"
    config.write_text(
        f"default_tenant: acme\ntenants:\n  - name: acme\n    principal: {principal}\n"
        f"    role: {role}\n    tier: internal\n"
        f"    backend: {{kind: local, path: {json.dumps(str(db))}}}\n"
    )
    return str(config)


def test_cli_export_verify_tamper_and_refusals(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    asyncio.run(_seed(db))
    config = _config(tmp_path, db)
    out = tmp_path / "export"
    no_key = run_cli("tenant", "export", str(out), "--config", config)
    assert no_key.returncode == 2 and no_key.stderr.count("\n") == 1, no_key.stderr
    assert "--unsigned" in no_key.stderr and not out.exists()
    made = run_cli("audit", "checkpoint", "--new-key", "--config", config)
    assert made.returncode == 0, made.stderr
    done = run_cli("tenant", "export", str(out), "--config", config, "--json")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["manifest"]["counts"]["projects"] == 2 and answer["manifest"]["signature"]
    ok = run_cli("tenant", "verify", str(out), "--config", config)
    assert ok.returncode == 0 and ok.stdout.startswith("ok: "), ok.stderr
    assert "signature and checkpoint verified" in ok.stdout
    again = run_cli("tenant", "export", str(out), "--config", config)
    assert again.returncode == 2 and "not empty" in again.stderr
    assert again.stderr.count("\n") == 1
    # one changed byte: a one-line error naming the file, exit 2
    memory = out / "memory.jsonl"
    memory.write_bytes(memory.read_bytes().replace(b"e.md", b"f.md"))
    bad = run_cli("tenant", "verify", str(out), "--config", config)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1, bad.stderr
    assert bad.stderr.startswith("FAILED: memory.jsonl: ")
    # subject access, unsigned
    person = tmp_path / "ed"
    mine = run_cli(
        "tenant", "export", str(person), "--person", "ed", "--unsigned", "--config", config
    )
    assert mine.returncode == 0 and "person ed of tenant acme" in mine.stdout, mine.stderr
    assert run_cli("tenant", "verify", str(person), "--config", config).returncode == 2
    loose = run_cli("tenant", "verify", str(person), "--allow-unsigned", "--config", config)
    assert loose.returncode == 0, loose.stderr
    # a role without export rights: one line, non-zero, nothing written
    viewer = _config(tmp_path, db, "viewer", "vic")
    asyncio.run(_add_member("vic", "viewer", db))
    refused = run_cli("tenant", "export", str(tmp_path / "v"), "--unsigned", "--config", viewer)
    assert refused.returncode != 0 and refused.stderr.count("\n") == 1, refused.stderr
    assert "Traceback" not in refused.stderr and not (tmp_path / "v").exists()


async def _add_member(name: str, role: str, db: Path) -> None:
    owner = await _open(db, "olivia")
    try:
        await owner.add_member(name, role)
    finally:
        await owner.close()


_EXPORTER = """
  exporter:
    description: Exports the membership and the audit log, reads nothing else.
    permissions:
      members: {read: tenant}
      audit: {read: tenant, export: tenant}
"""


async def test_what_the_role_may_not_read_is_left_out_named_and_signed(
    tmp_path: Path, key: Any
) -> None:
    from coditect_tui.core.paths import shipped_config_dir
    from coditect_tui.core.policy import Policy

    config = tmp_path / "policy"
    config.mkdir()
    shipped = shipped_config_dir()
    (config / "roles.yaml").write_text((shipped / "roles.yaml").read_text() + _EXPORTER)
    (config / "tiers.yaml").write_text((shipped / "tiers.yaml").read_text())
    policy = Policy.load(config)
    db = tmp_path / "r.db"
    await _seed(db)
    owner = await _open(db, "olivia", policy=policy)
    try:
        await owner.add_member("eve", "exporter")
    finally:
        await owner.close()
    eve = await _open(db, "eve", "exporter", policy=policy)
    try:
        result = await write_tenant_export(eve, tmp_path / "export", key=key)
    finally:
        await eve.close()
    manifest = result.manifest
    left_out = ["projects", "repos", "sessions", "memory", "status"]
    assert [(o.kind, o.reason) for o in manifest.omitted] == [(k, "role") for k in left_out]
    assert "role 'exporter' may not read projects" in manifest.omitted[0].detail
    assert sorted(p.name for p in result.path.glob("*.jsonl")) == ["audit.jsonl", "members.jsonl"]
    assert set(manifest.counts) == {"members", "audit"} and manifest.counts["members"] == 3
    check = verify_tenant_export(result.path, public=key.public_key())
    assert check.ok and check.signed, check.problems
    # what was left out is part of the signed manifest: dropping a line is caught
    path = result.path / MANIFEST_NAME
    data = json.loads(path.read_text())
    data["omitted"] = data["omitted"][1:]
    path.write_text(json.dumps(data, indent=2) + "\n")
    tampered = verify_tenant_export(result.path, public=key.public_key())
    assert not tampered.ok
    assert any("does not list one file per exported kind" in p for p in tampered.problems)


def test_cli_exports_what_the_tier_allows(tmp_path: Path) -> None:
    """The auditor tier has no projects, memory or dashboard: the export holds members
    and audit records, says what it left out, and verifies."""
    db = tmp_path / "auditor.db"
    config = Path(_config(tmp_path, db))
    config.write_text(config.read_text().replace("tier: internal", "tier: auditor"))
    out = tmp_path / "export"
    done = run_cli("tenant", "export", str(out), "--unsigned", "--config", str(config))
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith(
        "left out (see manifest.json): projects (tier), repos (tier), sessions (tier), "
        "memory (tier), status (tier)"
    ), done.stdout
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    assert [o["kind"] for o in manifest["omitted"]] == [
        "projects",
        "repos",
        "sessions",
        "memory",
        "status",
    ]
    ok = run_cli("tenant", "verify", str(out), "--allow-unsigned", "--config", str(config))
    assert ok.returncode == 0 and ok.stdout.startswith("ok: "), ok.stderr
