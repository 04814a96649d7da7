"""Structured views of the JSON formats, for a UI to render and for the index text.

* :class:`ExportDocument`: ``exports/<ISO>Z-<desc>.json`` written by CODITECT's
  ``session_export.py`` (``metadata``, ``conversation[].sections``, ``file_changes``,
  ``decisions``);
* :class:`AuditLogDocument`: ``audit-logs/<ISO>Z-checkpoint-audit-<desc>.json``
  (``operations`` across submodules);
* :class:`SetupLogDocument`: ``SESSION-YYYYMMDD-HHMMSS.json`` (a master project set-up log).

Every parser takes decoded JSON of any shape and never raises: what does not fit is left
out and named in ``problems``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from coditect_tui.core.wording import plural

#: File-change categories of an export, in the order session_export.py writes them.
CHANGE_CATEGORIES = ("modified", "added", "deleted", "untracked")


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _texts(value: Any) -> list[str]:
    if isinstance(value, list):
        return [_text(v) for v in value if v is not None]
    if isinstance(value, str) and value:
        return [value]
    return []


@dataclass(frozen=True, slots=True)
class ExportTurn:
    """One turn of an export's conversation (``role`` + ``content``)."""

    role: str
    content: str


@dataclass(frozen=True, slots=True)
class Decision:
    """A decision with the text around it."""

    decision: str
    context: str = ""


@dataclass(frozen=True, slots=True)
class ExportDocument:
    """A structured session export (JSON).

    Attributes:
        timestamp: ``metadata.timestamp`` as written (the checkpoint's time).
        checkpoint_file: the checkpoint the export was made from (a file name).
        participants: who took part.
        objectives: what the session was for.
        tags: ``metadata.tags``.
        repository: the repository path on the exporting machine.
        export_time: ``metadata.export_time`` as written (local time, no zone).
        metadata: every metadata key as found (for fields not listed above).
        sections: (heading, text) of the checkpoint sections, in file order.
        turns: conversation turns that are not section summaries.
        file_changes: category -> paths (modified, added, deleted, untracked, ...).
        recent_commits: ``file_changes.recent_commits``.
        decisions: the decisions.
        problems: what could not be read.
    """

    timestamp: str = ""
    checkpoint_file: str = ""
    participants: list[str] = field(default_factory=list)
    objectives: str = ""
    tags: list[str] = field(default_factory=list)
    repository: str = ""
    export_time: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    sections: list[tuple[str, str]] = field(default_factory=list)
    turns: list[ExportTurn] = field(default_factory=list)
    file_changes: dict[str, list[str]] = field(default_factory=dict)
    recent_commits: list[str] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def index_text(self) -> str:
        """Plain text for the full-text index (what a reader would search for)."""
        lines = [
            f"Objectives: {self.objectives}",
            f"Timestamp: {self.timestamp}",
            f"Checkpoint: {self.checkpoint_file}",
            f"Repository: {self.repository}",
            f"Participants: {', '.join(self.participants)}",
            f"Tags: {', '.join(self.tags)}",
            f"Export time: {self.export_time}",
            "",
        ]
        for heading, text in self.sections:
            lines += [f"## {heading}", text, ""]
        for turn in self.turns:
            lines += [f"{turn.role}: {turn.content}", ""]
        for category, paths in self.file_changes.items():
            if paths:
                lines += [f"## File changes: {category}", *paths, ""]
        if self.recent_commits:
            lines += ["## Recent commits", *self.recent_commits, ""]
        for decision in self.decisions:
            lines += [f"Decision: {decision.decision}", decision.context, ""]
        return "\n".join(lines).strip() + "\n"


def parse_export(data: Any) -> ExportDocument:
    """Read a decoded export JSON (any shape) into an :class:`ExportDocument`.

    Args:
        data: ``json.loads`` of the file.

    Returns:
        The document; ``problems`` names what did not fit the format.
    """
    problems: list[str] = []
    if not isinstance(data, dict):
        return ExportDocument(problems=["not a JSON object"])
    meta = data.get("metadata")
    if not isinstance(meta, dict):
        problems.append("no metadata object")
        meta = {}
    sections: list[tuple[str, str]] = []
    turns: list[ExportTurn] = []
    conversation = data.get("conversation", [])
    if not isinstance(conversation, list):
        problems.append("conversation is not a list")
        conversation = []
    for turn in conversation:
        if not isinstance(turn, dict):
            problems.append("a conversation turn is not an object")
            continue
        found = turn.get("sections")
        if isinstance(found, dict):
            sections += [(_text(k), _text(v)) for k, v in found.items()]
        elif turn.get("content") is not None:
            turns.append(ExportTurn(_text(turn.get("role", "unknown")), _text(turn.get("content"))))
    changes: dict[str, list[str]] = {}
    commits: list[str] = []
    raw_changes = data.get("file_changes", {})
    if isinstance(raw_changes, dict):
        for key in (*CHANGE_CATEGORIES, *sorted(set(raw_changes) - set(CHANGE_CATEGORIES))):
            if key not in raw_changes:
                continue
            if key == "recent_commits":
                commits = _texts(raw_changes[key])
            else:
                changes[_text(key)] = _texts(raw_changes[key])
    else:
        problems.append("file_changes is not an object")
    decisions: list[Decision] = []
    raw_decisions = data.get("decisions", [])
    for item in raw_decisions if isinstance(raw_decisions, list) else []:
        if isinstance(item, dict):
            decisions.append(Decision(_text(item.get("decision")), _text(item.get("context"))))
        elif item is not None:
            decisions.append(Decision(_text(item)))
    tags = meta.get("tags", [])
    return ExportDocument(
        timestamp=_text(meta.get("timestamp")),
        checkpoint_file=_text(meta.get("checkpoint_file")),
        participants=_texts(meta.get("participants")),
        objectives=_text(meta.get("objectives")),
        tags=_texts(tags) if isinstance(tags, list) else [_text(tags)] if tags else [],
        repository=_text(meta.get("repository")),
        export_time=_text(meta.get("export_time")),
        metadata=dict(meta),
        sections=sections,
        turns=turns,
        file_changes=changes,
        recent_commits=commits,
        decisions=decisions,
        problems=problems,
    )


