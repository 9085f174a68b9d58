"""Tests of :mod:`ceasefire.geo.engine`: accuracy against shapely and the geodesic, sides, zones."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import LineString, Polygon

import ceasefire
from ceasefire.agreement.model import Agreement, HotlineDeadlines, Zone
from ceasefire.errors import AgreementError, CeasefireError, InputError
from ceasefire.geo._nearest import Polyline
from ceasefire.geo.engine import GeoEngine, Placement

DEMO_LINE = Path(ceasefire.__file__).parent / "data" / "demo" / "line_of_contact.geojson"
HOTLINE = HotlineDeadlines(timedelta(minutes=30), timedelta(hours=24), timedelta(hours=6))
GEOD = Geod(ellps="WGS84")

#: Towns and the party whose side they are on (lon, lat from GeoNames, rounded).
TOWNS = {
    "Donetsk": ((37.80, 48.00), "RU"),
    "Melitopol": ((35.37, 46.85), "RU"),
    "Kramatorsk": ((37.56, 48.72), "UA"),
    "Zaporizhzhia": ((35.14, 47.84), "UA"),
    "Kharkiv": ((36.23, 49.99), "UA"),
}


def demo_zones(widths: dict[str, float] | None = None) -> tuple[Zone, ...]:
    """The demo zones: DMZ 15 km a side, withdrawal at 50 / 70 / 140 km a side."""

    def both(km: float) -> dict[str, float]:
        return {"RU": km * 1000.0, "UA": km * 1000.0}

    return (
        Zone("dmz", "dmz", widths or both(15)),
        Zone("artillery_100mm", "withdrawal", both(50), weapon_classes=("artillery",)),
        Zone("mlrs", "withdrawal", both(70), weapon_classes=("mlrs",)),
        Zone(
            "heavy_mlrs_tactical_missile",
            "withdrawal",
            both(140),
            weapon_classes=("heavy_mlrs", "tactical_missile"),
        ),
    )


def make_agreement(line: LineString, **kw: object) -> Agreement:
    args: dict[str, object] = {
        "id": "test",
        "version": 1,
        "title": "test agreement",
        "effective_from": datetime(2026, 3, 1, tzinfo=UTC),
        "parties": {"RU": "Russian Federation", "UA": "Ukraine"},
        "line": line,
        "left_party": "RU",
        "right_party": "UA",
        "zones": demo_zones(),
        "hotline": HOTLINE,
    }
    args.update(kw)
    return Agreement(**args)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def demo_line() -> LineString:
    geojson = json.loads(DEMO_LINE.read_text(encoding="utf-8"))
    return LineString(geojson["features"][0]["geometry"]["coordinates"])


@pytest.fixture(scope="module")
def demo_engine(demo_line: LineString) -> GeoEngine:
    """The demo engine that never builds its grid (the STRtree path for small batches)."""
    return GeoEngine(make_agreement(demo_line), grid_min_points=10**9)


@pytest.fixture(scope="module")
def demo_engine_grid(demo_line: LineString) -> GeoEngine:
    """The demo engine with its candidate grid built (the bulk path)."""
    return GeoEngine(make_agreement(demo_line)).prepare()


def random_points(engine: GeoEngine, n: int, seed: int) -> tuple[npt.NDArray[np.float64], ...]:
    """Points in the grid area and beyond it (to 200 km past the edge: the fallback path)."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = engine.bounds
    x = rng.uniform(x0 - 200e3, x1 + 200e3, n)
    y = rng.uniform(y0 - 200e3, y1 + 200e3, n)
    return x, y


