"""Dashboard views shaped by role and tier (config/views.yaml), and the advisor's view.

views.yaml names the views (``full``: everything; ``aggregate``: counts and trends only;
``portfolio``: one row per tenant), which views each role may open (the first is its
default), which views a tier restricts its members to, and the dashboard's thresholds.
A view is offered when the role lists it, the tier allows it and the tier has the view's
feature (tiers.yaml). A user file ``<XDG config>/coditect/views.yaml`` replaces the
shipped one.

Views shape what is *shown*; what may be *read* is still decided by roles.yaml in every
backend. The advisor view goes further than hiding columns: :class:`AdvisorView` is a
strict model whose fields are numbers, dates and a fixed band vocabulary only, so no repo
name, file name or person can be put into it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from coditect_tui.core.dashboard.kpis import Kpis
from coditect_tui.core.errors import ConfigError
from coditect_tui.core.git.health import Band
from coditect_tui.core.policy import (
    KNOWN_FEATURES,
    Policy,
    TierOrSubject,
    shipped_policy,
    unknown_name,
)
from coditect_tui.core.yamlio import LocatedYaml, load_yaml, validate

if TYPE_CHECKING:
    from coditect_tui.core.dashboard import Dashboard, DashboardOptions

ViewKind = Literal["full", "aggregate", "portfolio"]
Section = Literal[
    "kpis",
    "distribution",
    "commits",
    "trend",
    "stale",
    "attention",
    "stale_count",
    "attention_count",
    "time",
]
PortfolioColumn = Literal[
    "repos",
    "dirty",
    "ahead",
    "behind",
    "detached",
    "conflicted",
    "errored",
    "average_health",
    "active_sessions",
    "snapshot_at",
]

#: Sections that list repos by name: never allowed in an aggregate view.
NAMED_SECTIONS: frozenset[str] = frozenset({"stale", "attention", "time"})
#: Sections an aggregate view may show.
AGGREGATE_SECTIONS: frozenset[str] = frozenset(
    {"kpis", "distribution", "commits", "trend", "stale_count", "attention_count"}
)
VIEWS_FILE = "views.yaml"

_Strict = ConfigDict(extra="forbid", frozen=True)


class DashboardDefaults(BaseModel):
    """The ``dashboard:`` section: thresholds every view uses."""

    model_config = _Strict
    window_days: int = Field(default=30, ge=1, le=366, description="days of activity and trend")
    stale_days: int = Field(default=30, ge=1, description="no commit for this many days = stale")
    attention_below: int = Field(
        default=70, ge=0, le=101, description="repos scoring below this need attention"
    )

    def options(self, tz: tzinfo = UTC) -> DashboardOptions:
        """These thresholds as dashboard options (in time zone ``tz``)."""
        from coditect_tui.core.dashboard import DashboardOptions

        return DashboardOptions(
            window_days=self.window_days,
            stale_days=self.stale_days,
            attention_below=self.attention_below,
            tz=tz,
        )


class ViewDef(BaseModel):
    """One view of ``views:``."""

    model_config = _Strict
    kind: ViewKind
    title: str = Field(min_length=1, max_length=60)
    description: str = ""
    feature: str | None = None
    sections: list[Section] = Field(default_factory=list)
    columns: list[PortfolioColumn] = Field(default_factory=list)

    @field_validator("feature")
    @classmethod
    def _known_feature(cls, value: str | None) -> str | None:
        if value is not None and value not in KNOWN_FEATURES:
            raise ValueError(unknown_name("feature", value, KNOWN_FEATURES))
        return value


class ViewsFile(BaseModel):
    """views.yaml."""

    model_config = _Strict
    dashboard: DashboardDefaults = Field(default_factory=DashboardDefaults)
    views: dict[str, ViewDef]
    default_views: list[str] = Field(default_factory=list)
    roles: dict[str, list[str]] = Field(default_factory=dict)
    tiers: dict[str, list[str]] = Field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ResolvedView:
    """A view a principal may open.

    Attributes:
        name: its key in views.yaml.
        kind: full, aggregate or portfolio.
        title: the tab or heading text.
        description: one line of help.
        sections: the dashboard sections shown (full and aggregate views).
        columns: the portfolio columns (portfolio views).
    """

    name: str
    kind: ViewKind
    title: str
    description: str
    sections: tuple[str, ...]
    columns: tuple[str, ...]


@dataclass(frozen=True)
class ViewsConfig:
    """A loaded, cross-checked views.yaml.

    Attributes:
        file: the validated file.
        path: where it came from.
    """

    file: ViewsFile
    path: str

    @property
    def dashboard(self) -> DashboardDefaults:
        """The dashboard thresholds."""
        return self.file.dashboard

    def view(self, name: str) -> ResolvedView:
        """The view called ``name``.

        Raises:
            ConfigError: no such view (with a suggestion).
        """
        definition = self.file.views.get(name)
        if definition is None:
            raise ConfigError(unknown_name("view", name, self.file.views))
        return ResolvedView(
            name,
            definition.kind,
            definition.title,
            definition.description,
            tuple(definition.sections),
            tuple(definition.columns),
        )

    def views_for(
        self, *, role: str, tier: str, policy: Policy | None = None
    ) -> list[ResolvedView]:
        """The views ``role`` may open in a tenant of ``tier``, its default first.

        A view is offered when the role lists it (or, for a role views.yaml does not
        list, ``default_views`` does), the tier's entry (when it has one) lists it, and
        the tier has the view's feature.

        Args:
            role: the principal's role in the tenant.
            tier: the tenant's tier.
            policy: roles and tiers (default: the shipped ones).

        Returns:
            The views in the role's order; empty when none applies.
        """
        policy = policy or shipped_policy()
        names = self.file.roles.get(role, self.file.default_views)
        allowed = self.file.tiers.get(tier)
        out = []
        for name in names:
            definition = self.file.views[name]
            if allowed is not None and name not in allowed:
                continue
            if definition.feature is not None and not policy.has_feature(tier, definition.feature):
                continue
            out.append(self.view(name))
        return out


def tier_has_feature(tier: TierOrSubject, feature: str, policy: Policy | None = None) -> bool:
    """Whether tiers.yaml gives ``tier`` the ``feature`` (an unknown tier has none); for a
    subject (tenant and principal), flags.yaml decides too."""
    return (policy or shipped_policy()).has_feature(tier, feature)


def default_views_path() -> Path:
    """The user's views.yaml when it exists, else the shipped one."""
    from coditect_tui.core.paths import config_dir, shipped_config_dir

    user = config_dir() / VIEWS_FILE
    return user if user.exists() else shipped_config_dir() / VIEWS_FILE


