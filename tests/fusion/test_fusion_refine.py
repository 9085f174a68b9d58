"""Refinement: linked components split by average linkage, so neighbouring events do not chain.

The hand-built cases go through :func:`test_fusion_rules.groups` (bulk, and one by one in both
orders); the crowded random case holds bulk, incremental (any order, and built in bulk then fed)
and a brute-force average linkage equal.
"""

from __future__ import annotations

import numpy as np
from brute import brute_anchor_incidents
from test_fusion_rules import groups, stored

from ceasefire.fusion._linking import same_partition
from ceasefire.fusion.bulk import anchor_incidents, fuse, partition_keys
from ceasefire.fusion.columns import FusionInput
from ceasefire.fusion.config import FusionConfig
from ceasefire.fusion.incremental import Fuser
from ceasefire.fusion.matching import anchor_mask
from ceasefire.fusion.refine import refine_component
from ceasefire.geo.engine import GeoEngine
from ceasefire.vocab import EVENT_TYPES


def test_two_bursts_4_km_and_5_minutes_apart_chained_by_a_middle_report_are_two(
    engine: GeoEngine,
) -> None:
    # Sensor fixes of 1 km: a burst of three, one report half way, a burst of three 4 km and
    # five minutes on. Each burst links to the middle report, the bursts not to each other.
    def fix(rid: str, dx_m: float, minutes: float) -> object:
        return stored(rid, dx_m, minutes=minutes, uncertainty_m=1_000.0, event_type="small_arms")

    first = [fix(f"a{i}", 0.0, i / 2) for i in range(3)]
    second = [fix(f"b{i}", 4_000.0, 5 + i / 2) for i in range(3)]
    items = [*first, fix("m", 2_000.0, 3.0), *second]
    assert groups(items, engine, linkage="single") == [{"a0", "a1", "a2", "b0", "b1", "b2", "m"}]
    found = groups(items, engine)
    assert len(found) == 2
    assert {"a0", "a1", "a2"} <= found[0] and {"b0", "b1", "b2"} <= found[1]


def test_one_patrols_two_reports_never_meet_through_a_third(engine: GeoEngine) -> None:
    # A patrol files one report per event: its two reports 2 km apart are two events, and a
    # sensor fix between them (linked to both) may join one of them, not make them one.
    patrol = {"source_kind": "patrol", "source_name": "patrol 3", "uncertainty_m": 200.0}
    items = [
        stored("p1", 0.0, **patrol),
        stored("s", 1_000.0, minutes=1, uncertainty_m=1_000.0),
        stored("p2", 2_000.0, minutes=2, **patrol),
    ]
    assert groups(items, engine, linkage="single") == [{"p1", "p2", "s"}]
    found = groups(items, engine)
    assert len(found) == 2 and not any({"p1", "p2"} <= g for g in found)


def test_a_component_whose_pairs_all_link_is_one_incident(engine: GeoEngine) -> None:
    items = [stored(f"r{i}", 300.0 * i, minutes=i) for i in range(5)]
    assert groups(items, engine) == [{f"r{i}" for i in range(5)}]


def _crowded(seed: int, n: int, config: FusionConfig) -> FusionInput:
    """Fire reports of many events crowded into 30 km and four hours: bursts that link into long
    components, patrols and cameras that report several of them, a few reports sent twice."""
    rng = np.random.default_rng(seed)
    types = np.array(["shelling", "small_arms", "explosion"])
    n_events = n // 4
    event = rng.integers(0, n_events, n)
    etype = types[rng.choice(3, n_events, p=[0.5, 0.3, 0.2])][event]
    x = rng.uniform(0, 30_000, n_events)[event] + rng.normal(0, 600, n)
    y = rng.uniform(0, 30_000, n_events)[event] + rng.normal(0, 600, n)
    t0 = 1_773_000_000 + rng.integers(0, 4 * 3_600, n_events)[event] + rng.integers(-120, 120, n)
    u = rng.choice([75.0, 300.0, 1_000.0, 2_500.0], n)
    source = np.where(rng.random(n) < 0.35, rng.integers(1, 6, n), -1).astype(np.int64)
    twice = rng.choice(n, n // 40, replace=False)  # one report submitted twice: same content
    codes = {t: i for i, t in enumerate(EVENT_TYPES)}
    cols = FusionInput(
        ids=np.array([f"c{i:04d}" for i in range(n)], dtype=object),
        x=np.round(x),
        y=np.round(y),
        t0=t0,
        t1=t0 + rng.integers(0, 120, n),
        uncertainty_m=u,
        region=np.zeros(n, dtype=bool),
        group=config.group_codes(etype.tolist()),
        etype=np.array([codes[t] for t in etype], dtype=np.int16),
        wclass=np.full(n, -1, dtype=np.int16),
        wmodel=np.full(n, -1, dtype=np.int64),
        claim=np.zeros(n, dtype=np.int8),
        side=np.ones(n, dtype=np.int8),
        source=source,
    )
    copies = cols.take(twice)
    copies.ids = np.array([f"c{i:04d}-again" for i in twice.tolist()], dtype=object)
    both = [
        np.concatenate([getattr(cols, f), getattr(copies, f)]) for f in cols.__dataclass_fields__
    ]
    return FusionInput(*both)


def test_refinement_is_the_same_in_bulk_one_by_one_and_by_brute_force() -> None:
    config = FusionConfig()
    inp = _crowded(3, 600, config)
    anchors = inp.take(np.flatnonzero(anchor_mask(inp, config)))
    components, incidents = anchor_incidents(anchors, config)
    sizes = np.bincount(components)
    # A real test: long components, most of them split.
    assert sizes.max() >= 12 and incidents.max() > components.max() + 40
    assert same_partition(incidents, brute_anchor_incidents(anchors, config))
    bulk = partition_keys(inp, fuse(inp, config))
    rng = np.random.default_rng(4)
    for _ in range(3):
        fuser = Fuser(config)
        fuser.add(inp.take(rng.permutation(len(inp))))
        assert partition_keys(fuser.inputs(), fuser.partition()) == bulk
    fuser = Fuser.from_bulk(inp.take(np.arange(300)), config)
    fuser.add(inp.take(np.arange(300, len(inp))))
    assert partition_keys(fuser.inputs(), fuser.partition()) == bulk


def test_refining_a_component_does_not_depend_on_the_order_of_its_members() -> None:
    config = FusionConfig()
    inp = _crowded(5, 400, config)
    components, _ = anchor_incidents(inp, config)
    big = np.flatnonzero(components == np.argmax(np.bincount(components)))
    sub = inp.take(big)
    first = refine_component(sub, config)
    assert first.max() >= 1  # it was split
    for seed in range(4):
        order = np.random.default_rng(seed).permutation(big.size)
        assert same_partition(refine_component(sub.take(order), config), first[order])
