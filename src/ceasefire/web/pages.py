"""The pages: sign-in, the map with its feed, an incident, the hotline inbox, the tallies, the
review of proposals from text.

Each page is a shell rendered here (who is signed in, what they may do, the form token) and a
JavaScript module that reads and acts through the JSON API under ``/api/v1`` with the session
cookie, so every record a page shows went through the same access policy as for any other
client (:mod:`ceasefire.publish.access`); what a page offers to do (``can``) only hides
buttons, the API decides.

Every page carries a Content-Security-Policy that lets it load and connect to this service
only: a page that tried to reach a CDN, a tile or a font server would be refused by the browser.
"""

from __future__ import annotations

import hmac
import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs, quote, urlsplit

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

import ceasefire
from ceasefire.api.body import read_body
from ceasefire.api.deps import (
    CSRF_HEADER,
    JSON,
    PUBLIC,
    SESSION_COOKIE,
    Service,
    ServiceDep,
    csrf_token,
    get_caller,
)
from ceasefire.api.errors import CsrfRefused, RequestError, TooManyRequests
from ceasefire.api.ratelimit import client_key
from ceasefire.errors import ForbiddenError, InputError, Problem
from ceasefire.geo.gazetteer import load_gazetteer
from ceasefire.judge.verification import PERPETRATOR_BASES
from ceasefire.publish.access import (
    ACTIONS,
    Principal,
    may_act,
    reads_released_only,
    report_scope,
    report_tier,
    report_tiers,
)
from ceasefire.publish.mapdata import agreement_layers
from ceasefire.publish.visibility import Viewer
from ceasefire.reporting import parse_day
from ceasefire.vocab import DECIDED_STATUSES
from ceasefire.web.assets import missing

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

