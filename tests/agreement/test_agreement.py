"""Agreement files: loading, every way a file can be wrong, sides, zone geometry and summaries.

Fixtures live in tests/data/agreements/ (written by make_fixtures.py there), one per case.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely
import yaml
from pyproj import CRS, Geod, Transformer
from shapely.geometry import LineString, Point

from ceasefire.agreement.load import check_agreement, demo_agreement_path, load_agreement
from ceasefire.agreement.model import (
    Agreement,
    area_km2,
    describe,
    format_duration,
    side_of_line,
    zone_polygons,
)
from ceasefire.agreement.values import parse_duration
from ceasefire.errors import AgreementError, CeasefireError
from ceasefire.geo.gazetteer import Gazetteer, load_gazetteer
from ceasefire.geo.zones import zone_summaries

DATA = Path(__file__).parents[1] / "data" / "agreements"
GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def demo() -> Agreement:
    return load_agreement(demo_agreement_path())


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return load_gazetteer()


def _distance_m(line: LineString, lon: float, lat: float) -> tuple[float, bool]:
    """Metres from the point to the line (segments straight in lon/lat), and whether the point
    lies past an end (its nearest point is an end vertex, reached from outside the line).

    Independent of the code under test: an azimuthal equidistant plane centred on the point
    makes distances from it true, so the nearest point of the (densified) line is plain Euclid.
    """
    aeqd = CRS.from_proj4(f"+proj=aeqd +lat_0={lat} +lon_0={lon} +ellps=WGS84 +units=m")
    dense = shapely.get_coordinates(shapely.segmentize(line, 0.005))
    x, y = Transformer.from_crs("EPSG:4326", aeqd, always_xy=True).transform(*dense.T)
    a = np.column_stack([x[:-1], y[:-1]])
    d = np.column_stack([np.diff(x), np.diff(y)])
    raw = -(a * d).sum(1) / (d * d).sum(1)
    t = np.clip(raw, 0, 1)
    dist = np.hypot(*(a + t[:, None] * d).T)
    i = int(np.argmin(dist))
    past_end = (i == 0 and raw[i] < 0) or (i == len(d) - 1 and raw[i] > 1)
    return float(dist[i]), bool(past_end)


# --- loading ----------------------------------------------------------------------------------


def test_demo_agreement_loads(demo: Agreement) -> None:
    assert demo.parties == {"RU": "Russian Federation", "UA": "Ukraine"}
    assert (demo.left_party, demo.right_party) == ("RU", "UA")
    assert demo.effective_from == datetime(2026, 3, 1, tzinfo=UTC)
    assert demo.approximate
    assert {a.name for a in demo.anchors.values()} == {"Donetsk", "Kramatorsk"}
    assert dict(demo.zone("dmz").widths_m) == {"RU": 15_000.0, "UA": 15_000.0}
    withdrawal = {z.name: z for z in demo.zones if z.kind == "withdrawal"}
    assert withdrawal["artillery_100mm"].min_calibre_mm == 100
    assert set(withdrawal["heavy_mlrs_tactical_missiles"].weapon_classes) == {
        "heavy_mlrs",
        "tactical_missile",
    }
    assert demo.hotline.acknowledge_within == timedelta(minutes=15)
    assert demo.hotline.answer_within == timedelta(hours=24)
    assert demo.hotline.line_check_every == timedelta(hours=6)
    assert demo.source == demo_agreement_path()
    assert check_agreement(demo_agreement_path()) == []


def test_demo_describe_is_json(demo: Agreement) -> None:
    info = json.loads(json.dumps(describe(demo)))
    assert set(info["parties"]) == {"RU", "UA"}
    assert info["sides"] == {"left": "RU", "right": "UA"}
    assert info["hotline"] == {
        "acknowledge_within": "PT15M",
        "answer_within": "P1D",
        "line_check_every": "PT6H",
    }
    assert info["effective_from"] == "2026-03-01T00:00:00+00:00"
    # The front is about 1,200 km long with the border stretch (DESIGN section 1).
    assert 1000 < info["line_of_contact"]["length_km"] < 1300
    assert info["zones"][0]["name"] == "dmz"
    assert demo.to_dict() == describe(demo)


@pytest.mark.parametrize(
    "name",
    [
        "valid_minimal",
        "multipart_joined_line",
        "sides_from_anchors",
        "polygon_dmz",
        "party_lines",
        "party_aliases",
    ],
)
def test_valid_fixtures_load(name: str) -> None:
    path = DATA / f"{name}.yaml"
    assert check_agreement(path) == []
    a = load_agreement(path)
    assert (a.left_party, a.right_party) == ("RU", "UA")
    assert len(a.line.coords) == 7


# (fixture, file at fault, field, words the reason must contain)
BAD = [
    ("self_intersecting_line", "self_intersecting_line.geojson", "line_of_contact", "crosses"),
    ("single_point_line", "single_point_line.geojson", "line_of_contact", "at least 2 points"),
    ("point_not_line", "point_not_line.geojson", "line_of_contact", "Point, not a LineString"),
    ("multipart_gap_line", "multipart_gap_line.geojson", "line_of_contact", "separate pieces"),
    ("multipart_reversed_line", "multipart_reversed_line.geojson", "line_of_contact", "reversed"),
    ("nan_coordinate_line", "nan_coordinate_line.geojson", "line_of_contact", "not a finite"),
    (
        "non_numeric_coordinate_line",
        "non_numeric_coordinate_line.geojson",
        "line_of_contact",
        "non-numeric",
    ),
    ("repeated_point_line", "repeated_point_line.geojson", "line_of_contact", "repeats"),
    (
        "projected_coordinates_line",
        "projected_coordinates_line.geojson",
        "line_of_contact",
        "not a lon/lat",
    ),
    ("missing_line_file", "missing_line_file.yaml", "line_of_contact.file", "no such file"),
    ("missing_zone_widths", "missing_zone_widths.yaml", "zones.dmz.widths_km", "widths missing"),
    ("negative_zone_width", "negative_zone_width.yaml", "zones.dmz.widths_km.UA", "negative"),
    ("non_numeric_zone_width", "non_numeric_zone_width.yaml", "zones.dmz.widths_km.RU", "number"),
    ("zone_width_missing_party", "zone_width_missing_party.yaml", "zones.dmz.widths_km", "UA"),
    (
        "unknown_weapon_class",
        "unknown_weapon_class.yaml",
        "zones.artillery_100mm.weapon_classes",
        "howitzer",
    ),
    ("unknown_zone_kind", "unknown_zone_kind.yaml", "zones.dmz.kind", "buffer"),
    (
        "polygon_zone_outside_area",
        "polygon_zone_outside_area.yaml",
        "zones.dmz.polygon",
        "outside the declared area",
    ),
    ("unknown_party_in_sides", "unknown_party_in_sides.yaml", "sides.right", "unknown party 'UK'"),
    ("unknown_party_in_zone", "unknown_party_in_zone.yaml", "zones.dmz.widths_km.BY", "unknown"),
    ("unknown_party_anchor", "unknown_party_anchor.yaml", "anchors.XX", "unknown party 'XX'"),
    ("reserved_party_code", "reserved_party_code.yaml", "parties", "'mission' is reserved"),
    (
        "alias_of_two_parties",
        "alias_of_two_parties.yaml",
        "parties.UA.aliases",
        "already stands for RU",
    ),
    ("alias_is_a_code", "alias_is_a_code.yaml", "parties.RU.aliases", "the code of UA"),
    (
        "bad_require_signed",
        "bad_require_signed.yaml",
        "parties.UA.require_signed_reports",
        "true or false",
    ),
    ("unknown_party_line", "unknown_party_line.yaml", "party_lines.DNR", "unknown party 'DNR'"),
    ("reversed_party_line", "reversed_party_line.yaml", "party_lines.RU", "opposite way"),
    ("both_sides_same_party", "both_sides_same_party.yaml", "sides", "both sides are held by RU"),
    ("anchor_wrong_side", "anchor_wrong_side.yaml", "anchors.RU", "Donetsk"),
    ("anchors_same_side", "anchors_same_side.yaml", "anchors", "both fall on the left"),
    ("no_sides", "no_sides.yaml", "sides", "missing"),
    ("line_outside_area", "line_outside_area.yaml", "line_of_contact", "outside the declared"),
    ("bad_area_bbox", "bad_area_bbox.yaml", "area.bbox", "min < max"),
    ("unknown_event_type", "unknown_event_type.yaml", "prohibited_acts.fire.event_types", "art"),
    ("unknown_zone_in_act", "unknown_zone_in_act.yaml", "prohibited_acts.x.zones", "no_mans"),
    ("bad_duration", "bad_duration.yaml", "hotline.acknowledge_within", "PT15M"),
    ("bad_duration", "bad_duration.yaml", "hotline.answer_within", "'soon'"),
    ("bad_duration", "bad_duration.yaml", "hotline.line_check_every", "no unit"),
    ("zero_duration", "zero_duration.yaml", "hotline.acknowledge_within", "longer than zero"),
    ("naive_effective_time", "naive_effective_time.yaml", "effective_from", "UTC offset"),
    ("date_only_effective_time", "date_only_effective_time.yaml", "effective_from", "time of day"),
    ("not_yaml", "not_yaml.yaml", "", "not valid YAML: line 3"),
    ("not_a_mapping", "not_a_mapping.yaml", "", "mapping"),
    ("duplicate_key", "duplicate_key.yaml", "", "duplicate key 'version'"),
    ("unknown_field", "unknown_field.yaml", "hotline_deadlines", "unknown field"),
]


@pytest.mark.parametrize(("name", "file", "field", "words"), BAD, ids=[b[0] for b in BAD])
def test_bad_agreement_names_file_and_field(name: str, file: str, field: str, words: str) -> None:
    problems = check_agreement(DATA / f"{name}.yaml")
    assert problems, "expected at least one problem"
    hits = [p for p in problems if p.where.endswith(file) and p.field == field]
    assert hits, f"no problem for {file} {field!r}: {[str(p) for p in problems]}"
    assert any(words in p.reason for p in hits), [str(p) for p in hits]
    with pytest.raises(AgreementError) as info:
        load_agreement(DATA / f"{name}.yaml")
    assert list(info.value.problems) == problems


def test_anchor_on_wrong_side_reports_both_anchors() -> None:
    problems = check_agreement(DATA / "anchor_wrong_side.yaml")
    assert [p.field for p in problems] == ["anchors.RU", "anchors.UA"]
    assert "falls on the left side of the line, but sides.right says RU" in problems[0].reason


def test_load_reports_every_problem_at_once() -> None:
    with pytest.raises(AgreementError) as info:
        load_agreement(DATA / "many_problems.yaml")
    fields = [p.field for p in info.value.problems]
    assert fields == [
        "version",
        "sides.right",
        "zones.dmz.widths_km.RU",
        "zones.dmz.widths_km.UA",
        "hotline.answer_within",
    ]
    assert "many_problems.yaml: version:" in str(info.value)
    assert "(and 4 more problem(s))" in str(info.value)
    assert isinstance(info.value, CeasefireError)


def test_missing_agreement_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    (problem,) = check_agreement(missing)
    assert problem.where == str(missing) and problem.reason == "no such file"
    with pytest.raises(AgreementError, match=r"nope\.yaml: no such file"):
        load_agreement(missing)


# --- other geometry formats, through pyogrio --------------------------------------------------


def _fixture_line() -> LineString:
    doc = json.loads((DATA / "simple_line.geojson").read_text())
    return LineString(doc["features"][0]["geometry"]["coordinates"])


def _agreement_pointing_at(tmp_path: Path, geometry_file: str) -> Path:
    data = yaml.safe_load((DATA / "valid_minimal.yaml").read_text())
    data["line_of_contact"] = {"file": geometry_file}
    path = tmp_path / "agreement.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.mark.parametrize(
    ("driver", "filename", "crs"),
    [
        ("KML", "line.kml", "EPSG:4326"),
        ("LIBKML", "line_libkml.kml", "EPSG:4326"),  # writes Z = 0: dropped on read
        ("GPKG", "line.gpkg", "EPSG:4326"),
        ("GPKG", "line_utm.gpkg", "EPSG:32637"),  # UTM 37N: reprojected back to lon/lat
        ("ESRI Shapefile", "line.shp", "EPSG:32637"),
    ],
)
def test_line_from_other_formats(tmp_path: Path, driver: str, filename: str, crs: str) -> None:
    line = _fixture_line()
    to_crs = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    stored = shapely.transform(line, lambda x, y: to_crs.transform(x, y), interleaved=False)
    pyogrio.raw.write(
        tmp_path / filename,
        np.array([shapely.to_wkb(stored)], dtype=object),
        [np.array(["line of contact"], dtype=object)],
        ["name"],
        driver=driver,
        crs=crs,
        geometry_type="LineString",
    )
    loaded = load_agreement(_agreement_pointing_at(tmp_path, filename))
    assert loaded.line.equals_exact(line, tolerance=1e-7)
    assert not loaded.line.has_z
    assert (loaded.left_party, loaded.right_party) == ("RU", "UA")


def test_unreadable_geometry_file(tmp_path: Path) -> None:
    (tmp_path / "line.geojson").write_text("{ not geojson")
    (problem,) = check_agreement(_agreement_pointing_at(tmp_path, "line.geojson"))
    assert problem.where == str(tmp_path / "line.geojson")
    assert problem.field == "line_of_contact"
    assert problem.reason.startswith("cannot read as geometry")


# --- values -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15m", timedelta(minutes=15)),
        ("15min", timedelta(minutes=15)),
        ("2h", timedelta(hours=2)),
        ("1h30m", timedelta(minutes=90)),
        ("1d", timedelta(days=1)),
        ("90s", timedelta(seconds=90)),
        ("PT15M", timedelta(minutes=15)),
        ("pt6h", timedelta(hours=6)),
        ("P1DT2H", timedelta(hours=26)),
        ("P2W", timedelta(weeks=2)),
        ("PT0.5H", timedelta(minutes=30)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "soon", "15", "m15", "P15M", "P1Y", "PT", "P", "0h", "-5m"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize(
    ("td", "text"),
    [
        (timedelta(minutes=15), "PT15M"),
        (timedelta(hours=24), "P1D"),
        (timedelta(days=1, hours=2, seconds=5), "P1DT2H5S"),
        (timedelta(0), "PT0S"),
    ],
)
def test_format_duration_round_trips(td: timedelta, text: str) -> None:
    assert format_duration(td) == text
    if td:
        assert parse_duration(text) == td


# --- sides ------------------------------------------------------------------------------------


def test_side_of_line_simple() -> None:
    south = LineString([(37.0, 49.0), (37.0, 48.0)])
    assert side_of_line(south, 37.3, 48.5) == "left"  # east of a line walked south
    assert side_of_line(south, 36.7, 48.5) == "right"
    assert side_of_line(south, 37.0, 48.5) == "on"
    assert side_of_line(south, 37.1, 47.5) == "left"  # beyond the end: the extended segment


def test_side_of_line_outside_a_sharp_bend() -> None:
    # East, then sharply back west-north-west: the corner at (38, 48) is a left turn of ~174°,
    # so points east of it are outside the corner (right), points in the wedge are left.
    # Judging by the first segment alone would call the outside point "left".
    bend = LineString([(37.0, 48.0), (38.0, 48.0), (37.0, 48.1)])
    assert side_of_line(bend, 38.2, 48.06) == "right"
    assert side_of_line(bend, 37.5, 48.03) == "left"
    assert side_of_line(bend, 37.5, 47.9) == "right"


def test_demo_anchors_on_their_sides(demo: Agreement, gazetteer: Gazetteer) -> None:
    for town, side in [("Donetsk", "left"), ("Horlivka", "left"), ("Melitopol", "left")]:
        assert side_of_line(demo.line, *gazetteer.coords(town, "UA")) == side, town
    # not "Zaporizhzhia": the gazetteer finds a village of that name; the city is "Zaporizhzhya"
    for town in ("Kramatorsk", "Kharkiv", "Zaporizhzhya", "Dnipro", "Mykolaiv"):
        assert side_of_line(demo.line, *gazetteer.coords(town, "UA")) == "right", town


# --- zone geometry ----------------------------------------------------------------------------


def test_demo_dmz_area_is_length_times_width(demo: Agreement) -> None:
    length_km = GEOD.geometry_length(demo.line) / 1000
    polygons = zone_polygons(demo)
    for party in ("RU", "UA"):
        got = area_km2(polygons[("dmz", party)])
        # a one-sided band: bends add a little on their outer side and lose it on the inner
        assert got == pytest.approx(length_km * 15, rel=0.03), party
    both = area_km2(polygons[("dmz", "RU")]) + area_km2(polygons[("dmz", "UA")])
    assert both == pytest.approx(length_km * 30, rel=0.01)
    assert polygons[("dmz", "RU")].intersection(polygons[("dmz", "UA")]).area < 1e-9


def test_demo_zones_lie_on_their_sides(demo: Agreement) -> None:
    for (_, party), geom in zone_polygons(demo).items():
        assert party is not None
        p = geom.representative_point()
        assert side_of_line(demo.line, p.x, p.y) == demo.side_of(str(party))


def test_wider_zones_contain_narrower(demo: Agreement) -> None:
    polygons = zone_polygons(demo)
    for party in ("RU", "UA"):
        dmz = polygons[("dmz", party)]
        heavy = polygons[("heavy_mlrs_tactical_missiles", party)]
        assert heavy.buffer(1e-6).contains(dmz)
        assert area_km2(heavy) > area_km2(polygons[("mlrs", party)]) > area_km2(dmz)


@pytest.mark.slow  # ~120 towns, each distance computed independently (~3 s)
def test_zone_membership_matches_distance_and_side(demo: Agreement, gazetteer: Gazetteer) -> None:
    """Every band, judged against an independent distance and the side test, at ~120 towns."""
    polygons = zone_polygons(demo)
    lon0, lat0, lon1, lat1 = demo.line.buffer(1.2).bounds
    box_ = (gazetteer.lon > lon0) & (gazetteer.lon < lon1)
    near = np.flatnonzero(box_ & (gazetteer.lat > lat0) & (gazetteer.lat < lat1))
    sample = near[:: max(1, len(near) // 120)]
    lon, lat = gazetteer.lon[sample], gazetteer.lat[sample]
    inside = {key: shapely.intersects_xy(geom, lon, lat) for key, geom in polygons.items()}
    checked = 0
    for k, i in enumerate(sample):
        dist, past_end = _distance_m(demo.line, float(lon[k]), float(lat[k]))
        if past_end:  # flat ends: see test_nothing_past_the_ends
            continue
        side = side_of_line(demo.line, float(lon[k]), float(lat[k]))
        for zone in demo.zones:
            for party, width in zone.widths_m.items():
                if abs(dist - width) < 300:  # the rim: arcs and tmerc scale stray < 25 m
                    continue
                expected = dist < width and side == demo.side_of(party)
                got = bool(inside[(zone.name, party)][k])
                assert got == expected, (str(gazetteer.name[i]), zone.name, party, dist, side)
        checked += 1
    assert checked > 90


def test_nothing_past_the_ends(demo: Agreement, gazetteer: Gazetteer) -> None:
    polygons = zone_polygons(demo)
    # 5 km past the southern end, which runs west into the Dnipro-Bug estuary: that point is
    # 32 km from the rest of the line (the last segment is 27 km), so no band under 30 km
    # reaches it; a round-ended buffer would
    xy = np.asarray(demo.line.coords)
    past = Point(*(xy[-1] + (xy[-1] - xy[-2]) / np.hypot(*(xy[-1] - xy[-2])) * 0.065))
    # Odesa is ~67 km past that end: inside a 70 km round buffer, outside a flat-ended band
    odesa = Point(*gazetteer.coords("Odesa", "UA"))
    for (name, party), geom in polygons.items():
        assert party is not None
        if demo.zone(name).widths_m[party] < 30_000:
            assert not geom.intersects(past), (name, party)
        assert not geom.intersects(odesa), (name, party)


def test_zone_polygons_are_clean(demo: Agreement) -> None:
    for key, geom in zone_polygons(demo).items():
        assert geom.is_valid, key
        assert geom.geom_type == "Polygon", (key, len(getattr(geom, "geoms", [])))


def test_kostiantynivka_in_the_ukrainian_dmz(demo: Agreement, gazetteer: Gazetteer) -> None:
    lon, lat = gazetteer.coords("Kostiantynivka", "UA")
    dist, _ = _distance_m(demo.line, lon, lat)
    assert dist < 15_000  # measured here, not assumed: ~11 km on this approximate line
    summaries = {(s.zone, s.party): s for s in zone_summaries(demo, gazetteer)}
    name = str(gazetteer.name[gazetteer.find("Kostiantynivka", "UA")])
    assert name in dict(summaries[("dmz", "UA")].settlements)
    assert name not in dict(summaries[("dmz", "RU")].settlements)


def test_far_settlements_in_no_zone(demo: Agreement, gazetteer: Gazetteer) -> None:
    inside = {n for s in zone_summaries(demo, gazetteer) for n, _ in s.settlements}
    for town in ("Lviv", "Kyiv", "Odesa", "Vinnytsia"):  # Poltava is ~120 km: in the 140 km zone
        assert str(gazetteer.name[gazetteer.find(town, "UA")]) not in inside, town


def test_zone_summaries_shape(demo: Agreement, gazetteer: Gazetteer) -> None:
    summaries = zone_summaries(demo, gazetteer)
    assert [(s.zone, s.party) for s in summaries[:2]] == [("dmz", "RU"), ("dmz", "UA")]
    assert len(summaries) == 2 * len(demo.zones)
    for s in summaries:
        pops = [p for _, p in s.settlements]
        assert pops == sorted(pops, reverse=True)
        d = json.loads(json.dumps(s.to_dict()))
        assert set(d) >= {"zone", "party", "area_km2", "settlements", "population"}
        assert d["population"] == sum(x["population"] for x in d["settlements"])


def test_polygon_zone_as_given() -> None:
    a = load_agreement(DATA / "polygon_dmz.yaml")
    polygons = zone_polygons(a)
    assert ("dmz", None) in polygons
    assert polygons[("dmz", None)].equals(a.zone("dmz").polygon)
    assert ("artillery_100mm", "RU") in polygons


def test_party_line_zone_measured_from_that_line() -> None:
    a = load_agreement(DATA / "party_lines.yaml")
    polygons = zone_polygons(a)
    ru_line = a.line_for("RU")
    assert ru_line is not a.line and a.line_for("UA") is a.line
    # the RU band starts at the RU line: the line is on its rim, the reference line is not
    # ~10 cm slack (1e-6 degree): the projection round trip moves the rim by a centimetre or so
    assert polygons[("dmz", "RU")].buffer(1e-6).contains(ru_line)
    assert not polygons[("dmz", "RU")].buffer(1e-6).contains(a.line)
    assert polygons[("dmz", "UA")].buffer(1e-6).contains(a.line)


def test_zones_clipped_to_declared_area() -> None:
    a = load_agreement(DATA / "valid_minimal.yaml")
    assert a.area is not None
    for geom in zone_polygons(a).values():
        assert a.area.buffer(1e-9).contains(geom)


def test_agreement_copy_elsewhere_resolves_relative_paths(tmp_path: Path) -> None:
    shutil.copy(DATA / "valid_minimal.yaml", tmp_path / "a.yaml")
    (problem,) = check_agreement(tmp_path / "a.yaml")
    assert problem.field == "line_of_contact.file"
    assert str(tmp_path / "simple_line.geojson") in problem.reason


def test_one_side_named_and_an_anchor_for_the_other_party(tmp_path: Path) -> None:
    """With two parties, naming one side names the other; its anchor is then checked, not refused."""

    folder = demo_agreement_path().parent
    for name in ("agreement.yaml", "line_of_contact.geojson", "areas_of_control.geojson"):
        shutil.copy(folder / name, tmp_path / name)
    text = (tmp_path / "agreement.yaml").read_text(encoding="utf-8")
    text = text.replace("  left: RU\n  right: UA\n", "  left: RU\n")
    assert "right: UA" not in text
    (tmp_path / "agreement.yaml").write_text(text, encoding="utf-8")
    assert check_agreement(tmp_path / "agreement.yaml") == []
    assert load_agreement(tmp_path / "agreement.yaml").right_party == "UA"


def test_party_aliases_stand_for_their_codes() -> None:
    a = load_agreement(DATA / "party_aliases.yaml")
    codes = a.party_codes
    assert sorted(codes) == ["RU", "UA"] and "RU" in codes and "Russia" not in codes
    # Without regard to case and surrounding spaces; codes are matched the same way.
    for name in ("RU", "Russia", "  RUSSIA ", "russian forces", "ru"):
        assert codes.code_of(name) == "RU", name
    assert codes.code_of("Ukraine") == "UA"
    assert codes.code_of("Rusia") is None and codes.code_of("the other side") is None
    assert codes.signed_only == {"UA"}
    info = describe(a)
    assert info["party_aliases"] == {"russia": "RU", "russian forces": "RU", "ukraine": "UA"}
    assert info["signed_parties"] == ["UA"]


def test_an_agreement_without_aliases_is_described_as_before() -> None:
    # Registered agreements are compared by their description: one without the new settings
    # must describe (and so register) as it did.
    info = describe(load_agreement(DATA / "valid_minimal.yaml"))
    assert "party_aliases" not in info and "signed_parties" not in info


def test_the_demo_names_its_parties(demo: Agreement) -> None:
    assert demo.party_codes.code_of("Russian Federation") == "RU"
    assert demo.party_codes.code_of("ukrainian forces") == "UA"
    assert demo.signed_parties == frozenset()
