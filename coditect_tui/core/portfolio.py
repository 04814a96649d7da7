"""A consultant's portfolio: one read-only summary row per tenant the principal may see.

The tenants come from ``Backend.list_tenants`` of the home backend (every tenant where
the principal holds a membership), so a tenant without a membership never appears, and
the caller's opener is never even asked for one. Each other tenant is opened through an
async callable the caller supplies (:data:`OpenTenant`), so the same code serves local
profiles (one SQLite file, several tenants) and remote ones (one tenant API each). Rows
are built from read methods only (the newest status snapshot and the session list); an
opener should still open read-only.

A tenant whose opener refuses the principal (``PermissionDenied`` or ``NotFound``: the
membership was revoked meanwhile) is left out; any other failure is a row with ``error``
set, so an unreachable client is visible rather than silently missing.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypedDict

from coditect_tui.core.errors import CoditectError, NotFound, PermissionDenied
from coditect_tui.core.safe_text import safe_text

if TYPE_CHECKING:
    from coditect_tui.core.backend import Backend
    from coditect_tui.core.models import Tenant

#: Opens the backend of one tenant for the same principal (read-only, ideally).
OpenTenant = Callable[["Tenant"], Awaitable["Backend"]]
#: How many stripe colours tenants are spread over (a UI maps them to 16-colour names).
STRIPES = 6


def stripe_of(tenant_name: str) -> int:
    """A stable stripe index (0..STRIPES-1) for a tenant, the same on every machine."""
    return int(hashlib.sha256(tenant_name.encode("utf-8")).hexdigest()[:8], 16) % STRIPES


@dataclass(frozen=True, slots=True)
class PortfolioRow:
    """One tenant's summary.

    Attributes:
        tenant_id: the tenant's id in its store.
        tenant: its name (untrusted text: show through ``safe_text``).
        display_name: its display name (untrusted).
        tier: its tier.
        role: the principal's role there (None when it could not be opened).
        stripe: the tenant's colour stripe index (see :func:`stripe_of`).
        home: the tenant the home backend is open for.
        snapshot_at: when its newest status snapshot was taken (None: none yet).
        repos: figures of that snapshot (None without one).
        dirty: dirty repos.
        ahead: repos ahead.
        behind: repos behind.
        detached: repos on a detached HEAD.
        conflicted: repos with conflicts.
        errored: repos git could not read.
        average_health: average score.
        active_sessions: active git sessions (None when not readable).
        error: why the tenant could not be read (one line), else None.
    """

    tenant_id: str
    tenant: str
    display_name: str
    tier: str
    role: str | None
    stripe: int
    home: bool
    snapshot_at: datetime | None = None
    repos: int | None = None
    dirty: int | None = None
    ahead: int | None = None
    behind: int | None = None
    detached: int | None = None
    conflicted: int | None = None
    errored: int | None = None
    average_health: float | None = None
    active_sessions: int | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "tenant_id": self.tenant_id,
            "tenant": self.tenant,
            "display_name": self.display_name,
            "tier": self.tier,
            "role": self.role,
            "stripe": self.stripe,
            "home": self.home,
            "snapshot_at": self.snapshot_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
            if self.snapshot_at
            else None,
            "repos": self.repos,
            "dirty": self.dirty,
            "ahead": self.ahead,
            "behind": self.behind,
            "detached": self.detached,
            "conflicted": self.conflicted,
            "errored": self.errored,
            "average_health": self.average_health,
            "active_sessions": self.active_sessions,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class Portfolio:
    """Every tenant of the principal, ordered by name.

    Attributes:
        principal: who the portfolio is for.
        generated_at: when it was built.
        rows: one per visible tenant.
        left_out: tenants listed but refused when opened (membership gone).
    """

    principal: str
    generated_at: datetime
    rows: tuple[PortfolioRow, ...]
    left_out: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "principal": self.principal,
            "generated_at": self.generated_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "rows": [r.to_dict() for r in self.rows],
            "left_out": self.left_out,
        }


class _TenantFields(TypedDict):
    """The :class:`PortfolioRow` fields known from the tenant listing alone."""

    tenant_id: str
    tenant: str
    display_name: str
    tier: str
    stripe: int


class _OpenedFields(_TenantFields):
    """:class:`_TenantFields` plus whether it is the home tenant."""

    home: bool


class _Figures(TypedDict, total=False):
    """The :class:`PortfolioRow` fields read from the newest status snapshot."""

    snapshot_at: datetime
    repos: int | None
    dirty: int | None
    ahead: int | None
    behind: int | None
    detached: int | None
    conflicted: int | None
    errored: int | None
    average_health: float | None


def _int(summary: dict[str, Any], key: str) -> int | None:
    value = summary.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


async def _row(tenant: Tenant, backend: Backend, *, home: bool) -> PortfolioRow:
    """The row of one open tenant (errors of single reads land in ``error``)."""
    from coditect_tui.core.dashboard import count_active_sessions

    base: _OpenedFields = {
        "tenant_id": tenant.id,
        "tenant": tenant.name,
        "display_name": tenant.display_name,
        "tier": tenant.tier,
        "stripe": stripe_of(tenant.name),
        "home": home,
    }
    opened = await backend.get_tenant()
    if opened.id != tenant.id or opened.name != tenant.name:
        return PortfolioRow(**base, role=None, error="the opener returned another tenant's backend")
    principal = await backend.whoami()
    problems: list[str] = []
    figures: _Figures = {}
    try:
        page = await backend.list_status(limit=1)
        if page.items:
            snap = page.items[0]
            summary = snap.summary
            average = summary.get("average_score")
            figures = {
                "snapshot_at": snap.taken_at,
                "repos": _int(summary, "repos"),
                "dirty": _int(summary, "dirty"),
                "ahead": _int(summary, "ahead"),
                "behind": _int(summary, "behind"),
                "detached": _int(summary, "detached"),
                "conflicted": _int(summary, "conflicted"),
                "errored": _int(summary, "errors"),
                "average_health": float(average)
                if isinstance(average, int | float) and not isinstance(average, bool)
                else None,
            }
    except CoditectError as exc:
        problems.append(f"status: {safe_text(exc)}")
    active: int | None = None
    try:
        active = await count_active_sessions(backend, write=False)  # a portfolio only reads
    except CoditectError as exc:
        problems.append(f"sessions: {safe_text(exc)}")
    return PortfolioRow(
        **base,
        role=principal.role,
        active_sessions=active,
        error="; ".join(problems) or None,
        **figures,
    )


async def build_portfolio(
    home: Backend, open_tenant: OpenTenant, *, concurrency: int = 4, now: datetime | None = None
) -> Portfolio:
    """One row per tenant in which the home backend's principal holds a membership.

    Args:
        home: a backend open for the principal (in any of its tenants).
        open_tenant: opens another tenant's backend for the same principal; called only
            for tenants ``home.list_tenants()`` returned, never for the home tenant. The
            backends it returns are closed here.
        concurrency: tenants read at once.
        now: the reference time (default: now).

    Returns:
        The portfolio, rows ordered by tenant name.

    Raises:
        BackendError: the home backend cannot list its tenants.
    """
    principal = await home.whoami()
    home_tenant = await home.get_tenant()
    tenants = await home.list_tenants()
    gate = asyncio.Semaphore(max(1, concurrency))
    left_out = 0

    async def one(tenant: Tenant) -> PortfolioRow | None:
        nonlocal left_out
        base: _TenantFields = {
            "tenant_id": tenant.id,
            "tenant": tenant.name,
            "display_name": tenant.display_name,
            "tier": tenant.tier,
            "stripe": stripe_of(tenant.name),
        }
        if tenant.id == home_tenant.id:
            try:
                return await _row(tenant, home, home=True)
            except CoditectError as exc:
                return PortfolioRow(**base, role=None, home=True, error=safe_text(exc))
        async with gate:
            try:
                backend = await open_tenant(tenant)
            except (PermissionDenied, NotFound):
                left_out += 1
                return None
            except CoditectError as exc:
                return PortfolioRow(**base, role=None, home=False, error=safe_text(exc))
            try:
                return await _row(tenant, backend, home=False)
            except CoditectError as exc:
                return PortfolioRow(**base, role=None, home=False, error=safe_text(exc))
            finally:
                await backend.close()

    rows = await asyncio.gather(*(one(t) for t in tenants))
    kept = sorted((r for r in rows if r is not None), key=lambda r: (r.tenant, r.tenant_id))
    return Portfolio(
        principal=principal.name,
        generated_at=now or datetime.now(UTC),
        rows=tuple(kept),
        left_out=left_out,
    )
