"""MEMORY-CONTEXT folders as a searchable, linked knowledge base (UI-free).

Modules, one job each:

* :mod:`~coditect_tui.core.memory.names`: timestamps and descriptions from file names;
* :mod:`~coditect_tui.core.memory.textio`: bytes, hashes and text of a file, whatever it
  holds;
* :mod:`~coditect_tui.core.memory.kinds`: which kind of file it is;
* :mod:`~coditect_tui.core.memory.documents`: structured views of the JSON formats;
* :mod:`~coditect_tui.core.memory.readers`: one file -> :class:`ParsedFile`;
* :mod:`~coditect_tui.core.memory.roots`: where MEMORY-CONTEXT folders are and whose;
* :mod:`~coditect_tui.core.memory.indexer`: incremental indexing and live watching;
* :mod:`~coditect_tui.core.memory.query`: the search syntax -> FTS5 / tsquery;
* :mod:`~coditect_tui.core.memory.search`: searching with it, reading snippets;
* :mod:`~coditect_tui.core.memory.links`: checkpoint <-> sessions, git session -> entries;
* :mod:`~coditect_tui.core.memory.writer`: session exports and notes, audited;
* :mod:`~coditect_tui.core.memory.audit_import`: audit-logs/*.json -> the audit chain.

See docs/memory.md.
"""
