"""Reading: reports, incidents, violations and agreements, filtered and paged.

Reports page by key (``after`` = the last id of the page before): a walk sees every report
once, in observation order, however many arrive meanwhile. Incidents and violations page by
position (``offset``), as fusion may move an incident's fused time between two pages. Every
page gives the link to the next one in ``next`` and in a ``Link: <...>; rel="next"`` header;
the last page has ``next: null``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from ceasefire.api.deps import JSON, Caller, Service, ServiceDep
from ceasefire.api.errors import ErrorResponse
from ceasefire.api.visibility import listed_page
from ceasefire.errors import InputError, NotFoundError, Problem
from ceasefire.publish.access import (
    Principal,
    may_read_report,
    report_ids,
    report_scope,
    require,
)
from ceasefire.publish.visibility import Viewer
from ceasefire.query import parse_bbox, parse_time
from ceasefire.records import StoredReport

router = APIRouter(tags=["read"])

#: The most rows one page may ask for.
MAX_PAGE = 10_000
#: The largest integer a store column holds (64-bit signed): a larger offset, size or version
#: in a query is 422, not an overflow in the database driver.
MAX_INT = 2**63 - 1
#: Rows of a page when ``limit`` is not given.
DEFAULT_PAGE = 100

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No such record, or none you may read."}
}
_NO_PUBLIC: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorResponse, "description": "The public reads incidents, not reports."}
}
_BAD_QUERY: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorResponse, "description": "A bad filter; problems name it."}
}

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Rows per page.")]
Offset = Annotated[int, Query(ge=0, le=MAX_INT, description="Rows to skip.")]
Since = Annotated[
    str | None,
    Query(description="ISO 8601 with offset: keep what was observed at or after this time."),
]
Until = Annotated[
    str | None, Query(description="ISO 8601 with offset: keep what was observed before it.")
]
Many = Annotated[list[str] | None, Query(description="Repeat for any of several values.")]


class Page(BaseModel):
    """One page of a list; ``next`` is the link to the following page (null on the last)."""

    items: list[dict[str, Any]]
    next: str | None = Field(description="The next page, or null on the last one.")


def _page(request: Request, rows: list[dict[str, Any]], more: bool, **params: Any) -> JSON:
    nxt = None
    headers = {}
    if more:
        url = request.url.include_query_params(**params)
        nxt = f"{url.path}?{url.query}"
        headers["Link"] = f'<{nxt}>; rel="next"'
    return JSON({"items": rows, "next": nxt}, headers=headers)


def _reports_readable(caller: Principal) -> None:
    """Reports are read by the mission and by parties (their own); the public reads incidents."""
    require(caller, "read_reports", instead="read /incidents")


def stored_report(
    service: Service, report_id: str, caller: Principal | None = None
) -> StoredReport:
    """One stored report with its point and placement facts. Raises NotFoundError, also for a
    report the caller may not read (the same answer as for a missing one)."""
    # One read (a single transaction): the report with its stored point and placement facts,
    # under each id the caller may mean by it (a party's own are stored as ``UA:<id>``).
    names = report_ids(caller, report_id) if caller is not None else (report_id,)
    stored = service.store.get_stored(list(names))
    for name in names:
        found = stored.get(name)
        if found is not None and (caller is None or may_read_report(caller, found.report)):
            return found
    raise NotFoundError(f"no stored report with id {report_id!r}")
    return found


@router.get(
    "/reports",
    summary="List reports",
    response_model=Page,
    responses=_NOT_FOUND | _BAD_QUERY | _NO_PUBLIC,
)
def list_reports(
    request: Request,
    service: ServiceDep,
    caller: Caller,
    since: Since = None,
    until: Until = None,
    bbox: Annotated[
        str | None, Query(description="min_lon,min_lat,max_lon,max_lat: the point lies inside.")
    ] = None,
    event_type: Many = None,
    source_kind: Many = None,
    submitted_by: Many = None,
    limit: Limit = DEFAULT_PAGE,
    after: Annotated[
        str | None, Query(description="The cursor: the last report id of the page before.")
    ] = None,
) -> JSON:
    """Stored reports in observation order (then arrival), each with its point and placement
    facts. ``since``/``until`` keep reports whose window overlaps ``[since, until)``.

    A party reads its own submissions only (filtered in the query, so pages and cursors never
    count another's); the public reads none (403)."""
    _reports_readable(caller)
    scope = report_scope(caller)
    if scope is not None:
        if submitted_by is not None and scope not in submitted_by:
            return _page(request, [], False)
        submitted_by = [scope]
        if after is not None:  # someone else's cursor: 404 as if missing
            after = stored_report(service, after, caller).report.id
    rows = service.store.list_stored(
        since=parse_time(since, "since"),
        until=parse_time(until, "until"),
        bbox=parse_bbox(bbox),
        event_type=event_type,
        source_kind=source_kind,
        submitted_by=submitted_by,
        limit=limit + 1,
        after=after,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = rows[-1].report.id if rows else None
    return _page(request, [r.to_dict() for r in rows], more, after=cursor)


@router.get("/reports/{report_id:path}", summary="One report", responses=_NOT_FOUND | _NO_PUBLIC)
def get_report(
    service: ServiceDep, caller: Caller, report_id: Annotated[str, Path()]
) -> dict[str, Any]:
    """A stored report as submitted (unknown fields included), with its point and placement.
    A party reads its own only: any other is 404, as a missing one."""
    _reports_readable(caller)
    return stored_report(service, report_id, caller).to_dict()


@router.get("/incidents", summary="List incidents", response_model=Page, responses=_BAD_QUERY)
def list_incidents(
    request: Request,
    service: ServiceDep,
    caller: Caller,
    since: Since = None,
    until: Until = None,
    event_type: Many = None,
    status: Many = None,
    zone: Annotated[str | None, Query(description="A zone name, e.g. dmz.")] = None,
    side: Annotated[str | None, Query(description="Side of the line.")] = None,
    party: Annotated[
        str | None,
        Query(description="Incidents that concern a party: its side, its doing, or its violation."),
    ] = None,
    include_merged: Annotated[
        bool, Query(description="Also incidents merged into others.")
    ] = False,
    limit: Limit = DEFAULT_PAGE,
    offset: Offset = 0,
) -> JSON:
    """Fused incidents in order of observation, with their verification state, as the caller
    may see them (a party: those that concern it and the released ones; the public: released
    ones after the delay, coarsened). ``offset`` counts the incidents the caller sees."""
    store = service.store
    read = partial(
        store.list_incidents,
        since=parse_time(since, "since"),
        until=parse_time(until, "until"),
        event_type=event_type,
        status=status,
        zone=zone,
        side=side,
        party=party,
        include_merged=include_merged,
    )
    viewer = Viewer(caller, store)
    items, more = listed_page(
        viewer.sees_all,
        lambda at, n: read(limit=n, offset=at),
        viewer.incidents,
        offset,
        limit,
    )
    return _page(request, items, more, offset=offset + limit)


@router.get("/incidents/{incident_id}", summary="One incident, in full", responses=_NOT_FOUND)
def get_incident(service: ServiceDep, caller: Caller, incident_id: str) -> dict[str, Any]:
    """The incident, its member reports, its status history and every violation judged of it
    (superseded ones too), read in one transaction; as the caller may see it (an incident it
    may not see is 404, as a missing one)."""
    record = service.store.incident_record(incident_id)
    seen = Viewer(caller, service.store).record(record)
    if seen is None:
        raise NotFoundError(f"no incident with id {incident_id!r}")
    return seen


@router.get("/violations", summary="List violations", response_model=Page, responses=_BAD_QUERY)
def list_violations(
    request: Request,
    service: ServiceDep,
    caller: Caller,
    incident_id: Annotated[str | None, Query(description="Of this incident.")] = None,
    rule: Many = None,
    party: Annotated[str | None, Query(description="Held against this party.")] = None,
    since: Since = None,
    until: Until = None,
    agreement_version: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
    include_superseded: Annotated[
        bool, Query(description="Also judgements replaced by later ones.")
    ] = False,
    limit: Limit = DEFAULT_PAGE,
    offset: Offset = 0,
) -> JSON:
    """Incidents judged to break a rule of the agreement, by the incident's time; for a party
    those of incidents it sees (against it, concerning it, or released), for the public those
    of released incidents. ``offset`` counts the violations the caller sees."""
    store = service.store
    read = partial(
        store.list_violations,
        incident_id=incident_id,
        rule=rule,
        party=party,
        since=parse_time(since, "since"),
        until=parse_time(until, "until"),
        agreement_version=agreement_version,
        include_superseded=include_superseded,
    )
    viewer = Viewer(caller, store)
    items, more = listed_page(
        viewer.sees_all,
        lambda at, n: read(limit=n, offset=at),
        viewer.violations,
        offset,
        limit,
    )
    return _page(request, items, more, offset=offset + limit)


@router.get("/harm", summary="Harm per oblast or reporting day", responses=_BAD_QUERY)
def get_harm(
    service: ServiceDep,
    caller: Caller,
    start: Annotated[
        str | None,
        Query(alias="from", description="ISO 8601 with offset: incidents observed from then."),
    ] = None,
    end: Annotated[
        str | None, Query(alias="to", description="ISO 8601 with offset: observed before it.")
    ] = None,
    by: Annotated[
        Literal["oblast", "day"],
        Query(description="Group by oblast, or by the agreement's reporting day."),
    ] = "oblast",
    status: Annotated[
        list[str] | None,
        Query(description="Only incidents of these statuses (e.g. verified); repeat for several."),
    ] = None,
) -> dict[str, Any]:
    """Casualties (low / best / high summed), incidents per infrastructure category hit and
    people affected (an interval) per oblast or reporting day, and in total, of the incidents
    the caller may see (a party: those that concern it and the released ones; the public: the
    released ones), of the statuses asked for (default: all but withdrawn and unfounded). The
    rules: docs/harm.md."""
    store = service.store
    since, until = parse_time(start, "from"), parse_time(end, "to")
    rows = store.list_incidents(since=since, until=until, status=status)
    return Viewer(caller, store).harm(rows, by=by, reporting=service.agreement.reporting)


@router.get("/agreements", summary="Agreement versions")
def list_agreements(service: ServiceDep) -> dict[str, Any]:
    """Every registered agreement version, and the one this service places reports against."""
    a = service.agreement
    return {
        "items": service.store.agreement_versions(),
        "placing_against": {"id": a.id, "version": a.version, "title": a.title},
    }


@router.get("/reporting-day", summary="The last reporting day that has ended")
def reporting_day(
    service: ServiceDep,
    at: Annotated[
        str | None, Query(description="ISO 8601 with offset; default now: the day ended by then.")
    ] = None,
) -> dict[str, Any]:
    """The last reporting day of the agreement this service places reports against that has
    ended by ``at``: from one daily cutoff to the next, in UTC (a day across a change of clocks
    lasts 23 or 25 hours), with the cutoff as the agreement states it. The map's default window,
    "last night", is this day. Public: it is the agreement's."""
    when = parse_time(at, "at") or datetime.now(UTC)
    day = service.agreement.reporting
    try:
        start, end = day.ended_by(when)
    except (OverflowError, ValueError):  # a day before year 1 or after 9999
        raise InputError(Problem("query", "at", "is out of range")) from None
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "hours": (end - start) / timedelta(hours=1),
        **day.describe(),
    }
