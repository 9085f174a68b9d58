"""The theatre: the line in metres, settlements by side, cities, regions, source names, and
the agreement's zone widths as the simulator uses them.

Geometry uses a local transverse Mercator (centred at 35 E, 48 N; scale error < 0.2 % over the
theatre) and shapely; walking the line from its first vertex to its last, RU holds the left
side, UA the right (array codes 0 and 1, as :data:`~ceasefire.sim.config.PARTIES`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import Transformer
from scipy.spatial import cKDTree
from shapely.geometry import LineString

from ceasefire.agreement.load import demo_agreement_path, load_agreement
from ceasefire.agreement.model import Agreement
from ceasefire.errors import InputError, Problem
from ceasefire.geo.gazetteer import load_gazetteer
from ceasefire.sim.config import F64, I64, PARTIES
from ceasefire.vocab import EVENT_TYPES, WEAPON_CLASSES

#: Deep-strike targets: (display name, GeoNames name, holder, weight among the holder's cities).
CITIES: Final = (
    ("Kharkiv", "Kharkiv", "UA", 6.0),
    ("Zaporizhzhia", "Zaporizhzhya", "UA", 4.0),
    ("Dnipro", "Dnipro", "UA", 3.0),
    ("Odesa", "Odesa", "UA", 3.0),
    ("Kyiv", "Kyiv", "UA", 3.0),
    ("Sumy", "Sumy", "UA", 3.0),
    ("Kramatorsk", "Kramatorsk", "UA", 2.0),
    ("Sloviansk", "Slovyansk", "UA", 2.0),
    ("Kherson", "Kherson", "UA", 3.0),
    ("Mykolaiv", "Mykolayiv", "UA", 2.0),
    ("Belgorod", "Belgorod", "RU", 3.0),
    ("Kursk", "Kursk", "RU", 2.0),
    ("Donetsk", "Donetsk", "RU", 3.0),
    ("Luhansk", "Luhansk", "RU", 1.0),
    ("Melitopol", "Melitopol", "RU", 1.0),
    ("Horlivka", "Horlivka", "RU", 2.0),
)
#: Sectors where most shelling falls (GeoNames names, projected onto the line).
_HOT_SPOTS: Final = ("Kupyansk", "Chasiv Yar", "Toretsk", "Pokrovsk", "Hulyaypole", "Kherson")
_PARTY_NAMES: Final = (
    ("RU Ministry of Defence", "RU JCCC representative", "RU regional governor"),
    ("UA General Staff", "UA JCCC representative", "UA regional military administration"),
)
_OUTLETS: Final = (
    ("TASS", "RIA Novosti", "Izvestia", "Reuters"),
    ("Suspilne", "Ukrainska Pravda", "Kyiv Independent", "Reuters"),
)
_TMERC: Final = "+proj=tmerc +lat_0=48 +lon_0=35 +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m"


# --- the agreement's zones --------------------------------------------------------------------


@dataclass(frozen=True)
class _Bands:
    """The agreement's zone widths in metres, per side (index 0 = RU/left, 1 = UA/right).

    ``withdrawal`` holds one ``(weapon classes, min calibre or None, widths)`` per withdrawal
    zone that is a band along the line. Frozen and made of tuples, so it can key a cache.
    """

    dmz_m: tuple[float, float]
    withdrawal: tuple[tuple[tuple[str, ...], float | None, tuple[float, float]], ...]

    @classmethod
    def of(cls, agreement: Agreement) -> _Bands:
        """Read the widths; refuse an agreement the simulator cannot play out."""
        where = f"agreement {agreement.id}"
        if (agreement.left_party, agreement.right_party) != PARTIES:
            raise InputError(
                Problem(
                    where, "sides", f"the simulator needs {PARTIES[0]} left, {PARTIES[1]} right"
                )
            )
        dmz = [z for z in agreement.zones if z.kind == "dmz" and z.polygon is None]
        dmz_m = (0.0, 0.0)
        if dmz:  # more than one band DMZ: the widest reaches furthest
            dmz_m = _sides(max(dmz, key=lambda z: sum(_sides(z.widths_m))).widths_m)
        if min(dmz_m) <= 0:
            raise InputError(Problem(where, "zones", "the simulator needs a DMZ band on each side"))
        withdrawal = tuple(
            (tuple(z.weapon_classes), z.min_calibre_mm, _sides(z.widths_m))
            for z in agreement.zones
            if z.kind == "withdrawal" and z.polygon is None
        )
        return cls(dmz_m, withdrawal)

    def barred_m(self, wclass: str, calibre: float | None, side: int) -> float:
        """How far from the line ``wclass`` is barred on ``side`` (m; 0 where it is not).

        A zone with a minimum calibre bars only weapons of known calibre at or above it. Where
        several zones bar a weapon, the widest counts: anywhere inside it is a violation.
        """
        return max(
            (
                widths[side]
                for classes, min_cal, widths in self.withdrawal
                if wclass in classes and (min_cal is None or (calibre or 0) >= min_cal)
            ),
            default=0.0,
        )


def _sides(widths_m: Mapping[str, float]) -> tuple[float, float]:
    return (float(widths_m.get(PARTIES[0], 0.0)), float(widths_m.get(PARTIES[1], 0.0)))


@lru_cache(maxsize=1)
def _demo_agreement() -> Agreement:
    return load_agreement(demo_agreement_path())


def _setup(line: LineString | None, agreement: Agreement | None) -> tuple[_Theatre, _Bands]:
    """The theatre and zone widths of a run: the agreement's line unless ``line`` is given."""
    agreement = agreement if agreement is not None else _demo_agreement()
    return _theatre(line if line is not None else agreement.line), _Bands.of(agreement)


