"""A backend wrapper that reports each successful write (so the UI learns of its own
audit events without polling)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from coditect_tui.core.backend import MUTATING_METHODS

#: Method-name fragments and the resource type their audit events carry.
_RESOURCES = (
    ("memory", "memory"),
    ("session", "sessions"),
    ("status", "status"),
    ("repo", "repos"),
    ("project", "projects"),
    ("member", "members"),
    ("api_key", "api_keys"),
)


def resource_of(method: str, args: tuple[Any, ...]) -> str | None:
    """The resource type a mutating method's audit event names (best effort)."""
    if method == "record_event" and args:
        return str(getattr(args[0], "value", args[0]))
    return next((res for frag, res in _RESOURCES if frag in method), None)


class ObservedBackend:
    """Delegates everything to ``inner``; after a mutating call returns, calls
    ``on_write(resource)``. Attributes set on the wrapper (e.g. ``on_state``) are set on
    the wrapped backend.

    Args:
        inner: the open backend (owned by the caller, not by this wrapper).
        on_write: called with the resource type after every successful write.
    """

    def __init__(self, inner: Any, on_write: Callable[[str | None], None]) -> None:
        object.__setattr__(self, "_inner", inner)
        object.__setattr__(self, "_on_write", on_write)

    @property
    def inner(self) -> Any:
        """The wrapped backend."""
        return self._inner

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name not in MUTATING_METHODS or not callable(attr):
            return attr
        on_write = self._on_write

        async def observed(*args: Any, **kwargs: Any) -> Any:
            result = await attr(*args, **kwargs)
            on_write(resource_of(name, args))
            return result

        return observed

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._inner, name, value)
