"""Command palette providers: projects and repos, panes, actions, tenants (`ctx <name>`).

Textual reads a hit's string display and its help as markup; repo names, paths and
tenant titles are untrusted, so they reach the palette only as ``Content`` built from
plain text (``ui/plain.py``): a folder named ``[@click=app.quit]x`` shows
those characters and runs nothing.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from coditect_tui.core.safe_text import safe_text
from coditect_tui.ui.actions import ACTIONS
from coditect_tui.ui.palette import EntriesProvider, Entry
from coditect_tui.ui.plain import highlight_plain, plain

if TYPE_CHECKING:
    from coditect_tui.ui.app import CoditectApp

PANES = {
    "repo": "Repo detail",
    "dashboard": "Dashboard",
    "sessions": "Git sessions",
    "memory": "Memory",
    "audit": "Audit",
    "repos": "Repos",
}


def _app(provider: Provider) -> CoditectApp:
    return provider.app  # type: ignore[return-value]


class ReposProvider(Provider):
    """Jump to any project or repo of the open tenant."""

    async def search(self, query: str) -> Hits:
        app = _app(self)
        matcher = self.matcher(query)
        if app.aggregate_only:
            return
        for repo in list(app.view.repos()) if app.view else []:
            label = f"{repo.project} › {repo.name}" if repo.is_submodule else repo.project
            text = safe_text(label)
            score = matcher.match(text)
            if score > 0:
                yield Hit(
                    score,
                    highlight_plain(matcher, text),
                    partial(app.jump_to, repo.path),
                    text=text,
                    help=plain(repo.path),  # type: ignore[arg-type]
                )


class PanesProvider(EntriesProvider):
    """Show a pane."""

    def entries(self) -> list[Entry]:
        app = _app(self)
        return [(f"Pane: {t}", partial(app.action_show_tab, k), None) for k, t in PANES.items()]


class ActionsProvider(EntriesProvider):
    """The app's actions, without the changes the tenant's principal may not make.

    Each is named by its label, with what it does and its key as the help line (the
    binding id is for ``ui.keymap``, not for a reader).
    """

    def entries(self) -> list[Entry]:
        app = _app(self)
        keymap = dict(app.boot.keymap)
        offered: list[Entry] = []
        for action in ACTIONS:
            if not action.palette or action.name == "show_tab":
                continue
            if app.refusal(action.binding_id):
                continue
            method = getattr(app, f"action_{action.name}", None)
            doc = (getattr(method, "__doc__", None) or "").strip().split("\n")[0]
            key = keymap.get(action.binding_id, action.key).split(",")[0].strip()
            shown = app.get_key_display(Binding(key, action.action))
            help_text = f"{doc}  (key {shown})" if doc else f"key {shown}"
            offered.append(
                (action.description, partial(app.run_palette_action, action.action), help_text)
            )
        return offered


class TenantsProvider(Provider):
    """``ctx <tenant>``: switch tenant, as k9s's `:ctx`."""

    async def discover(self) -> Hits:
        app = _app(self)
        for profile in app.settings.tenants if app.settings else []:
            text = f"ctx {safe_text(profile.name)}"
            yield DiscoveryHit(
                Content(text),
                partial(app.switch_to, profile.name),
                text=text,
                help=plain(profile.title),  # type: ignore[arg-type]
            )

    async def search(self, query: str) -> Hits:
        app = _app(self)
        matcher = self.matcher(query)
        for profile in app.settings.tenants if app.settings else []:
            text = f"ctx {safe_text(profile.name)} {safe_text(profile.title)}"
            score = matcher.match(text)
            if score > 0:
                yield Hit(
                    score,
                    highlight_plain(matcher, text),
                    partial(app.switch_to, profile.name),
                    text=text,
                    help=plain(f"switch to tenant {profile.title}"),  # type: ignore[arg-type]
                )
