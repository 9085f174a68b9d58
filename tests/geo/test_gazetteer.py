"""The offline gazetteer: names, alternates, regions, and its on-disk cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from ceasefire.errors import NotFoundError
from ceasefire.geo import gazetteer
from ceasefire.geo.gazetteer import ADMIN1_NAMES, load_gazetteer

# Each oblast centre and the region GeoNames files it under, as our table names it.
CAPITALS = [
    ("Kharkiv", "Kharkiv"),
    ("Dnipro", "Dnipropetrovsk"),
    ("Kramatorsk", "Donetsk"),
    ("Odesa", "Odesa"),
    ("Kherson", "Kherson"),
    ("Zaporizhzhia", "Zaporizhzhia"),
    ("Sumy", "Sumy"),
    ("Belgorod", "Belgorod"),
]


@pytest.mark.parametrize(("city", "region"), CAPITALS)
def test_region_names(city: str, region: str) -> None:
    g = load_gazetteer()
    assert g.admin1[g.find(city)] == region


def test_alternate_name_finds_the_city_not_a_village() -> None:
    g = load_gazetteer()
    i = g.find("Zaporizhzhia")
    assert g.population[i] > 500_000
    lon, lat = g.coords("zaporizhzhia")  # case folded
    assert abs(lon - 35.14) < 0.1 and abs(lat - 47.84) < 0.1


def test_country_filter_picks_the_right_donetsk() -> None:
    g = load_gazetteer()
    assert g.country[g.find("Donetsk", "UA")] == "UA"
    assert g.country[g.find("Donetsk", "RU")] == "RU"


def test_unknown_name_is_a_clear_error() -> None:
    with pytest.raises(NotFoundError, match="Atlantis"):
        load_gazetteer().find("Atlantis")


def test_every_named_region_occurs() -> None:
    g = load_gazetteer()
    present = set(g.admin1.tolist())
    assert set(ADMIN1_NAMES.values()) <= present


def test_cache_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    load_gazetteer.cache_clear()
    try:
        cold = load_gazetteer()
        assert gazetteer._cache_path().is_file()
        load_gazetteer.cache_clear()
        warm = load_gazetteer()
        assert warm.name.tolist() == cold.name.tolist()
        assert warm.admin1.tolist() == cold.admin1.tolist()
        assert warm.alternates == cold.alternates
    finally:
        load_gazetteer.cache_clear()


def test_city_districts_are_not_counted_as_settlements() -> None:
    names = set(load_gazetteer().name.tolist())
    for district in ("Tsentralno-Miskyi", "Kyivskyi", "Mykytivskyi"):
        assert district not in names
    # Towns near a big city stay: Makiyivka is a city of its own beside Donetsk.
    assert {"Makiyivka", "Donetsk", "Horlivka"} <= names


def test_cyrillic_alternates_are_kept_and_other_scripts_are_not() -> None:
    g = load_gazetteer()
    kharkiv = g.find("Kharkiv")
    assert {"Харків", "Харьков"} <= set(g.alternates[kharkiv])
    # Ukrainian and Russian text name places in Cyrillic: find() takes them too.
    assert g.find("Харків") == kharkiv
    assert g.find("Запоріжжя") == g.find("Zaporizhzhia")
    assert all(gazetteer._kept_script(a) for names in g.alternates for a in names)
    assert not gazetteer._kept_script("ハリコフ") and not gazetteer._kept_script("خاركوف")
