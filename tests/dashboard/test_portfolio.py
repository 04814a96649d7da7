"""The consultant portfolio over real stores: only tenants with a membership, ever."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from coditect_store.base import Provision
from coditect_store.store import SqlStore
from coditect_tui.core.backend import Backend
from coditect_tui.core.models import StatusSnapshotSpec, Tenant
from coditect_tui.core.portfolio import STRIPES, build_portfolio, stripe_of
from tests.git.helpers import run_cli


async def _open(
    db: Path, tenant: str, principal: str, *, tier: str = "internal", role: str = "owner"
) -> Any:
    return await SqlStore.open_sqlite(
        db, tenant=tenant, principal=principal, provision=Provision(tenant.upper(), tier, role)
    )


async def _snapshot(backend: Any, **summary: Any) -> None:
    await backend.record_status(StatusSnapshotSpec(summary=summary))


async def _world(db: Path) -> None:
    """t1: alice owns. t2: bob owns, alice is a consultant. t3: bob only."""
    alice = await _open(db, "t1", "alice")
    await _snapshot(alice, repos=4, dirty=1, behind=0, errors=0, average_score=91.5)
    await alice.close()
    bob2 = await _open(db, "t2", "bob", tier="customer_team")
    await bob2.add_member("alice", "consultant")
    await _snapshot(bob2, repos=9, dirty=2, behind=3, errors=1, average_score=70.0)
    await _snapshot(bob2, repos=10, dirty=3, behind=4, conflicted=1, errors=1, average_score=66.6)
    await bob2.close()
    bob3 = await _open(db, "t3", "bob")
    await _snapshot(bob3, repos=777_313, dirty=777_313, average_score=1.0)
    await bob3.close()


class Opener:
    """Opens tenants of one store read-only, as the principal's own membership role."""

    def __init__(self, db: Path, principal: str) -> None:
        self.db = db
        self.principal = principal
        self.asked: list[str] = []

    async def __call__(self, tenant: Tenant) -> Backend:
        self.asked.append(tenant.name)
        return await SqlStore.open_sqlite(
            self.db,
            tenant=tenant.name,  # type: ignore[no-any-return]
            principal=self.principal,
            read_only=True,
        )


async def test_portfolio_lists_only_tenants_with_a_membership(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    await _world(db)
    home = await SqlStore.open_sqlite(db, tenant="t1", principal="alice", read_only=True)
    opener = Opener(db, "alice")
    try:
        portfolio = await build_portfolio(home, opener)
        assert [r.tenant for r in portfolio.rows] == ["t1", "t2"]
        assert opener.asked == ["t2"]  # never asked to open t3, nor the home tenant
        t1, t2 = portfolio.rows
        assert (t1.home, t1.role, t1.repos, t1.dirty, t1.average_health) == (
            True,
            "owner",
            4,
            1,
            91.5,
        )
        # labelled with its tenant, the newest snapshot, the membership's role
        assert (t2.home, t2.role, t2.tier, t2.display_name) == (
            False,
            "consultant",
            "customer_team",
            "T2",
        )
        assert (t2.repos, t2.dirty, t2.behind, t2.conflicted, t2.errored, t2.average_health) == (
            10,
            3,
            4,
            1,
            1,
            66.6,
        )
        assert t2.active_sessions == 0 and t2.error is None
        assert all(
            0 <= r.stripe < STRIPES and r.stripe == stripe_of(r.tenant) for r in portfolio.rows
        )
        assert "777313" not in json.dumps(portfolio.to_dict())

        # a tenant created later without alice never appears
        bob4 = await _open(db, "t4", "bob")
        await _snapshot(bob4, repos=444)
        await bob4.close()
        again = await build_portfolio(home, opener)
        assert [r.tenant for r in again.rows] == ["t1", "t2"]
        assert opener.asked == ["t2", "t2"]
    finally:
        await home.close()


async def test_revoked_or_mismatched_tenants_never_show_foreign_data(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    await _world(db)
    elsewhere = tmp_path / "other.db"
    other = await _open(elsewhere, "t2", "bob")  # a t2 where alice holds no membership
    await other.close()
    home = await SqlStore.open_sqlite(db, tenant="t1", principal="alice", read_only=True)
    try:
        revoked = await build_portfolio(home, Opener(elsewhere, "alice"))
        assert [r.tenant for r in revoked.rows] == ["t1"] and revoked.left_out == 1

        async def wrong(tenant: Tenant) -> Backend:  # a misconfigured opener
            return await SqlStore.open_sqlite(
                db,
                tenant="t3",
                principal="bob",  # type: ignore[no-any-return]
                read_only=True,
            )

        mixed = await build_portfolio(home, wrong)
        row = next(r for r in mixed.rows if r.tenant == "t2")
        assert row.error is not None and "another tenant" in row.error
        assert row.repos is None and "777313" not in json.dumps(mixed.to_dict())
    finally:
        await home.close()


def test_report_portfolio_cli(tmp_path: Path) -> None:
    import asyncio

    db = tmp_path / "cli.db"
    asyncio.run(_world(db))
    config = tmp_path / "c.yaml"
    config.write_text(
        "default_tenant: t1\ntenants:\n  - name: t1\n    principal: alice\n"
        "    role: owner\n    tier: internal\n"
        f"    backend: {{kind: local, path: {json.dumps(str(db))}}}\n"
    )
    result = run_cli("report", "portfolio", "--config", str(config), "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert [(r["tenant"], r["role"], r["repos"]) for r in doc["rows"]] == [
        ("t1", "owner", 4),
        ("t2", "consultant", 10),
    ]
    md = run_cli("report", "portfolio", "--config", str(config)).stdout
    assert "| t2 (T2) | consultant | 10 |" in md and "t3" not in md
    csv_out = run_cli("report", "portfolio", "--config", str(config), "--format", "csv").stdout
    assert csv_out.splitlines()[0].startswith("tenant,display_name,tier,role,repos")
    bad = run_cli("report", "portfolio", "--config", str(config), "--format", "pdf")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
