"""Tenant data export and subject access: everything of a tenant (or of one person) as
JSON Lines with a manifest, SHA256SUMS and signatures, verifiable like an evidence pack.

An export is a folder::

    <export>/
      members.jsonl projects.jsonl repos.jsonl sessions.jsonl memory.jsonl
      status.jsonl audit.jsonl     one record per line (safe_json, sorted keys)
      manifest.json                tenant, who exported, when, person, counts, the audit
                                   chain's ends, name/rows/bytes/sha256 per file, format
      audit-checkpoint.json        Ed25519-signed (tenant, seq, hash) of the last audit
                                   record (when signed; listed in SHA256SUMS)
      SHA256SUMS                   ``sha256sum -c SHA256SUMS`` checks every file above
      SHA256SUMS.sig               Ed25519 signature of SHA256SUMS (when signed)

The records come from ``Backend.export_tenant`` (which decides who may export and
audits the export as one event); the folder is staged and sealed by the evidence pack's
helpers, and checked by their verifier functions plus the signatures.

Modules: ``manifest`` (layout, models), ``signing`` (the SHA256SUMS signature),
``write`` (:func:`write_tenant_export`), ``verify`` (:func:`verify_tenant_export`).
"""

from __future__ import annotations

from coditect_tui.core.data_export.manifest import (
    CHECKPOINT_NAME,
    FILE_NAMES,
    MANIFEST_KIND,
    MANIFEST_VERSION,
    SIGNATURE_NAME,
    ExportCheck,
    ExportManifest,
    ExportResult,
    ExportSignature,
)
from coditect_tui.core.data_export.verify import verify_tenant_export
from coditect_tui.core.data_export.write import check_export_target, write_tenant_export

__all__ = [
    "CHECKPOINT_NAME",
    "FILE_NAMES",
    "MANIFEST_KIND",
    "MANIFEST_VERSION",
    "SIGNATURE_NAME",
    "ExportCheck",
    "ExportManifest",
    "ExportResult",
    "ExportSignature",
    "check_export_target",
    "verify_tenant_export",
    "write_tenant_export",
]
