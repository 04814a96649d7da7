"""Running plugin hooks without letting a plugin break or block its host.

:class:`PluginDispatcher` owns one daemon thread per enabled plugin and one watchdog
thread. ``dispatch()`` only puts the payload on each interested plugin's queue, so the
caller (the app's event loop, a server request, a CLI command) never waits for a plugin.
Each plugin thread imports its plugin, then calls its hooks one at a time, in order.

A plugin that raises (on import or in a hook), overruns the timeout, or falls
:data:`MAX_PENDING` events behind is disabled for the rest of the process and reported
once through ``report`` (the UI turns it into a notification, the CLI and the server
into a line on stderr / the log). A hung hook cannot be stopped (Python threads cannot be
killed): its daemon thread is abandoned, never joined, so it holds up neither the caller
nor the process's exit.

``close()`` lets healthy plugins finish what is queued (a CLI command's events arrive
just before it exits) for at most twice the timeout, then stops the watchdog.
"""

from __future__ import annotations

import contextlib
import functools
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from coditect_tui.core.plugins.contract import hooks_of
from coditect_tui.core.plugins.discovery import PluginEntry, load_plugin
from coditect_tui.core.wording import plural

#: Events a plugin may have waiting before it counts as stuck.
MAX_PENDING = 1000
_BEHIND = f"fell {plural(MAX_PENDING, 'event')} behind"
_STOP = object()


@dataclass(frozen=True)
class PluginFailure:
    """Why a plugin was disabled.

    Attributes:
        plugin: its name.
        hook: what it was doing (``load`` or a hook name).
        reason: one line (raw: it may quote the plugin's exception text).
    """

    plugin: str
    hook: str
    reason: str

    def message(self) -> str:
        """One line for the user."""
        return f"plugin {self.plugin!r} disabled for this session: {self.hook} {self.reason}"


Reporter = Callable[[PluginFailure], None]


class _Runner:
    """One plugin: its queue, its thread and what it is doing now."""

    def __init__(self, entry: PluginEntry) -> None:
        self.entry = entry
        self.queue: queue.Queue[Any] = queue.Queue(MAX_PENDING)
        self.thread: threading.Thread | None = None
        self.hooks: frozenset[str] | None = None  # None until loaded
        #: (hook, monotonic start) while a call runs
        self.busy: tuple[str, float] | None = None
        self.failed = False
        self.done = False  # its thread has returned
        self.abandoned = False  # stuck in a call: its thread is never joined


