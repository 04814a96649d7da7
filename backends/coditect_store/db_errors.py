"""Driver errors turned into the typed errors of the contract (coditect_tui.core.errors)."""

from __future__ import annotations

from sqlalchemy.exc import DataError

from coditect_tui.core.errors import (
    BackendError,
    BackendUnavailable,
    InvalidInput,
    PermissionDenied,
    ReadOnly,
)


def orig_message(exc: Exception) -> str:
    return str(getattr(exc, "orig", exc)).splitlines()[0]


def map_db_error(exc: Exception) -> BackendError:
    message = orig_message(exc)
    lowered = message.lower()
    sqlstate = str(getattr(getattr(exc, "orig", exc), "sqlstate", None) or "")
    if (
        isinstance(exc, DataError)
        or sqlstate.startswith("22")  # PostgreSQL's class 22: data exception
        or "invalid input for query argument" in lowered
    ):
        # PostgreSQL checks ranges and encodings SQLite does not (e.g. int4 columns)
        return InvalidInput(f"invalid value: {message[:200]}")
    if "row-level security" in lowered or "permission denied for" in lowered:
        # PostgreSQL's own walls (RLS WITH CHECK, grants): a code path the policy missed
        return PermissionDenied(f"the database refused the change ({message})")
    if "not authorized" in lowered or "readonly" in lowered or "read-only" in lowered:
        return ReadOnly(f"read-only: the store refused a write ({message})")
    if "append-only" in lowered:
        return PermissionDenied("the audit log is append-only")
    if "locked" in lowered or "busy" in lowered:
        return BackendUnavailable(f"the store is busy: {message}")
    return BackendUnavailable(f"store error: {message}")
