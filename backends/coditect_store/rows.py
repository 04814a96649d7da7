"""Rows to models: the store returns pydantic models, never rows or ORM objects."""

from __future__ import annotations

import functools
import operator
import uuid
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def new_id() -> str:
    """A fresh random id (32 hex characters)."""
    return uuid.uuid4().hex


def to_model(model: type[M], row: Any, **overrides: Any) -> M:
    """Build ``model`` from a row holding (at least) its fields."""
    if hasattr(row, "_field_index"):  # a driver-level row (pg_read.PgRow): by position
        # mypy does not see type[Any] as Hashable (python/mypy#11470); a class is hashable
        names, pick = _row_picker(type(row), model)  # type: ignore[arg-type]
        values = dict(zip(names, pick(row), strict=True))
        values.update(overrides)
        validated: M = model.__pydantic_validator__.validate_python(values)
        return validated
    data = row._mapping if hasattr(row, "_mapping") else row
    values = {name: data[name] for name in model.model_fields if name not in overrides}
    values.update(overrides)
    return model.model_validate(values)


def to_models(model: type[M], rows: Sequence[Any]) -> list[M]:
    """``to_model`` of each row (a page of driver-level rows costs one picker lookup)."""
    if not rows or not hasattr(rows[0], "_field_index"):
        return [to_model(model, row) for row in rows]
    # mypy does not see type[Any] as Hashable (python/mypy#11470); a class is hashable
    names, pick = _row_picker(type(rows[0]), model)  # type: ignore[arg-type]
    validate = model.__pydantic_validator__.validate_python
    return [validate(dict(zip(names, pick(row), strict=True))) for row in rows]


@functools.lru_cache(maxsize=1024)
def _row_picker(
    row_type: Any, model: type[BaseModel]
) -> tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]]]:
    """The model's field names and a getter of their values from rows of ``row_type``."""
    names = tuple(name for name in model.model_fields if name in row_type._field_index)
    getter = operator.itemgetter(*(row_type._field_index[name] for name in names))
    if len(names) == 1:
        return names, lambda row: (getter(row),)
    return names, getter
