"""ctrl+t: a fuzzy tenant switcher (k9s's `:ctx`, with Textual's own fuzzy matcher)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.fuzzy import Matcher
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from coditect_tui.core.safe_text import safe_text
from coditect_tui.core.settings import TenantProfile
from coditect_tui.ui.plain import highlight_plain


def _label(profile: TenantProfile, current: bool, matcher: Matcher | None) -> Content:
    title = safe_text(profile.title)
    label = highlight_plain(matcher, title) if matcher else Content(title)
    label += Content.styled(
        f"  ({safe_text(profile.name)})  {profile.backend.kind} · {profile.role} · {profile.tier}",
        "dim",
    )
    if current:
        label += Content.styled("  ← current", "bold")
    return label


class TenantSwitcher(ModalScreen[str | None]):
    """Type to filter, arrows to move, enter to switch, escape to stay."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="switcher.cancel"),
        Binding("down", "move(1)", "Next", show=False, id="switcher.down"),
        Binding("up", "move(-1)", "Previous", show=False, id="switcher.up"),
    ]
    DEFAULT_CSS = """
    TenantSwitcher { align: center top; }
    TenantSwitcher > Vertical {
        width: 80%; max-width: 90; height: auto; max-height: 80%; margin-top: 2;
        border: round $primary; background: $surface;
    }
    TenantSwitcher OptionList { height: auto; max-height: 16; border: none; }
    """

    def __init__(self, profiles: list[TenantProfile], current: str) -> None:
        super().__init__()
        self.profiles = profiles
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Input(placeholder="Switch tenant: type to filter", id="switcher-input")
            yield OptionList(id="switcher-options")

    def on_mount(self) -> None:
        self.query_one(Vertical).border_title = "Tenants"
        self._fill("")

    def _fill(self, query: str) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        matcher = Matcher(query) if query else None
        scored = []
        for profile in self.profiles:
            haystack = f"{profile.title} {profile.name}"
            score = matcher.match(haystack) if matcher else 1.0
            if score > 0:
                scored.append((score, profile))
        scored.sort(key=lambda item: -item[0])
        for _, profile in scored:
            options.add_option(
                Option(_label(profile, profile.name == self.current, matcher), id=profile.name)
            )
        if scored:
            options.highlighted = 0

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            self.dismiss(options.get_option_at_index(options.highlighted).id)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            current = options.highlighted or 0
            options.highlighted = (current + step) % options.option_count

    def action_cancel(self) -> None:
        self.dismiss(None)
