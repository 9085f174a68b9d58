"""OGC API - Features (Part 1: Core) over incidents and reports, for GDAL's OAPIF driver and QGIS.

Mounted at ``/api/v1/ogc``::

    /ogc                                          the landing page
    /ogc/conformance                              core, geojson, oas30
    /ogc/collections                              incidents, reports
    /ogc/collections/{collection_id}              one collection, with its extent
    /ogc/collections/{collection_id}/items        a GeoJSON FeatureCollection, filtered and paged
    /ogc/collections/{collection_id}/items/{id}   one GeoJSON Feature

``items`` takes ``bbox`` (``min_lon,min_lat,max_lon,max_lat`` in CRS84), ``datetime`` (an
instant, or an interval ``start/end`` with ``..`` or nothing for an open end: a feature is kept
when its observation window touches it), and ``limit`` (default 100, at most 10,000). Pages
follow by key: the ``next`` link carries ``after`` = the last feature id of the page, so a walk
sees every feature once however many arrive meanwhile. Properties are flat (QGIS shows one
column per property): an estimate ``{low, best, high}`` becomes ``name_low``, ``name_best``,
``name_high``; any other list or object is a JSON string. Incidents merged into others are not
listed (they are still found by id).

Access: the landing page and conformance are open; the collections serve every caller what the
rest of the API shows it (:mod:`ceasefire.publish.access`, applied by :mod:`ceasefire.api.visibility`):

- the mission (admin, monitor, mediator): every feature, as stored;
- a party: its own reports (filtered in the query, as ``GET /api/v1/reports``), and the
  incidents that concern it or are released, through the same views as
  ``GET /api/v1/incidents``;
- the public: no reports (403, as ``GET /api/v1/reports``; ``/collections`` lists only
  ``incidents``), and released incidents a day after they ended, at a coarsened place unless
  released in full.

Incidents are filtered by the view *before* paging (:func:`ceasefire.api.visibility.listed_page`
over a keyset read), so ``limit``, ``next`` and ``numberReturned`` count what the caller sees;
``bbox`` is tested against the place the caller is shown (a coarsened one for the public), so
small boxes cannot find a coarsened incident's true place. ``numberMatched`` is given when it
is exact and cheap, a count in the query: the mission's collections and a party's reports. For
a party's or the public's incidents it is left out (OGC makes it optional; GDAL then counts by
reading), as only a scan of every incident through the view could give it. A cursor (``after``)
or feature the caller may not see answers 404 exactly as a missing one. The extents describe
what the caller may see too (for a party's incidents: the whole world and an open interval,
which tell nothing, rather than a scan of every incident). GDAL sends a token with
``GDAL_HTTP_HEADERS="Authorization: Bearer <token>"``; without one it reads as the public.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Final

from fastapi import APIRouter, Query, Request

from ceasefire.api.deps import (
    API_PREFIX,
    JSON,
    Caller,
    Service,
    ServiceDep,
)
from ceasefire.api.errors import ERROR_JSON
from ceasefire.api.routes.read import DEFAULT_PAGE, MAX_PAGE, stored_report
from ceasefire.api.visibility import keyset, listed_page
from ceasefire.errors import InputError, NotFoundError, Problem
from ceasefire.publish.access import (
    Principal,
    may_act,
    may_read_report,
    reads_released_only,
    report_scope,
    require,
)
from ceasefire.publish.views import place_slack
from ceasefire.publish.visibility import Viewer
from ceasefire.query import parse_bbox, parse_time
from ceasefire.records import StoredIncident, StoredReport
from ceasefire.store.facade import Store
from ceasefire.store.incidents import COLUMN_FIELDS
from ceasefire.store.schema import BBox

router = APIRouter(prefix="/ogc", tags=["ogc"])

PREFIX = f"{API_PREFIX}/ogc"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
GEOJSON = "application/geo+json"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]

#: The collections: id -> (title, description).
COLLECTIONS: dict[str, tuple[str, str]] = {
    "incidents": (
        "Incidents",
        "Fused incidents at their fused place, with their verification state "
        "(incidents merged into others are left out).",
    ),
    "reports": ("Reports", "Stored reports at their point, with their placement facts."),
}

_GEO_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "The public asking for reports (forbidden).", "content": ERROR_JSON},
    404: {"description": "No such collection or feature (not_found).", "content": ERROR_JSON},
    422: {"description": "A bad bbox, datetime or limit; problems name it.", "content": ERROR_JSON},
    "default": {"description": "Any error: the one error shape.", "content": ERROR_JSON},
}


class GeoJSON(JSON):
    """GeoJSON answers (RFC 7946), rendered as the project's JSON."""

    media_type = GEOJSON


