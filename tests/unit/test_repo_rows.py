"""The repos view's rows (core/repo_rows.py) over a workspace of real repos, one per kind:
cells, sorting (unknown values last both ways), the typed filter, hostile names, ages and
the column fitting of ui/fit.py."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from coditect_tui.core.git.discovery import discover
from coditect_tui.core.git.runner import GitRunner
from coditect_tui.core.git.status import read_many
from coditect_tui.core.repo_rows import COLUMN_IDS, COLUMNS, RepoRows, active_sessions, age
from coditect_tui.core.workspace_view import RepoView, WorkspaceView, from_discovery
from coditect_tui.ui.fit import fit_columns
from tests.support.workspaces import KINDS, Workspace, build_workspace

EPOCH = 1_750_000_000  # the first commit's time: commit times (and ages) are fixed


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return build_workspace(
        tmp_path_factory.mktemp("rows") / "ws",
        len(KINDS),
        masters_every=0,
        epoch=EPOCH,
        commits=1,
        files=2,
        hostile=False,
    )


def _view(root: Path) -> WorkspaceView:
    tree = discover([root / "projects"])
    statuses = asyncio.run(read_many(GitRunner(), tree.targets()))
    return from_discovery("t", tree, {s.path: s for s in statuses})


@pytest.fixture(scope="module")
def view(built: Workspace) -> WorkspaceView:
    return _view(built.root)


def _clock() -> datetime:
    return datetime.fromtimestamp(EPOCH, UTC) + timedelta(days=3)


def _rows(view: WorkspaceView) -> tuple[RepoRows, dict[str, RepoView]]:
    rows = RepoRows(clock=_clock)
    rows.load(view.repos())
    return rows, {r.name: r for r in rows.all}


def test_cells_say_each_kind_in_text(built: Workspace, view: WorkspaceView) -> None:
    rows, by_name = _rows(view)
    cells = {spec.kind: rows.cells(by_name[spec.name]) for spec in built.repos}
    assert cells["ahead"]["sync"] == "↑2"
    assert cells["behind"]["sync"] == "↓3"
    assert cells["diverged"]["sync"] == "↑2 ↓3"
    assert cells["clean"]["sync"] == "=" and cells["clean"]["changes"] == ""
    assert cells["no-upstream"]["sync"] == "⊘"
    assert cells["detached"]["branch"].startswith("HEAD detached at ")
    assert cells["modified"]["changes"] == "*1"
    assert cells["conflict"]["changes"].startswith("✗")
    assert cells["unborn"]["age"] == "-"
    assert cells["clean"]["age"].endswith(("d", "h"))  # a fixed clock days after EPOCH
    assert cells["clean"]["health"] == "100"
    assert all(c["session"] == "…" for c in cells.values())  # not read yet


def test_unread_repos_show_dots_and_sort_last_both_ways(built: Workspace) -> None:
    rows, by_name = _rows(_view(built.root))  # its own view: a status is dropped below
    unread = sorted(by_name)[0]
    by_name[unread].status = None
    assert set(rows.cells(by_name[unread]).values()) >= {"…"}
    for column in COLUMN_IDS:
        if column in ("name", "group", "session"):
            continue
        for reverse in (False, True):
            rows.sort, rows.reverse = column, reverse
            rows.apply()
            valued = sum(rows.key(r, column) is not None for r in rows.all)
            assert [rows.key(r, column) for r in rows.rows[valued:]] == [None] * (
                len(rows.rows) - valued
            )
            assert rows.rows.index(by_name[unread]) >= valued, (column, reverse)


def test_sort_by_changes_and_reverse(view: WorkspaceView) -> None:
    rows, _ = _rows(view)
    rows.sort_by("changes")
    counts = [(r.status.conflicted, r.status.uncommitted) for r in rows.rows if r.status]
    assert counts == sorted(counts)
    rows.sort_by("changes")  # again: reversed
    assert rows.reverse
    counts = [(r.status.conflicted, r.status.uncommitted) for r in rows.rows if r.status]
    assert counts == sorted(counts, reverse=True)
    assert rows.rows[0].status is not None and rows.rows[0].status.conflicted


def test_cycle_sort_walks_every_column(view: WorkspaceView) -> None:
    rows, _ = _rows(view)
    seen = []
    for _ in COLUMN_IDS:
        rows.cycle_sort()
        seen.append(rows.sort)
    assert sorted(seen) == sorted(COLUMN_IDS) and seen[-1] == "name"


def test_filter_words_name_glob_branch_and_group(view: WorkspaceView) -> None:
    rows, by_name = _rows(view)
    total = len(rows.all)
    rows.set_filter("svc-0001")
    assert [r.name for r in rows.rows] == [n for n in by_name if "svc-0001" in n]
    rows.set_filter("client1-*")
    assert rows.rows and all(r.name.startswith("client1-") for r in rows.rows)
    rows.set_filter("feature/local")  # the no-upstream repo's branch
    assert len(rows.rows) == 1
    rows.set_filter("")
    assert len(rows.rows) == total
    grouped = sorted(by_name)[:2]
    in_web = {by_name[n].path for n in grouped}
    rows.groups_of = lambda path: frozenset({"web"}) if path in in_web else frozenset()
    rows.set_filter("WEB")
    assert sorted(r.name for r in rows.rows) == grouped
    assert rows.cells(by_name[grouped[0]])["group"] == "web"


def test_hostile_names_are_neutralised(tmp_path: Path) -> None:
    built = build_workspace(
        tmp_path / "ws", 12, kinds=("clean",), masters_every=0, commits=1, files=2, hostile=True
    )
    rows, _ = _rows(_view(built.root))
    names = [rows.cells(r)["name"] for r in rows.all]
    assert any("\\u001b" in n for n in names) and any("\\u202e" in n for n in names)
    for name in names:
        assert not any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 or ch == "\u202e" for ch in name)


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0, "now"), (59, "now"), (60, "1m"), (3600, "1h"), (86399, "23h"), (86400, "1d"),
     (13 * 86400, "13d"), (14 * 86400, "2w"), (45 * 86400, "1mo"), (800 * 86400, "2y")],
)  # fmt: skip
def test_age(seconds: int, shown: str) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert age(now - timedelta(seconds=seconds), now) == shown
    assert age(None, now) == "…"


def test_fit_columns_drops_by_priority_and_keeps_the_name() -> None:
    widths = [c.width for c in COLUMNS]
    priorities = [c.priority for c in COLUMNS]
    every = sum(widths) + len(widths) - 1
    assert fit_columns(widths, priorities, every) == list(range(len(COLUMNS)))
    kept = [COLUMNS[i].id for i in fit_columns(widths, priorities, 50)]
    assert kept == ["name", "branch", "sync", "changes", "health"]
    assert [COLUMNS[i].id for i in fit_columns(widths, priorities, 3)] == ["name"]


def test_active_sessions_reads_the_state_file(tmp_path: Path) -> None:
    none, empty, broken = (tmp_path / n for n in ("none", "empty", "broken"))
    for folder in (none, empty, broken):
        folder.mkdir()
    (empty / ".coditect-session.json").write_text("{}")
    (broken / ".coditect-session.json").write_text("{not json")
    assert active_sessions([str(none), str(empty), str(broken)]) == {
        str(none): False,
        str(empty): False,
        str(broken): None,
    }
