"""A bulk action's results, live: one line per repo (queued, running, ok, failed, skipped
with its one-line reason), the output behind a line on enter, cancel while it runs.

The screen only shows what :class:`~coditect_tui.core.bulk.BulkRun` reports (the app
feeds it :meth:`BulkResults.progress` and :meth:`BulkResults.finished`); ``c`` (or
escape while running) asks the app's callback to cancel. Repo names, reasons and output
are untrusted: they reach the screen as ``rich.text.Text`` through ``safe_text``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from coditect_tui.core.safe_text import safe_text

if TYPE_CHECKING:
    from coditect_tui.core.bulk import BulkReport, BulkTarget, ProgressEvent, RepoResult

#: A state as a word and a glyph (they read without colour).
STATE = {
    "queued": "· queued ",
    "running": "⟳ running",
    "ok": "✓ ok     ",
    "failed": "✗ failed ",
    "skipped": "- skipped",
}


def result_line(name: str, state: str, reason: str) -> Text:
    """``✗ failed  repo-name  reason`` (untrusted parts neutralised)."""
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(STATE.get(state, state), style="bold" if state == "failed" else "")
    line.append(f"  {safe_text(name, max_length=40)}")
    if reason:
        line.append(f"  {safe_text(reason, max_length=200)}", style="dim")
    return line


class OutputView(ModalScreen[None]):
    """One repo's output (raw text, shown as text)."""

    BINDINGS = [Binding("escape,enter,q", "close", "Close", id="bulk_output.close")]
    DEFAULT_CSS = """
    OutputView { align: center middle; }
    OutputView > VerticalScroll { width: 90%; height: 80%; border: round $primary;
                                  background: $surface; padding: 0 1; }
    """

    def __init__(self, result: RepoResult) -> None:
        super().__init__()
        self.result = result

    def compose(self) -> ComposeResult:
        result = self.result
        body = Text(safe_text(result.output, keep_newlines=True) or "(no output)")
        if result.truncated:
            body = Text.assemble(Text(f"… {result.truncated:,} bytes cut\n", style="dim"), body)
        with VerticalScroll():
            yield Static(body)

    def on_mount(self) -> None:
        scroll = self.query_one(VerticalScroll)
        scroll.border_title = Text(safe_text(self.result.name, max_length=60))
        scroll.focus()

    def action_close(self) -> None:
        self.dismiss(None)


class BulkResults(ModalScreen[None]):
    """The live results of one bulk action (see the module docstring)."""

    BINDINGS = [
        Binding("c", "cancel_run", "Cancel run", id="bulk.cancel"),
        Binding("escape", "close", "Close", id="bulk.close"),
    ]
    DEFAULT_CSS = """
    BulkResults { align: center middle; }
    BulkResults > Vertical { width: 90%; height: 80%; border: round $primary;
                             background: $surface; padding: 0 1; }
    BulkResults #bulk-summary { height: 1; }
    BulkResults OptionList { height: 1fr; border: none; }
    """

    def __init__(self, title: str, targets: list[BulkTarget], cancel: Callable[[], None]) -> None:
        super().__init__()
        self.title_text = title
        self.targets = targets
        self.cancel = cancel
        self.states: dict[str, tuple[str, str]] = {t.path: ("queued", "") for t in targets}
        self.results: dict[str, RepoResult] = {}
        self.report: BulkReport | None = None
        self.ended = False  # the run finished, or never started (refused)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("", id="bulk-summary")
            yield OptionList(
                *[Option(result_line(t.name, "queued", ""), id=t.path) for t in self.targets]
            )

    def on_mount(self) -> None:
        self.query_one(Vertical).border_title = Text(safe_text(self.title_text))
        self.query_one(OptionList).focus()
        self._summary()

    def progress(self, event: ProgressEvent) -> None:
        """A repo's state changed."""
        target, result = event.target, event.result
        state: tuple[str, str] = (event.phase, "")
        if result is not None:
            self.results[target.path] = result
            state = (result.outcome, result.reason)
        self.states[target.path] = state
        if self.is_mounted:
            options = self.query_one(OptionList)
            index = options.get_option_index(target.path)
            options.replace_option_prompt_at_index(index, result_line(target.name, *state))
            self._summary()

    def finished(self, report: BulkReport | None, error: str | None = None) -> None:
        """The run ended (``error``: it was refused or could not run)."""
        self.report, self.ended = report, True
        if self.is_mounted:
            self._summary(error)

    def _summary(self, error: str | None = None) -> None:
        counts: dict[str, int] = {}
        for state, _reason in self.states.values():
            counts[state] = counts.get(state, 0) + 1
        order = ("running", "queued", "ok", "failed", "skipped")
        parts = [f"{counts[s]} {s}" for s in order if counts.get(s)]
        if error is not None:
            line = f"Not run: {safe_text(error)}"
        elif self.report is None:
            line = f"{', '.join(parts)} · c or esc cancels · enter shows a repo's output"
        else:
            done = "cancelled: " if self.report.cancelled else "done: "
            line = f"{done}{self.report.summary()} · enter shows a repo's output · esc closes"
        self.query_one("#bulk-summary", Static).update(Text(line))

    @on(OptionList.OptionSelected)
    def _open(self, event: OptionList.OptionSelected) -> None:
        result = self.results.get(event.option.id or "")
        if result is not None:
            self.app.push_screen(OutputView(result))

    def action_cancel_run(self) -> None:
        """Stop the run: queued repos are skipped, running git processes terminated."""
        if not self.ended:
            self.cancel()

    def action_close(self) -> None:
        """Close once the run ended (while it runs, escape cancels it first)."""
        if not self.ended:
            self.cancel()
            return
        self.dismiss(None)
