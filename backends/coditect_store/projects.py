"""Projects and repos of the store."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select

from coditect_store import cursors
from coditect_store.base import StoreBase
from coditect_store.prepared import Prepared, prepared
from coditect_store.rows import new_id, to_model, to_models
from coditect_store.schema import projects, repos
from coditect_tui.core.models import (
    Action,
    Page,
    Project,
    ProjectSpec,
    Repo,
    RepoSpec,
    Resource,
    utcnow,
)

P = Resource.PROJECTS
R = Resource.REPOS

_PROJECT_COLUMNS = ", ".join(c.name for c in projects.c)
_REPO_COLUMNS = ", ".join(c.name for c in repos.c)


def _projects_page(*, after: bool) -> Prepared:
    where = "tenant_id = $1"
    names: tuple[str, ...] = ("tid", "limit")
    if after:
        where += " AND (name, id) > ($3, $4)"
        names += ("a_name", "a_id")
    return Prepared(
        f"SELECT {_PROJECT_COLUMNS} FROM projects WHERE {where} ORDER BY name, id LIMIT $2",
        names,
    )


def _repos_page(*, in_project: bool, after: bool) -> Prepared:
    where = "tenant_id = $1"
    names: tuple[str, ...] = ("tid", "limit")
    if in_project:
        names += ("project_id",)
        where += f" AND project_id = ${len(names)}"
    if after:
        n = len(names)
        where += f" AND (project_id, path, id) > (${n + 1}, ${n + 2}, ${n + 3})"
        names += ("a_project", "a_path", "a_id")
    return Prepared(
        f"SELECT {_REPO_COLUMNS} FROM repos WHERE {where} ORDER BY project_id, path, id LIMIT $2",
        names,
    )


#: Pages of projects and repos: first page / after a cursor (and within one project).
_PROJECTS_PAGE = {after: _projects_page(after=after) for after in (False, True)}
_REPOS_PAGE = {
    (in_project, after): _repos_page(in_project=in_project, after=after)
    for in_project in (False, True)
    for after in (False, True)
}
_PROJECT = prepared(
    f"SELECT {_PROJECT_COLUMNS} FROM projects WHERE tenant_id = $1 AND id = $2", "tid", "id"
)
_REPO = prepared(f"SELECT {_REPO_COLUMNS} FROM repos WHERE tenant_id = $1 AND id = $2", "tid", "id")


class ProjectsMixin(StoreBase):
    """Projects and their repos (master projects hold submodule repos)."""

    async def list_projects(self, *, cursor: str | None = None, limit: int = 100) -> Page[Project]:
        after = cursors.decode("projects", cursor, 2)
        limit = cursors.clamp(limit)
        async with self._op(P, Action.READ, method="list_projects", prepared_only=True) as op:
            params = {"a_name": after[0], "a_id": after[1]} if after else {}
            rows = await op.rows(
                _PROJECTS_PAGE[bool(after)], tid=self._tid, limit=limit + 1, **params
            )
        items = to_models(Project, rows[:limit])
        more = len(rows) > limit
        return Page(
            items=items,
            next_cursor=cursors.encode("projects", [items[-1].name, items[-1].id])
            if more
            else None,
        )

    async def get_project(self, project_id: str) -> Project:
        async with self._op(
            P, Action.READ, method="get_project", target=project_id, prepared_only=True
        ) as op:
            row = await op.one(_PROJECT, "project", tid=self._tid, id=project_id)
        return to_model(Project, row)

    async def upsert_project(self, spec: ProjectSpec) -> Project:
        now = utcnow()
        async with self._op(P, None, method="upsert_project", target=spec.name) as op:
            row = (
                await op.conn.execute(
                    select(projects).where(
                        projects.c.tenant_id == self._tid, projects.c.name == spec.name
                    )
                )
            ).first()
            values: dict[str, Any] = {
                "path": spec.path,
                "kind": spec.kind,
                "description": spec.description,
            }
            if row is None:
                op.authorize(Action.CREATE)
                count = (
                    await op.conn.execute(
                        select(func.count())
                        .select_from(projects)
                        .where(projects.c.tenant_id == self._tid)
                    )
                ).scalar_one()
                self._policy.check_quota(self._tenant.tier, "projects", count)
                project_id = new_id()
                await op.conn.execute(
                    projects.insert().values(
                        id=project_id,
                        tenant_id=self._tid,
                        name=spec.name,
                        created_by=self._principal,
                        created_at=now,
                        updated_at=now,
                        **values,
                    )
                )
                op.record("projects.create", project_id, name=spec.name, **values)
            else:
                op.authorize(Action.UPDATE, owner=row.created_by)
                project_id = row.id
                changed = {k: v for k, v in values.items() if getattr(row, k) != v}
                if changed:
                    await op.conn.execute(
                        projects.update()
                        .where(projects.c.id == project_id)
                        .values(updated_at=now, **changed)
                    )
                    op.record("projects.update", project_id, name=spec.name, **changed)
            result = await self._one(
                op.conn, select(projects).where(projects.c.id == project_id), "project"
            )
        return to_model(Project, result)

    async def delete_project(self, project_id: str) -> None:
        async with self._op(P, Action.DELETE, method="delete_project", target=project_id) as op:
            row = await self._one(
                op.conn,
                select(projects).where(
                    projects.c.tenant_id == self._tid, projects.c.id == project_id
                ),
                "project",
            )
            op.authorize(Action.DELETE, owner=row.created_by)
            await op.conn.execute(projects.delete().where(projects.c.id == project_id))
            op.record("projects.delete", project_id, name=row.name)

    async def list_repos(
        self, *, project_id: str | None = None, cursor: str | None = None, limit: int = 100
    ) -> Page[Repo]:
        after = cursors.decode("repos", cursor, 3)
        limit = cursors.clamp(limit)
        async with self._op(
            R, Action.READ, method="list_repos", target=project_id, prepared_only=True
        ) as op:
            params = {"a_project": after[0], "a_path": after[1], "a_id": after[2]} if after else {}
            if project_id is not None:
                params["project_id"] = project_id
            rows = await op.rows(
                _REPOS_PAGE[project_id is not None, bool(after)],
                tid=self._tid,
                limit=limit + 1,
                **params,
            )
        items = to_models(Repo, rows[:limit])
        more = len(rows) > limit
        return Page(
            items=items,
            next_cursor=cursors.encode(
                "repos", [items[-1].project_id, items[-1].path, items[-1].id]
            )
            if more
            else None,
        )

    async def get_repo(self, repo_id: str) -> Repo:
        async with self._op(
            R, Action.READ, method="get_repo", target=repo_id, prepared_only=True
        ) as op:
            row = await op.one(_REPO, "repo", tid=self._tid, id=repo_id)
        return to_model(Repo, row)

    async def upsert_repo(self, spec: RepoSpec) -> Repo:
        now = utcnow()
        async with self._op(R, None, method="upsert_repo", target=spec.path) as op:
            await self._one(
                op.conn,
                select(projects.c.id).where(
                    projects.c.tenant_id == self._tid, projects.c.id == spec.project_id
                ),
                "project",
            )
            if spec.parent_id is not None:
                await self._one(
                    op.conn,
                    select(repos.c.id).where(
                        repos.c.tenant_id == self._tid,
                        repos.c.id == spec.parent_id,
                        repos.c.project_id == spec.project_id,
                    ),
                    "parent repo",
                )
            row = (
                await op.conn.execute(
                    select(repos).where(
                        repos.c.tenant_id == self._tid,
                        repos.c.project_id == spec.project_id,
                        repos.c.path == spec.path,
                    )
                )
            ).first()
            values = spec.model_dump(exclude={"project_id", "path"})
            if row is None:
                op.authorize(Action.CREATE)
                repo_id = new_id()
                await op.conn.execute(
                    repos.insert().values(
                        id=repo_id,
                        tenant_id=self._tid,
                        project_id=spec.project_id,
                        path=spec.path,
                        created_by=self._principal,
                        created_at=now,
                        updated_at=now,
                        **values,
                    )
                )
                op.record("repos.create", repo_id, path=spec.path, **values)
            else:
                op.authorize(Action.UPDATE, owner=row.created_by)
                repo_id = row.id
                changed = {k: v for k, v in values.items() if getattr(row, k) != v}
                if changed:
                    await op.conn.execute(
                        repos.update()
                        .where(repos.c.id == repo_id)
                        .values(updated_at=now, **changed)
                    )
                    op.record("repos.update", repo_id, path=spec.path, **changed)
            result = await self._one(op.conn, select(repos).where(repos.c.id == repo_id), "repo")
        return to_model(Repo, result)

    async def delete_repo(self, repo_id: str) -> None:
        async with self._op(R, Action.DELETE, method="delete_repo", target=repo_id) as op:
            row = await self._one(
                op.conn,
                select(repos).where(repos.c.tenant_id == self._tid, repos.c.id == repo_id),
                "repo",
            )
            op.authorize(Action.DELETE, owner=row.created_by)
            await op.conn.execute(
                repos.delete().where(or_(repos.c.id == repo_id, repos.c.parent_id == repo_id))
            )
            op.record("repos.delete", repo_id, path=row.path)
