"""Fusion: linking equals DBSCAN, incremental equals bulk, precision-aware joining, twins apart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import numpy as np
import pytest
from brute import brute_anchor_incidents
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from sklearn.cluster import DBSCAN

from ceasefire.agreement.load import demo_agreement_path, load_agreement
from ceasefire.agreement.model import Agreement
from ceasefire.counts import Count
from ceasefire.errors import InputError
from ceasefire.fusion import _grid as _fuser_index
from ceasefire.fusion._grid import MAX_LEVELS, SpaceTimeGrid
from ceasefire.fusion._linking import _first_appearance, eps_components, same_partition
from ceasefire.fusion.bulk import Partition, fuse, link_anchors, partition_keys
from ceasefire.fusion.columns import FusionInput, fusion_columns, fusion_input
from ceasefire.fusion.config import DEFAULT_GROUPS, FusionConfig, Neighbourhood
from ceasefire.fusion.incidents import summarise
from ceasefire.fusion.incremental import Fuser
from ceasefire.fusion.matching import (
    LinkRule,
    _anchored,
    _choose,
    _coarse_links,
    _gap,
    anchor_links,
    anchor_mask,
    scaled_points,
)
from ceasefire.geo.engine import GeoEngine
from ceasefire.intake.validation import validate_report
from ceasefire.judge.verification import automatic_status
from ceasefire.records import StoredReport
from ceasefire.sim import SimConfig, simulate
from ceasefire.vocab import EVENT_TYPES

T0 = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 12, tzinfo=UTC)
# A point on the UA side near Kostiantynivka, about 8 km from the demo line.
LON, LAT = 37.70, 48.53


@pytest.fixture(scope="module")
def agreement() -> Agreement:
    return load_agreement(demo_agreement_path())


def stored(rid: str, dx_m: float = 0.0, dy_m: float = 0.0, **fields: Any) -> StoredReport:
    """A report ``dx_m`` east and ``dy_m`` north of the base point (flat earth, fine for km)."""
    minutes = fields.pop("minutes", 0.0)
    length = fields.pop("length_min", 1.0)
    lon = LON + dx_m / (111_320.0 * np.cos(np.radians(LAT)))
    lat = LAT + dy_m / 110_574.0
    row: dict[str, Any] = {
        "id": rid,
        "submitted_by": "mission",
        "source_kind": "sensor",
        "source_name": "array 4",
        "observed_from": (T0 + timedelta(minutes=minutes)).isoformat(),
        "observed_to": (T0 + timedelta(minutes=minutes + length)).isoformat(),
        "lon": lon,
        "lat": lat,
        "uncertainty_m": 500.0,
        "place_precision": "near",
        "event_type": "shelling",
    }
    row.update(fields)
    report = validate_report(row, now=NOW)
    return StoredReport(report, row["lon"], row["lat"], report.uncertainty_m, None)


def groups_of(items: list[StoredReport], engine: GeoEngine, **config: Any) -> list[set[str]]:
    cfg = FusionConfig(**config)
    inp = fusion_input(items, engine, cfg)
    part = fuse(inp, cfg)
    return sorted(({inp.ids[i] for i in m} for m in part.members()), key=lambda s: sorted(s))


# --- linking --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "scale", "dims"), [(500, 6.0, 3), (3000, 25.0, 3), (800, 40.0, 2)])
def test_eps_components_equal_dbscan_min_samples_1(n: int, scale: float, dims: int) -> None:
    rng = np.random.default_rng(n)
    points = rng.random((n, dims)) * scale
    ours = eps_components(points)
    peer = DBSCAN(eps=1.0, min_samples=1).fit(points).labels_
    assert same_partition(ours, peer)
    assert 1 < ours.max() + 1 < n  # neither everything in one nor all apart: a real test


def test_eps_components_link_at_exactly_eps() -> None:
    points = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [2.0001, 0.0, 0.0]])
    labels = eps_components(points)
    assert labels[0] == labels[1] != labels[2]


def test_eps_components_link_across_a_cell_edge_at_exactly_eps() -> None:
    # Rounding in a grid of side eps could put these two cells apart; DBSCAN links them.
    points = np.array([[-(2.0**-60), 0.0, 0.0], [1.0, 0.0, 0.0]])
    assert eps_components(points)[0] == eps_components(points)[1]
    assert same_partition(
        eps_components(points), DBSCAN(eps=1.0, min_samples=1).fit(points).labels_
    )


def test_eps_components_refuse_a_bad_eps() -> None:
    with pytest.raises(ValueError, match="eps"):
        eps_components(np.zeros((2, 3)), eps=0.0)


def test_fusion_columns_name_an_unknown_event_type(engine: GeoEngine) -> None:
    with pytest.raises(InputError, match=r"event_type.*'barrage'"):
        fusion_columns(
            engine,
            FusionConfig(),
            ids=["a"],
            lon=[LON],
            lat=[LAT],
            t0=[0],
            t1=[60],
            uncertainty_m=[100.0],
            place_precision=["near"],
            event_type=["barrage"],
            weapon_class=[None],
            weapon_model=[None],
            claimed_perpetrator=[None],
        )


def test_eps_components_refuse_non_finite() -> None:
    with pytest.raises(ValueError, match="finite"):
        eps_components(np.array([[0.0, np.nan, 0.0]]))


# --- bulk and incremental ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def night(engine: GeoEngine) -> FusionInput:
    """The default simulated night (seed 7) as fusion columns."""
    sim = simulate(SimConfig(seed=7))
    items = []
    for row in sim.reports:
        r = validate_report(row, now=NOW + timedelta(days=1))
        items.append(StoredReport(r, row["lon"], row["lat"], r.uncertainty_m, None))
    return fusion_input(items, engine)


def test_incremental_in_time_order_equals_bulk(night: FusionInput) -> None:
    bulk = fuse(night)
    order = np.argsort(night.t0, kind="stable")
    fuser = Fuser()
    for i in order.tolist():
        fuser.add(night.take([i]))
    assert partition_keys(night, bulk) == partition_keys(fuser.inputs(), fuser.partition())
    assert 300 < bulk.n_incidents < len(night)  # fusion did merge reports


def test_incremental_in_any_order_equals_bulk(night: FusionInput) -> None:
    bulk = fuse(night)
    order = np.random.default_rng(3).permutation(len(night))
    fuser = Fuser()
    fuser.add(night.take(order))
    assert partition_keys(night, bulk) == partition_keys(fuser.inputs(), fuser.partition())


def test_incremental_equals_bulk_with_oblast_reports_joining(night: FusionInput) -> None:
    config = FusionConfig(region_joins="best")
    bulk = fuse(night, config)
    fuser = Fuser(config)
    fuser.add(night.take(np.argsort(night.t1, kind="stable")))
    assert partition_keys(night, bulk) == partition_keys(fuser.inputs(), fuser.partition())


@pytest.mark.parametrize("split", [0.5, 0.9])
def test_a_fuser_built_in_bulk_then_fed_one_by_one_equals_bulk(
    night: FusionInput, split: float
) -> None:
    """A service starting on stored history builds its fuser in bulk, then adds live reports."""
    order = np.argsort(night.t0, kind="stable")
    cut = int(split * len(night))
    fuser = Fuser.from_bulk(night.take(order[:cut]))
    assert partition_keys(fuser.inputs(), fuser.partition()) == partition_keys(
        night.take(order[:cut]), fuse(night.take(order[:cut]))
    )
    for i in order[cut:].tolist():
        fuser.add(night.take([i]))
    assert partition_keys(night, fuse(night)) == partition_keys(fuser.inputs(), fuser.partition())


# --- precision-aware joining -----------------------------------------------------------------------


def test_town_level_report_joins_without_dragging_the_place(engine: GeoEngine) -> None:
    sensors = [stored(f"s{i}", dx_m=150.0 * i, minutes=i) for i in range(4)]
    town = stored(
        "ua-1",
        dx_m=3_000.0,
        dy_m=2_000.0,
        source_kind="party",
        submitted_by="UA",
        uncertainty_m=6_000.0,
        length_min=60.0,
        minutes=-20,
    )
    config = FusionConfig()
    assert groups_of([*sensors, town], engine) == [{"s0", "s1", "s2", "s3", "ua-1"}]
    alone = summarise(sensors, [np.arange(4)], np.ones(4, bool), engine, config)[0]
    inp = fusion_input([*sensors, town], engine, config)
    part = fuse(inp, config)
    joined = summarise([*sensors, town], part.members(), part.anchor, engine, config)[0]
    assert (joined.lon, joined.lat) == (alone.lon, alone.lat)
    assert joined.anchor_ids == ("s0", "s1", "s2", "s3")
    assert joined.n_sources == 2


def test_oblast_report_joins_only_a_sole_candidate(engine: GeoEngine) -> None:
    first = [stored(f"a{i}", dx_m=100.0 * i) for i in range(3)]
    oblast = stored(
        "news-1",
        source_kind="osint",
        source_name="Outlet",
        place_precision="region",
        uncertainty_m=60_000.0,
        minutes=-60,
        length_min=240.0,
    )
    assert groups_of([*first, oblast], engine) == [{"a0", "a1", "a2", "news-1"}]
    second = [stored(f"b{i}", dx_m=20_000.0 + 100.0 * i, minutes=30) for i in range(3)]
    got = groups_of([*first, *second, oblast], engine)
    assert {"news-1"} in got  # two candidates: it belongs to neither in particular
    assert len(got) == 3
    best = groups_of([*first, *second, oblast], engine, region_joins="best")
    assert {"a0", "a1", "a2", "news-1"} in best


def _claim(rid: str, **fields: Any) -> StoredReport:
    """A UA town-level claim 2 km from the base point, fitting any incident there by place."""
    base: dict[str, Any] = {
        "dx_m": 2_000.0,
        "source_kind": "party",
        "submitted_by": "UA",
        "uncertainty_m": 5_000.0,
        "length_min": 60.0,
        "minutes": -20,
    }
    return stored(rid, **(base | fields))


def test_a_claim_joins_only_an_incident_it_does_not_contradict(engine: GeoEngine) -> None:
    mortar = [stored(f"m{i}", dx_m=100.0 * i, minutes=i, weapon_class="mortar") for i in range(3)]
    # Two incidents a few km apart at the same time: the claim fits both by place, its weapon
    # class decides (the mortar incident is nearer, so distance alone would pick it).
    grad = [
        stored(f"g{i}", dx_m=6_000.0 + 100.0 * i, minutes=i, weapon_class="mlrs") for i in range(3)
    ]
    claim = _claim("ua-grad", weapon_class="mlrs", weapon_model="BM-21 Grad")
    got = groups_of([*mortar, *grad, claim], engine)
    assert {"g0", "g1", "g2", "ua-grad"} in got and {"m0", "m1", "m2"} in got
    # A weapon class the sensors could not tell ("unknown") contradicts nothing.
    unknown = [stored(f"u{i}", dx_m=100.0 * i, weapon_class="unknown") for i in range(3)]
    assert groups_of([*unknown, claim], engine) == [{"u0", "u1", "u2", "ua-grad"}]
    # A missile strike is not the same event as a shelling; an explosion may be either.
    strike = _claim("ua-strike", event_type="missile_strike")
    assert {"ua-strike"} in groups_of([*mortar, strike], engine)
    booms = [stored(f"x{i}", dx_m=100.0 * i, event_type="explosion") for i in range(3)]
    assert groups_of([*booms, strike], engine) == [{"x0", "x1", "x2", "ua-strike"}]
    # A named model must be among the anchors' named models.
    seen = [stored(f"p{i}", dx_m=100.0 * i, weapon_model="2B11 Sani") for i in range(2)]
    assert {"ua-sani"} not in groups_of(
        [*seen, _claim("ua-sani", weapon_model="2b11 sani")], engine
    )
    assert {"ua-m120"} in groups_of([*seen, _claim("ua-m120", weapon_model="M120")], engine)


def test_a_claim_that_a_party_shelled_its_own_ground_joins_nothing_there(
    engine: GeoEngine,
) -> None:
    # The base point is on the UA side: RU shelling it fits, UA shelling it does not.
    sensors = [stored(f"s{i}", dx_m=100.0 * i, minutes=i) for i in range(3)]
    assert engine.classify([LON], [LAT]).party[0] == "UA"
    ru = _claim("ua-says-ru", claimed_perpetrator="RU")
    ua = _claim("ru-says-ua", claimed_perpetrator="UA", submitted_by="RU")
    got = groups_of([*sensors, ru, ua], engine)
    assert {"s0", "s1", "s2", "ua-says-ru"} in got and {"ru-says-ua"} in got


def test_twin_events_a_few_km_apart_stay_apart(engine: GeoEngine) -> None:
    west = [
        stored(f"w{i}", dx_m=-2_000.0 + 80.0 * i, minutes=i, uncertainty_m=300.0) for i in range(5)
    ]
    east = [
        stored(f"e{i}", dx_m=2_000.0 - 80.0 * i, minutes=i, uncertainty_m=300.0) for i in range(5)
    ]
    got = groups_of([*west, *east], engine)
    assert got == [{f"e{i}" for i in range(5)}, {f"w{i}" for i in range(5)}]


def test_same_place_hours_apart_are_two_incidents(engine: GeoEngine) -> None:
    got = groups_of([stored("early"), stored("late", minutes=120)], engine)
    assert got == [{"early"}, {"late"}]


def test_incompatible_types_never_merge(engine: GeoEngine) -> None:
    got = groups_of(
        [stored("fire"), stored("gun", event_type="weapon_sighting", weapon_class="artillery")],
        engine,
    )
    assert got == [{"fire"}, {"gun"}]


def test_explosion_and_strike_reports_meet(engine: GeoEngine) -> None:
    got = groups_of(
        [stored("boom", event_type="explosion"), stored("strike", event_type="drone_strike")],
        engine,
    )
    assert got == [{"boom", "strike"}]


def test_unplaced_coarse_reports_that_overlap_form_one_incident(engine: GeoEngine) -> None:
    party = dict(source_kind="party", submitted_by="UA", uncertainty_m=8_000.0, length_min=45.0)
    got = groups_of(
        [
            stored("p1", **party),
            stored("p2", dx_m=3_000.0, minutes=10, **party),
            stored("p3", dx_m=60_000.0, **party),
        ],
        engine,
    )
    assert got == [{"p1", "p2"}, {"p3"}]


# --- the fused incident ---------------------------------------------------------------------------


def test_summary_estimates_do_not_sum_duplicates(engine: GeoEngine) -> None:
    items = [
        stored("m1", source_kind="patrol", source_name="Patrol 3", count=12, killed=0, injured=2),
        stored(
            "ua", source_kind="party", submitted_by="UA", count=30, injured=5, uncertainty_m=6_000
        ),
        stored("s1", count=1),
        stored("s2", count=1, claimed_perpetrator="RU"),
    ]
    config = FusionConfig()
    inp = fusion_input(items, engine, config)
    part = fuse(inp, config)
    (inc,) = summarise(items, part.members(), part.anchor, engine, config)
    assert (inc.count.low, inc.count.best, inc.count.high) == (12, 21, 30)
    assert (inc.injured.low, inc.injured.high) == (2, 5)
    assert inc.killed.best == 0
    assert inc.sources == ("UA/party", "mission/patrol", "mission/sensor")
    assert inc.claimed_perpetrators == {"RU": 1}
    assert inc.party == "UA" and "dmz" in inc.zones


def test_summary_casualties_count_a_repeating_source_once_and_harm_is_combined(
    engine: GeoEngine,
) -> None:
    # The party files "9 injured" four times (uncertain places: they join, never anchor), the
    # patrol saw 3: the best estimate is the median of two sources' figures, not of five reports.
    party = dict(source_kind="party", submitted_by="UA", uncertainty_m=6_000, injured=9)
    items = [
        stored("m1", source_kind="patrol", source_name="Patrol 3", injured=3,
               infrastructure="energy", people_affected={"min": 40_000, "max": 60_000}),
        *(stored(f"ua{i}", **party, infrastructure=["heating"], people_affected=50_000)
          for i in range(4)),
    ]  # fmt: skip
    config = FusionConfig()
    inp = fusion_input(items, engine, config)
    part = fuse(inp, config)
    (inc,) = summarise(items, part.members(), part.anchor, engine, config)
    assert (inc.injured.low, inc.injured.best, inc.injured.high) == (3, 6, 9)
    assert inc.harm is not None
    assert inc.harm.infrastructure == ("energy", "heating")
    assert inc.harm.people_affected == Count(40_000, 60_000)


def test_an_incident_gives_its_window_in_utc_whatever_offset_its_reports_gave(
    engine: GeoEngine,
) -> None:
    # Stored bodies and the store's UTC columns must give the same text for the same instant
    # (the map's listing reads one or the other).
    kyiv = timezone(timedelta(hours=2))
    items = [stored("k1", observed_from=T0.astimezone(kyiv).isoformat(),
                    observed_to=(T0 + timedelta(minutes=5)).astimezone(kyiv).isoformat())]  # fmt: skip
    config = FusionConfig()
    part = fuse(fusion_input(items, engine, config), config)
    (inc,) = summarise(items, part.members(), part.anchor, engine, config)
    assert inc.observed_from == T0 and inc.observed_from.utcoffset() == timedelta(0)
    assert inc.observed_to.isoformat().endswith("+00:00")


def test_a_party_is_one_source_whatever_kinds_its_reports_claim(engine: GeoEngine) -> None:
    # Reports stored before the intake held a party to its own source kind (or entered with
    # one by mistake): four UA reports under the mission's kinds are still one source, UA's.
    kinds = ("patrol", "sensor", "camera", "uav", "osint")
    items = [
        stored(f"ua-{k}", source_kind=k, source_name=f"UA {k}", submitted_by="UA", count=3)
        for k in kinds
    ]
    config = FusionConfig()
    inp = fusion_input(items, engine, config)
    part = fuse(inp, config)
    (inc,) = summarise(items, part.members(), part.anchor, engine, config)
    assert inc.sources == ("UA/party",)
    assert automatic_status(len(inc.sources)) == "reported"
    # ...and the mission's own means stay sources of their own.
    items.append(stored("m1", source_kind="patrol", source_name="Patrol 3"))
    inp = fusion_input(items, engine, config)
    part = fuse(inp, config)
    (inc,) = summarise(items, part.members(), part.anchor, engine, config)
    assert inc.sources == ("UA/party", "mission/patrol")


def test_claims_are_counted_by_source_not_by_report(engine: GeoEngine) -> None:
    # Four UA complaints naming RU are one claim: UA's. A news outlet naming RU is a second.
    items = [
        stored(f"ua-{i}", source_kind="party", submitted_by="UA", claimed_perpetrator="RU")
        for i in range(4)
    ]
    config = FusionConfig()
    part = fuse(fusion_input(items, engine, config), config)
    (inc,) = summarise(items, part.members(), part.anchor, engine, config)
    assert inc.claimed_perpetrators == {"RU": 1}
    items.append(
        stored("news", source_kind="osint", source_name="Hromadske", claimed_perpetrator="RU")
    )
    part = fuse(fusion_input(items, engine, config), config)
    (inc,) = summarise(items, part.members(), part.anchor, engine, config)
    assert inc.claimed_perpetrators == {"RU": 2}


def test_fused_place_is_weighted_by_uncertainty(engine: GeoEngine) -> None:
    items = [
        stored("sharp", source_kind="uav", uncertainty_m=50.0, place_precision="exact"),
        stored("blurred", dx_m=1_000.0, uncertainty_m=2_000.0),
    ]
    config = FusionConfig()
    inp = fusion_input(items, engine, config)
    part = fuse(inp, config)
    (inc,) = summarise(items, part.members(), part.anchor, engine, config)
    x, _ = engine.project([inc.lon], [inc.lat])
    xs, _ = engine.project([items[0].lon], [items[0].lat])
    assert abs(x[0] - xs[0]) < 5.0  # 1/u^2 weights: the sharp report dominates
    assert inc.place_precision == "exact"


# --- configuration ---------------------------------------------------------------------------------


def test_config_names_the_bad_field() -> None:
    groups = dict(DEFAULT_GROUPS)
    types, _ = groups["fire"]
    groups["fire"] = (types, Neighbourhood(-1.0, 900.0))
    with pytest.raises(InputError, match=r"groups\.fire\.radius_m: must be > 0"):
        FusionConfig(groups=groups)
    groups = dict(DEFAULT_GROUPS)
    del groups["mines"]
    with pytest.raises(InputError, match="no group for mine"):
        FusionConfig(groups=groups)
    with pytest.raises(InputError, match="region_joins"):
        FusionConfig(region_joins="sometimes")  # type: ignore[arg-type]


def test_wider_neighbourhood_links_more(engine: GeoEngine) -> None:
    items = [stored("a"), stored("b", dx_m=7_000.0)]
    assert groups_of(items, engine) == [{"a"}, {"b"}]
    groups = dict(DEFAULT_GROUPS)
    # Two fixes of 500 m link within sqrt(2 * 500**2 + (1.2 r)**2): past 7 km from r = 10 km.
    groups["fire"] = (groups["fire"][0], Neighbourhood(10_000.0, 900.0))
    assert groups_of(items, engine, groups=groups) == [{"a", "b"}]
    assert groups_of(items, engine, link_extent=3.0) == [{"a"}, {"b"}]  # capped at 2.5 r
    assert groups_of(items, engine, link_extent=3.0, link_cap=3.5) == [{"a", "b"}]


# --- space-time grids ------------------------------------------------------------------------------


def _edgy(rng: np.random.Generator, n: int, span: float, steps: tuple[float, ...]) -> Any:
    """Whole numbers in ``+-span``, a third of them exactly on a multiple of one of ``steps``
    (cell edges, bucket edges), so the arithmetic at the edges is exact and the edge is hit."""
    v = rng.integers(-int(span), int(span), n).astype(np.float64)
    on = rng.random(n) < 1 / 3
    step = np.array(steps)[rng.integers(0, len(steps), n)]
    v[on] = np.round(v[on] / step[on]) * step[on]
    return v


def test_grid_lookup_finds_all_a_brute_force_scan_finds_at_cell_and_bucket_edges() -> None:
    rng = np.random.default_rng(11)
    base, bucket = [13_000.0, 9_000.0], [3_600, 7_200]
    grid = SpaceTimeGrid(base, bucket)
    n = 4_000
    g = rng.integers(0, 2, n)
    level = rng.integers(0, 4, n)
    x = _edgy(rng, n, 400_000, (13_000.0, 52_000.0, 9_000.0, 36_000.0, 208_000.0))
    y = _edgy(rng, n, 400_000, (13_000.0, 52_000.0, 9_000.0))
    t0 = _edgy(rng, n, 200_000, (3_600.0, 7_200.0, 14_400.0)).astype(np.int64)
    t1 = t0 + rng.choice([0, 1, 3_599, 3_600, 20_000], n)
    half = n // 2
    for i in range(half):  # one by one, and the rest at once: the same cells
        grid.add(i, int(g[i]), int(level[i]), float(x[i]), float(y[i]), int(t0[i]), int(t1[i]))
    rest = np.arange(half, n)
    grid.add_many(rest, g[rest], level[rest], x[rest], y[rest], t0[rest], t1[rest])
    for _ in range(300):
        qg, ql = int(rng.integers(0, 2)), int(rng.integers(0, 4))
        qx, qy = float(_edgy(rng, 1, 400_000, (13_000.0,))[0]), float(rng.integers(-4, 4) * 9_000)
        r = float(rng.choice([0.0, 9_000.0, 13_000.0, 40_000.0, 150_000.0]))
        lo = float(_edgy(rng, 1, 200_000, (3_600.0,))[0])
        hi = lo + float(rng.choice([0, 3_600, 10_000]))
        found: list[int] = []
        grid.near(found, qg, ql, qx, qy, r, lo, hi)
        brute = np.flatnonzero(
            (g == qg)
            & (level == ql)
            & (np.abs(x - qx) <= r)
            & (np.abs(y - qy) <= r)
            & (t0 <= hi)
            & (t1 >= lo)
        )
        assert set(brute.tolist()) <= set(found)
        assert all(g[i] == qg and level[i] == ql for i in found)
    for i in range(n):
        grid.remove(i, int(g[i]), int(level[i]), float(x[i]), float(y[i]), int(t0[i]), int(t1[i]))
    assert grid.cells == {}  # every cell an item was filed in is found again


def test_grid_levels_for_many_items_are_the_levels_for_each() -> None:
    rng = np.random.default_rng(5)
    grid = SpaceTimeGrid([13_000.0, 9_000.0], [3_600, 7_200])
    g = rng.integers(0, 2, 2_000)
    # Reaches on the cell sides themselves, just either side of them, and past the last level.
    level = rng.integers(0, 6, g.size)
    sides = np.array([grid.size(int(k), int(lv)) for k, lv in zip(g, level, strict=True)])
    reach = sides * rng.choice([0.5, 1.0 - 1e-12, 1.0, 1.0 + 1e-12, 3.0], g.size)
    reach[:10] = 1e300
    levels = grid.levels_for(g, reach)
    assert levels.tolist() == [
        grid.level_for(int(k), float(r)) for k, r in zip(g, reach, strict=True)
    ]
    assert levels[:10].tolist() == [MAX_LEVELS - 1] * 10


def test_bulk_grid_join_yields_each_pair_in_reach_once_and_a_query_in_one_block(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_fuser_index, "_PAIR_BLOCK", 64)  # many blocks
    monkeypatch.setattr(_fuser_index, "_QUERY_BLOCK", 50)
    rng = np.random.default_rng(5)
    n, m = 3_000, 700
    steps = (13_000.0, 52_000.0, 208_000.0)
    px, py = _edgy(rng, n, 300_000, steps), _edgy(rng, n, 300_000, steps)
    pg = rng.integers(0, 2, n).astype(np.int16)
    pt0 = _edgy(rng, n, 100_000, (3_600.0,)).astype(np.int64)
    pt1 = pt0 + rng.choice([0, 60, 3_600, 30_000], n)
    qx, qy = _edgy(rng, m, 300_000, steps), _edgy(rng, m, 300_000, steps)
    qg = rng.integers(0, 2, m).astype(np.int16)
    # Town-sized boxes and oblast-sized ones (a region-level report reaches 350 km).
    qr = rng.choice([0.0, 6_500.0, 13_000.0, 40_000.0, 350_000.0], m)
    lo = _edgy(rng, m, 100_000, (3_600.0,))
    hi = lo + rng.choice([0.0, 900.0, 20_000.0], m)
    blocks = list(
        _fuser_index.grid_pairs(
            (px, py, pg, pt0, pt1), (qx, qy, qg, qr, lo, hi), np.array([13_000.0, 9_000.0])
        )
    )
    assert len(blocks) > 10
    seen = [set(q.tolist()) for q, _ in blocks]
    assert sum(len(s) for s in seen) == len(set().union(*seen))  # no query in two blocks
    qi = np.concatenate([q for q, _ in blocks])
    pi = np.concatenate([p for _, p in blocks])
    pairs = set(zip(qi.tolist(), pi.tolist(), strict=True))
    assert len(pairs) == qi.size  # no pair twice
    near = (
        (pg[None, :] == qg[:, None])
        & (np.abs(px[None, :] - qx[:, None]) <= qr[:, None])
        & (np.abs(py[None, :] - qy[:, None]) <= qr[:, None])
        & (pt0[None, :] <= hi[:, None])
        & (pt1[None, :] >= lo[:, None])
    )
    brute = set(zip(*(a.tolist() for a in np.nonzero(near)), strict=True))
    assert brute <= pairs
    assert all(pg[p] == qg[q] for q, p in pairs)


def _snap(rng: np.random.Generator, v: Any, steps: tuple[float, ...]) -> Any:
    """A sixth of ``v`` moved exactly onto a multiple of one of ``steps``."""
    on = rng.random(v.size) < 1 / 6
    step = np.array(steps)[rng.integers(0, len(steps), v.size)]
    out = v.copy()
    out[on] = np.round(v[on] / step[on]) * step[on]
    return out


def _random_reports(seed: int, n: int, config: FusionConfig) -> FusionInput:
    """Reports of events in a 120 km square over two days: anchors, town-level and oblast-level
    reports, a sixth of places and times moved onto grid cell and time bucket edges."""
    rng = np.random.default_rng(seed)
    types = np.array(["shelling", "explosion", "missile_strike", "weapon_sighting", "mine"])
    n_events = n // 5
    event = rng.integers(0, n_events, n)
    etype = types[rng.choice(len(types), n_events, p=[0.5, 0.2, 0.1, 0.1, 0.1])][event]
    etype[rng.random(n) < 0.1] = "explosion"
    kind = rng.choice(3, n, p=[0.6, 0.28, 0.12])  # anchor, town-level, oblast-level
    u = np.select(
        [kind == 0, kind == 1],
        [rng.uniform(50, 3_000, n), rng.uniform(2_000, 30_000, n)],
        rng.uniform(30_000, 350_000, n),
    )
    spread = np.minimum(np.where(kind == 0, 700.0, u / 3), 20_000.0)
    steps = (13_000.0, 52_000.0, 10_000.0, 18_000.0, 40_000.0)
    x = _snap(rng, rng.uniform(-60_000, 60_000, n_events)[event] + rng.normal(0, spread), steps)
    y = _snap(rng, rng.uniform(-60_000, 60_000, n_events)[event] + rng.normal(0, spread), steps)
    when = rng.integers(0, 2 * 86_400, n_events)[event]
    when += np.where(kind == 0, rng.integers(-300, 300, n), rng.integers(-3_600, 0, n))
    t0 = 1_773_000_000 + _snap(rng, when, (3_600, 7_200, 14_400, 86_400)).astype(np.int64)
    length = np.where(kind == 0, rng.integers(0, 400, n), rng.integers(600, 6 * 3_600, n))
    models = np.array([-1, -1, -1, -1, 7, 9], dtype=np.int64)
    codes = {t: i for i, t in enumerate(EVENT_TYPES)}
    return FusionInput(
        ids=np.array([f"r{i:05d}" for i in range(n)], dtype=object),
        x=x,
        y=y,
        t0=t0,
        t1=t0 + length,
        uncertainty_m=u,
        region=kind == 2,
        group=config.group_codes(etype.tolist()),
        etype=np.array([codes[t] for t in etype], dtype=np.int16),
        wclass=rng.choice([-1, -1, -1, 1, 2], n).astype(np.int16),
        wmodel=models[rng.integers(0, models.size, n)],
        claim=rng.choice([0, 0, 1, -1], n).astype(np.int8),
        side=rng.choice([1, -1], n).astype(np.int8),
        # A few cameras, each reporting many events (one report each), and many unnamed.
        source=np.where(rng.random(n) < 0.3, rng.integers(0, 8, n), -1).astype(np.int64),
    )


def _brute_force_fuse(inp: FusionInput, config: FusionConfig) -> Partition:
    """:func:`fuse` with every (coarse, incident) and (coarse, coarse) pair tested: no index."""
    anchor = anchor_mask(inp, config)
    labels = np.full(len(inp), -1, dtype=np.int64)
    ai, co = np.flatnonzero(anchor), np.flatnonzero(~anchor)
    labels[ai] = _first_appearance(brute_anchor_incidents(inp.take(ai), config))
    k = int(labels[ai].max()) + 1
    coarse = inp.take(co)
    inc = _anchored(inp.take(ai), labels[ai], k)
    ci, ki, unsure = _choose(
        coarse, np.repeat(np.arange(co.size), k), inc, np.tile(np.arange(k), co.size), config
    )
    labels[co[ci]] = ki
    ambiguous = np.zeros(len(inp), dtype=bool)
    ambiguous[co[unsure]] = True
    free = co[labels[co] < 0]
    a, b = (v.ravel() for v in np.meshgrid(np.arange(free.size), np.arange(free.size)))
    ok = _coarse_links(inp.take(free), a, b, config)
    graph = coo_matrix((np.ones(int(ok.sum())), (a[ok], b[ok])), shape=(free.size, free.size))
    labels[free] = k + connected_components(graph, directed=False)[1]
    return Partition(_first_appearance(labels), anchor, ambiguous)


def _ambiguous_ids(inp: FusionInput, part: Partition) -> set[str]:
    return set(inp.ids[part.ambiguous].tolist())


class _CountingRule(LinkRule):
    """The default rule, counting the cells and cell pairs its bounds decide whole."""

    decided = 0

    def connected(self, span_xy2: Any, span_t2: Any) -> Any:
        out = super().connected(span_xy2, span_t2)
        self.decided += int(out.sum())
        return out

    def surely(self, a: Any, b: Any, most_xy2: Any, most_t2: Any) -> Any:
        out = super().surely(a, b, most_xy2, most_t2)
        self.decided += int(out.sum())
        return out


@pytest.mark.parametrize(("seed", "shrink"), [(4, 1.0), (5, 8.0), (6, 30.0)])
def test_linking_on_the_grid_equals_the_rule_on_every_pair(seed: int, shrink: float) -> None:
    """Bulk linking decides whole cells and cell pairs by bounds of the rule (cells connected,
    pairs surely linked): on anchors crowded into cells of many points, its components are those of
    :func:`anchor_links` applied to every pair."""
    config = FusionConfig()
    inp = _random_reports(seed, 2_000, config)
    a = inp.take(np.flatnonzero(anchor_mask(inp, config)))
    a.x /= shrink
    a.y /= shrink
    rule = _CountingRule(a, config)
    grid = eps_components(rule.points, rule=rule)
    i, j = (v.ravel() for v in np.triu_indices(len(a), 1))
    ok = anchor_links(a, i, j, config)
    graph = coo_matrix((np.ones(int(ok.sum())), (i[ok], j[ok])), shape=(len(a), len(a)))
    assert same_partition(grid, connected_components(graph, directed=False)[1])
    assert same_partition(grid, link_anchors(a, config))
    assert rule.decided > 50  # the bounds did decide, the comparison is not of pairs alone


#: The gates the distances of the two tests below were worked out for (a 50 m fix links within
#: 1.5 km, a sensor fix's gate is capped at 4 km), and the linked components themselves (no
#: refinement): they pin the linking's bounds, whatever the defaults become.
_GATES_OF_THE_DISTANCES = FusionConfig(link_extent=0.6, link_cap=1.6, linkage="single")


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # Two fixes of 50 m, 2 km apart, do not link (their gate is 1.5 km); a 3 km sensor fix
        # between them links to both: the cell is one node without being a clique.
        (
            [{"x": 0.0, "u": 50.0}, {"x": 2_000.0, "u": 50.0}, {"x": 1_000.0, "u": 3_000.0}],
            [("r0", "r1", "r2")],
        ),
        # The sensor fix (gate 3.2 km with either) sits beside the far one, 3.59 km from the
        # other: the cell is not connected, though a bound taking its q for both ends of a pair
        # would call it so.
        (
            [{"x": 0.0, "u": 50.0}, {"x": 3_600.0, "u": 50.0}, {"x": 3_590.0, "u": 2_828.0}],
            [("r0",), ("r1", "r2")],
        ),
    ],
)
def test_a_cell_is_one_node_when_its_least_precise_report_links_to_every_other(
    rows: list[dict[str, Any]], expected: list[tuple[str, ...]]
) -> None:
    """Bulk linking takes a cell as one node when its least precise report surely links to
    every other (:meth:`LinkRule.connected`); three reports within one cell of its grid."""
    config = _GATES_OF_THE_DISTANCES
    inp = _placed([{**r, "t0": 1_773_000_000, "t1": 1_773_000_060} for r in rows], config)
    assert np.ptp(scaled_points(inp, config), axis=0).max() < 1.0  # one cell of the grid
    assert partition_keys(inp, fuse(inp, config)) == expected
    rule = _CountingRule(inp, config)
    eps_components(rule.points, rule=rule)
    assert rule.decided == (len(expected) == 1)  # the first cell is decided by the bound
    i, j = (v.ravel() for v in np.triu_indices(len(inp), 1))
    ok = anchor_links(inp, i, j, config)
    graph = coo_matrix((np.ones(int(ok.sum())), (i[ok], j[ok])), shape=(len(inp), len(inp)))
    assert same_partition(link_anchors(inp, config), connected_components(graph)[1])


@pytest.mark.parametrize(("far", "expected"), [(5_500.0, 1), (7_001.0, 2)])
def test_two_cells_link_through_their_least_precise_reports(far: float, expected: int) -> None:
    """Two cells of the grid (4 km wide), each a 50 m fix and a 2.8 km sensor fix that link:
    across, only the sensor fixes can link (their gate is capped at 4 km, the fixes' is 1.5 km),
    so a cell pair is dropped unseen only where the sensor fixes' gate cannot reach
    (:meth:`LinkRule.possibly`)."""
    config = _GATES_OF_THE_DISTANCES
    rows = [
        {"x": 0.0, "u": 50.0},
        {"x": 3_000.0, "u": 2_828.0},
        {"x": far, "u": 2_828.0},
        {"x": 7_900.0, "u": 50.0},
    ]
    inp = _placed([{**r, "t0": 1_773_000_000, "t1": 1_773_000_060} for r in rows], config)
    assert fuse(inp, config).n_incidents == expected
    i, j = (v.ravel() for v in np.triu_indices(len(inp), 1))
    ok = anchor_links(inp, i, j, config)
    graph = coo_matrix((np.ones(int(ok.sum())), (i[ok], j[ok])), shape=(len(inp), len(inp)))
    assert same_partition(link_anchors(inp, config), connected_components(graph)[1])


@pytest.mark.parametrize("region_joins", ["sole", "best"])
def test_bulk_and_incremental_equal_a_brute_force_scan_on_edgy_random_reports(
    region_joins: Any,
) -> None:
    config = FusionConfig(region_joins=region_joins)
    inp = _random_reports(1, 1_500, config)
    brute = _brute_force_fuse(inp, config)
    assert 100 < brute.n_incidents < 1_000  # linked, joined and grouped: a real test
    bulk = fuse(inp, config)
    assert partition_keys(inp, bulk) == partition_keys(inp, brute)
    fuser = Fuser(config)
    fuser.add(inp.take(np.random.default_rng(2).permutation(len(inp))))
    assert partition_keys(fuser.inputs(), fuser.partition()) == partition_keys(inp, brute)
    # Which reports fit several incidents and join none: the same on every path.
    unsure = _ambiguous_ids(inp, brute)
    assert (len(unsure) > 10) == (region_joins == "sole")
    assert _ambiguous_ids(inp, bulk) == unsure
    assert _ambiguous_ids(fuser.inputs(), fuser.partition()) == unsure


def test_fuser_lookups_equal_a_brute_force_scan() -> None:
    """The grid lookups of :class:`Fuser` against scans of everything it holds: coarse reports
    within reach of each incident (exactly), incidents each coarse report may join (all of
    them, maybe more), and unattached coarse reports linked to each (exactly)."""
    config = FusionConfig()
    inp = _random_reports(3, 1_500, config)
    radius, window = config.scales()
    fuser = Fuser.from_bulk(inp.take(np.arange(1_000)), config)
    fuser.add(inp.take(np.arange(1_000, 1_500)))  # incidents merge: filed anew
    cols = fuser.inputs()
    anchor = fuser.partition().anchor
    roots = np.unique(fuser._cluster[: len(fuser)][anchor])
    inc = fuser._inc.table(roots)
    coarse = np.flatnonzero(~anchor)
    assert cols.region[coarse].sum() > 50
    for k, root in enumerate(roots.tolist()):
        gap = _gap(cols.t0[coarse], cols.t1[coarse], inc.t0[k], inc.t1[k])
        d = np.hypot(cols.x[coarse] - inc.x[k], cols.y[coarse] - inc.y[k])
        g = cols.group[coarse]
        reach = cols.uncertainty_m[coarse] + inc.u[k] + radius[g] + 1.0
        within = (g == inc.group[k]) & (gap <= window[g]) & (d <= reach)
        assert set(fuser._coarse.near(root)) == set(coarse[within].tolist())
    for i in coarse.tolist():
        g = int(cols.group[i])
        gap = _gap(inc.t0, inc.t1, cols.t0[i], cols.t1[i])
        d = np.hypot(inc.x - cols.x[i], inc.y - cols.y[i])
        fits = (inc.group == g) & (gap <= window[g])
        fits &= d <= cols.uncertainty_m[i] + inc.u + radius[g]
        assert set(roots[fits].tolist()) <= fuser._coarse.incidents_near(i)
    free = np.array([i for i in coarse.tolist() if i not in fuser._coarse.attached])
    for i in free.tolist():
        linked = _coarse_links(cols, np.full(free.size, i), free, config) & (free != i)
        assert sorted(fuser._coarse.free_neighbours(i)) == free[linked].tolist()


def _placed(rows: list[dict[str, Any]], config: FusionConfig) -> FusionInput:
    """Shelling reports placed in projected metres: ``x``, ``t0``, ``t1``, ``u`` and ``region``
    (on the line y = 0, on one side of it, saying nothing else)."""
    n = len(rows)
    return FusionInput(
        ids=np.array([f"r{i}" for i in range(n)], dtype=object),
        x=np.array([r["x"] for r in rows], dtype=np.float64),
        y=np.zeros(n),
        t0=np.array([r["t0"] for r in rows], dtype=np.int64),
        t1=np.array([r["t1"] for r in rows], dtype=np.int64),
        uncertainty_m=np.array([r["u"] for r in rows], dtype=np.float64),
        region=np.array([r.get("region", False) for r in rows]),
        group=config.group_codes(["shelling"] * n),
        etype=np.full(n, EVENT_TYPES.index("shelling"), dtype=np.int16),
        wclass=np.full(n, -1, dtype=np.int16),
        wmodel=np.full(n, -1, dtype=np.int64),
        claim=np.zeros(n, dtype=np.int8),
        side=np.ones(n, dtype=np.int8),
        source=np.full(n, -1, dtype=np.int64),
    )


@pytest.mark.parametrize("u", [2_000.0, 9_000.0, 45_000.0, 300_000.0])
@pytest.mark.parametrize("beyond", [-0.5, 0.5])
@pytest.mark.parametrize("right", [True, False])
def test_a_report_at_the_edge_of_its_reach_joins_across_cell_and_bucket_edges(
    u: float, beyond: float, right: bool
) -> None:
    """An anchor of 4 km (the widest incident) one metre from an edge of every grid level and one
    second from a bucket edge; a coarse report whose reach ends half a metre past it (joins)
    or short of it (does not), its window one neighbourhood window after the anchor's."""
    config = FusionConfig()
    edge, hour = 2 * (4_000 + 2_500) * 4**3, 3_600 * 4  # multiples of every level's cells
    reach = u + 4_000 + 2_500  # the report's radius + the incident's + one neighbourhood
    xa = edge - 1.0 if right else float(edge)
    xc = xa + (reach + beyond) if right else xa - (reach + beyond)
    ta = 1_773_000_000 // hour * hour - 1  # ends one second before a bucket edge
    rows = [
        {"x": xa, "t0": ta - 60, "t1": ta, "u": 4_000.0},
        {"x": xc, "t0": ta + 900, "t1": ta + 900 + 7_200, "u": u, "region": u > 100_000},
    ]
    inp = _placed(rows, config)
    joins = beyond < 0
    expected = [("r0", "r1")] if joins else [("r0",), ("r1",)]
    assert partition_keys(inp, fuse(inp, config)) == expected
    for order in ([0, 1], [1, 0]):
        fuser = Fuser(config)
        fuser.add(inp.take(order))
        assert partition_keys(fuser.inputs(), fuser.partition()) == expected
    late = _placed([rows[0], {**rows[1], "t0": ta + 901, "t1": ta + 901 + 7_200}], config)
    assert partition_keys(late, fuse(late, config)) == [("r0",), ("r1",)]


@pytest.mark.parametrize("beyond", [0.0, 0.5])
def test_unattached_reports_link_at_the_edge_of_the_wider_radius_across_cell_edges(
    beyond: float,
) -> None:
    config = FusionConfig()
    edge, t = 2 * (4_000 + 2_500) * 4**3, 1_773_000_000
    wide, narrow = 45_000.0, 3_000.0
    rows = [
        {"x": edge - 1.0, "t0": t, "t1": t + 7_200, "u": narrow},
        {"x": edge - 1.0 + wide + beyond, "t0": t + 7_200 + 900, "t1": t + 9_000, "u": wide},
    ]
    inp = _placed(rows, config)
    expected = [("r0", "r1")] if beyond == 0 else [("r0",), ("r1",)]
    assert partition_keys(inp, fuse(inp, config)) == expected
    for order in ([0, 1], [1, 0]):
        fuser = Fuser(config)
        fuser.add(inp.take(order))
        assert partition_keys(fuser.inputs(), fuser.partition()) == expected
