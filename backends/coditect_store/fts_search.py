"""The memory search on SQLite: every read of one search in one visit of the driver's thread.

A search reads the tenant's audit head and shared contents, the ranked page with its
entries, the count, the page's bodies (for snippets) and their copies. Run through
SQLAlchemy each was a round trip to aiosqlite's worker thread plus result processing,
which together cost more than the SQL; here :func:`read` runs them all in one plain
function on that thread, in a read transaction of its own (``Op.read_on_driver``), with
the statements written out for SQLite below. The ranking, the approximate top-k and the
counting rules are docs/memory.md's; PostgreSQL runs the same rules through SQLAlchemy in
``memory.py``.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from coditect_store.driver_sqlite import IN_CHUNK, in_list
from coditect_store.fts_key import RANK_SHIFT, ROWID_MASK, rank_of
from coditect_store.schema import parse_ts
from coditect_tui.core.memory.ranking import FIELD_WEIGHTS, KIND_PRIOR
from coditect_tui.core.memory.snippet import WORDS as SNIPPET_WORDS
from coditect_tui.core.memory.snippet import Snippets
from coditect_tui.core.models import MemoryEntry, MemoryFilter, format_ts

#: Candidates taken beyond a page, so that copies of one content seldom cost a second query.
CANDIDATE_SLACK = 20

if not all(re.fullmatch(r"[a-z-]+", kind) for kind in KIND_PRIOR):
    raise AssertionError("a kind's name is written into the SQL: letters and dashes only")
_PRIOR = (
    "CASE m.kind "
    + " ".join(f"WHEN '{kind}' THEN {float(prior)!r}" for kind, prior in KIND_PRIOR.items())
    + " ELSE 1.0 END"
)
_BM25 = f"bm25(memory_fts, {', '.join(repr(float(w)) for w in FIELD_WEIGHTS)})"
_SCORE = f"{_BM25} * {_PRIOR}"


def _rank_prior() -> str:
    """The kind's prior read off an index key's rank (the kinds of one rank share their
    prior, and a kind not listed has prior 1.0 as in ``_PRIOR``)."""
    by_rank: dict[int, float] = {}
    for kind, prior in KIND_PRIOR.items():
        if by_rank.setdefault(rank_of(kind), float(prior)) != float(prior):
            raise AssertionError(f"kinds of one rank with different priors: {kind}")
    if by_rank.setdefault(rank_of(""), 1.0) != 1.0:
        raise AssertionError("a kind not listed must have prior 1.0 in its rank")
    cases = " ".join(f"WHEN {rank} THEN {prior!r}" for rank, prior in sorted(by_rank.items()))
    return f"CASE (memory_fts.rowid >> {RANK_SHIFT}) {cases} ELSE 1.0 END"


#: Every entry of the tenant that the match finds (values: tenant, match); a filter's
#: clauses follow.
_MATCHING = (
    f"FROM memory_fts JOIN memory_entries AS m ON (memory_fts.rowid & {ROWID_MASK}) = m.rowid "
    "WHERE m.tenant_id = ? AND memory_fts MATCH ?"
)
#: The entry columns of a hit (MemoryEntry's fields, as ``rows.to_models`` reads them).
_COLUMNS = tuple(MemoryEntry.model_fields)
#: The scored matches when the index holds only this tenant's entries and no filter
#: applies: scored without reading their entries (the prior comes from the key's rank).
#: Values: match, scored.
_SCORED_ALONE = (
    f"SELECT rowid AS rid, {_BM25} * {_rank_prior()} AS score "
    "FROM memory_fts WHERE memory_fts MATCH ? ORDER BY rowid LIMIT ?"
)


def _page_sql(scored: str) -> str:
    """The page statement over ``scored`` (rows ``rid``, ``score``: the scored matches,
    the first so many in static-rank order): only the matches that can make the page,
    every tie of the last included, are joined to their entries for the full order.
    Values: those of ``scored``, then want - 1, want. Columns: content, rid, score, how
    many matches were scored, then :data:`_COLUMNS`."""
    columns = ", ".join(f"m.{name}" for name in _COLUMNS)
    return (
        f"WITH s AS MATERIALIZED ({scored}), "
        "cut AS (SELECT coalesce((SELECT score FROM s ORDER BY score LIMIT 1 OFFSET ?), 1e308) "
        "AS at) "
        f"SELECT coalesce(m.sha256, m.id), s.rid, s.score, (SELECT count(*) FROM s), {columns} "
        f"FROM s JOIN memory_entries AS m ON m.rowid = (s.rid & {ROWID_MASK}) "
        "WHERE s.score <= (SELECT at FROM cut) "
        "ORDER BY s.score, m.timestamp DESC NULLS LAST, m.id LIMIT ?"
    )


_PAGE_ALONE = _page_sql(_SCORED_ALONE)

#: The tenant's audit head (it moves with every change of its memory entries), and
#: whether another tenant has memory entries (both ranges of the tenant index).
_SHARED_KEY = (
    "SELECT (SELECT seq FROM audit_heads WHERE tenant_id = ?1), "
    "EXISTS (SELECT 1 FROM memory_entries WHERE tenant_id < ?1) "
    "OR EXISTS (SELECT 1 FROM memory_entries WHERE tenant_id > ?1)"
)
#: The content hashes two or more of the tenant's entries have (value: tenant).
_SHARED_HASHES = (
    "SELECT o.sha256 FROM memory_entries AS o WHERE o.tenant_id = ? AND o.sha256 IS NOT NULL "
    "GROUP BY o.sha256 HAVING count(*) > 1"
)
#: The rowids of the tenant's entries whose content another of its entries has.
_SHARED_ROWIDS = (
    "SELECT m.rowid FROM memory_entries AS m "
    f"WHERE m.tenant_id = ? AND m.sha256 IN ({_SHARED_HASHES})"
)
#: Every index row the match finds (the index holding one tenant's entries only).
_FTS_COUNT = "SELECT count(*) FROM memory_fts WHERE memory_fts MATCH ?"
#: The engine's snippet, where :class:`Snippets` confirms no match in a body.
_FTS_SNIPPET = f"snippet(memory_fts, 2, char(2), char(3), '…', {SNIPPET_WORDS})"


def filter_sql(flt: MemoryFilter | None) -> tuple[str, list[Any]]:
    """The clauses of ``flt`` on ``memory_entries AS m`` (each `` AND …``) and their values,
    as ``memory._filtered`` reads a filter (prefixes and tags matched with ``LIKE``, its
    wildcards escaped; times compared as their stored text)."""
    if flt is None:
        return "", []
    clauses: list[str] = []
    args: list[Any] = []
    if flt.kinds is not None:
        clauses.append(f"m.kind IN {in_list(len(flt.kinds))}" if flt.kinds else "0")
        args += flt.kinds
    if flt.project_id is not None:
        clauses.append("m.project_id = ?")
        args.append(flt.project_id)
    if flt.since is not None:
        clauses.append("m.timestamp >= ?")
        args.append(format_ts(flt.since))
    if flt.until is not None:
        clauses.append("m.timestamp < ?")
        args.append(format_ts(flt.until))
    if flt.path_prefix is not None:
        clauses.append("m.path LIKE ? ESCAPE '/'")
        args.append(_like(flt.path_prefix) + "%")
    if flt.id_prefix is not None:
        clauses.append("m.id LIKE ? ESCAPE '/'")
        args.append(_like(flt.id_prefix) + "%")
    if flt.tags:
        # tags are stored as a JSON array of strings: match the quoted element exactly
        clauses.append("(" + " OR ".join(["m.tags LIKE ? ESCAPE '/'"] * len(flt.tags)) + ")")
        args += ["%" + _like(orjson.dumps(tag).decode()) + "%" for tag in flt.tags]
    return "".join(f" AND {clause}" for clause in clauses), args


def _like(text: str) -> str:
    """``text`` matched literally by ``LIKE … ESCAPE '/'``."""
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


@dataclass(frozen=True)
class Plan:
    """What one search asks for.

    Attributes:
        tenant_id: the tenant searched.
        query: the query as the user wrote it (for snippets).
        match: its FTS5 text.
        flt: the filter (None or one that keeps every entry: no clauses).
        limit: hits on the page.
        scored: most matches scored by BM25 (None: every one).
        count: count every distinct content that matches (else the page's own).
        shared: the tenant's audit head and shared rowids known from the last search.
    """

    tenant_id: str
    query: str
    match: str
    flt: MemoryFilter | None
    limit: int
    scored: int | None
    count: bool
    shared: tuple[int | None, frozenset[int]] | None


@dataclass(frozen=True)
class Found:
    """What one search read.

    Attributes:
        hits: the page, best first: each entry and its score (lower is better).
        total: distinct contents that match (exact).
        snippets: by entry id.
        copies: per content hash of a hit, every (id, path) with that content.
        shared: the tenant's audit head and the rowids of its entries whose content
            another of its entries has (kept while the head does not move).
    """

    hits: list[tuple[MemoryEntry, float]]
    total: int
    snippets: dict[str, str]
    copies: dict[str, list[tuple[str, str]]]
    shared: tuple[int | None, frozenset[int]]


def read(db: sqlite3.Connection, plan: Plan) -> Found:
    """Run one search's reads on ``db`` (the driver's thread, inside a read transaction).

    Raises:
        sqlite3.OperationalError: a query FTS5 refuses, or the store's own trouble.
    """
    where, args = filter_sql(plan.flt)
    tid = plan.tenant_id
    head, others = db.execute(_SHARED_KEY, (tid,)).fetchone()
    if plan.shared is not None and plan.shared[0] == head:
        shared = plan.shared[1]
    else:
        shared = frozenset(rowid for (rowid,) in db.execute(_SHARED_ROWIDS, (tid, tid)))
    hits, rids, seen, every_match = _page(db, plan, where, args, alone=not others)
    if every_match or not plan.count:
        total = len(seen)
    elif not shared and not others and not where:
        total = db.execute(_FTS_COUNT, (plan.match,)).fetchone()[0]
    else:
        total = _count(db, plan, where, args, shared)
    snippets = _snippets(db, plan, {rids[entry.id]: entry.id for entry, _ in hits})
    copies: dict[str, list[tuple[str, str]]] = {}
    if any(rids[entry.id] & ROWID_MASK in shared for entry, _ in hits):
        copies = _copies(db, tid, where, args, sorted({e.sha256 for e, _ in hits if e.sha256}))
    return Found(hits, total, snippets, copies, (head, shared))


def _page(
    db: sqlite3.Connection, plan: Plan, where: str, args: list[Any], *, alone: bool
) -> tuple[list[tuple[MemoryEntry, float]], dict[str, int], set[str], bool]:
    """The page's entries and scores, best first and one per content; each candidate's
    FTS rowid; the contents seen; and whether the candidates were every match.

    The best ``limit`` plus some are taken by score; when copies crowd the page, more.
    Only the first ``scored`` matches in static-rank order are scored (FTS5 reads a match
    in rowid order and stops there). ``alone``: no other tenant has entries in the store."""
    want = plan.limit + CANDIDATE_SLACK
    scored = plan.scored
    if alone and not where:
        sql, first = _PAGE_ALONE, (plan.match,)
    else:
        sql = _page_sql(
            f"SELECT memory_fts.rowid AS rid, {_SCORE} AS score {_MATCHING}{where} "
            "ORDER BY memory_fts.rowid LIMIT ?"
        )
        first = (plan.tenant_id, plan.match, *args)
    while True:
        limit = -1 if scored is None else scored
        rows = db.execute(sql, (*first, limit, want - 1, want)).fetchall()
        page: list[tuple[MemoryEntry, float]] = []
        rids: dict[str, int] = {}
        seen: set[str] = set()
        for content, rid, score, _, *entry in rows:
            rids[entry[0]] = rid
            if content not in seen:
                seen.add(content)
                if len(page) < plan.limit:
                    page.append((_entry(entry), score))
        # every match was scored, and every scored one is in ``rows``
        whole = scored is None or not rows or rows[0][3] < scored
        every_match = whole and len(rows) < want
        if len(page) == plan.limit or every_match:
            return page, rids, seen, every_match
        want *= 4
        if scored is not None:
            scored *= 4


def _count(
    db: sqlite3.Connection, plan: Plan, where: str, args: list[Any], shared: frozenset[int]
) -> int:
    """How many distinct contents match: only the entries whose content another entry
    shares go through ``DISTINCT``."""
    values: list[Any] = [plan.tenant_id, plan.match, *args]
    if not shared:
        return int(db.execute(f"SELECT count(*) {_MATCHING}{where}", values).fetchone()[0])
    if len(shared) <= IN_CHUNK:
        copy = f"CASE WHEN m.rowid IN {in_list(len(shared))} THEN m.sha256 END"
        values = [*sorted(shared), *values]
    else:
        copy = f"CASE WHEN m.sha256 IN ({_SHARED_HASHES}) THEN m.sha256 END"
        values = [plan.tenant_id, *values]
    sql = (
        "SELECT count(*) - count(copy) + count(DISTINCT copy) "
        f"FROM (SELECT {copy} AS copy {_MATCHING}{where})"
    )
    return int(db.execute(sql, values).fetchone()[0])


_VALIDATE = MemoryEntry.__pydantic_validator__.validate_python


def _entry(row: Sequence[Any]) -> MemoryEntry:
    """The entry of a row of :data:`_COLUMNS` (times and tags as the store keeps them)."""
    values = dict(zip(_COLUMNS, row, strict=True))
    values["tags"] = orjson.loads(values["tags"])
    values["indexed_at"] = parse_ts(values["indexed_at"])
    if values["timestamp"] is not None:
        values["timestamp"] = parse_ts(values["timestamp"])
    return _VALIDATE(values)


def _snippets(db: sqlite3.Connection, plan: Plan, by_rid: dict[int, str]) -> dict[str, str]:
    """The snippet of each hit's body (:class:`Snippets`; FTS5's own for a body where that
    confirms no match)."""
    if not by_rid:
        return {}
    maker = Snippets(plan.query)
    snippets: dict[str, str] = {}
    sql = f"SELECT rowid, body FROM memory_fts WHERE rowid IN {in_list(len(by_rid))}"
    for rowid, body in db.execute(sql, tuple(by_rid)):
        made = maker.of(body or "")
        if made is not None:
            snippets[by_rid[rowid]] = made
    rest = [rid for rid, entry_id in by_rid.items() if entry_id not in snippets]
    if rest:
        sql = (
            f"SELECT rowid, {_FTS_SNIPPET} FROM memory_fts "
            f"WHERE memory_fts MATCH ? AND rowid IN {in_list(len(rest))}"
        )
        for rowid, snip in db.execute(sql, (plan.match, *rest)):
            snippets[by_rid[rowid]] = snip or ""
    return snippets


def _copies(
    db: sqlite3.Connection, tenant_id: str, where: str, args: list[Any], shas: Sequence[str]
) -> dict[str, list[tuple[str, str]]]:
    """Per content hash: every (id, path) of the tenant (through the filter) with it."""
    if not shas:
        return {}
    # +m.path: sorted after the lookup by hash (without statistics the planner read
    # every entry of the tenant in path order instead)
    sql = (
        f"SELECT m.sha256, m.id, m.path FROM memory_entries AS m WHERE m.tenant_id = ?{where} "
        f"AND m.sha256 IN {in_list(len(shas))} ORDER BY +m.path"
    )
    copies: dict[str, list[tuple[str, str]]] = {}
    for sha, entry_id, path in db.execute(sql, (tenant_id, *args, *shas)):
        copies.setdefault(sha, []).append((entry_id, path))
    return copies
