"""Why a change would be refused, said in a user's words before any dialog opens.

The decision is the policy the backends enforce (roles.yaml and tiers.yaml, through
:meth:`~coditect_tui.core.policy.Policy.authorize`) applied to the open tenant's
principal, so it cannot drift from what the backend would answer; the backend still
refuses on its own. Only the wording is decided here.

Importing this module loads neither pydantic nor the policy (the app's table of changes
is read before the first paint); :func:`refusal` loads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coditect_tui.core.flags import FeatureSubject
    from coditect_tui.core.policy import Policy


@dataclass(frozen=True)
class Change:
    """One thing a user can ask for that the backend authorizes.

    Attributes:
        phrase: what the user wanted, after "you can't" (e.g. ``start git sessions``).
        resource: the backend operation's resource (a ``Resource`` value); None for a
            change on this machine only (an editor, a shell), which read-only mode
            refuses and nothing else does.
        action: the backend operation's action (an ``Action`` value).
        feature: a tiers.yaml feature needed on top of the operation's own.
    """

    phrase: str
    resource: str | None = None
    action: str = "update"
    feature: str | None = None

    @property
    def writes(self) -> bool:
        """Whether read-only mode refuses it (reads and exports are allowed)."""
        return self.resource is None or self.action not in ("read", "export")


def refusal(
    change: Change,
    *,
    role: str,
    tier: str | FeatureSubject,
    read_only: str | None = None,
    policy: Policy | None = None,
) -> str | None:
    """The one line that says why ``change`` would be refused, or None when allowed.

    Args:
        change: what the user asked for.
        role: the principal's role in the open tenant (the backend's ``whoami``).
        tier: the tenant's tier, or the subject features are decided for (the tier with
            the tenant's stored overrides).
        read_only: why the session is read-only whatever the role (e.g. ``--read-only``),
            or None.
        policy: the roles and tiers (default: the shipped ones).

    Returns:
        ``Read-only: you can't start git sessions in this tenant (auditor role).`` and
        the like, or None.
    """
    from coditect_tui.core.errors import ConfigError, PermissionDenied, ReadOnly
    from coditect_tui.core.models import Action, Resource
    from coditect_tui.core.policy import OPERATION_FEATURES, shipped_policy

    policy = policy or shipped_policy()
    try:
        role_read_only = policy.is_read_only(role)
    except ConfigError:
        role_read_only = False  # a role this machine does not know: the backend decides
    if change.writes and (role_read_only or read_only):
        why = f"{role} role" if role_read_only else read_only
        return f"Read-only: you can't {change.phrase} in this tenant ({why})."
    if change.resource is None or role not in policy.roles:
        return None
    resource, action = Resource(change.resource), Action(change.action)
    needs = set(OPERATION_FEATURES.get((resource, action), ()))
    try:
        policy.authorize(role=role, principal="", tier=tier, resource=resource, action=action)
        if change.feature:
            needs = {change.feature}
            policy.check_feature(tier, change.feature, change.phrase)
    except ReadOnly:
        return f"Read-only: you can't {change.phrase} in this tenant ({role} role)."
    except PermissionDenied:
        if needs and not policy.has_feature(tier, needs):
            names = " or ".join(sorted(needs)).replace("_", " ")
            tier_name = tier if isinstance(tier, str) else tier.tier
            return (
                f"Not in this tenant's tier: you can't {change.phrase} "
                f"({tier_name} has no {names})."
            )
        return f"Not allowed: you can't {change.phrase} in this tenant ({role} role)."
    return None
