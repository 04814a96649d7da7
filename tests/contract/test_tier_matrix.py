"""Every feature of tiers.yaml x every tier, tried against every backend.

The subject is the tenant's owner (the role grants everything), so every refusal is the
tier's: an operation must pass the tier decision exactly when the tier switches its
feature on, a refusal is a PermissionDenied naming tiers.yaml, and it is audited as
``denied``. Over the tenant API, a tier without ``remote_api`` is refused everything.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from coditect_tui.core.backend import Backend
from coditect_tui.core.errors import BackendError, PermissionDenied
from coditect_tui.core.evidence import write_evidence_pack
from coditect_tui.core.models import (
    Action,
    GitSessionSpec,
    MemoryEntrySpec,
    ProjectSpec,
    RepoSpec,
    Resource,
    StatusSnapshotSpec,
    utcnow,
)
from coditect_tui.core.policy import KNOWN_FEATURES, shipped_policy
from tests.contract.harness import Harness

POLICY = shipped_policy()
REMOTE = {"remote-asgi", "remote-pg"}
Call = Callable[[Backend, Path], Awaitable[Any]]


async def _drain(iterator: Any) -> list[Any]:
    return [item async for item in iterator]


def _session() -> GitSessionSpec:
    return GitSessionSpec(
        repo_id="no-such-repo", session_key="k", description="d", branch="b", started_at=utcnow()
    )


#: Per feature: (needs, call). ``needs`` lists the features of which any one lets the
#: call past the tier (dashboards read projects, repos and sessions too). Calls on rows
#: that do not exist pass the tier and then fail with NotFound/Conflict: only a
#: PermissionDenied is a refusal.
PROBES: dict[str, list[tuple[frozenset[str], str, Call]]] = {
    "projects": [
        (
            frozenset({"projects"}),
            "upsert_project",
            lambda b, t: b.upsert_project(ProjectSpec(name="p")),
        ),
        (
            frozenset({"projects"}),
            "upsert_repo",
            lambda b, t: b.upsert_repo(RepoSpec(project_id="no-such", path="/r", name="r")),
        ),
        (frozenset({"projects", "dashboard"}), "list_projects", lambda b, t: b.list_projects()),
        (frozenset({"projects", "dashboard"}), "list_repos", lambda b, t: b.list_repos()),
    ],
    "git_sessions": [
        (frozenset({"git_sessions"}), "create_session", lambda b, t: b.create_session(_session())),
        (
            frozenset({"git_sessions"}),
            "record_event",
            lambda b, t: b.record_event(Resource.SESSIONS, Action.UPDATE, "sessions.push", None),
        ),
        (
            frozenset({"git_sessions"}),
            "authorize_event",
            lambda b, t: b.authorize_event(Resource.SESSIONS, Action.UPDATE, "sessions.commit"),
        ),
        (frozenset({"git_sessions", "dashboard"}), "list_sessions", lambda b, t: b.list_sessions()),
    ],
    "memory": [
        (
            frozenset({"memory"}),
            "upsert_memory_entry",
            lambda b, t: b.upsert_memory_entry(
                MemoryEntrySpec(path="m.md", kind="note", title="t")
            ),
        ),
        (frozenset({"memory"}), "list_memory_entries", lambda b, t: b.list_memory_entries()),
        (frozenset({"memory"}), "count_memory_entries", lambda b, t: b.count_memory_entries()),
        (frozenset({"memory"}), "export_memory", lambda b, t: _drain(b.export_memory())),
    ],
    "dashboard": [
        (frozenset({"dashboard"}), "list_status", lambda b, t: b.list_status()),
        (
            frozenset({"dashboard"}),
            "record_status",
            lambda b, t: b.record_status(StatusSnapshotSpec(summary={})),
        ),
    ],
    "audit": [
        (frozenset({"audit"}), "query_audit", lambda b, t: b.query_audit(limit=1)),
        (frozenset({"audit"}), "verify_audit", lambda b, t: b.verify_audit()),
        (frozenset({"audit"}), "audit_head", lambda b, t: b.audit_head()),
    ],
    "audit_export": [
        (frozenset({"audit_export"}), "export_audit", lambda b, t: _drain(b.export_audit())),
    ],
    "evidence_packs": [
        (
            frozenset({"evidence_packs"}),
            "write_evidence_pack",
            lambda b, t: write_evidence_pack(b, t / "pack"),
        ),
    ],
    "portfolio": [
        (frozenset({"portfolio"}), "list_tenants", lambda b, t: b.list_tenants()),
    ],
    "api_keys": [
        (frozenset({"api_keys"}), "create_api_key", lambda b, t: b.create_api_key()),
        (frozenset({"api_keys"}), "list_api_keys", lambda b, t: b.list_api_keys()),
    ],
    # the remaining features gate no backend call: remote_api is the tenant API itself
    # (every call above, over a remote harness); advisor_view and branding are
    # presentation (tests/dashboard/test_views.py, tests/unit/test_tier_features.py)
    "remote_api": [],
    "advisor_view": [],
    "branding": [],
}


def test_every_feature_has_its_probes() -> None:
    assert set(PROBES) == KNOWN_FEATURES
    every_tier_feature = {f for tier in POLICY.tiers.values() for f in tier.features}
    assert every_tier_feature <= set(PROBES)


def _denials(harness: Harness) -> int:
    rows = harness.snapshot()["audit_events"]
    return sum(1 for row in rows if "denied" in row and "tiers.yaml" in repr(row))


@pytest.mark.parametrize("tier", sorted(POLICY.tiers))
async def test_tier_matrix(harness: Harness, tier: str, tmp_path: Path) -> None:
    features = set(POLICY.tier(tier).features)
    api_refused = harness.name in REMOTE and "remote_api" not in features
    subject = await harness.open(f"t-{tier.replace('_', '-')}", "olivia", "owner", tier=tier)
    failures: list[str] = []
    refused = 0
    try:
        for feature, probes in PROBES.items():
            # a tenant without remote_api is refused every call alike: one per feature
            # keeps the walk within the tier's small burst (the client would wait out a 429)
            for needs, name, call in probes[:1] if api_refused else probes:
                want = not api_refused and not needs.isdisjoint(features)
                try:
                    await call(subject, tmp_path / name)
                    allowed = True
                except PermissionDenied as exc:
                    allowed = False
                    refused += 1
                    if "tiers.yaml" not in str(exc):
                        failures.append(f"{feature} {name}: refused, but not by the tier: {exc}")
                except BackendError:
                    allowed = True  # past the tier (a missing row, a quota)
                if allowed != want:
                    failures.append(
                        f"{tier} {feature} {name}: allowed={allowed}, tiers.yaml={want}"
                    )
    finally:
        await subject.close()
    assert not failures, "\n".join(failures)
    # an evidence pack is refused by the pack writer before the backend exports anything
    # (the export it needs is the backend's audit_export decision): no row of its own
    client_side = 0 if api_refused or "evidence_packs" in features else 1
    assert _denials(harness) == refused - client_side
