"""``coditect commands list|run`` in a real subprocess over real repos and a real store."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from coditect_tui.core.models import AuditFilter
from tests.commands.test_run import HOSTILE_REPOS, _hostile_workspace, _pwned
from tests.git.helpers import run_cli, write_config

COMMANDS = """\
commands:
  - name: show
    scope: selection
    mutating: false
    command: [sh, -c, "printf '%s@%s' {repo} {branch}"]
  - name: mark
    confirm: true
    command: [touch, "{path}/marker"]
  - name: fail
    scope: selection
    mutating: false
    command: [sh, -c, "test {repo} = ';touch pwned'"]
"""


def _env(tmp_path: Path) -> dict[str, str]:
    config = write_config(tmp_path, [tmp_path / "work"])
    config.write_text(config.read_text() + COMMANDS)
    return {"CODITECT_CONFIG": str(config)}


def _events(tmp_path: Path) -> list[dict[str, object]]:
    from coditect_store.base import Provision
    from coditect_store.store import SqlStore

    async def read() -> list[dict[str, object]]:
        store = await SqlStore.open_sqlite(
            tmp_path / "cli.db",
            tenant="t1",
            principal="alice",
            provision=Provision("T1", "internal", "owner"),
        )
        try:
            items = (await store.query_audit(AuditFilter(action="repos.command"))).items
            return [{"outcome": e.outcome, **e.details} for e in sorted(items, key=lambda e: e.seq)]
        finally:
            await store.close()

    return asyncio.run(read())


def test_list_and_run_over_hostile_repos(tmp_path: Path) -> None:
    repos = _hostile_workspace(tmp_path)
    env = _env(tmp_path)
    listed = run_cli("commands", "list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    assert [c["name"] for c in json.loads(listed.stdout)] == ["show", "mark", "fail"]
    result = run_cli("commands", "run", "show", "--json", env=env)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    got = {Path(r["path"]).name: r["output"] for r in document["repos"]}
    assert got == {repo.name: f"{repo.name}@{HOSTILE_REPOS[repo.name]}" for repo in repos}
    assert _pwned(tmp_path) == []
    text = run_cli("commands", "run", "fail", env=env)
    assert text.returncode == 1  # every repo but one fails the test
    assert "1 ok, 5 failed" in text.stdout
    assert "\x1b" not in text.stdout and "\ntouch pwned" not in text.stdout
    assert [e["command"] for e in _events(tmp_path)] == ["show", "fail"]


def test_read_only_refuses_a_mutating_command_and_confirm_needs_yes(tmp_path: Path) -> None:
    (repo, *_) = _hostile_workspace(tmp_path)
    env = _env(tmp_path)
    assert (
        run_cli("commands", "run", "show", "--repo", str(repo), env=env).returncode == 0
    )  # a store
    refused = run_cli(
        "commands", "run", "mark", "--repo", str(repo), "--yes", "--read-only", env=env
    )
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1, refused
    assert "read-only" in refused.stderr and "Traceback" not in refused.stderr
    unconfirmed = run_cli("commands", "run", "mark", "--repo", str(repo), env=env, stdin="")
    assert unconfirmed.returncode == 2 and "pass --yes" in unconfirmed.stderr
    assert not (repo / "marker").exists()
    done = run_cli("commands", "run", "mark", "--yes", cwd=repo, env=env)
    assert done.returncode == 0, done.stderr
    assert (repo / "marker").exists()
    # the refusal is recorded by the backend (authorize_event), without the command's name
    assert [(e.get("command"), e["outcome"]) for e in _events(tmp_path)] == [
        ("show", "ok"),
        (None, "denied"),
        ("mark", "ok"),
    ]


def test_bad_input_is_one_line(tmp_path: Path) -> None:
    _hostile_workspace(tmp_path)
    env = _env(tmp_path)
    for argv, words in [
        (("commands", "run", "nope"), "no custom command 'nope'; the commands are"),
        (("commands", "run", "mark", "--repo=-rf", "--repo", "a\ntouch pwned"), "one repo"),
        (("commands", "run", "show", "--repo", "missing-repo"), "no repo named 'missing-repo'"),
        (("commands", "run", "show", "--jobs", "0"), "--jobs must be at least 1"),
    ]:
        result = run_cli(*argv, env=env)
        assert result.returncode == 2, (argv, result)
        assert result.stderr.count("\n") == 1 and words in result.stderr, result.stderr
    config = Path(env["CODITECT_CONFIG"])
    config.write_text(config.read_text() + "    key: q\n")
    broken = run_cli("commands", "list", env=env)
    assert broken.returncode == 2 and broken.stderr.count("\n") == 1
    assert "coditect.yaml:" in broken.stderr and "app's key for app.quit" in broken.stderr
