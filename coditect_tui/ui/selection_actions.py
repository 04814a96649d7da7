"""The app's selection of repos: one set shared by the tree and the repos view.

:class:`SelectionMixin` gives the app its :class:`~coditect_tui.core.selection.Selection`
(the marked repo paths of the open tenant), redraws the marks and the count when it
changes, selects by filter (a small menu, ``*``, and one palette command per filter) and
clears it (``escape``; binding id ``selection.clear``). The selection belongs to one
tenant: the app clears it on a tenant switch, and a refresh keeps only the repos that were
discovered again.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from coditect_tui.core.git.health import BANDS
from coditect_tui.core.safe_text import safe_text
from coditect_tui.core.selection import STATES, GroupsOf, Selection, SelectionFilter, no_groups
from coditect_tui.core.wording import plural
from coditect_tui.ui.palette import EntriesProvider, Entry

if TYPE_CHECKING:
    from coditect_tui.core.workspace_view import RepoView, WorkspaceView
    from coditect_tui.ui.app import CoditectApp

#: How each state reads in the menu and the palette.
STATE_WORDS = {
    "dirty": "Dirty (uncommitted changes)",
    "ahead": "Ahead of upstream (unpushed)",
    "behind": "Behind upstream",
    "diverged": "Diverged (ahead and behind)",
    "conflict": "In conflict",
    "detached": "On a detached HEAD",
}


def filter_of(key: str) -> SelectionFilter:
    """The filter a menu or palette key names: ``state:dirty``, ``band:poor``,
    ``category:NAME``, ``group:NAME``.

    Raises:
        ValueError: an unknown kind, state or band.
    """
    kind, _, value = key.partition(":")
    if kind == "state":
        return SelectionFilter(states=frozenset({value}))  # type: ignore[arg-type]
    if kind == "band":
        return SelectionFilter(bands=frozenset({value}))  # type: ignore[arg-type]
    if kind == "category":
        return SelectionFilter(categories=frozenset({value}))
    if kind == "group":
        return SelectionFilter(groups=frozenset({value}))
    raise ValueError(f"unknown selection filter {key!r}")


def filter_choices(repos: list[RepoView], groups_of: GroupsOf) -> list[tuple[str, str]]:
    """(key, label) for every filter worth offering: each state, each health band, and the
    categories and groups the tenant's repos have (labels are neutralised)."""
    choices = [(f"state:{s}", STATE_WORDS[s]) for s in STATES]
    choices += [(f"band:{b}", f"Health {b} ({low}-{high})") for b, low, high in BANDS]
    categories = sorted({r.category for r in repos if r.category})
    choices += [(f"category:{c}", f"Category {safe_text(c, max_length=40)}") for c in categories]
    groups = sorted({g for r in repos for g in groups_of(r.path)})
    choices += [(f"group:{g}", f"Group {safe_text(g, max_length=40)}") for g in groups]
    return choices


def mark_range(
    selection: Selection, wanted: list[str], previous: list[str]
) -> tuple[list[str], list[str]]:
    """shift+arrows: mark the rows of the range now (``wanted``, from where it started to
    the cursor) and unmark what the same range marked before but no longer covers.

    Args:
        selection: the marks.
        wanted: the paths the range covers now, in display order.
        previous: what this range marked so far (rows marked before it are not in it).

    Returns:
        (what the range has marked now, the paths whose mark changed).
    """
    keep = set(wanted)
    dropped = [p for p in previous if p not in keep]
    for path in dropped:
        selection.remove(path)
    added = [p for p in wanted if p not in selection]
    for path in added:
        selection.add(path)
    return [p for p in previous if p in keep] + added, [*dropped, *added]


class SelectionMixin:
    """Mixed into the app (see the module docstring)."""

    selection: Selection
    groups_of: GroupsOf = staticmethod(no_groups)
    _marks_shown: frozenset[str] = frozenset()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.selection = Selection()

    def _app(self) -> CoditectApp:
        return self  # type: ignore[return-value]

    def _repos(self) -> list[RepoView]:
        app = self._app()
        if app.aggregate_only or app.view is None:
            return []
        return [r for r in app.view.repos() if r.initialised]

    def selection_changed(self) -> None:
        """Redraw the marks that changed (tree, repos view) and the count (header)."""
        from coditect_tui.ui.panes.projects import ProjectTree
        from coditect_tui.ui.widgets.header import TenantHeader

        app = self._app()
        now = frozenset(self.selection)
        changed, self._marks_shown = now ^ self._marks_shown, now
        for tree in app.query(ProjectTree):
            tree.refresh_marks(changed)
        for pane in app.query("ReposPane"):
            pane.selection_changed()  # type: ignore[attr-defined]
        for header in app.query(TenantHeader):
            header.selected = len(self.selection)

    def _keep_discovered(self, view: WorkspaceView) -> None:
        """A refresh of the same tenant keeps the marks of the repos still there."""
        present = {r.path for r in view.repos()}
        gone = [p for p in self.selection if p not in present]
        for path in gone:
            self.selection.remove(path)
        if gone:
            self.selection_changed()

    def on_project_tree_marked(self) -> None:
        self.selection_changed()

    def on_repos_table_marked(self) -> None:
        self.selection_changed()

    def on_repos_table_highlighted(self, message: Any) -> None:
        """The repos view's cursor picks the repo the app's keys act on (as the tree's)."""
        app = self._app()
        app.selected = message.repo
        for pane in app._panes():
            select = getattr(pane, "select", None)
            if select is not None and not pane.names_repos:
                select(message.repo)

    def action_clear_selection(self) -> None:
        """Unmark every repo (tree and repos view)."""
        if len(self.selection):
            self.selection.clear()
            self.selection_changed()

    def action_select_by_filter(self) -> None:
        """Mark every repo in a state, health band, category or group (a menu)."""
        from coditect_tui.ui.screens.dialogs import ChoiceDialog

        repos = self._repos()
        if not repos:
            self._app().notify("No repos to select yet.")
            return
        choices = filter_choices(repos, self.groups_of)

        def chosen(key: str | None) -> None:
            if key:
                self.select_filter(key)

        self._app().push_screen(
            ChoiceDialog("Select by filter", "Mark every repo that is:", choices), chosen
        )

    def select_filter(self, key: str) -> int:
        """Mark every repo the filter ``key`` (:func:`filter_of`) matches; say how many.

        Returns:
            How many repos were newly marked.
        """
        added = self.selection.select_matching(self._repos(), filter_of(key), self.groups_of)
        self.selection_changed()
        self._app().notify(
            f"Marked {plural(added, 'more repo')}: {plural(len(self.selection), 'repo')} selected."
            if added
            else f"No more repos match: {plural(len(self.selection), 'repo')} selected."
        )
        return added


class SelectionProvider(EntriesProvider):
    """``Select: …``: one palette command per filter of the menu."""

    def entries(self) -> list[Entry]:
        app: CoditectApp = self.app  # type: ignore[assignment]
        repos = app._repos()
        if not repos:
            return []
        return [
            (f"Select: {label}", partial(app.select_filter, key), "mark every such repo (*)")
            for key, label in filter_choices(repos, app.groups_of)
        ]
