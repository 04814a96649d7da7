"""``coditect session ACTION --json``: one JSON object with the outcome of each action,
and errors that stay one line on stderr (real repos, a real remote, a real store)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coditect_tui.cli import main
from tests.git.helpers import git, make_remote_and_clone, write_config


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object]]:
    code = main(["session", *args, "--json"])
    out, err = capsys.readouterr()
    assert err == "" and out.endswith("}\n"), (out, err)
    return code, json.loads(out)


def test_every_session_action_prints_one_json_object(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bare, clone = make_remote_and_clone(tmp_path, "js")
    monkeypatch.setenv("CODITECT_CONFIG", str(write_config(tmp_path, [tmp_path / "work"])))
    repo = ["--repo", str(clone)]
    code, started = _json(capsys, "start", "json", "run", *repo)
    branch = git(clone, "branch", "--show-current").strip()
    assert code == 0 and started["action"] == "start" and started["ok"] is True
    assert started["branch"] == branch and started["repo"] == str(clone)
    assert started["message"] and started["children"] == []
    (clone / "c.txt").write_text("c\n")
    code, committed = _json(capsys, "commit", "-m", "c", *repo)
    head = git(clone, "rev-parse", "HEAD").strip()
    assert (code, committed["action"], committed["sha"]) == (0, "commit", head)
    code, pushed = _json(capsys, "push", *repo)
    assert (code, pushed["action"], pushed["ok"]) == (0, "push", True)
    assert git(bare, "rev-parse", f"refs/heads/{branch}").strip() == head
    code, synced = _json(capsys, "sync", *repo)
    assert (code, synced["action"], synced["conflict"]) == (0, "sync", None)
    code, status = _json(capsys, "status", *repo)
    assert code == 0 and status["session"]["commit_count"] == 1  # type: ignore[index]
    code, ended = _json(capsys, "end", *repo)
    assert (code, ended["action"]) == (0, "end")
    assert ended["details"]["summary"]["commits"] == 1  # type: ignore[index]


def test_a_refusal_with_json_is_one_line_on_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _, clone = make_remote_and_clone(tmp_path, "ref")
    monkeypatch.setenv("CODITECT_CONFIG", str(write_config(tmp_path, [tmp_path / "work"])))
    assert main(["session", "start", "x", "--repo", str(clone), "--json"]) == 0
    capsys.readouterr()
    code = main(["session", "end", "--merge", "--repo", str(clone), "--json"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "") and err.count("\n") == 1 and "--confirm-merge" in err
