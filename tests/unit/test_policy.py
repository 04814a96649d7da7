"""roles.yaml and tiers.yaml: shipped files load; invalid files name file, line and key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from coditect_tui.core.errors import ConfigError, PermissionDenied, QuotaExceeded, ReadOnly
from coditect_tui.core.models import Action, Resource, Scope
from coditect_tui.core.paths import shipped_config_dir
from coditect_tui.core.policy import Policy, shipped_policy

TIERS = {
    "internal",
    "customer_individual",
    "customer_team",
    "customer_business",
    "customer_enterprise",
    "consultant",
    "vendor",
    "advisor",
    "auditor",
}
ROLES = {"viewer", "editor", "admin", "owner", "support", "auditor", "consultant"}


def test_shipped_files_have_every_role_and_tier() -> None:
    policy = shipped_policy()
    assert set(policy.roles) == ROLES
    assert set(policy.tiers) == TIERS
    assert policy.tier("customer_enterprise").quotas.projects == -1
    assert policy.role("auditor").read_only and policy.role("auditor").audit_reads


def test_authorize_scopes_and_read_only() -> None:
    policy = shipped_policy()
    kwargs = {"principal": "me", "tier": "internal", "resource": Resource.SESSIONS}
    assert policy.authorize(role="editor", action=Action.UPDATE, owner="me", **kwargs) is Scope.OWN  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied, match="only its own"):
        policy.authorize(role="editor", action=Action.UPDATE, owner="you", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ReadOnly):
        policy.authorize(role="owner", action=Action.CREATE, read_only=True, **kwargs)  # type: ignore[arg-type]
    assert policy.authorize(role="auditor", action=Action.READ, **kwargs) is Scope.TENANT  # type: ignore[arg-type]


def test_quota_names_tier_and_limit() -> None:
    policy = shipped_policy()
    policy.check_quota("customer_team", "projects", 24)
    with pytest.raises(QuotaExceeded, match="tier 'customer_team' allows at most 25 projects"):
        policy.check_quota("customer_team", "projects", 25)
    policy.check_quota("internal", "members", 10**9)


def test_key_roles_never_exceed() -> None:
    policy = shipped_policy()
    assert policy.is_within("viewer", "editor")
    assert policy.is_within("auditor", "owner")
    assert not policy.is_within("editor", "viewer")
    assert not policy.is_within("editor", "auditor")


def _copy_config(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(shipped_config_dir(), target)
    return target


@pytest.mark.parametrize(
    ("file", "old", "new", "line_of", "message"),
    [
        (
            "roles.yaml",
            "      projects: {read: tenant}\n",
            "      projects: {read: tenant, export: tenant}\n",
            "  viewer:",
            "roles.viewer: Value error, projects.export is not an operation",
        ),
        (
            "roles.yaml",
            "      status: {read: tenant}\n",
            "      status: {read: everyone}\n",
            "      status: {read: everyone}",
            "roles.viewer.permissions.status.read: Input should be 'own' or 'tenant'",
        ),
        (
            "roles.yaml",
            "    read_only: true\n",
            "    readonly: true\n",
            "    readonly: true",
            "unknown key 'readonly' (did you mean 'read_only'?)",
        ),
        (
            "tiers.yaml",
            "    quotas: {projects: 5, members: 1}\n",
            "    quotas: {projects: five, members: 1}\n",
            "    quotas: {projects: five",
            "tiers.customer_individual.quotas.projects",
        ),
        (
            "tiers.yaml",
            "    features: [dashboard, advisor_view]\n",
            "    features: [dashboard, advisor_veiw]\n",
            "    features: [dashboard, advisor_veiw]",
            "unknown feature 'advisor_veiw' (did you mean 'advisor_view'?)",
        ),
    ],
)
def test_invalid_policy_files(
    tmp_path: Path, file: str, old: str, new: str, line_of: str, message: str
) -> None:
    config = _copy_config(tmp_path)
    path = config / file
    text = path.read_text()
    assert old in text
    text = text.replace(old, new, 1)
    path.write_text(text)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if row.startswith(line_of))
    with pytest.raises(ConfigError) as info:
        Policy.load(config)
    assert str(info.value).startswith(f"{path}:{line}: ")
    assert message in str(info.value)
