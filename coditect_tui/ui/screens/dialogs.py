"""Small modal dialogs: a text prompt, a choice, and a confirmation by typing a name."""

from __future__ import annotations

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from coditect_tui.core.safe_text import safe_text

_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 80%; max-width: 80; height: auto; max-height: 90%;
    border: round $primary; background: $surface; padding: 0 1;
}}
{name} Input {{ margin-top: 1; }}
{name} OptionList {{ height: auto; max-height: 10; border: none; }}
"""


class TextPrompt(ModalScreen[str | None]):
    """Ask for one line of text; enter submits, escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]
    DEFAULT_CSS = _CSS.format(name="TextPrompt")

    def __init__(
        self,
        title: str,
        prompt: str,
        *,
        value: str = "",
        placeholder: str = "",
        allow_empty: bool = False,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.prompt = prompt
        self.value = value
        self.placeholder = placeholder
        self.allow_empty = allow_empty

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.prompt))
            yield Input(value=self.value, placeholder=self.placeholder, id="prompt-input")

    def on_mount(self) -> None:
        self.query_one(Vertical).border_title = Text(safe_text(self.title_text))

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if value or self.allow_empty:
            self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChoiceDialog(ModalScreen[str | None]):
    """Pick one of a few options (ids), escape cancels. Typing moves the highlight to the
    first option whose label starts with what was typed (so typing a role's name and
    enter picks that role, not the highlighted first one); backspace takes a letter back.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]
    DEFAULT_CSS = _CSS.format(name="ChoiceDialog")

    def __init__(self, title: str, prompt: str, choices: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.prompt = prompt
        self.choices = choices
        self._typed = ""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.prompt))
            yield OptionList(*[Option(Text(label), id=key) for key, label in self.choices])

    def on_key(self, event: events.Key) -> None:
        if event.key == "backspace":
            typed = self._typed[:-1]
        elif event.character is not None and event.character.isprintable():
            typed = self._typed + event.character.lower()
        else:
            return
        labels = [label.lower() for _key, label in self.choices]
        match = next((i for i, label in enumerate(labels) if label.startswith(typed)), None)
        if match is None and event.character is not None:  # start again from this letter
            typed = event.character.lower()
            match = next((i for i, label in enumerate(labels) if label.startswith(typed)), None)
        self._typed = typed if match is not None else ""
        if match is not None:
            self.query_one(OptionList).highlighted = match
        event.stop()

    def on_mount(self) -> None:
        self.query_one(Vertical).border_title = Text(safe_text(self.title_text))
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class TypedConfirmation(ModalScreen[bool]):
    """A dangerous operation: the user must type ``expected`` (a repo or tenant name)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]
    DEFAULT_CSS = _CSS.format(name="TypedConfirmation")

    def __init__(self, title: str, lines: list[str], expected: str) -> None:
        super().__init__()
        self.title_text = title
        self.lines = lines
        self.expected = expected

    def compose(self) -> ComposeResult:
        body = Text()
        for line in self.lines:
            body.append(safe_text(line) + "\n")
        body.append("\nType ")
        body.append(safe_text(self.expected), style="bold")
        body.append(" to confirm, or press escape to cancel.")
        with Vertical():
            yield Static(body)
            yield Input(placeholder=safe_text(self.expected), id="confirm-input")
            yield Static("", id="confirm-error")

    def on_mount(self) -> None:
        self.query_one(Vertical).border_title = Text(safe_text(self.title_text))

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        if event.value == self.expected:
            self.dismiss(True)
        else:
            self.query_one("#confirm-error", Static).update(
                Text("That is not the name; nothing was done.", style="bold")
            )

    def action_cancel(self) -> None:
        self.dismiss(False)
