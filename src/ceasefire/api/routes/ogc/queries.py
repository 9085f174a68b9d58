"""Each collection's page of features: the store read, the caller's view and the keyset paging
(``after`` = the last feature id shown), so ``limit``, ``next`` and ``numberReturned`` count
what the caller sees."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Final

from ceasefire.api.deps import Service
from ceasefire.api.routes.read import stored_report
from ceasefire.api.visibility import keyset, listed_page, visible_page
from ceasefire.errors import NotFoundError
from ceasefire.publish.access import may_read_report, report_scope
from ceasefire.publish.views import place_slack
from ceasefire.publish.visibility import Viewer
from ceasefire.records import StoredIncident, StoredReport, StoredViolation
from ceasefire.store.incidents import COLUMN_FIELDS
from ceasefire.store.schema import BBox

#: What a collection query answers: the page's views, whether more follow, and numberMatched
#: (None: not given, as it would not be exact and cheap).
Found = tuple[list[dict[str, Any]], bool, int | None]
#: A collection's query: (service, viewer, since, until, bbox, limit, after) -> its page.
Query = Callable[
    [Service, Viewer, datetime | None, datetime | None, BBox | None, int, str | None], Found
]


def reports(
    service: Service, viewer: Viewer, since: datetime | None, until: datetime | None,
    bbox: BBox | None, limit: int, after: str | None,
) -> Found:  # fmt: skip
    store = service.store
    caller = viewer.caller
    # A party's reports are filtered in the query (its code as submitted_by), as in
    # GET /api/v1/reports: every row read is one it may see, so one read of limit + 1 rows
    # pages it exactly, and the count in the query is its count.
    scope = report_scope(caller)
    mine = None if scope is None else [scope]
    if mine is not None and after is not None:  # another's cursor: 404, as a missing one
        after = stored_report(service, after, caller).report.id

    def read(cursor: str | None, n: int) -> list[StoredReport]:
        return store.list_stored(
            since=since, until=until, bbox=bbox, submitted_by=mine, limit=n, after=cursor
        )

    fetch = keyset(read, lambda r: r.report.id, after)
    page, more = listed_page(True, fetch, viewer.reports, 0, limit)
    # The policy still has the last word on each row (none is dropped while the filter holds).
    page = [r for r in page if may_read_report(caller, r)]
    matched = store.count_reports(since=since, until=until, bbox=bbox, submitted_by=mine)
    return page, more, matched


def incidents(
    service: Service, viewer: Viewer, since: datetime | None, until: datetime | None,
    bbox: BBox | None, limit: int, after: str | None,
) -> Found:  # fmt: skip
    store = service.store
    if viewer.sees_all:
        counted: list[int | None] = []

        def read_all(cursor: str | None, n: int) -> list[StoredIncident]:
            rows, matched = store.page_incidents(
                since=since, until=until, bbox=bbox, limit=n, after=cursor
            )
            counted.append(matched)
            return rows

        fetch = keyset(read_all, lambda s: s.incident_id, after)
        page, more = listed_page(True, fetch, viewer.incidents, 0, limit)
        return page, more, counted[0]
    if after is not None:
        _visible_cursor(viewer, after)
    # The store's box is widened by how far a shown place may lie from the stored one, and
    # the caller's box is tested against the shown places (a coarsened one for the public).
    wide = None if bbox is None else widen(bbox, place_slack(viewer.caller))

    def read(cursor: str | None, n: int) -> list[StoredIncident]:
        # No count: the store's would include what this caller may not see.
        return store.page_incidents(
            since=since, until=until, bbox=wide, limit=n, after=cursor, count=False
        )[0]

    def view(rows: Sequence[StoredIncident]) -> list[dict[str, Any] | None]:
        return [
            v if v is not None and (bbox is None or inside(v, bbox)) else None
            for v in viewer.incidents(rows)
        ]

    # A keyset scan starts where the page starts, so a chunk need not be the fixed scan step
    # (an offset scan rereads from the start, and wants large steps): a few times the page
    # keeps a small page from viewing hundreds of rows it will not show.
    fetch = keyset(read, lambda s: s.incident_id, after)
    page, more = listed_page(False, fetch, view, 0, limit, chunk=4 * (limit + 1))
    return page, more, None


#: Properties a listing for the mission can take from the store's columns (the map's).
COLUMN_PROPERTIES: Final = frozenset(("id", *COLUMN_FIELDS))


def incident_fields(
    service: Service, since: datetime | None, until: datetime | None,
    bbox: BBox | None, limit: int, after: str | None,
) -> Found:  # fmt: skip
    """:func:`incidents` for a caller who sees every incident whole (its view is the stored
    one) and asks only for :data:`COLUMN_PROPERTIES`: read from their columns, no body parsed
    (about a quarter of the time for the map's 10,000)."""
    rows, matched = service.store.page_incident_fields(
        since=since, until=until, bbox=bbox, limit=limit + 1, after=after
    )
    return list(rows[:limit]), len(rows) > limit, matched


def _visible_cursor(viewer: Viewer, after: str) -> None:
    """NotFoundError for a cursor naming an incident the caller may not see, with the message
    the store gives for one that does not exist (whether it exists must not show)."""
    if viewer.visible_incident(after) is None:
        raise NotFoundError(f"no stored incident with id {after!r} to page after")


def widen(box: BBox, by: float) -> BBox:
    x0, y0, x1, y1 = box
    return max(x0 - by, -180.0), max(y0 - by, -90.0), min(x1 + by, 180.0), min(y1 + by, 90.0)


def inside(view: dict[str, Any], box: BBox) -> bool:
    """Whether the place shown lies in the box (edges included, as the store's box)."""
    lon, lat = float(view["lon"]), float(view["lat"])
    return box[0] <= lon <= box[2] and box[1] <= lat <= box[3]


def violations(
    service: Service, viewer: Viewer, since: datetime | None, until: datetime | None,
    bbox: BBox | None, limit: int, after: str | None,
) -> Found:  # fmt: skip
    """Current violations, each with its incident as the caller sees it (``Viewer.violation_rows``:
    those of incidents it may read, the place coarsened where it is shown so), by number."""
    store = service.store
    cursor = None if after is None else _violation_cursor(viewer, after)
    sees_all = viewer.sees_all
    # As for incidents: the store's box widened by how far a shown place may lie from the
    # stored one, the caller's box tested against the place shown.
    wide = bbox if sees_all or bbox is None else widen(bbox, place_slack(viewer.caller))
    counted: list[int | None] = []

    def read(key: str | None, n: int) -> list[StoredViolation]:
        rows, matched = store.page_violations(
            since=since,
            until=until,
            bbox=wide,
            limit=n,
            after=None if key is None else int(key),
            count=sees_all and not counted,  # exact only for a caller who sees every row
        )
        counted.append(matched)
        return rows

    def view(rows: Sequence[StoredViolation]) -> list[dict[str, Any] | None]:
        return [
            v if v is not None and (bbox is None or inside(v["incident"], bbox)) else None
            for v in viewer.violation_rows(rows)
        ]

    fetch = keyset(read, lambda v: str(v.seq), None if cursor is None else str(cursor))
    page, more = visible_page(fetch, view, 0, limit, chunk=limit + 1 if sees_all else None)
    return page, more, counted[0] if sees_all else None


def _violation_cursor(viewer: Viewer, after: str) -> int:
    """The number of the violation a cursor names; NotFoundError, in the same words, for one
    that is not a number, not stored, or not one the caller may see (superseded meanwhile, it
    still marks where the walk was)."""
    found = _seen_violation(viewer, after, current=False)
    if found is None:
        raise NotFoundError(f"no stored violation with id {after!r} to page after")
    return int(found["seq"])


def violation(viewer: Viewer, feature_id: str) -> dict[str, Any]:
    """The current violation of this number with its incident, as the caller sees it;
    NotFoundError, in the same words, for one missing, superseded or hidden."""
    found = _seen_violation(viewer, feature_id, current=True)
    if found is None:
        raise NotFoundError(f"no violation with id {feature_id!r}")
    return found


def _seen_violation(viewer: Viewer, name: str, *, current: bool) -> dict[str, Any] | None:
    seq = int(name) if name.isascii() and name.isdigit() and len(name) < 19 else None
    if seq is None:
        return None
    found = viewer.store.violations_by_seq([seq]).get(seq)
    if found is None or (current and found.superseded_at is not None):
        return None
    return viewer.violation_rows([found])[0]
