"""Reading the agreement's geometry files: GeoJSON, KML, GeoPackage, Shapefile (through pyogrio).

Anything GDAL reads as lines or polygons works; a file in a projected CRS is taken back to
lon/lat (WGS 84) and Z values are dropped. A line of contact must come out as one simple
LineString: every way it can fail (too few points, not a line, parts with gaps or reversed,
non-finite or non-degree coordinates, repeated vertices, crossing itself) is one
:class:`~ceasefire.errors.Problem` naming the file and the agreement field that points at it.

The readers return ``(geometry, [])`` or ``(None, [problem])``: they stop at the first problem
of a file, because later checks on a broken geometry only repeat it.
"""

from __future__ import annotations

import struct
import warnings
from pathlib import Path
from typing import Any, cast

import numpy as np
import pyogrio
import shapely
from pyproj import CRS, Geod, Transformer
from shapely.geometry import LineString, MultiLineString, Point
from shapely.geometry.base import BaseGeometry

from ceasefire.errors import Problem

_GEOD = Geod(ellps="WGS84")


def fmt_lonlat(lon: float, lat: float) -> str:
    """``(37.8022, 48.0230)``: four decimals, about 10 m, enough to find a vertex."""
    return f"({lon:.4f}, {lat:.4f})"


def _wkb_points(wkb: bytes) -> int | None:
    """Vertex count of a LineString WKB that GEOS refuses (a one-point line), else None."""
    if len(wkb) < 9:
        return None
    order = "<" if wkb[0] == 1 else ">"
    (gtype,) = struct.unpack(order + "I", wkb[1:5])
    # ISO WKB codes are 2/1002/2002/3002; EWKB sets high flag bits for Z and M instead
    if (gtype & 0x0FFFFFFF) % 1000 == 2:
        return int(struct.unpack(order + "I", wkb[5:9])[0])
    return None


def _to_lonlat(crs_text: str | None) -> Transformer | None:
    """A transformer to lon/lat for the file's CRS, or None when it is lon/lat already."""
    if not crs_text:
        return None  # GeoJSON without crs is WGS 84 by RFC 7946; checked by range later
    crs = CRS.from_user_input(crs_text)
    if crs.is_geographic and crs.ellipsoid is not None and crs.ellipsoid.name == "WGS 84":
        return None  # EPSG:4326, CRS84, 3D WGS 84: pyogrio already gives x = lon
    return Transformer.from_crs(crs, "EPSG:4326", always_xy=True)


def read_features(
    path: Path, field: str, *, layer: str | None = None, where: str | None = None
) -> tuple[list[BaseGeometry] | None, list[Problem]]:
    """Every feature geometry in ``path`` (2D, lon/lat), or the first reason it cannot be read.

    ``layer`` picks a KML folder or GeoPackage table; ``where`` is an OGR SQL attribute filter.
    """
    at = str(path)
    if not path.is_file():
        return None, [Problem(at, field, "no such file")]
    kwargs: dict[str, Any] = {k: v for k, v in (("layer", layer), ("where", where)) if v}
    try:
        meta, _, wkbs, _ = pyogrio.raw.read(path, **kwargs)
    except Exception as exc:  # pyogrio/GDAL raise several types; all mean "cannot read this"
        return None, [Problem(at, field, f"cannot read as geometry: {exc}".strip())]
    tf = _to_lonlat(meta.get("crs"))
    geoms: list[BaseGeometry] = []
    for i, wkb in enumerate(wkbs):
        geom = None
        if wkb is not None:
            try:
                with warnings.catch_warnings():  # NaN coordinates: reported below, in words
                    warnings.simplefilter("ignore", RuntimeWarning)
                    geom = shapely.from_wkb(wkb)
            except shapely.errors.GEOSException:
                n = _wkb_points(bytes(wkb))
                if n is not None:
                    reason = f"feature {i}: a line needs at least 2 points, has {n}"
                    return None, [Problem(at, field, reason)]
        if geom is None:  # GDAL drops a geometry whose coordinates are not numbers
            reason = f"feature {i} has no geometry (or non-numeric coordinates)"
            return None, [Problem(at, field, reason)]
        geom = shapely.force_2d(geom)
        if tf is not None:
            geom = shapely.transform(geom, lambda x, y, t=tf: t.transform(x, y), interleaved=False)
        geoms.append(geom)
    if not geoms:
        return None, [Problem(at, field, "the file holds no features")]
    return geoms, []


