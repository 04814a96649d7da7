"""``coditect groups``: the round trip through the config file keeps comments and other
keys, validation says file, line and key, read-only and the auditor are refused, a failed
write leaves the old file, and ``GroupIndex.groups_of`` names the right repos."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from coditect_tui.cli import main
from coditect_tui.core.groups import GroupIndex
from coditect_tui.core.settings import load_settings
from tests.git.helpers import git, master_with_submodule

CONFIG = """\
# my coditect config (a comment at the top)
default_tenant: t1
tenants:
  - name: t1   # the main tenant
    role: {role}
    backend: {{kind: local, path: {db}}}
    workspace_roots:
      - {root}
    # a comment after the roots
  - name: t2
    role: owner
    workspace_roots: []
ui:
  theme: coditect-dark   # trailing comment
"""


def _repo(path: Path) -> Path:
    path.mkdir(parents=True)
    git(path, "init", "-q")
    return path


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    for name in ("clients/api", "clients/web", "tools/cli", "other/api"):
        _repo(root / name)
    return root


def _config(tmp_path: Path, ws: Path, role: str = "owner") -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(
        CONFIG.format(role=role, db=json.dumps(str(tmp_path / "s.db")), root=json.dumps(str(ws)))
    )
    return config


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _comments(text: str) -> list[str]:
    return [line.split("#", 1)[1] for line in text.splitlines() if "#" in line]


def _groups(config: Path) -> dict[str, list[str]]:
    return load_settings(config, env={}).settings.profile("t1").groups


def test_round_trip_keeps_comments_and_other_keys(
    tmp_path: Path, ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, ws)
    original = config.read_text()
    c = ("--config", str(config))
    code, out, err = _run(
        capsys, "groups", "add", "clients", "clients/api", str(ws / "clients/web"), *c
    )
    assert (code, err) == (0, "")
    assert out == "2 entries added to clients: clients/api, clients/web\n"
    assert _run(capsys, "groups", "add", "tools", "cli", *c)[0] == 0  # a name
    assert _run(capsys, "groups", "add", "clients", "tools/cli", *c)[0] == 0
    assert _groups(config) == {
        "clients": ["clients/api", "clients/web", "tools/cli"],
        "tools": ["cli"],
    }
    text = config.read_text()
    assert _comments(text) == _comments(original)
    # only lines were added: every original line is still there, in order
    lines = iter(text.splitlines())
    assert all(any(line == kept for kept in lines) for line in original.splitlines())
    code, out, _ = _run(capsys, "groups", "remove", "clients", str(ws / "clients/web"), *c)
    assert (code, out) == (0, "1 entry removed from clients: clients/web\n")
    code, out, _ = _run(capsys, "groups", "list", "--json", *c)
    assert json.loads(out) == {
        "tenant": "t1",
        "groups": {"clients": ["clients/api", "tools/cli"], "tools": ["cli"]},
    }
    code, out, _ = _run(capsys, "groups", "list", *c)
    assert out == "clients (2 repos): clients/api, tools/cli\ntools (1 repo): cli\n"
    assert (
        _run(capsys, "groups", "delete", "tools", *c)[1] == "deleted group tools (1 repo in it)\n"
    )
    assert _run(capsys, "groups", "delete", "clients", *c)[0] == 0
    assert _groups(config) == {}
    assert _comments(config.read_text()) == _comments(original)
    other = load_settings(config, env={}).settings
    assert other.ui.theme == "coditect-dark" and other.profile("t2").workspace_roots == []
    assert os.stat(config).st_mode & 0o777 == 0o600


def test_a_flow_style_group_is_rewritten_and_a_json_file_still_works(
    tmp_path: Path, ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, ws)
    text = config.read_text().replace(
        "    # a comment after the roots\n",
        "    groups:\n      a: [clients/api]   # flow\n      b:\n        - cli  # kept\n"
        "    # a comment after the roots\n",
    )
    config.write_text(text)
    assert _run(capsys, "groups", "add", "a", "tools/cli", "--config", str(config))[0] == 0
    assert _groups(config) == {"a": ["clients/api", "tools/cli"], "b": ["cli"]}
    assert "- cli  # kept" in config.read_text()
    # a whole file in flow style (JSON) is written again whole
    as_json = tmp_path / "config.json"
    as_json.write_text(json.dumps({"tenants": [{"name": "t1", "workspace_roots": [str(ws)]}]}))
    assert _run(capsys, "groups", "add", "x", "clients/web", "--config", str(as_json))[0] == 0
    assert _groups(as_json) == {"x": ["clients/web"]}


@pytest.mark.parametrize(
    ("groups", "expected"),
    [
        ("    grops: {}\n", ":9: unknown key 'grops' (did you mean 'groups'?)"),
        ("    groups:\n      bad name: [a]\n", ":10: tenants.0.groups.bad name.[key]: Value error"),
        ("    groups:\n      g: [a, ../x]\n", ":10: tenants.0.groups.g.1: Value error"),
        ("    groups:\n      g: [a, a]\n", ":9: tenants.0.groups: Value error, group 'g' lists"),
        ("    groups:\n      g: a\n", ":10: tenants.0.groups.g: Input should be a valid list"),
        ("    groups: [a]\n", ":9: tenants.0.groups: Input should be a valid dictionary"),
    ],
    ids=["unknown-key", "bad-name", "dot-dot", "twice", "not-a-list", "not-a-mapping"],
)
def test_bad_groups_say_file_line_and_key(
    tmp_path: Path, ws: Path, capsys: pytest.CaptureFixture[str], groups: str, expected: str
) -> None:
    config = _config(tmp_path, ws)
    config.write_text(config.read_text().replace("    # a comment after the roots\n", groups))
    code, out, err = _run(capsys, "groups", "list", "--config", str(config))
    assert code == 2 and out == ""
    assert err.startswith(f"coditect: error: {config}{expected}"), err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("role", "flags", "why"),
    [
        ("auditor", (), "auditor role"),
        ("owner", ("--read-only",), "--read-only"),
    ],
)
def test_read_only_and_the_auditor_are_refused(
    tmp_path: Path,
    ws: Path,
    capsys: pytest.CaptureFixture[str],
    role: str,
    flags: tuple[str, ...],
    why: str,
) -> None:
    config = _config(tmp_path, ws, role=role)
    before = config.read_bytes()
    for verb in (("add", "g", "cli"), ("remove", "g", "cli"), ("delete", "g")):
        code, out, err = _run(capsys, "groups", *verb, "--config", str(config), *flags)
        assert code == 1 and out == ""
        assert (
            err == f"coditect: error: Read-only: you can't change groups in this tenant ({why}).\n"
        )
    assert config.read_bytes() == before
    assert _run(capsys, "groups", "list", "--config", str(config), *flags)[0] == 0


def test_bad_input_changes_nothing(
    tmp_path: Path, ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, ws)
    before = config.read_bytes()
    c = ("--config", str(config))
    for args, message in (
        (("add", "g", "nothere"), "nothere: no repo of that folder, path or name in tenant t1"),
        (("add", "bad name", "cli"), "group name 'bad name': use letters"),
        (("remove", "g", "cli"), "no group 'g' in tenant t1"),
        (("delete", "g"), "no group 'g' in tenant t1"),
    ):
        code, _, err = _run(capsys, "groups", *args, *c)
        assert code == 2 and err.startswith(f"coditect: error: {message}"), err
    assert config.read_bytes() == before


def test_a_write_that_fails_leaves_the_old_file(
    tmp_path: Path, ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, ws)
    before = config.read_bytes()
    # where the new file is staged (core/paths.py replacing_private) is taken
    (tmp_path / f".config.yaml.{os.getpid()}.tmp").mkdir()
    code, _, err = _run(capsys, "groups", "add", "g", "cli", "--config", str(config))
    assert code == 2 and err.startswith(f"coditect: error: {config}: cannot write"), err
    assert config.read_bytes() == before


def test_groups_of_names_repos_by_path_name_and_absolute_path(tmp_path: Path) -> None:
    master = master_with_submodule(tmp_path)  # ws/master + submodules/cloud/api
    other = _repo(tmp_path / "ws2" / "api")
    index = GroupIndex(
        {
            "rel": ["master/submodules/cloud/api"],
            "name": ["api"],
            "abs": [str(other)],
            "top": ["master"],
        },
        [tmp_path / "ws", tmp_path / "ws2"],
    )
    sub = str(master / "submodules" / "cloud" / "api")
    assert index.groups_of(sub) == {"rel", "name"}
    assert index.groups_of(str(other)) == {"abs", "name"}
    assert index.groups_of(str(master)) == {"top"}
    assert index.groups_of(str(tmp_path / "elsewhere" / "x")) == frozenset()
    assert index.entries_naming("name", sub) == ["api"]


def test_bulk_commands_select_by_group(
    tmp_path: Path, ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``coditect run --group G`` takes the tenant's groups (core/selection.py's
    ``groups_of`` is ``GroupIndex.groups_of``); an unknown group is one line, exit 2."""
    config = _config(tmp_path, ws)
    c = ("--config", str(config))
    assert _run(capsys, "groups", "add", "g", "clients/web", "api", *c)[0] == 0
    code, out, err = _run(
        capsys, "run", "--group", "g", "--json", *c, "--", "git", "rev-parse", "--show-toplevel"
    )
    assert code == 0, err
    chosen = sorted(r["path"] for r in json.loads(out)["repos"])
    assert chosen == sorted(str(ws / p) for p in ("clients/api", "clients/web", "other/api"))
    code, out, err = _run(capsys, "run", "--group", "h", *c, "--", "true")
    assert (code, out) == (2, "")
    assert err == "coditect: error: unknown group 'h'\n"