class PluginDispatcher:
    """Calls the hooks of ``entries`` (those whose state is ``enabled``) off the caller's
    thread, each call within ``timeout`` seconds.

    Threads start on the first :meth:`dispatch`: a process that emits nothing starts
    none. ``report`` is called from a dispatcher thread, at most once per plugin;
    whatever it raises is ignored.

    Args:
        entries: discovered plugins (others than ``enabled`` are ignored).
        timeout: seconds one import or hook call may take.
        report: told when a plugin is disabled.
        clock: monotonic seconds (the watchdog's).
    """

    def __init__(
        self,
        entries: Sequence[PluginEntry],
        *,
        timeout: float,
        report: Reporter,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.timeout = timeout
        self._report = report
        self._clock = clock
        self._runners = [_Runner(e) for e in entries if e.state == "enabled"]
        self._cond = threading.Condition()
        self._watchdog: threading.Thread | None = None
        self._started = False
        self._closed = False

    # -- what the host sees ---------------------------------------------------------------

    @property
    def active(self) -> bool:
        """Whether any plugin may still be called."""
        return not self._closed and any(not r.failed for r in self._runners)

    def wants(self, hook: str) -> bool:
        """Whether some live plugin implements ``hook`` (or is not loaded yet): lets a
        caller skip building a payload nobody receives."""
        if self._closed:
            return False
        return any(not r.failed and (r.hooks is None or hook in r.hooks) for r in self._runners)

    def failed(self) -> list[str]:
        """The names of the plugins disabled so far."""
        return [r.entry.name for r in self._runners if r.failed]

    def threads(self) -> list[threading.Thread]:
        """The threads started so far (plugins' and the watchdog's)."""
        found = [r.thread for r in self._runners if r.thread is not None]
        return found + ([self._watchdog] if self._watchdog is not None else [])

    # -- dispatching ----------------------------------------------------------------------

    def dispatch(self, hook: str, payload: Any) -> None:
        """Queue ``payload`` for every live plugin that implements ``hook``; never blocks.

        Args:
            hook: a name of :data:`~coditect_tui.core.plugins.events.HOOKS`.
            payload: its frozen payload.
        """
        if self._closed or not self._runners:
            return
        if not self._started:
            self._start()
        for runner in self._runners:
            if runner.failed or (runner.hooks is not None and hook not in runner.hooks):
                continue
            try:
                runner.queue.put_nowait((hook, payload))
            except queue.Full:
                self._fail(runner, hook, _BEHIND)

    def _start(self) -> None:
        with self._cond:
            if self._started:
                return
            self._started = True
            self._watchdog = threading.Thread(
                target=self._watch, name="coditect-plugins-watchdog", daemon=True
            )
            self._watchdog.start()
            for runner in self._runners:
                runner.thread = threading.Thread(
                    target=self._run,
                    args=(runner,),
                    name=f"coditect-plugin-{runner.entry.name}",
                    daemon=True,  # a hung hook must never hold up the process's exit
                )
                runner.thread.start()

    def _run(self, runner: _Runner) -> None:
        try:
            self._serve(runner)
        finally:
            with self._cond:
                runner.done = True
                self._cond.notify_all()

    def _serve(self, runner: _Runner) -> None:
        plugin = self._call(runner, "load", lambda: load_plugin(runner.entry))
        if runner.failed:
            return
        hooks = self._call(runner, "load", lambda: hooks_of(plugin))
        if runner.failed:
            return
        runner.hooks = frozenset(hooks)
        while True:
            item = runner.queue.get()
            if item is _STOP or runner.failed:
                return
            hook, payload = item
            if hook in runner.hooks:
                self._call(runner, hook, functools.partial(getattr(plugin, f"on_{hook}"), payload))
                if runner.failed:
                    return

    def _call(self, runner: _Runner, hook: str, work: Callable[[], Any]) -> Any:
        """Run ``work`` on the plugin's thread, watched; a failure disables the plugin."""
        with self._cond:
            runner.busy = (hook, self._clock())
            self._cond.notify_all()
        try:
            result = work()
        except BaseException as exc:  # a plugin's SystemExit must not end its host either
            first = str(exc).splitlines()[0][:200] if str(exc) else ""
            why = f"raised {type(exc).__name__}" + (f": {first}" if first else "")
            self._fail(runner, hook, why)
            return None
        with self._cond:
            runner.busy = None
        return result

    def _watch(self) -> None:
        """Disable every plugin whose current call has overrun the timeout."""
        while True:
            due: list[PluginFailure] = []
            with self._cond:
                if self._closed:
                    return
                now = self._clock()
                wake: float | None = None
                for runner in self._runners:
                    if runner.failed or runner.busy is None:
                        continue
                    hook, started = runner.busy
                    deadline = started + self.timeout
                    if deadline > now:
                        wake = deadline if wake is None else min(wake, deadline)
                        continue
                    failure = self._mark(
                        runner, hook, f"did not return within {self.timeout:g} s", stuck=True
                    )
                    if failure is not None:
                        due.append(failure)
                if not due:
                    self._cond.wait(None if wake is None else wake - now)
                    continue
            for failure in due:  # never while holding the lock: a reporter may block
                self._announce(failure)

    def _mark(
        self, runner: _Runner, hook: str, reason: str, *, stuck: bool = False
    ) -> PluginFailure | None:
        """Disable ``runner``'s plugin (``stuck``: and abandon its thread); the failure to
        report (None: already disabled)."""
        with self._cond:
            if runner.failed:
                return None
            runner.failed = True
            runner.abandoned = stuck
            runner.busy = None
            self._cond.notify_all()
        return PluginFailure(runner.entry.name, hook, reason)

    def _announce(self, failure: PluginFailure) -> None:
        # the host's reporter must not end the dispatcher's threads
        with contextlib.suppress(Exception):
            self._report(failure)

    def _fail(self, runner: _Runner, hook: str, reason: str, *, stuck: bool = False) -> None:
        """Disable ``runner``'s plugin and report it (once)."""
        failure = self._mark(runner, hook, reason, stuck=stuck)
        if failure is not None:
            self._announce(failure)

    # -- closing --------------------------------------------------------------------------

    def close(self, grace: float | None = None) -> None:
        """Deliver what is queued (for at most ``grace`` seconds, default twice the
        timeout, so a call under way gets its whole timeout), then stop. Idempotent.
        Plugins still busy then are abandoned and reported.

        Args:
            grace: how long to wait for queued events.
        """
        if self._closed:
            return
        if not self._started:
            self._closed = True
            return
        for runner in self._runners:
            if runner.failed:
                continue
            try:
                runner.queue.put_nowait(_STOP)
            except queue.Full:
                self._fail(runner, "close", _BEHIND)
        deadline = self._clock() + (2 * self.timeout if grace is None else grace)
        with self._cond:  # the watchdog still runs: an overrun call fails and wakes us
            while True:
                waiting = [r for r in self._runners if not r.abandoned and not r.done]
                left = deadline - self._clock()
                if not waiting or left <= 0:
                    break
                self._cond.wait(left)
        for runner in waiting:
            self._fail(runner, "close", "was still busy when the process closed", stuck=True)
        for runner in self._runners:
            if runner.done and runner.thread is not None:
                runner.thread.join()
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._watchdog is not None:
            self._watchdog.join()
