"""Query values as people type them, shared by the CLI and the HTTP API: times and boxes.

Both surfaces take ``--since 2026-03-10T18:00:00+02:00`` / ``?since=...`` and
``min_lon,min_lat,max_lon,max_lat``; one parser each, so a value means the same on both and a
bad one gets the same words, naming where it came from (``command line`` or ``query``).
"""

from __future__ import annotations

from datetime import datetime

from ceasefire.errors import InputError, Problem

__all__ = ["BBox", "parse_bbox", "parse_time"]

BBox = tuple[float, float, float, float]
"""``(min_lon, min_lat, max_lon, max_lat)``, the GeoJSON ``bbox`` order (RFC 7946 section 5)."""


def parse_time(value: str | None, name: str, *, where: str = "query") -> datetime | None:
    """An ISO 8601 time with a UTC offset, or InputError naming ``name``."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InputError(
            Problem(where, name, f"must be an ISO 8601 time with a UTC offset, got {value!r}")
        ) from None
    if moment.tzinfo is None:
        raise InputError(
            Problem(where, name, f"has no UTC offset; write e.g. {value}Z or {value}+02:00")
        )
    return moment


def parse_bbox(value: str | None, *, where: str = "query") -> BBox | None:
    """``min_lon,min_lat,max_lon,max_lat`` (the GeoJSON / OGC API order), or InputError."""
    if value is None:
        return None
    try:
        x0, y0, x1, y1 = (float(v) for v in value.split(","))
    except ValueError:
        raise InputError(
            Problem(where, "bbox", f"must be min_lon,min_lat,max_lon,max_lat; got {value!r}")
        ) from None
    return (x0, y0, x1, y1)