# --- the theatre ---------------------------------------------------------------------------


class _Theatre:
    def __init__(self, line: LineString) -> None:
        if not isinstance(line, LineString) or len(line.coords) < 2 or line.length == 0:
            raise InputError(Problem("simulation", "line", "needs a LineString of 2+ points"))
        self.fwd = Transformer.from_crs("EPSG:4326", _TMERC, always_xy=True)
        self.inv = Transformer.from_crs(_TMERC, "EPSG:4326", always_xy=True)
        lon, lat = np.asarray(line.coords, dtype=np.float64)[:, :2].T
        self.line = LineString(np.column_stack(self.fwd.transform(lon, lat)))
        shapely.prepare(self.line)
        self.length = float(self.line.length)

        g = load_gazetteer()
        keep = np.flatnonzero(np.isin(g.country, PARTIES))
        self.names = [_safe(str(n)) for n in g.name[keep]]
        self.lon, self.lat = g.lon[keep], g.lat[keep]
        x, y = self.fwd.transform(self.lon, self.lat)
        self.xy = np.column_stack([x, y])
        side, _, _ = self.side_of(x, y)
        # Russia proper is RU-held; beyond the line's ends Crimea is RU-held, the rest UA.
        crimea = np.isin(g.admin1[keep], ("Crimea", "Sevastopol"))
        default = np.where((g.country[keep] == "RU") | crimea, 0, 1)
        side = np.where((side < 0) | (g.country[keep] == "RU"), default, side)
        self.side = side.astype(np.int8)
        self.by_side = [np.flatnonzero(self.side == s) for s in (0, 1)]
        self.trees = [cKDTree(self.xy[i]) for i in self.by_side]

        regions, self.region_of = np.unique(g.admin1[keep], return_inverse=True)
        self.region_names = [_safe(str(r)) for r in regions]
        cx = np.bincount(self.region_of, weights=x) / np.bincount(self.region_of)
        cy = np.bincount(self.region_of, weights=y) / np.bincount(self.region_of)
        spread = np.hypot(x - cx[self.region_of], y - cy[self.region_of])
        # A region-level place means "somewhere in the oblast": the radius covers all of it.
        self.region_radius = np.zeros(len(regions))
        np.maximum.at(self.region_radius, self.region_of, spread)
        self.region_lon, self.region_lat = self.inv.transform(cx, cy)

        index = {str(n): i for i, n in reversed(list(enumerate(g.name[keep])))}  # most populous
        self.city = np.array([index[c[1]] for c in CITIES])
        for (display, *_), i in zip(CITIES, self.city, strict=True):
            self.names[i] = display
        self.city_side = np.array([PARTIES.index(c[2]) for c in CITIES], dtype=np.int8)
        self.city_weight = np.array([c[3] for c in CITIES])
        pop = g.population[keep][self.city].astype(np.float64)
        self.city_sigma = 1000.0 + 3000.0 * np.sqrt(pop / 1.5e6)  # bigger city, wider spread
        hot = np.array([index[h] for h in _HOT_SPOTS])
        self.hot_s = shapely.line_locate_point(self.line, shapely.points(self.xy[hot]))

        # Source names; fixed ones (cameras, arrays, patrol sectors) are tied to a stretch of line.
        self.source_names: list[str] = []
        self.name_base: dict[str, int] = {}
        self.name_span: dict[str, float] = {}
        for key, fmt, span in (
            ("camera", "camera C-{:02d}", 15_000.0),
            ("patrol", "patrol team {:02d}", 60_000.0),
            ("acoustic", "acoustic array A-{:02d}", 25_000.0),
            ("seismic", "seismic station S-{:02d}", 25_000.0),
        ):
            self.name_base[key], self.name_span[key] = len(self.source_names), span
            n = int(self.length // span) + 1
            self.source_names += [fmt.format(i + 1) for i in range(n)]
        for key, names in (
            ("uav", ("UAV long-range", "UAV mid-range", "UAV mini")),
            ("party0", _PARTY_NAMES[0]),
            ("party1", _PARTY_NAMES[1]),
            ("news0", _OUTLETS[0]),
            ("news1", _OUTLETS[1]),
        ):
            self.name_base[key] = len(self.source_names)
            self.source_names += list(names)
        self.sensor_notes = np.array(
            [_sensor_note(e, w) for e in EVENT_TYPES for w in (None, *WEAPON_CLASSES)],
            dtype=object,
        )

    def side_of(self, x: F64, y: F64) -> tuple[npt.NDArray[np.int8], F64, F64]:
        """(side code, or -1 where the nearest point is an end of the line; distance; along)."""
        pts = shapely.points(x, y)
        s = shapely.line_locate_point(self.line, pts)
        dist = shapely.distance(self.line, pts)
        a = shapely.get_coordinates(shapely.line_interpolate_point(self.line, s - 1.0))
        b = shapely.get_coordinates(shapely.line_interpolate_point(self.line, s + 1.0))
        cross = (b[:, 0] - a[:, 0]) * (y - a[:, 1]) - (b[:, 1] - a[:, 1]) * (x - a[:, 0])
        side = np.where(cross > 0, 0, 1).astype(np.int8)  # left of the walk is RU
        side[(s <= 1.0) | (s >= self.length - 1.0)] = -1
        return side, np.asarray(dist, dtype=np.float64), np.asarray(s, dtype=np.float64)

    def offset(self, s: F64, side: npt.NDArray[Any], d: F64) -> tuple[F64, F64]:
        """Points ``d`` m from the line at ``s``, on ``side`` (along the normal at ``s``)."""
        a = shapely.get_coordinates(shapely.line_interpolate_point(self.line, s - 50.0))
        b = shapely.get_coordinates(shapely.line_interpolate_point(self.line, s + 50.0))
        p = shapely.get_coordinates(shapely.line_interpolate_point(self.line, s))
        t = (b - a) / np.maximum(np.hypot(*(b - a).T), 1e-9)[:, None]
        sign = np.where(side == 0, 1.0, -1.0) * d  # left normal (-ty, tx) points to RU
        return p[:, 0] - t[:, 1] * sign, p[:, 1] + t[:, 0] * sign

    def place(
        self, rng: np.random.Generator, side: npt.NDArray[Any], d: F64, hot: float
    ) -> tuple[F64, F64]:
        """Points at distance <= ``d`` from the line on ``side``, on land, off the line's ends.

        Drawn by rejection: a candidate on the wrong side (a bend), past an end, or more than
        12 km from any settlement of that side (sea, or a border) is drawn again.
        """
        n = len(d)
        x, y, d = np.zeros(n), np.zeros(n), d.astype(np.float64).copy()
        todo = np.arange(n)
        for attempt in range(400):
            if todo.size == 0:
                return x, y
            m = todo.size
            s = rng.uniform(2000.0, self.length - 2000.0, m)
            near = rng.random(m) < hot
            centre = self.hot_s[rng.integers(0, len(self.hot_s), m)]
            s = np.where(near, np.clip(centre + rng.normal(0, 15_000.0, m), 0, self.length), s)
            cx, cy = self.offset(s, side[todo], d[todo])
            got, _, _ = self.side_of(cx, cy)
            ok = got == side[todo]
            for sd in (0, 1):
                sel = np.flatnonzero(side[todo] == sd)
                if sel.size:
                    dd, _ = self.trees[sd].query(np.column_stack([cx[sel], cy[sel]]))
                    ok[sel] &= dd < 12_000.0
            x[todo[ok]], y[todo[ok]] = cx[ok], cy[ok]
            todo = todo[~ok]
            if attempt >= 30:  # a point that keeps failing (a narrow spit): bring it closer
                d[todo] *= 0.9
        raise InputError(Problem("simulation", "line", "cannot place events along this line"))

    def town(self, x: F64, y: F64, side: npt.NDArray[Any]) -> I64:
        """Nearest settlement on ``side`` (the place a party or a patrol names)."""
        out = np.zeros(len(x), dtype=np.int64)
        for sd in (0, 1):
            sel = np.flatnonzero(side == sd)
            if sel.size:
                _, j = self.trees[sd].query(np.column_stack([x[sel], y[sel]]))
                out[sel] = self.by_side[sd][j]
        return out


@lru_cache(maxsize=2)
def _theatre(line: LineString) -> _Theatre:
    return _Theatre(line)


def _safe(s: str) -> str:
    """A name that can sit inside a JSON string unescaped (no quotes, backslashes, controls)."""
    return "".join(c for c in s if c not in '"\\' and c >= " ")


def _sensor_note(etype: str, wclass: str | None) -> str:
    what = {
        "shelling": "Acoustic detection of an impact",
        "explosion": "Acoustic detection of an explosion",
        "drone_overflight": "Acoustic detection of a drone engine",
        "military_movement": "Seismic detection of vehicle movement",
    }.get(etype, "Sensor detection")
    suspect = f"{wclass.replace('_', ' ')} suspected" if wclass not in (None, "unknown") else None
    return f"{what}; {suspect or 'weapon not identified'}."
