"""Memory entries and their full-text index (SQLite FTS5, bm25 ranking)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import (
    ColumnClause,
    and_,
    bindparam,
    case,
    false,
    func,
    literal_column,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.exc import DBAPIError

from coditect_store import cursors
from coditect_store.base import StoreBase
from coditect_store.db_errors import map_db_error
from coditect_store.driver_sqlite import IN_CHUNK
from coditect_store.fts_key import fts_rowid
from coditect_store.fts_search import CANDIDATE_SLACK, Found, Plan
from coditect_store.fts_search import read as read_search
from coditect_store.op import Op
from coditect_store.rows import new_id, to_model
from coditect_store.schema import memory_entries, memory_fts_pg, projects
from coditect_tui.core.errors import InvalidInput, NotFound
from coditect_tui.core.memory.query import parse_query, to_fts5, tokenize
from coditect_tui.core.memory.ranking import (
    KIND_PRIOR,
    PG_RANK_WEIGHTS,
    group_sessions,
    headings,
)
from coditect_tui.core.memory.snippet import Snippets
from coditect_tui.core.memory.stem import fold, stems
from coditect_tui.core.models import (
    Action,
    MemoryCount,
    MemoryEntry,
    MemoryEntrySpec,
    MemoryFilter,
    MemorySearchResult,
    Page,
    Resource,
    SearchHit,
    format_ts,
    utcnow,
)

MEM = Resource.MEMORY
_ROWID: ColumnClause[int] = literal_column("memory_entries.rowid")
#: Matches scored by BM25 at most: a query matching more scores only the first this many
#: in static-rank order (docs/memory.md, "Ranking"), and grows it when copies crowd.
SCORED_MATCHES = 1000
_EXPORT_BATCH = 500
_MAX_DUPLICATE_PATHS = 20


def _unfiltered(flt: MemoryFilter | None) -> bool:
    """Whether ``flt`` keeps every entry (as ``_filtered`` reads it)."""
    return flt is None or (
        flt.kinds is None
        and flt.project_id is None
        and flt.since is None
        and flt.until is None
        and flt.path_prefix is None
        and flt.id_prefix is None
        and not flt.tags
    )


def _pg_query() -> Any:
    """The PostgreSQL text query of the parameter ``q`` (tsquery text: ``pg_tsquery``).
    Built on use: SQLAlchemy types ``to_tsquery`` only once its PostgreSQL dialect is
    imported."""
    return func.to_tsquery(literal_column("'simple'"), bindparam("q"))


@dataclass(frozen=True)
class _Ranked:
    """One hit of a page (PostgreSQL): its entry's row and its score."""

    row: Any
    score: float

    @property
    def id(self) -> str:
        return str(self.row.id)

    @property
    def sha256(self) -> str | None:
        return self.row.sha256


def _entry(row: Any) -> MemoryEntry:
    return to_model(MemoryEntry, row, tags=orjson.loads(row.tags))


def _stored(spec: MemoryEntrySpec, entry_id: str, created_by: str, now: Any) -> MemoryEntry:
    """The entry an upsert of ``spec`` wrote."""
    return MemoryEntry(
        id=entry_id,
        created_by=created_by,
        indexed_at=now,
        tags=list(spec.tags),
        **spec.model_dump(exclude={"body", "tags"}),
    )


def _filtered(stmt: Any, tenant_id: str, flt: MemoryFilter | None) -> Any:
    m = memory_entries.c
    stmt = stmt.where(m.tenant_id == tenant_id)
    if flt is None:
        return stmt
    if flt.kinds is not None:
        stmt = stmt.where(m.kind.in_(flt.kinds) if flt.kinds else false())
    if flt.project_id is not None:
        stmt = stmt.where(m.project_id == flt.project_id)
    if flt.since is not None:
        stmt = stmt.where(m.timestamp >= flt.since)
    if flt.until is not None:
        stmt = stmt.where(m.timestamp < flt.until)
    if flt.path_prefix is not None:
        stmt = stmt.where(m.path.startswith(flt.path_prefix, autoescape=True))
    if flt.id_prefix is not None:
        stmt = stmt.where(m.id.startswith(flt.id_prefix, autoescape=True))
    if flt.tags:
        # tags are stored as a JSON array of strings: match the quoted element exactly
        stmt = stmt.where(
            or_(*[m.tags.contains(orjson.dumps(tag).decode(), autoescape=True) for tag in flt.tags])
        )
    return stmt


