"""``coditect report status|portfolio``: the dashboard as Markdown, CSV or JSON.

``report status`` is the status-report.py equivalent: it reads every repo of the
workspace (the tenant's roots, or the PATHs given, as ``coditect status`` does), adds the
dashboard (KPIs, commits per day, trend from status snapshots, stale repos, needs
attention) and prints it in the view config/views.yaml gives the principal's role and
tier (``--view`` picks another allowed one). The store is opened read-only and nothing is
recorded. ``report portfolio`` prints one row per tenant the principal is a member of.

Exit 0 on success, 1 when a repo could not be read (the report is still printed), 2 for
bad input or configuration. Never imports Textual.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from coditect_tui.commands.context import CliContext
from coditect_tui.commands.output import add_format_options

if TYPE_CHECKING:
    from coditect_tui.core.backend import Backend
    from coditect_tui.core.dashboard import DashboardOptions
    from coditect_tui.core.models import Tenant
    from coditect_tui.core.settings import TenantProfile
    from coditect_tui.core.views import ResolvedView, ViewsConfig

FORMATS = ("markdown", "json", "csv")


def _whole(value: str | None, flag: str, low: int, high: int | None = None) -> int | None:
    """A whole-number option, checked here (one-line error) rather than by argparse.

    Raises:
        InvalidInput: not a whole number, or out of range.
    """
    from coditect_tui.core.errors import InvalidInput

    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        raise InvalidInput(f"{flag} {value!r} is not a whole number") from None
    if number < low or (high is not None and number > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise InvalidInput(f"{flag} must be {bound}")
    return number


def register(sub: Any, add_common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``report`` and its sub-commands."""
    parser = sub.add_parser(
        "report",
        help="dashboard reports (status, portfolio)",
        description="Dashboard reports as Markdown, CSV or JSON.",
    )
    add_common(parser)
    kinds = parser.add_subparsers(dest="report_command", metavar="REPORT", required=True)

    status = kinds.add_parser(
        "status",
        help="the workspace health dashboard (status-report.py equivalent)",
        description="Read every repo of the workspace (the tenant's workspace_roots, or "
        "the PATHs given) and print KPIs, the health distribution, commits per "
        "day, the snapshot trend, stale repos and what needs attention. The "
        "view (full or aggregate) follows config/views.yaml for your role and "
        "tier. Exit 0, or 1 when a repo could not be read.",
    )
    status.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="workspace roots for this run, replacing the tenant's",
    )
    add_format_options(status, FORMATS, note="csv: one row per repo")
    status.add_argument(
        "--view",
        metavar="NAME",
        help="a view of views.yaml your role may open (default: your role's first)",
    )
    status.add_argument(
        "--views",
        metavar="FILE",
        help="views.yaml to use (default: the user's, else the shipped one)",
    )
    status.add_argument(
        "--stale-days", metavar="N", help="no commit for N days = stale (default: views.yaml, 30)"
    )
    status.add_argument(
        "--window-days", metavar="N", help="days of activity and trend (default: views.yaml, 30)"
    )
    status.add_argument(
        "--attention-below",
        metavar="SCORE",
        help="health below SCORE needs attention (default: views.yaml, 70)",
    )
    status.add_argument(
        "--offline",
        action="store_true",
        help="do not open the store (no sessions, no snapshot trend)",
    )
    status.add_argument(
        "--jobs", metavar="N", help="git processes at once (default: 4 x CPUs, 8 to 64)"
    )
    status.add_argument(
        "--timeout", default="15", metavar="SECONDS", help="per-repo git timeout (default 15)"
    )
    status.add_argument(
        "--max-depth",
        default="4",
        metavar="N",
        help="directory levels searched below each root (default 4)",
    )
    status.add_argument(
        "--max-repos",
        metavar="N",
        help="stop a scan of PATHs after N repos (default 200; 0: no bound)",
    )
    add_common(status)
    status.set_defaults(handler=run_status)

    portfolio = kinds.add_parser(
        "portfolio",
        help="one read-only row per tenant you are a member of",
        description="Summarise every tenant in which your principal holds a membership "
        "(from each tenant's newest status snapshot and its sessions). "
        "Tenants are opened read-only.",
    )
    add_format_options(portfolio, FORMATS)
    portfolio.add_argument("--views", metavar="FILE", help="views.yaml to use")
    add_common(portfolio)
    portfolio.set_defaults(handler=run_portfolio)

    timesheet = kinds.add_parser(
        "time",
        help="a timesheet: sessions, active hours, commits and pushes",
        description="Per tenant, person or day: the git sessions with activity in the "
        "period, their active time (the time between moments of activity - start, "
        "commits, pushes, end - leaving out pauses longer than --idle-minutes), and the "
        "commits and pushes recorded. A consultant's billable-hours sheet per client "
        "tenant: --all-tenants --by tenant. Tenants are opened read-only.",
    )
    timesheet.add_argument(
        "--since",
        metavar="DATE",
        help="start of the period: YYYY-MM-DD (local) or an ISO time (default: 7 days ago)",
    )
    timesheet.add_argument(
        "--until", metavar="DATE", help="end of the period, not included (default: now)"
    )
    timesheet.add_argument(
        "--by",
        choices=("tenant", "person", "day"),
        default="person",
        help="one row per tenant, per person (default), or per person and day",
    )
    timesheet.add_argument(
        "--idle-minutes", default="30", metavar="N", help="a longer pause is not work (default 30)"
    )
    timesheet.add_argument(
        "--all-tenants",
        action="store_true",
        help="every tenant you are a member of (as report portfolio), not only the open one",
    )
    add_format_options(timesheet, FORMATS)
    add_common(timesheet)
    timesheet.set_defaults(handler=run_time)