def _fail(doc: LocatedYaml, loc: tuple[str | int, ...], message: str) -> ConfigError:
    return ConfigError(
        message, path=doc.path, line=doc.line_of(loc), key=".".join(str(p) for p in loc)
    )


def _cross_check(doc: LocatedYaml, file: ViewsFile, policy: Policy) -> None:
    for name, view in file.views.items():
        where = ("views", name)
        if view.kind == "portfolio":
            if view.sections:
                raise _fail(
                    doc,
                    (*where, "sections"),
                    f"views.{name}: a portfolio view has columns, not sections",
                )
            if not view.columns:
                raise _fail(doc, where, f"views.{name}: a portfolio view needs columns")
            continue
        if view.columns:
            raise _fail(
                doc, (*where, "columns"), f"views.{name}: only a portfolio view has columns"
            )
        if not view.sections:
            raise _fail(doc, where, f"views.{name}: needs at least one section")
        if view.kind == "aggregate":
            for index, section in enumerate(view.sections):
                if section in NAMED_SECTIONS:
                    raise _fail(
                        doc,
                        (*where, "sections", index),
                        f"views.{name}: section {section!r} lists repos by name; an "
                        f"aggregate view may show {', '.join(sorted(AGGREGATE_SECTIONS))}",
                    )
    references: list[tuple[tuple[str | int, ...], list[str]]] = [
        (("default_views",), file.default_views)
    ]
    for role, names in file.roles.items():
        if role not in policy.roles:
            raise _fail(doc, ("roles", role), unknown_name("role", role, policy.roles))
        references.append((("roles", role), names))
    for tier, names in file.tiers.items():
        if tier not in policy.tiers:
            raise _fail(doc, ("tiers", tier), unknown_name("tier", tier, policy.tiers))
        references.append((("tiers", tier), names))
    for loc, names in references:
        for index, name in enumerate(names):
            if name not in file.views:
                raise _fail(doc, (*loc, index), unknown_name("view", name, file.views))


