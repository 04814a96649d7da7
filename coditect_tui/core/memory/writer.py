"""Writing memory files: session exports (CODITECT's format) and notes, audited.

Both writers take the :class:`Backend`, so a file cannot be written without going
through it:

1. the content is built in memory;
2. ``record_event(memory, create, "memory.write", ...)`` authorizes and audits the write
   *before* anything touches the disk; a read-only backend or a role without
   ``memory.create`` refuses here (and the store audits the refusal), so nothing is
   written;
3. the file is written atomically (a hidden temporary file in the same folder, fsync,
   then a hard link to the final name, which never replaces an existing file);
4. the file is read back and indexed with ``upsert_memory_entry``.

A failed write after step 2 is audited as ``outcome="error"``.

Session exports follow ``session_export.py``'s layout (title, metadata, summary, file
changes, decisions, next session) and name, ``<ISO>Z-<desc>.md`` in
``MEMORY-CONTEXT/sessions/`` — except that the time in the name is real UTC, and the
**Export Time** field says so with its ``Z`` (which is how the reader tells our files from
``session_export.py``'s local-time ones).
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from coditect_tui import __version__
from coditect_tui.core.backend import Backend
from coditect_tui.core.errors import CoditectError, Conflict
from coditect_tui.core.memory.documents import CHANGE_CATEGORIES, Decision
from coditect_tui.core.memory.readers import read_memory_file
from coditect_tui.core.memory.roots import MEMORY_DIR
from coditect_tui.core.models import Action, GitSession, MemoryEntry, Resource

#: Files listed per change category (as session_export.py does).
MAX_FILES_PER_CATEGORY = 20
#: Longest description kept in a file name (characters).
MAX_NAME_DESCRIPTION = 100

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NAME_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")


class MemoryWriteError(CoditectError):
    """A memory file could not be written (the message names the file and the reason)."""


def _line(text: object) -> str:
    """One line of untrusted text: no control characters, no line breaks."""
    return " ".join(_CONTROL.sub(" ", str(text)).split())


def _block(text: object) -> str:
    """Untrusted multi-line text: line breaks kept, other control characters removed."""
    lines = str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(_CONTROL.sub(" ", line.replace("\t", "    ")).rstrip() for line in lines)


def _fact(value: object) -> str:
    """A session fact as a reader writes it: booleans in words, the rest as one line."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return _line(value)


def _code(path: str) -> str:
    value = _line(path)
    return f"`` {value} ``" if "`" in value else f"`{value}`"


