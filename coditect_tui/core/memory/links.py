"""Links between memory entries: a checkpoint and its sessions, exports and transcripts,
and a git session and the session exports written for it.

The readers tag every file that belongs to a checkpoint with ``checkpoint:<ISO>`` (the
checkpoint's own timestamp, as in its file name): the checkpoint itself, session exports
and templates and export JSON that name it, and the transcript or export placeholder the
checkpoint script wrote under the same timestamp. The Backend contract has no tag filter
yet, so linked entries are found with what it has (a phrase search for the timestamp, and
a one-second time window for files named with it) and then checked by their tag.
"""

from __future__ import annotations

from datetime import timedelta

from coditect_tui.core.backend import Backend
from coditect_tui.core.memory.names import parse_name
from coditect_tui.core.memory.query import to_fts5
from coditect_tui.core.memory.ranking import CHECKPOINT_TAG
from coditect_tui.core.models import GitSession, MemoryEntry, MemoryFilter

_KIND_ORDER = {
    "checkpoint": 0,
    "session": 1,
    "session-template": 2,
    "export-json": 3,
    "transcript": 4,
    "export-placeholder": 5,
}


def checkpoint_tag(entry: MemoryEntry) -> str | None:
    """The link tag of an entry.

    Args:
        entry: any entry.

    Returns:
        Its ``checkpoint:<ISO>`` tag, or None when it belongs to no checkpoint.
    """
    for tag in entry.tags:
        if tag.startswith(CHECKPOINT_TAG):
            return tag
    return None


async def linked_entries(
    backend: Backend, entry: MemoryEntry, *, limit: int = 50
) -> list[MemoryEntry]:
    """The other entries of the same checkpoint (checkpoint first, then by kind and time).

    Args:
        backend: the open backend.
        entry: any entry.
        limit: most entries looked at per lookup.

    Returns:
        Linked entries without ``entry`` itself; empty when it has no checkpoint tag.
    """
    tag = checkpoint_tag(entry)
    if tag is None:
        return []
    stamp = tag[len(CHECKPOINT_TAG) :]
    found: dict[str, MemoryEntry] = {}
    for hit in await backend.search_memory(to_fts5(f'"{stamp}"'), limit=limit):
        found[hit.entry.id] = hit.entry
    moment = parse_name(f"{stamp}-x").timestamp
    if moment is not None:
        window = MemoryFilter(since=moment, until=moment + timedelta(seconds=1))
        for item in (await backend.list_memory_entries(window, limit=limit)).items:
            found[item.id] = item
    linked = [e for e in found.values() if e.id != entry.id and tag in e.tags]
    linked.sort(key=lambda e: (_KIND_ORDER.get(e.kind, 9), e.path))
    return linked


async def entries_for_git_session(
    backend: Backend, session: GitSession, *, limit: int = 50
) -> list[MemoryEntry]:
    """Memory entries that name a git session (the session exports written for it).

    Args:
        backend: the open backend.
        session: the git session.
        limit: most entries returned.

    Returns:
        Entries whose text names the session's key (``YYYYMMDD-HHMMSS``), best match first.
    """
    hits = await backend.search_memory(
        to_fts5(f'"Git Session" "{session.session_key}"'), limit=limit
    )
    return [hit.entry for hit in hits]
