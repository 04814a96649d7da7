"""Shared rate limits and idempotency keys, kept in the database so every replica (and
every worker of each) sees the same state.

Both live in tenant tables (``api_rate_buckets``, ``api_idempotency``) under the same
row-level security as the rest: each statement runs in a short transaction that sets the
request's tenant first.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from coditect_server.metrics import TENANT_TIER
from coditect_server.state import ServerState
from coditect_store.store import SqlStore
from coditect_tui.core.errors import (
    BackendUnavailable,
    ConfigError,
    Conflict,
    InvalidInput,
    RateLimited,
)
from coditect_tui.core.models import Tenant
from coditect_tui.core.policy import REMOTE_API


@asynccontextmanager
async def tenant_tx(state: ServerState, tenant_id: str) -> AsyncIterator[AsyncConnection]:
    """A short write transaction confined to ``tenant_id`` (RLS on PostgreSQL).

    Raises:
        BackendUnavailable: the database cannot be reached or refused the statement.
    """
    try:
        async with state.db.connect() as conn:
            if state.postgres:  # BEGIN; set_config(tenant, is_local) in one round trip
                await conn.execution_options(coditect_tenant=tenant_id)
            else:
                await conn.execution_options(coditect_write=True)
            async with conn.begin():
                yield conn
    except IntegrityError:
        raise
    except DBAPIError as exc:
        raise BackendUnavailable(f"database error: {str(exc.orig).splitlines()[0]}") from None
    except OSError as exc:
        raise BackendUnavailable(f"the database cannot be reached: {exc}") from None


# -- rate limits ----------------------------------------------------------------------------

# A token bucket per tenant: `burst` tokens, refilled at requests_per_minute / 60 per second.
# One statement reads, refills, spends and answers, atomically on every replica. On
# PostgreSQL the clock is the database's, so replicas with skewed clocks agree.
_REFILL_PG = "LEAST(:burst, b.tokens + (extract(epoch from now()) - b.updated) * :rate)"
_BUCKET_PG = text(f"""
    INSERT INTO api_rate_buckets AS b (tenant_id, tokens, updated, allowed)
    VALUES (:tid, :burst - 1, extract(epoch from now()), true)
    ON CONFLICT (tenant_id) DO UPDATE SET
        allowed = {_REFILL_PG} >= 1,
        tokens = {_REFILL_PG} - CASE WHEN {_REFILL_PG} >= 1 THEN 1 ELSE 0 END,
        updated = extract(epoch from now())
    RETURNING tokens, allowed""")
_REFILL_LITE = "min(:burst, tokens + (:now - updated) * :rate)"
_BUCKET_LITE = text(f"""
    INSERT INTO api_rate_buckets (tenant_id, tokens, updated, allowed)
    VALUES (:tid, :burst - 1, :now, 1)
    ON CONFLICT (tenant_id) DO UPDATE SET
        allowed = {_REFILL_LITE} >= 1,
        tokens = {_REFILL_LITE} - CASE WHEN {_REFILL_LITE} >= 1 THEN 1 ELSE 0 END,
        updated = :now
    RETURNING tokens, allowed""")


async def check_rate(state: ServerState, tenant: Tenant) -> None:
    """Spend one request of ``tenant``'s tier budget (tiers.yaml rate_limits).

    Raises:
        RateLimited: the bucket is empty; ``retry_after`` says when one token is back.
    """
    try:
        limits = state.policy.tier(tenant.tier).rate_limits
    except ConfigError:
        raise BackendUnavailable(
            f"tenant tier {tenant.tier!r} is not defined on this server"
        ) from None
    if limits.requests_per_minute == -1:
        return
    rate = limits.requests_per_minute / 60.0
    burst = float(max(limits.burst, 1)) if limits.burst != -1 else max(rate * 60.0, 1.0)
    if rate <= 0:
        state.metrics.refused(TENANT_TIER)
        raise RateLimited(f"tier {tenant.tier!r} allows no API requests", retry_after=60.0)
    params = {"tid": tenant.id, "burst": burst, "rate": rate}
    async with tenant_tx(state, tenant.id) as conn:
        if state.postgres:
            tokens, allowed = (await conn.execute(_BUCKET_PG, params)).one()
        else:
            tokens, allowed = (
                await conn.execute(_BUCKET_LITE, {**params, "now": time.time()})
            ).one()
    if not allowed:
        state.metrics.refused(TENANT_TIER)
        wait = max((1.0 - float(tokens)) / rate, 0.001)
        raise RateLimited(
            f"rate limit of tier {tenant.tier!r} reached "
            f"({limits.requests_per_minute}/min, burst {limits.burst}); "
            f"retry in {math.ceil(wait)} s",
            retry_after=wait,
        )


async def check_remote_api(store: SqlStore, method: str, path: str) -> None:
    """The tier decision for the tenant API itself: the tier must include ``remote_api``.

    Decided by the store handle (Policy.check_feature) so the refusal is audited as
    ``denied`` like every other one.

    Raises:
        PermissionDenied: the tenant's tier lacks ``remote_api``.
    """
    await store.require_feature(REMOTE_API, "api.request", method=f"{method} {path}")


# -- idempotency keys -----------------------------------------------------------------------

MAX_KEY_LENGTH = 200
#: How long a finished request's response is kept for replays (seconds).
KEEP_SECONDS = 24 * 3600


class InProgress(Conflict):
    """The request holding this idempotency key has not finished: retry after a second
    (answered as 409 with ``Retry-After``)."""

    retry_after = 1.0


@dataclass(frozen=True)
class Replay:
    """A stored response of an earlier request with the same idempotency key."""

    status: int
    body: bytes


def fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    """What makes two requests "the same" for an idempotency key."""
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


async def reserve(
    state: ServerState, tenant_id: str, principal: str, key: str, print_: str
) -> Replay | None:
    """Claim ``key`` for this request, or return the response of the request that did.

    Returns:
        None when this request may run (the key is now ``pending``); a Replay when an
        earlier request with the key finished.

    Raises:
        InvalidInput: the key is empty or too long, or was used with a different request.
        Conflict: the earlier request is still running or its outcome is unknown (it may
            have committed): retry later; it is never run twice.
    """
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInput(f"Idempotency-Key must be 1..{MAX_KEY_LENGTH} printable characters")
    now = time.time()
    async with tenant_tx(state, tenant_id) as conn:
        await conn.execute(
            text("DELETE FROM api_idempotency WHERE tenant_id = :tid AND created_at < :old"),
            {"tid": tenant_id, "old": now - KEEP_SECONDS},
        )
        inserted = (
            await conn.execute(
                text(
                    "INSERT INTO api_idempotency (tenant_id, principal, key, fingerprint, state, "
                    "created_at) VALUES (:tid, :p, :k, :f, 'pending', :now) "
                    "ON CONFLICT (tenant_id, principal, key) DO NOTHING RETURNING key"
                ),
                {"tid": tenant_id, "p": principal, "k": key, "f": print_, "now": now},
            )
        ).first()
        if inserted is not None:
            return None
        row = (
            await conn.execute(
                text(
                    "SELECT fingerprint, state, status, body FROM api_idempotency "
                    "WHERE tenant_id = :tid AND principal = :p AND key = :k"
                ),
                {"tid": tenant_id, "p": principal, "k": key},
            )
        ).one()
    if row.fingerprint != print_:
        raise InvalidInput("this Idempotency-Key was already used for a different request")
    if row.state != "done":
        raise InProgress(
            "a request with this Idempotency-Key is still running (or its "
            "outcome is unknown); it is never run twice"
        )
    return Replay(int(row.status), (row.body or "").encode())


async def complete(
    state: ServerState, tenant_id: str, principal: str, key: str, status: int, body: bytes
) -> None:
    """Store the response of the request that holds ``key`` (for replays)."""
    async with tenant_tx(state, tenant_id) as conn:
        await conn.execute(
            text(
                "UPDATE api_idempotency SET state = 'done', status = :s, body = :b "
                "WHERE tenant_id = :tid AND principal = :p AND key = :k"
            ),
            {"s": status, "b": body.decode(), "tid": tenant_id, "p": principal, "k": key},
        )


async def release(state: ServerState, tenant_id: str, principal: str, key: str) -> None:
    """Forget ``key`` after its request failed without changing anything (it may run
    again)."""
    async with tenant_tx(state, tenant_id) as conn:
        await conn.execute(
            text(
                "DELETE FROM api_idempotency WHERE tenant_id = :tid AND principal = :p "
                "AND key = :k AND state = 'pending'"
            ),
            {"tid": tenant_id, "p": principal, "k": key},
        )
