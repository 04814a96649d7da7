"""Evidence packs: a filtered audit export as CSV, JSONL and/or Markdown plus a manifest.

A pack is a directory::

    <pack>/
      audit-events.csv | audit-events.jsonl | audit-events.md   (one or more)
      manifest.json     tenant, time window, filter, app version, row count, created_at,
                        seq range, chain ends, and name/format/rows/bytes/sha256 per file
      SHA256SUMS        ``sha256sum -c SHA256SUMS`` checks every file, manifest included

It is streamed from ``Backend.export_audit`` (keyset pages; a million events never sit in
memory), every format written in the same pass, each file hashed while it is written.
The pack is built in a hidden sibling directory and renamed into place only once it is
complete and synced, so the target path holds either nothing or a whole pack; an existing
target is never overwritten. :func:`verify_evidence_pack` re-checks a pack: files present,
sizes, checksums, row counts and (from the JSONL file) every event's hash-chain link.

Untrusted text (actors, resource ids, details) is written faithfully to CSV (formula-like
cells defused, as ``coditect audit export`` does) and JSONL; the Markdown file shows it
through ``safe_text`` with Markdown characters escaped.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import os
import shutil
import tempfile
from collections.abc import AsyncGenerator, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final, Literal, cast

import orjson
from pydantic import ValidationError

from coditect_tui.core.audit_chain import canonical_details, canonical_event, link_hash
from coditect_tui.core.audit_export import CSV_COLUMNS, csv_row
from coditect_tui.core.errors import InvalidInput, PermissionDenied
from coditect_tui.core.models import AuditEvent, AuditFilter, Model, format_ts
from coditect_tui.core.safe_text import safe_text

if TYPE_CHECKING:
    from coditect_tui.core.backend import Backend
    from coditect_tui.core.policy import Policy

PackFormat = Literal["csv", "jsonl", "md"]
PACK_FORMATS: tuple[PackFormat, ...] = ("csv", "jsonl", "md")
FILE_NAMES: dict[str, str] = {
    "csv": "audit-events.csv",
    "jsonl": "audit-events.jsonl",
    "md": "audit-events.md",
}
MANIFEST_NAME = "manifest.json"
SUMS_NAME = "SHA256SUMS"
MANIFEST_KIND: Final = "coditect-evidence-pack"
MANIFEST_VERSION = 1
#: The tiers.yaml feature a tenant's tier needs for evidence packs.
FEATURE = "evidence_packs"
#: Rows between two progress callbacks.
PROGRESS_EVERY = 10_000
_BUFFER = 1 << 20

#: Called with the number of events written so far.
PackProgress = Callable[[int], None]


class PackFile(Model):
    """One data file of a pack."""

    name: str
    format: PackFormat
    rows: int
    bytes: int
    sha256: str


class PackTenant(Model):
    """The tenant the events belong to."""

    id: str
    name: str
    display_name: str
    tier: str


class PackApp(Model):
    """The application that wrote the pack."""

    name: str
    version: str


class PackActor(Model):
    """Who exported."""

    principal: str
    role: str


class PackWindow(Model):
    """The time window asked for (None = open) and the span of the events found."""

    since: str | None
    until: str | None
    first_event: str | None
    last_event: str | None


class PackChain(Model):
    """Where the exported rows sit in the tenant's hash chain.

    Attributes:
        first_seq: seq of the first row (None when empty).
        last_seq: seq of the last row.
        first_prev_hash: ``prev_hash`` of the first row.
        last_hash: ``hash`` of the last row (compare with a signed checkpoint or the live
            chain).
        contiguous: the rows form an unbroken stretch of the chain (unfiltered export).
    """

    first_seq: int | None
    last_seq: int | None
    first_prev_hash: str | None
    last_hash: str | None
    contiguous: bool


class PackManifest(Model):
    """manifest.json."""

    kind: Literal["coditect-evidence-pack"]
    format_version: int
    app: PackApp
    tenant: PackTenant
    exported_by: PackActor
    created_at: str
    window: PackWindow
    filter: dict[str, Any]
    row_count: int
    chain: PackChain
    files: list[PackFile]


@dataclass(frozen=True, slots=True)
class PackResult:
    """A written pack.

    Attributes:
        path: the pack directory.
        manifest: its manifest.
    """

    path: Path
    manifest: PackManifest


@dataclass(frozen=True, slots=True)
class PackCheck:
    """The verdict of :func:`verify_evidence_pack`.

    Attributes:
        ok: every check passed.
        problems: one line per problem, first found first.
        manifest: the manifest, when it could be read.
        rows_checked: JSONL events whose chain link was re-hashed.
    """

    ok: bool
    problems: tuple[str, ...]
    manifest: PackManifest | None
    rows_checked: int = 0


# -- writing --------------------------------------------------------------------------------


class _Sink:
    """A binary file that hashes and counts what is written (``write`` takes text too)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: IO[bytes] = path.open("xb", buffering=_BUFFER)
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

    def __init__(self, fmt: PackFormat, sink: _Sink) -> None:
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
            self.sink.write_bytes(
                orjson.dumps(event.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS) + b"\n"
            )
        else:
            details = orjson.dumps(event.details, option=orjson.OPT_SORT_KEYS).decode()
            resource = event.resource_type + (f":{event.resource_id}" if event.resource_id else "")
            cells = (
                str(event.seq),
                event.ts,
                md_cell(event.actor),
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
            self.sink.write(f"\n{self.rows} events.\n")


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


def _iso(moment: datetime | None) -> str | None:
    return format_ts(moment) if moment is not None else None


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def check_target(target: Path) -> Path:
    """Refuse a pack target that exists (evidence is never overwritten).

    Returns:
        The target, made absolute.

    Raises:
        InvalidInput: something exists at ``target``, or its parent is not a directory.
    """
    target = Path(target).expanduser().absolute()
    if os.path.lexists(target):
        raise InvalidInput(
            f"{safe_text(target)} already exists; an evidence pack is never "
            "overwritten (choose a new directory)"
        )
    if target.parent.exists() and not target.parent.is_dir():
        raise InvalidInput(f"{safe_text(target.parent)} is not a directory")
    return target


async def write_evidence_pack(
    backend: Backend,
    target: Path,
    *,
    filter: AuditFilter | None = None,
    formats: Iterable[PackFormat] = ("csv",),
    progress: PackProgress | None = None,
    now: datetime | None = None,
    policy: Policy | None = None,
) -> PackResult:
    """Export the audit events matching ``filter`` as an evidence pack at ``target``.

    Args:
        backend: the tenant's backend (needs audit.export; the export is itself audited).
        target: the pack directory to create (must not exist; parents are created).
        filter: which events (None: all).
        formats: data files to write, in one pass (csv, jsonl, md).
        progress: called every 10,000 events with the count so far (e.g. a progress bar).
        now: created_at (default: now).
        policy: tiers to check the ``evidence_packs`` feature against (default: shipped).

    Returns:
        The pack's path and manifest.

    Raises:
        InvalidInput: the target exists, or no/unknown format.
        PermissionDenied: the tenant's tier lacks evidence packs, or the role may not
            export the audit log.
        BackendError: as Backend.export_audit (nothing is left at ``target``).
        OSError: the pack cannot be written (nothing is left at ``target``).
    """
    from coditect_tui import __version__
    from coditect_tui.core.views import tier_has_feature

    chosen = parse_formats(formats)
    target = check_target(target)
    tenant_model = await backend.get_tenant()
    if not tier_has_feature(tenant_model.tier, FEATURE, policy):
        raise PermissionDenied(
            f"tier {tenant_model.tier!r} does not include evidence packs (tiers.yaml)"
        )
    who = await backend.whoami()
    tenant = PackTenant(
        id=tenant_model.id,
        name=tenant_model.name,
        display_name=tenant_model.display_name,
        tier=tenant_model.tier,
    )
    created_at = format_ts(now or datetime.now(UTC))
    flt = filter.model_dump(mode="json", exclude_none=True) if filter else {}
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(
        tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    )
    sinks: list[_Sink] = []
    try:
        writers = []
        for fmt in chosen:
            sink = _Sink(staging / FILE_NAMES[fmt])
            sinks.append(sink)
            writers.append(_Writer(fmt, sink))
        for writer in writers:
            writer.begin(tenant, flt, created_at)
        count = 0
        first: AuditEvent | None = None
        last: AuditEvent | None = None
        contiguous = True
        # The contract says AsyncIterator, but every backend's export_audit is an async
        # generator, so it has the aclose() that aclosing() calls.
        stream = cast(AsyncGenerator[AuditEvent, None], backend.export_audit(filter))
        async with contextlib.aclosing(stream):
            async for event in stream:
                if first is None:
                    first = event
                elif last is not None and event.prev_hash != last.hash:
                    contiguous = False
                for writer in writers:
                    writer.event(event)
                last = event
                count += 1
                if progress is not None and count % PROGRESS_EVERY == 0:
                    progress(count)
        for writer in writers:
            writer.end()
        files = []
        for writer in writers:
            writer.sink.finish()
            files.append(
                PackFile(
                    name=writer.sink.path.name,
                    format=writer.format,
                    rows=writer.rows,
                    bytes=writer.sink.size,
                    sha256=writer.sink.digest.hexdigest(),
                )
            )
        manifest = PackManifest(
            kind=MANIFEST_KIND,
            format_version=MANIFEST_VERSION,
            app=PackApp(name="coditect-tui", version=__version__),
            tenant=tenant,
            exported_by=PackActor(principal=who.name, role=who.role),
            created_at=created_at,
            window=PackWindow(
                since=_iso(filter.since) if filter else None,
                until=_iso(filter.until) if filter else None,
                first_event=first.ts if first else None,
                last_event=last.ts if last else None,
            ),
            filter=flt,
            row_count=count,
            chain=PackChain(
                first_seq=first.seq if first else None,
                last_seq=last.seq if last else None,
                first_prev_hash=first.prev_hash if first else None,
                last_hash=last.hash if last else None,
                contiguous=contiguous and count > 0,
            ),
            files=files,
        )
        manifest_bytes = (
            orjson.dumps(manifest.model_dump(mode="json"), option=orjson.OPT_INDENT_2) + b"\n"
        )
        sums = [(f.sha256, f.name) for f in files]
        sums.append((hashlib.sha256(manifest_bytes).hexdigest(), MANIFEST_NAME))
        for name, data in (
            (MANIFEST_NAME, manifest_bytes),
            (SUMS_NAME, "".join(f"{h}  {n}\n" for h, n in sums).encode()),
        ):
            sink = _Sink(staging / name)
            sinks.append(sink)
            sink.write_bytes(data)
            sink.finish()
        if progress is not None and count % PROGRESS_EVERY:
            progress(count)
        _fsync_dir(staging)
        if os.path.lexists(target):  # appeared while we were writing
            raise InvalidInput(
                f"{safe_text(target)} appeared during the export; an evidence "
                "pack is never overwritten"
            )
        os.rename(staging, target)
        _fsync_dir(target.parent)
    except BaseException:
        for sink in sinks:
            sink.abort()
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return PackResult(path=target, manifest=manifest)


# -- verifying ------------------------------------------------------------------------------


def _file_digest(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_BUFFER):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _count_rows(path: Path, fmt: str) -> int:
    if fmt == "jsonl":
        with path.open("rb") as handle:
            return sum(1 for line in handle if line.strip())
    if fmt == "csv":
        with path.open(encoding="utf-8", newline="") as handle:
            return max(0, sum(1 for _ in csv.reader(handle)) - 1)
    with path.open(encoding="utf-8") as handle:
        return max(0, sum(1 for line in handle if line.startswith("| ")) - 1)


def _check_chain(path: Path, manifest: PackManifest, problems: list[str]) -> int:
    """Re-hash every JSONL event's link; check order, continuity and the manifest's ends."""
    tenant_id = manifest.tenant.id
    checked = 0
    previous: dict[str, Any] | None = None
    first: dict[str, Any] | None = None
    with path.open("rb") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = orjson.loads(line)
                event = canonical_event(
                    tenant_id,
                    row["seq"],
                    row["ts"],
                    row["actor"],
                    row["role"],
                    row["action"],
                    row["resource_type"],
                    row["resource_id"],
                    row["outcome"],
                    canonical_details(row["details"]),
                    row["source"],
                )
                ok = link_hash(row["prev_hash"], event) == row["hash"]
            except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
                problems.append(f"{path.name}: line {number} is not an audit event")
                return checked
            checked += 1
            if not ok:
                problems.append(
                    f"{path.name}: seq {row['seq']} (line {number}) does not "
                    "match its hash (edited)"
                )
                return checked
            if previous is not None:
                if row["seq"] <= previous["seq"]:
                    problems.append(
                        f"{path.name}: seq {row['seq']} (line {number}) is out of order"
                    )
                    return checked
                if manifest.chain.contiguous and row["prev_hash"] != previous["hash"]:
                    problems.append(
                        f"{path.name}: seq {row['seq']} (line {number}) does not "
                        "follow the previous row (removed or reordered)"
                    )
                    return checked
            first = first or row
            previous = row
    ends = (
        (first or {}).get("seq"),
        (previous or {}).get("seq"),
        (first or {}).get("prev_hash"),
        (previous or {}).get("hash"),
    )
    want = (
        manifest.chain.first_seq,
        manifest.chain.last_seq,
        manifest.chain.first_prev_hash,
        manifest.chain.last_hash,
    )
    if ends != want:
        problems.append(
            f"{path.name}: first/last events do not match the manifest's chain "
            "ends (rows added or removed)"
        )
    return checked


def verify_evidence_pack(path: Path, *, deep: bool = True) -> PackCheck:
    """Re-check a pack: files, sizes, sha256 sums, row counts and chain links.

    Args:
        path: the pack directory.
        deep: also re-hash every JSONL event's chain link (when the pack has JSONL).

    Returns:
        The verdict (never raises for a bad pack; every problem is listed).
    """
    path = Path(path)
    problems: list[str] = []
    try:
        manifest_bytes = (path / MANIFEST_NAME).read_bytes()
    except OSError as exc:
        return PackCheck(False, (f"{MANIFEST_NAME}: cannot read: {exc.strerror}",), None)
    try:
        manifest = PackManifest.model_validate(orjson.loads(manifest_bytes))
    except (orjson.JSONDecodeError, ValidationError) as exc:
        first = str(exc).splitlines()[0]
        return PackCheck(False, (f"{MANIFEST_NAME}: not a valid manifest: {first}",), None)
    if manifest.format_version != MANIFEST_VERSION:
        problems.append(
            f"{MANIFEST_NAME}: format_version {manifest.format_version} is not {MANIFEST_VERSION}"
        )
    expected = {f.name for f in manifest.files} | {MANIFEST_NAME, SUMS_NAME}
    present = {p.name for p in path.iterdir()}
    for name in sorted(present - expected):
        problems.append(f"{safe_text(name)}: not listed in the manifest")
    computed: dict[str, str] = {MANIFEST_NAME: hashlib.sha256(manifest_bytes).hexdigest()}
    for entry in manifest.files:
        file = path / entry.name
        if entry.name not in present or Path(entry.name).name != entry.name:
            problems.append(f"{safe_text(entry.name)}: missing")
            continue
        digest, size = _file_digest(file)
        computed[entry.name] = digest
        if size != entry.bytes:
            problems.append(f"{entry.name}: {size} bytes, the manifest says {entry.bytes}")
        if digest != entry.sha256:
            problems.append(f"{entry.name}: sha256 differs from the manifest (modified)")
            continue
        rows = _count_rows(file, entry.format)
        if rows != entry.rows or rows != manifest.row_count:
            problems.append(
                f"{entry.name}: {rows} rows, the manifest says {entry.rows} "
                f"(row_count {manifest.row_count})"
            )
    try:
        listed: dict[str, str] = {}
        for line in (path / SUMS_NAME).read_text(encoding="utf-8").splitlines():
            digest, _, name = line.partition("  ")
            listed[name.lstrip("*")] = digest
        if listed != computed:
            wrong = sorted(
                n for n in set(listed) | set(computed) if listed.get(n) != computed.get(n)
            )
            problems.append(f"{SUMS_NAME}: does not match {', '.join(safe_text(n) for n in wrong)}")
    except (OSError, UnicodeDecodeError):
        problems.append(f"{SUMS_NAME}: missing or unreadable")
    checked = 0
    jsonl = next((f for f in manifest.files if f.format == "jsonl"), None)
    if deep and jsonl is not None and (path / jsonl.name).is_file():
        checked = _check_chain(path / jsonl.name, manifest, problems)
    return PackCheck(not problems, tuple(problems), manifest, checked)


def read_manifest(path: Path) -> PackManifest:
    """The manifest of a pack.

    Raises:
        InvalidInput: missing or not a valid manifest.
    """
    try:
        return PackManifest.model_validate(orjson.loads((Path(path) / MANIFEST_NAME).read_bytes()))
    except (OSError, orjson.JSONDecodeError, ValidationError) as exc:
        raise InvalidInput(
            f"{safe_text(path)}: not an evidence pack ({type(exc).__name__})"
        ) from None