# -- helpers ---------------------------------------------------------------------------------


def _root(request: Request) -> str:
    """The service's base URL as configured (``ceasefire serve --base-url``), never one made
    from the request: its ``Host`` header is the caller's to write, and a link built from it
    would send the next reader (QGIS, GDAL, a browser) wherever a hostile caller chose."""
    root: str = request.app.state.service.base_url
    return root


def _base(request: Request) -> str:
    return f"{_root(request)}{PREFIX}"


def _this_page(request: Request, **params: Any) -> str:
    """The request's own path and query (with ``params`` set) under the configured base URL."""
    url = request.url.include_query_params(**params) if params else request.url
    return f"{_root(request)}{url.path}" + (f"?{url.query}" if url.query else "")


def _readable(caller: Principal, collection_id: str) -> None:
    """ForbiddenError (403, as ``GET /api/v1/reports`` answers it) for the public asking for
    reports; every caller reads incidents (its view of them)."""
    if collection_id == "reports":
        require(caller, "read_reports", instead="read the incidents collection")


def _listed(caller: Principal) -> list[str]:
    """The collections ``/collections`` offers this caller.

    The public is offered ``incidents`` only, rather than both with ``reports`` answering 403:
    GDAL's OAPIF driver makes every listed collection a layer, and ``ogrinfo -al`` (or QGIS
    adding all layers) then fails on the one whose items it may not read. Asked for by name,
    ``reports`` still answers 403, as ``GET /api/v1/reports`` does for the public."""
    return [cid for cid in COLLECTIONS if cid != "reports" or may_act(caller, "read_reports")]


def _collection_id(collection_id: str) -> str:
    if collection_id not in COLLECTIONS:
        raise NotFoundError(
            f"no collection {collection_id!r}; the collections are {', '.join(COLLECTIONS)}"
        )
    return collection_id


def _flat(d: dict[str, Any], keep: frozenset[str] | None = None) -> dict[str, Any]:
    """Flat properties: estimates split into ``_low``/``_best``/``_high``, other lists and
    objects as JSON text; only those named in ``keep`` when given (an estimate by its name)."""
    out: dict[str, Any] = {}
    for key, value in d.items():
        if keep is not None and key not in keep:
            continue
        if isinstance(value, dict) and value and set(value) <= {"low", "best", "high"}:
            for part in ("low", "best", "high"):
                out[f"{key}_{part}"] = value.get(part)
        elif isinstance(value, dict | list | tuple):
            out[key] = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
        elif isinstance(value, datetime):
            out[key] = value.isoformat()
        else:
            out[key] = value
    return out


def _feature(
    fid: str, lon: float, lat: float, properties: dict[str, Any], keep: frozenset[str] | None = None
) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": fid,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": _flat(properties, keep),
    }


def _view_feature(view: dict[str, Any], keep: frozenset[str] | None = None) -> dict[str, Any]:
    """A report or incident as the caller sees it (a coarsened incident at its coarse place)."""
    return _feature(view["id"], float(view["lon"]), float(view["lat"]), view, keep)


#: At most this many names in ``properties``.
MAX_PROPERTIES = 64


