"""Feature flags: per-tenant and per-stakeholder overrides of tier features.

Two layers, both decided by :meth:`coditect_tui.core.policy.Policy.feature_decision`:

* ``config/flags.yaml`` (the platform operator's file): per feature a percentage rollout
  keyed on the tenant id, overrides per tenant (id or name) and per stakeholder
  (``<tenant>/<principal>``). Within the file: stakeholder > tenant > rollout > tier.
  The file may switch a feature on beyond the tier: it sets the **ceiling**.
* overrides stored per tenant (``set_flag``, by the tenant's owners and admins): per
  tenant and per stakeholder (a member). Within the ceiling only: a stored override may
  switch a feature off, or back on below a stored tenant-wide "off", never on where the
  tier and flags.yaml leave it off (a tenant cannot buy itself a tier).

A *stakeholder* is one principal of one tenant (a member): roles are the role matrix's
business and whole stakeholder tiers are tiers.yaml's (or a rollout limited to tiers).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from coditect_tui.core.errors import ConfigError
from coditect_tui.core.yamlio import LocatedYaml

_Strict = ConfigDict(extra="forbid", frozen=True)

#: Where a feature decision came from (``FeatureDecision.source``), strongest last.
TIER = "tier"
ROLLOUT = "rollout"
FILE_TENANT = "flags.yaml tenant"
FILE_STAKEHOLDER = "flags.yaml stakeholder"
STORED_TENANT = "tenant override"
STORED_STAKEHOLDER = "stakeholder override"


class Rollout(BaseModel):
    """A percentage rollout: the feature is on for ``percent`` of the tenants (of
    ``tiers``, when given), chosen by :func:`rollout_bucket`; the others keep their
    tier's default."""

    model_config = _Strict
    percent: int = Field(ge=0, le=100)
    tiers: list[str] | None = None


class FlagRule(BaseModel):
    """One feature's entry in flags.yaml."""

    model_config = _Strict
    description: str = ""
    rollout: Rollout | None = None
    #: tenant id or name -> on/off
    tenants: dict[str, StrictBool] = Field(default_factory=dict)
    #: ``<tenant id or name>/<principal>`` -> on/off
    stakeholders: dict[str, StrictBool] = Field(default_factory=dict)


class FlagsFile(BaseModel):
    """flags.yaml."""

    model_config = _Strict
    flags: dict[str, FlagRule] = Field(default_factory=dict)


def check_flags_file(
    doc: LocatedYaml, flags: FlagsFile, known_features: frozenset[str], tiers: set[str]
) -> None:
    """What pydantic cannot check in flags.yaml: known features, known tiers, and
    stakeholders written as ``tenant/principal``.

    Raises:
        ConfigError: the first problem, with file, line and key.
    """
    from coditect_tui.core.policy import unknown_name

    def fail(loc: tuple[str | int, ...], message: str) -> None:
        key = ".".join(str(p) for p in loc)
        raise ConfigError(message, path=doc.path, line=doc.line_of(loc), key=key)

    for feature, rule in flags.flags.items():
        if feature not in known_features:
            fail(("flags", feature), unknown_name("feature", feature, known_features))
        if rule.rollout is not None:
            for i, tier in enumerate(rule.rollout.tiers or ()):
                if tier not in tiers:
                    fail(
                        ("flags", feature, "rollout", "tiers", i), unknown_name("tier", tier, tiers)
                    )
        for name in rule.stakeholders:
            tenant, slash, principal = name.partition("/")
            if not (slash and tenant and principal):
                fail(
                    ("flags", feature, "stakeholders", name),
                    f"stakeholder {name!r} must be written <tenant>/<principal>",
                )


def rollout_bucket(feature: str, tenant_id: str) -> int:
    """The tenant's place (0-99) in ``feature``'s rollout: the first 8 bytes of
    ``sha256(feature + ":" + tenant_id)`` modulo 100.

    Stable across processes, machines and versions (never Python's ``hash()``), and
    independent per feature; raising a percentage only ever adds tenants.
    """
    digest = hashlib.sha256(f"{feature}:{tenant_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100


class FeatureFlag(BaseModel):
    """One stored override of a tier feature in the open tenant.

    Attributes:
        feature: the tiers.yaml feature.
        stakeholder: the member it applies to; None for the whole tenant.
        enabled: on or off.
        updated_by: who set it.
        updated_at: when.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    feature: str
    stakeholder: str | None = None
    enabled: StrictBool
    updated_by: str
    updated_at: datetime


@dataclass(frozen=True)
class FeatureSubject:
    """Who a feature is decided for: the tenant (tier, id, name), the acting principal
    and the tenant's stored overrides (as the handle last read them)."""

    tier: str
    tenant_id: str = ""
    tenant_name: str = ""
    principal: str = ""
    overrides: tuple[FeatureFlag, ...] = ()


@dataclass(frozen=True)
class FeatureDecision:
    """Whether a feature is on for a subject, and which rule said so (``source``)."""

    on: bool
    source: str


def decide(
    subject: FeatureSubject, feature: str, tier_default: bool, rule: FlagRule | None
) -> FeatureDecision:
    """The decision for one feature (see the module docstring for the order).

    Args:
        subject: who it is decided for.
        feature: the feature.
        tier_default: whether the subject's tier switches it on.
        rule: flags.yaml's entry for the feature, if any.

    Returns:
        On or off, and the rule that decided.
    """
    decision = FeatureDecision(tier_default, TIER)
    if rule is not None:
        decision = _file_decision(subject, feature, rule, decision)
    if not decision.on or not subject.overrides:
        return decision  # stored overrides act only below the ceiling
    tenant_wide = stakeholder = None
    for flag in subject.overrides:
        if flag.feature != feature:
            continue
        if flag.stakeholder is None:
            tenant_wide = flag
        elif flag.stakeholder == subject.principal:
            stakeholder = flag
    if stakeholder is not None:
        return FeatureDecision(stakeholder.enabled, STORED_STAKEHOLDER)
    if tenant_wide is not None:
        return FeatureDecision(tenant_wide.enabled, STORED_TENANT)
    return decision


def _file_decision(
    subject: FeatureSubject, feature: str, rule: FlagRule, decision: FeatureDecision
) -> FeatureDecision:
    tenant_keys = [k for k in (subject.tenant_id, subject.tenant_name) if k]
    for key in tenant_keys:
        if subject.principal and f"{key}/{subject.principal}" in rule.stakeholders:
            return FeatureDecision(
                rule.stakeholders[f"{key}/{subject.principal}"], FILE_STAKEHOLDER
            )
    for key in tenant_keys:
        if key in rule.tenants:
            return FeatureDecision(rule.tenants[key], FILE_TENANT)
    rollout = rule.rollout
    if (
        rollout is not None
        and subject.tenant_id
        and (rollout.tiers is None or subject.tier in rollout.tiers)
        and rollout_bucket(feature, subject.tenant_id) < rollout.percent
    ):
        return FeatureDecision(True, ROLLOUT)
    return decision
