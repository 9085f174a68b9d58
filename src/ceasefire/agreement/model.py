"""The agreement: the ceasefire's rulebook as versioned data.

An agreement names its parties, the moment it takes effect, the line of contact (one reference
line, and optionally a line per party where they differ, as Minsk II measured each side's
withdrawal from its own line), which party holds which side, the zones (the DMZ as a buffer of
the line with a width per side or an explicit polygon; weapon-withdrawal zones by weapon class and
calibre), the prohibited acts and the hotline deadlines.

Geometry is held in lon/lat (WGS 84, RFC 7946 axis order). This module holds the model, the
zone geometry (one-sided buffers in a local metric projection) and a JSON-able summary; reading
and checking agreement files lives in :mod:`ceasefire.agreement.load`. The fast vectorised
placement of reports against the agreement is :mod:`ceasefire.geo.engine`.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final, Literal, TypeAlias

import numpy as np
import shapely
from pyproj import CRS, Geod, Transformer
from shapely.geometry import LineString, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from ceasefire.agreement.parties import Parties
from ceasefire.agreement.reporting import ReportingDay

ZoneKind = Literal["dmz", "withdrawal", "other"]
#: A zone's area in lon/lat; a band clipped to the declared area may come out in pieces.
ZoneGeometry: TypeAlias = Polygon | MultiPolygon

_GEOD = Geod(ellps="WGS84")
#: Longest edge (metres) kept when a metric polygon goes back to lon/lat: straight edges in the
#: projection are not straight in degrees, and 2 km keeps that error far below a metre.
_DENSIFY_M = 2_000.0
#: The same for a line going the other way, lon/lat -> metres (0.01 degree is about 1 km).
_DENSIFY_DEG = 0.01
#: Segments per quarter circle in buffers: 32 keeps an arc within 0.03% of its radius (5 m at
#: 15 km); shapely's default 8 strays 0.5% (70 m at 15 km).
_QUAD_SEGS = 32


@dataclass(frozen=True)
class Zone:
    """One zone of the agreement.

    A zone is either a band along the line - ``widths_m`` maps a party code to the band's width on
    that party's side, measured from the line that binds that party - or an explicit
    ``polygon`` (lon/lat). A withdrawal zone lists the weapon classes it bars and, where the
    agreement says so, the smallest calibre it applies to (Minsk II: artillery >= 100 mm at 50 km).
    """

    name: str
    kind: ZoneKind
    widths_m: Mapping[str, float] = field(default_factory=dict)
    polygon: BaseGeometry | None = None
    weapon_classes: tuple[str, ...] = ()
    min_calibre_mm: float | None = None
    description: str = ""


@dataclass(frozen=True)
class ProhibitedAct:
    """An act the agreement forbids: these event types, anywhere or only inside the named zones."""

    code: str
    description: str
    event_types: tuple[str, ...]
    zones: tuple[str, ...] = ()


#: How many notifications to one party in one scheduler tick go out as one digest, unless the
#: agreement says otherwise: more than a duty officer reads one by one in the 15 minutes the
#: demo agreement gives to acknowledge, and far fewer than a night of shelling brings.
DIGEST_THRESHOLD: Final = 20


@dataclass(frozen=True)
class HotlineDeadlines:
    """How fast a party must react on the hotline, and from how many notifications (or
    escalations) to one address in one scheduler tick they go out as one digest
    (``digest_threshold``; None: :data:`DIGEST_THRESHOLD`)."""

    acknowledge_within: timedelta
    answer_within: timedelta
    line_check_every: timedelta
    # None when the agreement does not say: its registered body (:func:`describe`) stays what
    # it was before the key existed, so a store that registered it still accepts it.
    digest_threshold: int | None = None

    @property
    def digest_from(self) -> int:
        """How many messages to one address in one tick make a digest."""
        return DIGEST_THRESHOLD if self.digest_threshold is None else self.digest_threshold


@dataclass(frozen=True)
class Anchor:
    """A place a party is known to hold (e.g. Donetsk for RU); checked to lie on its side."""

    party: str
    name: str
    lon: float
    lat: float


@dataclass(frozen=True)
class Agreement:
    """One version of one agreement. A change is a new version; older versions are kept.

    ``line`` is the reference line of contact; walking it from its first to its last vertex,
    ``left_party`` holds the left side and ``right_party`` the right side. ``party_lines`` gives a
    party its own line where the agreement measures that party's zones from a different line.
    ``anchors`` are places each party holds, checked on load to fall on that party's side.

    ``areas`` maps the left and the right party to its area of control (lon/lat polygons; the
    line of contact is their common boundary). With areas, a point's side is the area it lies
    in and a point in neither is ``outside``; without them (older agreements) every point gets
    the side of the line it is on, the line's end segments carried on beyond its ends.
    """

    id: str
    version: int
    title: str
    effective_from: datetime
    parties: Mapping[str, str]
    line: LineString
    left_party: str
    right_party: str
    zones: tuple[Zone, ...]
    hotline: HotlineDeadlines
    party_lines: Mapping[str, LineString] = field(default_factory=dict)
    area: Polygon | None = None
    prohibited_acts: tuple[ProhibitedAct, ...] = ()
    approximate: bool = False
    notes: str = ""
    source: Path | None = None
    anchors: Mapping[str, Anchor] = field(default_factory=dict)
    areas: Mapping[str, BaseGeometry] = field(default_factory=dict)
    #: Other names of the parties: folded alias -> code (:mod:`ceasefire.agreement.parties`).
    party_aliases: Mapping[str, str] = field(default_factory=dict)
    #: The parties that require every report in their name to be signed.
    signed_parties: frozenset[str] = frozenset()
    #: When the reporting day ends (:mod:`ceasefire.agreement.reporting`).
    reporting: ReportingDay = field(default_factory=ReportingDay)

    @property
    def party_codes(self) -> Parties:
        """The parties as intake and decisions check them: codes, aliases and settings."""
        return Parties(self.parties, self.party_aliases, self.signed_parties)

    def line_for(self, party: str) -> LineString:
        """The line from which ``party``'s zones are measured (its own, else the reference)."""
        return self.party_lines.get(party, self.line)

    def zone(self, name: str) -> Zone:
        """The zone called ``name`` (``KeyError`` if there is none)."""
        for z in self.zones:
            if z.name == name:
                return z
        raise KeyError(name)

    def side_of(self, party: str) -> Literal["left", "right"]:
        """The side of the reference line ``party`` holds (``KeyError`` for a third party)."""
        if party == self.left_party:
            return "left"
        if party == self.right_party:
            return "right"
        raise KeyError(party)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able summary; see :func:`describe`."""
        return describe(self)


# --- loading (the implementation lives in agreement_io, which imports this module) ---------


# --- sides ------------------------------------------------------------------------------------


def side_of_line(line: LineString, lon: float, lat: float) -> Literal["left", "right", "on"]:
    """Which side of ``line`` (walked first to last vertex) the point ``(lon, lat)`` lies on.

    The line (densified in degrees) is projected to an azimuthal equidistant plane centred on the
    point, so distances from the point are true; the nearest segment decides through the sign of
    the cross product.
    Where the nearest point is a vertex, the tangent there is the sum of the two unit segment
    directions: with a single segment's direction a point outside a sharp (> 90 degree) bend
    would get the wrong sign. A point beyond an end is judged against the extended end segment.

    >>> line = LineString([(37.0, 49.0), (37.0, 48.0)])  # walking south
    >>> side_of_line(line, 37.5, 48.5), side_of_line(line, 36.5, 48.5)
    ('left', 'right')
    """
    aeqd = CRS.from_proj4(f"+proj=aeqd +lat_0={lat} +lon_0={lon} +ellps=WGS84 +units=m")
    to_m = Transformer.from_crs("EPSG:4326", aeqd, always_xy=True)
    # Densify in degrees: a 36 km segment straight in lon/lat bows ~40 m off its projected chord,
    # and the rest of the system takes segments as straight in lon/lat.
    dense = shapely.segmentize(line, _DENSIFY_DEG)
    xy = np.column_stack(to_m.transform(*shapely.get_coordinates(dense).T))
    keep = np.r_[True, np.any(np.diff(xy, axis=0) != 0.0, axis=1)]  # drop repeated vertices
    xy = xy[keep]
    if len(xy) < 2:
        raise ValueError("the line needs at least two distinct vertices")
    a, d = xy[:-1], np.diff(xy, axis=0)
    t = np.clip(-np.einsum("ij,ij->i", a, d) / np.einsum("ij,ij->i", d, d), 0.0, 1.0)
    nearest = a + t[:, None] * d  # the point itself is the origin
    dist = np.hypot(nearest[:, 0], nearest[:, 1])
    i = int(np.argmin(dist))
    if dist[i] < 1e-3:  # within a millimetre: on the line
        return "on"
    unit = d / np.hypot(d[:, 0], d[:, 1])[:, None]
    if t[i] == 0.0 and i > 0:
        tangent = unit[i - 1] + unit[i]
    elif t[i] == 1.0 and i < len(d) - 1:
        tangent = unit[i] + unit[i + 1]
    else:
        tangent = unit[i]
    v = -nearest[i]
    cross = float(tangent[0] * v[1] - tangent[1] * v[0])
    return "left" if cross > 0 else "right" if cross < 0 else "on"


# --- zone geometry ----------------------------------------------------------------------------


def local_crs(agreement: Agreement) -> CRS:
    """A transverse Mercator centred on the line: scale error ~0.06% at 3 degrees off.

    Centred on the line, not the declared area: the bands are buffers of the line, and an area
    drawn wide (the demo's reaches Lviv) would put the line's far end 6 degrees off centre.
    """
    centre = agreement.line.centroid
    return CRS.from_proj4(
        f"+proj=tmerc +lat_0={centre.y:.6f} +lon_0={centre.x:.6f} +k=1 +ellps=WGS84 +units=m"
    )


def _reproject(geom: BaseGeometry, tf: Transformer) -> BaseGeometry:
    def fn(x: np.ndarray[Any, Any], y: np.ndarray[Any, Any]) -> tuple[Any, Any]:
        return tf.transform(x, y)

    return shapely.transform(geom, fn, interleaved=False)


def _as_zone_geometry(geom: BaseGeometry) -> ZoneGeometry:
    """Keep the polygonal part (a clip can leave slivers of lines or points)."""
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    parts = [g for g in getattr(geom, "geoms", ()) if isinstance(g, Polygon) and not g.is_empty]
    return MultiPolygon(parts)


def _extended(xy: np.ndarray[Any, Any], by: float) -> LineString:
    """The polyline ``xy`` with both end segments carried on by ``by`` metres."""
    head, tail = xy[0] - xy[1], xy[-1] - xy[-2]
    start = xy[0] + head / np.hypot(*head) * by
    end = xy[-1] + tail / np.hypot(*tail) * by
    return LineString(np.vstack([start, xy, end]))


def _beyond_end(end: np.ndarray[Any, Any], inner: np.ndarray[Any, Any], width: float) -> Polygon:
    """The half disc of radius ``width`` past ``end`` of the segment ``inner`` -> ``end``."""
    u = (end - inner) / np.hypot(*(end - inner))
    n = np.array([-u[1], u[0]]) * 2 * width
    half_plane = Polygon([end + n, end + n + 2 * width * u, end - n + 2 * width * u, end - n])
    return shapely.Point(end).buffer(width, quad_segs=_QUAD_SEGS).intersection(half_plane)


def _band(
    segments: list[np.ndarray[Any, Any]], width: float, side: Literal["left", "right"]
) -> BaseGeometry:
    """Points within ``width`` of a line on ``side``, in the metric plane, with flat ends.

    ``segments`` holds each original segment of the line, densified. The band is the line's
    buffer with flat ends - the round buffer less what lies past an end and is nearer that end
    than any other part of the line - cut by the line with its end segments carried on (as
    :func:`side_of_line` judges).
    GEOS's flat cap is not used: it is one straight cut across the whole width, which slices
    off the band of a line that turns sharply just after its end (the demo line at Vovchansk),
    and bands of different widths then fail to nest.
    """
    xy = np.vstack([segments[0][:1], *(seg[1:] for seg in segments)])
    body = LineString(xy).buffer(width, quad_segs=_QUAD_SEGS)
    for end, inner, rest in (
        (segments[0][0], segments[0][1], segments[1:]),
        (segments[-1][-1], segments[-1][-2], segments[:-1]),
    ):
        # 1% wider than the band: the cap's arc then lies wholly inside, instead of leaving
        # slivers where two polygonal approximations of the same circle disagree
        past = _beyond_end(end, inner, width * 1.01)
        if rest:
            # Only what is nearer this end than any other part of the line is cut: a point
            # past the end but nearer an earlier stretch is inside by that stretch (the rule
            # ceasefire.geo.engine applies point by point). The Voronoi cell of the end among the
            # densified vertices is that region, to within the densification step.
            cells = shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=past)
            parts = shapely.get_parts(cells)
            mine = parts[shapely.contains_xy(parts, end[0], end[1])]
            past = past.intersection(mine[0]) if mine.size else past
        body = body.difference(past)
    sign = 1.0 if side == "left" else -1.0  # shapely: positive single-sided distance = left
    one_sided = _extended(xy, width + 1000.0).buffer(
        sign * width, quad_segs=_QUAD_SEGS, single_sided=True
    )
    return one_sided.intersection(body)


def _metric_segments(line: LineString, to_m: Transformer) -> list[np.ndarray[Any, Any]]:
    """Each segment of ``line`` densified in degrees and projected to metres.

    Densify first: the rest of the system treats a segment as straight in lon/lat, and a band's
    inner rim must follow that line, not a projected chord (~100 m off over a 40 km segment).
    """
    coords = shapely.get_coordinates(line)
    out = []
    for a, b in itertools.pairwise(coords):
        piece = shapely.get_coordinates(shapely.segmentize(LineString([a, b]), _DENSIFY_DEG))
        out.append(np.column_stack(to_m.transform(piece[:, 0], piece[:, 1])))
    return out


def zone_polygons(agreement: Agreement) -> dict[tuple[str, str | None], ZoneGeometry]:
    """Each zone's area in lon/lat, keyed by ``(zone name, party)``.

    A band zone gives one entry per party with a positive width: the points within that width
    of the party's line (:meth:`Agreement.line_for`) on the party's side, with flat ends (a
    one-sided buffer; nothing past the ends of the line). It is computed in a transverse
    Mercator centred on the agreement and taken back to lon/lat. A polygon zone is returned as given,
    keyed ``(name, None)``. Everything is clipped to the declared area when there is one.
    """
    to_m = Transformer.from_crs("EPSG:4326", local_crs(agreement), always_xy=True)
    to_deg = Transformer.from_crs(local_crs(agreement), "EPSG:4326", always_xy=True)
    lines_m: dict[str, list[np.ndarray[Any, Any]]] = {}
    out: dict[tuple[str, str | None], ZoneGeometry] = {}
    for zone in agreement.zones:
        if zone.polygon is not None:
            geom: BaseGeometry = zone.polygon
            key: tuple[str, str | None] = (zone.name, None)
            if agreement.area is not None:
                geom = geom.intersection(agreement.area)
            out[key] = _as_zone_geometry(geom)
            continue
        for party, width in zone.widths_m.items():
            if width <= 0:
                continue
            if party not in lines_m:
                lines_m[party] = _metric_segments(agreement.line_for(party), to_m)
            band = _band(lines_m[party], width, agreement.side_of(party))
            geom = _reproject(shapely.segmentize(band, _DENSIFY_M), to_deg)
            if agreement.area is not None:
                geom = geom.intersection(agreement.area)
            out[(zone.name, party)] = _as_zone_geometry(geom)
    return out


def area_km2(geom: BaseGeometry) -> float:
    """Geodesic area of a lon/lat polygon on the WGS 84 ellipsoid, in km²."""
    area, _ = _GEOD.geometry_area_perimeter(geom)
    return abs(float(area)) / 1e6


def format_duration(td: timedelta) -> str:
    """ISO 8601 duration with days, hours, minutes and seconds (``PT15M``, ``P1DT2H``).

    >>> format_duration(timedelta(minutes=15)), format_duration(timedelta(days=1, hours=2))
    ('PT15M', 'P1DT2H')
    """
    secs = td.total_seconds()
    days, rest = divmod(secs, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    time = "".join(
        f"{v:g}{unit}" for v, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if v
    )
    out = "P" + (f"{days:g}D" if days else "") + (f"T{time}" if time else "")
    return out if out != "P" else "PT0S"


def _line_info(line: LineString) -> dict[str, Any]:
    first, last = line.coords[0], line.coords[-1]
    return {
        "vertices": len(line.coords),
        "length_km": round(float(_GEOD.geometry_length(line)) / 1000, 1),
        "start": [round(first[0], 5), round(first[1], 5)],
        "end": [round(last[0], 5), round(last[1], 5)],
    }


def describe(agreement: Agreement) -> dict[str, Any]:
    """A JSON-able summary of an agreement (``ceasefire agreement show --json``).

    Widths are in km, durations are ISO 8601, times carry their offset.
    """
    a = agreement
    zones = []
    for z in a.zones:
        item: dict[str, Any] = {"name": z.name, "kind": z.kind}
        if z.polygon is not None:
            item["polygon_bounds"] = [round(v, 5) for v in z.polygon.bounds]
        else:
            item["widths_km"] = {p: w / 1000 for p, w in z.widths_m.items()}
        if z.weapon_classes:
            item["weapon_classes"] = list(z.weapon_classes)
        if z.min_calibre_mm is not None:
            item["min_calibre_mm"] = z.min_calibre_mm
        if z.description:
            item["description"] = z.description
        zones.append(item)
    return {
        "id": a.id,
        "version": a.version,
        "title": a.title,
        "effective_from": a.effective_from.isoformat(),
        "parties": dict(a.parties),
        # Only when set: an agreement without them is described (and registered) as before.
        **({"party_aliases": dict(sorted(a.party_aliases.items()))} if a.party_aliases else {}),
        **({"signed_parties": sorted(a.signed_parties)} if a.signed_parties else {}),
        "sides": {"left": a.left_party, "right": a.right_party},
        "anchors": {p: {"name": x.name, "lon": x.lon, "lat": x.lat} for p, x in a.anchors.items()},
        "line_of_contact": _line_info(a.line),
        "party_lines": {p: _line_info(line) for p, line in a.party_lines.items()},
        "area_bounds": None if a.area is None else [round(v, 5) for v in a.area.bounds],
        "areas_of_control": {
            p: {"bounds": [round(v, 5) for v in g.bounds], "km2": round(area_km2(g))}
            for p, g in a.areas.items()
        },
        "zones": zones,
        "prohibited_acts": [
            {
                "code": x.code,
                "description": x.description,
                "event_types": list(x.event_types),
                "zones": list(x.zones),
            }
            for x in a.prohibited_acts
        ],
        "hotline": {
            "acknowledge_within": format_duration(a.hotline.acknowledge_within),
            "answer_within": format_duration(a.hotline.answer_within),
            "line_check_every": format_duration(a.hotline.line_check_every),
            # Only when set: an agreement without it keeps the body it was registered with.
            **(
                {}
                if a.hotline.digest_threshold is None
                else {"digest_threshold": a.hotline.digest_threshold}
            ),
        },
        # Only when set: an agreement without it keeps the body it was registered with.
        **({} if a.reporting == ReportingDay() else {"reporting": a.reporting.describe()}),
        "approximate": a.approximate,
        "notes": a.notes,
        "source": None if a.source is None else str(a.source),
    }
