"""The demo workspace: real repos in real states, a real session export, built atomically.

Everything is read back with the real engines: statuses by the git status reader, the
attention list by the dashboard's own computation, the export by the memory indexer into
a real SQLite store.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from coditect_tui.core import demo, demo_repos
from coditect_tui.core.dashboard.compute import compute_attention
from coditect_tui.core.dashboard.options import DashboardOptions
from coditect_tui.core.demo import DemoError, build_demo, is_built
from coditect_tui.core.git.discovery import discover
from coditect_tui.core.git.runner import GitRunner
from coditect_tui.core.git.sessions import read_session
from coditect_tui.core.git.status import RepoStatus
from coditect_tui.core.git.status.read import read_many
from coditect_tui.core.memory.indexer import MemoryIndexer
from tests.memory.conftest import open_store

#: A fixed local clock for the session engine, so two builds name their sessions alike.
CLOCK = datetime(2026, 3, 2, 9, 30).astimezone()


async def statuses(root: Path) -> dict[str, RepoStatus]:
    """Every repo of the workspace, by name, read by the real status reader."""
    runner = GitRunner()
    try:
        found = await read_many(runner, discover([root]).targets())
    finally:
        runner.close()
    return {s.name: s for s in found}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo(tmp_path_factory.mktemp("demo") / "ws", now=lambda: CLOCK)


async def test_the_session_export_is_indexed_by_the_real_indexer(
    built: Path, tmp_path: Path
) -> None:
    store = await open_store(tmp_path / "s.db")
    try:
        indexer = await MemoryIndexer.for_paths(store, [built])
        report = await indexer.index()
        entries = (await store.list_memory_entries()).items
        hits = await store.search_memory("invoice totals")
    finally:
        await store.close()
    assert report.errors == [] and len(report.added) == 1
    assert len(entries) == 1
    entry = entries[0]
    sessions = built / "service-billing" / "MEMORY-CONTEXT" / "sessions"
    assert Path(entry.path).parent == sessions
    assert entry.kind == "session" and "round invoice totals" in entry.title
    assert [h.entry.path for h in hits] == [entry.path]
    text = Path(entry.path).read_text()
    # the export names the branch git merged and the repo where it lives now
    assert "- **Branch:** session/2026-03-02-round-invoice-totals" in text
    assert f"**Repository:** {built / 'service-billing'}" in text
    log = demo_repos.git(built / "service-billing", "log", "--format=%s", "main")
    assert "Merge session: session/2026-03-02-round-invoice-totals" in log


async def test_repos_need_attention_as_the_engine_reads_them(built: Path) -> None:
    repos = await statuses(built)
    assert all(s.error is None for s in repos.values())
    catalog, notify, auth, billing = (
        repos[n] for n in ("service-catalog", "service-notify", "service-auth", "service-billing")
    )
    assert catalog.conflicted == 1
    assert (notify.behind, notify.ahead) == (1, 0)
    assert auth.branch == "session/2026-03-02-refresh-tokens" and auth.ahead == 1
    assert billing.branch == "main" and billing.changed == 0 and billing.ahead == 0
    state = read_session(built / "service-auth")
    assert state is not None and (state.commit_count, state.push_count) == (2, 1)
    attention = compute_attention(list(repos.values()), options=DashboardOptions())
    assert "service-catalog" in [a.name for a in attention]
    assert repos["api"].branch == "main" and not repos["handbook"].initialised


def _fingerprint(root: Path, repos: dict[str, RepoStatus]) -> object:
    """What a user sees of the demo, without times and hashes."""
    files = sorted(
        re.sub(r"^\d{4}-\d\d-\d\dT[\d-]+Z", "<time>", p.name)
        for p in root.rglob("MEMORY-CONTEXT/**/*")
        if p.is_file()
    )
    states = {
        name: (s.branch, s.ahead, s.behind, s.conflicted, s.modified, s.untracked, s.detached)
        for name, s in repos.items()
    }
    return files, states


async def test_the_build_is_reproducible(built: Path, tmp_path: Path) -> None:
    # called inside a running event loop: the engine then runs in a thread of its own
    again = build_demo(tmp_path / "ws", now=lambda: CLOCK)
    first = _fingerprint(built, await statuses(built))
    assert _fingerprint(again, await statuses(again)) == first


def test_a_built_demo_is_reused(built: Path) -> None:
    marker = built / "service-search" / "NOTES.txt"
    marker.write_text("the user's own note\n")
    assert build_demo(built) == built
    assert marker.read_text() == "the user's own note\n"


def test_a_failed_build_leaves_nothing_and_the_next_one_succeeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "ws"

    def broken(where: Path) -> None:
        demo_repos.git(where, "no-such-verb")

    monkeypatch.setattr(demo_repos, "conflicted", broken)
    with pytest.raises(DemoError, match="git no-such-verb"):
        build_demo(root)
    assert not root.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith((".ws.building", "ws"))]
    monkeypatch.undo()
    assert is_built(build_demo(root))


def test_a_half_built_demo_is_detected_and_rebuilt(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "service-billing").mkdir(parents=True)  # an interrupted in-place build
    leftover = tmp_path / ".ws.building-crashed"  # a build killed before its rename
    leftover.mkdir()
    build_demo(root)
    assert is_built(root) and not leftover.exists()
    assert (root / "service-billing" / ".git").is_dir()


def test_the_users_git_setup_does_not_matter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "gitconfig"  # no identity, signing on, hooks that refuse
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "pre-commit").write_text("#!/bin/sh\nexit 1\n")
    (hooks / "pre-commit").chmod(0o755)
    config.write_text(f"[commit]\n\tgpgsign = true\n[core]\n\thooksPath = {hooks}\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("HOME", str(tmp_path))
    from coditect_tui.core.git import runner

    runner.reset_env_cache()
    try:
        assert is_built(build_demo(tmp_path / "ws"))
    finally:
        runner.reset_env_cache()


def test_demo_root_is_in_the_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert demo.demo_root() == tmp_path / "coditect" / demo.DEMO_DIRNAME


def test_two_builders_at_once_make_one_demo(tmp_path: Path) -> None:
    """The app and the CLI starting together: the second waits for the first's demo."""
    from concurrent.futures import ThreadPoolExecutor

    root = tmp_path / "ws"
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _: build_demo(root), range(2)))
    assert results == [root, root] and is_built(root)
    assert not list(tmp_path.glob(".ws.building-*"))
