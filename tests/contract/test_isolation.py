"""Tenant isolation as a property: principals of 3 tenants doing random operations never
see or change another tenant's rows."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coditect_tui.core.backend import Backend
from coditect_tui.core.errors import NotFound
from coditect_tui.core.models import (
    GitSessionSpec,
    GitSessionUpdate,
    MemoryEntrySpec,
    ProjectSpec,
    RepoSpec,
    StatusSnapshotSpec,
    utcnow,
)
from tests.contract.harness import Harness

KINDS = ("project", "repo", "session", "memory")
tenant_index = st.integers(0, 2)
pick = st.integers(0, 1_000)
word = st.sampled_from(["alpha", "beta", "shared"])
operation = st.one_of(
    st.tuples(st.just("create"), tenant_index, st.sampled_from(KINDS), word),
    st.tuples(st.just("same_name"), tenant_index, word),
    st.tuples(st.just("foreign_read"), tenant_index, st.sampled_from(KINDS), pick),
    st.tuples(st.just("foreign_change"), tenant_index, st.sampled_from(KINDS), pick),
    st.tuples(st.just("foreign_parent"), tenant_index, pick),
    st.tuples(st.just("delete_own"), tenant_index, st.sampled_from(KINDS), pick),
    st.tuples(st.just("status"), tenant_index),
)

_run_ids = itertools.count()


@dataclass
class Model:
    """What each tenant should hold, by kind."""

    ids: list[dict[str, list[str]]] = field(
        default_factory=lambda: [{k: [] for k in KINDS} for _ in range(3)]
    )
    repo_project: dict[str, str] = field(default_factory=dict)

    def foreign(self, me: int, kind: str, index: int) -> str | None:
        pool = [i for t in range(3) if t != me for i in self.ids[t][kind]]
        return pool[index % len(pool)] if pool else None


async def _create(b: Backend, m: Model, t: int, kind: str, text: str, n: int) -> None:
    mine = m.ids[t]
    if kind == "project" or not mine["project"]:
        project = await b.upsert_project(ProjectSpec(name=f"{text}-{n}"))
        mine["project"].append(project.id)
        return
    if kind == "repo" or not mine["repo"]:
        project_id = mine["project"][-1]
        repo = await b.upsert_repo(RepoSpec(project_id=project_id, path=f"/{text}/{n}", name=text))
        mine["repo"].append(repo.id)
        m.repo_project[repo.id] = project_id
        return
    if kind == "session":
        session = await b.create_session(
            GitSessionSpec(
                repo_id=mine["repo"][-1],
                session_key=f"k{n}",
                description=text,
                branch="b",
                started_at=utcnow(),
            )
        )
        mine["session"].append(session.id)
        return
    entry = await b.upsert_memory_entry(
        MemoryEntrySpec(path=f"{text}/{n}.md", kind="note", title=text, body=f"{text} body")
    )
    mine["memory"].append(entry.id)


async def _foreign_read(b: Backend, kind: str, target: str) -> Any:
    return await {
        "project": b.get_project,
        "repo": b.get_repo,
        "session": b.get_session,
        "memory": b.get_memory_entry,
    }[kind](target)


async def _foreign_change(b: Backend, kind: str, target: str) -> Any:
    if kind == "project":
        return await b.delete_project(target)
    if kind == "repo":
        return await b.delete_repo(target)
    if kind == "session":
        return await b.update_session(target, GitSessionUpdate(commit_count=99))
    return await b.delete_memory_entry(target)


async def _scenario(harness: Harness, ops: list[tuple[Any, ...]]) -> None:
    run = next(_run_ids)
    names = [f"t{i}-{run}" for i in range(3)]
    backends = [await harness.open(name, f"p{i}-{run}", "owner") for i, name in enumerate(names)]
    model = Model()
    sessions_by_repo: dict[str, list[str]] = {}
    try:
        for n, op in enumerate(ops):
            kind_op, t = op[0], op[1]
            b = backends[t]
            if kind_op == "create":
                await _create(b, model, t, op[2], op[3], n)
                if op[2] == "session" and model.ids[t]["session"]:
                    sid = model.ids[t]["session"][-1]
                    sessions_by_repo.setdefault(model.ids[t]["repo"][-1], []).append(sid)
            elif kind_op == "same_name":
                project = await b.upsert_project(ProjectSpec(name=f"common-{op[2]}"))
                if project.id not in model.ids[t]["project"]:
                    model.ids[t]["project"].append(project.id)
            elif kind_op in ("foreign_read", "foreign_change"):
                target = model.foreign(t, op[2], op[3])
                if target is None:
                    continue
                call = _foreign_read if kind_op == "foreign_read" else _foreign_change
                try:
                    await call(b, op[2], target)
                except NotFound:
                    pass
                else:
                    raise AssertionError(f"tenant {t} reached {op[2]} {target} of another tenant")
            elif kind_op == "foreign_parent":
                target = model.foreign(t, "project", op[2])
                if target is None:
                    continue
                try:
                    await b.upsert_repo(RepoSpec(project_id=target, path="/x", name="x"))
                except NotFound:
                    pass
                else:
                    raise AssertionError("repo created under another tenant's project")
            elif kind_op == "delete_own":
                pool = model.ids[t][op[2]]
                if not pool or op[2] in ("repo", "session"):
                    continue  # cascades are covered by the contract tests
                target = pool[op[3] % len(pool)]
                if op[2] == "project":
                    await b.delete_project(target)
                    for repo_id in [
                        r for r in model.ids[t]["repo"] if model.repo_project[r] == target
                    ]:
                        model.ids[t]["repo"].remove(repo_id)
                        for sid in sessions_by_repo.pop(repo_id, []):
                            model.ids[t]["session"].remove(sid)
                    model.ids[t]["project"].remove(target)
                else:
                    await b.delete_memory_entry(target)
                    model.ids[t]["memory"].remove(target)
            elif kind_op == "status":
                await b.record_status(StatusSnapshotSpec(summary={"tenant": names[t]}))
        for t, b in enumerate(backends):
            mine = model.ids[t]
            assert sorted(p.id for p in (await b.list_projects(limit=1000)).items) == sorted(
                mine["project"]
            )
            assert sorted(r.id for r in (await b.list_repos(limit=1000)).items) == sorted(
                mine["repo"]
            )
            assert sorted(s.id for s in (await b.list_sessions(limit=1000)).items) == sorted(
                mine["session"]
            )
            assert sorted(e.id for e in (await b.list_memory_entries(limit=1000)).items) == sorted(
                mine["memory"]
            )
            for hit_word in ("alpha", "beta", "shared"):
                hits = await b.search_memory(hit_word, limit=1000)
                assert {h.entry.id for h in hits} <= set(mine["memory"])
            snapshots = (await b.list_status(limit=1000)).items
            assert all(s.summary["tenant"] == names[t] for s in snapshots)
            events = (await b.query_audit(limit=1000)).items
            assert all(e.shown(e.actor) == f"p{t}-{run}" for e in events)
            assert (await b.verify_audit()).ok
            for kind in KINDS:
                for row_id in mine[kind]:
                    table = {
                        "project": "projects",
                        "repo": "repos",
                        "session": "git_sessions",
                        "memory": "memory_entries",
                    }[kind]
                    assert harness.tenant_of(table, row_id) == (await b.get_tenant()).id
    finally:
        for b in backends:
            await b.close()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operation, min_size=5, max_size=40))
def test_tenants_never_see_or_change_each_other(
    harness: Harness, ops: list[tuple[Any, ...]]
) -> None:
    asyncio.run(_scenario(harness, ops))
