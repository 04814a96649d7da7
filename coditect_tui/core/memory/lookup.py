"""Finding a memory entry by its id or a unique start of it (what users type), and the git
session an entry names."""

from __future__ import annotations

import re

from coditect_tui.core.backend import Backend
from coditect_tui.core.errors import InvalidInput, NotFound
from coditect_tui.core.models import MemoryEntry, MemoryFilter
from coditect_tui.core.safe_text import safe_text

#: Entries read per request while counting the matches of an ambiguous prefix.
_PAGE = 1000
#: A git session's key (``%Y%m%d-%H%M%S`` of its start) on its own.
_SESSION_KEY = re.compile(r"\b(\d{8}-\d{6})\b")
#: The line a session export names its session on: ``- **Git Session:** <key>`` (our
#: writer), ``**Git Session**: <key>`` or a plain ``Git Session: <key>``.
_GIT_SESSION_LINE = re.compile(
    r"^[\s>*+-]*[*_]*Git Session[*_]*\s*:[\s*_`]*(\d{8}-\d{6})\b", re.IGNORECASE | re.MULTILINE
)


async def git_session_key(backend: Backend, entry: MemoryEntry) -> str | None:
    """The key of the git session ``entry`` names, or None.

    A key in the title, path or tags (e.g. ``SESSION-20251115-145715.json``) is taken
    first; otherwise the entry's text is read for a ``Git Session:`` line, where a
    session export names its session.

    Args:
        backend: the open backend (needs memory.read).
        entry: any memory entry.

    Returns:
        The session key (``YYYYMMDD-HHMMSS``), or None when the entry names none.

    Raises:
        CoditectError: the entry's text could not be read.
    """
    for source in (entry.title, entry.path, " ".join(entry.tags)):
        match = _SESSION_KEY.search(source)
        if match:
            return match.group(1)
    body = await backend.get_memory_body(entry.id)
    match = _GIT_SESSION_LINE.search(body or "")
    return match.group(1) if match else None


async def find_memory_entry(backend: Backend, id_or_prefix: str) -> MemoryEntry:
    """The entry whose id is ``id_or_prefix``, or the only one whose id starts with it.

    Args:
        backend: the open backend (needs memory.read).
        id_or_prefix: a whole id, or its first characters.

    Returns:
        The entry.

    Raises:
        InvalidInput: empty, no entry matches, or several do (the message gives their count).
    """
    prefix = id_or_prefix.strip()
    if not prefix:
        raise InvalidInput("give a memory entry id (or the start of one)")
    flt = MemoryFilter(id_prefix=prefix)
    page = await backend.list_memory_entries(flt, limit=2)
    if len(page.items) == 1:
        return page.items[0]
    shown = safe_text(prefix, max_length=40)
    if not page.items:
        raise InvalidInput(f"no memory entry has an id starting with {shown!r}")
    try:  # a whole id that is also the start of longer ones
        return await backend.get_memory_entry(prefix)
    except NotFound:
        pass
    count = 0
    cursor: str | None = None
    while True:
        page = await backend.list_memory_entries(flt, cursor=cursor, limit=_PAGE)
        count += len(page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    raise InvalidInput(
        f"{count} memory entries have an id starting with {shown!r}; give more of the id"
    )
