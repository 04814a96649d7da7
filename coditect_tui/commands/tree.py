"""The ``coditect`` parser as plain data, for the completion scripts and the man page.

argparse keeps its sub-commands and options in attributes it does not document
(``_actions``, ``_SubParsersAction``, ``_choices_actions``); they have been stable since
Python 3.2 and are read here only, in this one module.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass


@dataclass(frozen=True)
class OptionSpec:
    """One optional argument.

    Attributes:
        flags: its spellings (``("-h", "--help")``).
        takes_value: whether the next word is its value.
        choices: the values it accepts, when argparse knows them.
        metavar: the value's name in help (``FILE``), or None.
        help: its help line.
    """

    flags: tuple[str, ...]
    takes_value: bool
    choices: tuple[str, ...]
    metavar: str | None
    help: str


@dataclass(frozen=True)
class PositionalSpec:
    """One positional argument (not a sub-command).

    Attributes:
        name: its name in usage (``PATH``).
        choices: the values it accepts, when argparse knows them.
        help: its help line.
    """

    name: str
    choices: tuple[str, ...]
    help: str


@dataclass(frozen=True)
class CommandSpec:
    """A command and everything below it.

    Attributes:
        path: the words after ``coditect`` (``()`` for ``coditect`` itself).
        help: the one-line help shown in the parent's list.
        description: the longer description.
        usage: argparse's usage line, without the ``usage:`` prefix.
        options: the optional arguments (hidden ones left out).
        positionals: the positional arguments.
        subcommands: the sub-commands, in help order (aliases are not repeated).
    """

    path: tuple[str, ...]
    help: str
    description: str
    usage: str
    options: tuple[OptionSpec, ...]
    positionals: tuple[PositionalSpec, ...]
    subcommands: tuple[CommandSpec, ...]

    @property
    def name(self) -> str:
        """``coditect`` and the path, space separated."""
        return " ".join(("coditect", *self.path))

    def walk(self) -> list[CommandSpec]:
        """This command and every command below it, depth first, in help order."""
        found = [self]
        for sub in self.subcommands:
            found.extend(sub.walk())
        return found


def _text(value: object) -> str:
    return " ".join(str(value or "").split())


def _choices(action: argparse.Action) -> tuple[str, ...]:
    return tuple(str(c) for c in action.choices) if action.choices else ()


def command_tree(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = (), help: str = ""
) -> CommandSpec:
    """Read ``parser`` (and its sub-parsers) into a :class:`CommandSpec`.

    Args:
        parser: a parser built with every sub-command.
        path: the words that lead to it.
        help: its one-line help in the parent's list.

    Returns:
        The tree.
    """
    options: list[OptionSpec] = []
    positionals: list[PositionalSpec] = []
    subcommands: list[CommandSpec] = []
    # --format checks its value with a function, not choices: output.add_format_options
    formats = tuple(parser._defaults.get("output_formats", ()))
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: _text(a.help) for a in action._choices_actions}
            seen: set[int] = set()
            for name, sub in action.choices.items():
                if id(sub) in seen:  # an alias
                    continue
                seen.add(id(sub))
                subcommands.append(command_tree(sub, (*path, name), helps.get(name, "")))
        elif action.help == argparse.SUPPRESS:
            continue
        elif action.option_strings:
            metavar = action.metavar if isinstance(action.metavar, str) else None
            options.append(
                OptionSpec(
                    flags=tuple(action.option_strings),
                    takes_value=action.nargs != 0,
                    choices=_choices(action)
                    or (formats if "--format" in action.option_strings else ()),
                    metavar=metavar or (action.dest.upper() if action.nargs != 0 else None),
                    help=_text(action.help).replace("%(default)s", str(action.default)),
                )
            )
        else:
            name = action.metavar if isinstance(action.metavar, str) else action.dest
            positionals.append(PositionalSpec(name, _choices(action), _text(action.help)))
    usage = parser.format_usage().removeprefix("usage: ")
    return CommandSpec(
        path=path,
        help=help,
        description=_text(parser.description),
        usage=" ".join(usage.split()),
        options=tuple(options),
        positionals=tuple(positionals),
        subcommands=tuple(subcommands),
    )


def full_tree() -> CommandSpec:
    """The tree of ``coditect`` with every sub-command registered."""
    from coditect_tui.commands.parser import build_parser

    return command_tree(build_parser(with_commands=True))
