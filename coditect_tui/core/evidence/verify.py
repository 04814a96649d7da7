"""Verifying an evidence pack: files, sizes, checksums, row counts and the hash chain."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from coditect_tui.core.audit_chain import canonical_details, canonical_event, link_hash
from coditect_tui.core.evidence.manifest import (
    _BUFFER,
    MANIFEST_NAME,
    MANIFEST_VERSION,
    SUMS_NAME,
    PackChain,
    PackCheck,
    PackFile,
    PackManifest,
)
from coditect_tui.core.safe_text import safe_text
from coditect_tui.core.wording import plural


def file_digest(path: Path) -> tuple[str, int]:
    """(sha256 hex, size) of a file, read in 1 MiB chunks."""
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


def check_chain(path: Path, tenant_id: str, chain: PackChain, problems: list[str]) -> int:
    """Re-hash every JSONL event's link; check order, continuity and the chain's ends.

    Args:
        path: a JSON Lines file of audit events, oldest first.
        tenant_id: the tenant the events belong to (part of each hash).
        chain: the ends (and contiguity) the manifest claims.
        problems: where a problem is appended (the first one found stops the check).

    Returns:
        How many events were re-hashed.
    """
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
                if chain.contiguous and row["prev_hash"] != previous["hash"]:
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
    want = (chain.first_seq, chain.last_seq, chain.first_prev_hash, chain.last_hash)
    if ends != want:
        problems.append(
            f"{path.name}: first/last events do not match the manifest's chain "
            "ends (rows added or removed)"
        )
    return checked


def check_files(
    path: Path,
    manifest_bytes: bytes,
    files: list[PackFile],
    problems: list[str],
    *,
    extra: tuple[str, ...] = (),
) -> dict[str, str]:
    """Check a pack directory's data files against its manifest's list.

    Every file present must be listed (or be the manifest, SHA256SUMS or one of
    ``extra``); every listed file must be present with its size, sha256 and row count.

    Args:
        path: the pack directory.
        manifest_bytes: manifest.json as read (its digest goes into the result).
        files: the manifest's data files.
        problems: where each problem is appended, one line naming the file.
        extra: other names the pack may hold (hashed by the caller when needed).

    Returns:
        File name -> sha256 computed, manifest included (for :func:`check_sums`).
    """
    expected = {f.name for f in files} | {MANIFEST_NAME, SUMS_NAME, *extra}
    present = {p.name for p in path.iterdir()}
    for name in sorted(present - expected):
        problems.append(f"{safe_text(name)}: not listed in the manifest")
    computed: dict[str, str] = {MANIFEST_NAME: hashlib.sha256(manifest_bytes).hexdigest()}
    for entry in files:
        file = path / entry.name
        if entry.name not in present or Path(entry.name).name != entry.name:
            problems.append(f"{safe_text(entry.name)}: missing")
            continue
        digest, size = file_digest(file)
        computed[entry.name] = digest
        if size != entry.bytes:
            problems.append(f"{entry.name}: {size} bytes, the manifest says {entry.bytes}")
        if digest != entry.sha256:
            problems.append(f"{entry.name}: sha256 differs from the manifest (modified)")
            continue
        rows = _count_rows(file, entry.format)
        if rows != entry.rows:
            problems.append(f"{entry.name}: {plural(rows, 'row')}, the manifest says {entry.rows}")
    return computed


def check_sums(path: Path, computed: dict[str, str], problems: list[str]) -> None:
    """Check that SHA256SUMS lists exactly ``computed`` (name -> sha256)."""
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
    computed = check_files(path, manifest_bytes, manifest.files, problems)
    for entry in manifest.files:
        if entry.rows != manifest.row_count:
            problems.append(
                f"{entry.name}: {plural(entry.rows, 'row')} listed, row_count is "
                f"{manifest.row_count}"
            )
    check_sums(path, computed, problems)
    checked = 0
    jsonl = next((f for f in manifest.files if f.format == "jsonl"), None)
    if deep and jsonl is not None and (path / jsonl.name).is_file():
        checked = check_chain(path / jsonl.name, manifest.tenant.id, manifest.chain, problems)
    return PackCheck(not problems, tuple(problems), manifest, checked)
