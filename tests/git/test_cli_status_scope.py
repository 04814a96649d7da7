"""``coditect status`` / ``report status``: which workspace, what is recorded, bad input,
bounded scans (issue [4/8] items 6 and 7)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from coditect_tui.core.models import utcnow
from tests.git.helpers import (
    main_in_fresh_interpreter,
    make_remote_and_clone,
    master_with_submodule,
    run_cli,
    write_config,
)


def test_no_config_the_cli_and_the_app_use_the_same_demo_workspace() -> None:
    from coditect_tui.core.boot import boot_from_settings
    from coditect_tui.core.paths import user_config_file
    from coditect_tui.core.settings import load_settings
    from coditect_tui.core.tenant.session import TenantSession
    from coditect_tui.core.themes import load_themes

    loaded = load_settings()  # no config file: the first start
    assert not loaded.from_file
    profile = loaded.settings.profile()
    boot = boot_from_settings(
        loaded.settings,
        profile,
        theme_override=None,
        read_only=False,
        from_file=loaded.from_file,
        config_path=user_config_file(),
        catalog=load_themes(),
    )

    async def app_tree() -> tuple[list[str], list[str]]:
        session = TenantSession(profile, demo_allowed=boot.demo_allowed, watch=False)
        try:
            await session.open()
            assert session.tree is not None
            return (
                [str(r) for r in session.tree.roots],
                sorted(str(r.path) for r in session.tree.repos()),
            )
        finally:
            await session.close()

    app_roots, app_repos = asyncio.run(app_tree())
    for args in (("status", "--json", "--no-record"), ("report", "status", "--format", "json")):
        result = run_cli(*args)
        assert result.returncode == 0, result.stderr
        doc = json.loads(result.stdout)
        assert doc["roots"] == app_roots, args
        assert sorted(r["path"] for r in doc["repos"]) == app_repos, args
    assert len(app_repos) >= 10
    table = run_cli("status", env={"COLUMNS": "200"})
    assert table.returncode == 0 and "service-billing" in table.stdout
    assert "demo workspace" in table.stderr and "Traceback" not in table.stderr


def test_a_cli_run_builds_the_demo_when_the_app_has_not(tmp_path: Path) -> None:
    from coditect_tui.core.demo import demo_root

    assert not demo_root().exists()
    result = run_cli("status", "--json", "--no-record")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["roots"] == [str(demo_root())]


def _snapshots(db: Path) -> list[dict[str, object]]:
    from coditect_store.base import Provision
    from coditect_store.store import SqlStore

    async def look() -> list[dict[str, object]]:
        store = await SqlStore.open_sqlite(
            db, tenant="t1", principal="alice", provision=Provision("T1", "internal", "owner")
        )
        try:
            return [s.summary for s in (await store.list_status(until=utcnow())).items]
        finally:
            await store.close()

    return asyncio.run(look())


def test_a_scan_of_a_sub_path_does_not_replace_the_tenant_snapshot(tmp_path: Path) -> None:
    for name in ("one", "two", "three"):
        make_remote_and_clone(tmp_path, name)
    db = tmp_path / "cli.db"
    env = {"CODITECT_CONFIG": str(write_config(tmp_path, [tmp_path / "work"], db=db))}
    assert run_cli("status", "--json", env=env).returncode == 0
    one = run_cli("status", "--json", str(tmp_path / "work" / "one"), env=env)
    assert one.returncode == 0 and len(json.loads(one.stdout)["repos"]) == 1
    snaps = _snapshots(db)
    assert [s["repos"] for s in snaps] == [3]  # the tenant's snapshot stays the newest
    assert snaps[-1]["roots"] == [str(tmp_path / "work")]
    portfolio = run_cli("report", "portfolio", "--format", "json", env=env)
    assert portfolio.returncode == 0, portfolio.stderr
    rows = {r["tenant"]: r for r in json.loads(portfolio.stdout)["rows"]}
    assert rows["t1"]["repos"] == 3


def test_an_unknown_category_is_one_line_naming_the_known_ones(tmp_path: Path) -> None:
    master_with_submodule(tmp_path)
    result = run_cli("status", "--no-record", "--category", "nosuch", str(tmp_path / "ws"))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "'nosuch'" in result.stderr and "cloud" in result.stderr
    none = run_cli("status", "--no-record", "--category", "x", str(tmp_path / "work"))
    assert none.returncode == 2 and "none" in none.stderr


def test_markdown_warnings_name_what_took_the_points(tmp_path: Path) -> None:
    _, clone = make_remote_and_clone(tmp_path, "lone")
    (clone / ".coditect").symlink_to("nowhere")  # a broken framework link: two issues
    for i in range(5):  # with the link, six uncommitted changes: one more issue
        (clone / f"new_{i}.txt").write_text("n\n")
    result = run_cli("status", "--markdown", "--no-record", str(tmp_path / "work"))
    assert result.returncode == 0, result.stderr
    section = result.stdout.split("## Warnings", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("- ")]
    assert lines == [
        "- lone (50/100): 6 uncommitted changes, .coditect symlink broken or inaccessible, "
        "CODITECT framework not accessible"
    ]


def test_a_scan_of_a_folder_is_bounded_and_its_warnings_summarised(tmp_path: Path) -> None:
    for name in ("a", "b", "c", "d"):
        make_remote_and_clone(tmp_path, name)
    loops = tmp_path / "work" / "loops"
    loops.mkdir()
    for i in range(8):  # eight symlinks to a folder already seen: eight warnings
        (loops / f"link{i}").symlink_to(tmp_path / "work" / "a")
    result = run_cli("status", "--json", "--no-record", "--max-repos", "2", str(tmp_path / "work"))
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert len(doc["repos"]) == 2
    assert doc["warnings"][0].startswith("scan stopped after 2 repositories")
    unbounded = run_cli(
        "status", "--json", "--no-record", "--max-repos", "0", str(tmp_path / "work")
    )
    doc = json.loads(unbounded.stdout)
    assert len(doc["repos"]) == 4 and len(doc["warnings"]) == 8
    lines = unbounded.stderr.splitlines()
    assert len(lines) == 6 and lines[-1] == (
        "coditect: warning: and 3 more warnings (--json lists them all)"
    )
    report = run_cli("report", "status", "--offline", "--max-repos", "2", str(tmp_path / "work"))
    assert report.returncode == 0, report.stderr
    assert "scan stopped after 2 repositories" in report.stderr


def test_the_tenant_roots_are_not_bounded(tmp_path: Path) -> None:
    from coditect_tui.core.git.discovery import ScanLimits, discover

    for name in ("a", "b", "c"):
        make_remote_and_clone(tmp_path, name)
    work = tmp_path / "work"
    assert len(discover([work]).projects) == 3
    bounded = discover([work], limits=ScanLimits(max_repos=None, max_dirs=2))
    assert bounded.stopped and len(bounded.projects) == 1
    assert bounded.warnings[0].startswith("scan stopped after 2 folders")


def test_a_sub_command_loads_only_its_own_module(tmp_path: Path) -> None:
    """`coditect status` builds the parser of `status` alone (issue [4/8] item 9)."""
    make_remote_and_clone(tmp_path, "one")
    rc, (modules, pydantic) = main_in_fresh_interpreter(
        ["status", "--json", "--no-record", str(tmp_path / "work")],
        "[sorted(m for m in sys.modules if m.startswith('coditect_tui.commands.')), "
        "'pydantic' in sys.modules]",
    )
    assert rc == 0
    # the command's own module and the shared helpers (context, output flags, the parser),
    # no other command
    assert modules == [
        "coditect_tui.commands.context",
        "coditect_tui.commands.output",
        "coditect_tui.commands.parser",
        "coditect_tui.commands.status",
    ]
    assert not pydantic
    usage = run_cli("--help")
    assert all(name in usage.stdout for name in ("status", "report", "members", "keys"))
    wrong = run_cli("nosuch")
    assert wrong.returncode == 2 and "members" in wrong.stderr
