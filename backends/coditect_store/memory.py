"""Memory entries and their full-text index (SQLite FTS5, bm25 ranking)."""

from __future__ import annotations

import unicodedata
from collections.abc import AsyncGenerator, Sequence
from typing import Any

import orjson
from sqlalchemy import (
    ColumnClause,
    and_,
    bindparam,
    case,
    column,
    false,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
    tuple_,
)
from sqlalchemy.exc import DBAPIError, OperationalError

from coditect_store import cursors
from coditect_store.base import StoreBase
from coditect_store.op import Op
from coditect_store.rows import new_id, to_model
from coditect_store.schema import memory_entries, memory_fts_pg, projects
from coditect_tui.core.errors import InvalidInput, NotFound
from coditect_tui.core.memory.query import parse_query, to_fts5, tokenize
from coditect_tui.core.memory.ranking import (
    FIELD_WEIGHTS,
    KIND_PRIOR,
    PG_RANK_WEIGHTS,
    group_sessions,
    headings,
)
from coditect_tui.core.memory.stem import stems
from coditect_tui.core.models import (
    Action,
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
_FTS = table("memory_fts", column("rowid"))  # the FTS5 virtual table (made by the migration)
_EXPORT_BATCH = 500
_MAX_DUPLICATE_PATHS = 20


def _entry(row: Any) -> MemoryEntry:
    return to_model(MemoryEntry, row, tags=orjson.loads(row.tags))


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

    async def upsert_memory_entry(self, spec: MemoryEntrySpec) -> MemoryEntry:
        async with self._op(MEM, None, method="upsert_memory_entry", target=spec.path) as op:
            return await self._upsert_entry(op, spec)

    async def upsert_memory_entries(self, specs: list[MemoryEntrySpec]) -> list[MemoryEntry]:
        if not specs:
            return []
        async with self._op(MEM, None, method="upsert_memory_entries", target=specs[0].path) as op:
            return [await self._upsert_entry(op, spec) for spec in specs]

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
                    text("DELETE FROM memory_fts WHERE rowid = :rid"), {"rid": rid}
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
            await op.conn.execute(
                text(
                    "INSERT INTO memory_fts(rowid, title, headings, body) "
                    "VALUES (:rid, :title, :headings, :body)"
                ),
                {"rid": rid, "title": spec.title, "headings": heads, "body": spec.body},
            )
        return MemoryEntry(
            id=entry_id,
            path=spec.path,
            kind=spec.kind,
            title=spec.title,
            project_id=spec.project_id,
            timestamp_raw=spec.timestamp_raw,
            timestamp=spec.timestamp,
            timestamp_note=spec.timestamp_note,
            tags=list(spec.tags),
            size=spec.size,
            mtime=spec.mtime,
            sha256=spec.sha256,
            created_by=row.created_by if row is not None else self._principal,
            indexed_at=now,
        )

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
            rid = (
                await self._one(
                    op.conn,
                    select(_ROWID).where(
                        memory_entries.c.tenant_id == self._tid, memory_entries.c.id == entry_id
                    ),
                    "memory entry",
                )
            )[0]
            body = (
                await op.conn.execute(
                    text("SELECT body FROM memory_fts WHERE rowid = :r"), {"r": rid}
                )
            ).scalar()
        return body or ""

    async def list_memory_entries(
        self, filter: MemoryFilter | None = None, *, cursor: str | None = None, limit: int = 100
    ) -> Page[MemoryEntry]:
        after = cursors.decode("memory", cursor, 3)
        async with self._op(MEM, Action.READ, method="list_memory_entries") as op:
            return await self._memory_page(op.conn, filter, after, cursors.clamp(limit))

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
        return (await self.search_memory_result(query, filter, limit=limit)).hits

    async def search_memory_result(
        self, query: str, filter: MemoryFilter | None = None, *, limit: int = 50
    ) -> MemorySearchResult:
        # InvalidInput with a clear message for malformed input
        match = pg_tsquery(query) if self._pg else to_fts5(query)
        limit = cursors.clamp(limit)
        # named: mypy rejects a starred tuple display in ``except`` (python/mypy#21092)
        refused: tuple[type[Exception], ...] = (OperationalError,)
        if self._pg:
            from coditect_store.pg_read import STATEMENT_ERRORS

            refused = (DBAPIError, *STATEMENT_ERRORS)
        async with self._op(
            MEM, Action.READ, method="search_memory", read_details={"query": query}
        ) as op:
            try:
                ranked = (await op.conn.execute(self._ranked(filter, limit), {"q": match})).all()
                snippets = await self._snippets(op.conn, match, ranked)
            except refused as exc:
                raise InvalidInput(f"search query: {_fts_message(exc)}") from None
            copies = await self._copies(op.conn, filter, [r for r in ranked if r.copies > 1])
        hits = []
        for r in ranked:
            others = [path for entry_id, path in copies.get(r.sha256 or "", []) if entry_id != r.id]
            hits.append(
                SearchHit(
                    entry=_entry(r),
                    rank=float(r.score),
                    snippet=snippets.get(r.id, ""),
                    duplicate_count=len(others),
                    duplicates=others[:_MAX_DUPLICATE_PATHS],
                )
            )
        total = ranked[0].total if ranked else 0
        return MemorySearchResult(hits=group_sessions(hits), total=total)

    def _ranked(self, flt: MemoryFilter | None, limit: int) -> Any:
        """The page of hits, best first: the entry, its ``rid`` (FTS rowid), ``score``,
        ``copies`` (entries that match with the same content) and ``total`` (distinct
        contents that match).

        Only the few columns the ranking needs go through the window functions; the
        page's entries are joined back at the end (carrying every column of every match
        through the sort costs several times the search itself).
        """
        m = memory_entries.c
        match: Any
        prior = case(KIND_PRIOR, value=m.kind, else_=1.0)
        if self._pg:
            f = memory_fts_pg.c
            tsq = func.to_tsquery(literal_column("'simple'"), bindparam("q"))
            weights: ColumnClause[Any] = literal_column(
                "'{" + ",".join(str(w) for w in PG_RANK_WEIGHTS) + "}'::float4[]"
            )
            score = -func.ts_rank(weights, f.tsv, tsq, 1) * prior
            source = memory_fts_pg.join(memory_entries, m.id == f.entry_id)
            match = f.tsv.op("@@")(tsq)
            rid: Any = m.id
        else:
            bm25 = ", ".join(str(w) for w in FIELD_WEIGHTS)
            score = literal_column(f"bm25(memory_fts, {bm25})") * prior
            source = _FTS.join(memory_entries, literal_column("memory_fts.rowid") == _ROWID)
            match = text("memory_fts MATCH :q")
            rid = _ROWID
        columns = (
            m.id,
            rid.label("rid"),
            func.coalesce(m.sha256, m.id).label("content"),
            m.timestamp,
            score.label("score"),
        )
        matched = (
            _filtered(select(*columns).select_from(source), self._tid, flt)
            .where(match)
            .subquery("matched")
        )
        c = matched.c
        order = (c.score, c.timestamp.desc().nulls_last(), c.id)
        grouped = select(
            matched,
            func.row_number().over(partition_by=c.content, order_by=order).label("copy"),
            func.count().over(partition_by=c.content).label("copies"),
        ).subquery("grouped")
        g = grouped.c
        page = (
            select(g.id, g.rid, g.score, g.copies, func.count().over().label("total"))
            .where(g.copy == 1)
            .order_by(g.score, g.timestamp.desc().nulls_last(), g.id)
            .limit(limit)
            .subquery("page")
        )
        p = page.c
        return (
            select(memory_entries, p.rid, p.score, p.copies, p.total)
            .join_from(page, memory_entries, memory_entries.c.id == p.id)
            .order_by(p.score, m.timestamp.desc().nulls_last(), p.id)
        )

    async def _snippets(self, conn: Any, match: str, ranked: Sequence[Any]) -> dict[str, str]:
        """The highlighted snippet of each hit's body (computed for the page only)."""
        if not ranked:
            return {}
        if self._pg:
            f = memory_fts_pg.c
            tsq = func.to_tsquery(literal_column("'simple'"), bindparam("q"))
            stmt = select(
                f.entry_id,
                func.ts_headline(literal_column("'simple'"), f.body, tsq, bindparam("opts")),
            ).where(f.entry_id.in_([r.id for r in ranked]))
            found = await conn.execute(stmt, {"q": match, "opts": _HEADLINE})
            return {entry_id: snip or "" for entry_id, snip in found}
        fts_rowid: ColumnClause[int] = literal_column("memory_fts.rowid")
        stmt = (
            select(fts_rowid, literal_column("snippet(memory_fts, 2, char(2), char(3), '…', 16)"))
            .select_from(_FTS)
            .where(text("memory_fts MATCH :q"), fts_rowid.in_([r.rid for r in ranked]))
        )
        by_rid = {r.rid: r.id for r in ranked}
        found = await conn.execute(stmt, {"q": match})
        return {by_rid[rowid]: snip or "" for rowid, snip in found}

    async def _copies(
        self, conn: Any, flt: MemoryFilter | None, rows: Sequence[Any]
    ) -> dict[str, list[tuple[str, str]]]:
        """Per content hash of the hits: every (id, path) with that content (filtered)."""
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
                    text("DELETE FROM memory_fts WHERE rowid = :rid"), {"rid": row.rid}
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


def fold(text: str) -> str:
    """``text`` without diacritics (as FTS5's ``remove_diacritics 2`` indexes it)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


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
