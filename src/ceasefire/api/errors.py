"""One JSON error shape for every failure of the HTTP API, and the one place that makes it.

Every error answer, whatever went wrong and wherever, has this body::

    {"error": {"status": 422, "code": "invalid_input",
               "message": "body: lat: must be between -90 and 90, got 91.0",
               "problems": [{"where": "body", "field": "lat",
                             "reason": "must be between -90 and 90, got 91.0"}]}}

``status`` repeats the HTTP status; ``code`` is a stable word for programs (:data:`CODES`);
``message`` is for people; ``problems`` names every bad field (``where``, ``field``,
``reason``, as :class:`ceasefire.errors.Problem`), empty when the failure is not about a field.
A :class:`~ceasefire.errors.VerificationError` adds ``expected``, ``computed`` and ``entry``
when it has them.

Where errors come from, and the handler each one goes through (:func:`install`)::

    CeasefireError            the library's errors, and the API's own body errors below
    ├── InputError            422 invalid_input (a bad field; FastAPI's own parameter errors too)
    ├── ConflictError         409 conflict (same id, other content; a merged incident)
    ├── ForbiddenError        403 forbidden (four eyes; an untrusted cosigner)
    ├── NotFoundError         404 not_found (no such record; no such route, from Starlette)
    ├── VerificationError     422 verification_failed (a cosignature or proof does not verify)
    ├── StoreError            503 store_unavailable
    │   └── CorruptStoreError 503 store_damaged
    └── RequestError          the body as sent cannot be read at all
        ├── MalformedBody         400 malformed_body (not UTF-8, not JSON, nested too deep)
        ├── BodyTooLarge          413 too_large (over the configured limit)
        ├── Unauthorized          401 unauthorized (a bearer token that is no user's)
        ├── TooManyRequests       429 too_many_requests (with Retry-After: bad tokens, a rate)
        └── UnsupportedMediaType  415 unsupported_media_type
    HTTPException             Starlette's 404 for no route, 405 method_not_allowed
    anything else             500 internal_error (the traceback goes to the server log)
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.routing import Match

from ceasefire.errors import (
    CeasefireError,
    ConflictError,
    CorruptStoreError,
    ForbiddenError,
    InputError,
    NotFoundError,
    Problem,
    StoreError,
    VerificationError,
)

__all__ = [
    "CODES",
    "ERROR_JSON",
    "BodyTooLarge",
    "ErrorBody",
    "ErrorResponse",
    "MalformedBody",
    "RequestError",
    "TooManyRequests",
    "Unauthorized",
    "UnsupportedMediaType",
    "error_response",
    "install",
]

log = logging.getLogger("ceasefire.api")


class RequestError(CeasefireError):
    """The request body cannot be read at all; ``status`` and ``code`` say how."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, problems: Sequence[Problem] = ()) -> None:
        self.problems = tuple(problems)
        super().__init__(message)


class MalformedBody(RequestError):
    """Not UTF-8, not JSON, or JSON nested deeper than the service reads."""

    status = 400
    code = "malformed_body"


class BodyTooLarge(RequestError):
    """The body is over the service's size limit for this endpoint."""

    status = 413
    code = "too_large"


class Unauthorized(RequestError):
    """A bearer token that is not a user's (unknown, disabled, or not ``Bearer <token>``)."""

    status = 401
    code = "unauthorized"


class CsrfRefused(RequestError):
    """A change requested with the web page's session cookie but without the page's form
    token: another site's page may have sent it (403)."""

    status = 403
    code = "forbidden"


class TooManyRequests(RequestError):
    """Too many bad tokens from one address, or too many requests with one token; the answer
    says in ``Retry-After`` how many seconds to wait (RFC 6585 section 4)."""

    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class UnsupportedMediaType(RequestError):
    """The ``Content-Type`` is not one the endpoint reads."""

    status = 415
    code = "unsupported_media_type"


# Most specific first: the first class an error is an instance of decides.
_LIBRARY: tuple[tuple[type[CeasefireError], int, str], ...] = (
    (InputError, 422, "invalid_input"),
    (ConflictError, 409, "conflict"),
    (ForbiddenError, 403, "forbidden"),
    (NotFoundError, 404, "not_found"),
    # A cosignature or proof that does not verify is bad input, not a clash with the store.
    (VerificationError, 422, "verification_failed"),
    # A damaged database takes no writes until it is restored (ceasefire.store.database).
    (CorruptStoreError, 503, "store_damaged"),
    (StoreError, 503, "store_unavailable"),
    (CeasefireError, 400, "bad_request"),
)

