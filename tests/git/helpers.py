"""Helpers for the git engine tests: plain git for setting up, the CLI in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def git(cwd: Path, *args: str, check: bool = True, env: dict[str, str] | None = None) -> str:
    """Run plain git (the test's own hand, not the engine) and return stdout."""
    result = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, env={**os.environ, **(env or {})}
    )
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed in {cwd}: {result.stderr}")
    return result.stdout


def commit_file(repo: Path, name: str, content: str, message: str) -> str:
    """Write a file, commit it, return the new HEAD sha."""
    path = repo / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    git(repo, "add", "--", name)
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def make_remote_and_clone(base: Path, name: str, *, files: int = 2) -> tuple[Path, Path]:
    """A bare remote with one commit on main and a clone of it: (bare, clone)."""
    bare = base / "remotes" / f"{name}.git"
    bare.parent.mkdir(parents=True, exist_ok=True)
    git(base, "init", "-q", "--bare", str(bare))
    seed = base / ".seed" / name
    seed.mkdir(parents=True)
    git(seed, "init", "-q")
    for i in range(files):
        (seed / f"file_{i}.txt").write_text(f"{name} {i}\n")
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", f"initial {name}")
    git(seed, "remote", "add", "origin", str(bare))
    git(seed, "push", "-q", "origin", "main")
    clone = base / "work" / name
    clone.parent.mkdir(parents=True, exist_ok=True)
    git(base, "clone", "-q", str(bare), str(clone))
    return bare, clone


def advance_remote(base: Path, bare: Path, name: str) -> None:
    """Another clone pushes one commit to ``bare``'s main (earlier clones fall behind)."""
    other = base / "others" / name
    git(base, "clone", "-q", str(bare), str(other))
    commit_file(other, "theirs.txt", "x", "theirs")
    git(other, "push", "-q", "origin", "main")


def main_in_fresh_interpreter(argv: list[str], probe: str) -> tuple[int, Any]:
    """``main(argv)`` in a fresh interpreter, stdout discarded: (its exit code, the JSON
    value of the Python expression ``probe`` evaluated afterwards, e.g. over
    ``sys.modules``)."""
    import json

    code = (
        "import sys, json\nfrom coditect_tui.cli import main\n"
        "sys.stdout = open('/dev/null', 'w')\n"
        f"rc = main({argv!r})\n"
        f"sys.stderr.write(json.dumps([rc, {probe}]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    rc, value = json.loads(result.stderr.strip().splitlines()[-1])
    return rc, value


def master_with_submodule(tmp_path: Path) -> Path:
    """``ws/master`` with the submodule ``submodules/cloud/api`` (a clone of
    ``remotes/api.git``); returns the master."""
    make_remote_and_clone(tmp_path, "api")
    master = tmp_path / "ws" / "master"
    master.mkdir(parents=True)
    git(master, "init", "-q")
    commit_file(master, "README.md", "m", "init")
    url = str(tmp_path / "remotes" / "api.git")
    git(master, "submodule", "add", "-q", url, "submodules/cloud/api")
    git(master, "commit", "-q", "-m", "subs")
    return master


def write_config(tmp_path: Path, roots: list[Path], *, db: Path | None = None) -> Path:
    """A coditect config with tenant t1 (store in tmp) and the given workspace roots."""
    import json

    db = db or tmp_path / "cli.db"
    config = tmp_path / "coditect.yaml"
    config.write_text(
        "default_tenant: t1\n"
        "tenants:\n"
        "  - name: t1\n"
        "    principal: alice\n"
        "    role: owner\n"
        "    tier: internal\n"
        f"    backend: {{kind: local, path: {json.dumps(str(db))}}}\n"
        f"    workspace_roots: {json.dumps([str(r) for r in roots])}\n"
    )
    return config


def run_cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m coditect_tui ARGS`` in a subprocess (the real command line)."""
    return subprocess.run(
        [sys.executable, "-m", "coditect_tui", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        input=stdin,
        env={**os.environ, **(env or {})},
        timeout=120,
    )
