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

Access: the landing page and conformance are open; the collections and their features are the
mission's full view (a caller whose role reads everything, :attr:`Principal.sees_all`), and
anyone else is refused (403) rather than served a view the access rules would not give: a
party or the public reads ``/api/v1/incidents``, filtered for it. GDAL sends the token with
``GDAL_HTTP_HEADERS="Authorization: Bearer <token>"``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import func, select

from ceasefire.access import Principal
from ceasefire.api.deps import (
    API_PREFIX,
    JSON,
    Caller,
    Service,
    ServiceDep,
)
from ceasefire.api.errors import ERROR_JSON
from ceasefire.api.routes_read import DEFAULT_PAGE, MAX_PAGE, stored_report
from ceasefire.errors import ForbiddenError, InputError, NotFoundError, Problem
from ceasefire.query import parse_bbox, parse_time
from ceasefire.store import BBox, StoredIncident, StoredReport, incidents_table, reports_table

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
    403: {"description": "Not a mission caller (forbidden).", "content": ERROR_JSON},
    404: {"description": "No such collection or feature (not_found).", "content": ERROR_JSON},
    422: {"description": "A bad bbox, datetime or limit; problems name it.", "content": ERROR_JSON},
    "default": {"description": "Any error: the one error shape.", "content": ERROR_JSON},
}


class GeoJSON(JSON):
    """GeoJSON answers (RFC 7946), rendered as the project's JSON."""

    media_type = GEOJSON


# -- helpers ---------------------------------------------------------------------------------


def _base(request: Request) -> str:
    return f"{str(request.base_url).rstrip('/')}{PREFIX}"


def _mission(caller: Principal) -> None:
    """Only a caller that reads everything: the features are not filtered per caller."""
    if not caller.sees_all:
        raise ForbiddenError(
            f"a {caller.role} caller may not read the OGC collections (the mission's full "
            f"view); read {API_PREFIX}/incidents"
        )


def _collection_id(collection_id: str) -> str:
    if collection_id not in COLLECTIONS:
        raise NotFoundError(
            f"no collection {collection_id!r}; the collections are {', '.join(COLLECTIONS)}"
        )
    return collection_id


def _flat(d: dict[str, Any]) -> dict[str, Any]:
    """Flat properties: estimates split into ``_low``/``_best``/``_high``, other lists and
    objects as JSON text."""
    out: dict[str, Any] = {}
    for key, value in d.items():
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


def _feature(fid: str, lon: float, lat: float, properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": fid,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": _flat(properties),
    }


def _report_feature(r: StoredReport) -> dict[str, Any]:
    return _feature(r.report.id, r.lon, r.lat, r.to_dict())


def _incident_feature(s: StoredIncident) -> dict[str, Any]:
    return _feature(s.incident_id, s.incident.lon, s.incident.lat, s.to_dict())


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


def _extent(service: Service, collection_id: str) -> dict[str, Any]:
    table = reports_table if collection_id == "reports" else incidents_table
    c = table.c
    query = select(
        func.min(c.lon), func.min(c.lat), func.max(c.lon), func.max(c.lat),
        func.min(c.observed_from), func.max(c.observed_to),
    )  # fmt: skip
    if collection_id == "incidents":
        query = query.where(c.merged_into.is_(None))
    with service.store.read() as conn:
        x0, y0, x1, y1, t0, t1 = conn.execute(query).one()
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


def _collection(request: Request, service: Service, collection_id: str) -> dict[str, Any]:
    title, description = COLLECTIONS[collection_id]
    here = f"{_base(request)}/collections/{collection_id}"
    return {
        "id": collection_id,
        "title": title,
        "description": description,
        "itemType": "feature",
        "crs": [CRS84],
        "extent": _extent(service, collection_id),
        "links": [
            {"href": here, "rel": "self", "type": "application/json", "title": title},
            {"href": f"{here}/items", "rel": "items", "type": GEOJSON, "title": title},
        ],
    }


# -- the two collections' queries ------------------------------------------------------------


def _reports(
    service: Service, since: datetime | None, until: datetime | None, bbox: BBox | None,
    limit: int, after: str | None,
) -> tuple[list[dict[str, Any]], bool, int]:  # fmt: skip
    store = service.store
    rows = store.list_stored(since=since, until=until, bbox=bbox, limit=limit + 1, after=after)
    matched = store.count_reports(since=since, until=until, bbox=bbox)
    return [_report_feature(r) for r in rows[:limit]], len(rows) > limit, matched


def _incidents(
    service: Service, since: datetime | None, until: datetime | None, bbox: BBox | None,
    limit: int, after: str | None,
) -> tuple[list[dict[str, Any]], bool, int]:  # fmt: skip
    rows, matched = service.store.page_incidents(
        since=since, until=until, bbox=bbox, limit=limit + 1, after=after
    )
    return [_incident_feature(s) for s in rows[:limit]], len(rows) > limit, matched


# -- routes ----------------------------------------------------------------------------------


@router.get("", summary="OGC API - Features: the landing page")
def landing(request: Request) -> dict[str, Any]:
    """The landing page: where the API description, conformance and collections are."""
    base = _base(request)
    root = str(request.base_url).rstrip("/")
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
    """``incidents`` and ``reports``, each with its extent and items link."""
    _mission(caller)
    return {
        "links": [
            {"href": f"{_base(request)}/collections", "rel": "self", "type": "application/json"}
        ],
        "collections": [_collection(request, service, cid) for cid in COLLECTIONS],
    }


@router.get("/collections/{collection_id}", summary="OGC API - Features: one collection")
def collection(
    request: Request, service: ServiceDep, caller: Caller, collection_id: str
) -> dict[str, Any]:
    """One collection, with its extent (CRS84 bbox, observation interval)."""
    cid = _collection_id(collection_id)  # an unknown one is 404 for anyone
    _mission(caller)
    return _collection(request, service, cid)


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
) -> GeoJSON:
    """A GeoJSON FeatureCollection with ``numberMatched``, ``numberReturned``, ``timeStamp``
    and a ``next`` link while more follow."""
    cid = _collection_id(collection_id)
    _mission(caller)
    since, until = _window(datetime_)
    box = _bbox(bbox)
    query = _reports if cid == "reports" else _incidents
    features, more, matched = query(service, since, until, box, limit, after)
    here = f"{_base(request)}/collections/{cid}"
    links = [
        {"href": str(request.url), "rel": "self", "type": GEOJSON},
        {"href": here, "rel": "collection", "type": "application/json"},
    ]
    if more:
        nxt = str(request.url.include_query_params(after=features[-1]["id"], limit=limit))
        links.append({"href": nxt, "rel": "next", "type": GEOJSON, "title": "Next page"})
    return GeoJSON(
        {
            "type": "FeatureCollection",
            "features": features,
            "numberMatched": matched,
            "numberReturned": len(features),
            "timeStamp": _iso(datetime.now(UTC)),
            "links": links,
        }
    )


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
    """One incident or report as a GeoJSON Feature."""
    cid = _collection_id(collection_id)
    _mission(caller)
    if cid == "reports":
        return GeoJSON(_report_feature(stored_report(service, feature_id)))
    return GeoJSON(_incident_feature(service.store.get_incident(feature_id)))
