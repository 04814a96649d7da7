"""``coditect tenants`` on a local store: the bare command still lists the profiles; a
platform administrator's profile creates, suspends, resumes, offboards and archives
tenants; anyone else is refused (and audited); bad input is one line on stderr."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from coditect_store.store import SqlStore
from coditect_tui.cli import main
from coditect_tui.core.models import AuditEvent, AuditFilter
from tests.git.helpers import write_config


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _config(tmp_path: Path, *, admin: bool) -> str:
    path = write_config(tmp_path, [tmp_path])
    text = path.read_text()
    if admin:
        text = text.replace(
            "    tier: internal\n", "    tier: internal\n    platform_admin: true\n"
        )
    text += (
        "  - name: globex\n"
        "    principal: gina\n"
        "    role: owner\n"
        f"    backend: {{kind: local, path: {json.dumps(str(tmp_path / 'cli.db'))}}}\n"
    )
    path.write_text(text)
    return str(path)


def _create(name: str, tier: str, owner: str) -> tuple[str, ...]:
    return ("tenants", "create", name, "--tier", tier, "--owner", owner)


def _one_line_error(code: int, out: str, err: str) -> None:
    assert code != 0 and out == ""
    assert err.strip() and err.strip().count("\n") == 0 and "Traceback" not in err


def test_lifecycle_through_the_cli(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Create, suspend (the owner's export still works), resume, offboard, archive."""
    config = _config(tmp_path, admin=True)
    for argv in (("tenants",), ("tenants", "list")):
        code, out, err = _run(capsys, *argv, "--config", config)
        assert code == 0, err
        assert [line.split()[:2] for line in out.splitlines()[1:]] == [
            ["*", "t1"],
            ["globex", "globex"],
        ]
    code, out, err = _run(capsys, *_create("globex", "customer_team", "gina"), "--config", config)
    assert (code, out.strip()) == (0, "tenant globex: active (tier customer_team)"), err
    code, out, err = _run(capsys, "tenants", "suspend", "globex", "--json", "--config", config)
    assert code == 0, err
    assert (json.loads(out)["name"], json.loads(out)["state"]) == ("globex", "suspended")
    # the suspended tenant's owner is refused, in one line
    code, out, err = _run(capsys, "members", "list", "--tenant", "globex", "--config", config)
    _one_line_error(code, out, err)
    assert "'globex' is suspended" in err
    # but its owner's data export works
    target = tmp_path / "export"
    code, out, err = _run(
        capsys, "tenant", "export", str(target), "--unsigned", "--tenant", "globex",
        "--config", config,
    )  # fmt: skip
    assert code == 0 and "tenant globex" in out, err
    for verb, state in (("resume", "active"), ("offboard", "offboarded"), ("archive", "archived")):
        code, out, err = _run(capsys, "tenants", verb, "globex", "--config", config)
        assert (code, out.strip()) == (0, f"tenant globex: {state} (tier customer_team)"), err
    # bad input: one line, no traceback
    _one_line_error(*_run(capsys, "tenants", "resume", "globex", "--config", config))
    _one_line_error(*_run(capsys, "tenants", "suspend", "nobody", "--config", config))
    _one_line_error(*_run(capsys, *_create("initech", "gold", "ian"), "--config", config))
    code, out, err = _run(capsys, "tenants", "create", "initech", "--config", config)
    _one_line_error(code, out, err)
    assert "--tier and --owner are required" in err


def test_not_a_platform_admin_is_refused_and_audited(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = _config(tmp_path, admin=False)
    code, out, err = _run(capsys, *_create("initech", "vendor", "ian"), "--config", config)
    _one_line_error(code, out, err)
    assert "not a platform administrator" in err

    async def denied() -> list[AuditEvent]:
        store = await SqlStore.open_sqlite(tmp_path / "cli.db", tenant="t1", principal="alice")
        try:
            return (await store.query_audit(AuditFilter(outcome="denied"))).items
        finally:
            await store.close()

    assert [(e.action, e.shown(e.actor)) for e in asyncio.run(denied())] == [
        ("tenants.create", "alice")
    ]