#: What the browser may load and where it may connect: this service, nothing else. MapLibre
#: draws with workers and canvases from blobs, and sets styles inline on its own elements.
CSP: Final = (
    "default-src 'self'; script-src 'self'; worker-src 'self' blob:; "
    "img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; connect-src 'self'; "
    "font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
#: Seconds a sign-in lasts in the browser at most (the token may expire sooner: then 401).
SESSION_S: Final = 12 * 3600


async def _who(request: Request, service: Service) -> tuple[Principal, str | None, bool]:
    """Who a page is for: the signed-in caller and their session token, or the public; and
    whether the request's cookie is stale (a disabled, rotated or expired token), so the page
    forgets it instead of sending it on with every call of its scripts. A bearer token reads
    pages too, but holds no session. The API decides what each may read (get_caller)."""
    if request.headers.get("authorization") is not None:
        try:
            return await get_caller(request, service), None, False
        except RequestError:
            return PUBLIC, None, False
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return PUBLIC, None, False
    found = await service.tokens.check(cookie)
    if found.principal is None:
        return PUBLIC, None, True
    return found.principal, cookie, False


def _page(
    request: Request,
    service: Service,
    template: str,
    who: tuple[Principal, str | None, bool],
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    caller, token, stale = who
    agreement = service.agreement
    response = templates.TemplateResponse(
        request,
        template,
        {
            "caller": caller,
            "signed_in": token is not None,
            "csrf": csrf_token(service, token) if token is not None else "",
            "csrf_header": CSRF_HEADER,
            "can": {action: may_act(caller, action) for action in ACTIONS},
            "agreement": agreement,
            "version": ceasefire.__version__,
            "missing": missing(),
            **context,
        },
        status_code=status_code,
    )
    if stale:
        response.delete_cookie(SESSION_COOKIE, path="/")
    _secure(response)
    return response


def _secure(response: Response) -> None:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    # same-origin, not no-referrer: under no-referrer a form posts "Origin: null", which
    # _same_origin could not tell from another site's.
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"


def _same_origin(request: Request) -> None:
    """A form posted from another site's page is refused (403): browsers say where a form
    came from in ``Origin`` (and ``Sec-Fetch-Site``); a client that sends neither is not a
    browser led by another site."""
    site = request.headers.get("sec-fetch-site")
    origin = request.headers.get("origin")
    # This service as the browser reached it: directly, or through the proxy of --base-url.
    service: Service = request.app.state.service
    base = urlsplit(service.base_url)
    ours = {
        f"{request.url.scheme}://{request.headers.get('host', '')}",
        f"{base.scheme}://{base.netloc}",
    }
    if (site is not None and site not in ("same-origin", "none")) or (
        origin is not None and origin not in ours
    ):
        raise CsrfRefused(
            "a sign-in or sign-out form from another site's page is refused",
            [Problem("header", "Origin", "not this service")],
        )


def _local(target: str | None, default: str = "/map") -> str:
    """``target`` if it is a path on this service (never another host: no open redirect)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


@router.get("/", response_model=None)
async def root(request: Request) -> Response:
    """A browser goes to the map; any other client gets what the API's root always said."""
    if "text/html" in request.headers.get("accept", ""):
        return RedirectResponse("/map", status_code=303)
    return JSON({"service": "ceasefire", "api": "/api/v1", "openapi": "/openapi.json"})


@router.get("/map", response_class=HTMLResponse)
async def map_page(request: Request, service: ServiceDep) -> HTMLResponse:
    who = await _who(request, service)
    # The live feed starts after the last entry logged now: what came before, the page's first
    # load reads (the stream would otherwise replay the whole log).
    logged = (await run_in_threadpool(service.store.ledger_state)).size
    start, end = await run_in_threadpool(_last_night, service, who[0])
    return _page(
        request, service, "map.html", who, page="map", since=logged - 1,
        night=(start.isoformat(), end.isoformat()),
    )  # fmt: skip


def _last_night(service: Service, caller: Principal) -> tuple[datetime, datetime]:
    """The window the map opens on (:meth:`ReportingDay.first_shown`), from the newest
    observation the caller may see: any incident's for the mission, a released one's for the
    public, its own newest report's for a party (bounding its incidents would mean viewing them
    all). Computed here, the page needs no request before it asks for the incidents."""
    store = service.store
    if caller.sees_all:
        newest = store.latest_start("incidents")
    elif reads_released_only(caller):
        views = Viewer(caller, store).released_incidents()
        newest = max((datetime.fromisoformat(v["observed_from"]) for v in views), default=None)
    else:
        newest = store.latest_start("reports", submitted_by=report_scope(caller))
    return service.agreement.reporting.first_shown(newest, datetime.now(UTC))


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
async def incident_page(request: Request, service: ServiceDep, incident_id: str) -> HTMLResponse:
    who = await _who(request, service)
    # The decision form offers the library's own words (a free text would be refused).
    return _page(
        request, service, "incident.html", who, page="incident", incident_id=incident_id,
        statuses=DECIDED_STATUSES, perpetrator_bases=PERPETRATOR_BASES,
        parties=sorted(service.agreement.parties),
    )  # fmt: skip


@router.get("/hotline", response_class=HTMLResponse, response_model=None)
async def hotline_page(request: Request, service: ServiceDep) -> Response:
    who = await _who(request, service)
    if not may_act(who[0], "use_hotline"):
        return RedirectResponse(f"/signin?next={quote('/hotline')}", status_code=303)
    return _page(request, service, "hotline.html", who, page="hotline")


@router.get("/extract", response_class=HTMLResponse, response_model=None)
async def extract_page(request: Request, service: ServiceDep) -> Response:
    """The review step of extraction: paste a text, read what it proposes with the words of
    every figure marked in it, tick the events to accept and store them (the mission's)."""
    who = await _who(request, service)
    if not may_act(who[0], "extract"):
        return RedirectResponse(f"/signin?next={quote('/extract')}", status_code=303)
    return _page(request, service, "extract.html", who, page="extract")


@dataclass(frozen=True)
class Night:
    """A reporting day named by the local date it starts on (``key``, as in ``?night=``)."""

    key: str
    label: str
    start: datetime
    end: datetime


#: Reporting days one tally is listed under at most (a window of weeks is a data error, not
#: weeks of nights to pick from).
_NIGHTS_PER_TALLY: Final = 3


@router.get("/tallies", response_class=HTMLResponse, response_model=None)
async def tallies_page(request: Request, service: ServiceDep, night: str | None = None) -> Response:
    """The accounts of a night side by side and a chart of nights. ``night`` is a local date
    (the reporting day starting on it) or any instant (the reporting day holding it: the map
    links its window's start); by default the latest night that has tallies."""
    who = await _who(request, service)
    if not may_act(who[0], "read_tallies"):
        target = "/tallies" + (f"?night={quote(night)}" if night else "")
        return RedirectResponse(f"/signin?next={quote(target)}", status_code=303)
    nights, accounts = await run_in_threadpool(_tally_nights, service, who[0])
    chosen, error = _chosen_night(service, night, nights)
    if chosen.key not in {n.key for n in nights}:
        nights = sorted([*nights, chosen], key=lambda n: n.key, reverse=True)
    return _page(
        request, service, "tallies.html", who, page="tallies", nights=nights, night=chosen,
        accounts=accounts, error=error,
    )  # fmt: skip


def _night(service: Service, day: date) -> Night:
    start, end = service.agreement.reporting.starting(day)
    following = day + timedelta(days=1)
    first = f"{day.day}" if day.month == following.month else f"{day.day} {day:%b}"
    return Night(day.isoformat(), f"{first}–{following.day} {following:%b %Y}", start, end)


def _tally_nights(
    service: Service, caller: Principal
) -> tuple[list[Night], list[tuple[str, str, int]]]:
    """The nights the caller's current tallies overlap, newest first; and whose accounts of
    whose attacks there are, (issuer, attacker, national tallies), most first: the chart's
    choices."""
    reporting = service.agreement.reporting
    days: set[date] = set()
    accounts: Counter[tuple[str, str]] = Counter()
    for stored in service.store.tallies(by=caller, current_only=True):
        t = stored.tally
        day = reporting.night_of(t.window_from)
        for _ in range(_NIGHTS_PER_TALLY):
            days.add(day)
            day += timedelta(days=1)
            if reporting.starting(day)[0] >= t.window_to:
                break
        if t.scope == "national":
            accounts[(t.issuer, t.attacker)] += 1
    nights = [_night(service, d) for d in sorted(days, reverse=True)]
    ranked = sorted(accounts.items(), key=lambda kv: (-kv[1], kv[0]))
    return nights, [(issuer, attacker, n) for (issuer, attacker), n in ranked]


def _chosen_night(
    service: Service, asked: str | None, nights: list[Night]
) -> tuple[Night, str | None]:
    """The night ``?night=`` names, else the latest with tallies, else last night; and what
    was wrong with ``asked`` if it named none."""
    reporting = service.agreement.reporting
    if asked:
        try:
            if len(asked) == 10:
                return _night(service, date.fromisoformat(asked)), None
            at = datetime.fromisoformat(asked.replace("Z", "+00:00"))
            if at.tzinfo is not None:
                return _night(service, reporting.night_of(at)), None
        except ValueError:
            pass
    error = None if not asked else f"{asked!r} is not a night: a date (YYYY-MM-DD) or a time"
    if nights:
        return nights[0], error
    start, _ = reporting.ended_by(datetime.now(UTC))
    return _night(service, reporting.night_of(start)), error


@router.get("/report", response_class=HTMLResponse)
async def report_page(
    request: Request, service: ServiceDep, date: str | None = None, tier: str | None = None
) -> HTMLResponse:
    """The daily report of ``date`` (the day ending at that date's cutoff) in ``tier``, as the
    API builds it: shown in a sandboxed frame, with the PDF, the JSON and the signed note a
    click away. Which tiers the caller may read is the access policy's; by default its own, of
    the last day the caller has something to read (as the map opens)."""
    who = await _who(request, service)
    caller = who[0]
    reporting = service.agreement.reporting
    error = None
    try:
        day = parse_day(date) if date else None
        chosen = report_tier(caller, tier or None)
    except (InputError, ForbiddenError) as refused:
        error, day, chosen = str(refused), None, report_tier(caller)
    if day is None:
        _, end = await run_in_threadpool(_last_night, service, caller)
        day = reporting.local_date(end)
    start, end = reporting.starting(day - timedelta(days=1))
    query = f"date={day.isoformat()}&tier={quote(chosen)}"
    return _page(
        request, service, "report.html", who, page="report", day=day, tier=chosen,
        tiers=report_tiers(caller, list(service.agreement.parties)), error=error,
        start=start, end=end, query=query,
    )  # fmt: skip


@router.get("/signin", response_class=HTMLResponse)
async def signin_page(request: Request, service: ServiceDep, next: str = "/map") -> HTMLResponse:
    who = await _who(request, service)
    return _page(request, service, "signin.html", who, page="signin", next=_local(next))


#: The largest sign-in or sign-out form read (a token and a path).
_FORM_BYTES: Final = 4096


async def _form(request: Request) -> dict[str, str]:
    """A small URL-encoded form (the only kind these pages post), first value of each field."""
    raw = await read_body(request, _FORM_BYTES, "form")
    try:
        fields = parse_qs(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=10)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {k: v[0] for k, v in fields.items()}


@router.post("/signin", response_model=None)
async def signin(request: Request, service: ServiceDep) -> Response:
    """Check the token as the API would, then keep it in the session cookie. Bad tokens count
    against the client's address as on the API (too many: 429 for a while), and only a form
    from this service's own page is taken (no other site signs a person in as someone else)."""
    _same_origin(request)
    form = await _form(request)
    token, next = form.get("token", "").strip(), form.get("next", "/map")
    bad = service.tokens.bad
    client = client_key(request.client.host if request.client else None)
    wait = bad.retry_after(client)
    if wait is not None:
        raise TooManyRequests(
            f"too many bad tokens from this address; try again in {wait} s", retry_after=wait
        )
    found = await service.tokens.check(token) if token else None
    if found is None or found.principal is None:
        if token:
            bad.failed(client)
        reason = (
            "enter your token"
            if not token
            else "this token is not valid (unknown, disabled or expired)"
        )
        return _page(
            request, service, "signin.html", (PUBLIC, None, False), status_code=401,
            page="signin", next=_local(next), error=reason,
        )  # fmt: skip
    response = RedirectResponse(_local(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_S,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    _secure(response)
    return response


@router.post("/signout", response_model=None)
async def signout(request: Request, service: ServiceDep) -> Response:
    """Forget the session (the form carries the page's token: no other site signs one out)."""
    _same_origin(request)
    csrf = (await _form(request)).get("csrf", "")
    token = request.cookies.get(SESSION_COOKIE)
    response = RedirectResponse("/map", status_code=303)
    # The form token is made from the session's own token: only its page knows it.
    if token and hmac.compare_digest(csrf, csrf_token(service, token)):
        response.delete_cookie(SESSION_COOKIE, path="/")
    _secure(response)
    return response


@router.get("/web/agreement.geojson")
async def agreement_geojson(service: ServiceDep) -> Response:
    """The agreement's lines, zones, areas and nearby settlements (public: it is the
    agreement), computed once per service."""
    body = await run_in_threadpool(_layers, service)
    return Response(
        body, media_type="application/geo+json", headers={"Cache-Control": "max-age=300"}
    )


#: The agreement layers, by agreement (id, version): made once, ~0.4 s for the demo.
_LAYERS: dict[tuple[str, int], bytes] = {}


def _layers(service: Service) -> bytes:
    a = service.agreement
    key = (a.id, a.version)
    if key not in _LAYERS:
        data = agreement_layers(a, load_gazetteer())
        _LAYERS[key] = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    return _LAYERS[key]
