"""What the mission could see: sensor status, patrols and restrictions in; coverage out.

``POST /coverage`` stores one record (a JSON object with its ``kind``) or several (an array),
all or nothing. ``GET /coverage?start=&end=&by=oblast|cell`` gives the share of the window some
working sensor or patrol saw: per oblast with the sensors down and the restrictions (the daily
report's section), or per H3 cell as GeoJSON. Only the mission writes; the mission and the
mediator read (a party never sees a sensor's position or a patrol's route): the access policy's
``submit_coverage`` and ``read_coverage``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool

from ceasefire.api.body import media_type, parse_json, read_body
from ceasefire.api.deps import JSON, Caller, ServiceDep
from ceasefire.api.errors import ErrorResponse
from ceasefire.coverage.model import read_line, read_many
from ceasefire.covering import coverage_window
from ceasefire.errors import InputError, Problem
from ceasefire.publish.access import require
from ceasefire.query import parse_time

router = APIRouter(tags=["coverage"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": text}
    for status, text in (
        (400, "The body is not UTF-8 or not JSON (malformed_body)."),
        (403, "Only the mission enters coverage records (forbidden)."),
        (409, "A record id is stored with other content (conflict)."),
        (413, "The body is over the size limit (too_large)."),
        (415, "The Content-Type is not application/json (unsupported_media_type)."),
        (422, "A record is not valid; problems name the item and field (invalid_input)."),
    )
}
_READ_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorResponse, "description": "Only the mission and the mediator read it."},
    422: {"model": ErrorResponse, "description": "A bad window or 'by'; problems name it."},
}


@router.post("/coverage", summary="Enter sensor status, patrols, restrictions", status_code=201,
             responses=_ERRORS)  # fmt: skip
async def add_coverage(request: Request, service: ServiceDep, caller: Caller) -> Any:
    """Store one record (a JSON object with its ``kind``: ``sensor_status``, ``patrol`` or
    ``restriction``) or several (an array), all or nothing. 201 when one was new, 200 when
    every one was stored before."""
    require(caller, "submit_coverage")
    media_type(request, ("application/json",))
    data = parse_json(await read_body(request, service.limits.body_bytes, "coverage"))
    if isinstance(data, list):
        if not data:
            raise InputError(Problem("body", "", "must be a record or a non-empty array"))
        records = read_many(data, "body")
    else:
        records = [read_line(data, "body")]
    parties = service.engine.agreement.party_codes
    added = await run_in_threadpool(service.store.add_coverage, records, by=caller, parties=parties)
    body = {"stored": list(added.stored), "unchanged": list(added.unchanged)}
    return JSON(body, status_code=201 if added.stored else 200)


@router.get("/coverage", summary="What the mission could see in a window", responses=_READ_ERRORS)
async def get_coverage(
    service: ServiceDep,
    caller: Caller,
    start: Annotated[
        str | None, Query(description="Window start, ISO 8601 with an offset.")
    ] = None,
    end: Annotated[str | None, Query(description="Window end (excluded), ISO 8601.")] = None,
    by: Annotated[str, Query(description="'oblast' (default) or 'cell' (GeoJSON).")] = "oblast",
) -> dict[str, Any]:
    """The share of ``[start, end)`` some working sensor or patrol saw: per oblast, with the
    sensors down or jammed and the restrictions of movement; or each H3 cell of the monitored
    area as a GeoJSON feature with its ``observed`` share."""
    require(caller, "read_coverage")
    s, e = parse_time(start, "start"), parse_time(end, "end")
    missing = [
        Problem("query", n, "is required") for n, v in (("start", s), ("end", e)) if v is None
    ]
    if missing:
        raise InputError(missing)
    assert s is not None and e is not None
    agreement = service.engine.agreement
    return await run_in_threadpool(coverage_window, service.store, caller, agreement, s, e, per=by)
