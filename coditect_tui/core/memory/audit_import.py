"""MEMORY-CONTEXT/audit-logs/*.json -> audit events of the tenant's chain.

Each operation of a checkpoint audit log (``{"timestamp", "repo", "operation", "status",
"details"}``) becomes one :class:`AuditEventSpec`:

* ``ts``: the operation's timestamp (the log's own one when missing);
* ``actor``: ``coditect-checkpoint`` (the logs do not say who ran the checkpoint);
* ``action``: ``repos.<operation>`` (``repos.detect``, ``repos.commit``, ``repos.push``);
  ``resource_type`` ``repos``, ``resource_id`` the repo path as logged (``parent`` for
  the master repo);
* ``outcome``: ``error`` for status error, otherwise ``ok`` (the status is in details);
* ``details``: status, details text, the checkpoint's description and repo root;
* ``source``: the log file's path relative to its MEMORY-CONTEXT folder.

The same file always gives the same events, and the store skips events it already holds,
so importing again adds nothing. Either a MEMORY-CONTEXT folder (every ``audit-logs``
folder in it) or one ``audit-logs`` folder (its own logs; ``source`` is still relative to
the MEMORY-CONTEXT folder holding it) can be imported: see :func:`audit_sources`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from coditect_tui.core.backend import Backend
from coditect_tui.core.errors import InvalidInput
from coditect_tui.core.memory.documents import parse_audit_log
from coditect_tui.core.memory.names import parse_name
from coditect_tui.core.memory.roots import discover_roots, walk_files
from coditect_tui.core.models import AuditEventSpec, Outcome
from coditect_tui.core.wording import plural

ACTOR = "coditect-checkpoint"
#: The folder CODITECT's checkpoint script writes its audit logs to.
AUDIT_DIR = "audit-logs"
_ACTION = re.compile(r"[^a-z0-9_-]+")


@dataclass(frozen=True, slots=True)
class AuditSource:
    """Where audit logs are imported from.

    Attributes:
        root: the MEMORY-CONTEXT folder (each event's ``source`` is relative to it).
        folder: where the logs are read: ``root`` itself (all its ``audit-logs``
            folders) or one ``audit-logs`` folder in it.
    """

    root: Path
    folder: Path


def audit_sources(
    paths: Iterable[Path], *, max_depth: int = 6, designated: Iterable[Path] = ()
) -> list[AuditSource]:
    """What to import for the folders a user named.

    Args:
        paths: MEMORY-CONTEXT folders, their ``audit-logs`` folders, workspace roots or
            project folders (searched as ``roots.discover_roots`` does).
        max_depth: folder levels searched below each path.
        designated: MEMORY-CONTEXT folders the configuration names.

    Returns:
        One source per ``audit-logs`` folder given and per MEMORY-CONTEXT folder found.

    Raises:
        InvalidInput: a path is missing or not a folder, or nothing to import was found.
    """
    paths = list(paths)
    sources: list[AuditSource] = []
    others: list[Path] = []
    for given in paths:
        path = Path(given).expanduser()
        if path.name == AUDIT_DIR and path.is_dir():
            folder = path.resolve()
            sources.append(AuditSource(folder.parent, folder))
        else:
            others.append(path)
    if others or not sources:
        found = discover_roots(others, max_depth=max_depth, designated=designated)
        if not found and not sources:
            shown = ", ".join(str(p) for p in paths) or "the given paths"
            raise InvalidInput(f"no MEMORY-CONTEXT or {AUDIT_DIR} folder found under {shown}")
        sources += [AuditSource(root, root) for root in found]
    return list(dict.fromkeys(sources))


@dataclass(slots=True)
class AuditLogEvents:
    """The events read from one audit log, and what was skipped."""

    source: str
    events: list[AuditEventSpec] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _moment(text: str) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return parse_name(f"{text}-x").timestamp
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def read_audit_log_events(path: Path, root: Path) -> AuditLogEvents:
    """Read one checkpoint audit log into events (never raises for content problems).

    Args:
        path: the ``.json`` file.
        root: its MEMORY-CONTEXT folder (``source`` is relative to it).

    Returns:
        The events and the problems met (unreadable file, invalid JSON, undated
        operations).
    """
    try:
        source = path.relative_to(root).as_posix()
    except ValueError:
        source = path.name
    result = AuditLogEvents(source)
    try:
        data = json.loads(path.read_bytes().decode("utf-8", errors="replace"))
    except OSError as exc:
        result.problems.append(f"{source}: cannot read: {exc.strerror or exc}")
        return result
    except ValueError as exc:
        result.problems.append(f"{source}: invalid JSON: {str(exc).splitlines()[0]}")
        return result
    doc = parse_audit_log(data)
    result.problems += [f"{source}: {p}" for p in doc.problems]
    fallback = _moment(doc.timestamp) or parse_name(path.name).timestamp
    undated = 0
    for op in doc.operations:
        moment = _moment(op.timestamp) or fallback
        if moment is None:
            undated += 1
            continue
        verb = _ACTION.sub("-", op.operation.lower()).strip("-") or "operation"
        outcome: Outcome = "error" if op.status.lower() in ("error", "failed", "failure") else "ok"
        result.events.append(
            AuditEventSpec(
                ts=moment,
                actor=ACTOR,
                action=f"repos.{verb}"[:100],
                resource_type="repos",
                resource_id=op.repo or None,
                outcome=outcome,
                details={
                    "status": op.status,
                    "details": op.details,
                    "checkpoint": doc.sprint_description,
                    "repo_root": doc.repo_root,
                },
                source=source,
            )
        )
    if undated:
        result.problems.append(
            f"{source}: {plural(undated, 'operation')} without a usable time "
            f"{'was' if undated == 1 else 'were'} skipped"
        )
    return result


def audit_log_files(root: Path, below: Path | None = None) -> list[Path]:
    """The checkpoint audit logs of a MEMORY-CONTEXT folder.

    Args:
        root: the MEMORY-CONTEXT folder.
        below: only this folder of it (one ``audit-logs`` folder).

    Returns:
        Every ``.json`` file in an ``audit-logs`` folder below it, sorted.
    """
    return sorted(
        f.path
        for f in walk_files(root, below=below).files
        if f.path.suffix.lower() == ".json" and f.path.parent.name == AUDIT_DIR
    )


@dataclass(slots=True)
class ImportReport:
    """What an audit-log import did."""

    files: int = 0
    events_read: int = 0
    appended: int = 0
    problems: list[str] = field(default_factory=list)


async def import_audit_logs(backend: Backend, roots: Sequence[Path | AuditSource]) -> ImportReport:
    """Import every audit log of these MEMORY-CONTEXT folders (idempotent).

    Args:
        backend: the open backend (needs audit.admin).
        roots: MEMORY-CONTEXT folders, or sources from :func:`audit_sources`.

    Returns:
        Counts and problems; ``appended`` is 0 when everything was imported before.

    Raises:
        ReadOnly, PermissionDenied: the backend refuses the import.
    """
    report = ImportReport()
    for given in roots:
        source = given if isinstance(given, AuditSource) else AuditSource(given, given)
        below = None if source.folder == source.root else source.folder
        for path in audit_log_files(source.root, below):
            found = read_audit_log_events(path, source.root)
            report.files += 1
            report.events_read += len(found.events)
            report.problems += found.problems
            if found.events:
                report.appended += await backend.import_audit_events(found.events)
    return report
