"""Fusion: linking equals DBSCAN, incremental equals bulk, precision-aware joining, twins apart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from sklearn.cluster import DBSCAN

from ceasefire._linking import eps_components, same_partition
from ceasefire.agreement import Agreement, demo_agreement_path, load_agreement
from ceasefire.errors import InputError
from ceasefire.fusion import (
    DEFAULT_GROUPS,
    Fuser,
    FusionConfig,
    FusionInput,
    Neighbourhood,
    fuse,
    fusion_columns,
    fusion_input,
    partition_keys,
)
from ceasefire.geo import GeoEngine
from ceasefire.incidents import summarise
from ceasefire.reports import validate_report
from ceasefire.simulate import SimConfig, simulate
from ceasefire.store import StoredReport

T0 = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 12, tzinfo=UTC)
# A point on the UA side near Kostiantynivka, about 8 km from the demo line.
LON, LAT = 37.70, 48.53


@pytest.fixture(scope="module")
def agreement() -> Agreement:
    return load_agreement(demo_agreement_path())


@pytest.fixture(scope="module")
def engine(agreement: Agreement) -> GeoEngine:
    return GeoEngine(agreement)


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
    items = [stored("a"), stored("b", dx_m=4_000.0)]
    assert groups_of(items, engine) == [{"a"}, {"b"}]
    groups = dict(DEFAULT_GROUPS)
    groups["fire"] = (groups["fire"][0], Neighbourhood(5_000.0, 900.0))
    assert groups_of(items, engine, groups=groups) == [{"a", "b"}]
