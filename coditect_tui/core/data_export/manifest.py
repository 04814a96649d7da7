"""A tenant export's layout: file names, the manifest model, results."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from coditect_tui.core.backend import EXPORT_KINDS, ExportKind, ExportOmission
from coditect_tui.core.evidence import PackActor, PackApp, PackChain, PackFile, PackTenant
from coditect_tui.core.models import Model

MANIFEST_KIND: Final = "coditect-tenant-export"
MANIFEST_VERSION = 1
#: The signed checkpoint of the exported audit chain (listed in SHA256SUMS).
CHECKPOINT_NAME = "audit-checkpoint.json"
#: The Ed25519 signature of SHA256SUMS (so of every file, the manifest included).
SIGNATURE_NAME = "SHA256SUMS.sig"
#: One JSON Lines file per kind.
FILE_NAMES: dict[ExportKind, str] = {kind: f"{kind}.jsonl" for kind in EXPORT_KINDS}


class ExportSignature(Model):
    """How the export is signed (None in the manifest: unsigned).

    Attributes:
        key_id: fingerprint of the Ed25519 key (``checkpoints.key_id``).
        checkpoint: the signed checkpoint file of the exported audit chain's last row.
        sums_signature: the detached signature file of SHA256SUMS.
    """

    key_id: str
    checkpoint: str | None
    sums_signature: str


class ExportManifest(Model):
    """manifest.json of a tenant export.

    Attributes:
        person: the subject of a subject access export (None: the whole tenant).
        counts: records per exported kind.
        chain: where the exported audit records sit in the tenant's hash chain.
        files: one JSON Lines file per exported kind (``format`` is always jsonl).
        omitted: the kinds left out (no file, no count), and why: the tier or the role
            of the exporter does not allow reading them.
    """

    kind: Literal["coditect-tenant-export"]
    format_version: int
    app: PackApp
    tenant: PackTenant
    exported_by: PackActor
    created_at: str
    person: str | None
    counts: dict[str, int]
    chain: PackChain
    files: list[PackFile]
    signature: ExportSignature | None
    omitted: list[ExportOmission] = []


@dataclass(frozen=True, slots=True)
class ExportResult:
    """A written export.

    Attributes:
        path: the export directory.
        manifest: its manifest.
    """

    path: Path
    manifest: ExportManifest


@dataclass(frozen=True, slots=True)
class ExportCheck:
    """The verdict of :func:`verify_tenant_export`.

    Attributes:
        ok: every check passed.
        problems: one line per problem, each naming its file, first found first.
        manifest: the manifest, when it could be read.
        rows_checked: audit records whose chain link was re-hashed.
        signed: the signature and the checkpoint verified.
    """

    ok: bool
    problems: tuple[str, ...]
    manifest: ExportManifest | None
    rows_checked: int = 0
    signed: bool = False
