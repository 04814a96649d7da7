"""A person who joins a tenant, acts in it and is erased (shared by the contract test and
the SQLite byte test)."""

from __future__ import annotations

from dataclasses import dataclass

from coditect_tui.core.backend import Backend
from coditect_tui.core.models import (
    GitSessionSpec,
    MemoryEntrySpec,
    ProjectSpec,
    RepoSpec,
    utcnow,
)

#: the person; a name that occurs nowhere else, so its bytes can be looked for
ZELDA = "zelda-erasure-8842"


@dataclass
class Acted:
    """What she left behind."""

    key_id: str
    project_id: str
    session_id: str
    memory_id: str


async def make_member(owner: Backend) -> str:
    """The owner adds her as an editor with a key of her own; returns the key's id."""
    await owner.add_member(ZELDA, "editor")
    key = await owner.create_api_key(principal=ZELDA)
    return key.info.id


async def act(zelda: Backend, key_id: str) -> Acted:
    """She registers a project and a repo, starts a git session, writes memory and
    looks herself up in the audit log."""
    project = await zelda.upsert_project(
        ProjectSpec(name="atlas", path="/work/atlas", description="the atlas")
    )
    repo = await zelda.upsert_repo(
        RepoSpec(project_id=project.id, path="/work/atlas", name="atlas")
    )
    session = await zelda.create_session(
        GitSessionSpec(
            repo_id=repo.id,
            session_key="20261204-060000",
            description=f"{ZELDA} fixes the map legend",
            branch="legend-fix",
            started_at=utcnow(),
        )
    )
    memory = await zelda.upsert_memory_entry(
        MemoryEntrySpec(
            path="/work/atlas/MEMORY-CONTEXT/notes.md",
            kind="note",
            title="legend notes",
            body=f"# Legend\n\nwritten by {ZELDA}: the legend needs a scale bar",
        )
    )
    await zelda.whoami()
    return Acted(key_id=key_id, project_id=project.id, session_id=session.id, memory_id=memory.id)
