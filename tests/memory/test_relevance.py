"""Ranking cannot silently regress: the judged set (tests/fixtures/relevance) scores
nDCG@5 >= 0.8 on the local store."""

from __future__ import annotations

from coditect_store.store import SqlStore
from tests.support.relevance import index_corpus, load_judgements, score


async def test_the_judged_queries_score_ndcg_at_5_of_at_least_0_8(store: SqlStore) -> None:
    k, judged = load_judgements()
    assert len(judged) >= 30 and k == 5
    await index_corpus(store)
    scores = await score(store, k, judged)
    ndcg = sum(s.ndcg for s in scores) / len(scores)
    mrr = sum(s.reciprocal_rank for s in scores) / len(scores)
    worst = sorted(scores, key=lambda s: s.ndcg)[:3]
    assert ndcg >= 0.8, (ndcg, [(s.query, round(s.ndcg, 2), s.top) for s in worst])
    assert mrr >= 0.8, mrr
