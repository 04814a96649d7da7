"""An evidence pack's layout: file names, the manifest model, results."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import orjson
from pydantic import ValidationError

from coditect_tui.core.errors import InvalidInput
from coditect_tui.core.models import Model
from coditect_tui.core.policy import EVIDENCE_PACKS
from coditect_tui.core.safe_text import safe_text

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
FEATURE = EVIDENCE_PACKS
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
