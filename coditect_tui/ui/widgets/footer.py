"""The key bar: Textual's footer with Help and Quit always in sight.

A pane's own keys come first and can fill 80 columns; Help and Quit then sit at the
right edge, before the command palette's key, instead of running off the screen.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import HorizontalGroup
from textual.widget import Widget
from textual.widgets import Footer


class AppFooter(Footer):
    """See the module docstring."""

    DEFAULT_CSS = """
    AppFooter > HorizontalGroup.-pinned {
        dock: right;
        width: auto;
        & > .-command-palette { dock: none; }
        border-left: vkey $foreground 20%;
    }
    """

    #: The actions whose keys stay in sight, in this order.
    PINNED = ("help", "quit")

    def compose(self) -> ComposeResult:
        pinned: dict[str, Widget] = {}
        for widget in super().compose():
            # a FooterKey (not exported by textual.widgets) carries its binding's action
            action = getattr(widget, "action", None)
            if action in self.PINNED and action not in pinned:
                pinned[action] = widget
            elif widget.has_class("-command-palette"):
                pinned["palette"] = widget
            else:
                yield widget
        order = (*self.PINNED, "palette")
        if pinned:
            yield HorizontalGroup(*(pinned[k] for k in order if k in pinned), classes="-pinned")
