"""``coditect manifest freeze|sync`` with real repos and local bare remotes: freeze, sync
into an empty folder and freeze again gives the same manifest; what is there is compared
and never touched; hostile entries are refused before anything runs, and a hostile URL
that got past the check still runs nothing."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from coditect_tui.cli import main
from coditect_tui.core.manifest import Manifest, ManifestRepo, strip_credentials
from coditect_tui.core.manifest_sync import sync
from tests.git.helpers import commit_file, git

CONFIG = """\
default_tenant: t1
tenants:
  - name: t1
    backend: {{kind: local, path: {db}}}
    workspace_roots: [{root}]
    groups:
      clients: [clients/api, clients/web]
      core: [lib]
"""


def _remote(base: Path, name: str) -> Path:
    """A bare remote with one commit on main and a branch ``dev``."""
    bare = base / "remotes" / f"{name}.git"
    bare.parent.mkdir(parents=True, exist_ok=True)
    git(base, "init", "-q", "--bare", str(bare))
    seed = base / "seed" / name
    seed.mkdir(parents=True)
    git(seed, "init", "-q")
    commit_file(seed, "README.md", name, "init")
    git(seed, "branch", "dev")
    git(seed, "remote", "add", "origin", str(bare))
    git(seed, "push", "-q", "origin", "main", "dev")
    return bare


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """ws/clients/api (main), ws/clients/web (on dev), ws/lib (main)."""
    root = tmp_path / "ws"
    for rel, name, branch in (
        ("clients/api", "api", "main"),
        ("clients/web", "web", "dev"),
        ("lib", "lib", "main"),
    ):
        bare = _remote(tmp_path, name)
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        git(tmp_path, "clone", "-q", "--branch", branch, str(bare), str(root / rel))
    return root


def _config(tmp_path: Path, root: Path, name: str = "config.yaml") -> Path:
    config = tmp_path / name
    config.write_text(
        CONFIG.format(db=json.dumps(str(tmp_path / "s.db")), root=json.dumps(str(root)))
    )
    return config


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _freeze(tmp_path: Path, workspace: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """``manifest freeze -o m.yaml`` of ``workspace``; the file."""
    manifest = tmp_path / "m.yaml"
    config = _config(tmp_path, workspace)
    code, out, err = _run(
        capsys, "manifest", "freeze", "-o", str(manifest), "--config", str(config)
    )
    assert (code, out, err) == (0, "", "")
    return manifest


def test_freeze_sync_freeze_gives_the_same_manifest(
    tmp_path: Path, workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = _freeze(tmp_path, workspace, capsys)
    text = manifest.read_text()
    remotes = tmp_path / "remotes"
    assert text.splitlines()[2:] == [
        "version: 1",
        "repos:",
        "- path: clients/api",
        f"  url: {remotes / 'api.git'}",
        "  branch: main",
        "  groups:",
        "  - clients",
        "  category: clients",
        "- path: clients/web",
        f"  url: {remotes / 'web.git'}",
        "  branch: dev",
        "  groups:",
        "  - clients",
        "  category: clients",
        "- path: lib",
        f"  url: {remotes / 'lib.git'}",
        "  branch: main",
        "  groups:",
        "  - core",
        "  category: null",
    ]
    fresh = tmp_path / "fresh"
    code, out, err = _run(
        capsys, "manifest", "sync", str(manifest), "--root", str(fresh), "--json", "--jobs", "2"
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["summary"] == {
        "cloned": 3,
        "present": 0,
        "diverged": 0,
        "skipped": 0,
        "failed": 0,
    }
    assert [r["outcome"] for r in result["repos"]] == ["cloned"] * 3
    assert not list(fresh.rglob(".*.coditect-clone"))  # no staging folder left
    again = tmp_path / "again.yaml"
    config2 = _config(tmp_path, fresh, "config2.yaml")
    assert _run(capsys, "manifest", "freeze", "-o", str(again), "--config", str(config2))[0] == 0
    assert again.read_text() == text
    # a second sync finds everything present and changes nothing
    heads = {p: git(fresh / p, "rev-parse", "HEAD") for p in ("clients/api", "lib")}
    code, out, _ = _run(capsys, "manifest", "sync", str(manifest), "--root", str(fresh))
    assert code == 0 and out == "3 repos: 0 cloned, 3 present, 0 diverged, 0 skipped, 0 failed\n"
    assert {p: git(fresh / p, "rev-parse", "HEAD") for p in heads} == heads


def test_what_diverged_is_reported_and_left_alone(
    tmp_path: Path, workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = _freeze(tmp_path, workspace, capsys)
    git(workspace / "clients/api", "switch", "-q", "dev")
    git(workspace / "lib", "remote", "set-url", "origin", str(tmp_path / "remotes" / "web.git"))
    (workspace / "clients/web").rename(tmp_path / "web-away")
    (workspace / "clients/web").mkdir()
    (workspace / "clients/web" / "notes.txt").write_text("mine")
    code, out, err = _run(
        capsys, "manifest", "sync", str(manifest), "--root", str(workspace), "--json"
    )
    assert code == 0, err
    by_path = {r["path"]: r for r in json.loads(out)["repos"]}
    assert by_path["clients/api"] == {
        "path": "clients/api",
        "outcome": "diverged",
        "reasons": ["branch is dev, manifest says main"],
    }
    assert by_path["lib"]["outcome"] == "diverged"
    assert by_path["lib"]["reasons"] == [
        f"remote URL is {tmp_path / 'remotes' / 'web.git'}, manifest says "
        f"{tmp_path / 'remotes' / 'lib.git'}"
    ]
    assert by_path["clients/web"] == {
        "path": "clients/web",
        "outcome": "skipped",
        "reasons": ["something that is not a repo is at this path"],
    }
    assert git(workspace / "clients/api", "branch", "--show-current").strip() == "dev"
    assert (workspace / "clients/web" / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in (workspace / "clients/web").iterdir()) == ["notes.txt"]


def test_a_failed_clone_exits_1_and_leaves_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = tmp_path / "m.yaml"
    manifest.write_text(f"version: 1\nrepos:\n  - path: a/b\n    url: {tmp_path / 'nope.git'}\n")
    code, out, _ = _run(capsys, "manifest", "sync", str(manifest), "--root", str(tmp_path / "r"))
    assert code == 1
    assert out.startswith("failed   a/b: fatal: repository")
    assert not (tmp_path / "r" / "a" / "b").exists()
    assert list((tmp_path / "r" / "a").iterdir()) == []


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            'path: a\n    url: "ext::sh -c touch% CANARY"',
            ":4: repos.0.url: Value error, remote helper URLs (ext::) are refused",
        ),
        (
            'path: a\n    url: "fd::7"',
            ":4: repos.0.url: Value error, remote helper URLs (fd::) are refused",
        ),
        (
            'path: a\n    url: "--upload-pack=touch CANARY"',
            ":4: repos.0.url: Value error, a URL may not start with '-'",
        ),
        (
            'path: a\n    url: "-oProxyCommand=touch CANARY"',
            ":4: repos.0.url: Value error, a URL may not start with '-'",
        ),
        (
            'path: a\n    url: "gopher://h/x"',
            ":4: repos.0.url: Value error, scheme 'gopher' is refused",
        ),
        (
            'path: "../escape"\n    url: x',
            ":3: repos.0.path: Value error, '../escape' leaves the root",
        ),
        (
            'path: "a/../../escape"\n    url: x',
            ":3: repos.0.path: Value error, 'a/../../escape' leaves",
        ),
        ('path: "/abs/x"\n    url: x', ":3: repos.0.path: Value error, '/abs/x' is absolute"),
        ('path: "~/x"\n    url: x', ":3: repos.0.path: Value error, '~/x' is absolute"),
        ('path: a\n    url: x\n    branch: "--force"', ":5: repos.0.branch: Value error"),
        ("path: a\n    urll: x", ":4: unknown key 'urll' (did you mean 'url'?)"),
    ],
    ids=[
        "ext",
        "fd",
        "upload-pack",
        "dash",
        "scheme",
        "dotdot",
        "dotdot-inner",
        "absolute",
        "home",
        "branch",
        "typo",
    ],
)
def test_hostile_entries_are_refused_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], entry: str, expected: str
) -> None:
    manifest = tmp_path / "m.yaml"
    good = f"  - path: fine\n    url: {tmp_path / 'nope.git'}\n"
    manifest.write_text(
        f"version: 1\nrepos:\n  - {entry}\n{good}".replace("CANARY", str(tmp_path / "canary"))
    )
    root = tmp_path / "root"
    code, out, err = _run(capsys, "manifest", "sync", str(manifest), "--root", str(root))
    assert code == 2 and out == ""
    assert err.startswith(f"coditect: error: {manifest}{expected}"), err
    assert err.count("\n") == 1
    assert not root.exists() and not (tmp_path / "canary").exists()


def test_a_hostile_url_past_the_check_runs_nothing(tmp_path: Path) -> None:
    """The clone itself is hardened too: ``protocol.allow`` keeps ext:: and fd:: off,
    and the URL comes after ``--``."""
    canary = tmp_path / "canary"
    repos = [
        ManifestRepo.model_construct(path="a", url=f"ext::sh -c touch% {canary}", branch=None),
        ManifestRepo.model_construct(path="b", url=f"--upload-pack=touch {canary}", branch=None),
        ManifestRepo.model_construct(path="c", url="fd::0", branch=None),
    ]
    results = asyncio.run(
        sync(Manifest.model_construct(version=1, repos=repos), tmp_path / "r", jobs=2)
    )
    assert [r.outcome for r in results] == ["failed", "failed", "failed"]
    assert "transport 'ext' not allowed" in results[0].reasons[0]
    assert not canary.exists()
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == []


def test_a_symlink_out_of_the_root_is_skipped(tmp_path: Path) -> None:
    bare = _remote(tmp_path, "x")
    root = tmp_path / "root"
    root.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "link").symlink_to(outside)
    manifest = Manifest(repos=[ManifestRepo(path="link/x", url=str(bare))])
    [result] = asyncio.run(sync(manifest, root, jobs=1))
    assert result.outcome == "skipped"
    assert result.reasons == ["link/x leads out of the root through a symlink"]
    assert list(outside.iterdir()) == []


def test_freeze_strips_credentials_and_neutralises_control_characters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "ws"
    repo = root / "odd\x1b[31mname"
    repo.mkdir(parents=True)
    git(repo, "init", "-q")
    git(repo, "remote", "add", "origin", "https://user:s3cret@example.com/x.git")
    config = _config(tmp_path, root)
    code, out, err = _run(capsys, "manifest", "freeze", "--config", str(config))
    assert code == 0, err
    assert "s3cret" not in out and "user" not in out and "\x1b" not in out
    assert "url: https://example.com/x.git" in out
    assert "path: odd\\u001b[31mname" in out
    assert strip_credentials("https://tok@h/x") == "https://h/x"
    assert strip_credentials("ssh://git@h/x") == "ssh://git@h/x"
    assert strip_credentials("git@h:x.git") == "git@h:x.git"


def test_a_json_freeze_syncs_too(
    tmp_path: Path, workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, workspace)
    code, out, _ = _run(capsys, "manifest", "freeze", "--json", "--config", str(config))
    assert code == 0
    data = json.loads(out)
    assert [r["path"] for r in data["repos"]] == ["clients/api", "clients/web", "lib"]
    manifest = tmp_path / "m.json"
    manifest.write_text(out)
    code, out, _ = _run(capsys, "manifest", "sync", str(manifest), "--config", str(config))
    assert (code, out) == (0, "3 repos: 0 cloned, 3 present, 0 diverged, 0 skipped, 0 failed\n")


@pytest.mark.parametrize(
    ("role", "flags", "why"),
    [("auditor", (), "auditor role"), ("owner", ("--read-only",), "--read-only")],
)
def test_sync_is_refused_in_read_only_mode_and_to_the_auditor(
    tmp_path: Path,
    workspace: Path,
    capsys: pytest.CaptureFixture[str],
    role: str,
    flags: tuple[str, ...],
    why: str,
) -> None:
    manifest = _freeze(tmp_path, workspace, capsys)
    config = _config(tmp_path, workspace, "ro.yaml")
    config.write_text(
        config.read_text().replace("  - name: t1\n", f"  - name: t1\n    role: {role}\n")
    )
    fresh = tmp_path / "fresh"
    code, out, err = _run(
        capsys,
        "manifest",
        "sync",
        str(manifest),
        "--root",
        str(fresh),
        "--config",
        str(config),
        *flags,
    )
    assert (code, out) == (1, "")
    refused = f"Read-only: you can't clone repos from a manifest in this tenant ({why})."
    assert err == f"coditect: error: {refused}\n"
    assert not fresh.exists()
    # freezing reads only: allowed
    assert _run(capsys, "manifest", "freeze", "--config", str(config), *flags)[0] == 0
