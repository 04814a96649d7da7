"""Groups in the app: add the selected repo to a group, remove it, filter the tree by a
group, show one group on the dashboard; and their palette commands.

Groups are the tenant profile's ``groups`` in the config file (``core/groups.py``); a
change is written with ``core/groups_file.py`` (in place, atomic) and refused, before
any dialog, in read-only mode and to a read-only role (``CHANGES`` in ``ui/actions.py``:
a change on this machine only). Group and repo names reach the screen only as ``Text``
or plain ``Content``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work

from coditect_tui.core.errors import CoditectError
from coditect_tui.core.safe_text import safe_text
from coditect_tui.core.wording import plural
from coditect_tui.ui.palette import EntriesProvider, Entry

if TYPE_CHECKING:
    from coditect_tui.core.groups import GroupIndex
    from coditect_tui.core.settings import TenantProfile
    from coditect_tui.ui.app import CoditectApp

#: The chooser's option for "no group" (never a group name: ``*`` is not allowed in one).
ALL = "*all*"


class GroupActions:
    """The app's group actions (mixed into ``CoditectApp``)."""

    def group_index(self: Any) -> GroupIndex:
        """The open tenant's groups over its workspace roots."""
        from coditect_tui.core.groups import GroupIndex
        from coditect_tui.core.workspace_roots import default_roots

        profile = self.session.profile if self.session is not None else self.profile
        if profile is None:
            return GroupIndex({}, [])
        roots = default_roots(profile, allow_demo=self.demo_allowed).roots
        return GroupIndex(profile.groups, roots)

    @property
    def groups_of(self: Any) -> Callable[[str], frozenset[str]]:
        """A repo path's groups in the open tenant (what selection by group uses); one
        index per call, so a whole selection reads the config once."""
        return self.group_index().groups_of

    def _choose_group(self: Any, title: str, then: Callable[[str | None], None]) -> None:
        """Ask for one of the tenant's groups, or all repos; ``then`` gets the name or
        None (all repos); escape calls nothing."""
        from coditect_tui.ui.screens.dialogs import ChoiceDialog

        index = self.group_index()
        if not index.groups:
            self.notify("No groups in this tenant yet: + adds the selected repo to one.")
            return
        choices = [(ALL, "All repos (no group)")]
        for name in index.names():
            count = plural(len(index.groups[name]), "entry")
            choices.append((name, f"{safe_text(name)} ({count})"))
        self.push_screen(
            ChoiceDialog(title, "Show which group?", choices),
            lambda chosen: chosen is not None and then(None if chosen == ALL else chosen),
        )

    def action_group_filter(self: Any) -> None:
        """Filter the project tree by a group (or show every repo again)."""
        self._choose_group("Filter the tree", self.filter_tree)

    def filter_tree(self: Any, group: str | None) -> None:
        """Show only ``group``'s repos in the tree (None: every repo)."""
        from coditect_tui.ui.panes.projects import ProjectTree

        self.query_one(ProjectTree).set_group(group, self.group_index().groups_of)

    def action_dashboard_group(self: Any) -> None:
        """Show one group's figures on the dashboard (or the whole tenant's again)."""
        self._choose_group("Dashboard group", self.dashboard_group)

    def dashboard_group(self: Any, group: str | None) -> None:
        """Show ``group``'s figures on the dashboard (None: the whole tenant)."""
        from coditect_tui.ui.panes.dashboard import DashboardPane  # mounted after paint

        for pane in self.query(DashboardPane):
            pane.set_group(group, self.group_index().groups_of)

    def action_group_add(self: Any) -> None:
        """Add the selected repo to a group (a new name makes a new group)."""
        from coditect_tui.ui.screens.dialogs import TextPrompt

        if self.refuse("group.add") or (repo := self._group_repo()) is None:
            return
        names = self.group_index().names()
        existing = f" (groups: {', '.join(safe_text(n) for n in names)})" if names else ""
        prompt = f"Add {safe_text(repo.name, max_length=40)} to the group{existing}:"
        self.push_screen(
            TextPrompt("Add to group", prompt, placeholder="group name"),
            lambda name: name and self._save_group(repo.path, name, add=True),
        )

    def action_group_remove(self: Any) -> None:
        """Remove the selected repo from one of its groups."""
        from coditect_tui.ui.screens.dialogs import ChoiceDialog

        if self.refuse("group.remove") or (repo := self._group_repo()) is None:
            return
        groups = sorted(self.group_index().groups_of(repo.path))
        if not groups:
            self.notify(f"{safe_text(repo.name)} is in no group.")
            return
        self.push_screen(
            ChoiceDialog(
                "Remove from group",
                f"Remove {safe_text(repo.name, max_length=40)} from which group?",
                [(name, safe_text(name)) for name in groups],
            ),
            lambda name: name and self._save_group(repo.path, name, add=False),
        )

    def _group_repo(self: Any) -> Any:
        if self.selected is None:
            self.notify("Select a repo in the tree first.")
        return self.selected

    @work(group="groups", exclusive=True)
    async def _save_group(self: Any, path: str, group: str, *, add: bool) -> None:
        """Write the change, then show it (tree filter and dashboard follow)."""
        from coditect_tui.core.groups import check_group_name, entry_for
        from coditect_tui.core.groups_file import change_groups

        session, index = self.session, self.group_index()
        if session is None:
            return
        try:
            check_group_name(group)
        except ValueError as exc:
            self.notify(safe_text(exc), severity="error", timeout=8)
            return
        naming = index.entries_naming(group, path)

        def change(groups: dict[str, list[str]]) -> dict[str, list[str]]:
            entries = groups.setdefault(group, [])
            if add and not naming:
                entries.append(entry_for(path, index.roots))
            elif not add:
                groups[group] = [e for e in entries if e not in naming]
            return groups

        try:
            _old, new = await asyncio.to_thread(
                change_groups, Path(self.config_path), session.name, change
            )
        except CoditectError as exc:
            self.report(exc, "Groups")
            return
        if session is not self.session:
            return
        self._use_groups(session.profile.model_copy(update={"groups": new}))
        verb = "added to" if add else "removed from"
        note = "" if add or len(naming) < 2 else f" ({plural(len(naming), 'entry')} naming it)"
        self.notify(f"{safe_text(path.rsplit('/', 1)[-1])} {verb} {safe_text(group)}{note}")

    def _use_groups(self: Any, profile: TenantProfile) -> None:
        """Take the profile with its new groups everywhere, and redraw what shows groups."""
        from coditect_tui.ui.panes.projects import ProjectTree

        self.session.profile = profile
        self.profile = profile
        if self.settings is not None:
            tenants = [profile if t.name == profile.name else t for t in self.settings.tenants]
            self.settings = self.settings.model_copy(update={"tenants": tenants})
        tree = self.query_one(ProjectTree)
        if tree.group is not None:
            tree.set_group(tree.group, self.group_index().groups_of)
        from coditect_tui.ui.panes.dashboard import DashboardPane

        for pane in self.query(DashboardPane):
            if pane.group is not None:
                pane.set_group(pane.group, self.group_index().groups_of)


class GroupsProvider(EntriesProvider):
    """``Group filter: NAME`` and ``Dashboard group: NAME`` for each group, and clearing
    either (names are shown as plain text)."""

    def entries(self) -> list[Entry]:
        app: CoditectApp = self.app  # type: ignore[assignment]
        if app.aggregate_only:
            return []
        names = app.group_index().names()
        if not names:
            return []
        entries: list[Entry] = [
            ("Group filter: all repos (clear)", partial(app.filter_tree, None), None),
            ("Dashboard group: all repos", partial(app.dashboard_group, None), None),
        ]
        for name in names:
            text = safe_text(name)
            entries.append((f"Group filter: {text}", partial(app.filter_tree, name), None))
            entries.append((f"Dashboard group: {text}", partial(app.dashboard_group, name), None))
        return entries