#: Every ``code`` the API answers with, and its HTTP status.
CODES: dict[str, int] = {
    **{code: status for _, status, code in _LIBRARY},
    **{
        c.code: c.status
        for c in (MalformedBody, BodyTooLarge, UnsupportedMediaType, Unauthorized, TooManyRequests)
    },
    "method_not_allowed": 405,
    "internal_error": 500,
}


class ProblemOut(BaseModel):
    """One bad field: where in the request, which field, and what is wrong with it."""

    where: str = Field(examples=["body"])
    field: str = Field(examples=["lat"])
    reason: str = Field(examples=["must be between -90 and 90, got 91.0"])


class ErrorBody(BaseModel):
    """What went wrong (see ``docs/api.md`` for the codes)."""

    status: int = Field(examples=[422], description="The HTTP status, repeated.")
    code: str = Field(examples=["invalid_input"], description=f"One of: {', '.join(CODES)}.")
    message: str = Field(description="For people: what went wrong, in one line.")
    problems: list[ProblemOut] = Field(
        default_factory=list, description="Every bad field; empty when not about a field."
    )
    expected: str | None = Field(
        default=None, description="verification_failed only: the value that was expected."
    )
    computed: str | None = Field(
        default=None, description="verification_failed only: the value that was computed."
    )
    entry: int | None = Field(
        default=None, description="verification_failed only: the first bad ledger entry."
    )


class ErrorResponse(BaseModel):
    """The one shape of every error answer."""

    error: ErrorBody


#: The error shape as OpenAPI content, for a route whose own answers are not JSON (FastAPI
#: would document a ``model`` under the route's media type).
ERROR_JSON = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}


def error_response(
    status: int,
    code: str,
    message: str,
    problems: Sequence[Problem] = (),
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """The error shape as a response."""
    body: dict[str, Any] = {
        "status": status,
        "code": code,
        "message": message,
        "problems": [{"where": p.where, "field": p.field, "reason": p.reason} for p in problems],
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def _ceasefire_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CeasefireError)
    if isinstance(exc, RequestError):
        status, code = exc.status, exc.code
    else:
        status, code = next((s, c) for cls, s, c in _LIBRARY if isinstance(exc, cls))
    problems: Sequence[Problem] = getattr(exc, "problems", ())
    message = str(exc)
    if request.method == "POST" and isinstance(exc, InputError | ConflictError | RequestError):
        message = message.removesuffix("; nothing stored") + "; nothing was stored"
    extra: dict[str, Any] = {}
    if isinstance(exc, VerificationError):
        extra = {"expected": exc.expected, "computed": exc.computed, "entry": exc.entry}
    if status >= 500:
        log.error("%s %s: %s", request.method, request.url.path, message)
    headers = {"WWW-Authenticate": 'Bearer realm="ceasefire"'} if status == 401 else None
    if isinstance(exc, TooManyRequests):
        headers = {"Retry-After": str(exc.retry_after)}
    return error_response(status, code, message, problems, headers=headers, **extra)


def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's own parameter checks (a query or path value of the wrong type or range)."""
    assert isinstance(exc, RequestValidationError)
    problems = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ())]
        where, field = (loc[0], ".".join(loc[1:])) if loc else ("request", "")
        if err.get("type") == "missing":
            reason = "is required"
        else:
            msg = str(err.get("msg", "is not valid")).replace("Input should be", "must be")
            reason = f"{msg}, got {err.get('input')!r}"
        problems.append(Problem(where, field, reason))
    if not problems:
        problems.append(Problem("request", "", "is not valid"))
    first = problems[0]
    more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
    return error_response(422, "invalid_input", f"{first}{more}", problems)


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own answers: no such route (404), a method the route does not take (405)."""
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    headers = dict(exc.headers or {})
    if status == 404:
        code, message = "not_found", f"no such endpoint: {request.url.path}"
    elif status == 405:
        code = "method_not_allowed"
        allowed = _allowed_methods(request)
        headers["Allow"] = allowed
        message = f"{request.method} is not allowed on {request.url.path}; use {allowed}"
    else:
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "error"
        code = phrase.lower().replace(" ", "_").replace("-", "_")
        message = str(exc.detail) if exc.detail else phrase
    return error_response(status, code, message, headers=headers)


def _allowed_methods(request: Request) -> str:
    """Every method some route takes on this path. Starlette's ``Allow`` names only the first
    route matching the path (``POST`` alone on ``/reports``), so each method is tried against
    the routes, through included routers, with Starlette's own matching."""
    allowed = []
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"):
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return ", ".join(allowed)


def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("%s %s failed", request.method, request.url.path, exc_info=exc)
    return error_response(
        500, "internal_error", "internal error; the details are in the server's log"
    )


def install(app: FastAPI) -> None:
    """Route every error of ``app`` through the handlers above: one shape, one place."""
    app.add_exception_handler(CeasefireError, _ceasefire_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _internal_error)
