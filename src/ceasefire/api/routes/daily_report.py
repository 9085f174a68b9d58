"""The daily report: ``GET /reports/daily`` gives the caller's tier of a day's report, built
from the checkpoint taken at its cutoff, and ``GET /reports/daily/note`` its signed note.

Which tier a caller may read is the access policy's
(:func:`ceasefire.publish.access.report_tier`): the mission and the mediator any, a party its
own and the public's (403 for the mission's or the other party's), the public the public's.
The bytes are those ``ceasefire report daily`` writes (:mod:`ceasefire.reporting`); the note
is the one the mission signed over them, 404 until it is signed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse

from ceasefire.api.deps import Caller, ServiceDep
from ceasefire.api.errors import ERROR_JSON, ErrorResponse
from ceasefire.publish.access import report_tier
from ceasefire.reporting import Built, build_served, check_format, parse_day

router = APIRouter(tags=["reports"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report's bytes in the format asked for.",
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "text/html": {"schema": {"type": "string"}},
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
        },
    },
    403: {"model": ErrorResponse, "description": "The caller may not read that tier."},
    404: {"model": ErrorResponse, "description": "No checkpoint signed at or after the cutoff."},
    422: {"model": ErrorResponse, "description": "A bad date, tier, format or cutoff."},
}
#: The HTML report is a document of inline CSS and SVG and nothing else: it may load nothing,
#: run nothing, and be framed only by this service's own report page (web/pages.py).
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; "
    "base-uri 'none'; form-action 'none'; sandbox"
)
_MEDIA = {"json": "application/json", "html": "text/html; charset=utf-8", "pdf": "application/pdf"}

Day = Annotated[str, Query(description="The reporting day (YYYY-MM-DD), ending at its cutoff.")]
Tier = Annotated[
    str | None, Query(description="mission, party:<CODE> or public (default: the caller's).")
]
Format = Annotated[str, Query(description="json, html or pdf.")]
Cutoff = Annotated[str | None, Query(description="Local HH:MM the day ends at.")]


async def _built(
    service: ServiceDep, caller: Caller, date: str, tier: str | None, fmt: str, cutoff: str | None
) -> Built:
    day = parse_day(date)
    check_format(fmt)
    chosen = report_tier(caller, tier)
    return await run_in_threadpool(
        build_served,
        service.store,
        service.agreement,
        day=day,
        tier=chosen,
        fmt=fmt,
        cutoff=cutoff,
    )


@router.get("/reports/daily", summary="The daily report", responses=_ERRORS)
async def daily_report(
    service: ServiceDep,
    caller: Caller,
    date: Day,
    tier: Tier = None,
    format: Format = "json",
    cutoff: Cutoff = None,
) -> Response:
    """The day's report in the caller's tier (or one it may read), as ``ceasefire report
    daily`` builds it: ``X-Report-SHA256`` is the hash its note signs, ``X-Checkpoint-Size``
    the checkpoint it was built from."""
    built = await _built(service, caller, date, tier, format, cutoff)
    headers = {"X-Report-SHA256": built.sha256, "X-Checkpoint-Size": str(built.checkpoint.size)}
    if format == "html":
        headers["Content-Security-Policy"] = REPORT_CSP
    return Response(built.body, media_type=_MEDIA[format], headers=headers)


#: The note is text; its errors are the one JSON error shape, said so for each status (a
#: route answering text documents its ``model`` responses as text otherwise).
_NOTE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The signed note with the cosignature lines.",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    },
    403: {"description": "The caller may not read that tier.", "content": ERROR_JSON},
    404: {
        "description": "No checkpoint signed at or after the cutoff, or not signed yet.",
        "content": ERROR_JSON,
    },
    422: {"description": "A bad date, tier, format or cutoff.", "content": ERROR_JSON},
    "default": {"description": "Any error: the one error shape.", "content": ERROR_JSON},
}


@router.get(
    "/reports/daily/note",
    summary="The daily report's signed note",
    response_class=PlainTextResponse,
    responses=_NOTE_RESPONSES,
)
async def daily_report_note(
    service: ServiceDep,
    caller: Caller,
    date: Day,
    tier: Tier = None,
    format: Format = "json",
    cutoff: Cutoff = None,
) -> Response:
    """The signed note (with the parties' cosignatures) of the report ``GET /reports/daily``
    gives for the same query; 404 until the mission has signed it."""
    built = await _built(service, caller, date, tier, format, cutoff)
    held = await run_in_threadpool(service.store.report_note, built.sha256)
    return Response(held.text, media_type="text/plain; charset=utf-8")