def tricky_points(engine: GeoEngine, seed: int) -> tuple[npt.NDArray[np.float64], ...]:
    """Points close to every vertex (incl. the two ends) and along the extended end segments."""
    rng = np.random.default_rng(seed)
    v = shapely.get_coordinates(engine.line_xy)
    pts = [v[None, :, :] + rng.normal(0, s, (8, *v.shape)) for s in (1.0, 50.0, 2_000.0)]
    xy = np.concatenate([p.reshape(-1, 2) for p in pts])
    for a, b in ((v[1], v[0]), (v[-2], v[-1])):  # beyond each end, near the extension
        u = (b - a) / np.hypot(*(b - a))
        t = rng.uniform(0, 300e3, 200)
        off = rng.normal(0, 5_000, 200)
        xy = np.vstack([xy, b + t[:, None] * u + off[:, None] * np.array([-u[1], u[0]])])
    return xy[:, 0], xy[:, 1]


# -- accuracy -----------------------------------------------------------------------------------


@pytest.mark.parametrize("engine_name", ["demo_engine", "demo_engine_grid"])
def test_distance_equals_shapely(engine_name: str, request: pytest.FixtureRequest) -> None:
    engine: GeoEngine = request.getfixturevalue(engine_name)
    x1, y1 = random_points(engine, 20_000, seed=1)
    x2, y2 = tricky_points(engine, seed=2)
    x, y = np.concatenate([x1, x2]), np.concatenate([y1, y2])
    got = engine.classify_xy(x, y)
    want = shapely.distance(shapely.points(x, y), engine.line_xy)
    np.testing.assert_allclose(got.line_distance_m, want, rtol=0, atol=1.0)
    assert np.abs(got.line_distance_m - want).max() < 1e-3  # in fact exact to rounding


def test_grid_equals_brute_force_side_and_distance(demo_engine_grid: GeoEngine) -> None:
    x1, y1 = random_points(demo_engine_grid, 20_000, seed=3)
    x2, y2 = tricky_points(demo_engine_grid, seed=4)
    x, y = np.concatenate([x1, x2]), np.concatenate([y1, y2])
    got = demo_engine_grid.classify_xy(x, y)
    oracle = Polyline(shapely.get_coordinates(demo_engine_grid.line_xy)).nearest_brute(x, y)
    np.testing.assert_allclose(got.line_distance_m, oracle.distance, rtol=0, atol=1e-6)
    # Ties between two segments at the same distance may pick either; the side must agree
    # wherever the point is not (numerically) on the line.
    off_line = oracle.distance > 1e-6
    assert np.array_equal(got.side[off_line], oracle.side[off_line])


def test_side_matches_partition_of_plane(demo_engine_grid: GeoEngine) -> None:
    """Independent side oracle: the line with its end segments extended cuts the plane in two."""
    v = shapely.get_coordinates(demo_engine_grid.line_xy)
    far = 5_000e3
    u0 = (v[0] - v[1]) / np.hypot(*(v[0] - v[1]))
    u1 = (v[-1] - v[-2]) / np.hypot(*(v[-1] - v[-2]))
    start, end = v[0] + far * u0, v[-1] + far * u1
    # Close the left side with a counter-clockwise arc far outside, from the end ray back to the
    # start ray: a counter-clockwise ring has its inside on the left of the walk.
    c = v.mean(axis=0)
    a0 = np.arctan2(*(end - c)[::-1])
    a1 = np.arctan2(*(start - c)[::-1])
    a1 = a1 + 2 * np.pi if a1 <= a0 else a1
    arc = c + 4 * far * np.column_stack([np.cos(t := np.linspace(a0, a1, 64)), np.sin(t)])
    left = Polygon(np.vstack([start, v, end, arc]))
    assert left.is_valid
    x, y = random_points(demo_engine_grid, 20_000, seed=5)
    got = demo_engine_grid.classify_xy(x, y)
    near = got.line_distance_m < 300e3  # far out the ray extension and the nearest rule differ
    want = np.where(shapely.contains_xy(left, x, y), 1, -1)
    assert np.array_equal(got.side[near], want[near])


