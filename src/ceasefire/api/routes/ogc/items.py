"""The features of a collection: a filtered, paged GeoJSON FeatureCollection, and one feature."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request

from ceasefire.api.deps import Caller, ServiceDep
from ceasefire.api.routes.ogc import collections as col
from ceasefire.api.routes.ogc import params, queries
from ceasefire.api.routes.ogc.common import (
    GEO_ERRORS,
    GEOJSON,
    GeoJSON,
    base_url,
    iso,
    this_page,
    view_feature,
    violation_feature,
)
from ceasefire.api.routes.read import DEFAULT_PAGE, MAX_PAGE, stored_report
from ceasefire.errors import NotFoundError
from ceasefire.publish.formats import flat_rows
from ceasefire.publish.visibility import Viewer

router = APIRouter(prefix="/ogc", tags=["ogc"])

#: Each collection's query (the mission's incidents may take a faster one, by columns).
QUERIES: dict[str, queries.Query] = {
    "incidents": queries.incidents,
    "reports": queries.reports,
    "violations": queries.violations,
}


@router.get(
    "/collections/{collection_id}/items",
    summary="OGC API - Features: features of a collection",
    response_class=GeoJSON,
    responses=GEO_ERRORS,
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
    cid = col.collection_id(collection_id)
    col.readable(caller, cid)
    since, until = params.window(datetime_)
    box = params.bbox(bbox)
    keep = params.parse_properties(properties)
    viewer = Viewer(caller, service.store)
    if (
        cid == "incidents"
        and viewer.sees_all
        and keep is not None
        and (keep <= queries.COLUMN_PROPERTIES)
    ):
        views, more, matched = queries.incident_fields(service, since, until, box, limit, after)
    else:
        query = QUERIES[cid]
        views, more, matched = query(service, viewer, since, until, box, limit, after)
    if cid == "violations":
        features = [violation_feature(row, keep) for row in flat_rows("violations", views)]
    else:
        features = [view_feature(v, keep) for v in views]
    here = f"{base_url(request)}/collections/{cid}"
    links = [
        {"href": this_page(request), "rel": "self", "type": GEOJSON},
        {"href": here, "rel": "collection", "type": "application/json"},
    ]
    if more:
        nxt = this_page(request, after=features[-1]["id"], limit=limit)
        links.append({"href": nxt, "rel": "next", "type": GEOJSON, "title": "Next page"})
    body: dict[str, object] = {"type": "FeatureCollection", "features": features}
    if matched is not None:
        body["numberMatched"] = matched
    body |= {"numberReturned": len(features), "timeStamp": iso(datetime.now(UTC)), "links": links}
    return GeoJSON(body)


@router.get(
    "/collections/{collection_id}/items/{feature_id:path}",
    summary="OGC API - Features: one feature",
    response_class=GeoJSON,
    responses=GEO_ERRORS,
)
def item(service: ServiceDep, caller: Caller, collection_id: str, feature_id: str) -> GeoJSON:
    """One incident, report or current violation as a GeoJSON Feature, as the caller may see
    it (one it may not see is 404, as a missing one)."""
    cid = col.collection_id(collection_id)
    col.readable(caller, cid)
    if cid == "reports":
        return GeoJSON(view_feature(stored_report(service, feature_id, caller).to_dict()))
    if cid == "violations":
        row = queries.violation(Viewer(caller, service.store), feature_id)
        return GeoJSON(violation_feature(flat_rows("violations", [row])[0]))
    view = Viewer(caller, service.store).incident(service.store.get_incident(feature_id))
    if view is None:
        raise NotFoundError(f"no incident with id {feature_id!r}")  # the store's words
    return GeoJSON(view_feature(view))
