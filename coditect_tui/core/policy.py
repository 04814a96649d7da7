"""Roles, tiers, feature flags and the one ``authorize()`` every backend method calls.

The matrix comes from config/roles.yaml, the tiers from config/tiers.yaml, the feature
flags from config/flags.yaml (all shipped); nothing here trusts the UI. ``authorize()``
decides the tier (``check_feature``: is the feature the operation needs,
``OPERATION_FEATURES``, on for this subject: the tenant's tier, then flags.yaml and the
tenant's stored overrides, ``feature_decision``) and then the role; every store method
and every server route passes through it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from coditect_tui.core.errors import ConfigError, PermissionDenied, QuotaExceeded, ReadOnly
from coditect_tui.core.flags import (
    TIER,
    FeatureDecision,
    FeatureSubject,
    FlagRule,
    FlagsFile,
    check_flags_file,
    decide,
)
from coditect_tui.core.paths import shipped_config_dir
from coditect_tui.core.permissions import Action, Resource, Scope
from coditect_tui.core.yamlio import load_yaml, validate

#: The (resource, action) pairs that correspond to a backend operation. roles.yaml may
#: grant only these; the role-matrix test tries every one against every backend.
OPERATIONS: dict[Resource, frozenset[Action]] = {
    Resource.PROJECTS: frozenset({Action.READ, Action.CREATE, Action.UPDATE, Action.DELETE}),
    Resource.REPOS: frozenset({Action.READ, Action.CREATE, Action.UPDATE, Action.DELETE}),
    Resource.SESSIONS: frozenset({Action.READ, Action.CREATE, Action.UPDATE, Action.DELETE}),
    Resource.MEMORY: frozenset(
        {Action.READ, Action.CREATE, Action.UPDATE, Action.DELETE, Action.EXPORT}
    ),
    Resource.STATUS: frozenset({Action.READ, Action.CREATE, Action.DELETE}),
    Resource.MEMBERS: frozenset(
        {Action.READ, Action.CREATE, Action.UPDATE, Action.DELETE, Action.ADMIN}
    ),
    Resource.API_KEYS: frozenset({Action.READ, Action.CREATE, Action.DELETE, Action.ADMIN}),
    Resource.AUDIT: frozenset({Action.READ, Action.EXPORT, Action.ADMIN}),
    Resource.WEBHOOKS: frozenset({Action.READ, Action.CREATE, Action.DELETE}),
}

#: Roles that only a principal holding ``members.admin`` may grant, change or remove.
PRIVILEGED_ROLES = frozenset({"owner", "admin"})

_Strict = ConfigDict(extra="forbid", frozen=True)


class RoleDef(BaseModel):
    """One role of roles.yaml."""

    model_config = _Strict
    description: str = ""
    read_only: bool = False
    audit_reads: bool = False
    requires_key_expiry: bool = False
    requires_grant_expiry: bool = False
    permissions: dict[Resource, dict[Action, Scope]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _only_known_pairs(self) -> RoleDef:
        for resource, actions in self.permissions.items():
            for action in actions:
                if action not in OPERATIONS[resource]:
                    valid = ", ".join(sorted(OPERATIONS[resource]))
                    raise ValueError(
                        f"{resource}.{action} is not an operation (valid for {resource}: {valid})"
                    )
        return self


class RolesFile(BaseModel):
    """roles.yaml."""

    model_config = _Strict
    roles: dict[str, RoleDef]


KNOWN_FEATURES = frozenset(
    {
        "projects",
        "git_sessions",
        "memory",
        "dashboard",
        "audit",
        "audit_export",
        "evidence_packs",
        "portfolio",
        "advisor_view",
        "remote_api",
        "api_keys",
        "branding",
    }
)


#: The tiers.yaml features that switch on each backend operation (any one of them is
#: enough). Reads of projects, repos and sessions also serve the dashboards, so a
#: dashboard-only tier (advisor) may read them but not change them. Members need no
#: feature: every tenant manages who belongs to it.
_FEATURES_BY_RESOURCE: dict[Resource, tuple[frozenset[str], frozenset[str]]] = {
    # resource: (features for a read, features for any other action)
    Resource.PROJECTS: (frozenset({"projects", "dashboard"}), frozenset({"projects"})),
    Resource.REPOS: (frozenset({"projects", "dashboard"}), frozenset({"projects"})),
    Resource.SESSIONS: (frozenset({"git_sessions", "dashboard"}), frozenset({"git_sessions"})),
    Resource.MEMORY: (frozenset({"memory"}), frozenset({"memory"})),
    Resource.STATUS: (frozenset({"dashboard"}), frozenset({"dashboard"})),
    Resource.API_KEYS: (frozenset({"api_keys"}), frozenset({"api_keys"})),
    Resource.AUDIT: (frozenset({"audit"}), frozenset({"audit"})),
    # webhooks are delivered by the tenant API server: a tier without it has none
    Resource.WEBHOOKS: (frozenset({"remote_api"}), frozenset({"remote_api"})),
}
OPERATION_FEATURES: dict[tuple[Resource, Action], frozenset[str]] = {
    (resource, action): reads if action is Action.READ else others
    for resource, (reads, others) in _FEATURES_BY_RESOURCE.items()
    for action in OPERATIONS[resource]
} | {(Resource.AUDIT, Action.EXPORT): frozenset({"audit_export"})}

#: Features that gate something other than one (resource, action) pair, and where.
#: ``portfolio``: listing the principal's tenants (``list_tenants``); ``remote_api``:
#: every request to the tenant API server; ``evidence_packs``: building a pack (on top of
#: ``audit_export``); ``advisor_view``: the aggregate dashboard view (views.yaml's
#: ``feature``, ``has_feature``); ``branding``: a theme's brand name in the header.
PORTFOLIO = "portfolio"
REMOTE_API = "remote_api"
EVIDENCE_PACKS = "evidence_packs"
BRANDING = "branding"
#: The header's name when the tier has no branding (or the theme names no brand).
DEFAULT_BRAND = "CODITECT"


class Quotas(BaseModel):
    """How many of each thing a tenant may hold; -1 is unlimited."""

    model_config = _Strict
    projects: int = Field(ge=-1)
    members: int = Field(ge=-1)


class RateLimits(BaseModel):
    """Tenant API rate limits; -1 is unlimited."""

    model_config = _Strict
    requests_per_minute: int = Field(ge=-1)
    burst: int = Field(ge=-1)


class TierDef(BaseModel):
    """One tier of tiers.yaml."""

    model_config = _Strict
    description: str = ""
    features: list[str]
    quotas: Quotas
    rate_limits: RateLimits

    @field_validator("features")
    @classmethod
    def _known_features(cls, value: list[str]) -> list[str]:
        for feature in value:
            if feature not in KNOWN_FEATURES:
                close = difflib.get_close_matches(feature, sorted(KNOWN_FEATURES), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ValueError(f"unknown feature {feature!r}{hint}")
        return value


class TiersFile(BaseModel):
    """tiers.yaml."""

    model_config = _Strict
    tiers: dict[str, TierDef]


#: A tier name, or the full subject of a feature decision (tier, tenant, principal and
#: stored overrides). A bare tier name is decided by the tier alone.
TierOrSubject = str | FeatureSubject


class Policy:
    """The loaded permission matrix, tiers and feature flags; answers every authorization
    question."""

    def __init__(
        self,
        roles: dict[str, RoleDef],
        tiers: dict[str, TierDef],
        flags: dict[str, FlagRule] | None = None,
    ) -> None:
        self.roles = roles
        self.tiers = tiers
        self.flags = flags or {}

    @classmethod
    def load(cls, config_dir: Path | None = None) -> Policy:
        """Load roles.yaml, tiers.yaml and flags.yaml from ``config_dir`` (default: the
        shipped ones). flags.yaml may be absent from ``config_dir`` (no flags).

        Raises:
            ConfigError: a file is missing or invalid (file:line and key in the message).
        """
        base = config_dir or shipped_config_dir()
        shipped = config_dir is None
        roles = validate(load_yaml(base / "roles.yaml", shipped=shipped), RolesFile).roles
        tiers = validate(load_yaml(base / "tiers.yaml", shipped=shipped), TiersFile).tiers
        flags: dict[str, FlagRule] = {}
        if (base / "flags.yaml").exists() or shipped:
            doc = load_yaml(base / "flags.yaml", shipped=shipped)
            parsed = validate(doc, FlagsFile)
            check_flags_file(doc, parsed, KNOWN_FEATURES, set(tiers))
            flags = parsed.flags
        return cls(roles, tiers, flags)

    def role(self, name: str) -> RoleDef:
        """The definition of ``name``.

        Raises:
            ConfigError: no such role (with a suggestion).
        """
        try:
            return self.roles[name]
        except KeyError:
            raise ConfigError(unknown_name("role", name, self.roles)) from None

    def tier(self, name: str) -> TierDef:
        """The definition of ``name``.

        Raises:
            ConfigError: no such tier (with a suggestion).
        """
        try:
            return self.tiers[name]
        except KeyError:
            raise ConfigError(unknown_name("tier", name, self.tiers)) from None

    def scope(self, role: str, resource: Resource, action: Action) -> Scope | None:
        """The scope ``role`` holds for ``resource.action``, or None when denied."""
        return self.role(role).permissions.get(resource, {}).get(action)

    def feature_decision(self, subject: TierOrSubject, feature: str) -> FeatureDecision:
        """Whether ``feature`` is on for ``subject``, and which rule decided.

        Precedence (strongest first): a stored stakeholder override, a stored tenant
        override (both only where the layers below leave the feature on), a flags.yaml
        stakeholder entry, a flags.yaml tenant entry, the flags.yaml rollout, the tier.
        An unknown tier has no feature, whatever the flags say.

        Args:
            subject: a tier name, or the tenant, principal and stored overrides.
            feature: the tiers.yaml feature.

        Returns:
            The decision and its source (``coditect_tui.core.flags``).
        """
        if isinstance(subject, str):
            subject = FeatureSubject(subject)
        definition = self.tiers.get(subject.tier)
        if definition is None:
            return FeatureDecision(False, TIER)
        return decide(subject, feature, feature in definition.features, self.flags.get(feature))

    def has_feature(self, tier: TierOrSubject, features: str | Iterable[str]) -> bool:
        """Whether ``features`` (one of them, for a collection) is on for ``tier``: a tier
        name (the tier alone) or a subject (with feature flags, ``feature_decision``).

        An unknown tier has no feature.
        """
        wanted = {features} if isinstance(features, str) else set(features)
        if isinstance(tier, str) or (not self.flags and not tier.overrides):
            definition = self.tiers.get(tier if isinstance(tier, str) else tier.tier)
            return definition is not None and not wanted.isdisjoint(definition.features)
        return any(self.feature_decision(tier, feature).on for feature in wanted)

    def check_feature(self, tier: TierOrSubject, features: str | Iterable[str], what: str) -> None:
        """The tier decision: refuse ``what`` unless (one of) ``features`` is on.

        Args:
            tier: the tenant's tier, or the subject (tier, tenant, principal and stored
                overrides) when feature flags apply.
            features: the feature ``what`` needs, or several of which any one is enough.
            what: the refused thing, for the message (e.g. ``audit.export``).

        Raises:
            PermissionDenied: the feature is off (the message names the tier, or the
                flag that switched it off), or the tier is not defined in tiers.yaml.
        """
        if self.has_feature(tier, features):
            return
        name = tier if isinstance(tier, str) else tier.tier
        if name not in self.tiers:
            raise PermissionDenied(f"tier {name!r} is not defined (tiers.yaml): {what} is refused")
        wanted = sorted({features} if isinstance(features, str) else set(features))
        names = " or ".join(wanted)
        switched = [
            d.source for f in wanted if (d := self.feature_decision(tier, f)).source != TIER
        ]
        if switched:
            raise PermissionDenied(
                f"{names} is switched off for this tenant ({', '.join(switched)}): "
                f"{what} is refused"
            )
        raise PermissionDenied(
            f"tier {name!r} does not include {names} (tiers.yaml): {what} is refused"
        )

    def check_tier(self, tier: TierOrSubject, resource: Resource, action: Action | None) -> None:
        """The tier decision for one operation of the matrix (``OPERATION_FEATURES``).

        Args:
            tier: the tenant's tier, or the subject when feature flags apply.
            resource: what is acted on.
            action: the action; None for an upsert decided after a lookup (create and
                update need the same feature, so the tier is decided before the lookup).

        Raises:
            PermissionDenied: the tier lacks the operation's feature.
        """
        key = (resource, action or Action.CREATE)
        needs = OPERATION_FEATURES.get(key)
        if needs is not None:
            self.check_feature(tier, needs, f"{resource}.{action or 'write'}")

    def brand(self, tier: TierOrSubject, theme_brand: object) -> str:
        """The name the header shows: a theme's ``brand`` only when ``tier`` includes
        ``branding``, else ``CODITECT``.

        Args:
            tier: the tenant's tier.
            theme_brand: the theme's ``brand`` field (None or empty: none).

        Returns:
            The brand name to show.
        """
        if theme_brand and self.has_feature(tier, BRANDING):
            return str(theme_brand)
        return DEFAULT_BRAND

    def authorize(
        self,
        *,
        role: str,
        principal: str,
        tier: TierOrSubject,
        resource: Resource,
        action: Action,
        owner: str | None = None,
        read_only: bool = False,
    ) -> Scope:
        """Decide whether ``principal`` acting as ``role`` may do ``action`` on ``resource``.

        The tier is decided first (``OPERATION_FEATURES``), then the role.

        Args:
            role: the principal's role in the open tenant.
            principal: who is acting.
            tier: the open tenant's tier, or the subject (feature flags apply then).
            resource: what is acted on.
            action: what is done.
            owner: who created the row acted on, when the call is about one row; an ``own``
                scope then requires ``owner == principal``. None for lists and creates.
            read_only: the backend is open read-only.

        Returns:
            The granted scope (the caller filters lists to own rows for ``Scope.OWN``).

        Raises:
            ReadOnly: a mutating action while read-only (or the role is read-only).
            PermissionDenied: the tier lacks the operation's feature; the matrix does not
                grant it, or grants it only for own rows and the row belongs to someone else.
        """
        self.check_tier(tier, resource, action)
        definition = self.role(role)
        if (
            action is not Action.READ
            and action is not Action.EXPORT
            and (read_only or definition.read_only)
        ):
            raise ReadOnly(f"read-only: {resource}.{action} is refused")
        scope = definition.permissions.get(resource, {}).get(action)
        if scope is None:
            raise PermissionDenied(f"role {role!r} may not {action} {resource}")
        if scope is Scope.OWN and owner is not None and owner != principal:
            raise PermissionDenied(f"role {role!r} may {action} only its own {resource}")
        return scope

    def check_quota(self, tier_name: str, kind: str, current: int) -> None:
        """Refuse one more ``kind`` (projects or members) beyond the tier's quota.

        Raises:
            QuotaExceeded: naming the tier and the limit.
        """
        limit = getattr(self.tier(tier_name).quotas, kind)
        if limit != -1 and current >= limit:
            raise QuotaExceeded(f"tier {tier_name!r} allows at most {limit} {kind}")

    def is_within(self, role: str, other: str) -> bool:
        """Whether everything ``role`` may do, ``other`` may do too (keys never exceed)."""
        inner, outer = self.role(role), self.role(other)
        if outer.read_only and not inner.read_only:
            return False
        for resource, actions in inner.permissions.items():
            for action, scope in actions.items():
                granted = outer.permissions.get(resource, {}).get(action)
                if granted is None or (scope is Scope.TENANT and granted is Scope.OWN):
                    return False
        return True

    def audits_reads(self, role: str) -> bool:
        """Whether every read by ``role`` is written to the audit log."""
        return self.role(role).audit_reads

    def is_read_only(self, role: str) -> bool:
        """Whether ``role`` is read-only whatever the matrix says."""
        return self.role(role).read_only


def unknown_name(what: str, name: str, choices: Iterable[str]) -> str:
    """``unknown role 'x' (did you mean 'y'?)`` text."""
    close = difflib.get_close_matches(name, sorted(choices), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown {what} {name!r}{hint}"


@lru_cache(maxsize=4)
def shipped_policy() -> Policy:
    """The policy from the shipped config/ (cached)."""
    return Policy.load()