def _options(args: argparse.Namespace, views: ViewsConfig) -> DashboardOptions:
    from coditect_tui.core.dashboard import DashboardOptions

    defaults = views.dashboard
    window = _whole(args.window_days, "--window-days", 1, 366)
    stale = _whole(args.stale_days, "--stale-days", 1)
    below = _whole(args.attention_below, "--attention-below", 0, 101)
    return DashboardOptions(
        window_days=defaults.window_days if window is None else window,
        stale_days=defaults.stale_days if stale is None else stale,
        attention_below=defaults.attention_below if below is None else below,
    )


def _pick_view(views: ViewsConfig, wanted: str | None, role: str, tier: str) -> ResolvedView:
    from coditect_tui.core.errors import InvalidInput, PermissionDenied

    allowed = views.views_for(role=role, tier=tier)
    if wanted is not None:
        views.view(wanted)  # unknown name: ConfigError with a suggestion
        chosen = next((v for v in allowed if v.name == wanted), None)
        if chosen is None:
            names = ", ".join(v.name for v in allowed) or "none"
            raise InvalidInput(
                f"view {wanted!r} is not available to role {role!r} in tier "
                f"{tier!r} (available: {names})"
            )
    else:
        dashboards = [v for v in allowed if v.kind != "portfolio"]
        if not dashboards:
            raise PermissionDenied(
                f"no dashboard view for role {role!r} in tier {tier!r} (config/views.yaml)"
            )
        chosen = dashboards[0]
    if chosen.kind == "portfolio":
        raise InvalidInput(f"view {chosen.name!r} is a portfolio: use `coditect report portfolio`")
    return chosen


