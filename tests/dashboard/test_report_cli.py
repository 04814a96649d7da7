"""``coditect report status`` end to end: formats, oracle figures, trend, safety, exit codes."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path

from coditect_store.store import SqlStore
from coditect_tui.core.git.discovery import discover
from coditect_tui.core.git.runner import GitRunner
from coditect_tui.core.git.status import read_many
from tests.dashboard.test_dashboard import _oracle_attention, _oracle_rows, _oracle_scores
from tests.git.helpers import (
    commit_file,
    git,
    main_in_fresh_interpreter,
    make_remote_and_clone,
    run_cli,
    write_config,
)


def test_json_report_equals_the_oracle(workspace: Path) -> None:
    projects = workspace / "projects"
    result = run_cli(
        "report",
        "status",
        "--format",
        "json",
        "--offline",
        "--attention-below",
        "96",
        str(projects),
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    statuses = asyncio.run(read_many(GitRunner(), discover([projects]).targets()))
    rows = _oracle_rows(workspace, statuses)
    values = [r for r in rows.values() if r["initialised"]]
    kpis = doc["dashboard"]["kpis"]
    assert doc["view"] == "team" and kpis["repos"] == len(rows)
    assert kpis["uninitialised"] == len(rows) - len(values) > 0
    assert kpis["dirty"] == sum(1 for r in values if r["changed"] or r["untracked"])
    assert kpis["ahead"] == sum(1 for r in values if r["ahead"])
    assert kpis["behind"] == sum(1 for r in values if r["behind"])
    assert kpis["detached"] == sum(1 for r in values if r["detached"])
    assert kpis["conflicted"] == sum(1 for r in values if r["conflicted"]) > 0
    assert kpis["active_sessions"] is None  # --offline: the store was not opened
    scores = _oracle_scores(rows)
    assert kpis["average_health"] == round(sum(scores.values()) / len(scores), 1)
    assert [a["path"] for a in doc["dashboard"]["attention"]] == [
        p for _, p in _oracle_attention(rows, 96)
    ]
    assert {r["path"] for r in doc["repos"]} == set(rows)
    assert doc["summary"]["read"] == len(values)
    assert len(doc["dashboard"]["commits"]) == 30 and doc["dashboard"]["commits_total"] > 0


def test_csv_and_markdown_share_the_status_report(workspace: Path) -> None:
    projects = str(workspace / "projects")
    table = run_cli("report", "status", "--format", "csv", "--offline", projects)
    assert table.returncode == 0, table.stderr
    rows = list(csv.DictReader(io.StringIO(table.stdout)))
    plain = list(
        csv.DictReader(io.StringIO(run_cli("status", "--csv", "--no-record", projects).stdout))
    )
    assert [r["path"] for r in rows] == [r["path"] for r in plain]
    for ours, theirs in zip(rows, plain, strict=True):
        assert {k: ours[k] for k in theirs} == theirs
        days = "0" if ours["last_commit_sha"] else ""  # unborn, uninitialised: no commit
        assert ours["stale"] == "False" and ours["days_since_commit"] == days
    md = run_cli("report", "status", "--offline", "--stale-days", "1", projects).stdout
    order = [
        "# CODITECT Workspace Health Dashboard",
        "## Key figures",
        "## Commits per day (last 30 days)",
        "## Trend (status snapshots)",
        "## Stale repos (no commit in 1 day)",
        "## Needs attention",
        "## Overview",
        "Health Distribution:",
        "## Repos",
    ]
    positions = [md.index(heading) for heading in order]
    assert positions == sorted(positions)


def test_trend_from_recorded_snapshots_and_report_records_nothing(tmp_path: Path) -> None:
    _, repo = make_remote_and_clone(tmp_path, "svc")
    commit_file(repo, "a.txt", "a\n", "local work")
    db = tmp_path / "cli.db"
    config = str(write_config(tmp_path, [tmp_path / "work"], db=db))
    assert run_cli("status", "--config", config).returncode == 0  # records a snapshot
    (repo / "dirty.txt").write_text("x\n")
    assert run_cli("status", "--config", config).returncode == 0

    async def count() -> int:
        store = await SqlStore.open_sqlite(db, tenant="t1", principal="alice", read_only=True)
        try:
            return len((await store.list_status(limit=1000)).items)
        finally:
            await store.close()

    before = asyncio.run(count())
    result = run_cli("report", "status", "--config", config, "--format", "json")
    assert result.returncode == 0, result.stderr
    board = json.loads(result.stdout)["dashboard"]
    today = board["trend"][-1]
    assert (today["snapshots"], today["repos"], today["dirty"]) == (2, 1, 1)
    assert board["kpis"]["active_sessions"] == 0 and board["notes"] == []
    assert asyncio.run(count()) == before == 2


def test_untrusted_text_is_made_safe(tmp_path: Path) -> None:
    _, repo = make_remote_and_clone(tmp_path, "evil|name")
    (repo / "x.txt").write_text("x\n")
    git(repo, "add", "x.txt")
    git(repo, "commit", "-q", "-m", "\x1b]0;pwned\x07 \x1b[2J subject")
    for _ in range(7):
        (repo / f"u{_}.txt").write_text("u\n")
    for fmt in ("md", "csv", "json"):
        result = run_cli("report", "status", "--offline", "--format", fmt, str(tmp_path / "work"))
        assert result.returncode == 0, result.stderr
        assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    md = run_cli("report", "status", "--offline", str(tmp_path / "work")).stdout
    assert "evil\\|name" in md and "\\\\u001b\\]0;pwned\\\\u0007" in md  # safe_text, then markdown


def test_bad_input_is_one_line_exit_2(tmp_path: Path) -> None:
    _, _repo = make_remote_and_clone(tmp_path, "svc")
    work = str(tmp_path / "work")
    views = tmp_path / "views.yaml"
    views.write_text("views:\n  v:\n    kind: aggregate\n    title: V\n    sections: [attention]\n")
    cases = [
        (
            ["--format", "xml", work],
            "--format: 'xml' is not a format of this command (choose markdown, json, csv)",
        ),
        (["--stale-days", "0", work], "--stale-days must be at least 1"),
        (["--window-days", "400", work], "--window-days must be between 1 and 366"),
        (["--attention-below", "x", work], "--attention-below 'x' is not a whole number"),
        (["--timeout", "-1", work], "--timeout must be positive"),
        ([str(tmp_path / "missing")], "no such directory"),
        (["--view", "nope", work], "unknown view 'nope'"),
        (["--view", "portfolio", "--offline", work], "use `coditect report portfolio`"),
        (["--views", str(views), work], f"{views}:5: views.v: section 'attention'"),
    ]
    for args, message in cases:
        result = run_cli("report", "status", *args)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stdout == "" and result.stderr.count("\n") == 1, result.stderr
        assert message in result.stderr, result.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_cli("report", "status", str(empty))
    assert result.returncode == 2 and "no git repositories" in result.stderr


def test_exit_1_when_a_repo_cannot_be_read(tmp_path: Path) -> None:
    make_remote_and_clone(tmp_path, "good")
    _, broken = make_remote_and_clone(tmp_path, "broken")
    (broken / ".git" / "index").write_bytes(b"not an index at all")
    result = run_cli("report", "status", "--offline", "--format", "json", str(tmp_path / "work"))
    assert result.returncode == 1, result.stderr
    board = json.loads(result.stdout)["dashboard"]
    assert board["kpis"]["errored"] == 1
    assert board["attention"][0]["path"] == str(broken)


def test_report_never_imports_textual(workspace: Path) -> None:
    rc, heavy = main_in_fresh_interpreter(
        ["report", "status", "--offline", str(workspace / "projects")],
        "sorted(m for m in sys.modules if m.split('.')[0] == 'textual')",
    )
    assert (rc, heavy) == (0, [])
