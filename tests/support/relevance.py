"""The judged relevance set of memory search (tests/fixtures/relevance) and its scores.

Shared by tests/memory/test_relevance.py (which asserts nDCG@5 >= 0.8 on the local store)
and bench/bench_memory.py (which prints the figures beside the speed).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from coditect_tui.core.backend import Backend
from coditect_tui.core.memory.indexer import MemoryIndexer
from coditect_tui.core.memory.roots import MemoryRoot
from coditect_tui.core.memory.search import search

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
#: the corpus: the real samples ("sample/…") and the documents written for the set
ROOTS = {
    "sample": FIXTURES / "memory-context-sample",
    "written": FIXTURES / "relevance" / "written",
}
JUDGEMENTS = FIXTURES / "relevance" / "judgements.json"
#: a grade at least this high is "highly relevant" (the first such hit sets the MRR)
HIGH = 2


@dataclass(frozen=True)
class Judged:
    """One query and the grade (1..3) of each relevant document (corpus-relative key)."""

    query: str
    relevant: dict[str, int]


@dataclass(frozen=True)
class QueryScore:
    """What one query scored."""

    query: str
    ndcg: float
    reciprocal_rank: float
    top: list[str]


def load_judgements(path: Path = JUDGEMENTS) -> tuple[int, list[Judged]]:
    """The cut-off k and the judged queries."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return int(data["k"]), [Judged(q["query"], dict(q["relevant"])) for q in data["queries"]]


async def index_corpus(backend: Backend) -> None:
    """Index both folders of the relevance corpus into ``backend``."""
    roots = [MemoryRoot(root.resolve()) for root in ROOTS.values()]
    indexer = MemoryIndexer(backend, roots)
    await indexer.load_state()
    await indexer.index()


def corpus_key(path: str) -> str:
    """``sample/…`` or ``written/…`` for an indexed file's path."""
    for name, root in ROOTS.items():
        resolved = root.resolve()
        if Path(path).is_relative_to(resolved):
            return f"{name}/{Path(path).relative_to(resolved).as_posix()}"
    return path


def ndcg(grades: list[int], ideal: list[int], k: int) -> float:
    """Normalised discounted cumulative gain at ``k`` (gain 2^grade - 1)."""

    def dcg(values: list[int]) -> float:
        return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(values[:k]))

    best = dcg(sorted(ideal, reverse=True))
    return dcg(grades) / best if best else 0.0


async def score(backend: Backend, k: int, judged: list[Judged]) -> list[QueryScore]:
    """Run every judged query (as typed: the last word is a prefix) and score its hits."""
    scores = []
    for item in judged:
        hits = await search(backend, item.query, limit=50)
        keys = [corpus_key(h.entry.path) for h in hits]
        grades = [item.relevant.get(key, 0) for key in keys]
        first = next((i for i, g in enumerate(grades) if g >= HIGH), None)
        scores.append(
            QueryScore(
                item.query,
                ndcg(grades, list(item.relevant.values()), k),
                0.0 if first is None else 1.0 / (first + 1),
                keys[:k],
            )
        )
    return scores