def run_status(args: argparse.Namespace, ctx: CliContext) -> int:
    """Read the workspace, build the dashboard, print it in the chosen view and format."""
    import asyncio
    from pathlib import Path

    from coditect_tui.commands.status import _roots, discover_targets, print_warnings
    from coditect_tui.core import dashboard_report as render
    from coditect_tui.core.dashboard import load_dashboard
    from coditect_tui.core.errors import CoditectError, InvalidInput
    from coditect_tui.core.git.runner import GitRunner
    from coditect_tui.core.git.status import read_many
    from coditect_tui.core.safe_text import safe_text
    from coditect_tui.core.views import advisor_view, load_views

    try:
        timeout = float(args.timeout)
    except ValueError:
        raise InvalidInput(f"--timeout {args.timeout!r} is not a number") from None
    if not timeout > 0:
        raise InvalidInput("--timeout must be positive")
    jobs = _whole(args.jobs, "--jobs", 1, 256)
    args.max_depth = _whole(args.max_depth, "--max-depth", 0, 32)
    args.max_repos = _whole(args.max_repos, "--max-repos", 0)
    views = load_views(Path(args.views) if args.views else None)
    options = _options(args, views)
    if args.view is not None:
        views.view(args.view)
    roots, tenant, _ = _roots(args, ctx)
    profile = ctx.profile()
    tree, targets = discover_targets(roots, tenant, args)
    warnings = list(tree.warnings)

    async def work() -> tuple[Any, Any, str, str]:
        runner = GitRunner(concurrency=jobs, timeout=timeout)
        try:
            statuses = await read_many(runner, targets)
            backend: Backend | None = None
            role, tier = profile.role, profile.tier
            if not args.offline:
                try:
                    backend = await _open_read_only(profile)
                    role = (await backend.whoami()).role
                    tier = (await backend.get_tenant()).tier
                except CoditectError as exc:
                    warnings.append(f"store not read ({safe_text(exc)}); no sessions or trend")
                    if backend is not None:
                        await backend.close()
                    backend = None
            try:
                view = _pick_view(views, args.view, role, tier)
                board = await load_dashboard(
                    statuses, backend=backend, runner=runner, options=options
                )
            finally:
                if backend is not None:
                    await backend.close()
            return statuses, board, view, tier
        finally:
            runner.close()

    statuses, board, view, _tier = asyncio.run(work())
    if view.kind == "aggregate":
        aggregate = advisor_view(board, view.sections)
        text = {
            "markdown": lambda: render.advisor_markdown(aggregate, title=view.title),
            "csv": lambda: render.advisor_csv(aggregate),
            "json": lambda: render.advisor_json(aggregate) + "\n",
        }[args.format]()
    elif args.format == "markdown":
        text = render.render_markdown(board, statuses, sections=view.sections)
    elif args.format == "csv":
        text = render.render_csv(board, statuses)
    else:
        text = (
            render.render_json(
                board,
                statuses,
                tenant=tenant or profile.name,
                view=view.name,
                roots=[str(r) for r in tree.roots],
                warnings=warnings,
            )
            + "\n"
        )
    sys.stdout.write(text)
    sys.stdout.flush()
    print_warnings(warnings)
    return 1 if any(s.error for s in statuses) else 0


async def _open_read_only(profile: TenantProfile) -> Backend:
    from coditect_tui.core.factory import open_backend

    return await open_backend(profile, read_only=True)


def tenant_opener(ctx: CliContext, home: TenantProfile) -> Callable[[Tenant], Any]:
    """An :data:`~coditect_tui.core.portfolio.OpenTenant` for the configured profiles.

    A tenant with a profile of its own name opens through it; any other tenant opens in
    the home profile's local store (a remote home needs a profile per tenant). Local
    stores are opened read-only and without provisioning, so the role is the principal's
    membership role in that tenant.
    """
    from coditect_tui.core.settings import LocalBackendConfig

    profiles = {p.name: p for p in ctx.loaded.settings.tenants}

    async def open_tenant(tenant: Tenant) -> Backend:
        from coditect_tui.core.errors import BackendUnavailable

        profile = profiles.get(tenant.name, home)
        if (
            profile is home
            and tenant.name != home.name
            and not isinstance(home.backend, LocalBackendConfig)
        ):
            raise BackendUnavailable(
                f"no profile for tenant {tenant.name!r}: add one to the config to include it"
            )
        if isinstance(profile.backend, LocalBackendConfig):
            from coditect_tui.core.factory import open_store

            return await open_store(
                str(profile.backend.store_path()),
                tenant=tenant.name,
                principal=home.principal_name(),
                read_only=True,
            )
        return await _open_read_only(profile)

    return open_tenant


