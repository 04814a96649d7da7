"""Writing one pack file: a sink that hashes as it writes, and one writer per format."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import orjson

from coditect_tui.core.audit_export import CSV_COLUMNS, csv_row, jsonl_line
from coditect_tui.core.errors import InvalidInput
from coditect_tui.core.evidence.manifest import _BUFFER, PACK_FORMATS, PackFormat, PackTenant
from coditect_tui.core.models import AuditEvent
from coditect_tui.core.paths import open_new_private
from coditect_tui.core.safe_text import safe_text
from coditect_tui.core.wording import plural


class HashingSink:
    """A binary file that hashes and counts what is written (``write`` takes text too)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: IO[bytes] = open_new_private(path, "wb", buffering=_BUFFER)
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, text: str) -> int:
        return self.write_bytes(text.encode("utf-8"))

    def write_bytes(self, data: bytes) -> int:
        self.digest.update(data)
        self.handle.write(data)
        self.size += len(data)
        return len(data)

    def finish(self) -> None:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            self.handle.close()


_MD_SPECIAL = str.maketrans({ch: "\\" + ch for ch in "\\`*_[]<>|~#"})
MD_COLUMNS = (
    "seq",
    "ts",
    "actor",
    "role",
    "action",
    "resource",
    "outcome",
    "source",
    "details",
    "hash",
)


def md_cell(value: object) -> str:
    """Untrusted text as a Markdown table cell: ``safe_text``, Markdown characters escaped
    (never cut: the file is evidence)."""
    return safe_text(value).translate(_MD_SPECIAL)


class _Writer:
    """Writes events in one format to one sink."""

    def __init__(self, fmt: PackFormat, sink: HashingSink) -> None:
        self.format = fmt
        self.sink = sink
        self.rows = 0
        self._csv = csv.writer(sink, lineterminator="\n") if fmt == "csv" else None

    def begin(self, tenant: PackTenant, flt: dict[str, Any], created_at: str) -> None:
        if self._csv is not None:
            self._csv.writerow(CSV_COLUMNS)
        elif self.format == "md":
            shown = ", ".join(f"{k}={v}" for k, v in sorted(flt.items())) or "none"
            self.sink.write(
                f"# Audit evidence: {md_cell(tenant.display_name)} ({md_cell(tenant.name)})\n\n"
                f"- Tenant id: {md_cell(tenant.id)}\n- Created: {created_at}\n"
                f"- Filter: {md_cell(shown)}\n\n"
                f"| {' | '.join(MD_COLUMNS)} |\n|{'---|' * len(MD_COLUMNS)}\n"
            )

    def event(self, event: AuditEvent) -> None:
        self.rows += 1
        if self._csv is not None:
            self._csv.writerow(csv_row(event))
        elif self.format == "jsonl":
            self.sink.write_bytes(jsonl_line(event).encode() + b"\n")
        else:
            details = event.shown(orjson.dumps(event.details, option=orjson.OPT_SORT_KEYS).decode())
            resource = event.resource_type + (
                f":{event.shown(event.resource_id)}" if event.resource_id else ""
            )
            cells = (
                str(event.seq),
                event.ts,
                md_cell(event.shown(event.actor)),
                md_cell(event.role),
                md_cell(event.action),
                md_cell(resource),
                event.outcome,
                md_cell(event.source),
                md_cell(details),
                event.hash,
            )
            self.sink.write(f"| {' | '.join(cells)} |\n")

    def end(self) -> None:
        if self.format == "md":
            self.sink.write(f"\n{plural(self.rows, 'event')}.\n")


def parse_formats(value: str | Iterable[str]) -> tuple[PackFormat, ...]:
    """Formats from ``"csv,jsonl"`` text or a list, in the order given, without repeats.

    Raises:
        InvalidInput: an unknown format or none at all.
    """
    items = value.split(",") if isinstance(value, str) else list(value)
    out: list[PackFormat] = []
    for item in (i.strip().lower() for i in items):
        if item == "markdown":
            item = "md"
        if item not in PACK_FORMATS:
            raise InvalidInput(
                f"unknown format {safe_text(item, max_length=40)!r} "
                f"(choose from {', '.join(PACK_FORMATS)})"
            )
        if item not in out:
            out.append(item)
    if not out:
        raise InvalidInput(f"no format given (choose from {', '.join(PACK_FORMATS)})")
    return tuple(out)
