"""Every (role, resource, action) of roles.yaml tried against the backend.

Allowed exactly where the file says: an operation must succeed when the matrix grants
every permission it needs, and raise PermissionDenied otherwise. For ``own`` scopes the
operation is tried on another principal's row (denied) and on the subject's own row.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from coditect_tui.core.backend import Backend
from coditect_tui.core.errors import PermissionDenied
from coditect_tui.core.models import (
    Action,
    GitSessionSpec,
    GitSessionUpdate,
    MemoryEntrySpec,
    ProjectSpec,
    RepoSpec,
    Resource,
    Scope,
    StatusSnapshotSpec,
    utcnow,
)
from coditect_tui.core.policy import OPERATIONS, shipped_policy
from tests.contract.harness import QUIET_WEBHOOK, Harness, SqliteHarness

POLICY = shipped_policy()
Pair = tuple[Resource, Action]


@dataclass
class World:
    """Rows created by the owner ("other") and by the subject ("own")."""

    project: str = ""
    repo: str = ""
    other: dict[str, str] = field(default_factory=dict)
    own: dict[str, str] = field(default_factory=dict)
    counter: int = 0

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}-{self.counter}"


async def _make_rows(backend: Backend, world: World, who: str) -> dict[str, str]:
    session = await backend.create_session(
        GitSessionSpec(
            repo_id=world.repo,
            session_key=world.fresh(who),
            description="d",
            branch="session/x",
            started_at=utcnow(),
        )
    )
    entry = await backend.upsert_memory_entry(
        MemoryEntrySpec(path=world.fresh(f"{who}/m.md"), kind="note", title="t", body="body text")
    )
    key = await backend.create_api_key()
    project = await backend.upsert_project(ProjectSpec(name=world.fresh(f"{who}-project")))
    repo = await backend.upsert_repo(
        RepoSpec(project_id=world.project, path=world.fresh(f"/{who}/repo"), name="r")
    )
    hook = await backend.add_webhook(QUIET_WEBHOOK)
    return {
        "webhook": hook.info.id,
        "session": session.id,
        "memory": entry.id,
        "memory_path": entry.path,
        "key": key.info.id,
        "project": project.id,
        "project_name": project.name,
        "repo": repo.id,
        "repo_path": repo.path,
    }


Op = Callable[[Backend, World, dict[str, str]], Awaitable[Any]]


async def _drain(iterator: Any) -> list[Any]:
    return [item async for item in iterator]


# (resource, action) -> (operation on a row set, extra pairs the operation also needs)
OPS: dict[Pair, tuple[Op, tuple[Pair, ...]]] = {
    (Resource.PROJECTS, Action.READ): (lambda b, w, rows: b.get_project(rows["project"]), ()),
    (Resource.PROJECTS, Action.CREATE): (
        lambda b, w, rows: b.upsert_project(ProjectSpec(name=w.fresh("new"))),
        (),
    ),
    (Resource.PROJECTS, Action.UPDATE): (
        lambda b, w, rows: b.upsert_project(
            ProjectSpec(name=rows["project_name"], description=w.fresh("d"))
        ),
        (),
    ),
    (Resource.PROJECTS, Action.DELETE): (lambda b, w, rows: b.delete_project(rows["project"]), ()),
    (Resource.REPOS, Action.READ): (lambda b, w, rows: b.get_repo(rows["repo"]), ()),
    (Resource.REPOS, Action.CREATE): (
        lambda b, w, rows: b.upsert_repo(
            RepoSpec(project_id=w.project, path=w.fresh("/new"), name="n")
        ),
        (),
    ),
    (Resource.REPOS, Action.UPDATE): (
        lambda b, w, rows: b.upsert_repo(
            RepoSpec(project_id=w.project, path=rows["repo_path"], name=w.fresh("renamed"))
        ),
        (),
    ),
    (Resource.REPOS, Action.DELETE): (lambda b, w, rows: b.delete_repo(rows["repo"]), ()),
    (Resource.SESSIONS, Action.READ): (lambda b, w, rows: b.get_session(rows["session"]), ()),
    (Resource.SESSIONS, Action.CREATE): (
        lambda b, w, rows: b.create_session(
            GitSessionSpec(
                repo_id=w.repo,
                session_key=w.fresh("k"),
                description="d",
                branch="b",
                started_at=utcnow(),
            )
        ),
        (),
    ),
    (Resource.SESSIONS, Action.UPDATE): (
        lambda b, w, rows: b.update_session(
            rows["session"], GitSessionUpdate(commit_count=w.counter)
        ),
        (),
    ),
    (Resource.SESSIONS, Action.DELETE): (lambda b, w, rows: b.delete_session(rows["session"]), ()),
    (Resource.MEMORY, Action.READ): (lambda b, w, rows: b.get_memory_body(rows["memory"]), ()),
    (Resource.MEMORY, Action.CREATE): (
        lambda b, w, rows: b.upsert_memory_entry(
            MemoryEntrySpec(path=w.fresh("new.md"), kind="note", title="t")
        ),
        (),
    ),
    (Resource.MEMORY, Action.UPDATE): (
        lambda b, w, rows: b.upsert_memory_entry(
            MemoryEntrySpec(path=rows["memory_path"], kind="note", title=w.fresh("t"))
        ),
        (),
    ),
    (Resource.MEMORY, Action.DELETE): (
        lambda b, w, rows: b.delete_memory_entry(rows["memory"]),
        (),
    ),
    (Resource.MEMORY, Action.EXPORT): (lambda b, w, rows: _drain(b.export_memory()), ()),
    (Resource.STATUS, Action.READ): (lambda b, w, rows: b.list_status(), ()),
    (Resource.STATUS, Action.CREATE): (
        lambda b, w, rows: b.record_status(StatusSnapshotSpec(summary={})),
        (),
    ),
    (Resource.STATUS, Action.DELETE): (
        lambda b, w, rows: b.prune_status(utcnow() - timedelta(days=365)),
        (),
    ),
    (Resource.MEMBERS, Action.READ): (lambda b, w, rows: b.list_members(), ()),
    (Resource.MEMBERS, Action.CREATE): (
        lambda b, w, rows: b.add_member(w.fresh("newbie"), "viewer"),
        (),
    ),
    (Resource.MEMBERS, Action.UPDATE): (
        lambda b, w, rows: b.set_member_role("victor", "editor"),
        (),
    ),
    (Resource.MEMBERS, Action.DELETE): (lambda b, w, rows: b.remove_member("walter"), ()),
    (Resource.MEMBERS, Action.ADMIN): (
        lambda b, w, rows: b.add_member(w.fresh("boss"), "admin"),
        ((Resource.MEMBERS, Action.CREATE),),
    ),
    (Resource.API_KEYS, Action.READ): (lambda b, w, rows: b.list_api_keys(), ()),
    (Resource.API_KEYS, Action.CREATE): (lambda b, w, rows: b.create_api_key(), ()),
    (Resource.API_KEYS, Action.DELETE): (lambda b, w, rows: b.revoke_api_key(rows["key"]), ()),
    (Resource.API_KEYS, Action.ADMIN): (
        lambda b, w, rows: b.create_api_key(principal="victor", role="viewer"),
        ((Resource.API_KEYS, Action.CREATE),),
    ),
    (Resource.AUDIT, Action.READ): (lambda b, w, rows: b.query_audit(limit=5), ()),
    (Resource.AUDIT, Action.EXPORT): (lambda b, w, rows: _drain(b.export_audit()), ()),
    (Resource.AUDIT, Action.ADMIN): (lambda b, w, rows: b.audit_head(), ()),
    (Resource.WEBHOOKS, Action.READ): (lambda b, w, rows: b.list_webhook_deliveries(), ()),
    (Resource.WEBHOOKS, Action.CREATE): (lambda b, w, rows: b.add_webhook(QUIET_WEBHOOK), ()),
    (Resource.WEBHOOKS, Action.DELETE): (
        lambda b, w, rows: b.remove_webhook(rows["webhook"]),
        (),
    ),
}


#: Operations that act on one existing row (an ``own`` scope then depends on its owner).
ROW_OPS: set[Pair] = {
    (r, a)
    for r in (Resource.PROJECTS, Resource.REPOS, Resource.SESSIONS, Resource.MEMORY)
    for a in (Action.READ, Action.UPDATE, Action.DELETE)
} | {(Resource.API_KEYS, Action.DELETE)}


def test_every_operation_pair_is_covered() -> None:
    pairs = {(r, a) for r, actions in OPERATIONS.items() for a in actions}
    assert set(OPS) == pairs


def _granted(role: str, pair: Pair) -> Scope | None:
    return POLICY.scope(role, *pair)


def _expected(role: str, pair: Pair, extra: tuple[Pair, ...], *, on_own_row: bool) -> bool:
    scopes = [_granted(role, p) for p in (pair, *extra)]
    if any(s is None for s in scopes):
        return False
    if POLICY.role(role).read_only and pair[1] not in (Action.READ, Action.EXPORT):
        return False
    return on_own_row or pair not in ROW_OPS or scopes[0] is Scope.TENANT


@pytest.mark.parametrize("role", sorted(POLICY.roles))
async def test_role_matrix(harness: Harness, role: str) -> None:
    owner = await harness.open("acme", "olivia", "owner")
    world = World()
    project = await owner.upsert_project(ProjectSpec(name="base"))
    world.project = project.id
    world.repo = (
        await owner.upsert_repo(RepoSpec(project_id=project.id, path="/base", name="base"))
    ).id
    # The subject creates rows of its own while acting as owner, then acts as `role`.
    setup = await harness.open("acme", "sid", "owner")
    world.own = await _make_rows(setup, world, "sid")
    await setup.close()
    subject = await harness.open("acme", "sid", role)
    failures: list[str] = []
    try:
        for pair, (operation, extra) in OPS.items():
            owned_variants = [False]
            if pair in ROW_OPS and _granted(role, pair) is Scope.OWN:
                owned_variants.append(True)
            for on_own_row in owned_variants:
                # fresh target rows owned by someone else for every attempt
                world.other = await _make_rows(owner, world, "olivia")
                for name in ("victor", "walter"):
                    if name not in {m.name for m in await owner.list_members()}:
                        await owner.add_member(name, "viewer")
                rows = world.own if on_own_row else world.other
                if on_own_row:
                    setup = await harness.open("acme", "sid", "owner")
                    world.own = rows = await _make_rows(setup, world, "sid")
                    await setup.close()
                want = _expected(role, pair, extra, on_own_row=on_own_row)
                label = f"{role} {pair[0]}.{pair[1]} ({'own' if on_own_row else 'other'} row)"
                try:
                    await operation(subject, world, rows)
                    allowed = True
                except PermissionDenied:
                    allowed = False
                if allowed != want:
                    failures.append(f"{label}: allowed={allowed}, roles.yaml says {want}")
    finally:
        await subject.close()
        await owner.close()
    assert not failures, "\n".join(failures)


async def test_own_scope_lists_only_own_rows(harness: Harness) -> None:
    owner = await harness.open("acme", "olivia", "owner")
    viewer = await harness.open("acme", "vic", "viewer")
    try:
        present = {k.id for k in await owner.list_api_keys()}  # remote harnesses' own keys
        await owner.create_api_key()
        mine = await viewer.create_api_key()
        assert POLICY.scope("viewer", Resource.API_KEYS, Action.READ) is Scope.OWN
        seen = await viewer.list_api_keys()
        assert [k.id for k in seen if k.id not in present] == [mine.info.id]
        assert {k.principal for k in seen} == {"vic"}
        assert len({k.id for k in await owner.list_api_keys()} - present) == 2
    finally:
        await viewer.close()
        await owner.close()


async def test_a_profile_never_acts_above_its_membership(tmp_path: Path) -> None:
    # Only the local store provisions a profile itself, so this case is not a contract one.
    from coditect_store.base import Provision
    from coditect_store.store import SqlStore

    path = tmp_path / "store.db"
    owner = await SqliteHarness(path).open("acme", "olivia", "owner")
    await owner.add_member("carl", "consultant")
    await owner.close()
    asks_more = await SqlStore.open_sqlite(
        path, tenant="acme", principal="carl", provision=Provision("Acme", "internal", "owner")
    )
    asks_less = await SqlStore.open_sqlite(
        path, tenant="acme", principal="olivia", provision=Provision("Acme", "internal", "auditor")
    )
    try:
        assert (await asks_more.whoami()).role == "consultant"
        with pytest.raises(PermissionDenied):
            await asks_more.query_audit()
        me = await asks_less.whoami()
        assert (me.role, me.read_only) == ("auditor", True)
    finally:
        await asks_more.close()
        await asks_less.close()
