"""Who is calling: an API key (``Authorization: Bearer cdt_usr_...``), nothing else.

Only ``sha256(key)`` is stored. On PostgreSQL the key is found through the SECURITY
DEFINER function ``coditect_api_key`` (RLS hides api_keys until a tenant is set); every
later query of the request runs with the key's tenant set per transaction.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn

from sqlalchemy import Row, text
from sqlalchemy.exc import DBAPIError

from coditect_server.state import ServerState
from coditect_store.rows import lookup_tenant
from coditect_store.schema import parse_ts
from coditect_tui.core import api_keys as keyfmt
from coditect_tui.core.errors import BackendUnavailable, ConfigError
from coditect_tui.core.grants import expired_message
from coditect_tui.core.models import Tenant

#: How long a key lookup is reused (only while notifications invalidate it; see events.py).
KEY_CACHE_SECONDS = 30.0
KEY_CACHE_SIZE = 10_000


class Unauthorized(Exception):
    """No usable credential (401). The message says why, without echoing the secret."""


@dataclass(frozen=True)
class Identity:
    """The principal a request acts as: in one tenant, with one role.

    Attributes:
        tenant: the key's tenant (every query of the request is confined to it).
        principal: who acts.
        role: the key's role (never above the member's current role).
        key_id: the API key's id.
        expires_at: when the credential stops working: the key's expiry or the end of
            the principal's membership, whichever comes first.
        grant_expires_at: when the principal's membership ends (None: never).
    """

    tenant: Tenant
    principal: str
    role: str
    key_id: str
    expires_at: datetime | None
    grant_expires_at: datetime | None = None


_PG_KEY = text("SELECT * FROM coditect_api_key(:h)")
_SQLITE_KEY = text(
    "SELECT k.id AS key_id, k.tenant_id, k.principal, k.role AS key_role, "
    "m.role AS member_role, k.expires_at, k.revoked_at, t.name AS tenant_name, "
    "t.display_name, t.tier, t.created_at AS tenant_created_at, "
    "m.expires_at AS member_expires_at, t.state AS tenant_state "
    "FROM api_keys k JOIN tenants t ON t.id = k.tenant_id "
    "LEFT JOIN members m ON m.tenant_id = k.tenant_id AND m.name = k.principal "
    "WHERE k.key_hash = :h"
)


async def authenticate(state: ServerState, authorization: str | None) -> Identity:
    """Resolve the ``Authorization`` header to an identity.

    Expiry is checked against the server's clock (:meth:`ServerState.now`).

    Args:
        state: the server (database, policy, key cache, clock).
        authorization: the header's value, if any.

    Returns:
        Who the request acts as.

    Raises:
        Unauthorized: missing, malformed, unknown, revoked or expired credential, or a
            principal that is no longer a member, whose membership has expired, or whose
            role shrank below the key's.
        BackendUnavailable: the database cannot be reached.
    """
    if not authorization:
        raise Unauthorized("missing Authorization: Bearer <API key>")
    scheme, _, credential = authorization.partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential:
        raise Unauthorized("use Authorization: Bearer <API key>")
    digest = keyfmt.key_hash(credential)
    cached = state.key_cache.get(digest) if state.hub.listening else None
    if cached is not None and time.monotonic() - cached[1] < KEY_CACHE_SECONDS:
        identity: Identity = cached[0]  # only well-formed keys are ever cached
        now = state.now()
        if identity.expires_at is not None and identity.expires_at <= now:
            ends = identity.grant_expires_at
            ended = ends if ends is not None and ends <= now else None
            _refuse_expired(identity.principal, identity.tenant.name, ended)
        return identity
    if not keyfmt.is_well_formed(credential):
        raise Unauthorized("not a CODITECT API key (bad format or checksum)")
    # a change (revocation, role, tenant state) dropped while this lookup ran may predate
    # what it read: the answer is then used for this request but not cached
    generation = state.invalidations
    row = await _key_row(state, digest)
    if row is None:
        raise Unauthorized("unknown API key")
    if row.revoked_at is not None:
        raise Unauthorized("this API key was revoked")
    expires_at = parse_ts(row.expires_at) if row.expires_at else None
    if expires_at is not None and expires_at <= state.now():
        raise Unauthorized("this API key has expired")
    _check_role(state, row.key_role, row.member_role, expires_at)
    grant_ends = parse_ts(row.member_expires_at) if row.member_expires_at else None
    if grant_ends is not None and grant_ends <= state.now():
        _refuse_expired(row.principal, row.tenant_name, grant_ends)
    if grant_ends is not None and (expires_at is None or grant_ends < expires_at):
        expires_at = grant_ends  # the credential ends with the membership
    tenant = lookup_tenant(row)
    identity = Identity(tenant, row.principal, row.key_role, row.key_id, expires_at, grant_ends)
    if state.hub.listening and generation == state.invalidations:
        if len(state.key_cache) >= KEY_CACHE_SIZE:
            state.key_cache.clear()
        state.key_cache[digest] = (identity, time.monotonic())
    return identity


def _refuse_expired(principal: str, tenant: str, grant_ends: datetime | None) -> NoReturn:
    """Refuse an expired credential, naming the membership when that is what ended."""
    if grant_ends is not None:
        raise Unauthorized(
            f"this API key stopped working: {expired_message(principal, tenant, grant_ends)}"
        )
    raise Unauthorized("this API key has expired")


def _check_role(
    state: ServerState, key_role: str, member_role: str | None, expires_at: datetime | None
) -> None:
    if member_role is None:
        raise Unauthorized("the key's principal is no longer a member of its tenant")
    try:
        if not state.policy.is_within(key_role, member_role):
            raise Unauthorized(
                f"the key's role {key_role!r} exceeds the member's current role {member_role!r}"
            )
        if state.policy.role(key_role).requires_key_expiry and expires_at is None:
            raise Unauthorized(f"{key_role!r} credentials must expire")
    except ConfigError:
        raise Unauthorized(f"the key's role {key_role!r} is not defined here") from None


async def _key_row(state: ServerState, digest: str) -> Row[Any] | None:
    try:
        async with state.db.connect() as conn:
            if state.postgres:  # one statement: no transaction needed
                conn = await conn.execution_options(coditect_autocommit=True)
                return (await conn.execute(_PG_KEY, {"h": digest})).first()
            stmt = _SQLITE_KEY.bindparams(h=digest)
            row = (await conn.execute(stmt)).first()
            await conn.rollback()
            return row
    except DBAPIError as exc:
        raise BackendUnavailable(f"database error: {str(exc.orig).splitlines()[0]}") from None
    except OSError as exc:
        raise BackendUnavailable(f"the database cannot be reached: {exc}") from None
