"""Feature flags in the policy: flags.yaml (validated with file, line and key), the
deterministic rollout, and the precedence stakeholder > tenant > rollout > tier, with
stored overrides below the ceiling."""

from __future__ import annotations

import hashlib
import math
import shutil
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from coditect_tui.core.errors import ConfigError, PermissionDenied
from coditect_tui.core.flags import FeatureFlag, FeatureSubject, rollout_bucket
from coditect_tui.core.models import Action, Resource
from coditect_tui.core.paths import shipped_config_dir
from coditect_tui.core.policy import Policy, shipped_policy

#: 1000 tenant ids as the store makes them (uuid4 text), fixed by a seed
TENANT_IDS = [str(uuid.UUID(int=n * 0x9E3779B97F4A7C15 % 2**128, version=4)) for n in range(1000)]
ACME = "3f0b2c56-1d7e-4c1a-9a43-5d2b8e6f7a10"


def _policy(tmp_path: Path, flags_yaml: str) -> Policy:
    config = tmp_path / "config"
    shutil.copytree(shipped_config_dir(), config)
    (config / "flags.yaml").write_text(flags_yaml)
    return Policy.load(config)


def _flag(feature: str, enabled: bool, stakeholder: str | None = None) -> FeatureFlag:
    moment = datetime(2026, 12, 3, tzinfo=UTC)
    return FeatureFlag(
        feature=feature,
        stakeholder=stakeholder,
        enabled=enabled,
        updated_by="olivia",
        updated_at=moment,
    )


def test_the_shipped_flags_file_is_empty_and_valid() -> None:
    assert shipped_policy().flags == {}
    assert (shipped_config_dir() / "flags.yaml").read_text().count("#") > 5  # the example


def test_rollout_buckets_are_stable_across_processes() -> None:
    """sha256, not hash(): another interpreter (another PYTHONHASHSEED) agrees."""
    mine = [rollout_bucket("memory", t) for t in TENANT_IDS[:50]]
    code = (
        "import sys, json; from coditect_tui.core.flags import rollout_bucket; "
        "print(json.dumps([rollout_bucket('memory', t) for t in sys.argv[1:]]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *TENANT_IDS[:50]],
        check=True,
        capture_output=True,
        text=True,
        env={"PYTHONHASHSEED": "12345"},
    ).stdout
    assert [int(x) for x in out.strip("[]\n").split(",")] == mine
    # the documented formula (changing it would move every tenant's rollout)
    documented = int(hashlib.sha256(f"memory:{ACME}".encode()).hexdigest()[:16], 16) % 100
    assert rollout_bucket("memory", ACME) == documented


def test_rollout_share_is_the_percentage_within_binomial_tolerance() -> None:
    n = len(TENANT_IDS)
    for percent in (1, 10, 25, 50, 90):
        inside = sum(rollout_bucket("evidence_packs", t) < percent for t in TENANT_IDS)
        p = percent / 100
        tolerance = 4 * math.sqrt(n * p * (1 - p))  # four standard deviations
        assert abs(inside - n * p) <= tolerance, (percent, inside, tolerance)
    # raising the percentage only adds tenants; features roll out independently
    at10 = {t for t in TENANT_IDS if rollout_bucket("memory", t) < 10}
    at20 = {t for t in TENANT_IDS if rollout_bucket("memory", t) < 20}
    other = {t for t in TENANT_IDS if rollout_bucket("branding", t) < 10}
    assert at10 < at20 and at10 != other


