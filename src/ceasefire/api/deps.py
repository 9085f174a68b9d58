"""What every route is given: the service it works on, the caller, and parsed query values.

:func:`get_caller` is the one place access control plugs in: the ``/api/v1`` router depends on
it for every route (:func:`ceasefire.api.app.create_app`); it reads the bearer token (or the
web page's session cookie, :data:`SESSION_COOKIE`), and a route that needs to know who asks adds
``caller: Caller`` to its parameters (FastAPI runs the dependency once per request). What each
role may do and see is :mod:`ceasefire.publish.access` (a route refuses with
:func:`ceasefire.publish.access.require`).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from ceasefire.api.errors import CsrfRefused, TooManyRequests, Unauthorized
from ceasefire.api.ratelimit import BadTokens, TokenRates, client_key
from ceasefire.errors import InputError, Problem
from ceasefire.intake.files import MAX_REPORT_BYTES
from ceasefire.publish.access import Principal, token_hash
from ceasefire.store.users import TokenCheck

if TYPE_CHECKING:
    from ceasefire.agreement.model import Agreement
    from ceasefire.api.committer import GroupCommitter
    from ceasefire.geo.engine import GeoEngine
    from ceasefire.ledger.notes import Verifier
    from ceasefire.live import LiveProcess
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
    """Request size and rate limits (a body over its size limit is answered 413, nothing read;
    a caller over a rate limit 429 with ``Retry-After``, see :mod:`ceasefire.api.ratelimit`).

    ``batch_bytes`` bounds ``POST /reports/batch``: 64 MiB holds about 120,000 reports of the
    simulator's JSON Lines (about 540 bytes each). ``report_bytes`` bounds one report, alone
    (``POST /reports``) or as a line or item of a batch
    (:data:`ceasefire.intake.files.MAX_REPORT_BYTES`, as ``ceasefire ingest``).
    ``body_bytes`` bounds every other body.

    ``token_rate`` and ``token_burst`` bound one bearer token's requests (a second on average,
    and at once; ``token_rate`` 0: no limit). The service answers about 1,400 requests a second
    in all (benchmarks/api.py), so 200 a second keeps one token to a seventh of it, far above
    what a person or a gateway posting batches sends; the load benchmark turns it off.
    ``bad_tokens`` bad tokens from one client address within ``bad_token_window_s`` seconds
    close it to tokens for the rest of the window (0: no limit).
    """

    batch_bytes: int = 64 * 1024 * 1024
    body_bytes: int = 1024 * 1024
    report_bytes: int = MAX_REPORT_BYTES
    token_rate: float = 200.0
    token_burst: int = 2_000
    bad_tokens: int = 20
    bad_token_window_s: float = 60.0


#: Seconds a looked-up token is remembered at most (:class:`Tokens`).
TOKEN_TTL_S = 2.0
#: Seconds between the token cache's looks at the store's users version (:class:`Tokens`).
USERS_CHECK_S = 0.25


class Tokens:
    """Bearer tokens to callers, remembered after a lookup, and the rate limits on them.

    Looking a token up costs a pooled connection and a query, about 0.8 ms of a request
    (measured: 1,368 requests/s without a token, 639/s with one). Remembering it takes that off
    nearly every request. A user disabled or a token rotated must stop working at once, though:
    every user administration bumps the store's users version, and the cache is dropped when
    it changes. This process's own store says so for free (at once); another process's (the
    CLI) is seen by a one-row read at most every :data:`USERS_CHECK_S` seconds, shared by all
    requests. A token is remembered at most :data:`TOKEN_TTL_S` seconds (a row edited behind
    the store's back, which the ledger audit names), and never past its expiry. Unknown,
    disabled and expired tokens are never remembered, so a new user's token works at once.
    """

    def __init__(
        self,
        store: Store,
        ttl_s: float = TOKEN_TTL_S,
        size: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
        limits: Limits | None = None,
    ) -> None:
        self._store = store
        self._ttl_s = ttl_s
        self._clock = clock
        self._size = size
        self._known: dict[str, tuple[float, Principal]] = {}  # token hash -> (until, who)
        # Lookups under way: the requests that find a token expired at the same moment share
        # one (without this, every one of them queued for a worker thread: 70 ms stalls).
        self._asking: dict[str, asyncio.Future[TokenCheck]] = {}
        self._local = store.users_changes
        self._version: int | None = None
        self._next_check = 0.0
        self._checking: asyncio.Future[int] | None = None
        limits = limits or Limits()
        self.bad = BadTokens(limits.bad_tokens, limits.bad_token_window_s, clock=clock)
        self.rates = TokenRates(limits.token_rate, limits.token_burst, clock=clock)

    async def check(self, token: str) -> TokenCheck:
        """What ``token`` stands for now (:meth:`ceasefire.store.facade.Store.check_token`)."""
        key = token_hash(token)
        known = self._known.get(key)
        if known is not None and known[0] > self._clock() and await self._still_valid():
            known = self._known.get(key)  # another request's check may have dropped it
            if known is not None:
                return TokenCheck(known[1])
        asking = self._asking.get(key)
        if asking is None:
            asking = asyncio.ensure_future(self._look_up(key, token))
            self._asking[key] = asking
            asking.add_done_callback(lambda _: self._asking.pop(key, None))
        return await asyncio.shield(asking)

    async def principal(self, token: str) -> Principal | None:
        """Who ``token`` stands for now, or None."""
        return (await self.check(token)).principal

    async def _still_valid(self) -> bool:
        """False (and the cache dropped) when users were administered since it was filled."""
        if self._store.users_changes != self._local:
            self._forget()
            return False
        if self._clock() < self._next_check:
            return True
        if self._checking is None:
            self._checking = asyncio.ensure_future(run_in_threadpool(self._store.users_version))

            def done(_: object) -> None:
                self._checking = None
                self._next_check = self._clock() + USERS_CHECK_S

            self._checking.add_done_callback(done)
        version = await asyncio.shield(self._checking)
        if self._version != version:
            self._forget()
            self._version = version
            return False
        return True

    def _forget(self) -> None:
        self._known.clear()
        self._local = self._store.users_changes

    async def _look_up(self, key: str, token: str) -> TokenCheck:
        changes = self._store.users_changes
        found = await run_in_threadpool(self._store.check_token, token)
        if changes != self._store.users_changes:
            return found  # users changed meanwhile: the answer may be stale, so not remembered
        if found.principal is None:
            self._known.pop(key, None)
            return found
        if len(self._known) >= self._size:
            self._known.clear()  # many tokens: start over rather than grow without bound
        ttl = self._ttl_s
        if found.expires_at is not None:
            ttl = min(ttl, (found.expires_at - datetime.now(UTC)).total_seconds())
        self._known[key] = (self._clock() + ttl, found.principal)
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
    #: Live fusion, when the service fuses reports as they arrive (``fuse_every``).
    live: LiveProcess | None = None
    #: The key of the web page's form tokens (:func:`csrf_token`); new with each start, so a
    #: page loaded before a restart is asked to reload, never trusted.
    csrf_key: bytes = field(default_factory=lambda: os.urandom(32), repr=False)


# The dependencies are coroutines: FastAPI runs a plain function in a worker thread, a hop
# that cost more than the function itself on every request.
async def get_service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


#: Who asks without a token: the public (DESIGN section 6).
PUBLIC = Principal("public", "public")

#: The web page's session: the caller's token in an HttpOnly, SameSite=Strict cookie, so the
#: page's scripts never hold it and no other site's page can send it.
SESSION_COOKIE = "ceasefire_session"
#: The header a page's script sends with every request that changes something, holding
#: :func:`csrf_token`: a cookie alone never authorises a change (defence beside SameSite).
CSRF_HEADER = "X-CSRF-Token"
#: Methods that change nothing: a cookie alone may read.
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_token(service: Service, token: str) -> str:
    """The form token of a session: an HMAC of the token's hash under the service's key."""
    return hmac.new(service.csrf_key, token_hash(token).encode(), hashlib.sha256).hexdigest()


async def get_caller(
    request: Request, service: Annotated[Service, Depends(get_service)]
) -> Principal:
    """The caller of this request, from its ``Authorization: Bearer <token>`` header, or else
    from the web page's session cookie (:data:`SESSION_COOKIE`).

    Neither is the public (:data:`PUBLIC`); a header that is not ``Bearer <token>``, or a
    token that is no enabled user's or has expired, is 401 in the one error shape. Only the
    token's hash is looked up (:meth:`ceasefire.store.facade.Store.check_token`), through
    :class:`Tokens`. A client that sent too many bad tokens lately is 429 before its token is
    looked up, and a token over its request rate is 429 (:class:`Limits`). A request that
    changes something on the strength of the cookie must carry :data:`CSRF_HEADER` (403
    otherwise), which only the service's own pages know.
    """
    header = request.headers.get("authorization")
    cookie = request.cookies.get(SESSION_COOKIE) if header is None else None
    if header is None and not cookie:
        return PUBLIC
    tokens = service.tokens
    client = client_key(request.client.host if request.client else None)
    wait = tokens.bad.retry_after(client)
    if wait is not None:
        raise TooManyRequests(
            f"too many bad tokens from this address; try again in {wait} s", retry_after=wait
        )
    if header is not None:
        scheme, _, token = header.strip().partition(" ")
        token = token.strip()
        where = ("header", "Authorization")
        if scheme.lower() != "bearer" or not token:
            tokens.bad.failed(client)
            reason = "must be 'Bearer <token>'"
            raise Unauthorized(f"header: Authorization: {reason}", [Problem(*where, reason)])
    else:
        token, where = cookie or "", ("cookie", SESSION_COOKIE)
    found = await tokens.check(token)
    if found.principal is None:
        tokens.bad.failed(client)
        if found.refusal == "expired" and found.expires_at is not None:
            reason = (
                f"this token expired at {found.expires_at.isoformat()}; ask an administrator "
                "for a new one (ceasefire users rotate)"
            )
        else:
            reason = "is not a valid token (unknown or disabled)"
        raise Unauthorized(f"{where[0]}: {where[1]}: {reason}", [Problem(*where, reason)])
    if header is None and request.method not in _SAFE:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent, csrf_token(service, token)):
            raise CsrfRefused(
                f"header: {CSRF_HEADER}: a change made with the session cookie needs the "
                "page's form token; reload the page",
                [Problem("header", CSRF_HEADER, "missing or not this session's")],
            )
    wait = tokens.rates.take(token_hash(token))
    if wait is not None:
        raise TooManyRequests(
            f"too many requests with this token; try again in {wait} s", retry_after=wait
        )
    return found.principal


ServiceDep = Annotated[Service, Depends(get_service)]
Caller = Annotated[Principal, Depends(get_caller)]
