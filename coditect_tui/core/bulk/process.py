"""One program run of a bulk action: bounded output, a timeout, a clean cancel.

The program runs in its own session (``start_new_session``): no controlling terminal, so
neither git nor ssh can open ``/dev/tty`` to ask for a password; stdin is ``/dev/null``.
stdout and stderr share one pipe (the output a user reads, interleaved as git wrote it);
only its last ``limit`` bytes are kept. A cancel or a timeout sends SIGTERM to the whole
process group (git removes its lock files on SIGTERM), then SIGKILL after ``grace``
seconds; the process is always waited for (no zombie), and the pipe and selector are
closed before the call returns (no leaked descriptor).
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

_CHUNK = 65536


class CancelSignal:
    """A cancel flag that also wakes every worker waiting on a process's output.

    While :meth:`open` (one pipe per run), :meth:`cancel` writes a byte that is never
    read, so the read end stays readable and every selector watching it wakes. The run
    that opened it closes it once every worker is done.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._read = self._write = -1

    @property
    def cancelled(self) -> bool:
        """Whether :meth:`cancel` was called."""
        return self._cancelled

    @property
    def fileno(self) -> int:
        """The descriptor that becomes readable on cancel (-1 when not open)."""
        return self._read

    def open(self) -> None:
        """Create the wake-up pipe (already readable if cancelled before)."""
        with self._lock:
            if self._read < 0:
                self._read, self._write = os.pipe()
                os.set_blocking(self._write, False)
                if self._cancelled:
                    os.write(self._write, b"x")

    def cancel(self) -> None:
        """Set the flag and wake the workers (thread-safe, idempotent)."""
        with self._lock:
            first = not self._cancelled
            self._cancelled = True
            if first and self._write >= 0:
                with contextlib.suppress(OSError):
                    os.write(self._write, b"x")

    def close(self) -> None:
        """Close the pipe (after every worker is done)."""
        with self._lock:
            for fd in (self._read, self._write):
                if fd >= 0:
                    os.close(fd)
            self._read = self._write = -1


@dataclass(frozen=True, slots=True)
class ProcessOutcome:
    """How a program run ended.

    Attributes:
        returncode: exit status (negative: killed by that signal; None: not started).
        output: the last ``limit`` bytes of stdout and stderr, interleaved.
        truncated: bytes dropped from the output's start.
        seconds: wall time.
        timed_out: killed because it ran past its timeout.
        cancelled: killed because the run was cancelled.
        start_error: why it could not start (``No such file or directory``), or None.
    """

    returncode: int | None
    output: bytes
    truncated: int
    seconds: float
    timed_out: bool = False
    cancelled: bool = False
    start_error: str | None = None


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        os.killpg(proc.pid, sig)


def run_bounded(
    argv: Sequence[str],
    *,
    cwd: Path | str,
    env: dict[str, str],
    timeout: float,
    limit: int,
    cancel: CancelSignal,
    grace: float = 2.0,
) -> ProcessOutcome:
    """Run ``argv`` to completion in the calling thread (see the module docstring).

    Args:
        argv: the program and its arguments (no shell).
        cwd: the working directory.
        env: the environment.
        timeout: seconds before the process group is terminated.
        limit: most bytes of output kept (the end).
        cancel: the run's cancel signal (open); once set, the process group is terminated.
        grace: seconds between SIGTERM and SIGKILL.

    Returns:
        The outcome; a program that cannot start gives ``start_error``, never raises.
    """
    started = time.monotonic()
    if cancel.cancelled:
        return ProcessOutcome(None, b"", 0, 0.0, cancelled=True)
    try:
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=env,
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
    except OSError as exc:
        return ProcessOutcome(
            None, b"", 0, time.monotonic() - started, start_error=exc.strerror or str(exc)
        )
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    kept = bytearray()
    dropped = 0
    timed_out = killed_by_cancel = False
    deadline = started + timeout
    kill_at: float | None = None  # SIGKILL moment once SIGTERM was sent
    selector = selectors.DefaultSelector()
    drained = False  # read to EOF: the process is ending on its own
    try:
        selector.register(fd, selectors.EVENT_READ)
        selector.register(cancel.fileno, selectors.EVENT_READ)
        watching_cancel = True
        while True:
            now = time.monotonic()
            if kill_at is None and (cancel.cancelled or now >= deadline):
                killed_by_cancel = cancel.cancelled
                timed_out = not killed_by_cancel
                _signal_group(proc, signal.SIGTERM)
                kill_at = now + grace
            if kill_at is not None and now >= kill_at:
                _signal_group(proc, signal.SIGKILL)
                kill_at = float("inf")
            if watching_cancel and cancel.cancelled:
                selector.unregister(cancel.fileno)  # readable from now on: stop watching
                watching_cancel = False
            wake = deadline if kill_at is None else kill_at
            events = selector.select(max(0.0, min(wake - now, 3600.0)))
            if any(key.fd == fd for key, _ in events):
                chunk = os.read(fd, _CHUNK)
                if not chunk:
                    drained = True  # every process holding the pipe closed it
                    break
                kept += chunk
                if len(kept) > limit:
                    extra = len(kept) - limit
                    del kept[:extra]
                    dropped += extra
    finally:
        selector.close()
        proc.stdout.close()
        if not drained and kill_at is None and proc.poll() is None:
            _signal_group(proc, signal.SIGKILL)  # an exception above: never leave it behind
        proc.wait()
    return ProcessOutcome(
        proc.returncode,
        bytes(kept),
        dropped,
        time.monotonic() - started,
        timed_out=timed_out,
        cancelled=killed_by_cancel,
    )
