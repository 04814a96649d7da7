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

The package, one job per module:

* ``manifest``: the pack's file names, its manifest model and the results;
* ``formats``: the hashing file sink and the CSV, JSONL and Markdown writers;
* ``write``: :func:`write_evidence_pack` (staging, streaming, the atomic rename);
* ``verify``: :func:`verify_evidence_pack` (sizes, checksums, rows, the hash chain).
"""

from __future__ import annotations

from coditect_tui.core.evidence.formats import MD_COLUMNS, md_cell, parse_formats
from coditect_tui.core.evidence.manifest import (
    FEATURE,
    FILE_NAMES,
    MANIFEST_KIND,
    MANIFEST_NAME,
    MANIFEST_VERSION,
    PACK_FORMATS,
    PROGRESS_EVERY,
    SUMS_NAME,
    PackActor,
    PackApp,
    PackChain,
    PackCheck,
    PackFile,
    PackFormat,
    PackManifest,
    PackProgress,
    PackResult,
    PackTenant,
    PackWindow,
    read_manifest,
)
from coditect_tui.core.evidence.verify import (
    check_chain,
    check_files,
    check_sums,
    file_digest,
    verify_evidence_pack,
)
from coditect_tui.core.evidence.write import (
    ChainEnds,
    check_target,
    new_staging,
    seal_pack,
    write_evidence_pack,
)

__all__ = [
    "FEATURE",
    "FILE_NAMES",
    "MANIFEST_KIND",
    "MANIFEST_NAME",
    "MANIFEST_VERSION",
    "MD_COLUMNS",
    "PACK_FORMATS",
    "PROGRESS_EVERY",
    "SUMS_NAME",
    "ChainEnds",
    "PackActor",
    "PackApp",
    "PackChain",
    "PackCheck",
    "PackFile",
    "PackFormat",
    "PackManifest",
    "PackProgress",
    "PackResult",
    "PackTenant",
    "PackWindow",
    "check_chain",
    "check_files",
    "check_sums",
    "check_target",
    "file_digest",
    "md_cell",
    "new_staging",
    "parse_formats",
    "read_manifest",
    "seal_pack",
    "verify_evidence_pack",
    "write_evidence_pack",
]
