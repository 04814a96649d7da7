"""Rows to models: the store returns pydantic models, never rows or ORM objects."""

from __future__ import annotations

import operator
import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from coditect_tui.core.models import Tenant

M = TypeVar("M", bound=BaseModel)


def new_id() -> str:
    """A fresh random id (32 hex characters)."""
    return uuid.uuid4().hex


def to_model(model: type[M], row: Any, **overrides: Any) -> M:
    """Build ``model`` from a row holding (at least) its fields: a SQLAlchemy ``Row`` or
    a driver's record readable by column name (pg_read.py)."""
    data = row._mapping if hasattr(row, "_mapping") else row
    values = {name: data[name] for name in model.model_fields if name not in overrides}
    values.update(overrides)
    return model.model_validate(values)


def to_models(model: type[M], rows: Sequence[Any]) -> list[M]:
    """``to_model`` of each row, validated in one pass (a page of driver records reads
    its fields by position, found once from the first record's columns)."""
    if not rows:
        return []
    names = tuple(model.model_fields)
    validate = model.__pydantic_validator__.validate_python
    if hasattr(rows[0], "_mapping"):  # SQLAlchemy rows
        return [validate({name: row._mapping[name] for name in names}) for row in rows]
    columns = list(rows[0].keys())  # driver records (pg_read.py)
    pick = operator.itemgetter(*(columns.index(name) for name in names))
    return [validate(dict(zip(names, pick(row), strict=True))) for row in rows]


def lookup_tenant(row: Any) -> Tenant:
    """The tenant of a lookup row made before any tenant is set (an API key's or an
    invitation's): columns ``tenant_id``, ``tenant_name``, ``display_name``, ``tier``,
    ``tenant_created_at`` (canonical text) and ``tenant_state``."""
    from coditect_store.schema import parse_ts

    return Tenant(
        id=row.tenant_id,
        name=row.tenant_name,
        display_name=row.display_name,
        tier=row.tier,
        created_at=parse_ts(row.tenant_created_at),
        state=row.tenant_state,
    )
