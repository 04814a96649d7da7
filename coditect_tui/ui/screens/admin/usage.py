"""The Usage and Webhooks tabs' contents."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from coditect_tui.ui.screens.admin.common import Row, cells, day

if TYPE_CHECKING:
    from coditect_tui.core.backend import Backend


async def usage_text(backend: Backend) -> Text:
    """The tenant's usage against its tier (as ``coditect usage`` prints it), with the
    API calls per day or, on a local store, that there is no API."""
    from coditect_tui.core.usage_report import usage_lines

    return Text("\n".join(usage_lines(await backend.usage())), no_wrap=True, overflow="ellipsis")


async def hook_rows(backend: Backend) -> list[Row]:
    """URL, event patterns, state, failures in a row, created."""
    return [
        (
            (h.id, None),
            cells(
                h.url,
                ", ".join(h.events),
                "on" if h.enabled else f"off: {h.disabled_reason or 'disabled'}",
                str(h.failures),
                day(h.created_at),
            ),
        )
        for h in await backend.list_webhooks()
    ]
