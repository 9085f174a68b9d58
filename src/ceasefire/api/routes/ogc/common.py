"""What every OGC answer shares: the constants of the standard, the links (always from the
configured base URL) and features with flat properties."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fastapi import Request

from ceasefire.api.deps import API_PREFIX, JSON
from ceasefire.api.errors import ERROR_JSON
from ceasefire.publish.formats import VIOLATION_COLUMNS

PREFIX = f"{API_PREFIX}/ogc"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
GEOJSON = "application/geo+json"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]

GEO_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "The public asking for reports (forbidden).", "content": ERROR_JSON},
    404: {"description": "No such collection or feature (not_found).", "content": ERROR_JSON},
    422: {"description": "A bad bbox, datetime or limit; problems name it.", "content": ERROR_JSON},
    "default": {"description": "Any error: the one error shape.", "content": ERROR_JSON},
}


class GeoJSON(JSON):
    """GeoJSON answers (RFC 7946), rendered as the project's JSON."""

    media_type = GEOJSON


def root_url(request: Request) -> str:
    """The service's base URL as configured (``ceasefire serve --base-url``), never one made
    from the request: its ``Host`` header is the caller's to write, and a link built from it
    would send the next reader (QGIS, GDAL, a browser) wherever a hostile caller chose."""
    root: str = request.app.state.service.base_url
    return root


def base_url(request: Request) -> str:
    return f"{root_url(request)}{PREFIX}"


def this_page(request: Request, **params: Any) -> str:
    """The request's own path and query (with ``params`` set) under the configured base URL."""
    url = request.url.include_query_params(**params) if params else request.url
    return f"{root_url(request)}{url.path}" + (f"?{url.query}" if url.query else "")


def iso(value: Any) -> str:
    if isinstance(value, str):  # a database without a time type
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return str(value.astimezone(UTC).isoformat().replace("+00:00", "Z"))


def flat(d: dict[str, Any], keep: frozenset[str] | None = None) -> dict[str, Any]:
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


def feature(
    fid: str | int,
    lon: float,
    lat: float,
    properties: dict[str, Any],
    keep: frozenset[str] | None = None,
) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": fid,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": flat(properties, keep),
    }


def view_feature(view: dict[str, Any], keep: frozenset[str] | None = None) -> dict[str, Any]:
    """A report or incident as the caller sees it (a coarsened incident at its coarse place)."""
    return feature(view["id"], float(view["lon"]), float(view["lat"]), view, keep)


#: The estimate bounds a flat row splits an estimate into (``count`` -> ``count_low``, ...).
_BOUNDS = ("low", "best", "high")


def violation_feature(row: dict[str, Any], keep: frozenset[str] | None = None) -> dict[str, Any]:
    """A violation's flat row (:func:`ceasefire.publish.formats.flat_rows`, the exports' columns)
    as a feature at its incident's place, numbered by the violation; ``keep`` names columns, or
    an estimate by its name (``count``). ``superseded_at`` is left out: the collection holds
    current violations only."""
    props = {k: row[k] for k in VIOLATION_COLUMNS if k in row and k != "superseded_at"}
    if keep is not None:
        props = {
            k: v
            for k, v in props.items()
            if k in keep or (k.rpartition("_")[2] in _BOUNDS and k.rpartition("_")[0] in keep)
        }
    return feature(int(row["seq"]), float(row["lon"]), float(row["lat"]), props)
