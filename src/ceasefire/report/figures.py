"""The daily report's figures as SVG text, drawn in Python: a map and two bar charts.

No plotting library and no network: the map draws the agreement's line of contact, its DMZ and
withdrawal zones (:func:`ceasefire.agreement.model.zone_polygons`, the polygons the judge
measures against) and the period's violations (the annex rows that have a place), in an
equirectangular projection scaled by cos(latitude) at the middle of the map, fitted to the
line and the violations; with a scale bar and a legend. The charts set each oblast's (party's)
violations against the previous period's.

The same data gives the same text: coordinates are written with one decimal (a tenth of a
pixel), nothing depends on the machine, the clock or a random seed. The HTML inlines these
SVGs and the PDF embeds them (Typst reads SVG), so both show the same figures. Text taken from
the data (place names, party codes, incident ids) is escaped: it may come from a hostile party.
"""

from __future__ import annotations

import math
import re
import weakref
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any, Final

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from ceasefire.agreement.model import Agreement, ZoneGeometry, zone_polygons

#: Width of every figure in SVG user units (px); the PDF scales it to the text width.
WIDTH: Final = 720
#: The map's tallest drawing area (px), so a long north-south line still fits a page.
_MAP_MAX_HEIGHT: Final = 560
_PAD: Final = 12
#: Kilometres per degree of latitude (WGS 84 mean); the scale bar needs no more precision
#: than a pixel.
_KM_PER_DEG: Final = 111.32
#: Fonts Typst embeds (the PDF draws SVG text with its own fonts), then the browser's.
_FONT: Final = "Libertinus Serif, DejaVu Serif, serif"
_STATUS_COLOURS: Final = {
    "verified": "#08306b",
    "corroborated": "#2171b5",
    "reported": "#9ecae1",
}
_OTHER_STATUS: Final = "#969696"
_DMZ: Final = "#d62728"
#: Withdrawal zones, widest first: the wider the zone, the lighter.
_WITHDRAWAL: Final = ("#fff1d6", "#fde0a8", "#fcc874", "#f9a83f")
_NOW, _BEFORE = "#b2182b", "#bababa"
#: Characters XML 1.0 forbids (the SVG must parse, in a browser and in Typst).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

_zones_cache: list[tuple[weakref.ref[Agreement], dict[tuple[str, str | None], ZoneGeometry]]] = []


def text(value: Any, limit: int | None = None) -> str:
    """``value`` as SVG text: shortened to ``limit`` characters, escaped, no forbidden
    characters."""
    s = _NOT_XML.sub("\ufffd", str(value))
    if limit is not None and len(s) > limit:
        s = s[: limit - 1] + "…"
    return escape(s, quote=True)


def _f(v: float) -> str:
    """A coordinate with one decimal (``-0.0`` written as ``0.0``)."""
    return f"{v + 0.0:.1f}"


def _zones(agreement: Agreement) -> dict[tuple[str, str | None], ZoneGeometry]:
    """The agreement's zone polygons, kept for the last agreement drawn (0.3 s for the demo's:
    the HTML and the PDF of one report draw the same)."""
    for ref, zones in _zones_cache:
        if ref() is agreement:
            return zones
    zones = zone_polygons(agreement)
    _zones_cache[:] = [(weakref.ref(agreement), zones)]
    return zones


def points(annex: Iterable[Mapping[str, Any]]) -> list[tuple[float, float, Mapping[str, Any]]]:
    """The annex rows that have a place, as ``(lon, lat, row)``.

    >>> [p[:2] for p in points([{"lon": 37.5, "lat": 48.0}, {"lon": None, "lat": None}])]
    [(37.5, 48.0)]
    """
    out = []
    for row in annex:
        try:
            x, y = float(row["lon"]), float(row["lat"])
        except (KeyError, TypeError, ValueError):
            continue  # no place (null), or not a number: the annex still lists the row
        if math.isfinite(x) and math.isfinite(y) and -180 <= x <= 180 and -90 <= y <= 90:
            out.append((x, y, row))
    return out


