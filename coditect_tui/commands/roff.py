"""The ``coditect(1)`` man page in roff (man macros), written from the parser's tree."""

from __future__ import annotations

from coditect_tui import __version__
from coditect_tui.commands.tree import CommandSpec, OptionSpec

#: What the page says after the commands (environment, files, exit codes).
ENVIRONMENT = (
    ("CODITECT_CONFIG", "the config file (default: the XDG config path)"),
    ("CODITECT_TENANT", "the tenant profile to use"),
    ("CODITECT_READ_ONLY", "refuse every change, as --read-only"),
    ("CODITECT_DB", "the database of serve and migrate"),
    ("NO_COLOR", "no colours"),
    ("CODITECT_DEBUG", "a traceback instead of the one-line internal error"),
)
#: The widest ``{a,b,c}`` shown after an option; longer lists show the metavar.
MAX_CHOICES_WIDTH = 40
EXIT_CODES = (
    ("0", "success"),
    ("1", "an operation failed (e.g. a repo could not be read)"),
    ("2", "bad input or configuration; a database that cannot be used"),
    ("70", "an internal error"),
    ("130", "interrupted"),
)


def escape(text: str) -> str:
    """``text`` safe as roff text: backslashes and hyphens escaped, no control lines, and
    anything beyond ASCII as a named Unicode character (``…`` is ``\\[u2026]``): troff
    reads its input as Latin-1 and warns about the bytes of UTF-8."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    text = "".join(c if c.isascii() else f"\\[u{ord(c):04X}]" for c in text)
    return "\\&" + text if text.startswith((".", "'")) else text


def _option(option: OptionSpec) -> list[str]:
    flags = ", ".join(f"\\fB{escape(flag)}\\fR" for flag in option.flags)
    if option.takes_value:
        choices = "{" + ",".join(option.choices) + "}"
        # a long list of choices would not fit the line: the help lists them
        short = option.choices and len(choices) <= MAX_CHOICES_WIDTH
        value = choices if short else option.metavar or ""
        flags += f" \\fI{escape(value)}\\fR"
    return [".TP", flags, escape(option.help or "")]


def _command(command: CommandSpec) -> list[str]:
    lines = [f'.SS "{escape(command.name)}"']
    if command.help:
        lines += [escape(command.help[0].upper() + command.help[1:]) + "."]
    lines += [".PP", f"\\fB{escape(command.usage)}\\fR"]
    if command.description:
        lines += [".PP", escape(command.description)]
    lines += [line for positional in command.positionals for line in _positional(positional)]
    own = [o for o in command.options if "--help" not in o.flags]
    if own:
        lines += [".PP", "Options:", ".RS"]
        lines += [line for option in own for line in _option(option)]
        lines += [".RE"]
    return lines


def _positional(positional: object) -> list[str]:
    from coditect_tui.commands.tree import PositionalSpec

    assert isinstance(positional, PositionalSpec)
    if not positional.help and not positional.choices:
        return []
    choices = f" (one of: {', '.join(positional.choices)})" if positional.choices else ""
    return [".TP", f"\\fI{escape(positional.name)}\\fR", escape(positional.help + choices)]


def man_page(tree: CommandSpec) -> str:
    """The whole page: NAME, SYNOPSIS, DESCRIPTION, OPTIONS, COMMANDS (every command and
    sub-command with its usage, description and options), ENVIRONMENT, EXIT STATUS.

    Args:
        tree: the parser's tree (:func:`coditect_tui.commands.tree.full_tree`).

    Returns:
        roff source for ``man -l -`` or ``groff -man``.
    """
    lines = [
        f'.TH CODITECT 1 "" "coditect {__version__}" "User Commands"',
        ".nh",
        ".ad l",
        ".SH NAME",
        "coditect \\- one terminal workspace for many projects, tenants and repos",
        ".SH SYNOPSIS",
        ".B coditect",
        "[\\fIOPTIONS\\fR]",
        ".br",
        ".B coditect",
        "\\fICOMMAND\\fR [\\fIARGS\\fR...]",
        ".SH DESCRIPTION",
        escape(tree.description),
        ".PP",
        "The common options \\fB\\-\\-config\\fR, \\fB\\-\\-tenant\\fR and "
        "\\fB\\-\\-read\\-only\\fR work before or after a command.",
        ".SH OPTIONS",
    ]
    lines += [line for option in tree.options for line in _option(option)]
    lines += [".SH COMMANDS"]
    for command in tree.walk()[1:]:
        lines += _command(command)
    lines += [".SH ENVIRONMENT"]
    for name, text in ENVIRONMENT:
        lines += [".TP", f"\\fB{escape(name)}\\fR", escape(text)]
    lines += [".SH EXIT STATUS"]
    for code, text in EXIT_CODES:
        lines += [".TP", f"\\fB{code}\\fR", escape(text)]
    lines += [
        ".SH SEE ALSO",
        "The documentation in the source tree: docs/cli.md, docs/user-guide.md, "
        "docs/configuration.md, docs/server.md.",
        "",
    ]
    return "\n".join(lines)
