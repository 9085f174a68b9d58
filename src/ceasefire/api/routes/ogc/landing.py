"""The landing page, the conformance classes and the collections' metadata."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from ceasefire.api.deps import Caller, ServiceDep
from ceasefire.api.routes.ogc import collections as col
from ceasefire.api.routes.ogc.common import CONFORMANCE, base_url, root_url
from ceasefire.publish.visibility import Viewer

router = APIRouter(prefix="/ogc", tags=["ogc"])


@router.get("", summary="OGC API - Features: the landing page")
def landing(request: Request) -> dict[str, Any]:
    """The landing page: where the API description, conformance and collections are."""
    base = base_url(request)
    root = root_url(request)
    return {
        "title": "ceasefire: incidents, reports and violations",
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
    """``incidents``, ``reports`` and ``violations`` (the public is not offered ``reports``),
    each with its extent and items link."""
    viewer = Viewer(caller, service.store)
    return {
        "links": [
            {"href": f"{base_url(request)}/collections", "rel": "self", "type": "application/json"}
        ],
        "collections": [
            col.collection(request, service.store, viewer, cid) for cid in col.listed(caller)
        ],
    }


@router.get("/collections/{collection_id}", summary="OGC API - Features: one collection")
def collection(
    request: Request, service: ServiceDep, caller: Caller, collection_id: str
) -> dict[str, Any]:
    """One collection, with its extent (CRS84 bbox, observation interval)."""
    cid = col.collection_id(collection_id)  # an unknown one is 404 for anyone
    col.readable(caller, cid)
    return col.collection(request, service.store, Viewer(caller, service.store), cid)
