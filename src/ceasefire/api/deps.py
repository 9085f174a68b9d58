"""What every route is given: the service it works on, the caller, and parsed query values.

:func:`get_caller` is the one place access control plugs in: the ``/api/v1`` router depends on
it for every route (:func:`ceasefire.api.app.create_app`); it reads the bearer token, and a
route that needs to know who asks adds ``caller: Caller`` to its parameters (FastAPI runs the
dependency once per request). What each role may do and see is :mod:`ceasefire.access`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse

from ceasefire.access import Principal, may
from ceasefire.api.errors import Unauthorized
from ceasefire.errors import ForbiddenError, Problem

if TYPE_CHECKING:
    from ceasefire.agreement import Agreement
    from ceasefire.geo import GeoEngine
    from ceasefire.notes import Verifier
    from ceasefire.store import Store

#: Where the API lives; a breaking change gets a new prefix.
API_PREFIX = "/api/v1"


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


class JSON(JSONResponse):
    """JSON answers: UTF-8 as it is (place names), times as ISO 8601, no NaN."""

    def render(self, content: Any) -> bytes:
        return json.dumps(
            content, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=_default
        ).encode("utf-8")


@dataclass(frozen=True)
class Limits:
    """Request size limits, in bytes (a body over its limit is answered 413, nothing read).

    ``batch_bytes`` bounds ``POST /reports/batch``: 64 MiB holds about 120,000 reports of the
    simulator's JSON Lines (about 540 bytes each). ``body_bytes`` bounds every other body.
    """

    batch_bytes: int = 64 * 1024 * 1024
    body_bytes: int = 1024 * 1024


@dataclass(frozen=True)
class Service:
    """What the routes work on: the store, the agreement reports are placed against, its
    geometry engine, the cosigner keys trusted for cosignatures, and the limits."""

    store: Store
    agreement: Agreement
    engine: GeoEngine
    cosigners: tuple[Verifier, ...]
    limits: Limits


def get_service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


#: Who asks without a token: the public (DESIGN section 6).
PUBLIC = Principal("public", "public")


def get_caller(request: Request, service: Annotated[Service, Depends(get_service)]) -> Principal:
    """The caller of this request, from its ``Authorization: Bearer <token>`` header.

    No header is the public (:data:`PUBLIC`); a header that is not ``Bearer <token>``, or a
    token that is no enabled user's, is 401 in the one error shape. Only the token's hash is
    looked up (:meth:`ceasefire.store.Store.principal_for_token`).
    """
    header = request.headers.get("authorization")
    if header is None:
        return PUBLIC
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        reason = "must be 'Bearer <token>'"
        raise Unauthorized(
            f"header: Authorization: {reason}", [Problem("header", "Authorization", reason)]
        )
    principal = service.store.principal_for_token(token)
    if principal is None:
        reason = "is not a valid token (unknown or disabled)"
        raise Unauthorized(
            f"header: Authorization: {reason}", [Problem("header", "Authorization", reason)]
        )
    return principal


ServiceDep = Annotated[Service, Depends(get_service)]
Caller = Annotated[Principal, Depends(get_caller)]


_DOING = {
    "submit_report": "submit reports",
    "set_status": "decide an incident's status",
    "release": "release incidents",
    "cosign": "post cosignatures",
}


def require(caller: Principal, action: str) -> None:
    """ForbiddenError (403) unless the caller's role may do ``action`` (:func:`access.may`)."""
    if not may(caller, action):
        doing = _DOING.get(action, action.replace("_", " "))
        raise ForbiddenError(f"the {caller.role} role may not {doing}")
