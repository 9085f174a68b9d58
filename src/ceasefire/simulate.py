"""A simulated night along the demo line: true events and noisy reports of them.

The simulator exists to test fusion, geometry and the intake at realistic and at benchmark scale.
It draws *events* (what really happened) and, for each, the *reports* several kinds of source
would have filed, each with the errors typical of that kind:

=========  ==========================================================================
monitors   ``patrol`` / ``uav`` / ``camera``: few, accurate (tens to hundreds of m, minutes)
parties    ``party`` (RU / UA): report what hits them, town- or oblast-level places, tens of
           minutes off, sometimes exaggerate counts and casualties, a few claims are false
sensors    ``sensor`` (acoustic / seismic arrays along the line): many detections per event,
           hundreds of m to a few km off, seconds in time
news       ``osint``: late, oblast-level (or the city named), windows hours wide
=========  ==========================================================================

Output (:func:`write_simulation`) is two JSON Lines files: reports in the interchange format
(DESIGN section 5) and a truth file holding ``{"record": "event", ...}`` lines (every true event)
and ``{"record": "link", "report_id", "event_id", "fidelity"}`` lines (every report, ``event_id``
null for a false claim). Generation runs in chunks of :data:`EVENTS_PER_CHUNK` events, each a
consecutive slice of the night drawn from its own random stream ``(seed, chunk)``; chunking depends
on the config alone, so the in-memory :func:`simulate` and the streamed writer give the same rows
and the same seed gives byte-identical files. Within a chunk, reports are sorted by
``observed_from``, so the file is close to the order a live feed would arrive in.

Geometry uses a local transverse Mercator (centred at 35 E, 48 N; scale error < 0.2 % over the
theatre) and shapely; walking the line north to south, RU holds the left side, UA the right.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import Transformer
from scipy.spatial import cKDTree
from shapely.geometry import LineString, shape

from ceasefire.errors import InputError, Problem
from ceasefire.gazetteer import load_gazetteer
from ceasefire.vocab import EVENT_TYPES, PRECISIONS, SOURCE_KINDS, WEAPON_CLASSES

Cols = dict[str, npt.NDArray[Any]]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

#: The two parties; array code 0 is RU (left of the line), 1 is UA (right).
PARTIES: Final = ("RU", "UA")
#: Who submits reports: the mission (monitors, sensors, its media desk) or a party.
SUBMITTERS: Final = ("mission", "RU", "UA")
#: Weapon-withdrawal distances from the line (km) by class, per side, as in the demo agreement:
#: Minsk II's security zones are 50 / 70 / 140 km wide in total, each party withdrawing half.
WITHDRAWAL_KM: Final[dict[str, float]] = {
    "artillery": 25.0,
    "mlrs": 35.0,
    "heavy_mlrs": 70.0,
    "tactical_missile": 70.0,
}
#: Half-width of the demilitarised zone (km) either side of the line.
DMZ_KM: Final = 15.0
#: Median location error of a sensor detection at ``noise=1`` (m).
SENSOR_MEDIAN_ERROR_M: Final = 800.0
#: Rayleigh sigma of monitor location errors at ``noise=1`` (m).
MONITOR_SIGMA_M: Final[dict[str, float]] = {"camera": 400.0, "uav": 30.0, "patrol": 250.0}
#: Standard deviation of monitor time errors at ``noise=1`` (s).
MONITOR_SIGMA_S: Final[dict[str, float]] = {"camera": 20.0, "uav": 30.0, "patrol": 120.0}
#: Share of party (and news) reports that inflate counts and casualties.
EXAGGERATION_P: Final = 0.3
#: False party claims per true event.
FALSE_CLAIMS_PER_EVENT: Final = 0.02
#: Events per generation chunk; fixed so that chunking never depends on how output is consumed.
EVENTS_PER_CHUNK: Final = 20_000
#: Counts and casualties are capped here (a sanity bound, never reached by a realistic night).
INT_MAX: Final = 9999

#: Event families and the default night: 300 shellings, 40 deep strikes, 20 weapon sightings in
#: withdrawal zones, 10 DMZ incursions, 30 drone overflights.
FAMILIES: Final = ("shelling", "strike", "sighting", "dmz", "overflight")
DEFAULT_MIX: Final = (300, 40, 20, 10, 30)
_SHELL, _STRIKE, _SIGHT, _DMZ, _OVER = range(5)

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

#: Weapon models: (model, weapon class, calibre in mm or None).
MODELS: Final = (
    ("2S19 Msta-S", "artillery", 152),
    ("2A65 Msta-B", "artillery", 152),
    ("D-30", "artillery", 122),
    ("2S1 Gvozdika", "artillery", 122),
    ("2B11 Sani", "mortar", 120),
    ("2B14 Podnos", "mortar", 82),
    ("BM-21 Grad", "mlrs", 122),
    ("BM-27 Uragan", "heavy_mlrs", 220),
    ("M777", "artillery", 155),
    ("2S3 Akatsiya", "artillery", 152),
    ("M119", "artillery", 105),
    ("M120", "mortar", 120),
    ("RM-70 Vampire", "mlrs", 122),
    ("Shahed-136", "long_range_drone", None),
    ("Iskander-M", "ballistic_missile", None),
    ("Kh-101", "cruise_missile", None),
    ("Kh-59", "cruise_missile", None),
    ("Liutyi", "long_range_drone", None),
    ("UJ-22 Airborne", "long_range_drone", None),
    ("Storm Shadow", "cruise_missile", None),
    ("ATACMS", "tactical_missile", None),
    ("BM-30 Smerch", "heavy_mlrs", 300),
    ("M142 HIMARS", "heavy_mlrs", 227),
    ("Tochka-U", "tactical_missile", None),
    ("T-72B3", "tank", 125),
    ("T-64BV", "tank", 125),
    ("BMP-2", "armoured_vehicle", 30),
    ("BTR-82A", "armoured_vehicle", 30),
    ("M113", "armoured_vehicle", None),
    # The vocabulary has no reconnaissance-drone class; long_range_drone is the nearest.
    ("Orlan-10", "long_range_drone", None),
    ("ZALA 421-16", "long_range_drone", None),
    ("Leleka-100", "long_range_drone", None),
    ("Furia", "long_range_drone", None),
)
_MODEL = {m[0]: i for i, m in enumerate(MODELS)}

# What each party fires, per family: (event type, weapon class, model or None, weight).
_Arsenal = tuple[tuple[str, str, str | None, float], ...]


def _arsenal(etype: str, *entries: tuple[str, float]) -> _Arsenal:
    return tuple((etype, MODELS[_MODEL[m]][1], m, w) for m, w in entries)


_PRESENCE: Final[_Arsenal] = (("armed_presence", "small_arms", None, 3.0),)
_WEAPONS: Final[dict[tuple[int, int], _Arsenal]] = {
    (_SHELL, 0): _arsenal(
        "shelling",
        *[("2S19 Msta-S", 3), ("2A65 Msta-B", 2), ("D-30", 3), ("2S1 Gvozdika", 2)],
        *[("2B11 Sani", 3), ("2B14 Podnos", 2), ("BM-21 Grad", 2), ("BM-27 Uragan", 0.5)],
    ),
    (_SHELL, 1): _arsenal(
        "shelling",
        *[("M777", 2), ("2S3 Akatsiya", 2), ("D-30", 3), ("M119", 1)],
        *[("M120", 3), ("2B14 Podnos", 2), ("BM-21 Grad", 2), ("RM-70 Vampire", 1)],
    ),
    (_STRIKE, 0): _arsenal("drone_strike", ("Shahed-136", 6))
    + _arsenal("missile_strike", ("Iskander-M", 1.5), ("Kh-101", 1), ("Kh-59", 0.5)),
    (_STRIKE, 1): _arsenal("drone_strike", ("Liutyi", 4), ("UJ-22 Airborne", 2))
    + _arsenal("missile_strike", ("Storm Shadow", 0.7), ("ATACMS", 0.5)),
    (_SIGHT, 0): _arsenal(
        "weapon_sighting",
        *[("2S19 Msta-S", 3), ("D-30", 3), ("2A65 Msta-B", 2), ("BM-21 Grad", 2)],
        *[("BM-27 Uragan", 1), ("BM-30 Smerch", 0.5), ("Tochka-U", 0.5)],
    ),
    (_SIGHT, 1): _arsenal(
        "weapon_sighting",
        *[("M777", 3), ("2S3 Akatsiya", 2), ("D-30", 3), ("BM-21 Grad", 2)],
        *[("RM-70 Vampire", 1), ("M142 HIMARS", 0.5), ("Tochka-U", 0.5)],
    ),
    (_DMZ, 0): _PRESENCE
    + _arsenal("military_movement", ("BMP-2", 1.5), ("BTR-82A", 1), ("T-72B3", 0.7)),
    (_DMZ, 1): _PRESENCE
    + _arsenal("military_movement", ("BMP-2", 1), ("M113", 1), ("T-64BV", 0.7)),
    (_OVER, 0): _arsenal("drone_overflight", ("Orlan-10", 3), ("ZALA 421-16", 2)),
    (_OVER, 1): _arsenal("drone_overflight", ("Leleka-100", 3), ("Furia", 2)),
}

# Monitor detection probability per family (shelling, strike, sighting, dmz, overflight): cameras
# and UAVs watch the line, patrols also visit strike sites; weapon sightings are their core work.
_MONITOR_P: Final[dict[str, tuple[float, ...]]] = {
    "camera": (0.15, 0.05, 0.10, 0.30, 0.20),
    "uav": (0.06, 0.0, 0.50, 0.50, 0.05),
    "patrol": (0.05, 0.15, 0.35, 0.20, 0.10),
}
# Probability that the party hit (or, for sightings and incursions, the other party) reports.
_PARTY_P: Final = (0.55, 0.95, 0.30, 0.50, 0.35)
# Mean number of news items per event (shelling with casualties gets more, below).
_NEWS_RATE: Final = (0.03, 1.8, 0.01, 0.03, 0.03)
_PARTY_NAMES: Final = (
    ("RU Ministry of Defence", "RU JCCC representative", "RU regional governor"),
    ("UA General Staff", "UA JCCC representative", "UA regional military administration"),
)
_OUTLETS: Final = (
    ("TASS", "RIA Novosti", "Izvestia", "Reuters"),
    ("Suspilne", "Ukrainska Pravda", "Kyiv Independent", "Reuters"),
)
_TMERC: Final = "+proj=tmerc +lat_0=48 +lon_0=35 +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m"
_M_PER_DEG: Final = 111_195.0  # mean metres per degree of latitude (R = 6371 km)
_HOUR: Final = 3600


@dataclass(frozen=True)
class SimConfig:
    """What night to simulate.

    Parameters
    ----------
    seed
        Random seed; the same config gives byte-identical output.
    start
        Start of the night (timezone-aware; converted to UTC).
    hours
        Length of the night.
    n_events
        Number of true events; default the realistic night of :data:`DEFAULT_MIX` (400).
    n_reports
        Target number of reports (the scale knob): the night is given as many events as it takes
        to produce about this many reports (within ~1 %). Exclusive with ``n_events``.
    noise
        Scales every location and time error (0 gives exact reports, 2 twice the error).
    """

    seed: int = 7
    start: datetime = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
    hours: float = 12.0
    n_events: int | None = None
    n_reports: int | None = None
    noise: float = 1.0

    def __post_init__(self) -> None:
        problems = []
        if self.start.tzinfo is None:
            problems.append(Problem("simulation", "start", "needs a timezone (e.g. +00:00)"))
        if not (math.isfinite(self.hours) and self.hours > 0):
            problems.append(Problem("simulation", "hours", f"must be > 0, got {self.hours}"))
        if not (math.isfinite(self.noise) and self.noise >= 0):
            problems.append(Problem("simulation", "noise", f"must be >= 0, got {self.noise}"))
        for name in ("n_events", "n_reports"):
            value = getattr(self, name)
            if value is not None and value < 0:
                problems.append(Problem("simulation", name, f"must be >= 0, got {value}"))
        if self.n_events is not None and self.n_reports is not None:
            problems.append(Problem("simulation", "n_reports", "give n_events or n_reports"))
        if problems:
            raise InputError(problems)


@dataclass(frozen=True)
class SimStats:
    """What a simulation produced."""

    reports: int
    events: int
    false_claims: int
    seconds: float
    by_source: dict[str, int] = field(default_factory=dict)
    by_event_type: dict[str, int] = field(default_factory=dict)
    reports_path: str | None = None
    truth_path: str | None = None

    @property
    def reports_per_second(self) -> float:
        return self.reports / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**vars(self), "reports_per_second": round(self.reports_per_second)}

    def summary(self) -> str:
        """A few lines for a terminal."""
        lines = [
            f"{self.reports:,} reports of {self.events:,} events "
            f"({self.false_claims:,} false claims) in {self.seconds:.1f} s "
            f"({self.reports_per_second:,.0f} reports/s)",
            "reports by source: " + ", ".join(f"{k} {v:,}" for k, v in self.by_source.items()),
            "events by type:    " + ", ".join(f"{k} {v:,}" for k, v in self.by_event_type.items()),
        ]
        if self.reports_path:
            lines.append(f"wrote {self.reports_path} and {self.truth_path}")
        return "\n".join(lines)


@dataclass(frozen=True)
class Simulation:
    """A night in memory: the rows of both files, as dicts, in file order."""

    config: SimConfig
    events: list[dict[str, Any]]  # the truth file's event records (without "record")
    reports: list[dict[str, Any]]  # the reports file
    links: list[dict[str, Any]]  # the truth file's link records (without "record")
    stats: SimStats


def simulate(config: SimConfig | None = None, line: LineString | None = None) -> Simulation:
    """Simulate a night in memory (for tests and small runs).

    Parameters
    ----------
    config
        The night; default :class:`SimConfig()`.
    line
        Line of contact (lon/lat, RU on the left walking it); default the demo line.
    """
    config = config or SimConfig()
    started = time.perf_counter()
    events: list[dict[str, Any]] = []
    reports: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    counter = _Counter()
    for chunk in _chunks(config, line):
        events += _event_dicts(chunk)
        reports += _report_dicts(chunk)
        links += _link_dicts(chunk)
        counter.add(chunk)
    stats = counter.stats(time.perf_counter() - started)
    return Simulation(config, events, reports, links, stats)


def write_simulation(
    config: SimConfig,
    reports_path: str | Path,
    truth_path: str | Path,
    *,
    line: LineString | None = None,
    progress: Any = None,
) -> SimStats:
    """Write a night as JSON Lines, chunk by chunk (memory stays bounded at any size).

    Parameters
    ----------
    config
        The night.
    reports_path, truth_path
        Output files (replaced when the run completes).
    line
        Line of contact (lon/lat); default the demo line.
    progress
        A ``rich.progress.Progress`` (or anything with ``add_task`` / ``advance``), or None.
    """
    started = time.perf_counter()
    counter = _Counter()
    reports_path, truth_path = Path(reports_path), Path(truth_path)
    tmp_r, tmp_t = (
        reports_path.with_name(reports_path.name + ".part"),
        truth_path.with_name(truth_path.name + ".part"),
    )
    task = None
    with (
        tmp_r.open("w", encoding="utf-8", newline="\n") as fr,
        tmp_t.open("w", encoding="utf-8", newline="\n") as ft,
    ):
        chunks = _chunks(config, line)
        if progress is not None:
            task = progress.add_task("simulating", total=_chunk_count(config, line))
        for chunk in chunks:
            fr.write(_report_lines(chunk))
            ft.write(_event_lines(chunk))
            ft.write(_link_lines(chunk))
            counter.add(chunk)
            if progress is not None:
                progress.advance(task)
    tmp_r.replace(reports_path)
    tmp_t.replace(truth_path)
    return counter.stats(time.perf_counter() - started, str(reports_path), str(truth_path))


# ---------------------------------------------------------------------------------------------
# The theatre: the line in metres, settlements by side, cities, regions, source names.


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
        self.region_radius = np.array(
            [np.percentile(spread[self.region_of == r], 80) for r in range(len(regions))]
        )
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


@lru_cache(maxsize=1)
def _demo_line() -> LineString:
    path = files("ceasefire") / "data" / "demo" / "line_of_contact.geojson"
    import json

    doc = json.loads(path.read_text(encoding="utf-8"))
    geom = shape(doc["features"][0]["geometry"])
    assert isinstance(geom, LineString)
    return geom


@lru_cache(maxsize=2)
def _theatre(line: LineString | None) -> _Theatre:
    return _Theatre(line if line is not None else _demo_line())


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


# ---------------------------------------------------------------------------------------------
# Chunks: events, then the reports of each source kind.


@dataclass
class _Chunk:
    seed: int
    first_event: int  # global number of the chunk's first event
    first_report: int
    events: Cols
    reports: Cols
    theatre: _Theatre
    report_ids: list[str] | None = None


def _plan(config: SimConfig, th: _Theatre) -> int:
    """Number of events in the night."""
    if config.n_events is not None:
        return config.n_events
    if config.n_reports is not None:
        return round(config.n_reports / _reports_per_event(th))
    return sum(DEFAULT_MIX)


def _chunk_count(config: SimConfig, line: LineString | None) -> int:
    return max(1, math.ceil(_plan(config, _theatre(line)) / EVENTS_PER_CHUNK))


@lru_cache(maxsize=4)
def _reports_per_event(th: _Theatre) -> float:
    """Mean reports per event of the default mix, from a fixed pilot chunk (deterministic)."""
    rng = np.random.default_rng([0, 2**32 - 1])
    events = _make_events(th, rng, _allocate(EVENTS_PER_CHUNK), 0, 12 * _HOUR)
    reports = _reports(th, rng, events, SimConfig(), 0, 0, 12 * _HOUR)
    return len(reports["ev"]) / EVENTS_PER_CHUNK


def _allocate(n: int, shares: tuple[float, ...] = DEFAULT_MIX) -> I64:
    """Split ``n`` by ``shares`` (largest remainder): exact, and each part within 1 of its share."""
    w = np.asarray(shares, dtype=np.float64)
    raw = n * w / w.sum()
    out: I64 = np.floor(raw).astype(np.int64)
    out[np.argsort(out - raw, kind="stable")[: n - int(out.sum())]] += 1
    return out


def _chunks(config: SimConfig, line: LineString | None) -> Iterator[_Chunk]:
    th = _theatre(line)
    n = _plan(config, th)
    k_all = max(1, math.ceil(n / EVENTS_PER_CHUNK))
    t_start = int(config.start.astimezone(UTC).timestamp())
    span = round(config.hours * _HOUR)
    first_report = 0
    for k in range(k_all):
        lo, hi = n * k // k_all, n * (k + 1) // k_all
        t0, t1 = t_start + span * k // k_all, t_start + span * (k + 1) // k_all
        rng = np.random.default_rng([config.seed, k])  # one stream per chunk: chunks independent
        events = _make_events(th, rng, _allocate(hi - lo), t0, max(t1, t0 + 1))
        n_false = math.floor(hi * FALSE_CLAIMS_PER_EVENT) - math.floor(lo * FALSE_CLAIMS_PER_EVENT)
        reports = _reports(th, rng, events, config, n_false, t0, max(t1, t0 + 1))
        yield _Chunk(config.seed, lo, first_report, events, reports, th)
        first_report += len(reports["ev"])


def _choose(rng: np.random.Generator, arsenal: _Arsenal, m: int) -> npt.NDArray[np.intp]:
    w = np.array([a[3] for a in arsenal])
    return rng.choice(len(arsenal), size=m, p=w / w.sum())


def _make_events(th: _Theatre, rng: np.random.Generator, counts: I64, t0: int, t1: int) -> Cols:
    fam = np.repeat(np.arange(5, dtype=np.int8), counts)
    n = fam.size
    u = rng.random(n)
    perp = np.where(fam == _STRIKE, u >= 0.8, np.where(fam == _OVER, u >= 0.6, u >= 0.62))
    perp = perp.astype(np.int8)
    own = (fam == _SIGHT) | (fam == _DMZ)  # weapons and incursions: the holder's own side
    side = np.where(own, perp, 1 - perp).astype(np.int8)
    ev: Cols = {
        "fam": fam,
        "perp": perp,
        "side": side,
        "etype": np.zeros(n, np.int8),
        "wclass": np.full(n, -1, np.int8),
        "wmodel": np.full(n, -1, np.int16),
        "cal": np.full(n, -1, np.int64),
    }
    for (f, p), arsenal in _WEAPONS.items():
        sel = np.flatnonzero((fam == f) & (perp == p))
        pick = _choose(rng, arsenal, sel.size)
        ev["etype"][sel] = np.array([EVENT_TYPES.index(a[0]) for a in arsenal])[pick]
        ev["wclass"][sel] = np.array([WEAPON_CLASSES.index(a[1]) for a in arsenal])[pick]
        models = [-1 if a[2] is None else _MODEL[a[2]] for a in arsenal]
        ev["wmodel"][sel] = np.array(models)[pick]
        cals = [-1 if a[2] is None else (MODELS[_MODEL[a[2]]][2] or -1) for a in arsenal]
        ev["cal"][sel] = np.array(cals)[pick]
    wclass = np.array(WEAPON_CLASSES)[ev["wclass"]]

    # Where: shelling lands a few km across the line from the gun; weapons sit inside their
    # withdrawal zone; incursions inside the DMZ; drones fly up to 40 km over the other side.
    d = np.where(fam == _SHELL, np.minimum(300.0 + rng.exponential(2500.0, n), 12_000.0), 0.0)
    zone = np.vectorize(lambda c: WITHDRAWAL_KM.get(c, 50.0))(wclass) * 1000.0 if n else d
    d = np.where(fam == _SIGHT, 2000.0 + rng.random(n) * (zone - 3000.0), d)
    d = np.where(fam == _DMZ, rng.uniform(300.0, DMZ_KM * 1000.0 - 500.0, n), d)
    d = np.where(fam == _OVER, rng.uniform(500.0, 40_000.0, n), d)
    x, y = np.zeros(n), np.zeros(n)
    for f, hot in ((_SHELL, 0.5), (_SIGHT, 0.0), (_DMZ, 0.2), (_OVER, 0.2)):
        sel = np.flatnonzero(fam == f)
        x[sel], y[sel] = th.place(rng, side[sel], d[sel], hot)
    sel = np.flatnonzero(fam == _STRIKE)
    city = np.full(n, -1, np.int64)
    for p in (0, 1):  # a party strikes the other's cities
        mine = sel[perp[sel] == p]
        cand = np.flatnonzero(th.city_side != p)
        w = th.city_weight[cand]
        city[mine] = cand[rng.choice(cand.size, size=mine.size, p=w / w.sum())]
    c = city[sel]
    r = np.minimum(np.abs(rng.normal(0, 1, sel.size)), 3.0) * th.city_sigma[c]
    a = rng.uniform(0, 2 * np.pi, sel.size)
    x[sel] = th.xy[th.city[c], 0] + r * np.cos(a)
    y[sel] = th.xy[th.city[c], 1] + r * np.sin(a)
    side[sel] = th.city_side[c]
    ev["lon"], ev["lat"] = (np.asarray(v, dtype=np.float64) for v in th.inv.transform(x, y))
    _, ev["dist"], ev["s"] = th.side_of(x, y)
    ev["town"] = th.town(x, y, side)
    ev["town"][sel] = th.city[c]
    ev["region"] = th.region_of[ev["town"]]
    ev["city"] = city

    # When, how many, who was hurt.
    ev["t"] = rng.integers(t0, t1, n)
    dur = np.exp(rng.normal(np.log(240.0), 1.0, n)).clip(20, 3600)  # shelling episodes
    dur = np.where(fam == _STRIKE, rng.uniform(10, 600, n), dur)
    dur = np.where(fam == _SIGHT, rng.uniform(60, 900, n), dur)
    dur = np.where(fam == _DMZ, rng.uniform(600, 3600, n), dur)
    dur = np.where(fam == _OVER, rng.uniform(120, 1800, n), dur)
    ev["dur"] = dur.astype(np.int64)
    tube = rng.geometric(0.12, n)
    rockets = rng.integers(6, 41, n)
    count = np.where(np.isin(wclass, ("mlrs", "heavy_mlrs")), rockets, tube)
    missile = np.isin(wclass, ("cruise_missile", "ballistic_missile", "tactical_missile"))
    count = np.where(
        fam == _STRIKE, np.where(missile, rng.geometric(0.6, n), rng.geometric(0.35, n)), count
    )
    count = np.where(fam == _SIGHT, rng.integers(1, 7, n), count)
    people = ev["etype"] == EVENT_TYPES.index("armed_presence")
    count = np.where(
        fam == _DMZ, np.where(people, rng.integers(3, 25, n), rng.integers(1, 6, n)), count
    )
    count = np.where(fam == _OVER, 1 + (rng.random(n) < 0.2), count)
    ev["count"] = np.minimum(count, INT_MAX).astype(np.int64)
    kinetic = (fam == _SHELL) | (fam == _STRIKE)
    killed = np.where(fam == _STRIKE, rng.poisson(0.6, n), rng.poisson(0.04, n))
    injured = np.where(fam == _STRIKE, rng.poisson(2.5, n), rng.poisson(0.2, n))
    civ_share = np.where(fam == _STRIKE, 0.9, 0.6)
    ev["killed"] = np.where(kinetic, killed, -1)
    ev["injured"] = np.where(kinetic, injured, -1)
    ev["ckilled"] = np.where(kinetic, rng.binomial(killed, civ_share), -1)
    ev["cinjured"] = np.where(kinetic, rng.binomial(injured, civ_share), -1)
    order = np.argsort(ev["t"], kind="stable")
    return {k: v[order] for k, v in ev.items()}


def _blank(ev: Cols, idx: npt.NDArray[Any], kind: str, submitter: int) -> Cols:
    """Report columns for events ``idx`` as a perfect observer would file them."""
    m = idx.size
    r: Cols = {
        "ev": idx.astype(np.int64),
        "kind": np.full(m, SOURCE_KINDS.index(kind), np.int8),
        "sub": np.full(m, submitter, np.int8),
        "fid": np.zeros(m, np.int8),
        "place": ev["town"][idx],
        "region": np.full(m, -1, np.int64),
        "claim": ev["perp"][idx].astype(np.int64),
    }
    for k in ("etype", "wclass", "wmodel", "cal", "count", "killed", "injured"):
        r[k] = ev[k][idx].astype(np.int64)
    r["ckilled"], r["cinjured"] = ev["ckilled"][idx], ev["cinjured"][idx]
    r["lon"], r["lat"] = ev["lon"][idx].copy(), ev["lat"][idx].copy()
    r["t0"] = ev["t"][idx].copy()
    r["t1"] = r["t0"] + ev["dur"][idx]
    return r


def _move(r: Cols, dist: F64, rng: np.random.Generator) -> None:
    """Shift reported positions by ``dist`` metres in a random direction (local flat earth)."""
    a = rng.uniform(0, 2 * np.pi, dist.size)
    r["lat"] = np.clip(r["lat"] + dist * np.sin(a) / _M_PER_DEG, -89.0, 89.0)
    r["lon"] = r["lon"] + dist * np.cos(a) / (_M_PER_DEG * np.cos(np.radians(r["lat"])))


def _set(r: Cols, **values: Any) -> None:
    m = r["ev"].size
    for k, v in values.items():
        r[k] = np.broadcast_to(np.asarray(v), (m,)).astype(
            np.int64 if k not in ("lon", "lat") else np.float64
        )


def _null(r: Cols, mask: npt.NDArray[np.bool_], *keys: str) -> None:
    for k in keys:
        r[k] = np.where(mask, -1, r[k])


def _monitors(th: _Theatre, rng: np.random.Generator, ev: Cols, noise: float) -> list[Cols]:
    out = []
    fam = ev["fam"]
    for kind, probs in _MONITOR_P.items():
        p = np.asarray(probs)[fam]
        if kind != "patrol":  # cameras and UAVs watch the line, strike sites aside
            p = np.where((ev["dist"] > 30_000.0) & (fam != _STRIKE), 0.0, p)
        idx = np.flatnonzero(rng.random(fam.size) < p)
        r = _blank(ev, idx, kind, 0)
        m = idx.size
        sigma = MONITOR_SIGMA_M[kind] * noise
        _move(r, rng.rayleigh(max(sigma, 1e-9), m), rng)
        r["unc"] = np.full(m, max(10, round(2.5 * sigma)), np.int64)
        jitter = np.rint(rng.normal(0, MONITOR_SIGMA_S[kind] * noise, m)).astype(np.int64)
        r["t0"] = r["t0"] + jitter
        r["t1"] = r["t1"] + jitter + rng.integers(0, 120, m)
        if kind == "patrol":  # patrols log to the minute
            r["t0"], r["t1"] = r["t0"] // 60 * 60, -(-r["t1"] // 60) * 60
        precise = 0 if kind == "uav" else 1
        _set(r, pprec=precise, tprec=0 if kind != "patrol" else 1)
        seen = np.isin(fam[idx], (_SIGHT, _DMZ))
        # Fire is heard, not seen: class and model often unknown, counts approximate.
        _null(r, ~seen & (rng.random(m) < 0.5), "wmodel", "cal")
        _null(r, ~seen & (rng.random(m) < 0.15), "wclass", "wmodel", "cal")
        r["count"] = np.where(
            seen, r["count"], np.maximum(1, np.rint(r["count"] * rng.normal(1, 0.1, m)))
        ).astype(np.int64)
        if kind == "camera":  # a camera sees a flash, not a drone or a missile
            strike = fam[idx] == _STRIKE
            r["etype"] = np.where(strike, EVENT_TYPES.index("explosion"), r["etype"])
            _null(r, strike, "wclass", "wmodel", "cal")
        r["claim"] = np.where(seen | (rng.random(m) < 0.2), r["claim"], -1)  # rarely attribute
        if kind != "patrol":  # casualties come from visits to hospitals and sites
            _null(r, np.ones(m, bool), "killed", "injured", "ckilled", "cinjured")
        if kind == "uav":
            r["name"] = th.name_base["uav"] + rng.integers(0, 3, m)
        else:
            n_names = int(th.length // th.name_span[kind])
            r["name"] = th.name_base[kind] + np.clip(
                (ev["s"][idx] // th.name_span[kind]).astype(np.int64), 0, n_names
            )
        out.append(r)
    return out


def _sensors(th: _Theatre, rng: np.random.Generator, ev: Cols, noise: float) -> Cols:
    fam, dist = ev["fam"], ev["dist"]
    movement = ev["etype"] == EVENT_TYPES.index("military_movement")
    lam = np.select(
        [fam == _SHELL, fam == _STRIKE, fam == _DMZ, fam == _OVER],
        [
            0.5 + 0.3 * np.minimum(ev["count"], 30),  # each round or salvo can be picked up
            np.where(dist < 40_000.0, 1.0 * ev["count"], 0.0),
            np.where(movement, 0.3, 0.0),
            np.where(dist < 25_000.0, 0.4, 0.0),
        ],
        0.0,
    )
    idx = np.repeat(np.arange(fam.size), rng.poisson(lam))
    m = idx.size
    r = _blank(ev, idx, "sensor", 0)
    # Acoustic location errors are log-normal: median SENSOR_MEDIAN_ERROR_M, 90 % within ~2.2x.
    scale = SENSOR_MEDIAN_ERROR_M * noise
    _move(r, scale * np.exp(rng.normal(0, 0.6, m)), rng)
    r["unc"] = np.maximum(50, np.rint(2.5 * scale * np.exp(rng.normal(0, 0.2, m)))).astype(np.int64)
    t = r["t0"] + (rng.random(m) * ev["dur"][idx]).astype(np.int64)  # one round in the episode
    r["t0"] = t + np.rint(rng.normal(0, 2.0 * noise, m)).astype(np.int64)
    r["t1"] = r["t0"] + rng.integers(0, 4, m)
    _set(r, pprec=1, tprec=0, count=1, claim=-1)
    f = fam[idx]
    explosion = (f == _STRIKE) | ((f == _SHELL) & (rng.random(m) < 0.3))
    r["etype"] = np.where(explosion, EVENT_TYPES.index("explosion"), r["etype"])
    guess = (f == _SHELL) & ~explosion & (rng.random(m) < 0.6)
    # Sensors tell a tube from a rocket only sometimes, and a missile from a drone never.
    unknown = WEAPON_CLASSES.index("unknown")
    r["wclass"] = np.where((f == _SHELL) & ~guess, unknown, r["wclass"])
    r["wclass"] = np.where(f == _STRIKE, -1, r["wclass"])
    _null(r, np.ones(m, bool), "wmodel", "cal", "killed", "injured", "ckilled", "cinjured")
    base = np.where(movement[idx], th.name_base["seismic"], th.name_base["acoustic"])
    r["name"] = base + np.clip(
        (ev["s"][idx] // 25_000.0).astype(np.int64), 0, int(th.length // 25_000.0)
    )
    return r


def _exaggerate(r: Cols, rng: np.random.Generator) -> None:
    """Some claims inflate counts and casualties (by 1.5-3x, plus a few)."""
    m = r["ev"].size
    big = rng.random(m) < EXAGGERATION_P
    f = rng.uniform(1.5, 3.0, m)
    r["fid"] = np.where(big & (r["fid"] == 0), 1, r["fid"]).astype(np.int8)
    r["count"] = np.where(big & (r["count"] >= 0), np.ceil(r["count"] * f), r["count"]).astype(
        np.int64
    )
    for k, c in (("killed", "ckilled"), ("injured", "cinjured")):
        extra = np.where(big & (r[k] >= 0), np.ceil(r[k] * (f - 1)) + rng.poisson(1.0, m), 0)
        r[k] = (r[k] + extra).astype(np.int64)
        r[c] = np.where(r[c] >= 0, r[c] + extra, r[c]).astype(np.int64)  # the extra are civilians


def _coarse_place(th: _Theatre, r: Cols, rng: np.random.Generator, region_p: float) -> None:
    """A town-level place (``near``) or the oblast (``region``), as parties report them."""
    m = r["ev"].size
    town = r["place"]
    region = rng.random(m) < region_p
    coslat = np.cos(np.radians(r["lat"]))
    d_town = np.hypot((r["lon"] - th.lon[town]) * coslat, r["lat"] - th.lat[town]) * _M_PER_DEG
    reg = th.region_of[town]
    r["lon"] = np.where(region, th.region_lon[reg], th.lon[town])
    r["lat"] = np.where(region, th.region_lat[reg], th.lat[town])
    town_unc = np.maximum(5000.0, np.ceil(1.5 * d_town / 1000.0) * 1000.0)
    reg_unc = np.maximum(30_000.0, np.ceil(th.region_radius[reg] / 1000.0) * 1000.0)
    r["unc"] = np.where(region, reg_unc, town_unc).astype(np.int64)
    r["pprec"] = np.where(region, 2, 1).astype(np.int64)
    r["region"] = np.where(region, reg, -1)
    r["place"] = np.where(region, -1, town)


def _party_window(r: Cols, rng: np.random.Generator, noise: float) -> None:
    m = r["ev"].size
    centre = r["t0"] + rng.normal(0, 900.0 * noise, m)  # tens of minutes off
    width = rng.uniform(1800.0, 5400.0, m) * min(noise, 1.0)
    t0 = np.floor((centre - width * rng.uniform(0.3, 0.7, m)) / 60.0) * 60.0
    r["t0"] = t0.astype(np.int64)
    r["t1"] = (r["t0"] + np.ceil(width / 60.0) * 60).astype(np.int64)
    r["tprec"] = np.ones(m, np.int64)


def _parties(th: _Theatre, rng: np.random.Generator, ev: Cols, noise: float) -> Cols:
    fam = ev["fam"]
    p = np.asarray(_PARTY_P)[fam]
    n_rep = (rng.random(fam.size) < p) * (1 + (rng.random(fam.size) < 0.25))  # two agencies
    idx = np.repeat(np.arange(fam.size), n_rep)
    m = idx.size
    reporter = 1 - ev["perp"][idx]  # the party hit, or the one watching the other's weapons
    r = _blank(ev, idx, "party", 0)
    r["sub"] = (1 + reporter).astype(np.int8)
    r["name"] = np.where(
        reporter == 0, th.name_base["party0"], th.name_base["party1"]
    ) + rng.integers(0, 3, m)
    _coarse_place(th, r, rng, 0.3)
    _party_window(r, rng, noise)
    _null(r, rng.random(m) < 0.15, "wclass", "wmodel", "cal")
    _null(r, rng.random(m) < 0.4, "wmodel", "cal")
    _exaggerate(r, rng)
    return r


def _news(th: _Theatre, rng: np.random.Generator, ev: Cols, noise: float) -> Cols:
    fam = ev["fam"]
    hurt = (ev["killed"] > 0) | (ev["injured"] > 0)
    lam = np.asarray(_NEWS_RATE)[fam] + np.where((fam == _SHELL) & hurt, 1.2, 0.0)
    idx = np.repeat(np.arange(fam.size), rng.poisson(lam))
    m = idx.size
    r = _blank(ev, idx, "osint", 0)
    voice = 1 - ev["perp"][idx]  # the side hit tells the story
    r["name"] = np.where(voice == 0, th.name_base["news0"], th.name_base["news1"]) + rng.integers(
        0, 4, m
    )
    city = ev["city"][idx]
    reg = th.region_of[r["place"]]
    # The news names the city struck, or else the oblast: either way 30 km or more uncertain.
    r["lon"] = np.where(city >= 0, th.lon[r["place"]], th.region_lon[reg])
    r["lat"] = np.where(city >= 0, th.lat[r["place"]], th.region_lat[reg])
    r["unc"] = np.where(
        city >= 0, 30_000, np.maximum(30_000, np.ceil(th.region_radius[reg] / 1e3) * 1e3)
    ).astype(np.int64)
    r["region"] = np.where(city >= 0, -1, reg)
    r["place"] = np.where(city >= 0, r["place"], -1)
    # "Overnight": a window of hours, opening before the event and closing hours after it.
    t = r["t0"]
    r["t0"] = (np.floor((t - rng.uniform(0, 3 * _HOUR, m) * noise) / 600) * 600).astype(np.int64)
    r["t1"] = (np.ceil((r["t1"] + rng.uniform(1, 4, m) * _HOUR * noise) / 600) * 600).astype(
        np.int64
    )
    r["t1"] = np.maximum(r["t1"], r["t0"])
    _set(r, pprec=2, tprec=2)
    r["claim"] = np.where(rng.random(m) < 0.9, r["claim"], -1)
    _null(r, rng.random(m) < 0.3, "wclass", "wmodel", "cal")
    _null(r, rng.random(m) < 0.3, "wmodel", "cal")
    _exaggerate(r, rng)
    return r


def _false_claims(
    th: _Theatre, rng: np.random.Generator, n: int, t0: int, t1: int, noise: float
) -> Cols:
    """Party claims of shelling that never happened (no true event behind them)."""
    reporter = rng.integers(0, 2, n).astype(np.int8)
    x, y = th.place(rng, reporter, 500.0 + rng.exponential(3000.0, n).clip(0, 10_000.0), 0.5)
    lon, lat = th.inv.transform(x, y)
    fake: Cols = {
        "fam": np.zeros(n, np.int8),
        "perp": (1 - reporter).astype(np.int8),
        "town": th.town(x, y, reporter),
        "lon": np.asarray(lon, dtype=np.float64),
        "lat": np.asarray(lat, dtype=np.float64),
        "t": rng.integers(t0, t1, n),
        "dur": np.zeros(n, np.int64),
        "etype": np.full(n, EVENT_TYPES.index("shelling"), np.int64),
        "wclass": rng.choice([WEAPON_CLASSES.index(c) for c in ("artillery", "mortar", "mlrs")], n),
        "wmodel": np.full(n, -1, np.int64),
        "cal": np.full(n, -1, np.int64),
        "count": rng.integers(5, 41, n),
        "killed": rng.poisson(0.3, n),
        "injured": rng.poisson(1.0, n),
    }
    fake["ckilled"], fake["cinjured"] = fake["killed"], fake["injured"]
    r = _blank(fake, np.arange(n), "party", 0)
    r["ev"] = np.full(n, -1, np.int64)
    r["sub"] = (1 + reporter).astype(np.int8)
    r["fid"] = np.full(n, 2, np.int8)
    r["name"] = np.where(
        reporter == 0, th.name_base["party0"], th.name_base["party1"]
    ) + rng.integers(0, 3, n)
    _coarse_place(th, r, rng, 0.3)
    _party_window(r, rng, noise)
    return r


def _reports(
    th: _Theatre,
    rng: np.random.Generator,
    ev: Cols,
    config: SimConfig,
    n_false: int,
    t0: int,
    t1: int,
) -> Cols:
    noise = config.noise
    parts = _monitors(th, rng, ev, noise)
    parts += [_sensors(th, rng, ev, noise), _parties(th, rng, ev, noise), _news(th, rng, ev, noise)]
    parts.append(_false_claims(th, rng, n_false, t0, t1, noise))
    r = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    for k in ("count", "killed", "injured", "ckilled", "cinjured"):
        r[k] = np.minimum(r[k], INT_MAX)
    r["cal"] = np.where(r["wclass"] < 0, -1, r["cal"])
    r["wmodel"] = np.where(r["wclass"] < 0, -1, r["wmodel"])
    r["t1"] = np.maximum(r["t1"], r["t0"])
    order = np.argsort(r["t0"], kind="stable")
    return {k: v[order] for k, v in r.items()}


# ---------------------------------------------------------------------------------------------
# Output: a fast formatter for the files and a plain one for memory; a test holds them equal.

_REPORT_ROW: Final = (
    '{"id":"%s","submitted_by":%s,"source_kind":%s,"source_name":"%s",'
    '"observed_from":"%s+00:00","observed_to":"%s+00:00","time_precision":%s,'
    '"lon":%.5f,"lat":%.5f,"uncertainty_m":%d,"place_precision":%s,'
    '"event_type":%s,"weapon_class":%s,"weapon_model":%s,"calibre_mm":%s,"count":%s,'
    '"claimed_perpetrator":%s,"killed":%s,"injured":%s,'
    '"civilians_killed":%s,"civilians_injured":%s,"notes":"%s"}\n'
)
_EVENT_ROW: Final = (
    '{"record":"event","id":"%s","event_type":%s,"time":"%s+00:00","duration_s":%d,'
    '"lon":%.5f,"lat":%.5f,"side":%s,"distance_km":%.3f,"perpetrator":%s,'
    '"weapon_class":%s,"weapon_model":%s,"calibre_mm":%s,"count":%s,"killed":%s,"injured":%s,'
    '"civilians_killed":%s,"civilians_injured":%s,"place":"%s","oblast":"%s"}\n'
)
_LINK_ROW: Final = '{"record":"link","report_id":"%s","event_id":%s,"fidelity":"%s"}\n'
FIDELITY: Final = ("faithful", "exaggerated", "false")


def _json_table(values: tuple[str, ...]) -> npt.NDArray[np.object_]:
    """JSON text of each value, with ``null`` last so that code -1 maps to it."""
    return np.array([f'"{v}"' for v in values] + ["null"], dtype=object)


_J_SUB, _J_KIND, _J_PREC = (
    _json_table(SUBMITTERS),
    _json_table(SOURCE_KINDS),
    _json_table(PRECISIONS),
)
_J_ETYPE, _J_WCLASS, _J_PARTY = (
    _json_table(EVENT_TYPES),
    _json_table(WEAPON_CLASSES),
    _json_table(PARTIES),
)
_J_MODEL = _json_table(tuple(m[0] for m in MODELS))
_J_INT = np.array([str(i) for i in range(INT_MAX + 1)] + ["null"], dtype=object)


def _opt(values: tuple[str, ...], code: int) -> str | None:
    return None if code < 0 else values[code]


def _opt_int(v: int) -> int | None:
    return None if v < 0 else int(v)


def _iso(t: I64) -> list[str]:
    return np.datetime_as_string(t.astype("datetime64[s]")).tolist()  # type: ignore[no-any-return]


def _report_ids(chunk: _Chunk) -> list[str]:
    if chunk.report_ids is None:  # made once: both files name every report
        n0, prefix = chunk.first_report, f"sim-{chunk.seed}-"
        ids = range(n0, n0 + chunk.reports["ev"].size)
        chunk.report_ids = [f"{prefix}{i:09d}" for i in ids]
    return chunk.report_ids


def _event_ids(chunk: _Chunk) -> list[str]:
    n0 = chunk.first_event
    return [f"evt-{chunk.seed}-{i:09d}" for i in range(n0, n0 + chunk.events["t"].size)]


def _weapon_words(wclass: int, wmodel: int) -> str:
    if wmodel >= 0:
        return MODELS[wmodel][0]
    if wclass >= 0 and WEAPON_CLASSES[wclass] != "unknown":
        return WEAPON_CLASSES[wclass].replace("_", " ").replace("mlrs", "MLRS")
    return "undetermined weapons"


_KINETIC: Final = ("shelling", "explosion", "drone_strike", "missile_strike")
_WORDS: Final = {
    "shelling": "shelling",
    "explosion": "explosions",
    "drone_strike": "a drone strike",
    "missile_strike": "a missile strike",
    "weapon_sighting": "weapons",
    "armed_presence": "armed personnel",
    "military_movement": "military vehicles",
    "drone_overflight": "a drone",
}


def _notes(chunk: _Chunk) -> list[str]:
    """A short English sentence per report (lookup for sensors, a template for the rest)."""
    r, th = chunk.reports, chunk.theatre
    key = r["etype"] * (len(WEAPON_CLASSES) + 1) + r["wclass"] + 1
    notes: list[str] = th.sensor_notes[key].tolist()
    rest = np.flatnonzero(r["kind"] != SOURCE_KINDS.index("sensor"))
    cols = [r[k][rest].tolist() for k in ("kind", "sub", "name", "etype", "wclass", "wmodel")]
    cols += [r[k][rest].tolist() for k in ("count", "killed", "injured", "place", "region")]
    for i, kind, sub, name, et, wc, wm, n, k, j, place, reg in zip(
        rest.tolist(), *cols, strict=True
    ):
        src, event = th.source_names[name], EVENT_TYPES[et]
        where = f"near {th.names[place]}" if place >= 0 else f"in {th.region_names[reg]} region"
        what = _WORDS.get(event, event.replace("_", " "))
        cas = f", {k} killed, {j} injured" if k >= 0 and (k or j) else ""
        if event == "armed_presence":
            detail = f"{n} people"
        elif wm >= 0 or (wc >= 0 and WEAPON_CLASSES[wc] != "unknown"):
            detail = f"{n} x {_weapon_words(wc, wm)}"
        else:
            detail = f"{n} impacts" if k >= 0 else f"{n} seen"
        if SOURCE_KINDS[kind] == "party":
            enemy = PARTIES[2 - sub]  # submitters 1/2 are RU/UA; the enemy is the other
            notes[i] = f"{src}: {enemy} {what.removeprefix('a ')} {where}, {detail}{cas}."
        elif SOURCE_KINDS[kind] == "osint":
            where = where.removeprefix("near ").removeprefix("in ")
            notes[i] = f"{src}: {what} reported in {where}{cas}."
        else:
            verb = "recorded" if event in _KINETIC else "saw"
            notes[i] = f"{src[:1].upper()}{src[1:]} {verb} {what} {where}, {detail}{cas}."
    return notes


def _report_lines(chunk: _Chunk) -> str:
    r, th = chunk.reports, chunk.theatre
    names = np.array(th.source_names, dtype=object)
    rows = zip(
        _report_ids(chunk),
        _J_SUB[r["sub"]].tolist(),
        _J_KIND[r["kind"]].tolist(),
        names[r["name"]].tolist(),
        _iso(r["t0"]),
        _iso(r["t1"]),
        _J_PREC[r["tprec"]].tolist(),
        r["lon"].tolist(),
        r["lat"].tolist(),
        r["unc"].tolist(),
        _J_PREC[r["pprec"]].tolist(),
        _J_ETYPE[r["etype"]].tolist(),
        _J_WCLASS[r["wclass"]].tolist(),
        _J_MODEL[r["wmodel"]].tolist(),
        *(_J_INT[r[k]].tolist() for k in ("cal", "count")),
        _J_PARTY[r["claim"]].tolist(),
        *(_J_INT[r[k]].tolist() for k in ("killed", "injured", "ckilled", "cinjured")),
        _notes(chunk),
        strict=True,
    )
    return "".join([_REPORT_ROW % row for row in rows])


def _report_dicts(chunk: _Chunk) -> list[dict[str, Any]]:
    r, th = chunk.reports, chunk.theatre
    out = []
    for i, (rid, note) in enumerate(zip(_report_ids(chunk), _notes(chunk), strict=True)):
        out.append(
            {
                "id": rid,
                "submitted_by": SUBMITTERS[r["sub"][i]],
                "source_kind": SOURCE_KINDS[r["kind"][i]],
                "source_name": th.source_names[r["name"][i]],
                "observed_from": datetime.fromtimestamp(int(r["t0"][i]), UTC).isoformat(),
                "observed_to": datetime.fromtimestamp(int(r["t1"][i]), UTC).isoformat(),
                "time_precision": PRECISIONS[r["tprec"][i]],
                "lon": round(float(r["lon"][i]), 5),
                "lat": round(float(r["lat"][i]), 5),
                "uncertainty_m": int(r["unc"][i]),
                "place_precision": PRECISIONS[r["pprec"][i]],
                "event_type": EVENT_TYPES[r["etype"][i]],
                "weapon_class": _opt(WEAPON_CLASSES, int(r["wclass"][i])),
                "weapon_model": _opt(tuple(m[0] for m in MODELS), int(r["wmodel"][i])),
                "calibre_mm": _opt_int(r["cal"][i]),
                "count": _opt_int(r["count"][i]),
                "claimed_perpetrator": _opt(PARTIES, int(r["claim"][i])),
                "killed": _opt_int(r["killed"][i]),
                "injured": _opt_int(r["injured"][i]),
                "civilians_killed": _opt_int(r["ckilled"][i]),
                "civilians_injured": _opt_int(r["cinjured"][i]),
                "notes": note,
            }
        )
    return out


def _event_lines(chunk: _Chunk) -> str:
    e, th = chunk.events, chunk.theatre
    names = np.array(th.names, dtype=object)
    regions = np.array(th.region_names, dtype=object)
    rows = zip(
        _event_ids(chunk),
        _J_ETYPE[e["etype"]].tolist(),
        _iso(e["t"]),
        e["dur"].tolist(),
        e["lon"].tolist(),
        e["lat"].tolist(),
        _J_PARTY[e["side"]].tolist(),
        (e["dist"] / 1000.0).tolist(),
        _J_PARTY[e["perp"]].tolist(),
        _J_WCLASS[e["wclass"]].tolist(),
        _J_MODEL[e["wmodel"]].tolist(),
        *(
            _J_INT[e[k]].tolist()
            for k in ("cal", "count", "killed", "injured", "ckilled", "cinjured")
        ),
        names[e["town"]].tolist(),
        regions[e["region"]].tolist(),
        strict=True,
    )
    return "".join([_EVENT_ROW % row for row in rows])


def _event_dicts(chunk: _Chunk) -> list[dict[str, Any]]:
    e, th = chunk.events, chunk.theatre
    return [
        {
            "id": eid,
            "event_type": EVENT_TYPES[e["etype"][i]],
            "time": datetime.fromtimestamp(int(e["t"][i]), UTC).isoformat(),
            "duration_s": int(e["dur"][i]),
            "lon": round(float(e["lon"][i]), 5),
            "lat": round(float(e["lat"][i]), 5),
            "side": PARTIES[e["side"][i]],
            "distance_km": round(float(e["dist"][i]) / 1000.0, 3),
            "perpetrator": PARTIES[e["perp"][i]],
            "weapon_class": _opt(WEAPON_CLASSES, int(e["wclass"][i])),
            "weapon_model": _opt(tuple(m[0] for m in MODELS), int(e["wmodel"][i])),
            "calibre_mm": _opt_int(e["cal"][i]),
            "count": _opt_int(e["count"][i]),
            "killed": _opt_int(e["killed"][i]),
            "injured": _opt_int(e["injured"][i]),
            "civilians_killed": _opt_int(e["ckilled"][i]),
            "civilians_injured": _opt_int(e["cinjured"][i]),
            "place": th.names[e["town"][i]],
            "oblast": th.region_names[e["region"][i]],
        }
        for i, eid in enumerate(_event_ids(chunk))
    ]


def _link_lines(chunk: _Chunk) -> str:
    eids = np.array([f'"{e}"' for e in _event_ids(chunk)] + ["null"], dtype=object)
    fid = np.array(FIDELITY, dtype=object)
    r = chunk.reports
    rows = zip(_report_ids(chunk), eids[r["ev"]].tolist(), fid[r["fid"]].tolist(), strict=True)
    return "".join([_LINK_ROW % row for row in rows])


def _link_dicts(chunk: _Chunk) -> list[dict[str, Any]]:
    eids = _event_ids(chunk)
    r = chunk.reports
    return [
        {
            "report_id": rid,
            "event_id": None if r["ev"][i] < 0 else eids[r["ev"][i]],
            "fidelity": FIDELITY[r["fid"][i]],
        }
        for i, rid in enumerate(_report_ids(chunk))
    ]


class _Counter:
    """Running totals over chunks, for :class:`SimStats`."""

    def __init__(self) -> None:
        self.reports = self.events = self.false = 0
        self.by_source = np.zeros(len(SOURCE_KINDS), np.int64)
        self.by_event = np.zeros(len(EVENT_TYPES), np.int64)

    def add(self, chunk: _Chunk) -> None:
        r, e = chunk.reports, chunk.events
        self.reports += r["ev"].size
        self.events += e["t"].size
        self.false += int(np.count_nonzero(r["ev"] < 0))
        self.by_source += np.bincount(r["kind"], minlength=len(SOURCE_KINDS))
        self.by_event += np.bincount(e["etype"], minlength=len(EVENT_TYPES))

    def stats(
        self, seconds: float, reports: str | None = None, truth: str | None = None
    ) -> SimStats:
        def named(names: tuple[str, ...], counts: I64) -> dict[str, int]:
            pairs = sorted(zip(names, counts.tolist(), strict=True), key=lambda p: -p[1])
            return {k: v for k, v in pairs if v}

        return SimStats(
            reports=self.reports,
            events=self.events,
            false_claims=self.false,
            seconds=seconds,
            by_source=named(SOURCE_KINDS, self.by_source),
            by_event_type=named(EVENT_TYPES, self.by_event),
            reports_path=reports,
            truth_path=truth,
        )
