"""The Projects pane: tenant → projects → repos → submodules, with status glyphs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from coditect_tui.core.safe_text import safe_text
from coditect_tui.core.selection import Selection
from coditect_tui.core.tenant.events import (
    RepoStatusChanged,
    SessionEvent,
    StatusesLive,
    TreeDiscovered,
)
from coditect_tui.core.workspace_view import ProjectView, RepoView, WorkspaceView
from coditect_tui.ui.fit import fit_keeping_end
from coditect_tui.ui.glyphs import MARK, badges, repo_label
from coditect_tui.ui.selection_actions import mark_range
from coditect_tui.ui.tenant_link import TenantPane

if TYPE_CHECKING:
    from coditect_tui.core.tenant.session import TenantSession

NodeData = RepoView | str | None


@dataclass(frozen=True, slots=True)
class TreeState:
    """What the user made of a tenant's tree: kept across a rebuild (refresh, live update).

    Attributes:
        tenant: whose tree it was (another tenant's tree never gets it).
        expanded: the keys (:func:`node_key`) of the expanded nodes.
        cursor: the key of the node under the cursor (None: no cursor).
        scroll_y: how far the tree was scrolled.
    """

    tenant: str
    expanded: frozenset[str]
    cursor: str | None
    scroll_y: float


def node_key(node: TreeNode[NodeData]) -> str:
    """A node's identity across rebuilds: a repo's path, or a category under its parent."""
    data = node.data
    if isinstance(data, RepoView):
        return f"repo:{data.path}"
    parent = node.parent
    return f"{node_key(parent) if parent is not None else ''}/{data or ''}"


def _walk(node: TreeNode[NodeData]) -> Iterator[TreeNode[NodeData]]:
    yield node
    for child in node.children:
        yield from _walk(child)


def tree_is_cached(view: WorkspaceView) -> bool:
    """Whether ``view`` paints statuses from the last exit's cache (not merely unread)."""
    return view.cached and any(
        repo.status is not None and repo.status.cached for repo in view.repos()
    )


class ProjectTree(TenantPane, Tree[NodeData]):
    """The tree of the open tenant; updates one node at a time as statuses change."""

    names_repos = True

    BINDINGS = [
        Binding("right,l", "expand_node", "Expand", show=False, id="tree.expand"),
        Binding("left,h", "collapse_node", "Collapse", show=False, id="tree.collapse"),
        Binding("space", "mark", "Mark", show=False, id="selection.mark"),
        Binding("shift+up", "extend(-1)", "Mark up", show=False, id="selection.range_up"),
        Binding("shift+down", "extend(1)", "Mark down", show=False, id="selection.range_down"),
    ]

    class Marked(Message):
        """The marks changed (the app redraws the count and the repos view)."""

    class RepoHighlighted(Message):
        """The cursor moved onto a repo (the detail pane follows it)."""

        def __init__(self, repo: RepoView) -> None:
            super().__init__()
            self.repo = repo

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Text("workspace"), id=id)  # a str would be parsed as markup
        self.show_root = True
        self.guide_depth = 2
        self._repo_nodes: dict[str, TreeNode[NodeData]] = {}
        self.view: WorkspaceView | None = None
        # expansion, cursor and scroll to give back when that tenant's tree is rebuilt
        self._keep: TreeState | None = None
        self._restore_due = False  # _keep is still to be given back to a rebuilt tree
        self._by_key: dict[str, TreeNode[NodeData]] = {}  # every node by node_key
        self._rest: tuple[WorkspaceView, int] | None = None  # see show(first=...)
        self.group: str | None = None  # the group the tree is filtered by (set_group)
        self._groups_of: Callable[[str], frozenset[str]] | None = None
        self._shown: set[str] | None = None  # with a group: the repos kept, and ancestors
        self._cached = False
        self._group_tenant: str | None = None  # whose group it is (another tenant: cleared)
        self._root_title = "workspace"
        self.heading = Text("Projects")  # the border title, as text
        self._own_selection = Selection()  # used only outside the app (tests)
        self._anchor: int | None = None  # the line a shift+arrow range started on
        self._range: list[str] = []  # what that range marked (shrinking it unmarks them)

    def session_bound(self, session: TenantSession | None) -> None:
        """Show the new tenant's name only, until its tree is discovered (a refresh of
        the same tenant gives back its expanded nodes, cursor and scroll)."""
        self._remember()
        if session is not None and self._keep is not None and self._keep.tenant != session.name:
            self._keep = None  # another tenant: nothing of this one is remembered
        if session is not None and session.name != self._group_tenant and self.group:
            self.group = None  # another tenant's groups are not this one's
            self._title()
        self.view = None
        self.clear()
        self.cursor_line = -1
        self._repo_nodes.clear()
        self._by_key = {}
        self.root.set_label(Text(safe_text(session.profile.title if session else ""), style="bold"))
        self.root.data = None

    def session_event(self, event: SessionEvent) -> None:
        """Follow discovery, the first status read and every status change."""
        if not self.display or self.session is None:
            return  # an advisor's tree is hidden and never carries a repo name
        if isinstance(event, TreeDiscovered | StatusesLive):
            self.show(event.view, self.session.profile.title)
        elif isinstance(event, RepoStatusChanged):
            self.refresh_repo(event.repo)

    def show(self, view: WorkspaceView, title: str, *, first: int | None = None) -> None:
        """Rebuild the tree for ``view``, giving back the expanded nodes, the cursor and the
        scroll of the same tenant's tree (this one, or the one before a refresh).

        Args:
            view: the workspace to show.
            title: the root's label (the tenant).
            first: add only this many projects now, the rest when :meth:`add_rest` is
                called (the first paint: a screen shows far fewer rows than a big
                workspace has projects; the app adds the rest after the first frame).
        """
        self._remember()
        if self._keep is not None and self._keep.tenant != view.tenant:
            self._keep = None
        self.view = view
        self._root_title = title
        self.clear()
        self.cursor_line = -1  # the old line number would land on another node
        self._repo_nodes.clear()
        self.root.set_label(Text(safe_text(title), style="bold"))
        self.root.data = None
        self._by_key = {node_key(self.root): self.root}
        self._shown = self._kept(view)
        now = view.projects if first is None else view.projects[:first]
        for project in now:
            self._add_project(project)
        self._rest = (view, len(now)) if len(now) < len(view.projects) else None
        self.root.expand()
        self.set_cached(tree_is_cached(view))
        if self._keep is not None:
            # after the refresh: a node's line is known only once the tree laid out its lines
            self._restore_due = True
            self.call_after_refresh(self._restore)

    def _remember(self) -> None:
        """Keep the expansion, cursor and scroll of the tree on screen (if it shows one)."""
        if self.view is None or self._restore_due:
            return  # nothing shown, or the kept state is not given back yet
        nodes = list(_walk(self.root))
        cursor = self.cursor_node
        self._keep = TreeState(
            tenant=self.view.tenant,
            expanded=frozenset(node_key(n) for n in nodes if n.is_expanded and n.children),
            cursor=node_key(cursor) if cursor is not None else None,
            scroll_y=self.scroll_y,
        )

    def _expand_kept(self, node: TreeNode[NodeData]) -> None:
        key = node_key(node)
        self._by_key[key] = node
        if self._keep is not None and key in self._keep.expanded:
            node.expand()

    def set_group(self, group: str | None, groups_of: Callable[[str], frozenset[str]]) -> None:
        """Show only the repos of ``group`` (None: every repo) and their parents; the
        title names the group. The tree is rebuilt, keeping expansion and cursor.

        Args:
            group: a group name, or None to clear the filter.
            groups_of: a repo path's groups (``GroupIndex.groups_of``).
        """
        self.group, self._groups_of = group, groups_of
        self._group_tenant = self.session.name if self.session is not None else None
        self._title()
        if self.view is not None:
            self.show(self.view, self._root_title)

    def _kept(self, view: WorkspaceView) -> set[str] | None:
        """With a group: the paths of its repos and of every repo above one of them."""
        if self.group is None or self._groups_of is None:
            return None
        parents = {repo.path: repo.parent for repo in view.repos()}
        kept: set[str] = set()
        for repo in view.repos():
            if self.group in self._groups_of(repo.path):
                path: str | None = repo.path
                while path is not None and path not in kept:
                    kept.add(path)
                    path = parents.get(path)
        return kept

    def _add_project(self, project: ProjectView) -> None:
        if not project.repos:
            return
        if self._shown is not None:
            repos = [r for r in project.repos if r.path in self._shown]
            if not repos or repos[0] is not project.repos[0]:
                return
            project = ProjectView(
                name=project.name, path=project.path, kind=project.kind, repos=repos
            )
        root, rest = project.repos[0], project.repos[1:]
        node = self.root.add(
            repo_label(root, name=project.name), data=root, allow_expand=bool(rest)
        )
        self._repo_nodes[root.path] = node
        self._expand_kept(node)
        children: dict[str | None, list[RepoView]] = defaultdict(list)
        for repo in rest:
            children[repo.parent].append(repo)
        self._add_children(node, root.path, children)

    def _add_children(
        self,
        parent_node: TreeNode[NodeData],
        parent_path: str,
        children: dict[str | None, list[RepoView]],
    ) -> None:
        subs = children.get(parent_path, [])
        categories = sorted({s.category or "" for s in subs})
        grouped = len(categories) > 1
        groups: dict[str, TreeNode[NodeData]] = {}
        for sub in subs:
            target = parent_node
            if grouped:
                key = sub.category or ""
                if key not in groups:
                    count = sum((s.category or "") == key for s in subs)
                    groups[key] = parent_node.add(
                        Text(f"{safe_text(key or 'other')}/ ({count})", style="italic"),
                        data=f"category:{key}",
                    )
                    self._expand_kept(groups[key])
                target = groups[key]
            has_children = bool(children.get(sub.path))
            node = target.add(repo_label(sub), data=sub, allow_expand=has_children)
            self._repo_nodes[sub.path] = node
            self._expand_kept(node)
            if has_children:
                self._add_children(node, sub.path, children)

    def refresh_repo(self, repo: RepoView) -> None:
        """Redraw one repo's label after its status changed."""
        node = self._repo_nodes.get(repo.path)
        if node is None:
            return
        name = (
            node.parent is self.root
            and self.view
            and next((p.name for p in self.view.projects if p.repos and p.repos[0] is repo), None)
        )
        node.set_label(repo_label(repo, name=name or None))

    def set_cached(self, cached: bool) -> None:
        """Mark the tree as coming from the last exit's cache, or fresh."""
        self._cached = cached
        self._title()

    def _title(self) -> None:
        """``Projects``, ``(cached)`` while so, and the group it is filtered by."""
        title = Text("Projects (cached)" if self._cached else "Projects")
        if self.group is not None:
            title.append(" · group ")
            title.append(safe_text(self.group, max_length=30), style="bold")
        self.heading = title
        self.border_title = title

    def add_rest(self) -> None:
        """Add the projects a ``show(..., first=N)`` left out (once; nothing if the view
        was replaced meanwhile)."""
        rest, self._rest = self._rest, None
        if rest is not None and self.view is rest[0]:
            for project in rest[0].projects[rest[1] :]:
                self._add_project(project)

    def _restore(self) -> None:
        """Scroll back, then put the cursor back (unless it was moved meanwhile)."""
        state, due, self._restore_due = self._keep, self._restore_due, False
        if state is None or not due or self.view is None:
            return
        self._tree_lines  # noqa: B018 (lay out every line now: the scroll's range follows)
        self.scroll_to(y=state.scroll_y, animate=False, immediate=True)
        node = self._by_key.get(state.cursor) if state.cursor is not None else None
        if node is not None and self.cursor_node in (None, self.root):
            self.move_cursor(node)
        if self.scroll_y < state.scroll_y:
            # the range was still the old layout's (a scrollbar came or went): once more
            self.call_after_refresh(self._scroll_back, state)

    def _scroll_back(self, state: TreeState) -> None:
        if self._keep is state and self.view is not None:
            self.scroll_to(y=state.scroll_y, animate=False, immediate=True)

    def select_path(self, path: str) -> bool:
        """Move the cursor to the repo at ``path`` (expanding its ancestors)."""
        node = self._repo_nodes.get(path)
        if node is None:
            return False
        parent = node.parent
        while parent is not None:
            parent.expand()
            parent = parent.parent
        self.move_cursor(node)
        self.focus()
        return True

    def render_label(self, node: TreeNode[NodeData], base_style: Style, style: Style) -> Text:
        """A repo's label fits the pane: a long name is cut with an ellipsis so that its
        status glyphs stay in sight (Textual would scroll them off to the right)."""
        label = super().render_label(node, base_style, style)
        if not isinstance(node.data, RepoView):
            return label
        if node.data.path in self.selection:  # a glyph, not only a style: reads without colour
            label = Text.assemble(Text(f"{MARK} ", style="bold"), label)
        depth, parent = 0, node.parent
        while parent is not None:
            depth, parent = depth + 1, parent.parent
        width = self.scrollable_content_region.width - depth * self.guide_depth
        return fit_keeping_end(label, len(badges(node.data)) + 2, width)

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[NodeData]) -> None:
        if isinstance(event.node.data, RepoView):
            self.post_message(self.RepoHighlighted(event.node.data))

    @property
    def selection(self) -> Selection:
        """The marked repos: the app's selection (shared with the repos view)."""
        selection = getattr(self.app, "selection", None) if self.is_attached else None
        return selection if isinstance(selection, Selection) else self._own_selection

    def refresh_marks(self, paths: Iterable[str]) -> None:
        """Redraw the repos at ``paths`` (their mark changed)."""
        for path in paths:
            node = self._repo_nodes.get(path)
            if node is not None:
                node.refresh()

    def action_mark(self) -> None:
        """space: mark or unmark the repo under the cursor and move down (on a project
        category or the root: expand or collapse it, as Textual's tree does)."""
        node = self.cursor_node
        if node is None:
            return
        self._anchor, self._range = None, []
        if not isinstance(node.data, RepoView):
            node.toggle()
            return
        self.selection.toggle(node.data.path)
        self.refresh_marks([node.data.path])
        self.action_cursor_down()
        self.post_message(self.Marked())

    def action_extend(self, step: int) -> None:
        """shift+↑/↓: mark every repo from the line the range started on to the cursor;
        moving back over it unmarks what this range marked."""
        if self.cursor_line < 0:
            return
        if self._anchor is None:
            self._anchor, self._range = self.cursor_line, []
        if step < 0:
            super().action_cursor_up()
        else:
            super().action_cursor_down()
        low, high = sorted((self._anchor, self.cursor_line))
        wanted: list[str] = []
        for line in range(low, high + 1):
            node = self.get_node_at_line(line)
            if node is not None and isinstance(node.data, RepoView):
                wanted.append(node.data.path)
        self._range, changed = mark_range(self.selection, wanted, self._range)
        self.refresh_marks(changed)
        self.post_message(self.Marked())

    def action_cursor_up(self) -> None:
        self._anchor, self._range = None, []
        super().action_cursor_up()

    def action_cursor_down(self) -> None:
        self._anchor, self._range = None, []
        super().action_cursor_down()

    def action_expand_node(self) -> None:
        if self.cursor_node is not None:
            self.cursor_node.expand()

    def action_collapse_node(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.is_expanded and node.children:
            node.collapse()
        elif node.parent is not None:
            self.move_cursor(node.parent)