def name_description(description: str, *, fallback: str) -> str:
    """The ``<desc>`` part of a CODITECT file name: spaces as ``-``, no separators.

    Args:
        description: free text.
        fallback: used when nothing is left.

    Returns:
        At most :data:`MAX_NAME_DESCRIPTION` characters (and 200 UTF-8 bytes).
    """
    text = "-".join(_NAME_UNSAFE.sub(" ", _CONTROL.sub(" ", description)).split())
    text = text.lstrip(".-")[:MAX_NAME_DESCRIPTION]
    while len(text.encode("utf-8")) > 200:
        text = text[:-1]
    return text.rstrip("-") or fallback


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H-%M-%SZ")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class SessionExport:
    """What a session export says.

    Attributes:
        description: the session's description (title and file name).
        summary: what happened (Markdown).
        objectives: what the session was for.
        repository: the repository folder.
        participants: who took part.
        checkpoint_file: the checkpoint it belongs to (file name), if any.
        tags: tags.
        file_changes: category (modified, added, deleted, untracked) -> paths.
        recent_commits: ``<sha> <subject>`` lines, newest first.
        decisions: decisions (with context) or plain texts.
        next_steps: what to do next.
        git_session: the git session's facts (session_key, branch, duration, commits,
            pushes, files_changed, insertions, deletions), if it came from one.
        exported_at: when (aware; default now).
    """

    description: str
    summary: str = ""
    objectives: Sequence[str] = ()
    repository: str = ""
    participants: Sequence[str] = ()
    checkpoint_file: str | None = None
    tags: Sequence[str] = ()
    file_changes: Mapping[str, Sequence[str]] = field(default_factory=dict)
    recent_commits: Sequence[str] = ()
    decisions: Sequence[Decision | str] = ()
    next_steps: Sequence[str] = ()
    git_session: Mapping[str, Any] | None = None
    exported_at: datetime | None = None

    @classmethod
    def from_git_session(
        cls,
        session: GitSession,
        *,
        repository: str,
        summary: str = "",
        participants: Sequence[str] = (),
        file_changes: Mapping[str, Sequence[str]] | None = None,
        recent_commits: Sequence[str] = (),
        decisions: Sequence[Decision | str] = (),
        next_steps: Sequence[str] = (),
        tags: Sequence[str] = (),
        exported_at: datetime | None = None,
    ) -> SessionExport:
        """The export of an ended git session (its summary fills the metadata).

        Args:
            session: the session record (``summary`` as written by the git engine's end).
            repository: the repository folder.
            summary: what happened, in the operator's words.
            participants: who took part (default: the session's creator).
            file_changes: changed files per category.
            recent_commits: ``<sha> <subject>`` lines.
            decisions: decisions taken.
            next_steps: what to do next.
            tags: tags.
            exported_at: when (default now).

        Returns:
            The export.
        """
        facts: dict[str, Any] = {
            "session_key": session.session_key,
            "branch": session.branch,
            "started_at": _iso(session.started_at),
        }
        for key in (
            "duration",
            "commits",
            "pushes",
            "files_changed",
            "insertions",
            "deletions",
            "merged",
        ):
            if key in session.summary:
                facts[key] = session.summary[key]
        facts.setdefault("commits", session.commit_count)
        facts.setdefault("pushes", session.push_count)
        return cls(
            description=session.description,
            summary=summary,
            objectives=[session.description],
            repository=repository,
            participants=participants or [session.created_by],
            file_changes=file_changes or {},
            recent_commits=recent_commits,
            decisions=decisions,
            next_steps=next_steps,
            tags=tags,
            git_session=facts,
            exported_at=exported_at,
        )