class _Projection:
    """lon/lat -> px: x scaled by cos(middle latitude), y down, fitted into the drawing area."""

    def __init__(self, bounds: tuple[float, float, float, float]) -> None:
        lon0, lat0, lon1, lat1 = bounds
        # at least half a degree each way, and a margin of 4%: points on the edge stay whole
        dx, dy = max(lon1 - lon0, 0.5), max(lat1 - lat0, 0.5)
        cx, cy = (lon0 + lon1) / 2, (lat0 + lat1) / 2
        dx, dy = dx * 1.08, dy * 1.08
        self.lon0, self.lat1 = cx - dx / 2, cy + dy / 2
        self.lon1, self.lat0 = cx + dx / 2, cy - dy / 2
        self.k = math.cos(math.radians(cy))
        inner = WIDTH - 2 * _PAD
        self.scale = min(inner / (dx * self.k), _MAP_MAX_HEIGHT / dy)  # px per degree of lat
        self.width = dx * self.k * self.scale
        self.height = dy * self.scale
        self.left = _PAD + (inner - self.width) / 2

    def xy(self, lon: Any, lat: Any) -> tuple[Any, Any]:
        return (
            self.left + (lon - self.lon0) * self.k * self.scale,
            _PAD + (self.lat1 - lat) * self.scale,
        )

    def path(self, geom: BaseGeometry) -> str:
        """An SVG path of a (multi)polygon or (multi)line, clipped to the map."""
        geom = shapely.clip_by_rect(geom, self.lon0, self.lat0, self.lon1, self.lat1)
        # half a pixel: finer detail cannot be seen, and the demo's zones drop from 20,000
        # vertices to a few hundred
        geom = shapely.simplify(geom, 0.5 / self.scale, preserve_topology=True)
        out: list[str] = []
        for part in shapely.get_parts(geom):
            closed = part.geom_type == "Polygon"
            rings = shapely.get_rings(part) if closed else [part]
            for ring in rings:
                coords = shapely.get_coordinates(ring)
                if len(coords) < 2:
                    continue
                x, y = self.xy(coords[:, 0], coords[:, 1])
                pairs = [f"{_f(a)} {_f(b)}" for a, b in zip(x.tolist(), y.tolist(), strict=True)]
                out.append("M" + " L".join(pairs) + (" Z" if closed else ""))
        return " ".join(out)


def _nice_km(max_km: float) -> int:
    """The longest 1, 2 or 5 times a power of ten up to ``max_km`` (at least 1)."""
    best = 1
    for exp in range(0, 5):
        for m in (1, 2, 5):
            if m * 10**exp <= max_km:
                best = m * 10**exp
    return best