def load_views(path: Path | None = None, *, policy: Policy | None = None) -> ViewsConfig:
    """Load and cross-check views.yaml.

    Args:
        path: the file (default: :func:`default_views_path`).
        policy: roles and tiers the file may name (default: the shipped ones).

    Returns:
        The configuration.

    Raises:
        ConfigError: unreadable or invalid; one line naming the file, line and key.
    """
    target = path or default_views_path()
    doc = load_yaml(target)
    file = validate(doc, ViewsFile)
    _cross_check(doc, file, policy or shipped_policy())
    return ViewsConfig(file=file, path=str(target))


# -- the advisor's aggregate view --------------------------------------------------------

_Aggregate = ConfigDict(extra="forbid", frozen=True, strict=True)


class AggregateBand(BaseModel):
    """Repos in one health band."""

    model_config = _Aggregate
    band: Band
    low: int
    high: int
    count: int
    share: float


class AggregateDay(BaseModel):
    """Commits on one day."""

    model_config = _Aggregate
    day: date
    commits: int


class AggregateTrend(BaseModel):
    """The day's last status snapshot, as counts."""

    model_config = _Aggregate
    day: date
    repos: int | None
    dirty: int | None
    behind: int | None
    errored: int | None
    average_health: float | None


class AdvisorView(BaseModel):
    """Counts and trends only. Every field is a number, a date or a band name, and the
    model is strict (no coercion) and closed (no extra fields): it cannot carry text.

    A section the view does not show is None.
    """

    model_config = _Aggregate
    generated_at: datetime
    window_days: int
    stale_days: int
    attention_below: int
    kpis: Kpis | None = None
    distribution: tuple[AggregateBand, ...] | None = None
    commits: tuple[AggregateDay, ...] | None = None
    trend: tuple[AggregateTrend, ...] | None = None
    stale_count: int | None = None
    attention_count: int | None = None


def advisor_view(dashboard: Dashboard, sections: Iterable[str] | None = None) -> AdvisorView:
    """The aggregate view of a dashboard.

    Args:
        dashboard: the full dashboard (it holds names; the result does not).
        sections: the sections to fill (default: every aggregate section). ``stale`` and
            ``attention`` are shown as their counts.

    Returns:
        The view; sections not asked for are None.
    """
    wanted = set(AGGREGATE_SECTIONS if sections is None else sections)
    if "stale" in wanted:
        wanted.add("stale_count")
    if "attention" in wanted:
        wanted.add("attention_count")
    options = dashboard.options
    return AdvisorView(
        generated_at=dashboard.generated_at,
        window_days=options.window_days,
        stale_days=options.stale_days,
        attention_below=options.attention_below,
        kpis=dashboard.kpis if "kpis" in wanted else None,
        distribution=tuple(
            AggregateBand(
                band=b.band,
                low=b.low,
                high=b.high,
                count=b.count,
                share=b.share,
            )
            for b in dashboard.distribution
        )
        if "distribution" in wanted
        else None,
        commits=tuple(AggregateDay(day=d.day, commits=d.commits) for d in dashboard.commits)
        if "commits" in wanted
        else None,
        trend=tuple(
            AggregateTrend(
                day=t.day,
                repos=t.repos,
                dirty=t.dirty,
                behind=t.behind,
                errored=t.errored,
                average_health=t.average_health,
            )
            for t in dashboard.trend
        )
        if "trend" in wanted
        else None,
        stale_count=len(dashboard.stale) if "stale_count" in wanted else None,
        attention_count=len(dashboard.attention) if "attention_count" in wanted else None,
    )