def test_precedence_stakeholder_tenant_rollout_tier(tmp_path: Path) -> None:
    policy = _policy(
        tmp_path,
        "flags:\n"
        "  evidence_packs:\n"
        "    rollout: {percent: 100, tiers: [customer_team]}\n"
        "    tenants: {acme: false}\n"
        "    stakeholders: {acme/alice: true}\n",
    )

    def on(tier: str, name: str = "acme", principal: str = "bob", tid: str = ACME) -> str:
        decision = policy.feature_decision(
            FeatureSubject(tier, tid, name, principal), "evidence_packs"
        )
        return f"{decision.on}:{decision.source}"

    # the rollout reaches only its tiers; the tier's default elsewhere
    assert on("customer_team", name="other") == "True:rollout"
    assert on("customer_individual", name="other") == "False:tier"
    assert on("customer_business", name="other") == "True:tier"
    # tenant beats rollout (by name, or by id), stakeholder beats tenant
    assert on("customer_team") == "False:flags.yaml tenant"
    assert on("customer_team", principal="alice") == "True:flags.yaml stakeholder"
    # a stakeholder is one principal of one tenant: alice elsewhere is not acme's alice
    assert on("customer_team", name="other", principal="alice") == "True:rollout"
    assert on("customer_individual", name="other", principal="alice") == "False:tier"
    # a bare tier name is decided by the tier alone; an unknown tier has nothing
    assert not policy.has_feature("customer_individual", "evidence_packs")
    assert not policy.has_feature(FeatureSubject("nope", ACME, "acme", "alice"), "evidence_packs")


def test_stored_overrides_act_below_the_ceiling(tmp_path: Path) -> None:
    policy = _policy(tmp_path, "flags:\n  branding:\n    tenants: {acme: true}\n")
    stored = (_flag("memory", False), _flag("memory", True, "alice"), _flag("audit", True))
    subject = FeatureSubject("customer_individual", ACME, "acme", "bob", stored)
    alice = FeatureSubject("customer_individual", ACME, "acme", "alice", stored)
    assert policy.feature_decision(subject, "memory").source == "tenant override"
    assert not policy.has_feature(subject, "memory")
    assert policy.feature_decision(alice, "memory").source == "stakeholder override"
    assert policy.has_feature(alice, "memory")
    # stored "on" cannot lift what the tier leaves off; flags.yaml can
    assert not policy.has_feature(FeatureSubject("advisor", ACME, "acme", "bob", stored), "audit")
    assert policy.has_feature(subject, "branding")
    assert not policy.has_feature(FeatureSubject("customer_individual", "x", "beta"), "branding")
    stored_off = (_flag("branding", False),)
    assert not policy.has_feature(
        FeatureSubject("customer_individual", ACME, "acme", "b", stored_off), "branding"
    )


def test_authorize_names_the_flag_that_refused(tmp_path: Path) -> None:
    policy = _policy(tmp_path, "flags:\n  memory:\n    tenants: {acme: false}\n")
    kwargs = {"role": "owner", "principal": "olivia", "resource": Resource.MEMORY}
    subject = FeatureSubject("internal", ACME, "acme", "olivia")
    with pytest.raises(PermissionDenied, match=r"memory is switched off .*flags.yaml tenant"):
        policy.authorize(tier=subject, action=Action.READ, **kwargs)  # type: ignore[arg-type]
    policy.authorize(tier="internal", action=Action.READ, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("flags:\n  memroy:\n    tenants: {acme: false}\n", 2, "did you mean 'memory'"),
        ("flags:\n  memory:\n    rollout: {percent: 101}\n", 3, "less than or equal to 100"),
        (
            "flags:\n  memory:\n    rollout:\n      percent: 5\n      tiers: [vendr]\n",
            5,
            "'vendor'",
        ),
        ("flags:\n  memory:\n    stakeholders:\n      alice: true\n", 4, "<tenant>/<principal>"),
        ("flags:\n  memory:\n    tenants:\n      acme: maybe\n", 4, "valid boolean"),
        ("flags:\n  memory:\n    tenant: {acme: false}\n", 3, "did you mean 'tenants'"),
    ],
)
def test_invalid_flags_files(tmp_path: Path, text: str, line: int, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        _policy(tmp_path, text)
    path = tmp_path / "config" / "flags.yaml"
    assert str(info.value).startswith(f"{path}:{line}: "), str(info.value)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_a_config_dir_without_flags_yaml_has_no_flags(tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(shipped_config_dir(), config)
    (config / "flags.yaml").unlink()
    assert Policy.load(config).flags == {}
