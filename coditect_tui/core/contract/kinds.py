"""Read vs mutating, declared where each Backend method is defined.

Each abstract method of the contract carries exactly one of the markers :func:`reads` or
:func:`mutates`; :func:`classify` collects them, so ``MUTATING_METHODS`` and
``READ_METHODS`` are derived from the definitions instead of kept as hand lists.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Literal, TypeVar

F = TypeVar("F", bound=Callable[..., object])
Kind = Literal["read", "mutating"]

#: The attribute the markers set on a method.
KIND_ATTRIBUTE = "__coditect_kind__"


def _mark(kind: Kind) -> Callable[[F], F]:
    def decorate(method: F) -> F:
        existing = getattr(method, KIND_ATTRIBUTE, None)
        if existing is not None and existing != kind:
            raise TypeError(f"{method.__qualname__} is already classified as {existing}")
        setattr(method, KIND_ATTRIBUTE, kind)
        return method

    return decorate


def reads(method: F) -> F:
    """Mark a contract method as read-only (an auditor's call of it is itself audited).

    Args:
        method: the method being defined.

    Returns:
        The same method, marked.

    Raises:
        TypeError: the method is already marked as mutating.
    """
    return _mark("read")(method)


def mutates(method: F) -> F:
    """Mark a contract method as changing stored state (read-only backends refuse it).

    Args:
        method: the method being defined.

    Returns:
        The same method, marked.

    Raises:
        TypeError: the method is already marked as read.
    """
    return _mark("mutating")(method)


def kind_of(method: object) -> Kind | None:
    """The marker of ``method`` (None when it carries none)."""
    kind: Kind | None = getattr(method, KIND_ATTRIBUTE, None)
    return kind


def classify(cls: type) -> tuple[frozenset[str], frozenset[str]]:
    """The names of ``cls``'s marked methods, split by marker.

    Args:
        cls: a contract class (or any class whose methods carry the markers).

    Returns:
        (mutating method names, read method names).
    """
    mutating: set[str] = set()
    read: set[str] = set()
    for name, member in inspect.getmembers(cls):
        kind = kind_of(member)
        if kind == "mutating":
            mutating.add(name)
        elif kind == "read":
            read.add(name)
    return frozenset(mutating), frozenset(read)


def unclassified(cls: type, *, exempt: frozenset[str] = frozenset({"close"})) -> frozenset[str]:
    """Abstract methods of ``cls`` that carry no marker (the lifecycle ones are exempt).

    Args:
        cls: a contract class.
        exempt: names that are neither read nor mutating.

    Returns:
        The names, empty when every method is classified.
    """
    abstract: frozenset[str] = getattr(cls, "__abstractmethods__", frozenset())
    return frozenset(
        name for name in abstract if name not in exempt and kind_of(getattr(cls, name)) is None
    )
