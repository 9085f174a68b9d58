"""The collections: which exist, which a caller is offered and may read, and each one's
metadata (its extent over what the caller may see, its links)."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from ceasefire.api.routes.ogc.common import CRS84, GEOJSON, GREGORIAN, base_url, iso
from ceasefire.errors import NotFoundError
from ceasefire.publish.access import Principal, may_act, reads_released_only, report_scope, require
from ceasefire.publish.visibility import Viewer
from ceasefire.store.facade import Store

#: The collections: id -> (title, description).
COLLECTIONS: dict[str, tuple[str, str]] = {
    "incidents": (
        "Incidents",
        "Fused incidents at their fused place, with their verification state "
        "(incidents merged into others are left out).",
    ),
    "reports": ("Reports", "Stored reports at their point, with their placement facts."),
    "violations": (
        "Violations",
        "Current violations (not superseded), one per judgement, at their incident's place: "
        "the rule, the party held responsible, the agreement version, the incident's status.",
    ),
}


def readable(caller: Principal, collection_id: str) -> None:
    """ForbiddenError (403, as ``GET /api/v1/reports`` answers it) for the public asking for
    reports; every caller reads incidents and violations (its view of them)."""
    if collection_id == "reports":
        require(caller, "read_reports", instead="read the incidents collection")


def listed(caller: Principal) -> list[str]:
    """The collections ``/collections`` offers this caller.

    The public is offered ``incidents`` only, rather than both with ``reports`` answering 403:
    GDAL's OAPIF driver makes every listed collection a layer, and ``ogrinfo -al`` (or QGIS
    adding all layers) then fails on the one whose items it may not read. Asked for by name,
    ``reports`` still answers 403, as ``GET /api/v1/reports`` does for the public."""
    return [cid for cid in COLLECTIONS if cid != "reports" or may_act(caller, "read_reports")]


def collection_id(collection_id: str) -> str:
    if collection_id not in COLLECTIONS:
        raise NotFoundError(
            f"no collection {collection_id!r}; the collections are {', '.join(COLLECTIONS)}"
        )
    return collection_id


def _extent(store: Store, viewer: Viewer, collection_id: str) -> dict[str, Any]:
    """The extent of what the caller may see of the collection (the extent of hidden rows
    would tell where and when they are)."""
    caller = viewer.caller
    if collection_id == "violations":
        return _violation_extent(store, viewer)
    if caller.sees_all or collection_id == "reports":  # reports: the mission's or a party's
        scope = None if collection_id == "incidents" else report_scope(caller)
        return _extent_of(*store.extent(collection_id, submitted_by=scope))
    if reads_released_only(caller):
        # The public sees released incidents only, at their shown (coarsened) places.
        return _extent_of_views(viewer.released_incidents())
    # A party's incidents: only a scan of every incident through its view would bound them;
    # the whole world and an open interval are true and tell nothing.
    return _extent_of(None, None, None, None, None, None)


def _violation_extent(store: Store, viewer: Viewer) -> dict[str, Any]:
    """The extent of the incidents of the current violations the caller may see: the
    mission's from the store, the public's from its released incidents that have one (few,
    read by id), a party's the whole world and an open interval (as its incidents')."""
    if viewer.sees_all:
        return _extent_of(*store.violation_extent())
    if reads_released_only(viewer.caller):
        views = viewer.released_incidents()
        # A violation may hold no party responsible, so violation_parties would not list it.
        return _extent_of_views(
            [v for v in views if store.list_violations(incident_id=v["id"], limit=1)]
        )
    return _extent_of(None, None, None, None, None, None)


def _extent_of_views(views: list[dict[str, Any]]) -> dict[str, Any]:
    if not views:
        return _extent_of(None, None, None, None, None, None)
    return _extent_of(
        min(float(v["lon"]) for v in views),
        min(float(v["lat"]) for v in views),
        max(float(v["lon"]) for v in views),
        max(float(v["lat"]) for v in views),
        min(v["observed_from"] for v in views),
        max(v["observed_to"] for v in views),
    )


def _extent_of(
    x0: float | None, y0: float | None, x1: float | None, y1: float | None,
    t0: Any, t1: Any,
) -> dict[str, Any]:  # fmt: skip
    bbox = [-180.0, -90.0, 180.0, 90.0] if x0 is None else [x0, y0, x1, y1]
    times = [None if t is None else iso(t) for t in (t0, t1)]
    return {
        "spatial": {"bbox": [bbox], "crs": CRS84},
        "temporal": {"interval": [times], "trs": GREGORIAN},
    }


def collection(
    request: Request, store: Store, viewer: Viewer, collection_id: str
) -> dict[str, Any]:
    """One collection's metadata as the caller may see it."""
    title, description = COLLECTIONS[collection_id]
    here = f"{base_url(request)}/collections/{collection_id}"
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