def map_svg(data: Mapping[str, Any], agreement: Agreement) -> str:
    """The map: zones, the line, one marker per annex row with a place (see the module
    docstring). Each marker is a ``circle`` of class ``incident`` with its ``data-lon`` and
    ``data-lat``."""
    located = points(data.get("annex") or ())
    lon0, lat0, lon1, lat1 = agreement.line.bounds
    if located:
        lons = np.array([p[0] for p in located])
        lats = np.array([p[1] for p in located])
        lon0, lon1 = min(lon0, float(lons.min())), max(lon1, float(lons.max()))
        lat0, lat1 = min(lat0, float(lats.min())), max(lat1, float(lats.max()))
    pj = _Projection((lon0, lat0, lon1, lat1))
    zones = _zones(agreement)
    kinds = {z.name: z.kind for z in agreement.zones}
    areas: dict[str, float] = {}
    for (name, _), geom in zones.items():
        areas[name] = areas.get(name, 0.0) + float(geom.area)
    withdrawal = sorted((n for n in areas if kinds[n] != "dmz"), key=lambda n: (-areas[n], n))
    colours = {n: _WITHDRAWAL[min(i, len(_WITHDRAWAL) - 1)] for i, n in enumerate(withdrawal)}
    colours.update({n: _DMZ for n in areas if kinds[n] == "dmz"})
    order = [*withdrawal, *sorted(n for n in areas if kinds[n] == "dmz")]

    legend: list[tuple[str, str]] = [(f"zone:{n}", n) for n in order]
    legend.append(("line", "line of contact"))
    statuses = sorted({str(p[2].get("status", "")) for p in located})
    legend += [(f"status:{s}", f"violation, {s}") for s in statuses]
    rows = math.ceil(len(legend) / 3)
    map_h = pj.height + 2 * _PAD
    height = map_h + rows * 18 + 8

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{_f(height)}" '
        f'viewBox="0 0 {WIDTH} {_f(height)}" font-family="{_FONT}" font-size="11" '
        'role="img" aria-label="Map of the violations of the period">',
        f'<rect x="{_f(pj.left)}" y="{_PAD}" width="{_f(pj.width)}" height="{_f(pj.height)}" '
        'fill="#f7fbff" stroke="#636363" stroke-width="0.8"/>',
    ]
    for name in order:
        d = " ".join(pj.path(g) for (n, _), g in sorted(zones.items(), key=str) if n == name)
        if d:
            dmz = kinds[name] == "dmz"
            out.append(
                f'<path class="zone" data-zone="{text(name)}" d="{d}" fill="{colours[name]}" '
                f'fill-opacity="{"0.35" if dmz else "0.8"}" fill-rule="evenodd" stroke="none"/>'
            )
    for code, line in sorted(agreement.party_lines.items()):
        out.append(
            f'<path class="party-line" data-party="{text(code)}" d="{pj.path(line)}" '
            'fill="none" stroke="#525252" stroke-width="1" stroke-dasharray="4 3"/>'
        )
    out.append(
        f'<path class="line" d="{pj.path(agreement.line)}" fill="none" stroke="#000000" '
        'stroke-width="1.6"/>'
    )
    for lon, lat, row in located:
        x, y = pj.xy(lon, lat)
        status = str(row.get("status", ""))
        out.append(
            f'<circle class="incident" cx="{_f(x)}" cy="{_f(y)}" r="3.5" '
            f'fill="{_STATUS_COLOURS.get(status, _OTHER_STATUS)}" stroke="#ffffff" '
            f'stroke-width="0.8" data-incident="{text(row.get("incident", ""))}" '
            f'data-lon="{lon:.5f}" data-lat="{lat:.5f}"><title>'
            f"{text(row.get('incident', ''))} {text(row.get('place') or '')}</title></circle>"
        )
    # the scale bar: a round length of at most a quarter of the map, at the middle latitude
    px_per_km = pj.scale / _KM_PER_DEG
    km = _nice_km(pj.width / 4 / px_per_km)
    bx, by, bw = pj.left + 10, _PAD + pj.height - 14, km * px_per_km
    out.append(
        f'<g class="scale-bar"><rect x="{_f(bx - 4)}" y="{_f(by - 14)}" width="{_f(bw + 8)}" '
        f'height="22" fill="#ffffff" fill-opacity="0.8"/>'
        f'<path d="M{_f(bx)} {_f(by - 4)} L{_f(bx)} {_f(by)} L{_f(bx + bw)} {_f(by)} '
        f'L{_f(bx + bw)} {_f(by - 4)}" fill="none" stroke="#000000" stroke-width="1.2"/>'
        f'<text x="{_f(bx + bw / 2)}" y="{_f(by - 5)}" text-anchor="middle">{km} km</text></g>'
    )
    out.append(_legend(legend, colours, map_h))
    out.append("</svg>")
    return "\n".join(out)


