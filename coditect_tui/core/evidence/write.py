"""Writing an evidence pack: streamed from the backend, staged, then renamed into place."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import AsyncGenerator, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

import orjson

from coditect_tui.core.errors import InvalidInput, PermissionDenied
from coditect_tui.core.evidence.formats import _Sink, _Writer, parse_formats
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
    make_private_dir(target.parent)
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
