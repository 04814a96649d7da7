"""`?`: every binding (with the keys in effect after the user's keymap) and the glyphs."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from coditect_tui.ui.glyphs import LEGEND


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
    """Keys and glyphs; any of escape, q or ? closes it."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="help.close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90%; max-width: 100; height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    """

    def __init__(self, rows: list[tuple[str, str, str, str]], read_only: bool) -> None:
        super().__init__()
        self.rows = rows
        self.read_only = read_only

    def compose(self) -> ComposeResult:
        table = Table(box=None, pad_edge=False, expand=True, show_header=True, header_style="bold")
        table.add_column("Keys", no_wrap=True)
        table.add_column("Action")
        table.add_column("Binding id", style="dim", no_wrap=True)
        table.add_column("Where", style="dim", no_wrap=True)
        for keys, description, binding_id, where in self.rows:
            table.add_row(keys, description, binding_id, where)
        legend = Table(box=None, pad_edge=False, show_header=False)
        legend.add_column(no_wrap=True)
        legend.add_column()
        for glyph, meaning in LEGEND:
            legend.add_row(glyph, meaning)
        intro = Text(
            "Help — keys (change them with ui.keymap in your config, by binding id)", style="bold"
        )
        if self.read_only:
            intro.append("\nREAD-ONLY: actions that change anything are not offered.")
        with VerticalScroll():
            yield Static(intro)
            yield Static(table)
            yield Static(Text("\nTree glyphs", style="bold"))
            yield Static(legend)
            yield Static(
                Text(
                    "\nctrl+p opens the command palette (projects, repos, panes, "
                    "actions, tenants: type 'ctx' to switch tenant).",
                    style="dim",
                )
            )

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