def render_session_export(export: SessionExport, *, file_name: str) -> str:
    """The Markdown of a session export, in ``session_export.py``'s layout.

    Args:
        export: the content.
        file_name: the file's own name (named in the context-loading hint).

    Returns:
        The document text (ends with a newline).
    """
    moment = export.exported_at or datetime.now(UTC)
    title = _line(export.description) or "Session"
    tags = [_line(t) for t in export.tags if _line(t)]
    objectives = "; ".join(_line(o) for o in export.objectives if _line(o)) or title
    # A field with nothing to say is left out (never "None"), as in CODITECT's own exports.
    participants = ", ".join(p for p in (_line(p) for p in export.participants) if p)
    header = [
        ("Timestamp", _iso(moment)),
        ("Checkpoint", _line(export.checkpoint_file or "")),
        ("Repository", _line(export.repository or "")),
        ("Participants", participants),
    ]
    lines = [f"# Session Export: {title}", ""]
    lines += [f"**{label}:** {value}" for label, value in header if value]
    lines += ["", "---", "", "## Session Metadata", "", f"- **Objectives:** {objectives}"]
    if tags:
        lines.append(f"- **Tags:** {', '.join(tags)}")
    lines.append(f"- **Export Time:** {_iso(moment)}")
    facts = {k: v for k, v in (export.git_session or {}).items() if v is not None and v != ""}
    labels = (
        ("session_key", "Git Session"),
        ("branch", "Branch"),
        ("started_at", "Started"),
        ("duration", "Duration"),
        ("commits", "Commits"),
        ("pushes", "Pushes"),
        ("files_changed", "Files Changed"),
        ("insertions", "Insertions"),
        ("deletions", "Deletions"),
        ("merged", "Merged"),
    )
    lines += [f"- **{label}:** {_fact(facts[key])}" for key, label in labels if key in facts]
    lines += ["", "---", "", "## Conversation Summary", ""]
    lines += [_block(export.summary).strip() or "*No conversation history extracted*", ""]
    lines += ["---", "", "## File Changes", ""]
    categories = [*CHANGE_CATEGORIES, *sorted(set(export.file_changes) - set(CHANGE_CATEGORIES))]
    any_changes = False
    for category in categories:
        files = list(export.file_changes.get(category, ()))
        if not files:
            continue
        any_changes = True
        lines += [f"### {_line(category).capitalize()}", ""]
        lines += [f"- {_code(f)}" for f in files[:MAX_FILES_PER_CATEGORY]]
        if len(files) > MAX_FILES_PER_CATEGORY:
            lines.append(f"- *... and {len(files) - MAX_FILES_PER_CATEGORY} more*")
        lines.append("")
    if export.recent_commits:
        any_changes = True
        lines += ["### Recent Commits", ""]
        lines += [f"- {_line(c)}" for c in list(export.recent_commits)[:10]]
        lines.append("")
    if not any_changes:
        lines += ["*No file changes detected*", ""]
    lines += ["---", "", "## Decisions & Rationale", ""]
    if export.decisions:
        for number, item in enumerate(export.decisions, 1):
            decision = item if isinstance(item, Decision) else Decision(str(item))
            lines += [f"### Decision {number}", "", f"**Decision:** {_line(decision.decision)}", ""]
            if decision.context.strip():
                lines += ["**Context:**", _block(decision.context).strip(), ""]
    else:
        lines += ["*No explicit decisions extracted*", ""]
    lines += ["---", "", "## Next Session", ""]
    if export.next_steps:
        lines += ["### Next Steps", ""]
        lines += [f"- [ ] {_line(step)}" for step in export.next_steps if _line(step)]
        lines.append("")
    lines += [
        "**Recommended Context Loading:**",
        "```bash",
        f"python3 scripts/core/context_loader.py --session '{file_name}' --relevance 0.7",
        "```",
        "",
        "**Related Sessions:**",
        "- *To be populated by context loader*",
        "",
        "---",
        "",
        f"*Exported by CODITECT TUI {__version__} - {_iso(moment)}*",
        "",
    ]
    return "\n".join(lines)


def render_note(
    title: str, text: str, *, author: str, tags: Sequence[str] = (), moment: datetime
) -> str:
    """The Markdown of a note.

    Args:
        title: one line.
        text: the note (Markdown).
        author: who wrote it.
        tags: tags.
        moment: when (aware).

    Returns:
        The document text (ends with a newline).
    """
    tag_text = ", ".join(_line(t) for t in tags if _line(t))
    return "\n".join(
        [
            f"# Note: {_line(title) or 'Note'}",
            "",
            f"**Timestamp:** {_iso(moment)}",
            f"**Author:** {_line(author)}",
            *([f"**Tags:** {tag_text}"] if tag_text else []),
            "",
            "---",
            "",
            _block(text).strip(),
            "",
        ]
    )


@dataclass(frozen=True, slots=True)
class WrittenFile:
    """A memory file written and indexed."""

    path: Path
    entry: MemoryEntry


def memory_dir_of(folder: Path) -> Path:
    """The MEMORY-CONTEXT folder of a project folder.

    Args:
        folder: a project folder, or a MEMORY-CONTEXT folder.

    Returns:
        ``folder / "MEMORY-CONTEXT"``, or ``folder`` when it already is one.
    """
    return folder if folder.name.upper() == MEMORY_DIR else folder / MEMORY_DIR


def _free_name(folder: Path, stem: str) -> str:
    for number in range(1, 1000):
        name = f"{stem}.md" if number == 1 else f"{stem}-{number}.md"
        if not (folder / name).exists():
            return name
    raise Conflict(f"{folder}: too many files named {stem}*.md")


