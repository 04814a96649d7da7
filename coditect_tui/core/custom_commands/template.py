"""Placeholders in a command's arguments, and where a shell script may hold them.

An argument is literal text and placeholders: ``{repo}``, ``{path}``, ``{branch}``,
``{tenant}``; ``{{`` and ``}}`` are a literal brace. In a ``sh -c`` script a placeholder
is replaced by a shell-quoted value, which is only safe where the shell reads a bare word:
:func:`shell_unsafe_spot` finds every other place (inside quotes, backticks, ``${…}``,
``$((…))``, after a backslash or in a here-document) so the config refuses it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Every placeholder, in the order the docs list them.
PLACEHOLDERS = ("repo", "path", "branch", "tenant")
#: The placeholders that need a repo (not allowed in a tenant-scope command).
REPO_PLACEHOLDERS = frozenset({"repo", "path", "branch"})

_PART = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


@dataclass(frozen=True)
class Part:
    """One piece of an argument: literal ``text``, or the placeholder ``name``."""

    text: str = ""
    name: str | None = None


def parse(argument: str) -> list[Part]:
    """Split ``argument`` into literal text and placeholders.

    Raises:
        ValueError: an unknown placeholder or a lone brace (the message says which).
    """
    parts: list[Part] = []
    literal: list[str] = []
    at = 0
    for match in _PART.finditer(argument):
        literal.append(argument[at : match.start()])
        at = match.end()
        token = match.group(0)
        if token in ("{{", "}}"):
            literal.append(token[0])
        elif match.group(1) is not None:
            name = match.group(1)
            if name not in PLACEHOLDERS:
                known = ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
                raise ValueError(f"unknown placeholder {{{name[:40]}}} (known: {known})")
            parts.append(Part("".join(literal)))
            literal = []
            parts.append(Part(name=name))
        else:
            raise ValueError(f"a lone {token!r}: write {token * 2} for a literal brace")
    literal.append(argument[at:])
    parts.append(Part("".join(literal)))
    return [p for p in parts if p.name is not None or p.text]


def names_in(script: str) -> list[str]:
    """The placeholders of ``script``, or an empty list when it does not parse."""
    try:
        return names(script)
    except ValueError:
        return []


def names(argument: str) -> list[str]:
    """The placeholders ``argument`` uses, in order (it must parse)."""
    return [p.name for p in parse(argument) if p.name is not None]


#: Words of a shell script that read their arguments as code again (builtins, nested
#: shells and interpreters, remote shells; bash evaluates an array subscript in a name
#: given to read, printf -v, test -v...): a quoted value given to them is code.
_EVALUATORS = re.compile(
    r"(?:^|(?<=[\s;&|(){}`]))(eval|let|source|declare|typeset|local|readonly|export|alias|"
    r"trap|read|readarray|mapfile|unset|getopts|wait|watch|su|ssh|script|xargs|sh|bash|dash|"
    r"zsh|ksh|mksh|ash|busybox|fish|csh|tcsh|python[0-9.]*|perl|ruby|node|php|awk|gawk|mawk|"
    r"sed|lua|tclsh|pwsh|\.)(?=$|[\s;&|()])"
    r"|(?<!\$)\(\(|\[\[|(?:printf|test|\[)\s[^;&|\n]*-v(?=\s)"
)


def shell_unsafe_spot(script: str) -> str | None:
    """Why a placeholder of the ``sh -c`` ``script`` could not be quoted safely, or None.

    A shell-quoted value (``'…'``) is one word only where the shell reads an unquoted
    word at the top level or inside ``$(…)``; inside quotes the quotes become literal and
    the value is read as code (``"$(…)"`` runs), and a backslash, backticks, ``${…}``,
    ``$((…))``, here-documents and comments (a newline in the value ends one) change how
    it is read.

    A script that also runs something that reads its arguments as code again (``eval``,
    ``let``, ``((…))``, ``[[…]]``, a nested shell or interpreter, ``ssh``…) may hold no
    placeholder at all: the quoted value would be code there.

    Returns:
        A short phrase naming where the first offending placeholder is and what to do,
        or None.
    """
    if names_in(script) and "$'" in script:
        # in $'…' a backslash escapes a quote, so where it ends is not where it seems
        return "the script uses $'…' quoting: a placeholder there could inject"
    if names_in(script):
        evaluator = _EVALUATORS.search(script)
        if evaluator:
            word = evaluator.group(0).strip()
            return (
                f"the script runs {word!r}, which reads its arguments as code again: "
                "a placeholder there could inject (pass the value to a script of your own)"
            )
    stack: list[str] = []  # "'", '"', "`", "${", "$((", "$(", "("
    heredoc = False
    # where the last character is that a shell word goes on after: an escaped one, or
    # the closing ")" of "$(…)" / "$((…))" ("$(true)#x" is one word, not a comment)
    joined = -1
    i = 0
    while i < len(script):
        ch = script[i]
        top = stack[-1] if stack else ""
        if script.startswith("}}", i) and top == "${":  # a literal } closes ${…}
            stack.pop()
            i += 2
            continue
        if script.startswith("{{", i) or script.startswith("}}", i):
            i += 2
            continue
        match = re.match(r"\{([a-z]+)\}", script[i:]) if ch == "{" else None
        if match and match.group(1) in PLACEHOLDERS:
            where = _unsafe_context(stack, heredoc, script[:i])
            if where:
                return f"{{{match.group(1)}}} {where}: write it bare (it is shell-quoted for you)"
            i += match.end()
            continue
        if top == "'":
            if ch == "'":
                stack.pop()
            i += 1
            continue
        if ch == "\\":
            following = re.match(r"\{([a-z]+)\}", script[i + 1 :])
            if following and following.group(1) in PLACEHOLDERS:
                return f"{{{following.group(1)}}} follows a backslash: write it bare"
            # the backslash escapes one character of the shell's text: a template's "{{"
            # or "}}" is one brace there, and both of its characters go with it
            joined = i + 1
            i += 3 if script.startswith(("{{", "}}"), i + 1) else 2
            continue
        word_starts = i == 0 or (script[i - 1] in " \t\n;&|()" and joined != i - 1)
        if ch == "#" and top in ("", "$(", "(") and word_starts:
            end = script.find("\n", i)
            end = len(script) if end < 0 else end
            inside = names_in(script[i:end])
            if inside:  # a newline in the value would end the comment: the rest is code
                return f"{{{inside[0]}}} is inside a # comment: move it out"
            i = end
            continue
        closing = {'"': '"', "`": "`", "${": "}", "$(": ")", "(": ")"}
        if top in closing and ch == closing[top]:
            stack.pop()
            joined = i if top == "$(" else joined
        elif top == "$((" and script.startswith("))", i):
            stack.pop()
            i += 1
            joined = i
        elif script.startswith("$((", i):
            stack.append("$((")
            i += 2
        elif script.startswith("${", i):
            stack.append("${")
            i += 1
        elif script.startswith("$(", i):
            stack.append("$(")
            i += 1
        elif ch in "'\"`" and not (ch == "'" and top == '"'):
            stack.append(ch)
        elif ch == "(" and top not in ('"', "`"):
            stack.append("(")
        elif script.startswith("<<", i) and top != '"':
            heredoc = True
        i += 1
    return None


def _unsafe_context(stack: list[str], heredoc: bool, before: str) -> str | None:
    if before.endswith("\\"):
        return "follows a backslash"
    if heredoc:
        return "follows a here-document (<<)"
    names = {"'": "single quotes", '"': "double quotes", "`": "backticks", "${": "${…}"}
    for context in stack:
        if context == "$((":
            return "is inside $((…))"
        if context in names:
            return f"is inside {names[context]}"
    return None
