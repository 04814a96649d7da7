"""A command and one target to the argv that runs: nothing a repo brings can inject.

The command is split into arguments first (by the config's author, or ``shlex.split`` of a
string form); each placeholder is then replaced inside its own argument, so a value is
always part of exactly one argument, whatever it holds (``;``, ``$(…)``, backticks,
newlines, quotes, spaces). The one place a value is read as code is the script of an
explicit shell (``sh -c SCRIPT``, also behind ``env``, ``timeout``…): there it is shell-quoted
(``shlex.quote``), and the config refuses a placeholder where quoting would not hold
(:func:`~coditect_tui.core.custom_commands.template.shell_unsafe_spot`). An inline
script of any other interpreter (``python -c``, ``perl -e``, ``ssh HOST CMD``…) may not
hold a placeholder at all.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from coditect_tui.core.custom_commands import template

#: Shells whose ``-c`` script takes POSIX single quotes (fish and csh do not).
SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "busybox"})
#: Programs that read code from an argument in a way shell quoting cannot make safe.
INTERPRETERS = frozenset(
    {
        "fish", "csh", "tcsh", "python", "python3", "perl", "ruby", "node", "php", "pwsh",
        "powershell", "lua", "tclsh", "awk", "gawk", "mawk", "sed", "ssh", "eval",
    }
)  # fmt: skip
_VERSIONED = re.compile(r"^(python|perl|ruby|php|lua)[0-9.]*$")


@dataclass(frozen=True)
class Target:
    """What a placeholder can stand for in one run.

    Attributes:
        repo: the repo's name (``{repo}``), None for a tenant-scope run.
        path: its absolute working tree path (``{path}``).
        branch: its current branch (``{branch}``), None when HEAD is detached.
        tenant: the tenant's name (``{tenant}``).
    """

    tenant: str
    repo: str | None = None
    path: str | None = None
    branch: str | None = None

    def value(self, name: str) -> str | None:
        """The value of placeholder ``name`` for this target (None: it has none)."""
        return {
            "repo": self.repo,
            "path": self.path,
            "branch": self.branch,
            "tenant": self.tenant,
        }[name]


class MissingValue(Exception):
    """The target has no value for a placeholder the command uses (e.g. ``{branch}``
    on a detached HEAD); the run skips that repo."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no {{{name}}}" + (" (detached HEAD)" if name == "branch" else ""))
        self.name = name


def program(argv: Sequence[str]) -> tuple[int, str]:
    """Where the program of ``argv`` is, after an ``env [NAME=VALUE…]`` prefix, and its
    bare name (``/usr/bin/bash`` -> ``bash``)."""
    at = 0
    if argv and os.path.basename(argv[0]) == "env":
        at = 1
        while at < len(argv) and ("=" in argv[at] or argv[at].startswith("-")):
            at += 1
    name = os.path.basename(argv[at]) if at < len(argv) else ""
    return at, name


def code_reader(argv: Sequence[str]) -> tuple[int, str] | None:
    """The first argument that names a shell or an interpreter, anywhere in ``argv`` (so
    wrappers such as ``env``, ``timeout 5``, ``nice``, ``sudo`` or ``xargs`` before it are
    seen through), with its bare name; None when no argument does."""
    for index, argument in enumerate(argv):
        name = os.path.basename(argument)
        if name in SHELLS or is_interpreter(name):
            return index, name
    return None


def is_interpreter(name: str) -> bool:
    """Whether ``name`` reads code from its arguments in a way quoting cannot protect."""
    return name in INTERPRETERS or bool(_VERSIONED.match(name))


def shell_script_index(argv: Sequence[str]) -> int | None:
    """The index of the script of ``sh -c SCRIPT`` (any POSIX shell of :data:`SHELLS`,
    also ``-ec``, ``-lc``…, also behind a wrapper: ``timeout 5 sh -c``), or None when
    ``argv`` runs no shell script."""
    reader = code_reader(argv)
    if reader is None or reader[1] not in SHELLS:
        return None
    at = reader[0]
    for index in range(at + 1, len(argv)):
        arg = argv[index]
        if arg == "--" or not arg.startswith("-"):
            return None
        if not arg.startswith("--") and "c" in arg[1:]:
            return index + 1 if index + 1 < len(argv) else None
    return None


def split(command: str | Sequence[str]) -> list[str]:
    """The argv of a command given as a list, or as a string split like a shell would
    (``shlex.split``; no shell runs it).

    Raises:
        ValueError: the string cannot be split (an unclosed quote) or is empty.
    """
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    if not argv:
        raise ValueError("the command is empty")
    return argv


def expand(argv: Sequence[str], target: Target) -> list[str]:
    """The argv to run for ``target``: every placeholder replaced inside its own argument
    (shell-quoted in a shell's ``-c`` script).

    Args:
        argv: the command's arguments (validated by the config).
        target: the values.

    Returns:
        As many arguments as ``argv`` has.

    Raises:
        MissingValue: the target has no value for a placeholder the command uses.
    """
    script = shell_script_index(argv)
    out: list[str] = []
    for index, argument in enumerate(argv):
        pieces: list[str] = []
        for part in template.parse(argument):
            if part.name is None:
                pieces.append(part.text)
                continue
            value = target.value(part.name)
            if value is None:
                raise MissingValue(part.name)
            pieces.append(shlex.quote(value) if index == script else value)
        out.append("".join(pieces))
    return out
