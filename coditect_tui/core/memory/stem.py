"""English stems of index tokens, exactly as the local store's full-text index makes them.

The local store indexes with SQLite FTS5's ``porter`` tokenizer (wrapping ``unicode61
remove_diacritics 2``). PostgreSQL gets its tsvector from Python (``coditect_store.memory.
tsvector_text``), so it needs the same stems: rather than a second implementation of the
Porter algorithm, which would drift from SQLite's in corner cases, the stems come from
FTS5 itself, through a private in-memory table (``fts5vocab`` lists what the tokenizer
made of each word). Stems are cached per process.
"""

from __future__ import annotations

import sqlite3
import threading
import unicodedata
from collections.abc import Iterable

#: The FTS5 tokenizer of the memory index (the migration 0003 creates it with this).
FTS5_TOKENIZER = "porter unicode61 remove_diacritics 2"
#: Most cached stems before the cache starts over (bounded memory in a long-lived server).
_CACHE_MAX = 500_000


class _Stemmer:
    """One private in-memory FTS5 table that stems batches of words."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[str, str] = {}
        self._conn: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(":memory:", check_same_thread=False)
            conn.execute(f"CREATE VIRTUAL TABLE words USING fts5(w, tokenize = '{FTS5_TOKENIZER}')")
            conn.execute("CREATE VIRTUAL TABLE stems USING fts5vocab(words, 'instance')")
            self._conn = conn
        return self._conn

    def stems(self, words: Iterable[str]) -> dict[str, str]:
        """The stem of each word (a word FTS5 makes no token of is its own stem)."""
        cache = self._cache
        known: dict[str, str] = {}
        missing: dict[str, None] = {}  # in first-seen order
        for word in words:  # one pass: a snippet asks for a few words many times a search
            if word not in known:
                found_stem = cache.get(word)
                if found_stem is None:
                    missing[word] = None
                else:
                    known[word] = found_stem
        if missing:
            with self._lock:
                conn = self._connection()
                with conn:
                    conn.executemany(
                        "INSERT INTO words(rowid, w) VALUES (?, ?)", enumerate(missing, 1)
                    )
                    found: dict[int, str] = {}
                    for doc, term in conn.execute(
                        "SELECT doc, term FROM stems ORDER BY doc, offset"
                    ):
                        found.setdefault(doc, term)
                    conn.execute("DELETE FROM words")
                if len(cache) + len(missing) > _CACHE_MAX:
                    cache.clear()
                for index, word in enumerate(missing, 1):
                    cache[word] = known[word] = found.get(index, word)
        return known


_STEMMER = _Stemmer()


def stems(words: Iterable[str]) -> dict[str, str]:
    """Stem words as the memory index does.

    Args:
        words: tokens as :func:`coditect_tui.core.memory.query.tokenize` makes them.

    Returns:
        Each distinct word mapped to its stem.
    """
    return _STEMMER.stems(words)


def stem(word: str) -> str:
    """The stem of one token (see :func:`stems`)."""
    return _STEMMER.stems((word,))[word]


def fold(text: str) -> str:
    """``text`` without diacritics (as FTS5's ``remove_diacritics 2`` indexes it)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))
