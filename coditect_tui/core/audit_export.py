"""Audit export formats (CSV, JSON Lines), shared by the CLI, the app and the server."""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator
from typing import IO, Literal

import orjson

from coditect_tui.core.models import AuditEvent

ExportFormat = Literal["csv", "jsonl"]
CSV_COLUMNS = (
    "seq",
    "ts",
    "actor",
    "role",
    "action",
    "resource_type",
    "resource_id",
    "outcome",
    "source",
    "details",
    "prev_hash",
    "hash",
)


def _csv_safe(value: str) -> str:
    # Spreadsheets execute cells starting with = + - @ (CSV injection); quote them.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_row(event: AuditEvent) -> list[str]:
    """One CSV row (details as compact JSON, formula-like cells defused)."""
    return [
        str(event.seq),
        event.ts,
        _csv_safe(event.actor),
        event.role,
        _csv_safe(event.action),
        event.resource_type,
        _csv_safe(event.resource_id or ""),
        event.outcome,
        _csv_safe(event.source),
        _csv_safe(orjson.dumps(event.details, option=orjson.OPT_SORT_KEYS).decode()),
        event.prev_hash,
        event.hash,
    ]


async def write_events(events: AsyncIterator[AuditEvent], out: IO[str], fmt: ExportFormat) -> int:
    """Write ``events`` to ``out`` in ``fmt``.

    Returns:
        How many events were written.
    """
    count = 0
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        async for event in events:
            writer.writerow(csv_row(event))
            count += 1
    else:
        async for event in events:
            out.write(
                orjson.dumps(event.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS).decode()
            )
            out.write("\n")
            count += 1
    return count