def _properties(value: str | None) -> frozenset[str] | None:
    """The ``properties`` a client asked for (OGC API - Features - Part 6, property selection):
    comma-separated names of the view (``count`` for ``count_low``, ``_best`` and ``_high``);
    None: all. A name the collection does not have is simply absent from the features."""
    if value is None:
        return None
    names = [n.strip() for n in value.split(",") if n.strip()]
    bad = [n for n in names if not (n.isascii() and n.replace("_", "").isalnum())]
    if bad or not names or len(names) > MAX_PROPERTIES:
        why = (
            f"{bad[0]!r} is not a property name (letters, digits and _)"
            if bad
            else f"must name 1 to {MAX_PROPERTIES} properties, comma-separated"
        )
        raise InputError(Problem("query", "properties", why))
    return frozenset(names)


def parse_datetime(value: str | None) -> tuple[datetime | None, datetime | None]:
    """OGC ``datetime``: an instant or ``start/end`` (``..`` or empty for an open end), as the
    closed interval ``(start, end)``; InputError naming ``datetime`` otherwise."""
    if value is None:
        return None, None
    parts = value.split("/")
    if len(parts) == 1:
        moment = parse_time(parts[0], "datetime")
        return moment, moment
    if len(parts) != 2 or all(p.strip() in ("", "..") for p in parts):
        raise InputError(
            Problem(
                "query",
                "datetime",
                f"must be an instant or start/end (.. for an open end), got {value!r}",
            )
        )
    start, end = (None if p.strip() in ("", "..") else parse_time(p, "datetime") for p in parts)
    if start is not None and end is not None and start > end:
        raise InputError(Problem("query", "datetime", f"starts after it ends: {value!r}"))
    return start, end


def _window(value: str | None) -> tuple[datetime | None, datetime | None]:
    """The store's ``since``/``until`` (``[since, until)``) for the closed ``datetime``."""
    start, end = parse_datetime(value)
    # The store keeps what starts before `until`; a feature starting at `end` touches it.
    return start, None if end is None else end + timedelta(microseconds=1)


def _extent(store: Store, viewer: Viewer, collection_id: str) -> dict[str, Any]:
    """The extent of what the caller may see of the collection (the extent of hidden rows
    would tell where and when they are)."""
    caller = viewer.caller
    if caller.sees_all or collection_id == "reports":  # reports: the mission's or a party's
        scope = None if collection_id == "incidents" else report_scope(caller)
        return _extent_of(*store.extent(collection_id, submitted_by=scope))
    if reads_released_only(caller):
        # The public sees released incidents only, at their shown (coarsened) places.
        views = viewer.released_incidents()
        if views:
            return _extent_of(
                min(float(v["lon"]) for v in views),
                min(float(v["lat"]) for v in views),
                max(float(v["lon"]) for v in views),
                max(float(v["lat"]) for v in views),
                min(v["observed_from"] for v in views),
                max(v["observed_to"] for v in views),
            )
    # A party's incidents: only a scan of every incident through its view would bound them;
    # the whole world and an open interval are true and tell nothing.
    return _extent_of(None, None, None, None, None, None)


def _extent_of(
    x0: float | None, y0: float | None, x1: float | None, y1: float | None,
    t0: Any, t1: Any,
) -> dict[str, Any]:  # fmt: skip
    bbox = [-180.0, -90.0, 180.0, 90.0] if x0 is None else [x0, y0, x1, y1]
    times = [None if t is None else _iso(t) for t in (t0, t1)]
    return {
        "spatial": {"bbox": [bbox], "crs": CRS84},
        "temporal": {"interval": [times], "trs": GREGORIAN},
    }


def _iso(value: Any) -> str:
    if isinstance(value, str):  # a database without a time type
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return str(value.astimezone(UTC).isoformat().replace("+00:00", "Z"))


def _collection(
    request: Request, store: Store, viewer: Viewer, collection_id: str
) -> dict[str, Any]:
    title, description = COLLECTIONS[collection_id]
    here = f"{_base(request)}/collections/{collection_id}"
    return {
        "id": collection_id,
        "title": title,
        "description": description,
        "itemType": "feature",
        "crs": [CRS84],
        "extent": _extent(store, viewer, collection_id),
        "links": [
            {"href": here, "rel": "self", "type": "application/json", "title": title},
            {"href": f"{here}/items", "rel": "items", "type": GEOJSON, "title": title},
        ],
    }


