"""Git session records of the store."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import select, tuple_

from coditect_store import cursors
from coditect_store.base import StoreBase
from coditect_store.rows import new_id, to_model
from coditect_store.schema import git_sessions, repos
from coditect_tui.core.errors import Conflict
from coditect_tui.core.models import (
    Action,
    GitSession,
    GitSessionSpec,
    GitSessionUpdate,
    Page,
    Resource,
    format_ts,
)

S = Resource.SESSIONS


def _session(row: Any) -> GitSession:
    return to_model(GitSession, row, summary=orjson.loads(row.summary))


class SessionsMixin(StoreBase):
    """Git session history (the old helper kept none)."""

    async def create_session(self, spec: GitSessionSpec) -> GitSession:
        async with self._op(
            S, Action.CREATE, method="create_session", target=spec.session_key
        ) as op:
            repo = await self._one(
                op.conn,
                select(repos.c.id, repos.c.project_id).where(
                    repos.c.tenant_id == self._tid, repos.c.id == spec.repo_id
                ),
                "repo",
            )
            exists = (
                await op.conn.execute(
                    select(git_sessions.c.id).where(
                        git_sessions.c.tenant_id == self._tid,
                        git_sessions.c.repo_id == spec.repo_id,
                        git_sessions.c.session_key == spec.session_key,
                    )
                )
            ).first()
            if exists:
                raise Conflict(f"session {spec.session_key!r} already recorded for this repo")
            session_id = new_id()
            await op.conn.execute(
                git_sessions.insert().values(
                    id=session_id,
                    tenant_id=self._tid,
                    project_id=repo.project_id,
                    commit_count=0,
                    push_count=0,
                    state="active",
                    summary="{}",
                    created_by=self._principal,
                    **spec.model_dump(),
                )
            )
            op.record(
                "sessions.create",
                session_id,
                repo_id=spec.repo_id,
                session_key=spec.session_key,
                branch=spec.branch,
            )
            row = await self._one(
                op.conn, select(git_sessions).where(git_sessions.c.id == session_id), "session"
            )
        return _session(row)

    async def update_session(self, session_id: str, update: GitSessionUpdate) -> GitSession:
        async with self._op(S, Action.UPDATE, method="update_session", target=session_id) as op:
            row = await self._one(
                op.conn,
                select(git_sessions).where(
                    git_sessions.c.tenant_id == self._tid, git_sessions.c.id == session_id
                ),
                "session",
            )
            op.authorize(Action.UPDATE, owner=row.created_by)
            values = update.model_dump(exclude_none=True)
            if "summary" in values:
                values["summary"] = orjson.dumps(values["summary"]).decode()
            if values:
                await op.conn.execute(
                    git_sessions.update().where(git_sessions.c.id == session_id).values(**values)
                )
                shown = {
                    k: (format_ts(v) if hasattr(v, "tzinfo") else v)
                    for k, v in update.model_dump(exclude_none=True).items()
                }
                op.record("sessions.update", session_id, **shown)
            row = await self._one(
                op.conn, select(git_sessions).where(git_sessions.c.id == session_id), "session"
            )
        return _session(row)

    async def get_session(self, session_id: str) -> GitSession:
        async with self._op(S, Action.READ, method="get_session", target=session_id) as op:
            row = await self._one(
                op.conn,
                select(git_sessions).where(
                    git_sessions.c.tenant_id == self._tid, git_sessions.c.id == session_id
                ),
                "session",
            )
        return _session(row)

    async def list_sessions(
        self,
        *,
        project_id: str | None = None,
        repo_id: str | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> Page[GitSession]:
        after = cursors.decode("sessions", cursor, 2)
        limit = cursors.clamp(limit)
        async with self._op(S, Action.READ, method="list_sessions") as op:
            stmt = select(git_sessions).where(git_sessions.c.tenant_id == self._tid)
            if project_id is not None:
                stmt = stmt.where(git_sessions.c.project_id == project_id)
            if repo_id is not None:
                stmt = stmt.where(git_sessions.c.repo_id == repo_id)
            if after:
                stmt = stmt.where(
                    tuple_(git_sessions.c.started_at, git_sessions.c.id) < tuple_(*after)
                )
            rows = (
                await op.conn.execute(
                    stmt.order_by(git_sessions.c.started_at.desc(), git_sessions.c.id.desc()).limit(
                        limit + 1
                    )
                )
            ).all()
        items = [_session(r) for r in rows[:limit]]
        more = len(rows) > limit
        return Page(
            items=items,
            next_cursor=cursors.encode("sessions", [format_ts(items[-1].started_at), items[-1].id])
            if more
            else None,
        )

    async def delete_session(self, session_id: str) -> None:
        async with self._op(S, Action.DELETE, method="delete_session", target=session_id) as op:
            row = await self._one(
                op.conn,
                select(git_sessions).where(
                    git_sessions.c.tenant_id == self._tid, git_sessions.c.id == session_id
                ),
                "session",
            )
            op.authorize(Action.DELETE, owner=row.created_by)
            await op.conn.execute(git_sessions.delete().where(git_sessions.c.id == session_id))
            op.record("sessions.delete", session_id, session_key=row.session_key)
