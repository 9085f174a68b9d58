"""OGC API - Features (Part 1: Core) over incidents, reports and violations, for GDAL's OAPIF
driver and QGIS.

Mounted at ``/api/v1/ogc``::

    /ogc                                          the landing page
    /ogc/conformance                              core, geojson, oas30
    /ogc/collections                              incidents, reports, violations
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
listed (they are still found by id). ``violations`` holds one feature per current violation, at
its incident's place, with the violations export's columns
(:func:`ceasefire.publish.formats.flat_rows`), its id the violation's number; its pages follow
those numbers.

Access: the landing page and conformance are open; the collections serve every caller what the
rest of the API shows it (:mod:`ceasefire.publish.access`, applied by :mod:`ceasefire.api.visibility`):

- the mission (admin, monitor, mediator): every feature, as stored;
- a party: its own reports (filtered in the query, as ``GET /api/v1/reports``), and the
  incidents that concern it or are released, through the same views as
  ``GET /api/v1/incidents``;
- the public: no reports (403, as ``GET /api/v1/reports``; ``/collections`` lists only
  ``incidents`` and ``violations``), and released incidents a day after they ended, at a
  coarsened place unless released in full;
- violations: those of the incidents the caller sees, through ``Viewer.violation_rows`` (the
  views of ``GET /api/v1/violations``), at the place the caller is shown.

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

The package: :mod:`.common` (constants, links, flat features), :mod:`.params` (``bbox``,
``datetime``, ``properties``), :mod:`.collections` (which collections, their metadata and
extents), :mod:`.queries` (each collection's page), and the routes in :mod:`.landing` and
:mod:`.items`.
"""

from __future__ import annotations

from fastapi import APIRouter

from ceasefire.api.routes.ogc import items, landing
from ceasefire.api.routes.ogc.common import CONFORMANCE, PREFIX, flat

__all__ = ["CONFORMANCE", "PREFIX", "router"]

#: Both route modules, mounted at ``/ogc`` each (an empty prefix cannot hold the landing page).
router = APIRouter()
router.include_router(landing.router)
router.include_router(items.router)

#: The name the tests have long used for :func:`.common.flat`.
_flat = flat
