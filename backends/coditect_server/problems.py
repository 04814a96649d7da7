"""Errors as RFC 9457 problem details (``application/problem+json``).

The typed errors of coditect_tui.core.errors map to their ``http_status`` and carry their
``code``, so the remote backend raises the same class the local store would have.
"""

from __future__ import annotations

import math
from typing import Any

import orjson
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match, Route

from coditect_tui.core.errors import BackendError

MEDIA_TYPE = "application/problem+json"

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
_CODES = {
    400: "invalid_input",
    401: "unauthorized",
    404: "not_found",
    405: "not_allowed",
    413: "invalid_input",
    415: "invalid_input",
    422: "invalid_input",
    500: "internal_error",
}


class Problem(BaseModel):
    """A problem detail: what went wrong, in one line, and the typed error's code."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    retry_after: float | None = None


def problem_body(status: int, code: str, detail: str, retry_after: float | None = None) -> bytes:
    """The problem+json document of ``status`` (what :func:`problem` sends).

    Args:
        status: the HTTP status.
        code: the typed error's code (coditect_tui.core.errors).
        detail: one line a human can act on.
        retry_after: seconds after which a retry may succeed, if any.

    Returns:
        The serialised document.
    """
    body: dict[str, Any] = {
        "type": f"urn:coditect:problem:{code}",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if retry_after is not None:
        body["retry_after"] = retry_after
    return orjson.dumps(body)


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    retry_after: float | None = None,
) -> Response:
    """A problem+json response."""
    all_headers = dict(headers or {})
    if retry_after is not None:
        all_headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    return Response(
        problem_body(status, code, detail, retry_after),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=all_headers,
    )


def from_error(exc: BackendError) -> Response:
    """The problem response of a typed backend error (Retry-After when it has one)."""
    retry_after = getattr(exc, "retry_after", None)
    return problem(exc.http_status, exc.code, str(exc), retry_after=retry_after)


async def backend_error_handler(_request: Request, exc: Exception) -> Response:
    """Typed errors -> their status (404, 403, 409, 422, 429, 503)."""
    assert isinstance(exc, BackendError)
    return from_error(exc)


async def validation_handler(_request: Request, exc: Exception) -> Response:
    """Malformed requests -> 422 invalid_input with the first problem named."""
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if errors:
        first = errors[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        detail = f"{where}: {first.get('msg', 'invalid')}"
    else:
        detail = "invalid request"
    return problem(422, "invalid_input", detail[:500])


def allowed_methods(request: Request) -> str:
    """The ``Allow`` of a 405: every method of the path the request names, as documented.

    Starlette lists only the methods of the first route whose path matches; a path has
    one route per method here. The path template is the first matching route's (so
    ``/memory/list`` is not mistaken for ``/memory/{entry_id}``).

    Args:
        request: the refused request.

    Returns:
        The methods, comma-separated, sorted.
    """
    routes = [r for r in request.app.router.routes if isinstance(r, Route)]
    template = next((r.path for r in routes if r.matches(request.scope)[0] is not Match.NONE), None)
    methods = {m for r in routes if r.path == template for m in r.methods or ()}
    return ", ".join(sorted(methods))


async def http_error_handler(request: Request, exc: Exception) -> Response:
    """Starlette's own HTTP errors (unknown route, wrong method) as problems."""
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    if status == 400:  # an unparsable body is invalid input like any other (422)
        status = 422
    headers = dict(exc.headers or {})
    if status == 405:
        headers["Allow"] = allowed_methods(request)
    return problem(status, _CODES.get(status, "http_error"), str(exc.detail), headers=headers)


async def unexpected_handler(_request: Request, exc: Exception) -> Response:
    """Anything else: 500 with the exception's class only (details go to the log)."""
    import logging

    logging.getLogger("coditect.server").exception("unhandled error")
    return problem(500, "internal_error", f"internal error ({type(exc).__name__})")


#: The error responses every authenticated operation may give (for the OpenAPI document).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "model": Problem,
        "description": _TITLES[status],
        "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    for status in (401, 403, 404, 409, 422, 429, 503)
}
