"""YAML loading that remembers where every value came from, for one-line error messages."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from coditect_tui.core.errors import ConfigError

Loc = tuple[str | int, ...]


class LocatedYaml:
    """Parsed YAML data plus the 1-based line of every mapping key and sequence item."""

    def __init__(self, data: Any, lines: dict[Loc, int], path: str) -> None:
        self.data = data
        self.lines = lines
        self.path = path

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        """The line of ``loc`` or of its nearest located ancestor."""
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get((), None)


def _walk(node: yaml.Node, loc: Loc, lines: dict[Loc, int], path: str) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                raise ConfigError(
                    f"duplicate key {'.'.join(map(str, (*loc, key)))!r}",
                    path=path,
                    line=key_node.start_mark.line + 1,
                    key=str(key),
                )
            seen.add(key)
            lines[(*loc, key)] = key_node.start_mark.line + 1
            _walk(value_node, (*loc, key), lines, path)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*loc, index)] = item.start_mark.line + 1
            _walk(item, (*loc, index), lines, path)


def load_yaml(path: Path) -> LocatedYaml:
    """Read a YAML file safely (no tags that construct objects).

    Args:
        path: the file to read.

    Returns:
        The data (None for an empty file) with the line of every key.

    Raises:
        ConfigError: unreadable file, not UTF-8, a YAML syntax error or a duplicate key.
    """
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", path=shown) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text (byte {exc.start})", path=shown) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", path=shown) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.load(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(
            f"YAML syntax error: {problem}", path=shown, line=mark.line + 1 if mark else None
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"YAML error: {exc}", path=shown) from None
    lines: dict[Loc, int] = {}
    if node is not None:
        lines[()] = node.start_mark.line + 1
        _walk(node, (), lines, shown)
    return LocatedYaml(data, lines, shown)


def _allowed_keys(model: type[BaseModel], loc: Loc) -> Iterable[str]:
    """The field names valid at the parent of ``loc`` in ``model`` (best effort)."""
    current: Any = model
    for part in loc[:-1]:
        current = _step(current, part)
        if current is None:
            return []
    current = _unwrap_model(current)
    return list(current.model_fields) if current is not None else []


def _unwrap_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _unwrap_model(arg)
        if found is not None:
            return found
    return None


def _step(annotation: Any, part: str | int) -> Any:
    """The annotation reached from ``annotation`` by one path element."""
    origin = get_origin(annotation)
    if origin in (list, tuple, set, frozenset) and isinstance(part, int):
        return get_args(annotation)[0]
    if origin is dict:
        return get_args(annotation)[1]
    model = _unwrap_model(annotation)
    if model is not None and isinstance(part, str) and part in model.model_fields:
        return model.model_fields[part].annotation
    if origin is not None:  # Optional[...] / Annotated[...] / unions of containers
        for arg in get_args(annotation):
            stepped = _step(arg, part)
            if stepped is not None:
                return stepped
    return None


def validation_error(exc: ValidationError, doc: LocatedYaml, model: type[BaseModel]) -> ConfigError:
    """Turn the first pydantic error into a one-line ConfigError naming file, line and key."""
    err = exc.errors()[0]
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    key = ".".join(str(p) for p in loc) or "(top level)"
    message = err["msg"]
    if err["type"] == "extra_forbidden":
        name = str(loc[-1])
        choices = _allowed_keys(model, loc)
        close = difflib.get_close_matches(name, choices, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        message = f"unknown key {name!r}{hint}"
    elif err["type"] == "missing":
        message = f"missing required key {str(loc[-1])!r}"
    else:
        message = f"{key}: {message}"
    return ConfigError(message, path=doc.path, line=doc.line_of(loc), key=key)


def validate(
    doc: LocatedYaml, model: type[BaseModel], *, context: dict[str, Any] | None = None
) -> Any:
    """Validate ``doc`` against ``model``; errors become a ConfigError with file:line and key.

    Raises:
        ConfigError: the first validation problem.
    """
    data = {} if doc.data is None else doc.data
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        raise validation_error(exc, doc, model) from None