class MemoryMixin(StoreBase):
    """The memory index. Order of lists: newest timestamp first, undated entries last."""

    #: SQLite: most matches a search scores (:data:`SCORED_MATCHES`); None scores every
    #: match (exact ranking, as on PostgreSQL; the bench compares the two).
    scored_matches: int | None = SCORED_MATCHES
    #: SQLite: (the tenant's audit head, rowids of its entries sharing content), kept
    #: while the head does not move (fts_search.read)
    _shared_cache: tuple[int | None, frozenset[int]] | None = None

    @cached_property
    def _unfiltered_candidates(self) -> dict[int, Any]:
        """PostgreSQL: the ranked statements without a filter, by candidates taken."""
        return {}

    async def upsert_memory_entry(self, spec: MemoryEntrySpec) -> MemoryEntry:
        async with self._op(MEM, None, method="upsert_memory_entry", target=spec.path) as op:
            return await self._upsert_entry(op, spec)

    async def upsert_memory_entries(self, specs: list[MemoryEntrySpec]) -> list[MemoryEntry]:
        if not specs:
            return []
        async with self._op(MEM, None, method="upsert_memory_entries", target=specs[0].path) as op:
            if len({spec.path for spec in specs}) < len(specs):
                # a path twice: the later spec replaces the earlier one, in order
                return [await self._upsert_entry(op, spec) for spec in specs]
            return await self._upsert_batch(op, specs)

    async def _upsert_batch(self, op: Op, specs: list[MemoryEntrySpec]) -> list[MemoryEntry]:
        """Upsert distinct paths with a few statements for the whole batch (executemany),
        not several round trips per entry: the same rows, checks and audit events as
        :meth:`_upsert_entry` one by one."""
        m = memory_entries.c
        wanted = sorted({s.project_id for s in specs if s.project_id is not None})
        if wanted:
            found = set(
                (
                    await op.conn.execute(
                        select(projects.c.id).where(
                            projects.c.tenant_id == self._tid, projects.c.id.in_(wanted)
                        )
                    )
                ).scalars()
            )
            if len(found) < len(wanted):
                raise NotFound("project not found")
        existing: dict[str, Any] = {}
        columns = [memory_entries] if self._pg else [memory_entries, _ROWID.label("rid")]
        paths = [spec.path for spec in specs]
        for start in range(0, len(paths), IN_CHUNK):
            rows = await op.conn.execute(
                select(*columns).where(
                    m.tenant_id == self._tid, m.path.in_(paths[start : start + IN_CHUNK])
                )
            )
            existing.update((row.path, row) for row in rows)
        for spec in specs:  # every decision before the first write
            row = existing.get(spec.path)
            if row is None:
                op.authorize(Action.CREATE)
            else:
                op.authorize(Action.UPDATE, owner=row.created_by)
        # PostgreSQL: the tsvectors are tokenised and stemmed in Python, milliseconds an
        # entry; in a worker thread, so that the event loop (a server's) goes on meanwhile
        vectors = await asyncio.to_thread(_tsvectors, specs) if self._pg else []
        now = utcnow()
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        ids: list[str] = []
        fts: list[dict[str, Any]] = []  # PostgreSQL's index rows
        for index, spec in enumerate(specs):
            values = spec.model_dump(exclude={"path", "body"})
            values["tags"] = orjson.dumps(values["tags"]).decode()
            row = existing.get(spec.path)
            if row is None:
                entry_id = new_id()
                inserts.append(
                    {
                        "id": entry_id,
                        "tenant_id": self._tid,
                        "path": spec.path,
                        "created_by": self._principal,
                        "indexed_at": now,
                        **values,
                    }
                )
                op.record("memory.create", entry_id, path=spec.path, kind=spec.kind)
            else:
                entry_id = row.id
                updates.append({"b_id": entry_id, "indexed_at": now, **values})
                op.record(
                    "memory.update", entry_id, path=spec.path, kind=spec.kind, sha256=spec.sha256
                )
            ids.append(entry_id)
            if self._pg:
                tsv, cut = vectors[index]
                if cut:  # searchable up to the limit, and the audit log says so
                    op.record(
                        "memory.index_truncated", entry_id, path=spec.path, size=len(spec.body)
                    )
                fts.append({"id": entry_id, "tid": self._tid, "body": spec.body, "tsv": tsv})
        if inserts and self._pg:
            await op.conn.execute(memory_entries.insert(), inserts)
        elif inserts:
            # on the driver, as the audit chain's insert: SQLAlchemy's per-row parameter
            # processing costs more than SQLite's insert, on the event loop's thread
            stamp = format_ts(now)
            await op.conn.exec_driver_sql(
                _ENTRY_INSERT,
                [
                    _ENTRY_ROW(
                        values | {"timestamp": _ts_text(values["timestamp"]), "indexed_at": stamp}
                    )
                    for values in inserts
                ],
            )
        if updates:
            names = [name for name in updates[0] if name != "b_id"]
            await op.conn.execute(
                memory_entries.update()
                .where(m.id == bindparam("b_id"))
                .values({name: bindparam(name) for name in names}),
                updates,
            )
        if self._pg:
            await op.conn.execute(_PG_FTS_UPSERT, fts)
        else:
            rids = {path: row.rid for path, row in existing.items()}
            if inserts:
                new_ids = [values["id"] for values in inserts]
                for start in range(0, len(new_ids), IN_CHUNK):
                    rows = await op.conn.execute(
                        select(m.path, _ROWID).where(m.id.in_(new_ids[start : start + IN_CHUNK]))
                    )
                    rids.update((path, rid) for path, rid in rows)
            # in rowid order: FTS5 writes its pending terms out as a new segment whenever
            # a rowid is lower than the one before, and a batch's keys are in any order
            if existing:
                await op.conn.exec_driver_sql(
                    "DELETE FROM memory_fts WHERE rowid = ?",
                    sorted(
                        (fts_rowid(row.kind, row.timestamp, row.rid),) for row in existing.values()
                    ),
                )
            await op.conn.exec_driver_sql(
                "INSERT INTO memory_fts(rowid, title, headings, body) VALUES (?, ?, ?, ?)",
                sorted(
                    (
                        (
                            fts_rowid(spec.kind, spec.timestamp, rids[spec.path]),
                            spec.title,
                            headings(spec.body),
                            spec.body,
                        )
                        for spec in specs
                    ),
                    key=lambda values: values[0],
                ),
            )
        return [
            _stored(spec, entry_id, row.created_by if row else self._principal, now)
            for spec, entry_id in zip(specs, ids, strict=True)
            for row in (existing.get(spec.path),)
        ]

    async def _upsert_entry(self, op: Op, spec: MemoryEntrySpec) -> MemoryEntry:
        m = memory_entries.c
        values = spec.model_dump(exclude={"path", "body"})
        values["tags"] = orjson.dumps(values["tags"]).decode()
        if spec.project_id is not None:
            await self._one(
                op.conn,
                select(projects.c.id).where(
                    projects.c.tenant_id == self._tid, projects.c.id == spec.project_id
                ),
                "project",
            )
        if self._pg:
            row = (
                await op.conn.execute(
                    select(memory_entries).where(m.tenant_id == self._tid, m.path == spec.path)
                )
            ).first()
        else:
            row = (
                await op.conn.execute(
                    select(memory_entries, _ROWID.label("rid")).where(
                        m.tenant_id == self._tid, m.path == spec.path
                    )
                )
            ).first()
        now = utcnow()
        rid = None
        if row is None:
            op.authorize(Action.CREATE)
            entry_id = new_id()
            await op.conn.execute(
                memory_entries.insert().values(
                    id=entry_id,
                    tenant_id=self._tid,
                    path=spec.path,
                    created_by=self._principal,
                    indexed_at=now,
                    **values,
                )
            )
            if not self._pg:
                rid = (await op.conn.execute(select(_ROWID).where(m.id == entry_id))).scalar_one()
            op.record("memory.create", entry_id, path=spec.path, kind=spec.kind)
        else:
            op.authorize(Action.UPDATE, owner=row.created_by)
            entry_id = row.id
            await op.conn.execute(
                memory_entries.update().where(m.id == entry_id).values(indexed_at=now, **values)
            )
            if not self._pg:
                rid = row.rid
                await op.conn.execute(
                    text("DELETE FROM memory_fts WHERE rowid = :rid"),
                    {"rid": fts_rowid(row.kind, row.timestamp, rid)},
                )
            op.record("memory.update", entry_id, path=spec.path, kind=spec.kind, sha256=spec.sha256)
        heads = headings(spec.body)
        if self._pg:
            tsv, cut = tsvector_text(spec.title, heads, spec.body)
            if cut:  # searchable up to the limit, and the audit log says so
                op.record("memory.index_truncated", entry_id, path=spec.path, size=len(spec.body))
            await op.conn.execute(
                _PG_FTS_UPSERT, {"id": entry_id, "tid": self._tid, "body": spec.body, "tsv": tsv}
            )
        else:
            assert rid is not None  # found or made above
            await op.conn.execute(
                text(
                    "INSERT INTO memory_fts(rowid, title, headings, body) "
                    "VALUES (:rid, :title, :headings, :body)"
                ),
                {
                    "rid": fts_rowid(spec.kind, spec.timestamp, rid),
                    "title": spec.title,
                    "headings": heads,
                    "body": spec.body,
                },
            )
        return _stored(spec, entry_id, row.created_by if row is not None else self._principal, now)

    async def get_memory_entry(self, entry_id: str) -> MemoryEntry:
        async with self._op(MEM, Action.READ, method="get_memory_entry", target=entry_id) as op:
            row = await self._one(
                op.conn,
                select(memory_entries).where(
                    memory_entries.c.tenant_id == self._tid, memory_entries.c.id == entry_id
                ),
                "memory entry",
            )
        return _entry(row)

    async def get_memory_body(self, entry_id: str) -> str:
        async with self._op(MEM, Action.READ, method="get_memory_body", target=entry_id) as op:
            if self._pg:
                found = (
                    await op.conn.execute(
                        select(memory_entries.c.id, memory_fts_pg.c.body)
                        .select_from(
                            memory_entries.outerjoin(
                                memory_fts_pg, memory_fts_pg.c.entry_id == memory_entries.c.id
                            )
                        )
                        .where(
                            memory_entries.c.tenant_id == self._tid, memory_entries.c.id == entry_id
                        )
                    )
                ).first()
                if found is None:
                    raise NotFound("memory entry not found")
                return found.body or ""
            found = await self._one(
                op.conn,
                select(memory_entries.c.kind, memory_entries.c.timestamp, _ROWID).where(
                    memory_entries.c.tenant_id == self._tid, memory_entries.c.id == entry_id
                ),
                "memory entry",
            )
            body = (
                await op.conn.execute(
                    text("SELECT body FROM memory_fts WHERE rowid = :r"),
                    {"r": fts_rowid(found[0], found[1], found[2])},
                )
            ).scalar()
        return body or ""

    async def list_memory_entries(
        self, filter: MemoryFilter | None = None, *, cursor: str | None = None, limit: int = 100
    ) -> Page[MemoryEntry]:
        after = cursors.decode("memory", cursor, 3)
        async with self._op(MEM, Action.READ, method="list_memory_entries") as op:
            return await self._memory_page(op.conn, filter, after, cursors.clamp(limit))

    async def count_memory_entries(self, filter: MemoryFilter | None = None) -> MemoryCount:
        stmt = _filtered(select(func.count()).select_from(memory_entries), self._tid, filter)
        async with self._op(MEM, Action.READ, method="count_memory_entries") as op:
            return MemoryCount(total=(await op.conn.execute(stmt)).scalar_one())

    async def _memory_page(
        self, conn: Any, filter: MemoryFilter | None, after: list[Any] | None, limit: int
    ) -> Page[MemoryEntry]:
        m = memory_entries.c
        # Sort key: (dated first, timestamp desc, id desc).
        dated = (m.timestamp.isnot(None)).label("dated")
        stmt = _filtered(select(memory_entries), self._tid, filter)
        if after:
            was_dated, ts, last_id = after
            if was_dated:
                stmt = stmt.where(
                    or_(m.timestamp.is_(None), tuple_(m.timestamp, m.id) < tuple_(ts, last_id))
                )
            else:
                stmt = stmt.where(and_(m.timestamp.is_(None), m.id < last_id))
        rows = (
            await conn.execute(
                stmt.order_by(dated.desc(), m.timestamp.desc(), m.id.desc()).limit(limit + 1)
            )
        ).all()
        items = [_entry(r) for r in rows[:limit]]
        next_cursor = None
        if len(rows) > limit:
            last = items[-1]
            next_cursor = cursors.encode(
                "memory",
                [
                    last.timestamp is not None,
                    format_ts(last.timestamp) if last.timestamp else "",
                    last.id,
                ],
            )
        return Page(items=items, next_cursor=next_cursor)

    async def search_memory(
        self, query: str, filter: MemoryFilter | None = None, *, limit: int = 50
    ) -> list[SearchHit]:
        return (await self._search(query, filter, limit=limit, count=False)).hits

    async def search_memory_result(
        self, query: str, filter: MemoryFilter | None = None, *, limit: int = 50
    ) -> MemorySearchResult:
        return await self._search(query, filter, limit=limit, count=True)

    async def _search(
        self, query: str, filter: MemoryFilter | None, *, limit: int, count: bool
    ) -> MemorySearchResult:
        """The page of hits; with ``count``, the exact total too (else the page's size)."""
        # InvalidInput with a clear message for malformed input
        match = pg_tsquery(query) if self._pg else to_fts5(query)
        limit = cursors.clamp(limit)
        async with self._op(
            MEM,
            Action.READ,
            method="search_memory",
            read_details={"query": query},
            sqlite_driver=not self._pg,
        ) as op:
            if not self._pg:
                found = await self._search_on_driver(op, query, match, filter, limit, count)
                ranked, total, snippets, copies = (
                    found.hits,
                    found.total,
                    found.snippets,
                    found.copies,
                )
            else:
                from coditect_store.pg_read import STATEMENT_ERRORS

                # named: mypy rejects a starred tuple display in ``except`` (python/mypy#21092)
                refused: tuple[type[Exception], ...] = (DBAPIError, *STATEMENT_ERRORS)
                try:
                    rows, total = await self._ranked(op.conn, match, filter, limit, count=count)
                    snippets = await self._snippets(op.conn, query, match, rows)
                except refused as exc:
                    raise InvalidInput(f"search query: {_fts_message(exc)}") from None
                copies = await self._copies(op.conn, filter, rows)
                ranked = [(_entry(r.row), float(r.score)) for r in rows]
        hits = []
        for entry, score in ranked:
            same = copies.get(entry.sha256 or "", [])
            others = [path for entry_id, path in same if entry_id != entry.id]
            hits.append(
                SearchHit(
                    entry=entry,
                    rank=score,
                    snippet=snippets.get(entry.id, ""),
                    duplicate_count=len(others),
                    duplicates=others[:_MAX_DUPLICATE_PATHS],
                )
            )
        return MemorySearchResult(hits=group_sessions(hits), total=total)

    async def _search_on_driver(
        self,
        op: Op,
        query: str,
        match: str,
        flt: MemoryFilter | None,
        limit: int,
        count: bool,
    ) -> Found:
        """SQLite: the search's reads in one visit of the driver's thread (fts_search.py).

        Raises:
            InvalidInput: FTS5 refuses the query.
            BackendError: the store's own trouble (busy, unreachable).
        """
        plan = Plan(
            tenant_id=self._tid,
            query=query,
            match=match,
            flt=None if _unfiltered(flt) else flt,
            limit=limit,
            scored=self.scored_matches,
            count=count,
            shared=self._shared_cache,
        )
        try:
            found = await op.read_on_driver(lambda db: read_search(db, plan))
        except sqlite3.OperationalError as exc:
            lowered = str(exc).lower()
            if "locked" in lowered or "busy" in lowered:
                raise map_db_error(exc) from None
            raise InvalidInput(f"search query: {_fts_message(exc)}") from None
        except sqlite3.Error as exc:
            raise map_db_error(exc) from None
        self._shared_cache = found.shared
        return found

    async def _ranked(
        self, conn: Any, match: str, flt: MemoryFilter | None, limit: int, *, count: bool
    ) -> tuple[list[Any], int]:
        """PostgreSQL: the page of hits, best first, one per content, and how many
        contents match.

        The best ``limit`` plus some are taken by score (a bounded sort, not a sort of
        every match); identical content (same SHA-256) keeps its best-ranked entry. When
        copies crowd the page, more candidates are taken. Every match is scored (SQLite
        scores only the first :data:`SCORED_MATCHES`: fts_search.py). The total is counted
        apart, exactly, and only when the candidates were not already every match.

        Returns:
            The page's rows (every entry column and ``score``) and the number of
            distinct contents that match.
        """
        want = limit + CANDIDATE_SLACK
        while True:
            if _unfiltered(flt):  # the common case: built once per store and size
                stmt = self._unfiltered_candidates.get(want)
                if stmt is None:
                    stmt = self._candidates(None, want)
                    self._unfiltered_candidates[want] = stmt
            else:
                stmt = self._candidates(flt, want)
            rows = (await conn.execute(stmt, {"q": match})).all()
            page: list[Any] = []
            seen: set[str] = set()
            for row in rows:
                if row.content not in seen:
                    seen.add(row.content)
                    if len(page) < limit:
                        page.append(row)
            every_match = len(rows) < want
            if len(page) == limit or every_match:
                break
            want *= 4
        if every_match or not count:
            total = len(seen)
        else:
            m = memory_entries.c
            stmt = self._matching(flt, func.count(func.distinct(func.coalesce(m.sha256, m.id))))
            total = int((await conn.execute(stmt, {"q": match})).scalar_one())
        m = memory_entries.c
        full = {
            row.id: row
            for row in await conn.execute(
                select(memory_entries).where(m.id.in_([r.id for r in page]))
            )
        }
        return [_Ranked(full[r.id], r.score) for r in page if r.id in full], total

    def _matching(self, flt: MemoryFilter | None, *columns: Any) -> Any:
        """PostgreSQL: ``columns`` of every entry of the tenant (through ``flt``) that
        ``:q`` matches."""
        m = memory_entries.c
        f = memory_fts_pg.c
        source = memory_fts_pg.join(memory_entries, m.id == f.entry_id)
        match = f.tsv.op("@@")(_pg_query())
        return _filtered(select(*columns).select_from(source), self._tid, flt).where(match)

    def _candidates(self, flt: MemoryFilter | None, want: int) -> Any:
        """PostgreSQL: the best ``want`` matches: ``id``, ``content`` and ``score`` (lower
        is better)."""
        m = memory_entries.c
        prior = case(KIND_PRIOR, value=m.kind, else_=1.0)
        weights: ColumnClause[Any] = literal_column(
            "'{" + ",".join(str(w) for w in PG_RANK_WEIGHTS) + "}'::float4[]"
        )
        score = -func.ts_rank(weights, memory_fts_pg.c.tsv, _pg_query(), 1) * prior
        inner = self._matching(
            flt,
            m.id,
            func.coalesce(m.sha256, m.id).label("content"),
            m.timestamp.label("ts"),
            score.label("score"),
        ).subquery("scored")
        s = inner.c
        return (
            select(s.id, s.content, s.score)
            .order_by(s.score, s.ts.desc().nulls_last(), s.id)
            .limit(want)
        )

    async def _snippets(
        self, conn: Any, query: str, match: str, ranked: Sequence[_Ranked]
    ) -> dict[str, str]:
        """PostgreSQL: the highlighted snippet of each hit's body (computed for the page
        only).

        :mod:`coditect_tui.core.memory.snippet` makes them from the bodies; the engine's
        own (``ts_headline()``) only for a body where that confirms no match.
        """
        if not ranked:
            return {}
        maker = Snippets(query)
        snippets: dict[str, str] = {}
        f = memory_fts_pg.c
        bodies = select(f.entry_id, f.body).where(f.entry_id.in_([r.id for r in ranked]))
        for entry_id, body in await conn.execute(bodies):
            made = maker.of(body or "")
            if made is not None:
                snippets[entry_id] = made
        rest = [r.id for r in ranked if r.id not in snippets]
        if rest:
            stmt = select(
                f.entry_id,
                func.ts_headline(
                    literal_column("'simple'"), f.body, _pg_query(), bindparam("opts")
                ),
            ).where(f.entry_id.in_(rest))
            found = await conn.execute(stmt, {"q": match, "opts": _HEADLINE})
            snippets.update({entry_id: snip or "" for entry_id, snip in found})
        return snippets

    async def _copies(
        self, conn: Any, flt: MemoryFilter | None, rows: Sequence[_Ranked]
    ) -> dict[str, list[tuple[str, str]]]:
        """PostgreSQL: per content hash of the hits, every (id, path) with that content
        (filtered)."""
        shas = sorted({r.sha256 for r in rows if r.sha256})
        if not shas:
            return {}
        m = memory_entries.c
        stmt = _filtered(select(m.sha256, m.id, m.path), self._tid, flt).where(m.sha256.in_(shas))
        copies: dict[str, list[tuple[str, str]]] = {}
        for sha, entry_id, path in await conn.execute(stmt.order_by(m.path)):
            copies.setdefault(sha, []).append((entry_id, path))
        return copies

    async def delete_memory_entry(self, entry_id: str) -> None:
        m = memory_entries.c
        async with self._op(
            MEM, Action.DELETE, method="delete_memory_entry", target=entry_id
        ) as op:
            if self._pg:  # memory_fts rows go with the entry (ON DELETE CASCADE)
                row = await self._one(
                    op.conn,
                    select(memory_entries).where(m.tenant_id == self._tid, m.id == entry_id),
                    "memory entry",
                )
                op.authorize(Action.DELETE, owner=row.created_by)
            else:
                row = await self._one(
                    op.conn,
                    select(memory_entries, _ROWID.label("rid")).where(
                        m.tenant_id == self._tid, m.id == entry_id
                    ),
                    "memory entry",
                )
                op.authorize(Action.DELETE, owner=row.created_by)
                await op.conn.execute(
                    text("DELETE FROM memory_fts WHERE rowid = :rid"),
                    {"rid": fts_rowid(row.kind, row.timestamp, row.rid)},
                )
            await op.conn.execute(memory_entries.delete().where(m.id == entry_id))
            op.record("memory.delete", entry_id, path=row.path)

    async def export_memory(
        self, filter: MemoryFilter | None = None
    ) -> AsyncGenerator[MemoryEntry, None]:
        async with self._op(MEM, Action.EXPORT, method="export_memory", audit_only=True) as op:
            op.record(
                "memory.export",
                None,
                filter=filter.model_dump(mode="json", exclude_none=True) if filter else {},
            )
        after: list[Any] | None = None
        while True:
            async with self._tx(write=False) as conn:
                page = await self._memory_page(conn, filter, after, _EXPORT_BATCH)
            for item in page.items:
                yield item
            if page.next_cursor is None:
                return
            after = cursors.decode("memory", page.next_cursor, 3)