def _write_new(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically; never replaces an existing file."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, target)
        except FileExistsError:
            raise Conflict(f"{target}: a file of that name appeared meanwhile; try again") from None
        except OSError:
            # no hard links on this filesystem: rename, after checking nothing is there
            if target.exists():
                raise Conflict(
                    f"{target}: a file of that name appeared meanwhile; try again"
                ) from None
            os.replace(tmp, target)
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    finally:
        tmp.unlink(missing_ok=True)


async def _write_audited(
    backend: Backend,
    memory_dir: Path,
    sub: str,
    name: str,
    text: str,
    *,
    kind: str,
    project_id: str | None,
    details: Mapping[str, Any],
) -> WrittenFile:
    folder = memory_dir / sub
    target = folder / name
    data = text.encode("utf-8")
    event = {"path": str(target), "kind": kind, "bytes": len(data), **details}
    await backend.record_event(
        Resource.MEMORY, Action.CREATE, "memory.write", project_id, details=event
    )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _write_new(target, data)
    except (OSError, Conflict) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        await backend.record_event(
            Resource.MEMORY,
            Action.CREATE,
            "memory.write",
            project_id,
            outcome="error",
            details={**event, "error": reason},
        )
        if isinstance(exc, Conflict):
            raise
        raise MemoryWriteError(f"{target}: cannot write: {reason}") from None
    parsed = read_memory_file(target, memory_dir)
    entry = await backend.upsert_memory_entry(parsed.to_spec(project_id))
    return WrittenFile(target, entry)


async def write_session_export(
    backend: Backend, memory_dir: Path, export: SessionExport, *, project_id: str | None = None
) -> WrittenFile:
    """Write a session export into ``<memory_dir>/sessions/`` and index it (audited).

    Args:
        backend: the open backend (authorizes, audits and indexes).
        memory_dir: the project's MEMORY-CONTEXT folder (see :func:`memory_dir_of`).
        export: the content.
        project_id: the registered project it belongs to.

    Returns:
        The file and its index entry.

    Raises:
        ReadOnly: the backend is read-only (nothing is written).
        PermissionDenied: the role may not create memory entries (nothing is written).
        Conflict: a file of the chosen name appeared while writing.
        MemoryWriteError: the file system refused the write.
    """
    moment = export.exported_at or datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("exported_at must be timezone-aware")
    export = SessionExport(**{**export.__dict__, "exported_at": moment})
    stem = f"{_stamp(moment)}-{name_description(export.description, fallback='session')}"
    folder = memory_dir / "sessions"
    name = _free_name(folder, stem)
    text = render_session_export(export, file_name=name)
    facts = dict(export.git_session or {})
    details = {"git_session": facts["session_key"]} if "session_key" in facts else {}
    return await _write_audited(
        backend,
        memory_dir,
        "sessions",
        name,
        text,
        kind="session",
        project_id=project_id,
        details=details,
    )


async def write_note(
    backend: Backend,
    memory_dir: Path,
    title: str,
    text: str,
    *,
    tags: Sequence[str] = (),
    project_id: str | None = None,
    written_at: datetime | None = None,
) -> WrittenFile:
    """Write a note into ``<memory_dir>/notes/<ISO>Z-<title>.md`` and index it (audited).

    Args:
        backend: the open backend (authorizes, audits and indexes).
        memory_dir: the MEMORY-CONTEXT folder.
        title: one line.
        text: the note (Markdown).
        tags: tags.
        project_id: the registered project it belongs to.
        written_at: when (aware; default now).

    Returns:
        The file and its index entry.

    Raises:
        ReadOnly: the backend is read-only (nothing is written).
        PermissionDenied: the role may not create memory entries (nothing is written).
        Conflict: a file of the chosen name appeared while writing.
        MemoryWriteError: the file system refused the write.
    """
    moment = written_at or datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("written_at must be timezone-aware")
    author = (await backend.whoami()).name
    stem = f"{_stamp(moment)}-{name_description(title, fallback='note')}"
    name = _free_name(memory_dir / "notes", stem)
    body = render_note(title, text, author=author, tags=tags, moment=moment)
    return await _write_audited(
        backend, memory_dir, "notes", name, body, kind="note", project_id=project_id, details={}
    )