def run_portfolio(args: argparse.Namespace, ctx: CliContext) -> int:
    """Print one row per tenant the principal is a member of."""
    import asyncio
    from pathlib import Path

    from coditect_tui.core import dashboard_report as render
    from coditect_tui.core.git.report import to_json
    from coditect_tui.core.portfolio import build_portfolio
    from coditect_tui.core.views import load_views

    views = load_views(Path(args.views) if args.views else None)
    home = ctx.profile()

    async def work() -> tuple[Any, ResolvedView]:
        backend = await _open_read_only(home)
        try:
            role = (await backend.whoami()).role
            tier = (await backend.get_tenant()).tier
            allowed = [v for v in views.views_for(role=role, tier=tier) if v.kind == "portfolio"]
            if not allowed:
                from coditect_tui.core.errors import PermissionDenied

                raise PermissionDenied(
                    f"no portfolio view for role {role!r} in tier {tier!r} (config/views.yaml)"
                )
            return await build_portfolio(backend, tenant_opener(ctx, home)), allowed[0]
        finally:
            await backend.close()

    portfolio, view = asyncio.run(work())
    if args.format == "markdown":
        sys.stdout.write(render.portfolio_markdown(portfolio, view.columns))
    elif args.format == "csv":
        sys.stdout.write(render.portfolio_csv(portfolio, view.columns))
    else:
        sys.stdout.write(to_json(portfolio.to_dict()) + "\n")
    return 0


def _moment(value: str | None, flag: str, default: datetime) -> datetime:
    """A --since/--until value: a date (local midnight) or an ISO time (local if naive).

    Raises:
        InvalidInput: neither.
    """
    from datetime import datetime as dt

    from coditect_tui.core.errors import InvalidInput

    if value is None:
        return default
    try:
        moment = dt.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{flag} {value!r} is not a date (YYYY-MM-DD) or an ISO time") from None
    return moment if moment.tzinfo is not None else moment.astimezone()


def run_time(args: argparse.Namespace, ctx: CliContext) -> int:
    """Print the timesheet of the open tenant (or of every tenant, ``--all-tenants``)."""
    import asyncio
    from datetime import datetime as dt
    from datetime import timedelta

    from coditect_tui.core import timesheet as ts
    from coditect_tui.core.errors import CoditectError, InvalidInput
    from coditect_tui.core.git.report import to_json

    now = dt.now().astimezone()
    until = _moment(args.until, "--until", now)
    since = _moment(args.since, "--since", until - timedelta(days=7))
    if since >= until:
        raise InvalidInput("--since must be before --until")
    idle = timedelta(minutes=_whole(args.idle_minutes, "--idle-minutes", 1, 24 * 60) or 30)
    home = ctx.profile()

    async def one(backend: Backend, name: str) -> list[ts.TimeRow]:
        sessions, events = await ts.read_timesheet_inputs(backend, since=since, until=until)
        return ts.build_timesheet(
            name,
            sessions,
            events,
            since=since,
            until=until,
            by=args.by,
            tz=now.tzinfo or dt.now().astimezone().tzinfo,
            idle_gap=idle,  # type: ignore[arg-type]
        )

    async def work() -> tuple[list[ts.TimeRow], list[str]]:
        backend = await _open_read_only(home)
        rows: list[ts.TimeRow] = []
        left_out: list[str] = []
        try:
            tenant = await backend.get_tenant()
            rows += await one(backend, tenant.name)
            if args.all_tenants:
                opener = tenant_opener(ctx, home)
                for other in await backend.list_tenants():
                    if other.name == tenant.name:
                        continue
                    try:
                        peer = await opener(other)
                    except CoditectError as exc:
                        left_out.append(f"{other.name}: {exc}")
                        continue
                    try:
                        rows += await one(peer, other.name)
                    except CoditectError as exc:
                        left_out.append(f"{other.name}: {exc}")
                    finally:
                        await peer.close()
        finally:
            await backend.close()
        return rows, left_out

    rows, left_out = asyncio.run(work())
    if args.format == "markdown":
        sys.stdout.write(ts.timesheet_markdown(rows, since=since, until=until, idle_gap=idle))
    elif args.format == "csv":
        sys.stdout.write(ts.timesheet_csv(rows))
    else:
        document = {
            "since": since.isoformat(),
            "until": until.isoformat(),
            "idle_minutes": int(idle.total_seconds() // 60),
            "rows": [r.to_dict() for r in rows],
            "left_out": left_out,
        }
        sys.stdout.write(to_json(document) + "\n")
    from coditect_tui.commands.status import print_warnings

    print_warnings(left_out)
    return 0