#: The driver-level insert of a ``memory_entries`` row (SQLite), and the row's values
#: from a dict of its columns (the times as ``UTCDateTime`` binds them: canonical text).
_ENTRY_COLUMNS = tuple(column.name for column in memory_entries.columns)
_ENTRY_INSERT = (
    f"INSERT INTO memory_entries ({', '.join(_ENTRY_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(_ENTRY_COLUMNS))})"
)
_ENTRY_ROW = itemgetter(*_ENTRY_COLUMNS)


def _ts_text(moment: datetime | None) -> str | None:
    return None if moment is None else format_ts(moment)


_PG_FTS_UPSERT = text(
    "INSERT INTO memory_fts (entry_id, tenant_id, body, tsv) "
    "VALUES (:id, :tid, :body, CAST(:tsv AS tsvector)) "
    "ON CONFLICT (entry_id) DO UPDATE SET body = excluded.body, tsv = excluded.tsv"
)
_HEADLINE = (
    f"StartSel={chr(2)}, StopSel={chr(3)}, MaxWords=16, MinWords=6, ShortWord=0, "
    "MaxFragments=1, FragmentDelimiter=…"
)
#: tsvector limits: positions 1..16383, 256 positions per lexeme, lexemes < 2 KiB, and
#: at most 1 MiB - 1 of lexemes with their positions (PostgreSQL's MAXSTRPOS).
_MAX_POS = 16383
_MAX_POSITIONS = 256
_MAX_LEXEME_BYTES = 2000
_MAX_TSVECTOR_BYTES = (1 << 20) - 1


