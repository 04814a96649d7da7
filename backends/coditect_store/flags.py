"""Feature flags of the store: the tenant's stored overrides of tier features.

The decision is the policy's (``Policy.feature_decision``, through every ``authorize()``);
this module stores the overrides and keeps the handle's copy current after a change.
"""

from __future__ import annotations

from sqlalchemy import select

from coditect_store.base import StoreBase
from coditect_store.op import Op
from coditect_store.schema import feature_flags, members
from coditect_tui.core.errors import InvalidInput, NotFound
from coditect_tui.core.flags import FeatureFlag
from coditect_tui.core.models import Action, Resource
from coditect_tui.core.policy import KNOWN_FEATURES, PRIVILEGED_ROLES, REMOTE_API, unknown_name

MB = Resource.MEMBERS


def check_flag_feature(feature: str) -> None:
    """Refuse a feature the admin API may not override.

    Raises:
        InvalidInput: not a tiers.yaml feature, or ``remote_api``.
    """
    if feature == REMOTE_API:
        raise InvalidInput(
            f"{REMOTE_API} is decided by the tier and flags.yaml only: switched off here it "
            "would lock the tenant out of the API that switches it back"
        )
    if feature not in KNOWN_FEATURES:
        raise InvalidInput(unknown_name("feature", feature, KNOWN_FEATURES))


def _target(feature: str, stakeholder: str | None) -> str:
    if stakeholder is not None and not stakeholder.strip():
        raise InvalidInput("a stakeholder is a member's name (omit it for the whole tenant)")
    return feature if stakeholder is None else f"{feature}/{stakeholder}"


class FlagsMixin(StoreBase):
    """Stored feature flag overrides of the tenant."""

    async def list_flags(self) -> list[FeatureFlag]:
        async with self._op(MB, Action.READ, method="list_flags") as op:
            return await self._read_flags(op.conn)

    async def set_flag(
        self, feature: str, enabled: bool, *, stakeholder: str | None = None
    ) -> FeatureFlag:
        target = _target(feature, stakeholder)
        check_flag_feature(feature)
        who = (stakeholder,) if stakeholder else ()
        async with self._op(MB, Action.UPDATE, method="set_flag", target=target, names=who) as op:
            await self._check_stakeholder(op, stakeholder)
            key = (
                (feature_flags.c.tenant_id == self._tid)
                & (feature_flags.c.feature == feature)
                & (feature_flags.c.stakeholder == (stakeholder or ""))
            )
            old = (await op.conn.execute(select(feature_flags.c.enabled).where(key))).first()
            await op.conn.execute(feature_flags.delete().where(key))
            flag = FeatureFlag(
                feature=feature,
                stakeholder=stakeholder,
                enabled=enabled,
                updated_by=self._principal,
                updated_at=self._clock(),
            )
            await op.conn.execute(
                feature_flags.insert().values(
                    tenant_id=self._tid,
                    feature=feature,
                    stakeholder=stakeholder or "",
                    enabled=enabled,
                    updated_by=flag.updated_by,
                    updated_at=flag.updated_at,
                )
            )
            op.record(
                "members.flag_set",
                target,
                names=who,
                feature=feature,
                stakeholder=stakeholder,
                enabled=enabled,
                old_enabled=None if old is None else bool(old.enabled),
            )
        await self._load_flags()
        return flag

    async def clear_flag(self, feature: str, *, stakeholder: str | None = None) -> None:
        target = _target(feature, stakeholder)
        who = (stakeholder,) if stakeholder else ()
        async with self._op(MB, Action.UPDATE, method="clear_flag", target=target, names=who) as op:
            await self._check_stakeholder(op, stakeholder, must_exist=False)
            key = (
                (feature_flags.c.tenant_id == self._tid)
                & (feature_flags.c.feature == feature)
                & (feature_flags.c.stakeholder == (stakeholder or ""))
            )
            old = await self._one(
                op.conn, select(feature_flags.c.enabled).where(key), f"flag {target!r}"
            )
            await op.conn.execute(feature_flags.delete().where(key))
            op.record(
                "members.flag_clear",
                target,
                names=who,
                feature=feature,
                stakeholder=stakeholder,
                old_enabled=bool(old.enabled),
            )
        await self._load_flags()

    async def _check_stakeholder(
        self, op: Op, stakeholder: str | None, *, must_exist: bool = True
    ) -> None:
        """A stakeholder must be a member; an owner's or admin's flags need members.admin.

        Raises:
            NotFound: not a member (when ``must_exist``).
            PermissionDenied: a privileged member, and the caller lacks members.admin.
        """
        if stakeholder is None:
            return
        role = (
            await op.conn.execute(
                select(members.c.role).where(
                    members.c.tenant_id == self._tid, members.c.name == stakeholder
                )
            )
        ).scalar()
        if role is None and must_exist:
            raise NotFound(f"member {stakeholder!r} not found")
        if role in PRIVILEGED_ROLES:
            op.authorize(Action.ADMIN)
