"""The Dashboard pane: KPIs, health distribution, commits per day, stale repos and what
needs attention, in the view the principal's role allows (views.yaml): the team view,
the advisor's aggregate view (counts and trends only, no names), or the portfolio.

The pane loads its own figures from the tenant session: it rebuilds them from the
statuses the session already has whenever a status, a registration or a session changes
(``build_dashboard`` is pure and cheap); git history and snapshots are read in a worker,
the history of a repo again only after it changed. Nothing polls.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC
from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from coditect_tui.core.errors import CoditectError
from coditect_tui.core.safe_text import safe_text
from coditect_tui.core.sparkline import sparkline
from coditect_tui.core.tenant.events import (
    AuditAppended,
    BackendOpened,
    ConnectionChanged,
    ReposRegistered,
    RepoStatusChanged,
    SessionEvent,
    StatusesLive,
)
from coditect_tui.core.wording import plural, plural_of
from coditect_tui.ui.tenant_link import JumpTo, TenantPane, unreachable

if TYPE_CHECKING:
    from coditect_tui.core.dashboard import CommitHistory, Dashboard
    from coditect_tui.core.portfolio import Portfolio
    from coditect_tui.core.tenant.session import TenantSession
    from coditect_tui.core.timesheet import TimeRow
    from coditect_tui.core.views import AdvisorView, ResolvedView

#: The colour stripe of a portfolio row (stripe_of() gives 0..5); the letter in front of
#: the row repeats it for 16 colours and NO_COLOR.
STRIPES = ("blue", "magenta", "cyan", "green", "yellow", "red")


#: The portfolio's figure columns (short: the table fits 80 columns) and their legend.
PORTFOLIO_COLUMNS = ("repos", "dirty", "behind", "confl", "err", "health", "sess")
PORTFOLIO_LEGEND = (
    "confl: repos with conflicts · err: repos git could not read · sess: active sessions"
)


def _no_figures(row: Any) -> str:
    """Why a portfolio row has no figures ("" when it has them)."""
    from coditect_tui.core.policy import shipped_policy

    if not shipped_policy().has_feature(row.tier, ("projects", "dashboard")):
        return f"not in its tier ({safe_text(row.tier)})"
    if row.snapshot_at is None:
        return "no snapshot yet"
    if not row.repos:
        return "no repos in its snapshot"
    return ""


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


#: The KPI labels that are nouns (the others are adjectives: "2 dirty").
_NOUNS = ("repo", "session")


def kpi_table(kpis: Any) -> Table:
    """The KPI cards as a compact 3-column grid (label and number, no colour needed)."""
    cells = [
        ("repo", kpis.repos),
        ("dirty", kpis.dirty),
        ("ahead", kpis.ahead),
        ("behind", kpis.behind),
        ("detached", kpis.detached),
        ("conflicted", kpis.conflicted),
        ("errored", kpis.errored),
        ("session", kpis.active_sessions),
        ("avg health", kpis.average_health),
    ]
    table = Table.grid(expand=True, padding=(0, 1))
    for _ in range(3):
        table.add_column(ratio=1)
    for start in range(0, len(cells), 3):
        row = []
        for label, value in cells[start : start + 3]:
            cell = Text(f"{_fmt(value):>5} ", style="bold")
            if label in _NOUNS and value != 1:  # "1 session", "0 sessions"
                label = plural_of(label)
            cell.append(label, style="dim")
            row.append(cell)
        table.add_row(*row)
    return table


#: Days of the dashboard's time section (``coditect report time`` for any period).
TIME_DAYS = 7


def time_text(rows: Sequence[TimeRow]) -> Text:
    """The time section: active hours, sessions and commits per person, last 7 days."""
    out = Text(f"\nTime, last {plural(TIME_DAYS, 'day')}", style="bold")
    out.append("  (coditect report time)\n", style="dim")
    if not rows:
        out.append("  no session activity\n", style="dim")
    for row in rows[:8]:
        hours = row.active_seconds / 3600
        out.append(f"  {safe_text(row.person, max_length=24):<24} {hours:5.1f} h  ")
        out.append(f"{plural(row.sessions, 'session')} · {plural(row.commits, 'commit')}\n")
    if len(rows) > 8:
        out.append(f"  and {len(rows) - 8:,} more\n", style="dim")
    return out


def distribution_text(bands: Any) -> Text:
    """Health bands as bars with counts."""
    out = Text()
    top = max((b.count for b in bands), default=0) or 1
    for band in bands:
        bar = "█" * round(band.count / top * 16)
        out.append(f"{band.band:<9} {band.low:>3}-{band.high:<3} {band.count:>4} ")
        out.append(
            bar or "·",
            style={"excellent": "green", "good": "cyan", "fair": "yellow", "poor": "red"}.get(
                band.band, ""
            ),
        )
        out.append("\n")
    return out


def commits_text(days: Any, window: int) -> Text:
    """Commits per day as a sparkline with the total."""
    values = [d.commits for d in days]
    out = Text(f"commits/day ({window} d) ")
    out.append(sparkline(values), style="bold")
    out.append(f"  {sum(values)} total")
    return out


#: Audit resources whose changes move the dashboard's figures.
DASHBOARD_RESOURCES = (None, "sessions", "status", "repos", "projects")


class DashboardPane(TenantPane, VerticalScroll):
    """See the module docstring. Enter on a "needs attention" row asks the app to jump
    there."""

    BINDINGS = [
        Binding("v", "next_view", "Next view", id="dashboard.view"),
        Binding("g", "app.dashboard_group", "Group", id="dashboard.group", show=False),
    ]
    DEFAULT_CSS = """
    DashboardPane { padding: 0 1; }
    DashboardPane #dash-attention { height: auto; max-height: 12; border: none; }
    DashboardPane .dash-title { text-style: bold; margin-top: 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.views: list[ResolvedView] = []
        self.current = 0
        self.dashboard: Dashboard | None = None
        #: The time section's rows (None: not shown, or not readable by this principal).
        self.time_rows: list[TimeRow] | None = None
        self._history: CommitHistory | None = None
        self.group: str | None = None  # show only this group's repos (set_group)
        self._groups_of: Callable[[str], frozenset[str]] | None = None
        self._group_tenant: str | None = None
        self._group_repos = 0

    def compose(self) -> ComposeResult:
        yield Static(Text("Dashboard: reading statuses…", style="dim"), id="dash-head")
        yield Static("", id="dash-kpis")
        yield Static("", id="dash-body")
        yield OptionList(id="dash-attention")
        yield Static("", id="dash-notes")

    # -- loading --------------------------------------------------------------------------

    def session_bound(self, session: TenantSession | None) -> None:
        """Drop the previous tenant's figures; take the new principal's views."""
        self.dashboard = None
        self.time_rows = None
        self._history = None
        if session is not None and session.name != self._group_tenant:
            self.group = None  # another tenant's groups are not this one's
        self.set_views(session.views() if session is not None else [])
        if self.is_mounted:
            self._clear("Dashboard: reading statuses…")
        if session is not None and session.live.is_set():
            self.reload()

    def _clear(self, note: str) -> None:
        self.query_one("#dash-head", Static).update(Text(note, style="dim"))
        for part in ("#dash-kpis", "#dash-body", "#dash-notes"):
            self.query_one(part, Static).update("")
        self.query_one("#dash-attention", OptionList).clear_options()

    def session_event(self, event: SessionEvent) -> None:
        """Rebuild the figures when what they count changed."""
        if isinstance(event, RepoStatusChanged):
            if self._history is not None:
                self._history.invalidate(event.repo.path)
            self.reload()
        elif isinstance(event, BackendOpened):
            self.set_views(self.session.views() if self.session else [])
            self.reload()
        elif isinstance(event, ConnectionChanged) and (note := unreachable(self.session)):
            self._clear(note)  # never "reading statuses…" for a store that did not open
        elif isinstance(event, StatusesLive | ReposRegistered) or (
            isinstance(event, AuditAppended) and event.resource in DASHBOARD_RESOURCES
        ):
            self.reload()

    def reload(self) -> None:
        """Rebuild the figures (git history of changed repos, snapshots, sessions)."""
        session = self.session
        if session is not None and not session.has("dashboard"):
            self._clear(f"The dashboard is not included in this tenant's tier ({session.tier}).")
        elif session is not None and session.backend is not None and session.statuses:
            self._load(session)

    def set_group(self, group: str | None, groups_of: Callable[[str], frozenset[str]]) -> None:
        """Show the figures of ``group``'s repos only (None: every repo).

        Args:
            group: a group name, or None for the whole tenant.
            groups_of: a repo path's groups (``GroupIndex.groups_of``).
        """
        self.group, self._groups_of = group, groups_of
        self._group_tenant = self.session.name if self.session is not None else None
        self.reload()

    @work(exclusive=True, group="dashboard")
    async def _load(self, session: TenantSession) -> None:
        from coditect_tui.core.dashboard import CommitHistory, load_dashboard
        from coditect_tui.core.views import load_views

        try:
            options = load_views().dashboard.options()
        except CoditectError:
            options = None
        self._history = self._history or CommitHistory()
        repos = list(session.statuses.values())
        group, groups_of = self.group, self._groups_of
        if group is not None and groups_of is not None:
            repos = [status for status in repos if group in groups_of(status.path)]
        self._group_repos = len(repos)
        dashboard = await load_dashboard(
            repos,
            # a group's figures are its repos' own: the tenant-wide snapshots and session
            # count are left out rather than mixed in
            backend=session.backend if group is None else None,
            runner=session.runner,
            history=self._history,
            options=options,
        )
        time_rows = None
        view = self.view
        if group is None and session.backend is not None and view and "time" in view.sections:
            time_rows = await self._time(session)
        if session is self.session:
            self.dashboard, self.time_rows = dashboard, time_rows
            self._draw()

    async def _time(self, session: TenantSession) -> list[TimeRow] | None:
        """The last 7 days' timesheet per person (None when it cannot be read)."""
        from datetime import datetime, timedelta

        from coditect_tui.core.timesheet import build_timesheet, read_timesheet_inputs

        assert session.backend is not None
        if not session.may("READ", "SESSIONS"):
            return None  # not asked: the refusal would be recorded on every reload
        until = datetime.now().astimezone()
        since = until - timedelta(days=TIME_DAYS)
        try:
            sessions, events = await read_timesheet_inputs(
                session.backend, since=since, until=until, audit=session.may("READ", "AUDIT")
            )
        except CoditectError:
            return None  # a role without sessions.read: the section says nothing
        return build_timesheet(
            session.name, sessions, events, since=since, until=until, tz=until.tzinfo or UTC
        )

    def _draw(self) -> None:
        from coditect_tui.core.views import advisor_view

        view, dashboard = self.view, self.dashboard
        if dashboard is None:
            return
        if view is None or view.kind not in ("aggregate", "portfolio"):
            self.show_team(dashboard)
        elif view.kind == "aggregate":
            self.show_advisor(advisor_view(dashboard, view.sections))
        else:
            self._load_portfolio()

    @work(exclusive=True, group="portfolio")
    async def _load_portfolio(self) -> None:
        from coditect_tui.core.portfolio import build_portfolio

        session = self.session
        if session is None or session.backend is None:
            return
        try:
            portfolio = await build_portfolio(session.backend, session.open_peer)
        except CoditectError as exc:
            self.app.notify(f"Portfolio: {safe_text(exc)}", severity="error", timeout=10)
            return
        if session is self.session:
            self.show_portfolio(portfolio)

    def set_views(self, views: list[ResolvedView]) -> None:
        """The views this principal may open (the first is shown)."""
        self.views = views
        self.current = 0

    @property
    def view(self) -> ResolvedView | None:
        """The view on screen."""
        return self.views[self.current] if self.views else None

    def _head(self, note: str = "") -> None:
        view = self.view
        title = view.title if view else "Dashboard"
        others = f"  (v: {len(self.views)} views)" if len(self.views) > 1 else ""
        head = Text(title, style="bold")
        if self.group is not None and (view is None or view.kind != "portfolio"):
            head.append(" · group ", style="bold")
            head.append(safe_text(self.group, max_length=30), style="bold")
        head.append(f"  {note}{others}", style="dim")
        self.query_one("#dash-head", Static).update(head)

    def show_team(self, dashboard: Dashboard) -> None:
        """The full view: figures and repos by name."""
        sections = set(self.view.sections) if self.view else set()
        self._head("live")
        self.query_one("#dash-kpis", Static).update(
            kpi_table(dashboard.kpis) if "kpis" in sections or not sections else ""
        )
        body = Text()
        if "distribution" in sections or not sections:
            body.append("Health\n", style="bold")
            body.append_text(distribution_text(dashboard.distribution))
        if "commits" in sections or not sections:
            body.append_text(commits_text(list(dashboard.commits), dashboard.options.window_days))
            body.append("\n")
        if ("stale" in sections or not sections) and dashboard.stale:
            body.append(
                f"\nStale (no commit in {dashboard.options.stale_days}+ days)\n", style="bold"
            )
            for stale in dashboard.stale[:8]:
                body.append(f"  {safe_text(stale.name, max_length=30)}  {stale.days} d\n")
        if "time" in sections and self.time_rows is not None:
            body.append_text(time_text(self.time_rows))
        if "attention" in sections or not sections:
            body.append(
                f"\nNeeds attention ({len(dashboard.attention)}), enter jumps\n", style="bold"
            )
        self.query_one("#dash-body", Static).update(body)
        options = self.query_one("#dash-attention", OptionList)
        options.clear_options()
        if "attention" in sections or not sections:
            options.display = True
            for item in dashboard.attention:
                line = Text(f"{_fmt(item.score):>4} ", style="bold")
                line.append(f"{item.state:<8} ")
                line.append(safe_text(item.name, max_length=28))
                if item.reasons:
                    line.append(f"  {safe_text(item.reasons[0], max_length=40)}", style="dim")
                options.add_option(Option(line, id=item.path))
        else:
            options.display = False
        group_note = (
            f"Group {self.group}: its {plural(self._group_repos, 'repo')} "
            "only; the tenant's session count and snapshots are not shown (g: another group)"
            if self.group is not None
            else None
        )
        self._notes((*dashboard.notes, *([group_note] if group_note else [])))

    def show_advisor(self, view: AdvisorView) -> None:
        """The aggregate view: counts and trends only (the model holds no names)."""
        self._head("counts and trends only")
        self.query_one("#dash-kpis", Static).update(kpi_table(view.kpis) if view.kpis else "")
        body = Text()
        if view.distribution:
            body.append("Health\n", style="bold")
            body.append_text(distribution_text(view.distribution))
        if view.commits:
            body.append_text(commits_text(list(view.commits), len(view.commits)))
            body.append("\n")
        for label, value in (
            ("stale repos", view.stale_count),
            ("repos needing attention", view.attention_count),
        ):
            if value is not None:
                body.append(f"{label}: {value}\n")
        self.query_one("#dash-body", Static).update(body)
        options = self.query_one("#dash-attention", OptionList)
        options.clear_options()
        options.display = False
        self._notes(())

    def show_portfolio(self, portfolio: Portfolio) -> None:
        """One row per tenant, labelled by text and a colour stripe. A row without
        figures says why (no snapshot yet, no repos, not in its tier), and the notes say
        how to get them."""
        self._head(plural(len(portfolio.rows), "tenant"))
        self.query_one("#dash-kpis", Static).update("")
        # short headers: the table fits the pane at 80 columns (the notes spell them out)
        table = Table(
            box=None, expand=True, pad_edge=False, header_style="bold", padding=(0, 0, 0, 1)
        )
        table.add_column("tenant", no_wrap=True, overflow="ellipsis", ratio=1)
        for name in PORTFOLIO_COLUMNS:
            table.add_column(name, justify="right", no_wrap=True)
        notes: list[str] = []
        without = Text()  # the rows without figures, each with why (a table cell is narrow)
        for row in portfolio.rows:
            stripe = Text("▌" + "ABCDEF"[row.stripe % 6], style=STRIPES[row.stripe % 6])
            label = Text(safe_text(row.display_name or row.tenant, max_length=20))
            if row.home:
                label.append(" *", style="bold")
            why = (row.error and safe_text(row.error, max_length=60)) or _no_figures(row)
            if why:
                without.append_text(Text.assemble(stripe, " ", label, ": "))
                without.append(f"{why}\n", style="dim")
                continue
            table.add_row(
                Text.assemble(stripe, " ", label),
                *[
                    _fmt(v)
                    for v in (
                        row.repos,
                        row.dirty,
                        row.behind,
                        row.conflicted,
                        row.errored,
                        row.average_health,
                        row.active_sessions,
                    )
                ],
            )
        parts: list[Any] = [table] if table.row_count else []
        if without:
            parts.append(without)
        self.query_one("#dash-body", Static).update(Group(*parts))
        options = self.query_one("#dash-attention", OptionList)
        options.clear_options()
        options.display = False
        if any(row.snapshot_at is None and not row.error for row in portfolio.rows):
            notes.append(
                "Figures come from each tenant's newest status snapshot: `coditect status "
                "--tenant NAME` takes one."
            )
        if table.row_count:
            notes.append(PORTFOLIO_LEGEND)
        if portfolio.left_out:
            notes.append(
                f"{portfolio.left_out} listed tenants refused the principal and are left out."
            )
        self._notes(notes)

    def _notes(self, notes: Any) -> None:
        text = Text()
        for note in notes:
            text.append(f"! {safe_text(note)}\n", style="dim")
        self.query_one("#dash-notes", Static).update(text)

    @on(OptionList.OptionSelected, "#dash-attention")
    def _jump(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.post_message(JumpTo(event.option.id, "repo"))

    def take_focus(self) -> None:
        """Focus the "needs attention" rows when there are any (enter jumps), else the
        pane (the arrows scroll it)."""
        rows = self.query_one("#dash-attention", OptionList)
        if rows.display and rows.option_count:
            if rows.highlighted is None:
                rows.highlighted = 0
            rows.focus()
        else:
            self.focus()

    def action_next_view(self) -> None:
        """Cycle through the views this role may open."""
        if len(self.views) > 1:
            self.current = (self.current + 1) % len(self.views)
            self._draw()
