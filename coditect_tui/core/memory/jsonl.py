"""JSONL dumps (one JSON object a line, e.g. CODITECT's deduplicated message stores) as text.

CODITECT's export-dedup writes lines such as ``{"hash": …, "message": {"index": 0,
"role": "user", "content": "…"}, "first_seen": "2025-11-18T07:32:13+00:00",
"checkpoint": "…"}``. The index gets one readable line per message (``role: content``),
never raw JSON; a line that is not a JSON object is kept as written and counted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from coditect_tui.core.wording import plural

#: Keys that carry a record's time, in the order they are looked for.
TIME_KEYS = ("first_seen", "timestamp", "created_at")


@dataclass(slots=True)
class JsonlText:
    """A JSONL dump made readable.

    Attributes:
        text: one block per record.
        problems: what could not be read (lines that are not JSON objects).
        first_time: the first record's time value, as written (see :data:`TIME_KEYS`).
        time_key: which key held it.
    """

    text: str = ""
    problems: list[str] = field(default_factory=list)
    first_time: str | None = None
    time_key: str | None = None


def _record_text(record: dict[str, object]) -> str:
    message = record.get("message")
    inner = message if isinstance(message, dict) else record
    role = inner.get("role") or inner.get("type")
    content = inner.get("content")
    if isinstance(content, str):
        return f"{role}: {content}" if isinstance(role, str) and role else content
    return json.dumps(record, ensure_ascii=False, sort_keys=True)


def render_jsonl(text: str) -> JsonlText:
    """Render a JSONL dump for the index.

    Args:
        text: the file's text (possibly cut at the index cap: a cut last line is counted
            as unreadable).

    Returns:
        The readable text, the problems, and the first record's time.
    """
    out = JsonlText()
    blocks: list[str] = []
    bad = 0
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if not isinstance(record, dict):
            bad += 1
            blocks.append(line)
            continue
        if out.first_time is None:
            for key in TIME_KEYS:
                value = record.get(key)
                if isinstance(value, str):
                    out.first_time, out.time_key = value, key
                    break
        blocks.append(_record_text(record))
    if bad:
        out.problems.append(f"JSONL: {plural(bad, 'line')} kept as written (not a JSON object)")
    out.text = "\n\n".join(blocks)
    return out
