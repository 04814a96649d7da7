"""Small types shared by the contract's modules."""

from __future__ import annotations

from collections.abc import Callable

#: Called with (rows checked, rows in total) while a chain is verified.
ProgressCallback = Callable[[int, int], None]
