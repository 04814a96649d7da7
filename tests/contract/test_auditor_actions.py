"""Every auditor action is logged, and the backend alone decides a git-session write.

On every backend (the remote ones over a real server): a git-session preflight asks the
backend, which records its refusal as a ``denied`` event; an auditor's reads of who it
is and of its tenants are audited like every other read.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from coditect_tui.core.backend import Backend
from coditect_tui.core.errors import PermissionDenied, ReadOnly
from coditect_tui.core.git.sessions import GitSessions
from coditect_tui.core.models import AuditEvent, AuditFilter
from tests.contract.harness import Harness


def _work_tree(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    return repo


async def _events(reader: Backend, **filter: str) -> list[AuditEvent]:
    page = await reader.query_audit(AuditFilter(**filter), limit=100, ascending=True)
    return list(page.items)


async def test_an_auditors_session_write_is_refused_and_audited(
    harness: Harness, tmp_path: Path
) -> None:
    owner = await harness.open("acme", "olivia", "owner")
    auditor = await harness.open("acme", "alma", "auditor")
    try:
        with pytest.raises(ReadOnly):
            await GitSessions(_work_tree(tmp_path), backend=auditor).preflight("commit")
        denied = await _events(owner, actor="alma", outcome="denied")
        assert [(e.action, e.resource_type, e.details["method"]) for e in denied] == [
            ("sessions.commit", "sessions", "authorize_event")
        ]
    finally:
        await auditor.close()
        await owner.close()


async def test_the_tier_decides_git_sessions(harness: Harness, tmp_path: Path) -> None:
    # the owner's role allows session writes; the auditor tier has no git_sessions
    owner = await harness.open("firm", "olivia", "owner", tier="auditor")
    try:
        with pytest.raises(PermissionDenied, match="git_sessions"):
            await GitSessions(_work_tree(tmp_path), backend=owner).preflight("start")
        denied = await _events(owner, outcome="denied")
        assert [(e.action, e.shown(e.actor)) for e in denied] == [("sessions.start", "olivia")]
    finally:
        await owner.close()


async def test_an_auditors_tenant_reads_are_audited(harness: Harness) -> None:
    owner = await harness.open("acme", "olivia", "owner")
    auditor = await harness.open("acme", "alma", "auditor")
    try:
        assert (await auditor.whoami()).role == "auditor"
        assert (await auditor.get_tenant()).name == "acme"
        assert [t.name for t in await auditor.list_tenants()] == ["acme"]
        reads = await _events(owner, actor="alma", action="tenants.read")
        assert [(e.details["method"], e.outcome) for e in reads] == [
            ("whoami", "ok"),
            ("get_tenant", "ok"),
            ("list_tenants", "ok"),
        ]
        # nobody else's look at the tenant is logged
        await owner.whoami()
        assert await _events(owner, actor="olivia", action="tenants.read") == []
    finally:
        await auditor.close()
        await owner.close()
