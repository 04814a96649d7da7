"""The right-hand pane switcher: a one-line tab bar over a ContentSwitcher.

Textual's TabbedContent builds about sixteen widgets for five tabs (tabs, underline,
panes, containers); this is two (the bar renders every label itself) plus the switcher,
which the start-up benchmark (bench/bench_startup.py) notices. The bar shows each pane's
number key, and the active pane in reverse video, so it reads without colour.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import ContentSwitcher


@dataclass(frozen=True)
class PaneTab:
    """One pane: its id (also its child's id in the switcher), label, key, and the label
    used when the bar is too narrow for every full label (80 columns)."""

    id: str
    label: str
    key: str
    short: str = ""


class TabBar(Widget):
    """One line of tab labels; a click asks for that pane (``TabBar.Chosen``, which the app
    handles so the focus moves with it)."""

    DEFAULT_CSS = """
    TabBar {
        height: 1;
        width: 1fr;
        background: $panel;
        color: $text-muted;
    }
    """

    active: reactive[str] = reactive("")
    hidden: reactive[frozenset[str]] = reactive(frozenset())

    class Chosen(Message):
        """The user clicked a tab."""

        def __init__(self, tab: str) -> None:
            super().__init__()
            self.tab = tab

    def __init__(self, tabs: Iterable[PaneTab], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.tabs = tuple(tabs)
        self._spans: list[tuple[int, int, str]] = []

    def render(self) -> Text:
        text = self._labels(short=False)
        if text.cell_len > self.size.width:
            text = self._labels(short=True)
        return text

    def _labels(self, *, short: bool) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        self._spans = []
        for tab in self.tabs:
            if tab.id in self.hidden:
                continue
            start = text.cell_len
            label = f" {tab.key} {(tab.short or tab.label) if short else tab.label} "
            text.append(label, style="bold reverse" if tab.id == self.active else "")
            self._spans.append((start, text.cell_len, tab.id))
        return text

    def on_click(self, event: events.Click) -> None:
        for start, end, tab in self._spans:
            if start <= event.x < end:
                self.post_message(self.Chosen(tab))
                return


class PaneTabs(Vertical):
    """The tab bar and the panes; ``active`` names the pane shown."""

    DEFAULT_CSS = """
    PaneTabs {
        height: 1fr;
    }
    PaneTabs > ContentSwitcher {
        height: 1fr;
    }
    """

    active: reactive[str] = reactive("", init=False)

    def __init__(
        self,
        tabs: Iterable[PaneTab],
        panes: Iterable[Widget],
        *,
        initial: str,
        id: str | None = None,
    ) -> None:
        """Args:
        tabs: the panes' tabs, in order.
        panes: one widget per tab, whose id is the tab's id.
        initial: the pane shown first.
        """
        super().__init__(id=id)
        self.tabs = tuple(tabs)
        self._panes = list(panes)
        self.set_reactive(PaneTabs.active, initial)

    def compose(self) -> ComposeResult:
        bar = TabBar(self.tabs)
        bar.active = self.active
        yield bar
        yield ContentSwitcher(*self._panes, initial=self.active)

    def watch_active(self, tab: str) -> None:
        self.query_one(ContentSwitcher).current = tab
        self.query_one(TabBar).active = tab

    def hide_tab(self, tab: str) -> None:
        """Take a pane's tab off the bar (the pane stays where it is)."""
        bar = self.query_one(TabBar)
        bar.hidden = bar.hidden | {tab}

    def show_tab(self, tab: str) -> None:
        """Put a hidden pane's tab back on the bar."""
        bar = self.query_one(TabBar)
        bar.hidden = bar.hidden - {tab}
