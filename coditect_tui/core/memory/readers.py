"""Read one MEMORY-CONTEXT file into what the index and a UI need: :class:`ParsedFile`.

``read_memory_file`` never raises for a file's *content*: empty, binary, non-UTF-8,
huge, malformed JSON or unknown files all come back parsed as well as they can be, with
the problems named in ``notes``. Only an unreadable file (``OSError``) is raised, so the
caller can keep the previous index entry.

How each kind gets its title, timestamp, tags and links is documented in docs/memory.md.
Timestamps come from the file name (:mod:`coditect_tui.core.memory.names`) unless the name
does not say UTC and the body holds a zoned time (:mod:`coditect_tui.core.memory.timing`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

from coditect_tui.core.memory.documents import (
    AuditLogDocument,
    ExportDocument,
    SetupLogDocument,
    parse_audit_log,
    parse_export,
    parse_setup_log,
)
from coditect_tui.core.memory.jsonl import render_jsonl
from coditect_tui.core.memory.kinds import classify, first_heading
from coditect_tui.core.memory.names import NameInfo, description_title, parse_name
from coditect_tui.core.memory.ranking import CHECKPOINT_TAG
from coditect_tui.core.memory.roots import path_key
from coditect_tui.core.memory.textio import DEFAULT_INDEX_CAP, RawFile, decode_text, read_raw
from coditect_tui.core.memory.timing import parse_zoned, resolve_time
from coditect_tui.core.models import MemoryEntrySpec, MemoryKind
from coditect_tui.core.safe_text import fs_text

#: Longest title kept (longer ones are cut with an ellipsis).
MAX_TITLE = 300
#: Most tags kept per entry.
MAX_TAGS = 40

Document = ExportDocument | AuditLogDocument | SetupLogDocument

_REF = re.compile(
    r"MEMORY-CONTEXT/((?:[^\s`'\"<>{}|*?\\]+/)*[^\s`'\"<>{}|*?\\/]+"
    r"\.(?:md|txt|json|jsonl))"
)
_FIELD = r"^\s*(?:-\s*)?\*\*{name}:\*\*\s*(?P<value>.*?)\s*$"
_ZONE = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")
_STAMP_ARTIFACT = re.compile(r"^\d{2}Z\s+")


def _field(text: str, name: str) -> str | None:
    match = re.search(_FIELD.format(name=re.escape(name)), text[:20_000], re.MULTILINE)
    return match["value"] if match else None


def _cut(title: str) -> str:
    title = " ".join(title.split())
    return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1] + "…"


def _tags(values: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        tag = " ".join(value.split())[:64]
        if not tag.startswith(CHECKPOINT_TAG):
            tag = tag.lower()
        if tag and tag != "none":
            seen.setdefault(tag, None)
    return list(seen)[:MAX_TAGS]


@dataclass(frozen=True, slots=True)
class ParsedFile:
    """One file, read and understood.

    Attributes:
        path: the file on disk.
        key: the index key (``MemoryEntrySpec.path``): the absolute path as text.
        rel: the path relative to its MEMORY-CONTEXT folder (POSIX separators).
        kind: see :mod:`coditect_tui.core.memory.kinds`.
        title: a one-line title.
        timestamp_raw: the timestamp text exactly as in the name.
        timestamp: UTC (the name's when it says UTC, else the body's zoned time), or
            the name's clock time labelled UTC when nothing better is known.
        timestamp_note: what is uncertain or was decided about the timestamp; starts
            with ``timing.TIME_DISAGREES`` when name and body disagree.
        tags: lower-case tags; ``checkpoint:<ISO>`` links related files.
        size: bytes on disk.
        mtime: modification time read.
        sha256: hex digest of the whole file.
        body: the text that is indexed (at most the cap; says so when cut).
        truncated: only the head of the file is indexed.
        notes: problems met while reading (encoding, malformed JSON, ...).
        links: MEMORY-CONTEXT-relative paths of files this one refers to.
        checkpoint_ref: the ISO timestamp of the checkpoint this file belongs to.
        document: the structured view of a JSON format, when there is one.
        repository: the repository path the file says it was written in.
    """

    path: Path
    key: str
    rel: str
    kind: MemoryKind
    title: str
    timestamp_raw: str | None
    timestamp: datetime | None
    timestamp_note: str | None
    tags: list[str]
    size: int
    mtime: float
    sha256: str
    body: str
    truncated: bool = False
    notes: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    checkpoint_ref: str | None = None
    document: Document | None = None
    repository: str | None = None

    def to_spec(self, project_id: str | None = None) -> MemoryEntrySpec:
        """The entry to upsert into the backend.

        Args:
            project_id: the registered project the file's folder belongs to.

        Returns:
            The spec (path = ``key``).
        """
        return MemoryEntrySpec(
            path=self.key,
            kind=self.kind,
            title=self.title,
            body=self.body,
            project_id=project_id,
            timestamp_raw=self.timestamp_raw,
            timestamp=self.timestamp,
            timestamp_note=self.timestamp_note,
            tags=self.tags,
            size=self.size,
            mtime=self.mtime,
            sha256=self.sha256,
        )


@dataclass(slots=True)
class _Draft:
    """What the per-kind readers fill in."""

    title: str
    name: str
    info: NameInfo
    text: str
    tags: list[str] = field(default_factory=list)
    checkpoint_ref: str | None = None
    links: list[str] = field(default_factory=list)
    document: Document | None = None
    repository: str | None = None
    body: str | None = None
    notes: list[str] = field(default_factory=list)
    body_time: datetime | None = None
    body_label: str = "Timestamp"


def _references(text: str) -> list[str]:
    found: dict[str, None] = {}
    for match in _REF.finditer(text[:200_000]):
        found.setdefault(match.group(1), None)
    return list(found)[:50]


def _own_checkpoint_ref(info: NameInfo) -> str | None:
    return info.raw if info.pattern == "iso" and info.raw and info.raw.endswith("Z") else None


def _load_json(text: str, draft: _Draft) -> object:
    try:
        return json.loads(text)
    except ValueError as exc:
        draft.notes.append(f"invalid JSON: {str(exc).splitlines()[0]}")
        return None


def _read_checkpoint(draft: _Draft) -> None:
    heading = first_heading(draft.text) or ""
    title = heading.split(":", 1)[1] if heading.startswith("CODITECT Checkpoint:") else ""
    draft.title = title.strip() or draft.title
    draft.checkpoint_ref = _own_checkpoint_ref(draft.info)
    draft.body_time = parse_zoned(_field(draft.text, "Timestamp"))


def _checkpoint_from_name(name: str, draft: _Draft) -> None:
    info = parse_name(PurePosixPath(name).name)
    draft.checkpoint_ref = _own_checkpoint_ref(info)
    draft.links.insert(0, f"checkpoints/{PurePosixPath(name).name}")


def _read_session(draft: _Draft) -> None:
    heading = first_heading(draft.text) or ""
    if heading.startswith("Session Export:"):
        # session_export.py drops the first 4 '-'-separated parts of the ISO name and
        # keeps the seconds, so titles start with e.g. "36Z ".
        title = _STAMP_ARTIFACT.sub("", heading.split(":", 1)[1].strip())
        draft.title = title or draft.title
    checkpoint = _field(draft.text, "Checkpoint")
    if checkpoint and checkpoint.lower() not in ("none", "-"):
        _checkpoint_from_name(checkpoint, draft)
    tags = _field(draft.text, "Tags")
    if tags:
        draft.tags += [t for t in tags.split(",")]
    draft.repository = _field(draft.text, "Repository")
    export_time = _field(draft.text, "Export Time") or ""
    zoned = bool(_ZONE.search(export_time))
    draft.info = parse_name(draft.name, z_is_local=not zoned)
    draft.body_time = parse_zoned(_field(draft.text, "Timestamp"))


def _read_template(draft: _Draft) -> None:
    heading = first_heading(draft.text) or ""
    if heading.startswith("Session:"):
        draft.title = heading.split(":", 1)[1].strip() or draft.title
    for ref in _references(draft.text):
        if ref.startswith("checkpoints/"):
            _checkpoint_from_name(ref, draft)
            break


def _read_heading_title(draft: _Draft, prefix: str = "") -> None:
    heading = first_heading(draft.text) or ""
    if prefix and heading.startswith(prefix):
        heading = heading[len(prefix) :]
    draft.title = heading.strip() or draft.title


def _read_export_json(draft: _Draft) -> None:
    data = _load_json(draft.text, draft)
    if data is None:
        return
    doc = parse_export(data)
    draft.document = doc
    draft.notes += [f"export: {p}" for p in doc.problems]
    draft.tags += doc.tags
    draft.repository = doc.repository or None
    if doc.checkpoint_file:
        _checkpoint_from_name(doc.checkpoint_file, draft)
    if not draft.title:
        draft.title = _STAMP_ARTIFACT.sub("", doc.objectives).strip()
    zoned = bool(_ZONE.search(doc.export_time))
    draft.info = parse_name(draft.name, z_is_local=not zoned)
    draft.body_time = parse_zoned(doc.timestamp)
    draft.body_label = "metadata.timestamp"
    draft.body = doc.index_text()


def _read_placeholder(draft: _Draft) -> None:
    for line in draft.text.splitlines()[:10]:
        if line.startswith("# Description:"):
            draft.title = line.split(":", 1)[1].strip() or draft.title
        elif line.startswith("# Timestamp:"):
            draft.body_time = parse_zoned(line)
    draft.checkpoint_ref = _own_checkpoint_ref(draft.info)


def _read_transcript(draft: _Draft) -> None:
    draft.checkpoint_ref = _own_checkpoint_ref(draft.info)


def _read_jsonl(draft: _Draft) -> None:
    dump = render_jsonl(draft.text)
    draft.body = dump.text
    draft.notes += dump.problems
    # first_seen is when export-dedup first saw a message, not when the conversation
    # took place: it dates only a store whose name holds no date
    if draft.info.timestamp is None:
        draft.body_time = parse_zoned(dump.first_time)
        draft.body_label = dump.time_key or "first_seen"


def _read_audit_log(draft: _Draft) -> None:
    data = _load_json(draft.text, draft)
    if data is None:
        return
    doc = parse_audit_log(data)
    draft.document = doc
    draft.notes += [f"audit log: {p}" for p in doc.problems]
    draft.title = doc.sprint_description.strip() or draft.title
    draft.tags += sorted({op.operation for op in doc.operations if op.operation})
    draft.repository = doc.repo_root or None
    draft.body = doc.index_text()


def _read_setup_log(draft: _Draft) -> None:
    data = _load_json(draft.text, draft)
    if data is None:
        return
    doc = parse_setup_log(data)
    draft.document = doc
    if doc.master_project:
        draft.title = f"Set-up of master project {doc.master_project}"
    draft.repository = doc.master_project or None
    draft.body = doc.index_text()


_READERS = {
    "checkpoint": _read_checkpoint,
    "session": _read_session,
    "session-template": _read_template,
    "export-json": _read_export_json,
    "export-placeholder": _read_placeholder,
    "transcript": _read_transcript,
    "audit-log": _read_audit_log,
    "setup-log": _read_setup_log,
    "jsonl-dump": _read_jsonl,
    "summary": _read_heading_title,
    "note": lambda d: _read_heading_title(d, "Note:"),
}


def _fallback_title(rel: PurePosixPath, info: NameInfo, kind: MemoryKind) -> str:
    description = info.description
    prefixes = {
        "audit-log": ("checkpoint-audit-",),
        "transcript": ("EXPORT-CONTEXT-", "EXPORT-"),
        "jsonl-dump": ("EXPORT-CONTEXT-", "EXPORT-"),
    }.get(kind, ())
    for prefix in prefixes:
        if description.startswith(prefix):
            description = description[len(prefix) :]
            break
    return description_title(description) or rel.name


def read_memory_file(path: Path, root: Path, *, cap: int = DEFAULT_INDEX_CAP) -> ParsedFile:
    """Read and understand one file of a MEMORY-CONTEXT folder.

    Args:
        path: the file.
        root: the MEMORY-CONTEXT folder it belongs to (for ``rel`` and the kind rules).
        cap: how many bytes of the file are parsed and indexed.

    Returns:
        The parsed file (never raises for content problems; see ``notes``).

    Raises:
        OSError: the file cannot be read.
    """
    return parse_raw(path, root, read_raw(path, cap), cap=cap)


def parse_raw(path: Path, root: Path, raw: RawFile, *, cap: int = DEFAULT_INDEX_CAP) -> ParsedFile:
    """Understand a file already read with :func:`~coditect_tui.core.memory.textio.read_raw`.

    Args:
        path: the file.
        root: its MEMORY-CONTEXT folder.
        raw: its bytes and identity.
        cap: the cap ``raw`` was read with (named in the truncation note).

    Returns:
        The parsed file (never raises).
    """
    # names are stored and shown: bytes that are not UTF-8 become \xNN (fs_text)
    try:
        rel = PurePosixPath(fs_text(path.relative_to(root).as_posix()))
    except ValueError:
        rel = PurePosixPath(fs_text(path.name))
    decoded = decode_text(raw.data, truncated=raw.truncated)
    text = decoded.text
    name = rel.name
    info = parse_name(name)
    kind = classify(rel, info, text, binary=decoded.binary)
    draft = _Draft(title=_fallback_title(rel, info, kind), name=name, info=info, text=text)
    if decoded.note:
        draft.notes.append(decoded.note)
    if raw.truncated and kind in ("export-json", "audit-log", "setup-log", "jsonl-dump"):
        draft.notes.append(f"only the first {cap:,} bytes were read: the JSON is cut")
    if kind == "other":
        heading = first_heading(text) if rel.suffix.lower() == ".md" else None
        draft.title = heading or name
    else:
        _READERS[kind](draft)
    if kind not in ("export-json", "audit-log", "setup-log", "jsonl-dump"):
        draft.links = draft.links + [r for r in _references(text) if r not in draft.links]
    body = draft.body if draft.body is not None else text
    if raw.truncated:
        marker = (
            f"[coditect: only the first {cap:,} of {raw.size:,} bytes of this file are indexed]"
        )
        body = f"{body}\n\n{marker}\n"
        draft.notes.append(marker.strip("[]").removeprefix("coditect: "))
    tags = list(draft.tags)
    if draft.checkpoint_ref:
        tags.append(CHECKPOINT_TAG + draft.checkpoint_ref)
    when = resolve_time(draft.info, draft.body_time, draft.body_label)
    own = rel.as_posix()
    return ParsedFile(
        path=path,
        key=path_key(path),
        rel=own,
        kind=kind,
        title=_cut(draft.title or name),
        timestamp_raw=draft.info.raw,
        timestamp=when.timestamp,
        timestamp_note=when.note,
        tags=_tags(tags),
        size=raw.size,
        mtime=raw.mtime,
        sha256=raw.sha256,
        body=body,
        truncated=raw.truncated,
        notes=draft.notes,
        links=[link for link in draft.links if link != own],
        checkpoint_ref=draft.checkpoint_ref,
        document=draft.document,
        repository=draft.repository,
    )
