"""What every route is given: the service it works on, the caller, and parsed query values.

:func:`get_caller` is the one place access control plugs in: the ``/api/v1`` router depends on
it for every route (:func:`ceasefire.api.app.create_app`); it reads the bearer token, and a
route that needs to know who asks adds ``caller: Caller`` to its parameters (FastAPI runs the
dependency once per request). What each role may do and see is :mod:`ceasefire.publish.access`
(a route refuses with :func:`ceasefire.publish.access.require`).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from ceasefire.api.errors import Unauthorized
from ceasefire.errors import InputError, Problem
from ceasefire.intake.files import MAX_REPORT_BYTES
from ceasefire.publish.access import Principal, token_hash

if TYPE_CHECKING:
    from ceasefire.agreement.model import Agreement
    from ceasefire.api.committer import GroupCommitter
    from ceasefire.geo.engine import GeoEngine
    from ceasefire.ledger.notes import Verifier
    from ceasefire.store.facade import Store

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
    simulator's JSON Lines (about 540 bytes each). ``report_bytes`` bounds one report, alone
    (``POST /reports``) or as a line or item of a batch
    (:data:`ceasefire.intake.files.MAX_REPORT_BYTES`, as ``ceasefire ingest``).
    ``body_bytes`` bounds every other body.
    """

    batch_bytes: int = 64 * 1024 * 1024
    body_bytes: int = 1024 * 1024
    report_bytes: int = MAX_REPORT_BYTES


#: Seconds a looked-up token is remembered (:class:`Tokens`).
TOKEN_TTL_S = 2.0


class Tokens:
    """Bearer tokens to callers, remembered for :data:`TOKEN_TTL_S` seconds after a lookup.

    Looking a token up costs a pooled connection and a query, about 0.8 ms of a request
    (measured: 1,368 requests/s without a token, 639/s with one). Remembering it for a couple
    of seconds takes that off nearly every request; the price is that a user disabled from
    the CLI (another process) keeps access for at most that long. Unknown and disabled tokens
    are never remembered, so a new user's token works at once.
    """

    def __init__(
        self,
        store: Store,
        ttl_s: float = TOKEN_TTL_S,
        size: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._ttl_s = ttl_s
        self._clock = clock
        self._size = size
        self._known: dict[str, tuple[float, Principal]] = {}  # token hash -> (until, who)
        # Lookups under way: the requests that find a token expired at the same moment share
        # one (without this, every one of them queued for a worker thread: 70 ms stalls).
        self._asking: dict[str, asyncio.Future[Principal | None]] = {}

    async def principal(self, token: str) -> Principal | None:
        key = token_hash(token)
        known = self._known.get(key)
        if known is not None and known[0] > self._clock():
            return known[1]
        asking = self._asking.get(key)
        if asking is None:
            asking = asyncio.ensure_future(self._look_up(key, token))
            self._asking[key] = asking
            asking.add_done_callback(lambda _: self._asking.pop(key, None))
        return await asyncio.shield(asking)

    async def _look_up(self, key: str, token: str) -> Principal | None:
        found = await run_in_threadpool(self._store.principal_for_token, token)
        if found is None:
            self._known.pop(key, None)
            return None
        if len(self._known) >= self._size:
            self._known.clear()  # many tokens: start over rather than grow without bound
        self._known[key] = (self._clock() + self._ttl_s, found)
        return found


#: The base URL of a service nobody configured: ``ceasefire serve``'s default host and port.
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def check_base_url(value: str, where: str = "--base-url") -> str:
    """``value`` without a trailing ``/`` if it is an absolute http(s) URL with a host and no
    query or fragment; else InputError naming ``where``."""
    from urllib.parse import urlsplit

    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise InputError(
            Problem(
                "options",
                where,
                f"must be an http(s) URL with a host and no query, e.g. "
                f"https://ceasefire.invalid:8443/mission, got {value!r}",
            )
        )
    if any(c in value for c in "\r\n\t\x00 <>\"'\\"):
        raise InputError(Problem("options", where, "must not contain spaces, quotes or controls"))
    return value.strip().rstrip("/")


@dataclass(frozen=True)
class Service:
    """What the routes work on: the store, the agreement reports are placed against, its
    geometry engine, the cosigner keys trusted for cosignatures, the limits, the group
    committer that single reports are stored through, and the callers' tokens."""

    store: Store
    agreement: Agreement
    engine: GeoEngine
    cosigners: tuple[Verifier, ...]
    limits: Limits
    committer: GroupCommitter
    tokens: Tokens
    #: Where callers reach the service (scheme, host, port, any path before ``/api/v1``), for
    #: the absolute links of OGC API - Features; never taken from a request's ``Host``.
    base_url: str = DEFAULT_BASE_URL


# The dependencies are coroutines: FastAPI runs a plain function in a worker thread, a hop
# that cost more than the function itself on every request.
async def get_service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


#: Who asks without a token: the public (DESIGN section 6).
PUBLIC = Principal("public", "public")


async def get_caller(
    request: Request, service: Annotated[Service, Depends(get_service)]
) -> Principal:
    """The caller of this request, from its ``Authorization: Bearer <token>`` header.

    No header is the public (:data:`PUBLIC`); a header that is not ``Bearer <token>``, or a
    token that is no enabled user's, is 401 in the one error shape. Only the token's hash is
    looked up (:meth:`ceasefire.store.facade.Store.principal_for_token`), through :class:`Tokens`.
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
    principal = await service.tokens.principal(token)
    if principal is None:
        reason = "is not a valid token (unknown or disabled)"
        raise Unauthorized(
            f"header: Authorization: {reason}", [Problem("header", "Authorization", reason)]
        )
    return principal


ServiceDep = Annotated[Service, Depends(get_service)]
Caller = Annotated[Principal, Depends(get_caller)]