@dataclass(frozen=True, slots=True)
class AuditOperation:
    """One operation of a checkpoint audit log."""

    timestamp: str
    repo: str
    operation: str
    status: str
    details: str


@dataclass(frozen=True, slots=True)
class AuditLogDocument:
    """A checkpoint audit log.

    Attributes:
        timestamp: the top-level ``timestamp`` as written.
        sprint_description: what the checkpoint was about.
        repo_root: the workspace path on the machine that wrote it.
        operations: the operations in file order.
        summary: ``operation_summary`` as found.
        problems: what could not be read.
    """

    timestamp: str = ""
    sprint_description: str = ""
    repo_root: str = ""
    operations: list[AuditOperation] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def index_text(self) -> str:
        """Plain text for the full-text index: header and one line per operation."""
        lines = [
            f"Checkpoint audit: {self.sprint_description}",
            f"Timestamp: {self.timestamp}",
            f"Repository root: {self.repo_root}",
            "",
        ]
        lines += [
            f"{op.timestamp} {op.repo} {op.operation} {op.status}: {op.details}"
            for op in self.operations
        ]
        return "\n".join(lines) + "\n"


def parse_audit_log(data: Any) -> AuditLogDocument:
    """Read a decoded checkpoint audit log (any shape).

    Args:
        data: ``json.loads`` of the file.

    Returns:
        The document; operations that are not objects are skipped and counted in
        ``problems``.
    """
    if not isinstance(data, dict):
        return AuditLogDocument(problems=["not a JSON object"])
    problems: list[str] = []
    operations: list[AuditOperation] = []
    raw_ops = data.get("operations", [])
    if not isinstance(raw_ops, list):
        problems.append("operations is not a list")
        raw_ops = []
    skipped = 0
    for op in raw_ops:
        if not isinstance(op, dict):
            skipped += 1
            continue
        operations.append(
            AuditOperation(
                _text(op.get("timestamp")),
                _text(op.get("repo")),
                _text(op.get("operation")),
                _text(op.get("status")),
                _text(op.get("details")),
            )
        )
    if skipped:
        what = "is not an object" if skipped == 1 else "are not objects"
        problems.append(f"{plural(skipped, 'operation')} {what}")
    summary = data.get("operation_summary")
    return AuditLogDocument(
        timestamp=_text(data.get("timestamp")),
        sprint_description=_text(data.get("sprint_description")),
        repo_root=_text(data.get("repo_root")),
        operations=operations,
        summary=summary if isinstance(summary, dict) else {},
        problems=problems,
    )


@dataclass(frozen=True, slots=True)
class SetupLogLine:
    """One line of a set-up log (time of day as written, status, message)."""

    time: str
    status: str
    message: str


@dataclass(frozen=True, slots=True)
class SetupLogDocument:
    """A master project set-up log (``SESSION-YYYYMMDD-HHMMSS.json``)."""

    session_id: str = ""
    timestamp: str = ""
    master_project: str = ""
    sub_projects_created: int | None = None
    lines: list[SetupLogLine] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def index_text(self) -> str:
        """Plain text for the full-text index: header and the log lines."""
        head = [
            f"Set-up of master project {self.master_project}",
            f"Session: {self.session_id}",
            f"Timestamp: {self.timestamp}",
            f"Sub-projects created: {self.sub_projects_created}",
            "",
        ]
        body = [
            f"{line.time} {line.status} {line.message.strip()}"
            for line in self.lines
            if line.message.strip().strip("─")
        ]
        return "\n".join(head + body) + "\n"


def parse_setup_log(data: Any) -> SetupLogDocument:
    """Read a decoded set-up log (any shape).

    Args:
        data: ``json.loads`` of the file.

    Returns:
        The document.
    """
    if not isinstance(data, dict):
        return SetupLogDocument(problems=["not a JSON object"])
    lines: list[SetupLogLine] = []
    raw = data.get("log", [])
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, dict):
            lines.append(
                SetupLogLine(
                    _text(item.get("timestamp")),
                    _text(item.get("status")),
                    _text(item.get("message")),
                )
            )
    count = data.get("sub_projects_created")
    return SetupLogDocument(
        session_id=_text(data.get("session_id")),
        timestamp=_text(data.get("timestamp")),
        master_project=_text(data.get("master_project")),
        sub_projects_created=count if isinstance(count, int) else None,
        lines=lines,
        problems=[] if isinstance(raw, list) else ["log is not a list"],
    )
