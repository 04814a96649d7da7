"""The app's refusals (core/tenant/refusal.py) agree with the backend: for every role, a
few tiers and read-only mode, a change is refused up front exactly when a real SQLite
store refuses its operation (``authorize_event``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from coditect_store.base import Provision
from coditect_store.store import SqlStore
from coditect_tui.core.errors import PermissionDenied, ReadOnly
from coditect_tui.core.models import Action, Resource
from coditect_tui.core.policy import OPERATIONS, shipped_policy
from coditect_tui.core.tenant.refusal import Change, refusal
from coditect_tui.ui.actions import CHANGES

TIERS = ("internal", "vendor", "auditor", "advisor", "customer_team")
#: The changes the backend authorizes (an editor or a shell never reaches it).
BACKEND_CHANGES = {k: c for k, c in CHANGES.items() if c.resource is not None}


async def _backend_allows(store: SqlStore, change: Change) -> bool:
    assert change.resource is not None
    resource, action = Resource(change.resource), Action(change.action)
    try:
        await store.authorize_event(resource, action, f"{resource}.probe")
    except (PermissionDenied, ReadOnly):
        return False
    return True


@pytest.mark.parametrize("tier", TIERS)
async def test_every_role_is_refused_exactly_where_the_backend_refuses(
    tmp_path: Path, tier: str
) -> None:
    policy = shipped_policy()
    for role in sorted(policy.roles):
        for read_only in (False, True):
            db = tmp_path / f"{role}.db"
            provision = Provision("ACME", tier, role)  # the principal acts in this role
            if not db.exists():
                setup = await SqlStore.open_sqlite(
                    db, tenant="acme", principal="p", provision=provision
                )
                await setup.close()
            store = await SqlStore.open_sqlite(
                db, tenant="acme", principal="p", read_only=read_only, provision=provision
            )
            try:
                for binding_id, change in BACKEND_CHANGES.items():
                    allowed = await _backend_allows(store, change)
                    said = refusal(
                        change,
                        role=role,
                        tier=tier,
                        read_only="started with --read-only" if read_only else None,
                    )
                    if change.feature and not policy.has_feature(tier, change.feature):
                        assert said is not None  # the pack needs more than the backend asks
                        continue
                    assert (said is None) == allowed, (role, tier, read_only, binding_id, said)
            finally:
                await store.close()


def test_every_change_names_an_operation_of_the_matrix() -> None:
    for binding_id, change in CHANGES.items():
        if change.resource is not None:
            assert Action(change.action) in OPERATIONS[Resource(change.resource)], binding_id
        if change.feature:
            assert change.feature in shipped_policy().tier("internal").features, binding_id


def test_the_reason_is_named() -> None:
    start = CHANGES["session.start"]
    assert refusal(start, role="auditor", tier="internal") == (
        "Read-only: you can't start git sessions in this tenant (auditor role)."
    )
    assert refusal(start, role="owner", tier="internal", read_only="started with --read-only") == (
        "Read-only: you can't start git sessions in this tenant (started with --read-only)."
    )
    assert refusal(start, role="viewer", tier="internal") == (
        "Not allowed: you can't start git sessions in this tenant (viewer role)."
    )
    assert refusal(start, role="owner", tier="advisor") == (
        "Not in this tenant's tier: you can't start git sessions (advisor has no git sessions)."
    )
    assert refusal(start, role="owner", tier="internal") is None
    # a role this machine does not know: left to the backend
    assert refusal(start, role="from-the-server", tier="internal") is None
    # exports are reads: an auditor may export evidence packs
    assert refusal(CHANGES["audit.export"], role="auditor", tier="internal") is None
