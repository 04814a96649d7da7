"""Bulk git from the app: fetch, pull, push, switch or submodule update over the marked repos.

:func:`run_bulk` (the app's ``B`` key, binding id ``repos.bulk``) asks which operation,
asks the backend first (a read-only or auditor principal is refused there, and the key is
not offered to it: ``ui/actions.CHANGES``), asks for the typed repo name before pushing a
main branch, then runs :class:`~coditect_tui.core.bulk.BulkRun` with its results on a
live screen (:mod:`coditect_tui.ui.screens.bulk_results`) and each repo's state in the
Repos table. The statuses of the repos it touched are read again afterwards.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from coditect_tui.core.errors import CoditectError
from coditect_tui.core.safe_text import safe_text
from coditect_tui.core.wording import plural

if TYPE_CHECKING:
    from coditect_tui.core.bulk import BulkAction, BulkTarget, ProgressEvent
    from coditect_tui.ui.app import CoditectApp

#: The operations offered, in the menu's order.
OPERATIONS = (
    ("fetch", "Fetch"),
    ("pull", "Pull (--ff-only)"),
    ("push", "Push the current branch (never forced)"),
    ("switch", "Switch to an existing branch…"),
    ("submodule_update", "Submodule update --init"),
)


def marked_targets(app: CoditectApp) -> list[BulkTarget]:
    """The marked repos of the open tenant's view, in the order they were marked."""
    from coditect_tui.core.bulk import BulkTarget

    view = app.view
    if view is None or app.aggregate_only:
        return []
    by_path = {r.path: r for r in view.repos() if r.initialised}
    return [BulkTarget.of(by_path[p]) for p in app.selection if p in by_path]


async def _action(app: CoditectApp, kind: str) -> BulkAction | None:
    from coditect_tui.core.bulk import BulkAction
    from coditect_tui.ui.screens.dialogs import TextPrompt

    if kind != "switch":
        made: BulkAction = getattr(BulkAction, kind)()
        return made
    branch = await app.push_screen_wait(
        TextPrompt("Switch", "Switch every marked repo to this existing branch:")
    )
    return BulkAction.switch(branch) if branch else None


async def _confirm_main(app: CoditectApp, targets: list[BulkTarget]) -> frozenset[str]:
    """The typed confirmation sessions use, once per repo whose main branch would be pushed;
    a repo not confirmed is skipped by the engine."""
    from coditect_tui.core.bulk import main_branch_pushes
    from coditect_tui.ui.screens.dialogs import TypedConfirmation

    confirmed = set()
    for push in main_branch_pushes(targets):
        name = push.target.name
        lines = [
            f"{safe_text(name)} is on its main branch {safe_text(push.branch)}: the push "
            "updates it on the remote. Type the repo's name to push it; escape skips it."
        ]
        if await app.push_screen_wait(TypedConfirmation("Push a main branch", lines, name)):
            confirmed.add(push.target.path)
    return frozenset(confirmed)


async def run_bulk(app: CoditectApp) -> None:
    """The ``B`` key: one bulk operation over the marked repos (see the module docstring)."""
    from coditect_tui.core.bulk import BulkRun
    from coditect_tui.ui.screens.bulk_results import BulkResults
    from coditect_tui.ui.screens.dialogs import ChoiceDialog

    if app.refuse("repos.bulk"):
        return
    session, targets = app.session, marked_targets(app)
    if session is None or session.backend is None:
        app.notify("The tenant's store is not open yet; try again in a moment.")
        return
    if not targets:
        app.notify("Mark repos first: space in the tree or the Repos pane, + selects by filter.")
        return
    kind = await app.push_screen_wait(
        ChoiceDialog("Bulk git", f"Run on {plural(len(targets), 'marked repo')}:", list(OPERATIONS))
    )
    if not kind:
        return
    try:
        action = await _action(app, kind)
        if action is None:
            return
        run = BulkRun(action, targets, on_event=lambda event: _progress(app, screen, event))
        await run.authorize(session.backend)  # refused before any dialog or process
        if action.kind == "push":
            run.confirmed_main = await _confirm_main(app, targets)
    except CoditectError as exc:
        app.report(exc, "Bulk git")
        return
    screen = BulkResults(
        f"{action.describe()} · {plural(len(targets), 'repo')}", targets, run.cancel
    )
    _clear_progress(app)
    app.push_screen(screen)
    try:
        report = await run.execute(session.backend)
    except CoditectError as exc:
        screen.finished(None, str(exc))
        app.report(exc, "Bulk git")
        return
    for result in report.results:
        if result.outcome == "ok" and session is app.session:
            await session.reread(result.path)
    screen.finished(report)
    app.notify(f"{action.describe()}: {report.summary()}.")


def _progress(app: CoditectApp, screen: object, event: ProgressEvent) -> None:
    from coditect_tui.ui.screens.bulk_results import BulkResults

    if isinstance(screen, BulkResults):
        screen.progress(event)
    state = event.result.outcome if event.result is not None else event.phase
    for pane in app.query("ReposPane"):
        pane.bulk_progress(event.target.path, state)  # type: ignore[attr-defined]


def _clear_progress(app: CoditectApp) -> None:
    for pane in app.query("ReposPane"):
        pane.bulk_progress(None, "")  # type: ignore[attr-defined]
