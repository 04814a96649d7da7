"""`?`: every binding (with the keys in effect after the user's keymap) and the glyphs.

The rows are read from the bindings the app, its panes, widgets and dialogs declare
(:func:`declared_bindings`), so a key added anywhere is listed without editing this file.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Collection, Iterable, Mapping

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from coditect_tui.ui.glyphs import LEGEND

#: Where the bindings of each binding-id prefix apply, as the help says it.
WHERE = {
    "tree": "tree",
    "dashboard": "Dashboard pane",
    "memory": "Memory pane",
    "audit": "Audit pane",
    "repos": "Repos pane",
    "selection": "tree and Repos pane",
    "switcher": "tenant switcher",
    "dialog": "session dialogs",
    "audit_filter": "audit filter",
    "audit_detail": "audit event",
    "help": "this help",
    "admin": "administration",
    "bulk": "bulk results",
    "bulk_output": "bulk output",
}
#: The packages whose widgets and screens declare bindings.
PACKAGES = ("panes", "widgets", "screens")


def declared_bindings() -> dict[str, list[Binding]]:
    """Every binding with an id that a pane, widget or dialog of the app declares, grouped
    by where it applies (its id's first part, worded by ``WHERE``), each id once."""
    from textual.dom import DOMNode

    groups: dict[str, list[Binding]] = {}
    seen: set[str] = set()
    for package in PACKAGES:
        base = importlib.import_module(f"coditect_tui.ui.{package}")
        for info in pkgutil.iter_modules(base.__path__, f"{base.__name__}."):
            module = importlib.import_module(info.name)
            for value in vars(module).values():
                if not (
                    isinstance(value, type)
                    and issubclass(value, DOMNode)
                    and value.__module__ == module.__name__
                ):
                    continue
                for binding in vars(value).get("BINDINGS", ()):
                    if isinstance(binding, Binding) and binding.id and binding.id not in seen:
                        seen.add(binding.id)
                        prefix = binding.id.split(".", 1)[0]
                        groups.setdefault(WHERE.get(prefix, prefix), []).append(binding)
    return groups


def binding_rows(
    groups: Mapping[str, Iterable[Binding]],
    keymap: Mapping[str, str],
    display: Callable[[str], str] = str,
) -> list[tuple[str, str, str, str]]:
    """(keys as shown, description, id, where) for every binding with an id.

    Args:
        groups: bindings by where they apply.
        keymap: the user's overrides (binding id -> keys).
        display: how one key is shown (the app's ``get_key_display``).
    """
    rows = []
    for where, bindings in groups.items():
        for binding in bindings:
            if not binding.id:
                continue
            keys = keymap.get(binding.id, binding.key)
            shown = ", ".join(display(key.strip()) for key in keys.split(","))
            rows.append((shown, binding.description or binding.action, binding.id, where))
    return rows


class HelpScreen(ModalScreen[None]):
    """Keys and glyphs; any of escape, q or ? closes it.

    Args:
        rows: ``binding_rows`` of every binding.
        refused: ids of the changes refused in the open tenant (marked ✗).
    """

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="help.close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90%; max-width: 100; height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    """

    def __init__(
        self, rows: list[tuple[str, str, str, str]], refused: Collection[str] = ()
    ) -> None:
        super().__init__()
        self.rows = rows
        self.refused = frozenset(refused)

    def compose(self) -> ComposeResult:
        table = Table(box=None, pad_edge=False, expand=True, show_header=True, header_style="bold")
        table.add_column("Keys", no_wrap=True)
        table.add_column("Action")
        table.add_column("Binding id", style="dim", no_wrap=True)
        table.add_column("Where", style="dim", no_wrap=True)
        for keys, description, binding_id, where in self.rows:
            if binding_id in self.refused:
                description = f"✗ {description}"
            table.add_row(keys, description, binding_id, where)
        legend = Table(box=None, pad_edge=False, show_header=False)
        legend.add_column(no_wrap=True)
        legend.add_column()
        for glyph, meaning in LEGEND:
            legend.add_row(glyph, meaning)
        intro = Text(
            "Help — keys (change them with ui.keymap in your config, by binding id)", style="bold"
        )
        if self.refused:
            intro.append(
                "\n✗: a change refused in this tenant (read-only, role or tier); its key says why."
            )
        with VerticalScroll():
            yield Static(intro)
            yield Static(table)
            yield Static(Text("\nTree glyphs", style="bold"))
            yield Static(legend)
            yield Static(
                Text(
                    "\nFocus: 1 and 3 keep the tree focused (the arrows pick the repo they "
                    "show); 2, 4 and 5 focus their list; / the search or filter box, escape "
                    "leaves it; in a text box digits are text.\n"
                    "ctrl+p opens the command palette (projects, repos, panes, "
                    "actions, tenants: type 'ctx' to switch tenant).",
                    style="dim",
                )
            )

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
