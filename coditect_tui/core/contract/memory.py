"""The MEMORY-CONTEXT index: entries, bodies, full-text search.

Part of the Backend contract (coditect_tui.core.backend)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator

from coditect_tui.core.contract.kinds import mutates, reads
from coditect_tui.core.models import (
    MemoryCount,
    MemoryEntry,
    MemoryEntrySpec,
    MemoryFilter,
    MemorySearchResult,
    Page,
    SearchHit,
)


class MemoryApi(ABC):
    """The MEMORY-CONTEXT index: entries, bodies, full-text search."""

    @mutates
    @abstractmethod
    async def upsert_memory_entry(self, spec: MemoryEntrySpec) -> MemoryEntry:
        """Index an entry, or replace the one with the same path (idempotent).

        Needs memory.create for a new path, memory.update for an existing one.

        Raises:
            NotFound: the project is not in this tenant.
        """

    @mutates
    @abstractmethod
    async def upsert_memory_entries(self, specs: list[MemoryEntrySpec]) -> list[MemoryEntry]:
        """``upsert_memory_entry`` for many entries in one transaction (all or nothing).

        Returns:
            The entries, in the order of ``specs``.

        Raises:
            PermissionDenied: one entry may not be created or updated (nothing is written).
            NotFound: a project is not in this tenant (nothing is written).
        """

    @reads
    @abstractmethod
    async def get_memory_entry(self, entry_id: str) -> MemoryEntry:
        """One entry. Needs memory.read.

        Raises:
            NotFound: no such entry in this tenant.
        """

    @reads
    @abstractmethod
    async def get_memory_body(self, entry_id: str) -> str:
        """The indexed text of an entry. Needs memory.read.

        Raises:
            NotFound: no such entry in this tenant.
        """

    @reads
    @abstractmethod
    async def list_memory_entries(
        self, filter: MemoryFilter | None = None, *, cursor: str | None = None, limit: int = 100
    ) -> Page[MemoryEntry]:
        """Entries, newest timestamp first (undated last). Needs memory.read."""

    @reads
    @abstractmethod
    async def count_memory_entries(self, filter: MemoryFilter | None = None) -> MemoryCount:
        """How many entries match, for a list's "N entries". Needs memory.read.

        Args:
            filter: as for :meth:`list_memory_entries`.

        Returns:
            The exact number of entries (``total_exact`` False only where counting was
            cut short).
        """

    @reads
    @abstractmethod
    async def search_memory(
        self, query: str, filter: MemoryFilter | None = None, *, limit: int = 50
    ) -> list[SearchHit]:
        """Full-text search, best match first. Needs memory.read.

        Args:
            query: words (all must match), ``"a phrase"``, ``prefix*``, ``OR``, ``NOT``.

        Raises:
            InvalidInput: the query is not valid syntax (the message says why).
        """

    @reads
    @abstractmethod
    async def search_memory_result(
        self, query: str, filter: MemoryFilter | None = None, *, limit: int = 50
    ) -> MemorySearchResult:
        """Full-text search with the total count. Needs memory.read.

        Args:
            query: as for :meth:`search_memory`.
            filter: kinds, project, time window, path prefix, tags.
            limit: most hits returned (1..1000); ``total`` counts them all.

        Returns:
            The best ``limit`` hits (identical content merged into one hit) and the
            total number of hits.

        Raises:
            InvalidInput: the query is not valid syntax (the message says why).
        """

    @mutates
    @abstractmethod
    async def delete_memory_entry(self, entry_id: str) -> None:
        """Drop an entry from the index. Needs memory.delete (own or tenant).

        Raises:
            NotFound: no such entry in this tenant.
        """

    @reads
    @abstractmethod
    def export_memory(
        self, filter: MemoryFilter | None = None
    ) -> AsyncGenerator[MemoryEntry, None]:
        """Every matching entry, newest first, streamed. Needs memory.export."""
