"""Garbage-collector settings for a server worker (``coditect serve``).

A request allocates thousands of short-lived objects, so CPython's default thresholds run
a young-generation collection every few requests and, every hundred or so, a full one that
walks every object the worker imported at start-up (FastAPI, SQLAlchemy, pydantic schemas):
7-8 % of a worker's time in bench/bench_api.py, under 1 % with these settings. Freezing
the start-up heap takes those objects out of every later collection, and a larger first
threshold makes collections rarer. Request objects are freed by reference counting either
way; the collector only looks for cycles.
"""

from __future__ import annotations

import gc

#: Allocations (net of frees) between young-generation collections (CPython's: 700).
YOUNG_THRESHOLD = 10_000


def tune_for_serving() -> None:
    """Collect once, freeze what survives (the imported app), and raise the first
    threshold. Call after the app is built and before it serves."""
    gc.collect()
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
