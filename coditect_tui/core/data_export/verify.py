"""Verifying a tenant export: files, sums, the audit chain and the signature."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
from pydantic import ValidationError

from coditect_tui.core.checkpoints import read_checkpoint
from coditect_tui.core.data_export.manifest import (
    FILE_NAMES,
    MANIFEST_VERSION,
    ExportCheck,
    ExportManifest,
)
from coditect_tui.core.data_export.signing import check_sums_signature
from coditect_tui.core.errors import ConfigError
from coditect_tui.core.evidence import (
    MANIFEST_NAME,
    SUMS_NAME,
    check_chain,
    check_files,
    check_sums,
    file_digest,
)
from coditect_tui.core.safe_text import safe_text

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def _listed_digest(path: Path, name: str) -> str | None:
    """The sha256 SHA256SUMS lists for ``name`` (None: unreadable or not listed)."""
    try:
        for line in (path / SUMS_NAME).read_text(encoding="utf-8").splitlines():
            digest, _, listed = line.partition("  ")
            if listed.lstrip("*") == name:
                return digest
    except (OSError, UnicodeDecodeError):
        return None
    return None


def _check_checkpoint(
    path: Path, manifest: ExportManifest, public: Ed25519PublicKey, problems: list[str]
) -> bool:
    """The signed checkpoint certifies the manifest's last audit record."""
    name = manifest.signature.checkpoint if manifest.signature else None
    if name is None:
        return True
    try:
        cp = read_checkpoint(path / name, public, tenant=manifest.tenant.name)
    except ConfigError as exc:
        problems.append(f"{name}: {safe_text(str(exc).removeprefix(f'{path / name}: '))}")
        return False
    if (cp.seq, cp.hash) != (manifest.chain.last_seq, manifest.chain.last_hash):
        problems.append(
            f"{name}: certifies seq {cp.seq}, not the manifest's last audit record "
            f"(seq {manifest.chain.last_seq})"
        )
        return False
    return True


def _check_sums_signature(
    path: Path, name: str, public: Ed25519PublicKey, problems: list[str]
) -> bool:
    """The detached signature ``name`` certifies SHA256SUMS."""
    if Path(name).name != name:
        problems.append(f"{safe_text(name)}: not a file name of the export")
        return False
    try:
        sums = (path / SUMS_NAME).read_bytes()
        signed = (path / name).read_bytes()
    except OSError as exc:
        problems.append(f"{safe_text(name)}: cannot read: {exc.strerror}")
        return False
    why = check_sums_signature(sums, signed, public)
    if why is not None:
        problems.append(f"{safe_text(name)}: {why}")
    return why is None


def verify_tenant_export(
    path: Path, *, public: Ed25519PublicKey | None = None, allow_unsigned: bool = False
) -> ExportCheck:
    """Re-check an export: files, sizes, sha256 sums, row counts, the audit records'
    chain links, and the checkpoint and SHA256SUMS signatures.

    Args:
        path: the export folder.
        public: the signing key's public half (None: signatures cannot be checked, which
            is a problem unless ``allow_unsigned``).
        allow_unsigned: an unsigned export (or no key to check with) is not a problem.

    Returns:
        The verdict (never raises for a bad export; every problem is one line naming
        its file).
    """
    path = Path(path)
    problems: list[str] = []
    try:
        manifest_bytes = (path / MANIFEST_NAME).read_bytes()
    except OSError as exc:
        return ExportCheck(False, (f"{MANIFEST_NAME}: cannot read: {exc.strerror}",), None)
    try:
        manifest = ExportManifest.model_validate(orjson.loads(manifest_bytes))
    except (orjson.JSONDecodeError, ValidationError) as exc:
        first = str(exc).splitlines()[0]
        return ExportCheck(
            False, (f"{MANIFEST_NAME}: not a tenant export manifest: {first}",), None
        )
    listed = _listed_digest(path, MANIFEST_NAME)
    if listed is not None and listed != hashlib.sha256(manifest_bytes).hexdigest():
        problems.append(f"{MANIFEST_NAME}: sha256 differs from {SUMS_NAME} (modified)")
    if manifest.format_version != MANIFEST_VERSION:
        problems.append(
            f"{MANIFEST_NAME}: format_version {manifest.format_version} is not {MANIFEST_VERSION}"
        )
    left_out = [o.kind for o in manifest.omitted]
    if len(set(left_out)) != len(left_out) or "audit" in left_out:
        problems.append(f"{MANIFEST_NAME}: omitted names a kind twice, or the audit records")
    exported = {name for kind, name in FILE_NAMES.items() if kind not in left_out}
    if {f.name for f in manifest.files} != exported:
        problems.append(f"{MANIFEST_NAME}: does not list one file per exported kind")
    if set(manifest.counts) & set(left_out):
        problems.append(f"{MANIFEST_NAME}: counts a kind it says was left out")
    for entry in manifest.files:
        kind = entry.name.removesuffix(".jsonl")
        if manifest.counts.get(kind) != entry.rows:
            problems.append(f"{MANIFEST_NAME}: counts[{safe_text(kind)}] is not {entry.rows}")
    extra: tuple[str, ...] = ()
    if manifest.signature is not None:
        extra = (manifest.signature.sums_signature,)
        if manifest.signature.checkpoint is not None:
            extra += (manifest.signature.checkpoint,)
    computed = check_files(path, manifest_bytes, manifest.files, problems, extra=extra)
    checkpoint = manifest.signature.checkpoint if manifest.signature else None
    verified = public is not None and manifest.signature is not None
    if checkpoint is not None:
        if Path(checkpoint).name != checkpoint or not (path / checkpoint).is_file():
            problems.append(f"{safe_text(checkpoint)}: missing")
            verified = False
        else:
            computed[checkpoint] = file_digest(path / checkpoint)[0]
            if public is not None:
                verified = _check_checkpoint(path, manifest, public, problems) and verified
    check_sums(path, computed, problems)
    if manifest.signature is None:
        if not allow_unsigned:
            problems.append(f"{MANIFEST_NAME}: the export is not signed")
    elif public is None:
        if not allow_unsigned:
            problems.append(f"{MANIFEST_NAME}: no signing key to check the signature with")
    else:
        name = manifest.signature.sums_signature
        verified = _check_sums_signature(path, name, public, problems) and verified
    checked = 0
    audit = path / FILE_NAMES["audit"]
    if audit.is_file():
        checked = check_chain(audit, manifest.tenant.id, manifest.chain, problems)
    return ExportCheck(not problems, tuple(problems), manifest, checked, verified and not problems)