def _legend(entries: Sequence[tuple[str, str]], colours: Mapping[str, str], top: float) -> str:
    out = ['<g class="legend">']
    col_w = (WIDTH - 2 * _PAD) / 3
    for i, (key, label) in enumerate(entries):
        x = _PAD + (i % 3) * col_w
        y = top + 4 + (i // 3) * 18
        what, _, name = key.partition(":")
        if what == "zone":
            opacity = "0.35" if colours[name] == _DMZ else "0.8"
            out.append(
                f'<rect x="{_f(x)}" y="{_f(y)}" width="16" height="11" fill="{colours[name]}" '
                f'fill-opacity="{opacity}" stroke="#636363" stroke-width="0.5"/>'
            )
        elif what == "line":
            out.append(
                f'<path d="M{_f(x)} {_f(y + 5.5)} L{_f(x + 16)} {_f(y + 5.5)}" '
                'stroke="#000000" stroke-width="1.6"/>'
            )
        else:
            colour = _STATUS_COLOURS.get(name, _OTHER_STATUS)
            out.append(f'<circle cx="{_f(x + 8)}" cy="{_f(y + 5.5)}" r="3.5" fill="{colour}"/>')
        out.append(f'<text x="{_f(x + 22)}" y="{_f(y + 10)}">{text(label, 40)}</text>')
    out.append("</g>")
    return "".join(out)


def bars_svg(title: str, rows: Sequence[tuple[str, int, int]]) -> str:
    """Grouped horizontal bars: per label, this period's count (dark) over the previous
    period's (grey), each with its number."""
    label_w, bar_h, group_h, top = 170.0, 9.0, 26.0, 30.0
    height = top + group_h * len(rows) + 8
    largest = max([1, *(max(now, before) for _, now, before in rows)])
    span = WIDTH - label_w - 2 * _PAD - 40
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{_f(height)}" '
        f'viewBox="0 0 {WIDTH} {_f(height)}" font-family="{_FONT}" font-size="11" '
        f'role="img" aria-label="{text(title)}">',
        f'<text x="{_PAD}" y="14" font-size="12" font-weight="bold">{text(title)}</text>',
        f'<rect x="{_f(WIDTH - 250)}" y="5" width="11" height="11" fill="{_NOW}"/>'
        f'<text x="{_f(WIDTH - 234)}" y="14">this period</text>'
        f'<rect x="{_f(WIDTH - 140)}" y="5" width="11" height="11" fill="{_BEFORE}"/>'
        f'<text x="{_f(WIDTH - 124)}" y="14">previous period</text>',
    ]
    x0 = _PAD + label_w
    for i, (label, now, before) in enumerate(rows):
        y = top + i * group_h
        out.append(
            f'<g class="bar-group"><text x="{_f(x0 - 6)}" y="{_f(y + bar_h + 3)}" '
            f'text-anchor="end">{text(label, 28)}</text>'
        )
        for j, (value, colour) in enumerate(((now, _NOW), (before, _BEFORE))):
            w = span * value / largest
            yy = y + j * bar_h
            out.append(
                f'<rect x="{_f(x0)}" y="{_f(yy)}" width="{_f(w)}" height="{_f(bar_h - 1)}" '
                f'fill="{colour}"/><text x="{_f(x0 + w + 4)}" y="{_f(yy + bar_h - 1.5)}" '
                f'font-size="9">{value:d}</text>'
            )
        out.append("</g>")
    out.append(
        f'<path d="M{_f(x0)} {_f(top - 4)} L{_f(x0)} {_f(height - 6)}" stroke="#636363" '
        'stroke-width="0.8"/></svg>'
    )
    return "\n".join(out)


def _counts(rows: Iterable[Mapping[str, Any]], key: str) -> list[tuple[str, int, int]]:
    return [
        (str(r.get(key) or "unattributed"), int(r.get("count") or 0), int(r.get("previous") or 0))
        for r in rows
    ]


def figures(data: Mapping[str, Any], agreement: Agreement) -> dict[str, str]:
    """The report's figures by name: ``map`` always; ``by_oblast`` and ``by_party`` when there
    are rows to chart."""
    out = {"map": map_svg(data, agreement)}
    oblasts = _counts(data.get("violations_by_oblast") or (), "oblast")
    if oblasts:
        out["by_oblast"] = bars_svg("Violations by oblast", oblasts)
    parties = _counts(data.get("violations_by_party") or (), "party")
    if parties:
        out["by_party"] = bars_svg("Violations by party held responsible", parties)
    return out
