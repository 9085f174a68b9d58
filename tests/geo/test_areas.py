"""Sides come from each party's area of control, not from the line carried on past its ends."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ceasefire.agreement.load import demo_agreement_path, load_agreement
from ceasefire.cli.app import app
from ceasefire.geo.engine import NEAR_LINE_M, GeoEngine
from ceasefire.sim.areas import demo_areas, feature_collection

#: (lon, lat) of city centres (rounded), and who holds them in the demo's approximate areas.
CITIES = {
    "Odesa": ((30.7233, 46.4825), "UA"),
    "Chornomorsk": ((30.6570, 46.3017), "UA"),
    "Izmail": ((28.8303, 45.3500), "UA"),
    "Mykolaiv": ((31.9946, 46.9659), "UA"),
    "Kherson": ((32.6169, 46.6354), "UA"),
    "Zaporizhzhia": ((35.1396, 47.8388), "UA"),
    "Kharkiv": ((36.2304, 49.9935), "UA"),
    "Kyiv": ((30.5234, 50.4501), "UA"),
    "Lviv": ((24.0297, 49.8397), "UA"),
    "Donetsk": ((37.8022, 48.0230), "RU"),
    "Luhansk": ((39.3078, 48.5740), "RU"),
    "Melitopol": ((35.3653, 46.8489), "RU"),
    "Sevastopol": ((33.5254, 44.6166), "RU"),
    "Belgorod": ((36.5983, 50.5997), "RU"),
    "Kursk": ((36.1874, 51.7373), "RU"),
    "Minsk": ((27.5615, 53.9045), None),
    "Chisinau": ((28.8638, 47.0105), None),
}


@pytest.fixture
def demo_engine(engine: GeoEngine) -> GeoEngine:
    return engine  # the session's engine of the demo agreement (conftest)


@pytest.mark.parametrize("city", list(CITIES))
def test_each_city_is_held_by_the_party_whose_area_it_is_in(
    demo_engine: GeoEngine, city: str
) -> None:
    (lon, lat), holder = CITIES[city]
    row = demo_engine.classify([lon], [lat]).row(0)
    assert row["party"] == holder
    assert row["side"] == {"RU": 1, "UA": -1, None: 0}[holder]


def test_a_point_outside_both_areas_is_in_no_band_zone(demo_engine: GeoEngine) -> None:
    # Russia east of the demo's theatre outline, 100 km from the line: no party's area.
    row = demo_engine.classify([41.6], [48.5]).row(0)
    assert (row["party"], row["side"], row["zones"]) == (None, 0, [])
    assert row["distance_m"] == row["line_distance_m"] > 0


def test_near_the_line_the_line_decides_and_distances_are_unchanged(
    demo_engine: GeoEngine,
) -> None:
    """Within NEAR_LINE_M the side, distance and zones are what the line alone gives."""
    plain = GeoEngine(dataclasses.replace(demo_engine.agreement, areas={}))
    lon = [37.60, 37.62, 36.0, 33.0, 34.9]
    lat = [48.50, 48.51, 47.65, 46.70, 47.52]
    with_areas, line_only = demo_engine.classify(lon, lat), plain.classify(lon, lat)
    near = with_areas.line_distance_m <= NEAR_LINE_M
    assert (with_areas.side[near] == line_only.side[near]).all()
    assert (with_areas.distance_m == line_only.distance_m).all()
    for name in with_areas.zones:
        assert (with_areas.zones[name] == line_only.zones[name]).all()


def test_without_areas_the_line_carried_on_decides_as_before(demo_engine: GeoEngine) -> None:
    plain = GeoEngine(dataclasses.replace(demo_engine.agreement, areas={}))
    odesa, _ = CITIES["Odesa"]
    assert plain.classify([odesa[0]], [odesa[1]]).row(0)["party"] == "RU"


def test_the_shipped_areas_are_what_the_script_makes() -> None:
    folder = Path(str(demo_agreement_path().parent))
    line = load_agreement(demo_agreement_path()).line
    shipped = json.loads((folder / "areas_of_control.geojson").read_text(encoding="utf-8"))
    made = json.loads(json.dumps(feature_collection(demo_areas(line))))
    assert shipped == made


def test_agreement_check_warns_where_areas_leave_a_gap_along_the_line(tmp_path: Path) -> None:
    folder = Path(str(demo_agreement_path().parent))
    for name in ("agreement.yaml", "line_of_contact.geojson"):
        (tmp_path / name).write_bytes((folder / name).read_bytes())
    areas = json.loads((folder / "areas_of_control.geojson").read_text(encoding="utf-8"))
    # Drop the UA area's shape and give it a small square around Kyiv: a gap all along the line.
    ua = next(f for f in areas["features"] if f["properties"]["party"] == "UA")
    ua["geometry"] = {
        "type": "Polygon",
        "coordinates": [[[30, 50], [31, 50], [31, 51], [30, 51], [30, 50]]],
    }
    (tmp_path / "areas_of_control.geojson").write_text(json.dumps(areas), encoding="utf-8")
    (tmp_path / "agreement.yaml").write_text(
        (tmp_path / "agreement.yaml")
        .read_text(encoding="utf-8")
        .replace(
            "name: Kramatorsk, lon: 37.56779, lat: 48.73106", "name: Kyiv, lon: 30.52, lat: 50.45"
        ),
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["agreement", "check", str(tmp_path / "agreement.yaml")])
    assert result.exit_code == 0, result.output
    assert "warning" in result.output and "areas_of_control.UA" in result.output
    assert "gap" in result.output
    clean = CliRunner().invoke(app, ["agreement", "check", str(demo_agreement_path())])
    assert clean.exit_code == 0 and "warning" not in clean.output
