"""Custom commands in the app: palette entries, their keys, the confirm dialog, the output.

A command is offered in the palette (``Run: NAME``) and bound to its ``key`` once the
settings are loaded, unless the open tenant's principal may not run it: a mutating
command is left out for a read-only principal (role, key, flag or config) and its key
says why, while the backend is still asked so it records the refusal. Running it goes
through the bulk engine (``core/custom_commands/run.py``): the backend authorizes before
the confirm dialog opens and before anything runs, and records one audit event.

Scope repo runs in the tree's current repo; scope selection in every marked repo (the
tree's and the Repos pane's marks; the current repo when nothing is marked); scope
tenant once in the first workspace root. What a command printed is shown per its ``output``: notify
(the summary and the last lines, in a notification), panel (every repo's output in a
window), none (the summary only). Untrusted text reaches the screen only as ``Text`` or
plain ``Content``.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from coditect_tui.core.errors import CoditectError
from coditect_tui.core.safe_text import safe_text
from coditect_tui.core.wording import plural
from coditect_tui.ui.palette import EntriesProvider, Entry

if TYPE_CHECKING:
    from coditect_tui.core.bulk import BulkReport
    from coditect_tui.core.custom_commands.expand import Target
    from coditect_tui.core.custom_commands.spec import CustomCommand
    from coditect_tui.core.tenant.refusal import Change
    from coditect_tui.ui.app import CoditectApp

#: Lines of output a notification shows (the end, where errors are).
NOTIFY_LINES = 6


def change_of(command: CustomCommand) -> Change:
    """What running ``command`` asks of the backend (repos update, or read)."""
    from coditect_tui.core.tenant.refusal import Change

    return Change(f"run {command.name}", "repos", "update" if command.mutating else "read")


class CustomCommandsProvider(EntriesProvider):
    """``Run: NAME`` for each custom command the open tenant's principal may run."""

    def entries(self) -> list[Entry]:
        app: CoditectApp = self.app  # type: ignore[assignment]
        offered: list[Entry] = []
        for command in app.custom_commands:
            if app.change_refusal(change_of(command)):
                continue
            help_text = command.description or " ".join(command.command)
            if command.key:
                help_text += f"  (key {command.key})"
            offered.append(
                (
                    f"Run: {safe_text(command.name)}",
                    partial(app.run_custom_command, command),
                    help_text,
                )
            )
        return offered


class CommandOutput(ModalScreen[None]):
    """Every repo's outcome and output of one run (``output: panel``); escape closes."""

    BINDINGS = [Binding("escape", "close", "Close", id="dialog.close")]
    DEFAULT_CSS = """
    CommandOutput { align: center middle; }
    CommandOutput > Vertical {
        width: 90%; height: 90%; border: round $primary; background: $surface; padding: 0 1;
    }
    CommandOutput VerticalScroll { height: 1fr; }
    """

    def __init__(self, name: str, report: BulkReport) -> None:
        super().__init__()
        self.command_name = name
        self.report = report

    def compose(self) -> ComposeResult:
        body = Text()
        for result in self.report.results:
            style = {"ok": "green", "failed": "red", "skipped": "yellow"}[result.outcome]
            body.append(safe_text(result.name), style="bold")
            body.append(f"  {result.outcome}", style=style)
            body.append(f"  {safe_text(result.reason, max_length=200)}\n")
            if result.output:
                body.append(safe_text(result.output, keep_newlines=True).rstrip("\n") + "\n")
            body.append("\n")
        body.append(self.report.summary())
        with Vertical():
            with VerticalScroll():
                yield Static(body, id="command-output")
            yield Button("Close", id="command-output-close")

    def on_mount(self) -> None:
        self.query_one(Vertical).border_title = Text(f"Run: {safe_text(self.command_name)}")
        self.query_one(VerticalScroll).focus()

    @on(Button.Pressed, "#command-output-close")
    def action_close(self) -> None:
        """Close the window."""
        self.dismiss(None)


