"""``coditect --exit-after-paint`` (the start-up benchmark's mode) on a real store: the
first start (no paint cache: it paints after loading) and the second (from the cache)
both exit 0 by themselves, with nothing on stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize("with_roots", [True, False])
def test_exit_after_paint_without_and_with_the_cache(tmp_path: Path, with_roots: bool
                                                     ) -> None:
    root = tmp_path / "ws"
    for name in ("alpha", "beta"):
        repo = root / name
        repo.mkdir(parents=True)
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
    config = tmp_path / "config.yaml"
    config.write_text(json.dumps({"tenants": [{
        "name": "t", "principal": "me", "workspace_roots": [str(root)] if with_roots else [],
        "backend": {"kind": "local", "path": str(tmp_path / "store.db")}}]}))
    env = {**os.environ, "CODITECT_CONFIG": str(config),
           **{f"XDG_{d}_HOME": str(tmp_path / d.lower())
              for d in ("CONFIG", "DATA", "CACHE", "STATE")}}
    for _ in range(2):
        done = subprocess.run([sys.executable, "-m", "coditect_tui", "--exit-after-paint"],
                              env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        assert "Traceback" not in done.stderr + done.stdout
