"""Exports: incidents and violations in the files analysts load as they are (issue 20).

``GET /incidents/export?format=gpkg`` and ``GET /violations/export?format=acled``: what the
caller may see (the same views as ``/incidents`` and ``/violations``: a party's incidents that
concern it and the released ones, the public's released ones only), written by
:func:`ceasefire.publish.formats.export` to a temporary file that is streamed and then removed
(GeoPackage and FlatGeobuf are written by GDAL to a file, not a stream). Registered before the
read routes, so that ``export`` is not taken for an incident id.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from ceasefire.api.deps import Caller, Service, ServiceDep
from ceasefire.api.errors import ErrorResponse
from ceasefire.publish.access import Principal
from ceasefire.publish.formats import EXPORT_FORMATS, check_format, export
from ceasefire.publish.visibility import Viewer
from ceasefire.query import parse_time

router = APIRouter(tags=["exports"])

_BAD_QUERY: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorResponse, "description": "A bad format or filter; problems name it."}
}
_FILE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file, as an attachment.",
        "content": {f.media_type: {} for f in EXPORT_FORMATS.values()},
    }
}

Format = Annotated[
    str,
    Query(
        alias="format",
        description="geojson, csv, gpkg, kml, fgb, parquet (GeoParquet 1.1), acled (ACLED's "
        "31 columns), ucdp (UCDP GED-like) or hxl (HXL-tagged CSV). The columns: docs/exports.md.",
    ),
]
Since = Annotated[
    str | None,
    Query(description="ISO 8601 with offset: keep what was observed at or after this time."),
]
Until = Annotated[
    str | None, Query(description="ISO 8601 with offset: keep what was observed before it.")
]


def _export(
    service: Service, caller: Principal, kind: str, fmt: str, since: str | None, until: str | None
) -> FileResponse:
    found = check_format(fmt, kind)
    start, end = parse_time(since, "since"), parse_time(until, "until")
    fd, name = tempfile.mkstemp(prefix=f"ceasefire-{kind}-", suffix=f".{found.ext}")
    os.close(fd)
    path = Path(name)
    try:
        store = service.store
        export(store, Viewer(caller, store), kind, fmt, path, since=start, until=end)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return FileResponse(
        path,
        media_type=found.media_type,
        filename=f"{kind}.{found.ext}",
        background=BackgroundTask(path.unlink, missing_ok=True),
    )


@router.get(
    "/incidents/export",
    summary="Incidents as a file: GeoJSON, CSV, GeoPackage, KML, FlatGeobuf, GeoParquet, ...",
    response_class=FileResponse,
    responses=_FILE | _BAD_QUERY,
)
def export_incidents(
    service: ServiceDep, caller: Caller, fmt: Format, since: Since = None, until: Until = None
) -> FileResponse:
    """The incidents the caller may see, observed in ``[since, until)``, as one file in
    ``format``, each as the caller sees it (the public's coarsened unless released in full)."""
    return _export(service, caller, "incidents", fmt, since, until)


@router.get(
    "/violations/export",
    summary="Violations as a file: GeoJSON, CSV, GeoPackage, KML, FlatGeobuf, GeoParquet, ...",
    response_class=FileResponse,
    responses=_FILE | _BAD_QUERY,
)
def export_violations(
    service: ServiceDep, caller: Caller, fmt: Format, since: Since = None, until: Until = None
) -> FileResponse:
    """The violations the caller may see (those of incidents it sees), with their incident's
    time, place and harm as the caller sees them, as one file in ``format``."""
    return _export(service, caller, "violations", fmt, since, until)
