"""Writing a tenant export: streamed from the backend, staged, then renamed into place."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

import orjson

from coditect_tui.core.backend import OMITTED, ExportKind, ExportOmission, TenantRecord
from coditect_tui.core.checkpoints import key_id, sign_checkpoint
from coditect_tui.core.data_export.manifest import (
    CHECKPOINT_NAME,
    FILE_NAMES,
    MANIFEST_KIND,
    MANIFEST_VERSION,
    SIGNATURE_NAME,
    ExportManifest,
    ExportResult,
    ExportSignature,
)
from coditect_tui.core.data_export.signing import sign_sums
from coditect_tui.core.errors import BackendUnavailable
from coditect_tui.core.evidence import (
    ChainEnds,
    PackActor,
    PackApp,
    PackFile,
    PackTenant,
    check_target,
    new_staging,
    seal_pack,
)
from coditect_tui.core.evidence.formats import HashingSink
from coditect_tui.core.models import AuditEvent, AuditHead, format_ts
from coditect_tui.core.safe_text import safe_json

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from coditect_tui.core.backend import Backend


def check_export_target(target: Path) -> Path:
    """Refuse an export target that exists and is not an empty folder.

    Returns:
        The target, made absolute.

    Raises:
        InvalidInput: a file, a link or a non-empty folder is at ``target``, or its
            parent is not a folder.
    """
    return check_target(target, empty_ok=True)


async def write_tenant_export(
    backend: Backend,
    target: Path,
    *,
    person: str | None = None,
    key: Ed25519PrivateKey | None = None,
    now: datetime | None = None,
) -> ExportResult:
    """Export everything of the open tenant (or of ``person``) into the folder ``target``.

    One JSON Lines file per kind the caller may read (``safe_json``, sorted keys; the
    kinds the tier or the role leave out are named in the manifest's ``omitted``),
    manifest.json,
    SHA256SUMS and, with a ``key``, the signed checkpoint of the exported audit chain's
    last row (listed in SHA256SUMS) and SHA256SUMS.sig. Built in a hidden sibling folder
    and renamed into place: ``target`` holds nothing or a whole export.

    Args:
        backend: the tenant's backend (``export_tenant`` decides who may; it audits the
            export as one event).
        target: a new or empty folder (parents are created 0700).
        person: a subject access export of this principal's data (None: everything).
        key: the audit signing key (None: unsigned).
        now: created_at (default: now).

    Returns:
        The export's path and manifest.

    Raises:
        InvalidInput: the target is not new or empty, or ``person`` is empty.
        PermissionDenied: the role may not export (nothing is left at ``target``).
        BackendError: as Backend.export_tenant (nothing is left at ``target``).
        OSError: the export cannot be written (nothing is left at ``target``).
    """
    from coditect_tui import __version__

    target = check_export_target(target)
    created_at = format_ts(now or datetime.now(UTC))
    tenant_model = await backend.get_tenant()
    who = await backend.whoami()
    stream = cast(AsyncGenerator[TenantRecord, None], backend.export_tenant(person))
    staging: Path | None = None
    sinks: dict[ExportKind, HashingSink] = {}
    counts: dict[str, int] = {}
    omitted: list[ExportOmission] = []
    ends = ChainEnds()
    try:
        async with contextlib.aclosing(stream):
            record = await anext(stream, None)  # the refusal or the audited start, first
            staging = new_staging(target)
            while record is not None and record.kind == OMITTED:  # named before the data
                omitted.append(ExportOmission.model_validate(record.item))
                record = await anext(stream, None)
            left_out = {o.kind for o in omitted}
            for kind, name in FILE_NAMES.items():
                if kind not in left_out:
                    sinks[kind] = HashingSink(staging / name)
                    counts[kind] = 0
            while record is not None:
                sink = sinks.get(record.kind) if record.kind != OMITTED else None
                if sink is None:
                    raise BackendUnavailable(
                        f"the export sent a {record.kind!r} record where it was not expected"
                    )
                line = safe_json(record.item, sort_keys=True)
                sink.write_bytes(line.encode() + b"\n")
                counts[record.kind] += 1
                if record.kind == "audit":
                    ends.add(AuditEvent.model_validate(record.item))
                record = await anext(stream, None)
        files = []
        for kind, sink in sinks.items():
            sink.finish()
            files.append(
                PackFile(
                    name=sink.path.name,
                    format="jsonl",
                    rows=counts[kind],
                    bytes=sink.size,
                    sha256=sink.digest.hexdigest(),
                )
            )
        tenant = PackTenant(
            id=tenant_model.id,
            name=tenant_model.name,
            display_name=tenant_model.display_name,
            tier=tenant_model.tier,
        )
        listed: list[tuple[str, bytes]] = []
        signature = None
        if key is not None:
            if ends.last is not None:
                head = AuditHead(tenant=tenant.name, seq=ends.last.seq, hash=ends.last.hash)
                listed.append((CHECKPOINT_NAME, sign_checkpoint(head, key)))
            signature = ExportSignature(
                key_id=key_id(key.public_key()),
                checkpoint=CHECKPOINT_NAME if listed else None,
                sums_signature=SIGNATURE_NAME,
            )
        manifest = ExportManifest(
            kind=MANIFEST_KIND,
            format_version=MANIFEST_VERSION,
            app=PackApp(name="coditect-tui", version=__version__),
            tenant=tenant,
            exported_by=PackActor(principal=who.name, role=who.role),
            created_at=created_at,
            person=person,
            counts=counts,
            chain=ends.chain(),
            files=files,
            signature=signature,
            omitted=omitted,
        )
        manifest_bytes = (
            orjson.dumps(manifest.model_dump(mode="json"), option=orjson.OPT_INDENT_2) + b"\n"
        )
        seal_pack(
            staging,
            target,
            [(f.sha256, f.name) for f in files],
            manifest_bytes,
            listed=listed,
            sign=(lambda sums: [(SIGNATURE_NAME, sign_sums(sums, key))]) if key else None,
            into_empty=True,
        )
    except BaseException:
        for sink in sinks.values():
            sink.abort()
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        raise
    return ExportResult(path=target, manifest=manifest)