def geodesic_distance(line: LineString, lon: float, lat: float, step_m: float = 100.0) -> float:
    """Min geodesic distance to the line densified geodesically every ``step_m``."""
    c = np.asarray(line.coords)
    pts = [c[:1]]
    for a, b in itertools.pairwise(c):
        _, _, d = GEOD.inv(a[0], a[1], b[0], b[1])
        n = int(d // step_m)
        if n:
            pts.append(np.asarray(GEOD.npts(a[0], a[1], b[0], b[1], n)))
        pts.append(b[None, :])
    dense = np.concatenate(pts)
    _, _, dist = GEOD.inv(np.full(len(dense), lon), np.full(len(dense), lat), *dense.T)
    return float(dist.min())


def test_distance_within_half_percent_of_geodesic(
    demo_engine: GeoEngine, demo_line: LineString
) -> None:
    rng = np.random.default_rng(6)
    lon = rng.uniform(28.0, 42.0, 4_000)
    lat = rng.uniform(44.0, 53.0, 4_000)
    got = demo_engine.classify(lon, lat).line_distance_m
    # 2 km .. 300 km; closer than 2 km the 100 m sampling of the truth is itself off by 0.5 %.
    pick = np.flatnonzero((got > 2_000) & (got < 300e3))[:150]
    assert pick.size >= 100
    for i in pick:
        truth = geodesic_distance(demo_line, lon[i], lat[i])
        assert abs(got[i] - truth) <= 0.005 * truth, (lon[i], lat[i], got[i], truth)


@pytest.mark.filterwarnings("ignore:You will likely lose")  # to_dict() goes via a PROJ string
def test_crs_is_metric_tmerc_centred_on_the_area(demo_engine: GeoEngine) -> None:
    crs = demo_engine.crs
    assert crs.axis_info[0].unit_name == "metre"
    params = crs.to_dict()
    assert params["proj"] == "tmerc"
    assert 33.0 < params["lon_0"] < 36.0
    assert 0.997 < params["k_0"] < 1.0 if "k_0" in params else 0.997 < params["k"] < 1.0
    x, y = demo_engine.project([params["lon_0"]], [params["lat_0"]])
    assert abs(x[0]) < 1e-6 and abs(y[0]) < 1e-6


# -- sides, parties, regions ---------------------------------------------------------------------


@pytest.mark.parametrize("engine_name", ["demo_engine", "demo_engine_grid"])
def test_known_towns_are_on_the_right_side(
    engine_name: str, request: pytest.FixtureRequest
) -> None:
    engine: GeoEngine = request.getfixturevalue(engine_name)
    lon, lat = np.array([c for c, _ in TOWNS.values()]).T
    got = engine.classify(lon, lat)
    assert dict(zip(TOWNS, got.party.tolist(), strict=True)) == {
        town: party for town, (_, party) in TOWNS.items()
    }
    assert got.side.tolist() == [1 if p == "RU" else -1 for _, p in TOWNS.values()]
    assert dict(zip(TOWNS, got.oblast.tolist(), strict=True)) == {
        "Donetsk": "Donetsk",
        "Melitopol": "Zaporizhzhia",
        "Kramatorsk": "Donetsk",
        "Zaporizhzhia": "Zaporizhzhia",
        "Kharkiv": "Kharkiv",
    }
    assert "approximate" in got.oblast_precision


def test_regions_filled_cell_by_cell_are_those_of_the_whole_raster(demo_line: LineString) -> None:
    """An engine that fills its region raster as points come (a command placing a few
    thousand) answers as one that built it whole (the service): in batches, with repeats, and
    for points off the raster."""
    whole = GeoEngine(make_agreement(demo_line)).prepare()
    lazy = GeoEngine(make_agreement(demo_line))
    x, y = random_points(whole, 60_000, seed=7)
    expected = whole.classify_xy(x, y).oblast
    got = np.concatenate(
        [
            lazy.classify_xy(x[i : i + 7_000], y[i : i + 7_000]).oblast
            for i in range(0, 60_000, 7_000)
        ]
    )
    assert got.tolist() == expected.tolist()
    assert len(set(expected.tolist())) > 5  # the points span many regions
    raster = lazy._oblast_raster().code
    filled = int((raster >= 0).sum())
    assert 0 < filled < raster.size  # only the cells asked for were filled
    assert (raster[raster >= 0] == whole._oblast_raster().code[raster >= 0]).all()


def peak_engine(**kw: object) -> GeoEngine:
    """A line walking east over a peak: (33, 48) -> (35, 49) -> (37, 48). Left is north."""
    line = LineString([(33.0, 48.0), (35.0, 49.0), (37.0, 48.0)])
    return GeoEngine(make_agreement(line), max_segment_m=1e9, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("prepared", [False, True])
def test_vertex_and_end_cases(prepared: bool) -> None:
    engine = peak_engine()
    if prepared:
        engine.prepare()
    cases = {
        (35.0, 49.5): 1,  # above the peak: nearest point is the vertex, pseudo-normal says left
        (35.0, 48.8): -1,  # under the peak, inside the angle
        (35.0, 49.0): 1,  # on the vertex itself: counted left (documented)
        (38.0, 47.9): 1,  # beyond the east end, above the extended end segment
        (38.0, 47.2): -1,  # beyond the east end, below it
        (32.0, 47.9): 1,  # beyond the west end, above the extended first segment
        (32.0, 46.5): -1,
    }
    lon, lat = np.array(list(cases)).T
    got = engine.classify(lon, lat)
    assert got.side.tolist() == list(cases.values())
    assert got.party.tolist() == ["RU" if s > 0 else "UA" for s in cases.values()]
    assert got.line_distance_m[2] < 1e-6


def test_vertex_pseudo_normal_at_a_sharp_turn() -> None:
    """A hairpin-like turn: points in the narrow wedge beyond the tip get the tip's side."""
    line = LineString([(34.0, 48.0), (36.0, 48.2), (34.0, 48.4)])  # east, then back west
    engine = GeoEngine(make_agreement(line), max_segment_m=1e9)
    # Walking east then west, the tip at (36, 48.2) is a left turn: inside (west of the tip,
    # between the arms) is left, beyond the tip (east) is right.
    got = engine.classify([36.5, 36.01, 35.0, 37.0], [48.2, 48.2, 48.2, 48.21])
    assert got.side.tolist() == [-1, -1, 1, -1]


# -- zones ---------------------------------------------------------------------------------------


def straight_engine(**kw: object) -> tuple[GeoEngine, npt.NDArray[np.float64]]:
    """A straight projected line (no densification) and its left unit normal."""
    line = LineString([(33.0, 48.0), (37.0, 48.0)])
    engine = GeoEngine(make_agreement(line, **kw), max_segment_m=1e9)
    a, b = shapely.get_coordinates(engine.line_xy)
    u = (b - a) / np.hypot(*(b - a))
    return engine, np.array([-u[1], u[0]])


def offsets(engine: GeoEngine, normal: npt.NDArray[np.float64], d: list[float]) -> Placement:
    a, b = shapely.get_coordinates(engine.line_xy)
    mid = (a + b) / 2
    pts = mid + np.asarray(d)[:, None] * normal
    return engine.classify_xy(pts[:, 0], pts[:, 1])


def test_band_zones_at_known_distances() -> None:
    engine, normal = straight_engine()
    d = [14_900.0, 15_100.0, 49_900.0, 50_100.0, 69_900.0, 70_100.0, 139_900.0, 140_100.0]
    d = d + [-v for v in d]
    got = offsets(engine, normal, d)
    np.testing.assert_allclose(got.line_distance_m, np.abs(d), atol=1e-6)
    np.testing.assert_allclose(got.distance_m, np.abs(d), atol=1e-6)
    assert got.party.tolist() == ["RU" if v > 0 else "UA" for v in d]
    widths = {"dmz": 15e3, "artillery_100mm": 50e3, "mlrs": 70e3}
    widths["heavy_mlrs_tactical_missile"] = 140e3
    for name, w in widths.items():
        assert got.zones[name].tolist() == [abs(v) <= w for v in d], name
    assert list(got.zones) == list(widths)  # the agreement's order


def test_band_zone_with_different_width_per_side() -> None:
    engine, normal = straight_engine(zones=demo_zones({"RU": 10e3, "UA": 20e3}))
    got = offsets(engine, normal, [9e3, 11e3, -11e3, -19e3, -21e3])
    assert got.zones["dmz"].tolist() == [True, False, True, True, False]


def test_band_zone_on_one_side_only() -> None:
    engine, normal = straight_engine(zones=demo_zones({"UA": 20e3}))
    got = offsets(engine, normal, [1e3, -1e3])
    assert got.zones["dmz"].tolist() == [False, True]


@pytest.mark.parametrize("reverse_ru", [False, True])
def test_per_party_lines_minsk_style(reverse_ru: bool) -> None:
    """RU measures from a line 0.05 deg north of the reference, UA from 0.03 deg south."""
    ref = LineString([(33.0, 48.0), (37.0, 48.0)])
    ru = LineString([(33.0, 48.05), (37.0, 48.05)])
    ua = LineString([(33.0, 47.97), (37.0, 47.97)])
    if reverse_ru:  # drawn the other way round: must not swap RU's sides
        ru = LineString(ru.coords[::-1])
    zones = demo_zones({"RU": 10e3, "UA": 10e3})
    engine = GeoEngine(
        make_agreement(ref, party_lines={"RU": ru, "UA": ua}, zones=zones), max_segment_m=1e9
    )
    lat = np.array([48.02, 48.10, 48.20, 47.99, 47.90, 47.80])
    lon = np.full(lat.size, 35.0)
    got = engine.classify(lon, lat)
    assert got.party.tolist() == ["RU"] * 3 + ["UA"] * 3
    x, y = engine.project(lon, lat)
    pts = shapely.points(x, y)
    d_ru = shapely.distance(pts, engine.line_xy_for("RU"))
    d_ua = shapely.distance(pts, engine.line_xy_for("UA"))
    # North of RU's line is RU's own side; between the reference and RU's line is beyond it.
    want = np.array([-d_ru[0], d_ru[1], d_ru[2], -d_ua[3], d_ua[4], d_ua[5]])
    np.testing.assert_allclose(got.distance_m, want, atol=1.0)
    np.testing.assert_allclose(got.line_distance_m, shapely.distance(pts, engine.line_xy), atol=1.0)
    # 10 km bands from each party's own line, and the strip between the lines is inside too.
    assert got.zones["dmz"].tolist() == [True, True, False, True, True, False]


def test_polygon_zone() -> None:
    box = Polygon([(37.6, 47.9), (38.0, 47.9), (38.0, 48.1), (37.6, 48.1)])
    zones = (*demo_zones(), Zone("donetsk_box", "other", polygon=box))
    engine, _ = straight_engine(zones=zones)
    got = engine.classify([37.80, 37.50, 38.10, 37.80], [48.00, 48.00, 48.00, 48.20])
    assert got.zones["donetsk_box"].tolist() == [True, False, False, False]


# -- shapes and errors ---------------------------------------------------------------------------


def test_empty_input(demo_engine: GeoEngine) -> None:
    got = demo_engine.classify([], [])
    assert len(got) == 0
    assert got.distance_m.shape == (0,) and got.party.shape == (0,)
    assert all(z.shape == (0,) for z in got.zones.values())
    assert got.oblast.shape == (0,)


@pytest.mark.parametrize(
    ("lon", "lat", "field"),
    [
        ([37.8, np.nan], [48.0, 48.0], "lon"),
        ([37.8, 37.8], [48.0, np.inf], "lat"),
        ([37.8], [95.0], "lat"),
        ([37.8, 37.9], [48.0], "lon/lat"),
        (["x"], [48.0], "lon/lat"),
    ],
)
def test_bad_input_is_an_input_error(
    demo_engine: GeoEngine, lon: list[Any], lat: list[Any], field: str
) -> None:
    with pytest.raises(InputError) as e:
        demo_engine.classify(lon, lat)
    assert isinstance(e.value, CeasefireError)
    assert e.value.problems[0].field == field


def test_nan_in_projected_input_is_an_input_error(demo_engine: GeoEngine) -> None:
    with pytest.raises(InputError, match="1 value"):
        demo_engine.classify_xy([0.0, np.nan], [0.0, 0.0])


def test_row_is_plain_python(demo_engine: GeoEngine) -> None:
    got = demo_engine.classify([37.80], [48.00])
    row = got.row(0)
    assert row["party"] == "RU" and row["side"] == 1 and row["oblast"] == "Donetsk"
    assert set(row["zones"]) <= {z.name for z in demo_engine.agreement.zones}
    assert all(isinstance(z, str) for z in row["zones"])
    inside = {name for name, flags in got.zones.items() if flags[0]}
    assert set(row["zones"]) == inside
    json.dumps(row)  # only plain values


def test_scalar_input(demo_engine: GeoEngine) -> None:
    assert demo_engine.classify(37.80, 48.00).party.tolist() == ["RU"]


def test_degenerate_line_is_an_agreement_error() -> None:
    with pytest.raises(AgreementError, match="two distinct vertices"):
        GeoEngine(make_agreement(LineString([(35.0, 48.0), (35.0, 48.0)])))


def test_zone_width_for_a_party_without_a_side_is_an_agreement_error() -> None:
    zones = (Zone("dmz", "dmz", {"RU": 15e3, "XX": 15e3}),)
    with pytest.raises(AgreementError, match="XX holds no side"):
        GeoEngine(make_agreement(LineString([(33.0, 48.0), (37.0, 48.0)]), zones=zones))


def test_placement_keys_are_the_reserved_report_fields(demo_engine: GeoEngine) -> None:
    from ceasefire.intake.report import DERIVED_FIELDS

    assert set(demo_engine.classify([37.8], [48.0]).row(0)) == DERIVED_FIELDS


@pytest.mark.slow  # 30,000 points against every zone polygon (~7 s)
def test_band_zones_agree_with_the_agreements_zone_polygons(engine: GeoEngine) -> None:
    """Two independent builds of the same zones: our thresholds and the agreement's polygons.

    Points near a polygon's edge are left out: the polygons approximate arcs with chords, follow
    the lon/lat line in their own projection; the engine the geodesically densified one in its.
    """
    from ceasefire.agreement.load import demo_agreement_path, load_agreement
    from ceasefire.agreement.model import zone_polygons

    agreement = load_agreement(demo_agreement_path())
    assert engine.agreement == agreement  # the session's engine of the demo agreement (conftest)
    rng = np.random.default_rng(11)
    lon = rng.uniform(30.5, 40.5, 30_000)
    lat = rng.uniform(45.5, 52.5, 30_000)
    got = engine.classify(lon, lat)
    x, y = engine.project(lon.copy(), lat.copy())
    checked = 0
    for (name, party), polygon in zone_polygons(agreement).items():
        poly_xy = engine._project_geometry(polygon)
        inside = shapely.contains_xy(poly_xy, x, y)
        # Two projections (each within ~0.2 % scale error) and two densifications of the line:
        # near a zone's rim they may differ by 300 m plus 0.5 % of its width.
        width = max(agreement.zone(name).widths_m.values())
        edge = shapely.distance(shapely.boundary(poly_xy), shapely.points(x, y)) < (
            300.0 + 0.005 * width
        )
        ours = got.zones[name] & (got.party == party)
        # Zones apply inside the parties' areas of control only: a point in neither (at sea,
        # abroad) is outside and in no zone, whatever the bands' polygons cover there.
        held = got.party != ""
        assert not ours[~held].any(), (name, party)
        assert np.array_equal(ours[~edge & held], inside[~edge & held]), (name, party)
        checked += int(inside[~edge].sum())
    assert checked > 10_000
