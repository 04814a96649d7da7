"""Writing an evidence pack: streamed from the backend, staged, then renamed into place."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import AsyncGenerator, Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

import orjson

from coditect_tui.core.errors import InvalidInput, PermissionDenied
from coditect_tui.core.evidence.formats import HashingSink, _Writer, parse_formats
from coditect_tui.core.evidence.manifest import (
    FEATURE,
    FILE_NAMES,
    MANIFEST_KIND,
    MANIFEST_NAME,
    MANIFEST_VERSION,
    PROGRESS_EVERY,
    SUMS_NAME,
    PackActor,
    PackApp,
    PackChain,
    PackFile,
    PackFormat,
    PackManifest,
    PackProgress,
    PackResult,
    PackTenant,
    PackWindow,
)
from coditect_tui.core.models import AuditEvent, AuditFilter, format_ts
from coditect_tui.core.paths import make_private_dir
from coditect_tui.core.safe_text import safe_text

if TYPE_CHECKING:
    from coditect_tui.core.backend import Backend
    from coditect_tui.core.policy import Policy


def _iso(moment: datetime | None) -> str | None:
    return format_ts(moment) if moment is not None else None


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def check_target(target: Path, *, empty_ok: bool = False) -> Path:
    """Refuse a pack target that exists (evidence is never overwritten).

    Args:
        target: the folder to create.
        empty_ok: an existing empty folder is accepted (a tenant export).

    Returns:
        The target, made absolute.

    Raises:
        InvalidInput: something exists at ``target`` (other than an empty folder, when
            ``empty_ok``), or its parent is not a directory.
    """
    target = Path(target).expanduser().absolute()
    if os.path.lexists(target):
        if not empty_ok:
            raise InvalidInput(
                f"{safe_text(target)} already exists; an evidence pack is never "
                "overwritten (choose a new directory)"
            )
        if target.is_symlink() or not target.is_dir():
            raise InvalidInput(f"{safe_text(target)} exists and is not a folder")
        if any(target.iterdir()):
            raise InvalidInput(
                f"{safe_text(target)} is not empty; an export is never written over files "
                "(choose a new or empty folder)"
            )
    if target.parent.exists() and not target.parent.is_dir():
        raise InvalidInput(f"{safe_text(target.parent)} is not a directory")
    return target


class ChainEnds:
    """The first and last of the audit events streamed by, and whether each followed the
    one before (a contiguous stretch of the chain)."""

    def __init__(self) -> None:
        self.first: AuditEvent | None = None
        self.last: AuditEvent | None = None
        self.contiguous = True
        self.count = 0

    def add(self, event: AuditEvent) -> None:
        """Take the next event (oldest first)."""
        if self.first is None:
            self.first = event
        elif self.last is not None and event.prev_hash != self.last.hash:
            self.contiguous = False
        self.last = event
        self.count += 1

    def chain(self) -> PackChain:
        """The manifest's ``chain`` for the events seen."""
        first, last = self.first, self.last
        return PackChain(
            first_seq=first.seq if first else None,
            last_seq=last.seq if last else None,
            first_prev_hash=first.prev_hash if first else None,
            last_hash=last.hash if last else None,
            contiguous=self.contiguous and self.count > 0,
        )


def new_staging(target: Path) -> Path:
    """A new hidden folder beside ``target`` (parents made 0700) to build a pack in."""
    make_private_dir(target.parent)
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))


def _write_synced(path: Path, data: bytes) -> None:
    sink = HashingSink(path)
    try:
        sink.write_bytes(data)
        sink.finish()
    except BaseException:
        sink.abort()
        raise


