"""The backend id of a working tree's repo (registers its project when needed)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coditect_tui.core.errors import NotFound
from coditect_tui.core.safe_text import safe_text

if TYPE_CHECKING:
    from coditect_tui.core.backend import Backend


async def resolve_repo_id(backend: Backend, repo: Path, roots: list[Path]) -> str:
    """Register (idempotently) the project holding ``repo`` and return the repo's id.

    The project is named as discovery would name it under the tenant's roots.

    Args:
        backend: the tenant's backend.
        repo: a working tree (a top-level repo or a submodule).
        roots: the tenant's workspace roots (for the project's name).

    Returns:
        The repo's backend id.

    Raises:
        NotFound: the repo could not be placed in a project.
    """
    from coditect_tui.core.git.discovery import discover, project_name, register_tree

    top = await _to_thread(superproject_of_path, repo)
    tree = await _to_thread(discover, [top])
    if not tree.projects:
        raise NotFound(f"{safe_text(repo)} is not part of a discoverable project")
    project = tree.projects[0]
    for root in roots:
        root_abs = Path(os.path.abspath(root))
        if top != root_abs and top.is_relative_to(root_abs):
            project.name = project_name(root_abs, top)
            break
    cursor: str | None = None
    while True:  # a same-named project elsewhere is not ours to move: use the full path
        page = await backend.list_projects(cursor=cursor, limit=1000)
        clash = next((p for p in page.items if p.name == project.name), None)
        if clash is not None:
            if clash.path not in (None, str(top)):
                project.name = str(top)
            break
        cursor = page.next_cursor
        if cursor is None:
            break
    registration = await register_tree(backend, tree)
    repo_id = registration.repo_ids.get(str(Path(os.path.abspath(repo))))
    if repo_id is None:
        raise NotFound(f"{safe_text(repo)} is not part of a discoverable project")
    return repo_id


def superproject_of_path(repo: Path) -> Path:
    """:func:`coditect_tui.core.git.discovery.superproject_of` (imported lazily)."""
    from coditect_tui.core.git.discovery import superproject_of

    return superproject_of(repo)


async def _to_thread(func: Callable[..., Any], *args: Any) -> Any:
    import asyncio

    return await asyncio.to_thread(func, *args)