# -- the two collections' queries ------------------------------------------------------------


#: What a collection query answers: the page's views, whether more follow, and numberMatched
#: (None: not given, as it would not be exact and cheap).
Found = tuple[list[dict[str, Any]], bool, int | None]


def _reports(
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


def _incidents(
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
    wide = None if bbox is None else _widen(bbox, place_slack(viewer.caller))

    def read(cursor: str | None, n: int) -> list[StoredIncident]:
        # No count: the store's would include what this caller may not see.
        return store.page_incidents(
            since=since, until=until, bbox=wide, limit=n, after=cursor, count=False
        )[0]

    def view(rows: Sequence[StoredIncident]) -> list[dict[str, Any] | None]:
        return [
            v if v is not None and (bbox is None or _inside(v, bbox)) else None
            for v in viewer.incidents(rows)
        ]

    # A keyset scan starts where the page starts, so a chunk need not be the fixed scan step
    # (an offset scan rereads from the start, and wants large steps): a few times the page
    # keeps a small page from viewing hundreds of rows it will not show.
    fetch = keyset(read, lambda s: s.incident_id, after)
    page, more = listed_page(False, fetch, view, 0, limit, chunk=4 * (limit + 1))
    return page, more, None


#: Properties a listing for the mission can take from the store's columns (the map's).
_COLUMN_PROPERTIES: Final = frozenset(("id", *COLUMN_FIELDS))


def _incident_fields(
    service: Service, since: datetime | None, until: datetime | None,
    bbox: BBox | None, limit: int, after: str | None,
) -> Found:  # fmt: skip
    """:func:`_incidents` for a caller who sees every incident whole (its view is the stored
    one) and asks only for :data:`_COLUMN_PROPERTIES`: read from their columns, no body parsed
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


def _widen(box: BBox, by: float) -> BBox:
    x0, y0, x1, y1 = box
    return max(x0 - by, -180.0), max(y0 - by, -90.0), min(x1 + by, 180.0), min(y1 + by, 90.0)


def _inside(view: dict[str, Any], box: BBox) -> bool:
    """Whether the place shown lies in the box (edges included, as the store's box)."""
    lon, lat = float(view["lon"]), float(view["lat"])
    return box[0] <= lon <= box[2] and box[1] <= lat <= box[3]


# -- routes ----------------------------------------------------------------------------------


@router.get("", summary="OGC API - Features: the landing page")
def landing(request: Request) -> dict[str, Any]:
    """The landing page: where the API description, conformance and collections are."""
    base = _base(request)
    root = _root(request)
    return {
        "title": "ceasefire: incidents and reports",
        "description": "OGC API - Features over the ceasefire store (read only).",
        "links": [
            {"href": base, "rel": "self", "type": "application/json", "title": "This page"},
            {
                "href": f"{root}/openapi.json",
                "rel": "service-desc",
                "type": "application/vnd.oai.openapi+json;version=3.0",
                "title": "The API description",
            },
            {
                "href": f"{base}/conformance",
                "rel": "conformance",
                "type": "application/json",
                "title": "Conformance classes",
            },
            {
                "href": f"{base}/collections",
                "rel": "data",
                "type": "application/json",
                "title": "The collections",
            },
        ],
    }


@router.get("/conformance", summary="OGC API - Features: conformance classes")
def conformance() -> dict[str, Any]:
    """The conformance classes this API implements."""
    return {"conformsTo": CONFORMANCE}


@router.get("/collections", summary="OGC API - Features: the collections")
def collections(request: Request, service: ServiceDep, caller: Caller) -> dict[str, Any]:
    """``incidents`` and ``reports`` (for the public ``incidents`` only), each with its extent
    and items link."""
    viewer = Viewer(caller, service.store)
    return {
        "links": [
            {"href": f"{_base(request)}/collections", "rel": "self", "type": "application/json"}
        ],
        "collections": [
            _collection(request, service.store, viewer, cid) for cid in _listed(caller)
        ],
    }


@router.get("/collections/{collection_id}", summary="OGC API - Features: one collection")
def collection(
    request: Request, service: ServiceDep, caller: Caller, collection_id: str
) -> dict[str, Any]:
    """One collection, with its extent (CRS84 bbox, observation interval)."""
    cid = _collection_id(collection_id)  # an unknown one is 404 for anyone
    _readable(caller, cid)
    return _collection(request, service.store, Viewer(caller, service.store), cid)


@router.get(
    "/collections/{collection_id}/items",
    summary="OGC API - Features: features of a collection",
    response_class=GeoJSON,
    responses=_GEO_ERRORS,
)
def items(
    request: Request,
    service: ServiceDep,
    caller: Caller,
    collection_id: str,
    bbox: Annotated[
        str | None,
        Query(description="min_lon,min_lat,max_lon,max_lat (CRS84): the point lies inside."),
    ] = None,
    datetime_: Annotated[
        str | None,
        Query(
            alias="datetime",
            description="An instant or start/end (.. for an open end), RFC 3339 with offset: "
            "keep features whose observation window touches it.",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Features per page.")] = (
        DEFAULT_PAGE
    ),
    after: Annotated[
        str | None, Query(description="The cursor: the last feature id of the page before.")
    ] = None,
    properties: Annotated[
        str | None,
        Query(
            description="Only these properties, comma-separated (OGC API - Features - Part 6), "
            "e.g. status,event_type,observed_from; an estimate by its name (count)."
        ),
    ] = None,
) -> GeoJSON:
    """A GeoJSON FeatureCollection with ``numberMatched``, ``numberReturned``, ``timeStamp``
    and a ``next`` link while more follow."""
    cid = _collection_id(collection_id)
    _readable(caller, cid)
    since, until = _window(datetime_)
    box = _bbox(bbox)
    keep = _properties(properties)
    viewer = Viewer(caller, service.store)
    if cid == "incidents" and viewer.sees_all and keep is not None and keep <= _COLUMN_PROPERTIES:
        views, more, matched = _incident_fields(service, since, until, box, limit, after)
    else:
        query = _reports if cid == "reports" else _incidents
        views, more, matched = query(service, viewer, since, until, box, limit, after)
    features = [_view_feature(v, keep) for v in views]
    here = f"{_base(request)}/collections/{cid}"
    links = [
        {"href": _this_page(request), "rel": "self", "type": GEOJSON},
        {"href": here, "rel": "collection", "type": "application/json"},
    ]
    if more:
        nxt = _this_page(request, after=features[-1]["id"], limit=limit)
        links.append({"href": nxt, "rel": "next", "type": GEOJSON, "title": "Next page"})
    body: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if matched is not None:
        body["numberMatched"] = matched
    body |= {"numberReturned": len(features), "timeStamp": _iso(datetime.now(UTC)), "links": links}
    return GeoJSON(body)


def _bbox(value: str | None) -> BBox | None:
    if value is not None and len(value.split(",")) == 6:  # min/max heights: ignored (2D points)
        x0, y0, _, x1, y1, _ = value.split(",")
        value = ",".join((x0, y0, x1, y1))
    return parse_bbox(value)


@router.get(
    "/collections/{collection_id}/items/{feature_id:path}",
    summary="OGC API - Features: one feature",
    response_class=GeoJSON,
    responses=_GEO_ERRORS,
)
def item(service: ServiceDep, caller: Caller, collection_id: str, feature_id: str) -> GeoJSON:
    """One incident or report as a GeoJSON Feature, as the caller may see it (one it may not
    see is 404, as a missing one)."""
    cid = _collection_id(collection_id)
    _readable(caller, cid)
    if cid == "reports":
        return GeoJSON(_view_feature(stored_report(service, feature_id, caller).to_dict()))
    view = Viewer(caller, service.store).incident(service.store.get_incident(feature_id))
    if view is None:
        raise NotFoundError(f"no incident with id {feature_id!r}")  # the store's words
    return GeoJSON(_view_feature(view))
