"""What every tab of the administration screen shares: rows, cells, dates."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text

from coditect_tui.core.safe_text import safe_text

#: One row of a table: its key (a member's name, a key's id, a flag's feature and
#: stakeholder...) and its cells.
Row = tuple[tuple[str, str | None], list[Text]]


def day(when: datetime | None, empty: str = "never") -> str:
    """A moment as its local day (``empty`` for None)."""
    return when.astimezone().strftime("%Y-%m-%d") if when is not None else empty


def cells(*values: str) -> list[Text]:
    """Untrusted values as one-line cells (never markup)."""
    return [Text(safe_text(value), no_wrap=True, overflow="ellipsis") for value in values]


def parse_day(value: str) -> datetime | None:
    """``YYYY-MM-DD`` as the end of that day in UTC (None for an empty value).

    Raises:
        ValueError: not a date of that form.
    """
    if not value.strip():
        return None
    try:
        when = datetime.strptime(value.strip(), "%Y-%m-%d")
    except ValueError:
        raise ValueError(f"not a date of the form YYYY-MM-DD: {value!r}") from None
    return when.replace(hour=23, minute=59, second=59, tzinfo=UTC)
