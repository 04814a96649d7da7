"""Plugins in a real ``coditect`` process: the example plugin installed with pip, and
raising, hanging and unimportable plugins beside it, all found through entry points.

The command goes on and succeeds, each bad plugin is one stderr line (once, however many
events follow), the example plugin's file holds every committed audit event (checked
against the store's own log), the created project and the session's start and end.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from tests.git.helpers import make_remote_and_clone, run_cli, write_config
from tests.plugins.sites import ROOT, declare, install_example

BAD = {
    "raiser": "tests.support.plugins:Raiser",
    "hanger": "tests.support.plugins:Hanger",
    "broken": "tests.support.broken_plugin:Plugin",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("site")
    install_example(folder)
    declare(folder, "coditect-bad-plugins", BAD)
    return folder


def _config(tmp_path: Path, roots: list[Path], extra: str = "") -> Path:
    config = write_config(tmp_path, roots)
    config.write_text(config.read_text() + "plugins:\n  timeout: 2\n" + extra)
    return config


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_real_run_with_good_and_bad_plugins(site: Path, tmp_path: Path) -> None:
    _, clone = make_remote_and_clone(tmp_path, "plug")
    config = _config(tmp_path, [tmp_path / "work"])
    out = tmp_path / "events.jsonl"
    env = {
        "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)]),
        "CODITECT_CONFIG": str(config),
        "CODITECT_EXAMPLE_PLUGIN_FILE": str(out),
    }

    started = run_cli("session", "start", "plugins", "--repo", str(clone), "--json", env=env)
    assert started.returncode == 0, started.stderr
    assert json.loads(started.stdout)["ok"] is True
    warnings = started.stderr.splitlines()
    assert sorted(w.split("'")[1] for w in warnings if "'" in w) == [
        "broken",
        "hanger",
        "raiser",
    ], warnings
    assert len(warnings) == 3, warnings
    by_name = {w.split("'")[1]: w for w in warnings}
    assert by_name["raiser"].startswith("coditect: warning: plugin 'raiser' disabled for this")
    assert by_name["raiser"].endswith("audit_appended raised RuntimeError: boom on tenants.create")
    assert by_name["hanger"].endswith("audit_appended did not return within 2 s")
    assert by_name["broken"].endswith(
        "load raised ImportError: this plugin needs a module that is not installed"
    )

    lines = _lines(out)
    audit = [line["event"] for line in lines if line["hook"] == "audit_appended"]
    with sqlite3.connect(tmp_path / "cli.db") as db:  # the store's own log is the oracle
        logged = db.execute(
            "SELECT seq, action, actor, resource_id, outcome FROM audit_events ORDER BY seq"
        ).fetchall()
    assert [(e["seq"], e["action"], e["actor"], e["resource_id"], e["outcome"]) for e in audit] == [
        tuple(row) for row in logged
    ]
    assert {e["tenant"] for e in audit} == {"t1"}
    assert {"projects.create", "repos.create", "sessions.start"} <= {e["action"] for e in audit}
    (project,) = [line["event"] for line in lines if line["hook"] == "project_created"]
    project_id = next(e["resource_id"] for e in audit if e["action"] == "projects.create")
    # principals by pseudonymous id, as the chain holds them
    actor = next(e["actor"] for e in audit if e["action"] == "projects.create")
    assert actor.startswith("p_")
    assert project == {"tenant": "t1", "project_id": project_id, "name": "plug", "actor": actor}
    (session,) = [line["event"] for line in lines if line["hook"] == "session_started"]
    assert session["repo"] == str(clone) and session["description"] == "plugins"
    assert str(session["branch"]).startswith("session/")

    ended = run_cli("session", "end", "--repo", str(clone), "--json", env=env)
    assert ended.returncode == 0, ended.stderr
    assert len(ended.stderr.splitlines()) == 3  # a new process: each bad plugin said once
    (end,) = [line["event"] for line in _lines(out) if line["hook"] == "session_ended"]
    assert (end["session_key"], end["branch"]) == (session["session_key"], session["branch"])

    # switched off: nothing runs, nothing is said
    quiet = run_cli(
        "session", "status", "--repo", str(clone), env={**env, "CODITECT_PLUGINS": "off"}
    )
    assert (quiet.returncode, quiet.stderr) == (0, "")


def test_plugins_list_shows_each_plugin_and_its_state(site: Path, tmp_path: Path) -> None:
    config = _config(tmp_path, [], extra="  disabled: [hanger]\n")
    env = {"PYTHONPATH": os.pathsep.join([str(site), str(ROOT)]), "CODITECT_CONFIG": str(config)}
    listed = run_cli("plugins", "list", "--json", env=env)
    assert (listed.returncode, listed.stderr) == (0, "")
    rows = {row["name"]: row for row in json.loads(listed.stdout)["plugins"]}
    assert list(rows) == ["broken", "hanger", "jsonl", "raiser"]
    assert rows["jsonl"] == {
        "name": "jsonl",
        "module": "coditect_example_plugin:JsonLinesPlugin",
        "package": "coditect-example-plugin",
        "version": "0.1.0",
        "hooks": [
            "tenant_opened",
            "project_created",
            "session_started",
            "session_ended",
            "repo_status_changed",
            "audit_appended",
        ],
        "state": "enabled",
        "error": None,
    }
    assert (rows["hanger"]["state"], rows["hanger"]["hooks"]) == ("disabled", ["audit_appended"])
    assert rows["broken"]["state"] == "broken" and "ImportError" in rows["broken"]["error"]
    table = run_cli("plugins", "list", env={**env, "CODITECT_PLUGINS": "off"})
    assert table.returncode == 0
    assert [line.split()[:3] for line in table.stdout.splitlines()] == [
        ["NAME", "VERSION", "STATE"],
        ["broken", "0.0.1", "broken"],
        ["ImportError:", "this", "plugin"],
        ["hanger", "0.0.1", "off"],
        ["jsonl", "0.1.0", "off"],
        ["raiser", "0.0.1", "off"],
    ]
