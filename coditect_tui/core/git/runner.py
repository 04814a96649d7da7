"""Hardened git invocation: every git process the engine starts goes through here.

Every repo is treated as untrusted: a cloned or downloaded repo's ``.git/config`` can name
programs git would run (``core.fsmonitor``, filter and diff drivers, ``core.pager``,
``core.sshCommand``, hooks). On every call:

* ``--no-pager`` and ``-c core.pager=cat``: no pager program, whatever the config says;
* ``-c core.fsmonitor=false``: the fsmonitor hook (run by *every* ``git status``) is off;
* ``-c safe.bareRepository=explicit``: git never adopts a bare repo it stumbles upon;
* ``--literal-pathspecs``: a path is a path, never a glob or ``:(magic)``;
* environment: ``GIT_OPTIONAL_LOCKS=0`` (never take the user's index lock for a read),
  ``GIT_TERMINAL_PROMPT=0`` (never hang on a credential prompt), ``LC_ALL=C``,
  ``GIT_CEILING_DIRECTORIES`` = the repo's parent (git never walks up into an enclosing
  repo), and ``GIT_DIR``/``GIT_WORK_TREE``/``GIT_INDEX_FILE``... removed so a caller's
  environment cannot redirect us to another repo.

Read paths (status, log, diff, discovery, watching) additionally get:

* ``-c core.hooksPath=/dev/null``: no hook can run;
* ``-c diff.external=`` and, on every diff-producing command, ``--no-ext-diff
  --no-textconv`` (callers add these; see :data:`DIFF_SAFETY`);
* ``-c core.sshCommand=false`` and ``-c protocol.allow=never``: a read never talks to a
  remote, and could not run a repo-chosen ssh command if it tried;
* every filter and diff driver the repo's *own* config files define (``filter.<x>.clean``,
  ``.smudge``, ``.process``, ``diff.<x>.textconv``, ``diff.<x>.command``) overridden with
  an empty command, which git treats as "no driver" (``git status`` runs a clean filter
  for racily-clean files). Drivers from the user's global or system config stay.

User-supplied text (branch names, paths) is only ever passed after ``--`` or
``--end-of-options``, so it can never be read as an option; callers do this, and
:func:`check_branch_name` validates branch names before they are used at all.

Each call has a timeout (the process group is killed when it expires), and a runner
bounds how many git processes run at once (a pool of worker threads; see GitRunner).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

try:
    import resource
except ImportError:  # Windows: no resource limits
    resource = None  # type: ignore[assignment]

from coditect_tui.core.errors import CoditectError, InvalidInput
from coditect_tui.core.git import gitconfig, layout
from coditect_tui.core.safe_text import safe_text

T = TypeVar("T")
R = TypeVar("R")

#: ``-c`` settings on every git call.
BASE_CONFIG: tuple[tuple[str, str], ...] = (
    ("core.fsmonitor", "false"),
    ("core.pager", "cat"),
    ("safe.bareRepository", "explicit"),
)

#: Extra ``-c`` settings on read paths.
READ_CONFIG: tuple[tuple[str, str], ...] = (
    ("core.hooksPath", "/dev/null"),
    ("diff.external", ""),
    ("core.sshCommand", "false"),
    ("protocol.allow", "never"),
)

#: Options every diff-producing read command (diff, log -p/--stat, show) must carry.
DIFF_SAFETY: tuple[str, ...] = ("--no-ext-diff", "--no-textconv")

#: Environment variables removed before git runs (they would redirect git elsewhere).
SCRUBBED_ENV: frozenset[str] = frozenset(
    {
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_COMMON_DIR",
        "GIT_NAMESPACE",
        "GIT_PREFIX",
        "GIT_INTERNAL_SUPER_PREFIX",
        "GIT_QUARANTINE_PATH",
        "GIT_REPLACE_REF_BASE",
        "GIT_SHALLOW_FILE",
        "GIT_EXTERNAL_DIFF",
        "GIT_PAGER",
        "PAGER",
        "GIT_DIFF_OPTS",
        "GIT_CEILING_DIRECTORIES",
        "GIT_DISCOVERY_ACROSS_FILESYSTEM",
        "GIT_LITERAL_PATHSPECS",
        "GIT_GLOB_PATHSPECS",
        "GIT_NOGLOB_PATHSPECS",
        "GIT_ICASE_PATHSPECS",
    }
)

#: Default timeout of a local git call, in seconds.
READ_TIMEOUT = 15.0
#: Default timeout of a call that talks to a remote (fetch, pull, push), in seconds.
NETWORK_TIMEOUT = 300.0
#: Data-segment limit (RLIMIT_DATA: heap and private writable mappings; git's read-only
#: pack and index mappings do not count) of a read-path git process. git 2.39 grows
#: without end on a REF_DELTA cycle in a hostile pack; with the limit it stops with one
#: line ("fatal: Out of memory ...") instead of taking gigabytes until the timeout.
READ_MEMORY_LIMIT = 1 << 30
#: Oldest git with everything we rely on (``status --show-stash``, ``--end-of-options``).
MIN_GIT_VERSION = (2, 35)

_DRIVER_KEYS = {"filter": ("clean", "smudge", "process"), "diff": ("textconv", "command")}
_INCLUDE_DEPTH = 10


class GitError(CoditectError):
    """A git command failed, timed out or could not be started.

    The message is one line, already made terminal-safe.

    Attributes:
        repo: the working tree the command ran in.
        returncode: git's exit status (None when it did not finish).
        stderr: git's error output (raw, untrusted).
    """

    def __init__(
        self,
        message: str,
        *,
        repo: Path | None = None,
        returncode: int | None = None,
        stderr: str = "",
    ) -> None:
        super().__init__(safe_text(message, max_length=500))
        self.repo = repo
        self.returncode = returncode
        self.stderr = stderr


@dataclass(frozen=True, slots=True)
class GitResult:
    """What a git process produced.

    Attributes:
        argv: the full command line that ran.
        returncode: exit status.
        stdout: raw output bytes.
        stderr: raw error output bytes.
        seconds: wall time.
    """

    argv: tuple[str, ...]
    returncode: int
    stdout: bytes
    stderr: bytes
    seconds: float

    @property
    def ok(self) -> bool:
        """Whether git exited 0."""
        return self.returncode == 0

    def text(self) -> str:
        """``stdout`` decoded as UTF-8 (invalid bytes replaced)."""
        return self.stdout.decode("utf-8", errors="replace")

    def error_line(self) -> str:
        """The most telling line of ``stderr`` (the ``fatal:``/``error:`` one), or ''."""
        lines = [
            ln.strip()
            for ln in self.stderr.decode("utf-8", errors="replace").splitlines()
            if ln.strip()
        ]
        for line in lines:
            if line.startswith(("fatal:", "error:")):
                return line
        return lines[-1] if lines else ""


_BAD_REF_CHARS = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")


def check_branch_name(name: str) -> str:
    """Validate a branch name with git's ``check-ref-format --branch`` rules.

    Args:
        name: a proposed branch name (user-supplied or read from a state file).

    Returns:
        ``name`` unchanged.

    Raises:
        InvalidInput: git would refuse it, or it could be read as an option.
    """
    problem = None
    if not name or name == "@" or name.startswith("-"):
        problem = "it is empty, '@' or starts with '-'"
    elif _BAD_REF_CHARS.search(name):
        problem = "it contains a space, a control character or one of ~^:?*[\\"
    elif ".." in name or "@{" in name or "//" in name:
        problem = "it contains '..', '@{' or '//'"
    elif name.endswith(("/", ".")) or name.startswith("/"):
        problem = "it starts with '/' or ends with '/' or '.'"
    elif any(part.startswith(".") or part.endswith(".lock") for part in name.split("/")):
        problem = "a component starts with '.' or ends with '.lock'"
    if problem:
        raise InvalidInput(
            f"{safe_text(name, max_length=120)!r} is not a valid branch name: {problem}"
        )
    return name


def _collect_drivers(path: Path, found: set[tuple[str, str, str]], depth: int) -> None:
    if depth > _INCLUDE_DEPTH:
        return
    try:
        text = gitconfig.read_config_text(path)
        if text is None:
            return
        lowered = text.lower()
        if "filter" not in lowered and "diff" not in lowered and "include" not in lowered:
            return  # nothing here could define a driver (section names are ASCII)
        entries = gitconfig.parse_config(text)
    except (OSError, gitconfig.ConfigSyntaxError):
        return  # git refuses such a config itself, so nothing in it can run
    for entry in entries:
        keys = _DRIVER_KEYS.get(entry.section)
        if keys and entry.subsection is not None and entry.key in keys:
            found.add((entry.section, entry.subsection, entry.key))
        elif entry.key == "path" and entry.value and entry.section in ("include", "includeif"):
            target = Path(os.path.expanduser(entry.value))
            if not target.is_absolute():
                target = path.parent / target
            _collect_drivers(target, found, depth + 1)


def neutralising_config(git_dir: Path | None) -> list[tuple[str, str]]:
    """``-c`` overrides that disable every driver the repo's own config defines.

    Args:
        git_dir: the repo's git directory (None: nothing to read).

    Returns:
        Pairs like ``("filter.evil.clean", "")``; includes (``include.path``,
        ``includeIf.*.path``, whatever the condition) are followed, up to 10 deep.
    """
    if git_dir is None:
        return []
    found: set[tuple[str, str, str]] = set()
    for path in layout.config_files_of(git_dir):
        _collect_drivers(path, found, 0)
    pairs: list[tuple[str, str]] = []
    for section, subsection, key in sorted(found):
        pairs.append((f"{section}.{subsection}.{key}", ""))
        if section == "filter":
            pairs.append((f"{section}.{subsection}.required", "false"))
    return pairs


_BASE_ENV: dict[str, str] | None = None
#: Environment variables holding the values ``--config-env`` refers to.
_VALUE_ENV = {"": "CODITECT_GIT_EMPTY", "false": "CODITECT_GIT_FALSE"}


def git_env(repo: Path) -> dict[str, str]:
    """The environment git runs with for ``repo`` (see the module docstring).

    Args:
        repo: the working tree.

    Returns:
        A fresh dict; the process environment minus ``SCRUBBED_ENV``, plus our settings.
    """
    global _BASE_ENV
    if _BASE_ENV is None:
        base = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
        base.update(
            GIT_OPTIONAL_LOCKS="0",
            GIT_TERMINAL_PROMPT="0",
            LC_ALL="C",
            GIT_ASKPASS=base.get("GIT_ASKPASS", ""),
            **{name: value for value, name in _VALUE_ENV.items()},
        )
        if not base["GIT_ASKPASS"]:
            del base["GIT_ASKPASS"]
        _BASE_ENV = base
    env = dict(_BASE_ENV)
    env["GIT_CEILING_DIRECTORIES"] = str(repo.parent)
    return env


def reset_env_cache() -> None:
    """Forget the cached base environment (tests change ``os.environ``)."""
    global _BASE_ENV
    _BASE_ENV = None


def git_argv(
    repo: Path,
    args: Sequence[str],
    *,
    write: bool = False,
    git_dir: Path | None = None,
    extra_config: Sequence[tuple[str, str]] = (),
) -> list[str]:
    """The full, hardened command line for ``git <args>`` in ``repo``.

    Args:
        repo: the working tree (its config is scanned for drivers on read paths).
        args: the sub-command and its arguments; user text only after ``--`` or
            ``--end-of-options``.
        write: a write path (commit, push, merge...): the user's hooks and drivers
            apply, as they would if the user ran git by hand.
        git_dir: the repo's git directory, when the caller already knows it.
        extra_config: more ``-c`` pairs (e.g. the drivers of submodules a nested
            ``git status`` would enter; ``-c`` settings reach git's child processes).

    Returns:
        ``["git", "--no-pager", "--literal-pathspecs", "-c", ..., *args]``.
    """
    argv = ["git", "--no-pager", "--literal-pathspecs"]
    pairs: list[tuple[str, str]] = list(BASE_CONFIG)
    if not write:
        pairs.extend(READ_CONFIG)
        pairs.extend(neutralising_config(git_dir or layout.git_dir_of(repo)))
    pairs.extend(extra_config)
    for key, value in pairs:
        if "=" in key and value in _VALUE_ENV:
            # "-c k=v" splits at the first "=", so a driver named "a=b" would escape;
            # --config-env splits at the last one (env names have no "=")
            argv.append(f"--config-env={key}={_VALUE_ENV[value]}")
        elif "=" in key:
            continue  # not produced by this module
        else:
            argv += ["-c", f"{key}={value}"]
    argv.extend(args)
    return argv


_VERSION: tuple[int, ...] | None = None


def git_version() -> tuple[int, ...]:
    """The installed git's version (asked once per process).

    Returns:
        e.g. ``(2, 39, 5)``.

    Raises:
        GitError: git is not installed or does not answer.
    """
    global _VERSION
    if _VERSION is None:
        try:
            out = subprocess.run(
                ["git", "--version"],
                capture_output=True,
                timeout=10,
                check=True,
                env=git_env(Path.cwd()),
            ).stdout.decode()
        except (OSError, subprocess.SubprocessError) as exc:
            raise GitError(f"git is not available: {exc}") from None
        match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", out)
        if not match:
            raise GitError(f"cannot tell the git version from {out.strip()!r}")
        _VERSION = tuple(int(part) for part in match.groups() if part is not None)
    return _VERSION


def require_git() -> None:
    """Fail early, in one line, when git is missing or too old.

    Raises:
        GitError: git is missing or older than ``MIN_GIT_VERSION``.
    """
    version = git_version()
    if version[:2] < MIN_GIT_VERSION:
        need = ".".join(map(str, MIN_GIT_VERSION))
        raise GitError(f"git {need} or newer is needed (found {'.'.join(map(str, version))})")


@dataclass
class _Running:
    """The process a worker thread started (so a cancelled caller can kill it)."""

    proc: subprocess.Popen[bytes] | None = None
    cancelled: bool = False


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        os.killpg(proc.pid, signal.SIGKILL)


def run_program(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: dict[str, str] | None,
    stdin: bytes | None,
    timeout: float,
    running: _Running | None = None,
    memory_limit: int | None = None,
) -> tuple[int | None, bytes, bytes]:
    """Run a program to completion in the calling thread, in its own process group.

    Args:
        argv: the command line.
        cwd: where to run it.
        env: its environment (None: ours).
        stdin: bytes to feed, or None for /dev/null.
        timeout: seconds before the whole process group is killed.
        running: filled with the process, so another thread can kill it.
        memory_limit: RLIMIT_DATA of the process in bytes, set right after it starts
            (``prlimit``; no ``preexec_fn``, which is unsafe in a threaded process).

    Returns:
        (exit status or None when killed on timeout, stdout, stderr).

    Raises:
        OSError: the program could not be started.
    """
    proc = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=env,
        start_new_session=True,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    if memory_limit is not None and resource is not None and hasattr(resource, "prlimit"):
        with contextlib.suppress(ProcessLookupError, PermissionError, OSError, ValueError):
            resource.prlimit(proc.pid, resource.RLIMIT_DATA, (memory_limit, memory_limit))
    if running is not None:
        running.proc = proc
        if running.cancelled:
            _kill_group(proc)
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        out, err = proc.communicate()
        return None, out, err
    except BaseException:
        _kill_group(proc)
        proc.wait()
        raise
    return proc.returncode, out, err


class GitRunner:
    """Runs hardened git commands, at most ``concurrency`` at a time.

    Git processes are started and awaited in a small pool of worker threads; the async
    API hands them to the pool. (Starting them from the event loop thread with
    ``asyncio.create_subprocess_exec`` serialises every fork+exec in that one thread:
    on a busy 2-core machine a 200-repo status took 0.85 s that way, against 0.3 s for
    a ``git status`` loop; spread over threads it matches the loop.) One runner can
    serve several event loops one after another.
    """

    def __init__(
        self,
        *,
        concurrency: int | None = None,
        timeout: float = READ_TIMEOUT,
        memory_limit: int = READ_MEMORY_LIMIT,
    ) -> None:
        """Create a runner.

        Args:
            concurrency: most git processes at once (default ``4 * cpu_count``, at
                least 8 and at most 64: a git status is short, and the gaps between
                one process ending and the next starting leave CPUs idle otherwise).
            timeout: default per-call timeout in seconds.
            memory_limit: data-segment limit of a read-path git process, in bytes (write
                paths run the user's own hooks and keep the user's limits).
        """
        self.memory_limit = memory_limit
        self.concurrency = concurrency or min(64, max(8, 4 * (os.cpu_count() or 2)))
        self.timeout = timeout
        self._pool: ThreadPoolExecutor | None = None
        #: Number of git processes started (tests assert idleness with it).
        self.spawned = 0

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                max_workers=self.concurrency, thread_name_prefix="coditect-git"
            )
        return self._pool

    def close(self) -> None:
        """Stop the worker threads (running git processes finish first)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    async def run(
        self,
        repo: Path,
        args: Sequence[str],
        *,
        write: bool = False,
        timeout: float | None = None,
        stdin: bytes | None = None,
        check: bool = False,
        git_dir: Path | None = None,
        extra_config: Sequence[tuple[str, str]] = (),
    ) -> GitResult:
        """Run ``git <args>`` in ``repo``.

        Args:
            repo: the working tree to run in.
            args: sub-command and arguments (user text after ``--``/``--end-of-options``).
            write: a write path (see :func:`git_argv`).
            timeout: seconds before the process group is killed (default: the runner's).
            stdin: bytes to feed (e.g. a commit message for ``commit -F -``).
            check: raise :class:`GitError` when git exits non-zero.
            git_dir: the repo's git directory, when already known.
            extra_config: more ``-c`` pairs (see :func:`git_argv`).

        Returns:
            The result, whatever the exit status (unless ``check``).

        Raises:
            GitError: git could not start, timed out, or (with ``check``) failed.
        """
        argv = git_argv(repo, args, write=write, git_dir=git_dir, extra_config=extra_config)
        limit = self.timeout if timeout is None else timeout
        verb = args[0] if args else "git"
        running = _Running()
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        self.spawned += 1
        try:
            code, out, err = await loop.run_in_executor(
                self._executor(),
                lambda: run_program(
                    argv,
                    cwd=repo,
                    env=git_env(repo),
                    stdin=stdin,
                    timeout=limit,
                    running=running,
                    memory_limit=None if write else self.memory_limit,
                ),
            )
        except OSError as exc:
            raise GitError(
                f"git {verb}: cannot start git in {repo}: {exc.strerror}", repo=repo
            ) from None
        except BaseException:
            running.cancelled = True
            if running.proc is not None:
                _kill_group(running.proc)
            raise
        if code is None:
            raise GitError(f"git {verb} timed out after {limit:g}s in {repo}", repo=repo)
        result = GitResult(tuple(argv), code, out, err, time.perf_counter() - started)
        if check and not result.ok:
            raise GitError(
                f"git {verb} failed in {repo}: {result.error_line()}",
                repo=repo,
                returncode=result.returncode,
                stderr=err.decode("utf-8", errors="replace"),
            )
        return result

    async def map(self, func: Callable[[T], Awaitable[R]], items: Iterable[T]) -> list[R]:
        """Run ``func`` over ``items`` concurrently (git calls inside stay bounded).

        Args:
            func: an async function, usually one that calls :meth:`run`.
            items: its inputs.

        Returns:
            Results in input order.
        """
        return list(await asyncio.gather(*(func(item) for item in items)))