def _coords_problem(geom: BaseGeometry) -> str | None:
    xy = shapely.get_coordinates(geom)
    bad = ~np.isfinite(xy).all(axis=1)
    if bad.any():
        i = int(np.argmax(bad))
        return f"vertex {i} has a coordinate that is not a finite number: {xy[i].tolist()}"
    off = (np.abs(xy[:, 0]) > 180) | (np.abs(xy[:, 1]) > 90)
    if off.any():
        i = int(np.argmax(off))
        return (
            f"vertex {i} {xy[i].tolist()} is not a lon/lat position (is the file in a "
            "projected CRS without one declared?)"
        )
    return None


def crossing(line: LineString) -> Point | None:
    """A point where ``line`` touches or crosses itself, or None (an STRtree over segments)."""
    xy = np.asarray(line.coords)
    segs = shapely.linestrings(np.stack([xy[:-1], xy[1:]], axis=1))
    pairs = shapely.STRtree(segs).query(segs, predicate="intersects")
    for i, j in pairs.T:
        if j <= i:
            continue
        hit = segs[i].intersection(segs[j])
        neighbours = j == i + 1 or (line.is_closed and i == 0 and j == len(segs) - 1)
        if neighbours and isinstance(hit, Point):
            continue  # neighbours share their common vertex
        return cast(Point, hit.representative_point())
    return None


def _join(parts: list[LineString]) -> LineString | str:
    """The parts merged head to tail into one line, or why they cannot be."""
    merged = shapely.line_merge(MultiLineString(parts), directed=True)
    if isinstance(merged, LineString):
        return merged
    if isinstance(shapely.line_merge(MultiLineString(parts)), LineString):
        return (
            f"its {len(parts)} parts join only if some are reversed; make every part run the "
            "same way (the direction decides left and right)"
        )
    pieces = list(merged.geoms)
    gap_km = min(
        _GEOD.inv(*a.coords[-1], *b.coords[0])[2] / 1000
        for a in pieces
        for b in pieces
        if a is not b
    )
    return (
        f"{len(parts)} parts leave {len(pieces)} separate pieces (smallest gap "
        f"{gap_km:.1f} km); a line of contact must be one continuous line"
    )


def read_line(
    path: Path, field: str, *, layer: str | None = None, where: str | None = None
) -> tuple[LineString | None, list[Problem]]:
    """The one simple LineString in ``path`` (features and parts joined head to tail)."""
    geoms, problems = read_features(path, field, layer=layer, where=where)
    if geoms is None:
        return None, problems

    def fail(reason: str) -> tuple[None, list[Problem]]:
        return None, [Problem(str(path), field, reason)]

    parts: list[LineString] = []
    for i, g in enumerate(geoms):
        if isinstance(g, LineString):
            parts.append(g)
        elif isinstance(g, MultiLineString):
            parts.extend(g.geoms)
        else:
            return fail(f"feature {i} is a {g.geom_type}, not a LineString")
    for k, part in enumerate(parts):
        if len(part.coords) < 2:
            return fail(f"part {k}: a line needs at least 2 points, has {len(part.coords)}")
        if (reason := _coords_problem(part)) is not None:
            return fail(reason)
        xy = np.asarray(part.coords)
        same = np.flatnonzero(np.all(xy[1:] == xy[:-1], axis=1))
        if same.size:
            j = int(same[0]) + 1
            return fail(f"vertex {j} repeats the one before it at {fmt_lonlat(*xy[j])}")
    joined = parts[0] if len(parts) == 1 else _join(parts)
    if isinstance(joined, str):
        return fail(joined)
    if not joined.is_simple:
        hit = crossing(joined)
        at = f" at {fmt_lonlat(hit.x, hit.y)}" if hit is not None else ""
        return fail(f"the line crosses or touches itself{at}")
    return joined, []


def read_polygon(
    path: Path, field: str, *, layer: str | None = None, where: str | None = None
) -> tuple[BaseGeometry | None, list[Problem]]:
    """The union of the valid polygons in ``path`` (an explicit DMZ, a declared area)."""
    geoms, problems = read_features(path, field, layer=layer, where=where)
    if geoms is None:
        return None, problems
    for i, g in enumerate(geoms):
        reason = None
        if g.geom_type not in ("Polygon", "MultiPolygon"):
            reason = f"feature {i} is a {g.geom_type}, not a Polygon"
        elif (bad := _coords_problem(g)) is not None:
            reason = bad
        elif not g.is_valid:
            reason = f"feature {i} is not a valid polygon: {shapely.is_valid_reason(g)}"
        if reason is not None:
            return None, [Problem(str(path), field, reason)]
    return shapely.union_all(geoms), []
