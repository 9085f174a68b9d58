"""Place names to places: settlements and oblasts by name, each with the radius it spans.

Built on the offline gazetteer (:mod:`ceasefire.geo.gazetteer`). Three things a reader of a
place name needs and the gazetteer alone does not give:

* :func:`find_region`: an oblast by the names people write (``"Kharkiv oblast"``,
  ``"Kharkivska oblast"``, ``"Dnipro region"`` is Dnipropetrovsk, ``"Kiev"``), as
  :data:`~ceasefire.geo.gazetteer.ADMIN1_NAMES` spells it.
* :func:`settlements`: every settlement a name may mean, best first, rather than the one
  :meth:`~ceasefire.geo.gazetteer.Gazetteer.find` picks, so a caller can see when a name is
  ambiguous (there are fifteen Mykolaivkas).
* :func:`settlement_radius_m` and :func:`region_extent`: how far a place reaches from its point,
  so a report placed by name carries an uncertainty that covers the place.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

import numpy as np
from pyproj import Geod

from ceasefire.geo.gazetteer import ADMIN1_NAMES, Gazetteer, _fold, _names_index

#: Other names of the regions, as news, bulletins and spreadsheets write them: Russian-era
#: spellings, the Ukrainian adjective form (``Kharkivska oblast``), and the names of the cities
#: a region is called after where they differ (``Dnipro region`` is Dnipropetrovsk oblast).
REGION_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "Cherkasy": ("Cherkassy", "Cherkaska"),
    "Chernihiv": ("Chernigov", "Chernihivska"),
    "Chernivtsi": ("Chernovtsy", "Chernivetska"),
    "Dnipropetrovsk": ("Dnipro", "Dnepropetrovsk", "Dnipropetrovska"),
    "Donetsk": ("Donetska",),
    "Ivano-Frankivsk": ("Ivano-Frankovsk", "Ivano-Frankivska"),
    "Kharkiv": ("Kharkov", "Kharkivska"),
    "Kherson": ("Khersonska",),
    "Khmelnytskyi": ("Khmelnytsky", "Khmelnitsky", "Khmelnytskyy", "Khmelnytska"),
    "Kirovohrad": ("Kirovograd", "Kropyvnytskyi", "Kirovohradska"),
    "Crimea": ("Autonomous Republic of Crimea", "Krym", "Crimean"),
    "Kyiv City": ("Kiev City",),
    "Kyiv": ("Kiev", "Kyivska"),
    "Luhansk": ("Lugansk", "Luhanska"),
    "Lviv": ("Lvov", "Lvivska"),
    "Mykolaiv": ("Nikolaev", "Mykolayiv", "Mykolaivska"),
    "Odesa": ("Odessa", "Odeska"),
    "Poltava": ("Poltavska",),
    "Rivne": ("Rovno", "Rivnenska"),
    "Sevastopol": (),
    "Sumy": ("Sumska",),
    "Ternopil": ("Ternopol", "Ternopilska"),
    "Vinnytsia": ("Vinnitsa", "Vinnytsya", "Vinnytska"),
    "Volyn": ("Volhynia", "Volynska"),
    "Zakarpattia": ("Transcarpathia", "Transcarpathian", "Zakarpattya", "Zakarpatska"),
    "Zaporizhzhia": ("Zaporizhia", "Zaporizhzhya", "Zaporozhye", "Zaporozhzhia", "Zaporizka"),
    "Zhytomyr": ("Zhitomir", "Zhytomyrska"),
    "Belgorod": ("Belgorodskaya",),
    "Bryansk": ("Bryanskaya",),
    "Kursk": ("Kurskaya",),
    "Rostov": ("Rostovskaya",),
    "Voronezh": ("Voronezhskaya",),
}

#: Words that make a name a region's (``Kharkiv oblast``, ``Kursk Region``, ``Sumy obl.``).
REGION_WORDS: Final = ("oblast", "obl", "region", "province")

#: How alike (difflib ratio of the folded names) a settlement's own name must be to the name
#: asked for to count as a spelling of it (``Kupiansk`` of ``Kupyansk``: 0.875) rather than a
#: name it once had or has in another language (``Stakhanov`` of ``Kadiyivka``). GeoNames
#: lists Slovyansk's names under Nikopol as well; this keeps ``Sloviansk`` Slovyansk.
SPELLING: Final = 0.75

#: Settlement area from population, ``area_km2 = AREA_FACTOR * population ** AREA_EXPONENT``:
#: a least-squares fit in log-log of the city areas and populations of Kyiv (839 km2, 2.95M),
#: Kharkiv (350, 1.42M), Dnipro (409, 0.97M), Odesa (237, 1.0M), Zaporizhzhia (331, 0.71M),
#: Mariupol (166, 0.43M), Kherson (150, 0.27M), Kramatorsk (117, 0.15M) and Sloviansk
#: (58, 0.11M). The exponent below 1 is the urban-scaling law (bigger towns are denser).
AREA_FACTOR: Final = 0.0233
AREA_EXPONENT: Final = 0.694
#: A settlement is no circle: its farthest houses lie beyond the radius of the circle of its
#: area. 1.5 times that radius covers a town twice as long as it is wide (an ellipse of axes
#: 2:1 reaches 1.41 times the equal-area radius), leaving the rest as margin.
SHAPE_FACTOR: Final = 1.5

_GEOD: Final = Geod(ellps="WGS84")


def settlement_radius_m(population: int | float) -> float:
    """How far from its point (GeoNames' centre) a settlement of ``population`` reaches, in m.

    >>> round(settlement_radius_m(500)), round(settlement_radius_m(27_000))
    (1116, 4455)
    """
    area_m2 = AREA_FACTOR * max(float(population), 1.0) ** AREA_EXPONENT * 1e6
    return SHAPE_FACTOR * math.sqrt(area_m2 / math.pi)


def _strip_region_words(text: str) -> tuple[str, bool]:
    """The name without its region word (``Kharkiv oblast`` -> ``Kharkiv``), and whether it had one."""
    words = text.replace(".", " ").split()
    had = False
    while words and _fold(words[-1]) in REGION_WORDS:
        words.pop()
        had = True
    if words and _fold(words[0]) in REGION_WORDS and len(words) > 2 and _fold(words[1]) == "of":
        words, had = words[2:], True  # "Oblast of Kharkiv"
    return " ".join(words), had


@lru_cache(maxsize=1)
def _region_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for region, aliases in REGION_ALIASES.items():
        for alias in (region, *aliases):
            names[_fold(alias)] = region
    return names


def find_region(text: str) -> tuple[str | None, bool]:
    """The region ``text`` names, and whether it said so with a region word.

    ``(None, ...)`` when no region has that name. The flag tells ``Kharkiv`` (the city, unless
    the caller finds no city) from ``Kharkiv oblast`` (the region, always).

    >>> find_region("Dnipro region"), find_region("Kharkivska oblast"), find_region("Kharkiv")
    (('Dnipropetrovsk', True), ('Kharkiv', True), ('Kharkiv', False))
    """
    name, had = _strip_region_words(text)
    return _region_names().get(_fold(name)), had


@dataclass(frozen=True)
class Settlement:
    """One settlement a name may mean (an index of the gazetteer and what a reader needs)."""

    index: int
    name: str
    region: str
    population: int
    lon: float
    lat: float

    def __str__(self) -> str:
        return f"{self.name} ({self.region}, {self.population:,} people, {self.lon:.4f} {self.lat:.4f})"


def settlements(g: Gazetteer, name: str, region: str | None = None) -> list[Settlement]:
    """The settlements ``name`` may mean (in ``region`` when given), best first.

    When some settlements' own names are spellings of ``name`` (see :data:`SPELLING`), only
    those, most populous first: the ones that merely once had the name, or have it in another
    language, are then not what was meant. Otherwise all of them (a former name, like
    ``Stakhanov`` for Kadiivka, is then the one lead). One settlement listed twice (GeoNames has
    a few, a kilometre apart) is kept once.
    """
    key = _fold(name.strip())
    hits = _names_index(g).get(key, [])
    if region is not None:
        hits = [i for i in hits if str(g.admin1[i]) == region]
    own = [
        i
        for i in hits
        if difflib.SequenceMatcher(None, key, _fold(str(g.name[i]))).ratio() >= SPELLING
    ]
    found: list[Settlement] = []
    for i in sorted(own or hits, key=lambda i: -int(g.population[i])):
        s = Settlement(
            int(i),
            str(g.name[i]),
            str(g.admin1[i]),
            int(g.population[i]),
            float(g.lon[i]),
            float(g.lat[i]),
        )
        if not any(
            t.region == s.region and _distance_m(t.lon, t.lat, s.lon, s.lat) < 2_000.0
            for t in found
        ):
            found.append(s)
    return found


def closest_settlement(g: Gazetteer, name: str) -> Settlement | None:
    """The settlement a misspelt ``name`` most likely meant (for "did you mean"), or None."""
    near = difflib.get_close_matches(_fold(name.strip()), list(_names_index(g)), n=1, cutoff=0.8)
    return settlements(g, near[0])[0] if near else None


@dataclass(frozen=True)
class Extent:
    """A region as a circle: the middle of its settlements and a radius covering them all."""

    region: str
    lon: float
    lat: float
    radius_m: float


def region_extent(g: Gazetteer, region: str) -> Extent:
    """The circle that covers every settlement of ``region`` in the gazetteer, each with its
    own reach (:func:`settlement_radius_m`): centred in the middle of their bounding box, its
    radius the farthest settlement's distance plus that settlement's reach.

    Computed from the data, so it grows with what the gazetteer knows of the region; the
    gazetteer holds settlements of 500 people and more, so a stretch of border with none
    beyond the outermost village is the one part it may leave out, and a village the data
    files under the wrong region far from the rest is left out (:data:`OUTLIER`).
    """
    return _extents(g)[region]


#: A settlement farther from the middle of its region's settlements than this many times the
#: 95th percentile of their distances is taken as filed under the wrong region and left out:
#: GeoNames files a few villages so (a Sofiyivka at 33.11 E, in Dnipropetrovsk oblast, under
#: Donetsk, which would have stretched Donetsk oblast's circle by 100 km).
OUTLIER: Final = 1.5


@lru_cache(maxsize=4)
def _extents(g: Gazetteer) -> dict[str, Extent]:
    out: dict[str, Extent] = {}
    for region in ADMIN1_NAMES.values():
        rows = np.flatnonzero(g.admin1 == region)
        if rows.size == 0:
            continue
        lon, lat, pop = g.lon[rows], g.lat[rows], g.population[rows]
        away = _distance_m(float(np.median(lon)), float(np.median(lat)), lon, lat)
        keep = away <= OUTLIER * np.quantile(away, 0.95)
        lon, lat, pop = lon[keep], lat[keep], pop[keep]
        mid_lon = float(lon.min() + lon.max()) / 2.0
        mid_lat = float(lat.min() + lat.max()) / 2.0
        reach = _distance_m(mid_lon, mid_lat, lon, lat) + np.array(
            [settlement_radius_m(p) for p in pop]
        )
        out[region] = Extent(region, mid_lon, mid_lat, float(np.max(reach)))
    return out


def _distance_m(lon0: float, lat0: float, lon: Any, lat: Any) -> Any:
    """Geodesic distance(s) in m from one point (pyproj.Geod on WGS 84, Karney 2013)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    _, _, dist = _GEOD.inv(np.full(lon.shape, lon0), np.full(lat.shape, lat0), lon, lat)
    return dist