def seal_pack(
    staging: Path,
    target: Path,
    digests: list[tuple[str, str]],
    manifest_bytes: bytes,
    *,
    listed: Sequence[tuple[str, bytes]] = (),
    sign: Callable[[bytes], Sequence[tuple[str, bytes]]] | None = None,
    into_empty: bool = False,
) -> None:
    """Finish a pack built in ``staging`` and rename it to ``target`` (all or nothing).

    Writes the ``listed`` files and manifest.json, then SHA256SUMS (the data files'
    ``digests``, the listed files, the manifest), then the files ``sign`` makes from
    the SHA256SUMS bytes (not listed in it); syncs, and renames.

    Args:
        staging: the folder from :func:`new_staging`, data files written and synced.
        target: where the pack goes.
        digests: (sha256, name) of each data file, in SHA256SUMS order.
        manifest_bytes: manifest.json.
        listed: further files to write and list in SHA256SUMS (e.g. a checkpoint).
        sign: makes detached signature files of SHA256SUMS.
        into_empty: an empty folder at ``target`` is replaced (else it must not exist).

    Raises:
        InvalidInput: something (non-empty) appeared at ``target`` meanwhile.
        OSError: writing failed (the caller removes ``staging``).
    """
    sums = list(digests)
    for name, data in (*listed, (MANIFEST_NAME, manifest_bytes)):
        _write_synced(staging / name, data)
        sums.append((hashlib.sha256(data).hexdigest(), name))
    sums_bytes = "".join(f"{h}  {n}\n" for h, n in sums).encode()
    _write_synced(staging / SUMS_NAME, sums_bytes)
    for name, data in sign(sums_bytes) if sign is not None else ():
        _write_synced(staging / name, data)
    _fsync_dir(staging)
    if into_empty and target.is_dir() and not target.is_symlink():
        try:
            target.rmdir()
        except OSError:
            raise InvalidInput(
                f"{safe_text(target)} is not empty; an export is never written over files"
            ) from None
    if os.path.lexists(target):  # appeared while we were writing
        raise InvalidInput(
            f"{safe_text(target)} appeared during the export; a pack is never overwritten"
        )
    os.rename(staging, target)
    _fsync_dir(target.parent)


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
    from coditect_tui.core.flags import FeatureSubject
    from coditect_tui.core.views import tier_has_feature

    chosen = parse_formats(formats)
    target = check_target(target)
    tenant_model = await backend.get_tenant()
    who = await backend.whoami()
    # flags.yaml applies here too (the tenant's stored overrides are the server's)
    subject = FeatureSubject(tenant_model.tier, tenant_model.id, tenant_model.name, who.name)
    if not tier_has_feature(subject, FEATURE, policy):
        raise PermissionDenied(
            f"tier {tenant_model.tier!r} does not include evidence packs (tiers.yaml)"
        )
    tenant = PackTenant(
        id=tenant_model.id,
        name=tenant_model.name,
        display_name=tenant_model.display_name,
        tier=tenant_model.tier,
    )
    created_at = format_ts(now or datetime.now(UTC))
    flt = filter.model_dump(mode="json", exclude_none=True) if filter else {}
    staging = new_staging(target)
    sinks: list[HashingSink] = []
    try:
        writers = []
        for fmt in chosen:
            sink = HashingSink(staging / FILE_NAMES[fmt])
            sinks.append(sink)
            writers.append(_Writer(fmt, sink))
        for writer in writers:
            writer.begin(tenant, flt, created_at)
        ends = ChainEnds()
        # The contract says AsyncIterator, but every backend's export_audit is an async
        # generator, so it has the aclose() that aclosing() calls.
        stream = cast(AsyncGenerator[AuditEvent, None], backend.export_audit(filter))
        async with contextlib.aclosing(stream):
            async for event in stream:
                ends.add(event)
                for writer in writers:
                    writer.event(event)
                if progress is not None and ends.count % PROGRESS_EVERY == 0:
                    progress(ends.count)
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
                first_event=ends.first.ts if ends.first else None,
                last_event=ends.last.ts if ends.last else None,
            ),
            filter=flt,
            row_count=ends.count,
            chain=ends.chain(),
            files=files,
        )
        manifest_bytes = (
            orjson.dumps(manifest.model_dump(mode="json"), option=orjson.OPT_INDENT_2) + b"\n"
        )
        if progress is not None and ends.count % PROGRESS_EVERY:
            progress(ends.count)
        seal_pack(staging, target, [(f.sha256, f.name) for f in files], manifest_bytes)
    except BaseException:
        for sink in sinks:
            sink.abort()
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return PackResult(path=target, manifest=manifest)