class CustomCommandsMixin:
    """The app's share of custom commands (mixed into ``CoditectApp``)."""

    _custom_keys_bound = False

    @property
    def custom_commands(self: CoditectApp) -> list[CustomCommand]:  # type: ignore[misc]
        """The commands of the loaded settings (none before they are loaded)."""
        return list(self.settings.commands) if self.settings is not None else []

    def bind_custom_commands(self: CoditectApp) -> None:  # type: ignore[misc]
        """Bind each command's key (once; the config check keeps them off the app's keys)."""
        if self._custom_keys_bound:
            return
        self._custom_keys_bound = True
        for index, command in enumerate(self.custom_commands):
            if command.key:
                self.bind(
                    command.key,
                    f"custom_command({index})",
                    description=safe_text(command.name),
                    show=False,
                )

    def action_custom_command(self: CoditectApp, index: int) -> None:  # type: ignore[misc]
        """Run the custom command bound to this key."""
        commands = self.custom_commands
        if 0 <= index < len(commands):
            self.run_custom_command(commands[index])

    def run_custom_command(self: CoditectApp, command: CustomCommand) -> None:  # type: ignore[misc]
        """Run ``command`` (a refused one says why, and the backend records the refusal)."""
        why = self.change_refusal(change_of(command))
        if why is not None:
            self.notify(why, severity="error", timeout=8, markup=False)
        self._custom_run(command)

    def _custom_targets(self: CoditectApp, command: CustomCommand) -> list[Target] | None:  # type: ignore[misc]
        from coditect_tui.core.custom_commands.expand import Target
        from coditect_tui.core.custom_commands.targets import current_branch, targets_for
        from coditect_tui.ui.bulk_actions import marked_targets

        tenant = self.tenant
        chosen: list[Target] = []
        if command.scope == "selection" and (marked := marked_targets(self)):
            chosen = [
                Target(tenant=tenant, repo=t.name, path=t.path, branch=current_branch(t.path))
                for t in marked
            ]
        elif command.scope != "tenant":
            repo = self.selected
            if repo is None:
                what = "mark repos or select one" if command.scope == "selection" else "select"
                self.notify(f"{safe_text(command.name)}: {what} first.", markup=False)
                return None
            branch = current_branch(repo.path)
            chosen = [Target(tenant=tenant, repo=repo.name, path=repo.path, branch=branch)]
        return targets_for(command, chosen, tenant)

    @work(group="custom-commands")
    async def _custom_run(self: CoditectApp, command: CustomCommand) -> None:
        from coditect_tui.core.custom_commands.run import bulk_run
        from coditect_tui.ui.screens.dialogs import ChoiceDialog

        session = self.session
        if session is None or session.backend is None:
            self.notify("Not connected to the tenant yet; try again in a moment.")
            return
        targets = self._custom_targets(command)
        if targets is None:
            return
        roots = session.profile.roots()
        run = bulk_run(command, targets, cwd=roots[0] if roots else None)
        what = f"Run {safe_text(command.name)}"
        try:
            await run.authorize(session.backend)  # a refusal is audited there
        except CoditectError as exc:
            if self.change_refusal(change_of(command)) is None:  # not said already
                self.report(exc, what)
            return
        if command.confirm:
            where = ", ".join(safe_text(t.repo or t.tenant) for t in targets)
            answer = await self.push_screen_wait(
                ChoiceDialog(what, f"{what} in {where}?", [("run", "Run"), ("cancel", "Cancel")])
            )
            if answer != "run":
                return
        try:
            report = await run.execute(session.backend)
        except CoditectError as exc:
            self.report(exc, what)
            return
        self._show_custom_output(command, report)

    def _show_custom_output(self: CoditectApp, command: CustomCommand, report: BulkReport) -> None:  # type: ignore[misc]
        severity = "error" if report.failed else "information"
        summary = f"{safe_text(command.name)}: {report.summary()}"
        if report.audit_error:
            summary += f" (not audited: {safe_text(report.audit_error)})"
        if command.output == "panel":
            self.push_screen(CommandOutput(command.name, report))
            return
        if command.output == "none" or len(report.results) != 1:
            count = plural(len(report.results), "repo")
            self.notify(f"{summary} ({count})", severity=severity, markup=False)
            return
        result = report.results[0]
        lines = [ln for ln in result.output.splitlines() if ln.strip()][-NOTIFY_LINES:]
        body = "\n".join(safe_text(ln, max_length=200) for ln in lines) or safe_text(result.reason)
        self.notify(body, title=summary, severity=severity, timeout=10, markup=False)
