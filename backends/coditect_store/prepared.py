"""Read statements declared once, with named parameters (see pg_read.py for why)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.sql import Executable


class Prepared:
    """A read statement whose values are all named ``bindparam()`` placeholders.

    On PostgreSQL a read operation compiles it once per process and runs it on the driver
    (pg_read.py); on SQLite it runs through SQLAlchemy as any statement. Values embedded in
    the statement would be frozen into the compiled form, so declare them as parameters.

    Attributes:
        stmt: the Core statement.
        text_timestamps: ``UTCDateTime`` columns keep their stored canonical text on
            PostgreSQL, for rows that go straight into a model (pydantic parses ISO text
            in its Rust core, about three times faster than parsing it in Python first).
    """

    __slots__ = ("plans", "stmt", "text_timestamps")

    def __init__(self, stmt: Executable, *, text_timestamps: bool = False) -> None:
        self.stmt = stmt
        self.text_timestamps = text_timestamps
        #: compiled forms by dialect name (filled by pg_read)
        self.plans: dict[str, Any] = {}


def prepared(stmt: Executable, *, text_timestamps: bool = False) -> Prepared:
    """Declare a read statement compiled once (see :class:`Prepared`)."""
    return Prepared(stmt, text_timestamps=text_timestamps)
