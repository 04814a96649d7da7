"""Lifecycle and optional abilities every backend has, with defaults.

A backend that can do more (the remote one streams live events and knows whether the
server is reachable) overrides these; callers never need ``hasattr``/``getattr``:

* :attr:`BackendBase.supports_live_events` tells whether :meth:`BackendBase.events` works;
* :meth:`BackendBase.events` streams live events, or raises :class:`NotSupported`;
* :attr:`BackendBase.online` and :attr:`BackendBase.last_error` describe the connection;
* :attr:`BackendBase.on_state` is called by the backend when ``online`` changes.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable
from typing import Any, Self

from coditect_tui.core.errors import BackendError


class NotSupported(BackendError):
    """The backend does not have this optional ability (e.g. live events on a local store).

    Check the matching ``supports_*`` attribute first to avoid it.
    """

    http_status = 501
    code = "not_supported"


class BackendBase(ABC):
    """The lifecycle and the optional abilities of a backend (see the module docstring)."""

    #: Short name for the header ("local", "remote").
    kind: str = "backend"

    #: Whether :meth:`events` streams live events (False: it raises NotSupported).
    supports_live_events: bool = False

    #: Called (from the event loop, without arguments) when :attr:`online` changes. Set it
    #: to be told; the backend never requires it.
    on_state: Callable[[], None] | None = None

    @abstractmethod
    async def close(self) -> None:
        """Release connections. The instance is unusable afterwards. Never raises."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def online(self) -> bool:
        """Whether the storage answered the last call (always True for a local store).

        Returns:
            False after a call failed to reach the storage, until one reaches it again.
        """
        return True

    @property
    def last_error(self) -> str | None:
        """Why the storage could not be reached, while :attr:`online` is False.

        Returns:
            A one-line reason, or None when online.
        """
        return None

    def events(self, *, ready: asyncio.Event | None = None) -> AsyncIterator[dict[str, Any]]:
        """The tenant's live events, as they are committed (only when
        :attr:`supports_live_events`).

        Use it with ``async for``; close it with ``aclose()`` (or
        ``contextlib.aclosing``) to stop the subscription.

        Args:
            ready: set each time the subscription is established (and cleared while it is
                being re-established), so a caller can wait until no event can be missed.

        Returns:
            An async iterator of ``{"id": seq, "event": "audit"|"change", "data": {...}}``
            in seq order.

        Raises:
            NotSupported: the backend has no live events (raised at the call, before any
                iteration). This default always raises it.
        """
        raise NotSupported(f"the {self.kind} backend has no live events")
