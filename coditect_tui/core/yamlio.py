"""YAML loading that remembers where every value came from, for one-line error messages."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from coditect_tui.core.errors import ConfigError

Loc = tuple[str | int, ...]

# Bounds on every YAML file the app reads, so a small file cannot cost unbounded time or
# memory (an alias "bomb") or exhaust the interpreter's stack (deep nesting).
MAX_DEPTH = 64
"""Deepest nesting of values, aliases expanded."""
MAX_VALUES = 50_000
"""Most values (mapping entries and sequence items), aliases expanded."""


class _TooDeep(yaml.MarkedYAMLError):
    """Raised by the composer before it recurses past ``MAX_DEPTH``."""


class _BoundedLoader(yaml.SafeLoader):
    """The safe loader, refusing to compose nodes nested deeper than ``MAX_DEPTH``.

    PyYAML composes recursively: without this bound a few kilobytes of ``[[[[...`` end
    in a RecursionError.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self._depth >= MAX_DEPTH:
            raise _TooDeep(
                problem=f"nested more than {MAX_DEPTH} levels deep",
                problem_mark=self.peek_event().start_mark,
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class LocatedYaml:
    """Parsed YAML data plus the 1-based line of every mapping key and sequence item
    (and, in ``columns``, the 0-based column of each, for a writer that edits in place)."""

    def __init__(
        self, data: Any, lines: dict[Loc, int], path: str, columns: dict[Loc, int] | None = None
    ) -> None:
        self.data = data
        self.lines = lines
        self.path = path
        self.columns = columns or {}

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        """The line of ``loc`` or of its nearest located ancestor."""
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get((), None)


class _Walk:
    """One pass over the composed nodes, aliases expanded: records the line of every key
    and item, refuses duplicate keys and enforces ``MAX_DEPTH`` and ``MAX_VALUES``.

    An alias shares its anchor's node, so expanding them is where a bomb explodes: the
    count stops the walk after ``MAX_VALUES`` values, and the depth stops a cycle
    (``&a [*a]``) or a chain of aliases that nests deeper than the text does.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.lines: dict[Loc, int] = {}
        self.columns: dict[Loc, int] = {}
        self.values = 0

    def walk(self, node: yaml.Node, loc: Loc) -> None:
        line = node.start_mark.line + 1
        if len(loc) >= MAX_DEPTH:
            raise ConfigError(
                f"nested more than {MAX_DEPTH} levels deep (aliases expanded)",
                path=self.path,
                line=line,
            )
        self.values += 1
        if self.values > MAX_VALUES:
            raise ConfigError(
                f"more than {MAX_VALUES} values once aliases are expanded",
                path=self.path,
                line=line,
            )
        if isinstance(node, yaml.MappingNode):
            self._mapping(node, loc)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self.lines[(*loc, index)] = item.start_mark.line + 1
                self.columns[(*loc, index)] = item.start_mark.column
                self.walk(item, (*loc, index))

    def _mapping(self, node: yaml.MappingNode, loc: Loc) -> None:
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                raise ConfigError(
                    f"duplicate key {'.'.join(map(str, (*loc, key)))!r}",
                    path=self.path,
                    line=key_node.start_mark.line + 1,
                    key=str(key),
                )
            seen.add(key)
            self.lines[(*loc, key)] = key_node.start_mark.line + 1
            self.columns[(*loc, key)] = key_node.start_mark.column
            self.walk(value_node, (*loc, key))


def dump_yaml(data: Any) -> str:
    """``data`` as block-style YAML, keys in their order (for a file the app rewrites).

    Args:
        data: plain mappings, lists and scalars.

    Returns:
        The YAML text.
    """
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


_PLAIN = re.compile(r"^[\w./~@+-]+$")


def scalar(value: str) -> str:
    """``value`` as a one-line YAML scalar that reads back as this very string: plain
    when it is safe (``client/api``), else double-quoted with every non-ASCII character
    escaped (``yes``, ``1``, ``a: b``; YAML refuses raw C1 control characters)."""
    import json

    if _PLAIN.match(value) and yaml.safe_load(value) == value:
        return value
    return json.dumps(value)


def load_yaml(path: Path, *, shipped: bool = False) -> LocatedYaml:
    """Read a YAML file safely (no tags that construct objects).

    Args:
        path: the file to read.
        shipped: a file shipped with the package (``config/``): composed by libyaml's C
            parser when PyYAML has it (an order of magnitude faster; every CLI command
            reads the shipped policy). Its recursion has no depth bound of ours, so a
            user's file never goes through it.

    Returns:
        The data (None for an empty file) with the line of every key.

    Raises:
        ConfigError: unreadable file, not UTF-8, a YAML syntax error, a duplicate key, or
            more than ``MAX_DEPTH`` levels or ``MAX_VALUES`` values (aliases expanded).
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
    fast = getattr(yaml, "CSafeLoader", None) if shipped else None
    loader: Any = None
    walk = _Walk(shown)
    try:
        # the reader checks the characters as it is made: a control character is a
        # YAMLError here too
        loader = fast(text) if fast is not None else _BoundedLoader(text)
        node = loader.get_single_node()
        if node is not None:
            walk.lines[()] = node.start_mark.line + 1
            walk.walk(node, ())  # before construction, which flattens merge keys in place
        # built from the walked nodes: an alias stays one shared object
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        kind = "YAML error" if isinstance(exc, _TooDeep) else "YAML syntax error"
        raise ConfigError(
            f"{kind}: {problem}", path=shown, line=mark.line + 1 if mark else None
        ) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow
        line = text.count("\n", 0, exc.position) + 1
        first = str(exc).splitlines()[0]
        raise ConfigError(f"YAML error: {first}", path=shown, line=line) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"YAML error: {exc}", path=shown) from None
    finally:
        if loader is not None:
            loader.dispose()
    return LocatedYaml(data, walk.lines, shown, walk.columns)


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
