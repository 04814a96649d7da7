"""Read statements that own their SQL (see pg_read.py for why and how they run)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_DOLLAR = re.compile(r"\$(\d+)")


class Prepared:
    """A read statement written as SQL, with numbered parameters ``$1 .. $n``.

    The SQL is the statement's only definition: PostgreSQL runs it as written on the driver
    (pg_read.py); SQLite runs the same text with ``?N`` for ``$N``. It must therefore stay
    within the SQL both accept (row-value comparisons, ORDER BY, LIMIT) and name every
    value as a parameter: nothing is inlined.

    Attributes:
        sql: the PostgreSQL text.
        sqlite_sql: the SQLite text.
        names: the parameter behind ``$1``, ``$2``, ... in order.
    """

    __slots__ = ("names", "sql", "sqlite_sql")

    def __init__(self, sql: str, names: tuple[str, ...]) -> None:
        numbers = {int(n) for n in _DOLLAR.findall(sql)}
        if numbers != set(range(1, len(names) + 1)):
            raise ValueError(f"parameters ${sorted(numbers)} do not match names {names}")
        self.sql = sql
        self.sqlite_sql = _DOLLAR.sub(r"?\1", sql)
        self.names = names

    def args(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        """The values of ``$1 .. $n`` from ``params``.

        Raises:
            KeyError: a parameter has no value.
        """
        return tuple(params[name] for name in self.names)


def prepared(sql: str, *names: str) -> Prepared:
    """Declare a read statement (see :class:`Prepared`)."""
    return Prepared(sql, names)
