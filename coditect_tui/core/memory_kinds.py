"""The kinds of memory entries, importable without pydantic (CLI argument parsing).

``coditect_tui.core.models.MemoryKind`` spells the same values as a ``Literal``;
tests/unit/test_memory_kinds.py keeps the two equal.
"""

MEMORY_KINDS: tuple[str, ...] = (
    "checkpoint",
    "session",
    "session-template",
    "export-json",
    "jsonl-dump",
    "export-placeholder",
    "transcript",
    "summary",
    "audit-log",
    "setup-log",
    "note",
    "other",
)
