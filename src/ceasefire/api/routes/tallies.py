"""Strike tallies: each side's count of an air attack, entered, listed and reconciled.

``POST /tallies`` stores one tally (a JSON object) or several (an array), all or nothing: a
party enters its own account only, the mission its own and a party's published bulletin
(:func:`ceasefire.publish.access.tally_refusal`). ``GET /tallies`` lists the tallies of a window,
``GET /tallies/{issuer}/{id}`` gives one with its flags and rates, ``GET /tallies/reconcile`` sets
each attack's accounts side by side and against the mission's strikes the caller may see, and
``GET /tallies/series`` the rates night by night. Every role but the public reads tallies.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool

from ceasefire.api.body import media_type, parse_json, read_body
from ceasefire.api.deps import JSON, Caller, Service, ServiceDep
from ceasefire.api.errors import ErrorResponse
from ceasefire.api.routes.read import Since, Until
from ceasefire.errors import InputError, Problem
from ceasefire.publish.access import Principal, require
from ceasefire.query import parse_time
from ceasefire.store.tallies import StoredTally
from ceasefire.tallies.checks import check
from ceasefire.tallies.model import read_tally
from ceasefire.tallies.rates import rates, series
from ceasefire.tallying import reconcile_window

router = APIRouter(tags=["tallies"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": text}
    for status, text in (
        (400, "The body is not UTF-8 or not JSON (malformed_body)."),
        (403, "The caller may not enter tallies, or a party enters another's (forbidden)."),
        (409, "A tally id is stored with other content, or a version is superseded already."),
        (413, "The body is over the size limit (too_large)."),
        (415, "The Content-Type is not application/json (unsupported_media_type)."),
        (422, "A tally is not valid; problems name the item and field (invalid_input)."),
    )
}
_READ_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorResponse, "description": "The public does not read tallies."},
    422: {"model": ErrorResponse, "description": "A bad filter; problems name it."},
}
Issuer = Annotated[str | None, Query(description="Only tallies of this issuer.")]
Attacker = Annotated[str | None, Query(description="Only tallies counting this party's weapons.")]


async def _tallies(
    service: Service, caller: Principal, since: str | None, until: str | None,
    issuer: str | None, attacker: str | None, current_only: bool,
) -> list[StoredTally]:  # fmt: skip
    """The tallies of the window the caller asked for (the store checks it may read them)."""
    return await run_in_threadpool(
        service.store.tallies,
        by=caller,
        issuer=issuer,
        attacker=attacker,
        start=parse_time(since, "since"),
        end=parse_time(until, "until"),
        current_only=current_only,
    )


@router.post("/tallies", summary="Enter strike tallies", status_code=201, responses=_ERRORS)
async def add_tallies(request: Request, service: ServiceDep, caller: Caller) -> Any:
    """Store one tally (a JSON object) or several (an array), all or nothing. 201 when one
    was new, 200 when every one was stored before; each new tally's flags come back (numbers
    that do not add up are flagged, never refused)."""
    require(caller, "submit_tally")
    media_type(request, ("application/json",))
    data = parse_json(await read_body(request, service.limits.body_bytes, "tallies"))
    items = data if isinstance(data, list) else [data]
    if not items:
        raise InputError(Problem("body", "", "must be a tally or a non-empty array of tallies"))
    single = not isinstance(data, list)
    tallies = [read_tally(d, where="body" if single else f"body[{i}]") for i, d in enumerate(items)]
    parties = service.engine.agreement.party_codes
    added = await run_in_threadpool(service.store.add_tallies, tallies, by=caller, parties=parties)
    flags = {t.id: [f.to_dict() for f in check(t)] for t in tallies if t.id in set(added.stored)}
    body = {"stored": list(added.stored), "unchanged": list(added.unchanged), "flags": flags}
    return JSON(body, status_code=201 if added.stored else 200)


@router.get("/tallies", summary="Strike tallies of a window", responses=_READ_ERRORS)
async def list_tallies(
    service: ServiceDep,
    caller: Caller,
    since: Since = None,
    until: Until = None,
    issuer: Issuer = None,
    attacker: Attacker = None,
    versions: Annotated[
        bool, Query(alias="all", description="Also the versions a later tally superseded.")
    ] = False,
) -> dict[str, Any]:
    """Tallies whose window overlaps ``[since, until)``, by window then issuer, each with who
    entered it, the version that replaced it and its flags."""
    rows = await _tallies(service, caller, since, until, issuer, attacker, not versions)
    return {"items": [r.to_dict() for r in rows]}


@router.get(
    "/tallies/reconcile", summary="Each attack's accounts side by side", responses=_READ_ERRORS
)
async def reconcile(
    service: ServiceDep, caller: Caller, since: Since = None, until: Until = None
) -> dict[str, Any]:
    """The attacks whose tallies overlap ``[since, until)``: each issuer's account, the
    differences between them with their size, and the mission's strike incidents by oblast
    (those the caller may read) against each account's regions and locations hit."""
    start, end = parse_time(since, "since"), parse_time(until, "until")
    require(caller, "read_tallies")
    attacks = await run_in_threadpool(reconcile_window, service.store, caller, start, end)
    return {"items": [a.to_dict() for a in attacks]}


@router.get("/tallies/series", summary="Rates night by night", responses=_READ_ERRORS)
async def rate_series(
    service: ServiceDep,
    caller: Caller,
    since: Since = None,
    until: Until = None,
    issuer: Issuer = None,
    attacker: Attacker = None,
) -> dict[str, Any]:
    """Per current tally, in window order: launched and destroyed per family and the
    interception, hit and not-stopped rates (intervals), for a chart of nights (one issuer's
    account of one attacker's nights)."""
    rows = await _tallies(service, caller, since, until, issuer, attacker, True)
    return {"items": series(r.tally for r in rows)}


@router.get("/tallies/{issuer}/{tally_id:path}", summary="One tally", responses=_READ_ERRORS)
async def get_tally(
    service: ServiceDep,
    caller: Caller,
    issuer: Annotated[str, Path(description="The issuer: a party code or mission.")],
    tally_id: Annotated[str, Path(description="The tally's id, as its issuer gave it.")],
) -> dict[str, Any]:
    """One tally version with who entered it, its flags and its rates."""
    stored = await run_in_threadpool(service.store.tally, issuer, tally_id, by=caller)
    body = stored.to_dict()
    body["rates"] = {
        f: {k: (v.to_json() if v else None) for k, v in r.items()}
        for f, r in rates(stored.tally).items()
    }
    return body
