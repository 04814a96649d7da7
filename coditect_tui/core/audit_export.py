"""Audit export formats (CSV, JSON Lines), shared by the CLI, the app and the server.

Both follow the one neutralising rule of :mod:`coditect_tui.core.safe_text`: JSON Lines
through ``safe_json`` (a JSON reader gets the events back unchanged), CSV text cells through
``safe_text`` and the ``details`` cell as ``safe_json``.
"""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator
from typing import IO, Literal

from coditect_tui.core.models import AuditEvent
from coditect_tui.core.safe_text import safe_json, safe_text

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
    "names",
)


def _csv_safe(value: str) -> str:
    # Spreadsheets execute cells starting with = + - @ (CSV injection); quote them.
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def csv_row(event: AuditEvent) -> list[str]:
    """One CSV row: text cells through ``safe_text``, details as ``safe_json`` (compact,
    sorted keys), formula-like cells defused. The cells are the chain's own (principals
    by pseudonymous id); ``names`` says who each id is, or that they were erased."""
    return [
        str(event.seq),
        safe_text(event.ts),
        _csv_safe(safe_text(event.actor)),
        safe_text(event.role),
        _csv_safe(safe_text(event.action)),
        safe_text(event.resource_type),
        _csv_safe(safe_text(event.resource_id or "")),
        safe_text(event.outcome),
        _csv_safe(safe_text(event.source)),
        _csv_safe(safe_json(event.details, sort_keys=True)),
        safe_text(event.prev_hash),
        safe_text(event.hash),
        _csv_safe(safe_json(event.names, sort_keys=True)),
    ]


def jsonl_line(event: AuditEvent) -> str:
    """One JSON Lines record (sorted keys, ``safe_json``), without the newline."""
    return safe_json(event.model_dump(mode="json"), sort_keys=True)


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
            out.write(jsonl_line(event))
            out.write("\n")
            count += 1
    return count
