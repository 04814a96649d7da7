"""The search syntax: translation, clear errors, and never an FTS5 syntax error."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coditect_store.store import SqlStore
from coditect_tui.core.errors import InvalidInput
from coditect_tui.core.memory.query import parse_query, to_fts5
from coditect_tui.core.memory.search import search, snippet_segments
from coditect_tui.core.models import MemoryEntrySpec


@pytest.mark.parametrize(
    ("query", "fts5", "tsquery"),
    [
        ("hooks", '"hooks"*', "'hook':*"),
        ("hooks ", '"hooks"', "'hook'"),
        ("hooks checkpoint", '"hooks" AND "checkpoint"*', "'hook' & 'checkpoint':*"),
        ("rankin", '("rankin"* OR "rank")', "('rankin':* | 'rank')"),
        ("configura", '("configura"* OR "configur")', "('configura':* | 'configur')"),
        ("ho", '"ho"', "'ho'"),
        ('"symlink verification"', '"symlink verification"', "('symlink' <-> 'verif')"),
        ("submod*", '"submod"*', "'submod':*"),
        ("hooks OR session", '("hooks" OR "session"*)', "('hook' | 'session':*)"),
        (
            "hooks checkpoint OR session",
            '"hooks" AND ("checkpoint" OR "session"*)',
            "'hook' & ('checkpoint' | 'session':*)",
        ),
        ("hooks -draft", '"hooks" NOT "draft"', "'hook' & !'draft'"),
        ("hooks NOT draft", '"hooks" NOT "draft"', "'hook' & !'draft'"),
        ("a b -c", '("a" AND "b") NOT "c"', "'a' & 'b' & !'c'"),
        ("a -(b OR c)", '"a" NOT ("b" OR "c")', "'a' & !('b' | 'c')"),
        ("(a OR b) AND c", '("a" OR "b") AND "c"', "('a' | 'b') & 'c'"),
        ("coditect-next-gen*", '"coditect-next-gen"*', "('coditect' <-> 'next' <-> 'gen':*)"),
        ("Phase 2 & 3", '"Phase" AND "2" AND "3"', "'phase' & '2' & '3'"),
        (
            "title:foo NEAR ^x or",
            '"title:foo" AND "NEAR" AND "^x" AND "or"',
            "('titl' <-> 'foo') & 'near' & 'x' & 'or'",
        ),
        ("l'été", '"l\'été"*', "('l' <-> 'et':*)"),
    ],
)
def test_translation(query: str, fts5: str, tsquery: str) -> None:
    parsed = parse_query(query)
    assert parsed.fts5() == fts5
    assert parsed.tsquery() == tsquery
    assert to_fts5(fts5) == fts5  # idempotent: the store may translate again


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('"unbalanced', 'unbalanced quote: the " at position 1 is never closed'),
        ('ok "still open', 'unbalanced quote: the " at position 4 is never closed'),
        ("NEAR(a b)", 'NEAR(...) is not supported: search for "a phrase" or for several words'),
        ("NEAR(", 'NEAR(...) is not supported: search for "a phrase" or for several words'),
        ("*", "'*' at position 1 must directly follow a word (prefix search, e.g. submod*)"),
        ("hooks *", "'*' at position 7 must directly follow a word"),
        ("-", "a '-' at position 1 must be directly followed by a word or \"phrase\" to exclude"),
        ("hooks - draft", "a '-' at position 7 must be directly followed by a word"),
        (
            "-draft",
            'exclusions (-word, NOT word) need at least one word or "phrase" that must match',
        ),
        ("AND", 'AND at position 1 needs a word or "phrase" on each side'),
        ("hooks OR", 'OR at position 7 needs a word or "phrase" on each side'),
        ("OR hooks", 'OR at position 1 needs a word or "phrase" on each side'),
        ("a OR -b", "OR at position 3 cannot combine an exclusion"),
        ("NOT", 'NOT at position 1 must be followed by a word or "phrase" to exclude'),
        ("(hooks", "unbalanced parenthesis: the ( at position 1 is never closed"),
        ("hooks)", "unbalanced parenthesis: the ) at position 6 has no matching ("),
        ("()", "empty parentheses at position 1"),
        ("ho*ks", "'*' in 'ho*ks' must come at the end of the word"),
        ("h*", "prefix h* is too short"),
        ("&& + ...", "nothing to search for"),
        ("   ", "empty search query"),
        ("w " * 40, "too many words in the query (40; at most 32)"),
        ("x" * 501, "search query too long (501 characters; at most 500)"),
    ],
)
def test_malformed_queries_say_why(query: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_query(query)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def _fts_table() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute(
        "CREATE VIRTUAL TABLE f USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2')"
    )
    docs = [
        "hooks checkpoint phase",
        "hooks session draft",
        "session export",
        "checkpoint",
        "symlink verification of submodules",
        "verification symlink",
        "café crème",
    ]
    conn.executemany(
        "INSERT INTO f(rowid, title, body) VALUES (?, '', ?)", list(enumerate(docs, 1))
    )
    return conn


@pytest.mark.parametrize(
    ("query", "rows"),
    [
        ("hooks", {1, 2}),
        ("hooks checkpoint", {1}),
        ("hooks OR export", {1, 2, 3}),
        ("hooks -draft", {1}),
        ('"symlink verification"', {5}),
        ("symlink verification", {5, 6}),
        ("submod*", {5}),
        ("checkpoint OR session -hooks", {3, 4}),
        ("(hooks OR export) session", {2, 3}),
        ("cafe", {7}),
        ("CRÈME", {7}),
    ],
)
def test_semantics_on_a_real_fts5_table(query: str, rows: set[int]) -> None:
    conn = _fts_table()
    found = {r[0] for r in conn.execute("SELECT rowid FROM f WHERE f MATCH ?", (to_fts5(query),))}
    assert found == rows


_ALPHABET = st.sampled_from([*'ab é"()*-: ^+.', "OR", "AND", "NOT", "NEAR", " x", "\t"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_ALPHABET, max_size=14).map("".join))
def test_any_input_is_either_rejected_clearly_or_valid_fts5(text: str) -> None:
    conn = _fts_table()
    try:
        fts5 = to_fts5(text)
    except InvalidInput as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    conn.execute("SELECT rowid FROM f WHERE f MATCH ?", (fts5,)).fetchall()  # no error
    assert to_fts5(fts5) == fts5


async def test_the_store_accepts_every_translation(store: SqlStore) -> None:
    await store.upsert_memory_entry(
        MemoryEntrySpec(
            path="/m/a.md", kind="note", title="Hooks", body="symlink verification of hooks"
        )
    )
    for query in (
        "hooks",
        '"symlink verification"',
        "verif*",
        "hooks -draft",
        "symlink:verification",
        "^hooks",
        "(hooks OR x) symlink",
    ):
        hits = await search(store, query)
        assert [h.entry.path for h in hits] == ["/m/a.md"], query
    with pytest.raises(InvalidInput, match="unbalanced quote"):
        await search(store, '"symlink')


def test_snippet_segments() -> None:
    assert snippet_segments("…the \x02hooks\x03 and \x02hook\x03s") == [
        ("…the ", False),
        ("hooks", True),
        (" and ", False),
        ("hook", True),
        ("s", False),
    ]
    assert snippet_segments("") == []


@pytest.mark.parametrize(
    ("shown", "total", "exact", "text"),
    [
        (0, 0, True, "0 hits"),
        (1, 1, True, "1 hit"),
        (12, 12, True, "12 hits"),
        (200, 1613, True, "200 of 1,613 hits"),
        (200, 500, False, "200 of at least 500 hits (counting stopped early)"),
    ],
)
def test_count_text(shown: int, total: int, exact: bool, text: str) -> None:
    from coditect_tui.core.memory.search import count_text

    assert count_text(shown, total, exact=exact) == text
