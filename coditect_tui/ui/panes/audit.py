"""The Audit pane: the tenant's audit log, paged from the backend, with filters, a detail
view, chain verification with progress, and evidence-pack export.

It never loads the whole log: see :mod:`coditect_tui.ui.panes.audit_table` for how rows
are found (positional when unfiltered, a growing window when filtered).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.widgets import ProgressBar, Static

from coditect_tui.core.errors import CoditectError
from coditect_tui.core.safe_text import safe_text
from coditect_tui.core.tenant.events import (
    AuditAppended,
    BackendOpened,
    ConnectionChanged,
    SessionEvent,
)
from coditect_tui.core.wording import plural
from coditect_tui.ui.panes.audit_table import BLOCK, AuditTable, header_text
from coditect_tui.ui.tenant_link import TenantPane, unreachable

if TYPE_CHECKING:
    from coditect_tui.core.backend import Backend
    from coditect_tui.core.models import AuditFilter
    from coditect_tui.core.tenant.session import TenantSession

EDGE_MARGIN = 20


def describe(flt: AuditFilter | None) -> str:
    """The active filter in one line."""
    if flt is None:
        return "all events"
    parts = []
    for name in ("actor", "action", "resource_type", "outcome", "text"):
        value = getattr(flt, name)
        if value:
            parts.append(f"{name.replace('_type', '')}={safe_text(value, max_length=24)}")
    if flt.since:
        parts.append(f"since {flt.since:%Y-%m-%d %H:%M}")
    if flt.until:
        parts.append(f"until {flt.until:%Y-%m-%d %H:%M}")
    return " ".join(parts) or "all events"


class AuditPane(TenantPane, Vertical):
    """Filters, the virtual table, and a status line (see the module docstring)."""

    BINDINGS = [
        Binding("slash", "filter", "Filter", id="audit.filter"),
        Binding("v", "verify", "Verify chain", id="audit.verify"),
        Binding("E", "export", "Evidence pack", id="audit.export"),
    ]
    DEFAULT_CSS = """
    AuditPane #audit-filter { height: 1; padding: 0 1; color: $text-muted; }
    AuditPane #audit-header { height: 1; padding: 0 0; text-style: bold; }
    AuditPane #audit-status { height: auto; max-height: 3; padding: 0 1; }
    AuditPane ProgressBar { height: 1; display: none; padding: 0 1; }
    AuditPane.verifying ProgressBar { display: block; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.backend: Backend | None = None
        self.filter: AuditFilter | None = None
        self.top_seq = 0
        self.more_older = False
        self.more_newer = False
        self._extending = False

    def compose(self) -> ComposeResult:
        yield Static("", id="audit-filter")
        yield Static("", id="audit-header")
        yield AuditTable(id="audit-table")
        yield ProgressBar(total=100, show_eta=False, id="audit-progress")
        yield Static("", id="audit-status")

    def session_bound(self, session: TenantSession | None) -> None:
        """Show the new tenant's events (none until its backend is open)."""
        self.backend = session.backend if session is not None else None
        self.filter = None
        if self.is_mounted:
            self.apply_filter(None)

    def on_mount(self) -> None:
        self.apply_filter(self.filter)

    def session_event(self, event: SessionEvent) -> None:
        """Load once the backend is open; show new events while the newest are in view."""
        if isinstance(event, BackendOpened | ConnectionChanged) and self.session is not None:
            self.backend = self.session.backend
            self.apply_filter(self.filter)
        elif (
            isinstance(event, AuditAppended)
            and self.filter is None
            and self.query_one(AuditTable).cursor == 0
        ):
            self.apply_filter(None)

    def on_resize(self) -> None:
        self.query_one("#audit-header", Static).update(
            Text(header_text(self.size.width), no_wrap=True, overflow="crop")
        )

    def take_focus(self) -> None:
        """Focus the rows."""
        self.focus_table()

    def focus_table(self) -> None:
        """Focus the rows."""
        self.query_one(AuditTable).focus()

    def _status(self, text: str, *, bold: bool = False, wrap: bool = False) -> None:
        """One line (cut at the pane's width), or up to three with ``wrap`` (a reason)."""
        try:
            status = self.query_one("#audit-status", Static)
        except NoMatches:
            return  # a load that ends while the app closes: its pane is gone
        status.update(
            Text(text, style="bold" if bold else "", no_wrap=not wrap, overflow="ellipsis")
        )

    # -- loading --------------------------------------------------------------------------

    def apply_filter(self, flt: AuditFilter | None) -> None:
        """Show the events matching ``flt`` (None: every event), newest first."""
        if flt is not None and not any(v is not None for v in flt.model_dump().values()):
            flt = None
        self.filter = flt
        self.query_one("#audit-filter", Static).update(
            Text(
                f"{describe(flt)} · / filter  v verify  E evidence pack  enter detail",
                no_wrap=True,
                overflow="ellipsis",
            )
        )
        self._first_page(flt)

    @work(exclusive=True, group="audit-first")
    async def _first_page(self, flt: AuditFilter | None) -> None:
        table = self.query_one(AuditTable)
        if self.backend is None:
            table.reset(total=0, positional=True)
            if note := unreachable(self.session):
                self._status(note, wrap=True)  # the reason is the point: all of it
            return
        if self.session is not None and not self.session.has("audit"):
            table.reset(total=0, positional=True)
            self._status(
                f"The audit log is not included in this tenant's tier ({self.session.tier})."
            )
            return
        if self.session is not None and not self.session.may("READ", "AUDIT"):
            table.reset(total=0, positional=True)  # not asked: a refusal is itself recorded
            role = self.session.principal.role if self.session.principal else "?"
            self._status(f"The audit log is not visible to your role ({role}).")
            return
        try:
            page = await self.backend.query_audit(flt, limit=BLOCK)
        except CoditectError as exc:
            table.reset(total=0, positional=True)
            self._status(f"! {safe_text(exc)}", bold=True)
            return
        events = page.items
        if flt is None:
            self.top_seq = events[0].seq if events else 0
            table.reset(total=self.top_seq, positional=True)
            table.put(0, events)
            self._status(plural(self.top_seq, "event", grouped=True))
        else:
            self.more_older, self.more_newer = page.next_cursor is not None, False
            table.reset(total=len(events), positional=False)
            table.put(0, events)
            self._status(f"{len(events)}{'+' if self.more_older else ''} matching events")

    @on(AuditTable.NeedRows)
    def _need_rows(self, message: AuditTable.NeedRows) -> None:
        if self.filter is None and self.top_seq:
            self._fetch_block(message.index)

    @work(group="audit-rows")
    async def _fetch_block(self, index: int) -> None:
        from coditect_tui.core.models import AuditFilter

        table = self.query_one(AuditTable)
        if self.backend is None:
            return
        max_seq = self.top_seq - index
        if max_seq < 1:
            return
        try:
            page = await self.backend.query_audit(AuditFilter(max_seq=max_seq), limit=BLOCK)
        except CoditectError as exc:
            table.requested.discard(index)
            self._status(f"! {safe_text(exc)}", bold=True)
            return
        # contiguous seqs: the block's rows are exactly top_seq - index, - index - 1, ...
        table.put(index, page.items)

    @on(AuditTable.CursorMoved)
    def _check_edges(self) -> None:
        """Windowed views grow at the end the cursor approaches."""
        table = self.query_one(AuditTable)
        if table.positional or self._extending or self.filter is None:
            return
        if self.more_older and table.cursor >= table.total - EDGE_MARGIN:
            self._extend(older=True)
        elif self.more_newer and table.cursor < EDGE_MARGIN:
            self._extend(older=False)

    @work(group="audit-extend", exclusive=True)
    async def _extend(self, *, older: bool) -> None:
        table = self.query_one(AuditTable)
        flt = self.filter
        if self.backend is None or flt is None or not table.total:
            return
        self._extending = True
        try:
            if older:
                last = table.event_at(table.total - 1)
                assert last is not None
                page = await self.backend.query_audit(
                    flt.model_copy(update={"max_seq": last.seq - 1}), limit=BLOCK
                )
                self.more_older = page.next_cursor is not None
                table.put(table.total, page.items, total=table.total + len(page.items))
            else:
                first = table.event_at(0)
                assert first is not None
                page = await self.backend.query_audit(
                    flt.model_copy(update={"min_seq": first.seq + 1}), limit=BLOCK, ascending=True
                )
                self.more_newer = page.next_cursor is not None
                table.shift(len(page.items), list(reversed(page.items)))
        except CoditectError as exc:
            self._status(f"! {safe_text(exc)}", bold=True)
        finally:
            self._extending = False
        self._status(f"{table.total}{'+' if self.more_older else ''} matching events loaded")

    @on(AuditTable.Edge)
    def _edge(self, message: AuditTable.Edge) -> None:
        if message.which == 0:
            self.apply_filter(self.filter)
        else:
            self._oldest()

    @work(exclusive=True, group="audit-first")
    async def _oldest(self) -> None:
        table = self.query_one(AuditTable)
        if self.backend is None:
            return
        try:
            page = await self.backend.query_audit(self.filter, limit=BLOCK, ascending=True)
        except CoditectError as exc:
            self._status(f"! {safe_text(exc)}", bold=True)
            return
        events = list(reversed(page.items))
        self.more_newer, self.more_older = page.next_cursor is not None, False
        table.reset(total=len(events), positional=False)
        table.put(0, events)
        table.cursor = max(0, len(events) - 1)
        self._status("oldest matching events (scroll up for newer)")

    def on_audit_table_opened(self, message: AuditTable.Opened) -> None:
        from coditect_tui.ui.screens.audit_detail import AuditDetail

        self.app.push_screen(AuditDetail(message.event))

    # -- actions --------------------------------------------------------------------------

    def action_filter(self) -> None:
        """Edit the filter (actor, action, resource, outcome, time window, text)."""
        from coditect_tui.ui.screens.audit_filter import AuditFilterForm

        def chosen(result: AuditFilter | bool | None) -> None:
            if result is not False:
                self.apply_filter(result)  # type: ignore[arg-type]
                self.focus_table()

        self.app.push_screen(AuditFilterForm(self.filter), chosen)

    @work(exclusive=True, group="audit-verify")
    async def action_verify(self) -> None:
        """Re-hash the whole chain with a progress bar; show the verdict."""
        if self.backend is None:
            return
        bar = self.query_one(ProgressBar)
        bar.update(total=100, progress=0)
        self.add_class("verifying")
        self._status("verifying the chain…")

        def progress(done: int, total: int) -> None:
            bar.update(total=max(total, 1), progress=done)

        try:
            report = await self.backend.verify_audit(progress=progress)
        except CoditectError as exc:
            self._status(f"! verify: {safe_text(exc)}", bold=True)
            return
        finally:
            self.remove_class("verifying")
        if report.ok:
            self._status(f"Chain intact: {plural(report.rows, 'row', grouped=True)} verified.")
        else:
            self._status(
                f"TAMPERED: first bad seq {report.first_bad_seq} ({report.reason}): "
                f"{safe_text(report.detail)}",
                bold=True,
            )

    def action_export(self) -> None:
        """Write an evidence pack of what is shown (asks where and which formats)."""
        if not self.app.refuse("audit.export"):  # type: ignore[attr-defined]
            self._export_pack(self.filter)

    @work(group="evidence", exclusive=True)
    async def _export_pack(self, flt: AuditFilter | None) -> None:
        """Ask where and which formats, write the pack, verify it, say where it is."""
        from datetime import UTC, datetime

        from coditect_tui.core.evidence import verify_evidence_pack, write_evidence_pack
        from coditect_tui.core.paths import data_dir
        from coditect_tui.ui.screens.dialogs import ChoiceDialog, TextPrompt

        session, backend = self.session, self.backend
        if session is None or backend is None:
            self.app.notify("Evidence pack: the tenant's store is not open.", severity="warning")
            return
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        default = data_dir() / "evidence" / f"{session.name}-{stamp}"
        target = await self.app.push_screen_wait(
            TextPrompt(
                "Evidence pack", "Directory to create (it must not exist)", value=str(default)
            )
        )
        if not target:
            return
        choice = await self.app.push_screen_wait(
            ChoiceDialog(
                "Evidence pack",
                "Formats (a manifest with sha256 sums is always written)",
                [
                    ("csv", "CSV"),
                    ("jsonl", "JSON Lines"),
                    ("md", "Markdown"),
                    ("csv,jsonl,md", "All three"),
                ],
            )
        )
        if choice is None:
            return

        def progress(rows: int) -> None:
            self._status(f"exporting… {plural(rows, 'event', grouped=True)}")

        try:
            result = await write_evidence_pack(
                backend,
                Path(target).expanduser(),
                filter=flt,
                formats=tuple(choice.split(",")),
                progress=progress,
            )  # type: ignore[arg-type]
            check = await asyncio.to_thread(verify_evidence_pack, result.path)
        except (CoditectError, OSError) as exc:
            self.app.report(exc, "Evidence pack")  # type: ignore[attr-defined]
            self._status(f"! evidence pack: {safe_text(exc)}", bold=True)
            return
        verdict = "checksums verified" if check.ok else "; ".join(check.problems[:2])
        message = (
            f"Evidence pack: {plural(result.manifest.row_count, 'event', grouped=True)} in "
            f"{safe_text(result.path)} ({verdict})"
        )
        self._status(message, bold=not check.ok)
        self.app.notify(message, timeout=15)
