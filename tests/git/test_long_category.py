"""A repo category longer than the backend's column (a 201..255-character folder name under
``submodules/``) is registered cut to the column's size, not refused with a traceback."""

from __future__ import annotations

from pathlib import Path

from coditect_tui.core import limits
from coditect_tui.core.git.discovery import discover, register_tree
from tests.git.helpers import commit_file, git, make_remote_and_clone


async def test_a_category_longer_than_the_column_is_registered_cut(
    tmp_path: Path, store: object
) -> None:
    make_remote_and_clone(tmp_path, "lib")
    master = tmp_path / "workspace" / "master"
    master.mkdir(parents=True)
    git(master, "init", "-q")
    commit_file(master, "README.md", "# master\n", "init")
    category = "c" * (limits.CATEGORY + 40)
    url = str(tmp_path / "remotes" / "lib.git")
    git(master, "submodule", "add", "-q", url, f"submodules/{category}/lib")
    git(master, "commit", "-q", "-m", "add lib")
    tree = discover([tmp_path / "workspace"], tenant="t1")
    await register_tree(store, tree)  # type: ignore[arg-type]
    repos = (await store.list_repos(limit=10)).items  # type: ignore[attr-defined]
    lib = next(r for r in repos if r.name == "lib")
    assert lib.category == category[: limits.CATEGORY]
