"""``coditect memory index`` with names that are not UTF-8 (issue [3/8] item 5): the rest is
indexed, such a name is stored and shown with ``\\xNN``, one warning line per name."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.git.helpers import run_cli


def test_index_goes_on_and_warns_once_per_name(tmp_path: Path) -> None:
    memory = tmp_path / "ws" / "proj" / "MEMORY-CONTEXT"
    raw = os.fsencode(memory)
    (memory / "sessions").mkdir(parents=True)
    (memory.parent / ".git").mkdir()  # a repository's MEMORY-CONTEXT
    (memory / "sessions" / "plain.md").write_text("# Plain\nalpha\n")
    # no heading: the title comes from the name; a folder too
    Path(os.fsdecode(raw + b"/sessions/2025-11-22-notes\xe9.md")).write_text("beta\n")
    os.mkdir(raw + b"/sub\xfa")
    Path(os.fsdecode(raw + b"/sub\xfa/one.md")).write_text("# One\ngamma\n")
    Path(os.fsdecode(raw + b"/sub\xfa/two.md")).write_text("# Two\ndelta\n")
    config = tmp_path / "coditect.yaml"
    config.write_text(
        "default_tenant: t1\ntenants:\n  - name: t1\n    principal: alice\n"
        f"    backend: {{kind: local, path: {json.dumps(str(tmp_path / 'cli.db'))}}}\n"
        f"    workspace_roots: [{json.dumps(str(tmp_path / 'ws'))}]\n"
    )
    env = {"CODITECT_CONFIG": str(config)}

    result = run_cli("memory", "index", "--json", env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert sorted(report["added"]) == [
        f"{memory}/sessions/2025-11-22-notes\\xe9.md",
        f"{memory}/sessions/plain.md",
        f"{memory}/sub\\xfa/one.md",
        f"{memory}/sub\\xfa/two.md",
    ]
    assert report["errors"] == []
    tail = "the name is not valid UTF-8; indexed under its escaped name"
    assert sorted(result.stderr.splitlines()) == [
        f"coditect: warning: {memory}/sessions/2025-11-22-notes\\xe9.md: {tail}",
        f"coditect: warning: {memory}/sub\\xfa: {tail}",
    ]

    found = run_cli("memory", "search", "beta", env=env)
    assert found.returncode == 0 and "Traceback" not in found.stderr
    # stored as "notes\xe9.md" (fs_text); shown by the one rule, its backslash doubled
    assert f"{memory}/sessions/2025-11-22-notes\\\\xe9.md" in found.stdout
