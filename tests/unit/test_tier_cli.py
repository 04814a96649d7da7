"""A tier refusal on the command line: one line naming the tier and the feature, a
non-zero exit, nothing written (real subprocess runs on a real SQLite store)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.git.helpers import run_cli


def _config(tmp_path: Path) -> Path:
    config = tmp_path / "c.yaml"
    config.write_text(
        "default_tenant: solo\ntenants:\n  - name: solo\n    principal: sam\n"
        "    role: owner\n    tier: customer_individual\n"
        f"    backend: {{kind: local, path: {json.dumps(str(tmp_path / 's.db'))}}}\n"
    )
    return config


def test_a_tier_refusal_is_one_line(tmp_path: Path) -> None:
    config = str(_config(tmp_path))
    out = tmp_path / "events.jsonl"
    refused = {
        "audit export": run_cli("audit", "export", "--config", config, "--output", str(out)),
        "keys create": run_cli("keys", "create", "--config", config),
    }
    for what, result in refused.items():
        lines = result.stderr.strip().splitlines()
        assert result.returncode != 0, what
        assert len(lines) == 1 and "Traceback" not in result.stderr, (what, result.stderr)
        assert "tier 'customer_individual' does not include" in lines[0], (what, lines)
    assert "audit_export" in refused["audit export"].stderr
    assert "api_keys" in refused["keys create"].stderr
    assert not out.exists()
    # what the tier includes still works
    assert run_cli("audit", "verify", "--config", config).returncode == 0
