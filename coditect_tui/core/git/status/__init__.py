"""Repo status: one ``git status --porcelain=v2 --branch -z --show-stash`` per repo.

That single process gives branch, detached HEAD, upstream, ahead/behind, every changed,
untracked and conflicted entry, the stash count and the HEAD commit id. The last
commit's subject, author and time are then read in-process from the object database
(:mod:`coditect_tui.core.git.objects`), with ``git log -1`` only as a fallback, so a
status run costs one git process per repo. Submodules are summarised from
``.gitmodules`` (read in Python) and the status entries of their gitlinks.

When a batch includes a master and all of its initialised submodules, the master is read
with ``--ignore-submodules=dirty`` (git would otherwise start a nested ``git status`` in
every submodule) and the "modified/untracked content" flags are filled in from the
submodules' own statuses, honouring ``submodule.<name>.ignore``, so the counts equal
plain ``git status``.

The package, one job per module:

* ``porcelain``: parsing ``git status --porcelain=v2 -z`` output;
* ``submodules``: ``.gitmodules`` and the submodule summary;
* ``main_branch``: which branch counts as main;
* ``model``: :class:`RepoStatus` (what a read found) and :class:`StatusTarget` (what to read);
* ``read``: running git: :func:`read_status`, :func:`read_many` and the submodule merge.

The names below are imported on first use: the app's first paint builds ``RepoStatus``
objects from the paint cache (``model``) without loading the runner or the parsers.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from coditect_tui.core.git.status.main_branch import (
        HELPER_CONFIG,
        MainBranch,
        main_branch_of,
        resolve_main_branch,
    )
    from coditect_tui.core.git.status.model import RepoStatus, StatusTarget
    from coditect_tui.core.git.status.porcelain import (
        MAX_LISTED_FILES,
        STATUS_ARGS,
        FileEntry,
        Porcelain,
        parse_porcelain_v2,
    )
    from coditect_tui.core.git.status.read import (
        merge_submodule_states,
        read_many,
        read_status,
    )
    from coditect_tui.core.git.status.submodules import (
        SubmoduleEntry,
        SubmoduleSummary,
        category_of,
        read_gitmodules,
        summarise_submodules,
    )

#: Where each public name lives (module of this package).
_HOME = {
    "HELPER_CONFIG": "main_branch",
    "main_branch_of": "main_branch",
    "MainBranch": "main_branch",
    "resolve_main_branch": "main_branch",
    "RepoStatus": "model",
    "StatusTarget": "model",
    "MAX_LISTED_FILES": "porcelain",
    "STATUS_ARGS": "porcelain",
    "FileEntry": "porcelain",
    "Porcelain": "porcelain",
    "parse_porcelain_v2": "porcelain",
    "merge_submodule_states": "read",
    "read_many": "read",
    "read_status": "read",
    "SubmoduleEntry": "submodules",
    "SubmoduleSummary": "submodules",
    "category_of": "submodules",
    "read_gitmodules": "submodules",
    "summarise_submodules": "submodules",
}

__all__ = [
    "HELPER_CONFIG",
    "MAX_LISTED_FILES",
    "STATUS_ARGS",
    "FileEntry",
    "MainBranch",
    "Porcelain",
    "RepoStatus",
    "StatusTarget",
    "SubmoduleEntry",
    "SubmoduleSummary",
    "category_of",
    "main_branch_of",
    "merge_submodule_states",
    "parse_porcelain_v2",
    "read_gitmodules",
    "read_many",
    "read_status",
    "resolve_main_branch",
    "summarise_submodules",
]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
