"""The tiers.yaml features that gate no backend call: a theme's brand in the header
(``branding``) and the aggregate view (``advisor_view``), decided by the same Policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from coditect_tui.core.errors import PermissionDenied
from coditect_tui.core.policy import shipped_policy
from coditect_tui.core.views import load_views
from tests.ui.conftest import write_config
from tests.unit.test_boot_key import resolve_boot

POLICY = shipped_policy()


@pytest.mark.parametrize("tier", sorted(POLICY.tiers))
def test_a_brand_needs_the_branding_feature(tier: str, tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "config.yaml",
        [
            {
                "name": "acme",
                "principal": "alice",
                "role": "owner",
                "tier": tier,
                "theme": "acme-brand",
                "backend": {"kind": "local", "path": str(tmp_path / "s.db")},
            }
        ],
    )
    boot = resolve_boot(config)
    branded = "branding" in POLICY.tier(tier).features
    assert boot.brand == ("ACME Engineering" if branded else "CODITECT")


@pytest.mark.parametrize("tier", sorted(POLICY.tiers))
def test_the_advisor_view_needs_its_feature(tier: str) -> None:
    offered = {v.name for v in load_views().views_for(role="owner", tier=tier)}
    assert ("advisor" in offered) == ("advisor_view" in POLICY.tier(tier).features)


def test_a_tier_refusal_names_the_tier_and_the_feature() -> None:
    with pytest.raises(PermissionDenied) as refused:
        POLICY.check_feature("customer_individual", "audit_export", "audit.export")
    assert str(refused.value) == (
        "tier 'customer_individual' does not include audit_export (tiers.yaml): "
        "audit.export is refused"
    )
    with pytest.raises(PermissionDenied, match="not defined"):
        POLICY.check_feature("platinum", "audit", "audit.read")
