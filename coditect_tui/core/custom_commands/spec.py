"""The ``commands:`` section of the config: one entry per custom command.

Field-level problems (an unknown placeholder, a placeholder in a quoted part of a shell
script…) are pydantic errors, so ``yamlio`` turns them into ``file:line: key: problem``.
What needs the whole file (a name used twice, a key the app already binds) is checked by
:func:`check_commands` after validation, with the same one-line form.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from coditect_tui.core.custom_commands import expand, template
from coditect_tui.core.custom_commands.keys import taken_keys

if TYPE_CHECKING:
    from coditect_tui.core.settings import Settings
    from coditect_tui.core.yamlio import LocatedYaml

_KEY = re.compile(r"^((ctrl|alt|shift|meta)\+)*([a-z0-9_]+|[A-Z])$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

Scope = Literal["repo", "selection", "tenant"]
Output = Literal["notify", "panel", "none"]


class CustomCommand(BaseModel):
    """One custom command of the config (docs/user-guide.md, "Custom commands").

    Attributes:
        name: what the palette and ``coditect commands`` call it.
        description: one line for the palette and ``coditect commands list``.
        key: a key that runs it in the app (Textual's key names: ``g``, ``ctrl+g``, ``f5``).
        command: the program and its arguments; a string is split with ``shlex.split``.
        scope: repo (the current repo), selection (each selected repo), tenant (once).
        confirm: ask before running.
        mutating: whether it changes anything (true unless said otherwise): read-only
            principals are not offered it and the backend refuses it for them.
        output: notify (the last lines in a toast), panel (every repo's output in a
            window), none (only the outcome).
        timeout: seconds each run may take before it is stopped.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1, max_length=64)
    description: str | None = Field(default=None, max_length=200)
    key: str | None = None
    command: list[str] = Field(min_length=1)
    scope: Scope = "repo"
    confirm: bool = False
    mutating: bool = True
    output: Output = "notify"
    timeout: float = Field(default=600.0, gt=0, le=86400)

    @field_validator("name", "description")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        if value is not None and (_CONTROL.search(value) or value != value.strip()):
            raise ValueError("use printable text without leading or trailing spaces")
        return value

    @field_validator("key")
    @classmethod
    def _key_name(cls, value: str | None) -> str | None:
        if value is not None and not _KEY.match(value):
            raise ValueError(f"{value[:40]!r} is not a key name (e.g. g, G, ctrl+g, f5)")
        return value

    @field_validator("command", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return expand.split(value)
        return value

    @field_validator("command")
    @classmethod
    def _safe(cls, argv: list[str]) -> list[str]:
        at, _ = expand.program(argv)
        if at >= len(argv) or not argv[at]:
            raise ValueError("the command names no program")
        for argument in argv:
            template.parse(argument)  # unknown placeholders, lone braces
        if template.names(argv[at]):
            raise ValueError("the program may not be a placeholder")
        reader = expand.code_reader(argv)
        after = argv[reader[0] + 1 :] if reader is not None else []
        if reader and expand.is_interpreter(reader[1]) and any(map(template.names, after)):
            raise ValueError(
                f"{reader[1]} reads code from its arguments: a placeholder there could "
                "inject; use sh -c with the placeholder as a bare word, or a script"
            )
        script = expand.shell_script_index(argv)
        if script is not None:
            problem = template.shell_unsafe_spot(argv[script])
            if problem:
                raise ValueError(f"in the {reader[1] if reader else 'sh'} -c script, {problem}")
        return argv

    @model_validator(mode="after")
    def _scope_fits(self) -> CustomCommand:
        if self.scope == "tenant":
            used = {p for arg in self.command for p in template.names(arg)}
            needs_repo = sorted(used & template.REPO_PLACEHOLDERS)
            if needs_repo:
                raise ValueError(
                    f"scope tenant runs once, without a repo: {{{needs_repo[0]}}} has no value"
                )
        return self

    def uses(self, placeholder: str) -> bool:
        """Whether any argument holds ``placeholder``."""
        return any(placeholder in template.names(arg) for arg in self.command)


def check_commands(settings: Settings, doc: LocatedYaml) -> None:
    """What the fields cannot check alone: names used twice, keys used twice or already
    bound by the app (after ``ui.keymap``).

    Raises:
        ConfigError: ``file:line: problem`` naming the entry's key.
    """
    from coditect_tui.core.errors import ConfigError

    def fail(index: int, field: str, message: str) -> None:
        loc = ("commands", index, field)
        raise ConfigError(
            f"commands.{index}.{field}: {message}",
            path=doc.path,
            line=doc.line_of(loc),
            key=".".join(map(str, loc)),
        )

    seen_names: dict[str, int] = {}
    seen_keys: dict[str, int] = {}
    builtin = taken_keys(settings.ui.keymap)
    for index, command in enumerate(settings.commands):
        if command.name in seen_names:
            fail(index, "name", f"{command.name!r} is already commands.{seen_names[command.name]}")
        seen_names[command.name] = index
        if command.key is None:
            continue
        if command.key in builtin:
            fail(index, "key", f"{command.key!r} is the app's key for {builtin[command.key]}")
        if command.key in seen_keys:
            fail(index, "key", f"{command.key!r} is already commands.{seen_keys[command.key]}.key")
        seen_keys[command.key] = index


def by_name(commands: Sequence[CustomCommand], name: str) -> CustomCommand:
    """The command called ``name``.

    Raises:
        InvalidInput: no command has that name (the message lists the names there are).
    """
    from coditect_tui.core.errors import InvalidInput

    for command in commands:
        if command.name == name:
            return command
    from coditect_tui.core.safe_text import safe_text

    there = ", ".join(c.name for c in commands) or "none (add a commands: section to the config)"
    raise InvalidInput(f"no custom command {safe_text(name)!r}; the commands are: {there}")
