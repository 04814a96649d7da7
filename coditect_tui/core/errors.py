"""Typed errors shared by every backend, the server and the UI.

Every error carries a one-line, user-presentable message. The UI and the CLI show
``str(error)`` and never a traceback; the server maps ``http_status`` to problem+json.
"""

from __future__ import annotations


class CoditectError(Exception):
    """Base of every error the application presents to a user.

    Attributes:
        exit_code: process exit code the CLI uses when this error ends a command.
    """

    exit_code: int = 1


class ConfigError(CoditectError):
    """A configuration, theme or data file is invalid.

    The message names the file, the line (when known) and the key.
    """

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        where = ""
        if path:
            where = f"{path}:{line}: " if line else f"{path}: "
        super().__init__(f"{where}{message}")
        self.path = path
        self.line = line
        self.key = key


class BackendError(CoditectError):
    """Base of the errors a Backend method may raise."""

    http_status: int = 500
    code: str = "backend_error"


class NotFound(BackendError):
    """The object does not exist in this tenant (or is not visible to this principal)."""

    http_status = 404
    code = "not_found"


class PermissionDenied(BackendError):
    """The principal's role does not allow this action on this resource."""

    http_status = 403
    code = "permission_denied"


class ReadOnly(PermissionDenied):
    """The backend is open read-only (``--read-only`` or an auditor role); writes are refused."""

    code = "read_only"


class QuotaExceeded(BackendError):
    """The tenant's tier quota does not allow another object of this kind."""

    http_status = 403
    code = "quota_exceeded"


class RateLimited(BackendError):
    """Too many requests for the tenant's tier; retry after ``retry_after`` seconds."""

    http_status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Conflict(BackendError):
    """The change conflicts with the current state (duplicate name, stale update...)."""

    http_status = 409
    code = "conflict"


class BackendUnavailable(BackendError):
    """The storage cannot be reached or opened (server down, file not a database...)."""

    http_status = 503
    code = "unavailable"
    exit_code = 2


class InvalidInput(BackendError):
    """An argument is malformed (bad cursor, bad query syntax, bad field value)."""

    http_status = 422
    code = "invalid_input"
    exit_code = 2


ERRORS_BY_CODE: dict[str, type[BackendError]] = {
    cls.code: cls
    for cls in (
        NotFound,
        PermissionDenied,
        ReadOnly,
        QuotaExceeded,
        RateLimited,
        Conflict,
        BackendUnavailable,
        InvalidInput,
    )
}