def _tsvectors(specs: Sequence[MemoryEntrySpec]) -> list[tuple[str, bool]]:
    """``tsvector_text`` of each spec."""
    return [tsvector_text(spec.title, headings(spec.body), spec.body) for spec in specs]


def tsvector_text(title: str, heads: str, body: str) -> tuple[str, bool]:
    """The tsvector literal of an entry, tokenised and stemmed exactly as FTS5 indexes it.

    PostgreSQL's own parser splits text differently from FTS5 (hyphenated words, paths,
    e-mail addresses become extra tokens) and its ``english`` stemmer is Snowball, not
    FTS5's Porter, so the store tokenises in Python with
    :func:`coditect_tui.core.memory.query.tokenize`, stems with
    :mod:`coditect_tui.core.memory.stem` (FTS5's own stemmer) and hands PostgreSQL the
    lexemes with their positions and weights: the title (A), then the headings (B), then
    the body (D), each after a gap so a phrase never spans two of them.
    Beyond position 16383 (a PostgreSQL limit) words still match, phrases no longer.
    A tsvector holds at most 1 MiB of lexemes and positions: the index of a larger text
    stops there (the words after it are not found; the body itself is kept whole).

    Args:
        title: the entry's title.
        heads: its headings (:func:`coditect_tui.core.memory.ranking.headings`).
        body: its text.

    Returns:
        The literal, and whether the index was cut at the size limit.
    """
    fields = [
        (weight, tokenize(fold(text_)))
        for weight, text_ in (("A", title), ("B", heads), ("D", body))
    ]
    stemmed = stems(token for _, tokens in fields for token in tokens)
    positions: dict[str, list[str]] = {}
    size = 0
    full = False
    pos = 0
    for weight, tokens in fields:
        for token in tokens:
            pos = min(pos + 1, _MAX_POS)
            lexeme = stemmed[token]
            length = len(lexeme.encode("utf-8"))
            if length > _MAX_LEXEME_BYTES:
                continue
            slots = positions.get(lexeme)
            # PostgreSQL counts a lexeme's bytes, one byte of alignment, its position
            # count and 2 bytes per position
            cost = 2 if slots is not None else length + 5
            if size + cost > _MAX_TSVECTOR_BYTES:
                full = True
                break
            if slots is None:
                slots = positions[lexeme] = []
            if len(slots) < _MAX_POSITIONS:
                slots.append(f"{pos}{weight}")
                size += cost
        if full:
            break
        pos = min(pos + 1, _MAX_POS)  # the gap between two fields
    literal = " ".join(
        "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "':" + ",".join(slots)
        for lexeme, slots in positions.items()
    )
    return literal, full


def pg_tsquery(query: str) -> str:
    """The PostgreSQL tsquery text of a user query (diacritics folded like the index).

    Raises:
        InvalidInput: the query is malformed (the parser's own message).
    """
    parsed = parse_query(query)
    try:
        return parse_query(fold(query)).tsquery()
    except InvalidInput:
        return parsed.tsquery()


def _fts_message(exc: Exception) -> str:
    message = str(getattr(exc, "orig", exc)).splitlines()[0]
    return message.removeprefix("fts5: ")
