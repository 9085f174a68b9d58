"""Fusion's link rules: stated uncertainty, event types that may meet, one source's reports.

Each case is a handful of reports built by hand, fused in bulk and one by one in both orders
(the partition must not depend on the order).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from ceasefire.errors import InputError
from ceasefire.fusion.bulk import fuse, partition_keys
from ceasefire.fusion.columns import fusion_input
from ceasefire.fusion.config import FusionConfig
from ceasefire.fusion.incidents import summarise
from ceasefire.fusion.incremental import Fuser
from ceasefire.geo.engine import GeoEngine
from ceasefire.intake.validation import validate_report
from ceasefire.records import StoredReport

T0 = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)
# A point on the UA side near Kostiantynivka, about 8 km from the demo line.
LON, LAT = 37.70, 48.53


def stored(rid: str, dx_m: float = 0.0, **fields: Any) -> StoredReport:
    """A one-minute sensor fix of a shelling ``dx_m`` east of the base point, 500 m uncertain."""
    minutes = fields.pop("minutes", 0.0)
    length = fields.pop("length_min", 1.0)
    row: dict[str, Any] = {
        "id": rid,
        "submitted_by": "mission",
        "source_kind": "sensor",
        "source_name": "array 4",
        "observed_from": (T0 + timedelta(minutes=minutes)).isoformat(),
        "observed_to": (T0 + timedelta(minutes=minutes + length)).isoformat(),
        "lon": LON + dx_m / (111_320.0 * np.cos(np.radians(LAT))),
        "lat": LAT,
        "uncertainty_m": 500.0,
        "place_precision": "near",
        "event_type": "shelling",
    } | fields
    report = validate_report(row, now=T0 + timedelta(days=1))
    return StoredReport(report, row["lon"], row["lat"], report.uncertainty_m, None)


def groups(items: list[StoredReport], engine: GeoEngine, **config: Any) -> list[set[str]]:
    """The incidents as sets of report ids, after checking bulk and incremental agree."""
    cfg = FusionConfig(**config)
    inp = fusion_input(items, engine, cfg)
    bulk = partition_keys(inp, fuse(inp, cfg))
    for order in (np.arange(len(inp)), np.arange(len(inp))[::-1]):
        fuser = Fuser(cfg)
        fuser.add(inp.take(order))
        assert partition_keys(fuser.inputs(), fuser.partition()) == bulk
    return sorted((set(k) for k in bulk), key=sorted)


# --- stated uncertainty ----------------------------------------------------------------------------


def test_two_fixes_4_km_apart_with_2_km_uncertainty_each_join(engine: GeoEngine) -> None:
    # A gate of 1.2 r = 3 km alone splits these: each report says it may be 2 km off (4.1 km).
    a = stored("a", uncertainty_m=2_000.0)
    b = stored("b", dx_m=4_000.0, uncertainty_m=2_000.0)
    assert groups([a, b], engine) == [{"a", "b"}]


def test_two_precise_fixes_4_km_apart_stay_apart(engine: GeoEngine) -> None:
    a = stored("a", uncertainty_m=100.0, source_kind="uav", source_name="UAV 1")
    b = stored("b", dx_m=4_000.0, uncertainty_m=100.0, source_kind="uav", source_name="UAV 2")
    assert groups([a, b], engine) == [{"a"}, {"b"}]


def test_a_link_never_reaches_past_the_cap_whatever_the_uncertainty(engine: GeoEngine) -> None:
    # 4 km each would allow 6.4 km; the cap of 2.5 r stops a link at 6.25 km.
    a = stored("a", uncertainty_m=4_000.0)
    b = stored("b", dx_m=6_300.0, uncertainty_m=4_000.0)
    assert groups([a, b], engine) == [{"a"}, {"b"}]


def test_time_and_distance_add_up(engine: GeoEngine) -> None:
    # 3.1 km of a 4.1 km gate and 11 of 15 minutes: 0.75**2 + 0.73**2 > 1.
    a = stored("a", uncertainty_m=2_000.0)
    near = stored("near", dx_m=3_100.0, uncertainty_m=2_000.0)
    late = stored("late", dx_m=3_100.0, uncertainty_m=2_000.0, minutes=11)
    assert groups([a, near], engine) == [{"a", "near"}]
    assert groups([a, late], engine) == [{"a"}, {"late"}]


# --- event types that may meet ---------------------------------------------------------------------


def test_small_arms_and_shelling_minutes_apart_in_one_place_stay_apart(engine: GeoEngine) -> None:
    shell = [stored(f"s{i}", dx_m=100.0 * i, minutes=i) for i in range(3)]
    guns = [
        stored(f"g{i}", dx_m=50.0 * i, minutes=2 + i, event_type="small_arms") for i in range(2)
    ]
    assert groups([*shell, *guns], engine) == [{"g0", "g1"}, {"s0", "s1", "s2"}]


def test_an_explosion_meets_a_shelling_or_a_strike_but_not_small_arms(engine: GeoEngine) -> None:
    boom = stored("boom", event_type="explosion")
    assert groups([boom, stored("shell", minutes=1)], engine) == [{"boom", "shell"}]
    assert groups([boom, stored("drone", event_type="drone_strike")], engine) == [{"boom", "drone"}]
    assert groups([boom, stored("guns", event_type="small_arms")], engine) == [
        {"boom"},
        {"guns"},
    ]


def test_a_shelling_and_a_missile_strike_in_one_place_stay_apart(engine: GeoEngine) -> None:
    items = [stored("shell"), stored("missile", dx_m=300.0, event_type="missile_strike")]
    assert groups(items, engine) == [{"missile"}, {"shell"}]


def test_a_party_report_of_small_arms_does_not_join_a_shelling(engine: GeoEngine) -> None:
    shell = [stored(f"s{i}", dx_m=100.0 * i, minutes=i) for i in range(3)]
    party = dict(source_kind="party", submitted_by="UA", uncertainty_m=6_000.0, length_min=60.0)
    guns = stored("ua-guns", dx_m=1_000.0, minutes=-20, event_type="small_arms", **party)
    shelled = stored("ua-shell", dx_m=1_000.0, minutes=-20, **party)
    got = groups([*shell, guns, shelled], engine)
    assert got == [{"s0", "s1", "s2", "ua-shell"}, {"ua-guns"}]


def test_the_table_is_a_setting(engine: GeoEngine) -> None:
    items = [stored("shell"), stored("guns", minutes=1, event_type="small_arms")]
    assert groups(items, engine) == [{"guns"}, {"shell"}]
    table = (*FusionConfig().compatible, ("small_arms", "shelling"))
    assert groups(items, engine, compatible=table) == [{"guns", "shell"}]


def test_the_table_names_a_bad_pair() -> None:
    with pytest.raises(InputError, match=r"compatible\[0\].*unknown event type 'barrage'"):
        FusionConfig(compatible=(("barrage", "shelling"),))
    with pytest.raises(
        InputError, match=r"compatible\[0\].*'mine' and 'shelling' are in different"
    ):
        FusionConfig(compatible=(("mine", "shelling"),))
    with pytest.raises(InputError, match="link_cap: must be > 0"):
        FusionConfig(link_cap=0.0)


# --- one source's reports --------------------------------------------------------------------------


def _camera(rid: str, name: str = "camera C-7", **fields: Any) -> StoredReport:
    return stored(rid, source_kind="camera", source_name=name, uncertainty_m=1_000.0, **fields)


def test_a_cameras_two_reports_do_not_chain_two_events(engine: GeoEngine) -> None:
    # 1.2 km apart in the same minute: close enough to link, but one camera filed both.
    first, second = _camera("c1"), _camera("c2", dx_m=1_200.0)
    assert groups([first, second], engine) == [{"c1"}, {"c2"}]
    # Two cameras seeing one flash are one event.
    other = _camera("d1", name="camera C-8", dx_m=1_200.0)
    assert groups([first, other], engine) == [{"c1", "d1"}]


def test_a_report_submitted_twice_is_still_one_event(engine: GeoEngine) -> None:
    again = _camera("c1-again")
    assert groups([_camera("c1"), again], engine) == [{"c1", "c1-again"}]


def test_a_sensor_array_reports_every_round(engine: GeoEngine) -> None:
    # An array hears every round of a shelling: its reports link (sensors are not single-report).
    rounds = [stored(f"r{i}", dx_m=300.0 * i, minutes=i) for i in range(3)]
    assert groups(rounds, engine) == [{"r0", "r1", "r2"}]


def test_a_source_without_a_name_is_no_one_in_particular(engine: GeoEngine) -> None:
    a = stored("a", source_kind="patrol", source_name=None, uncertainty_m=1_000.0)
    b = stored("b", source_kind="patrol", source_name=None, dx_m=1_200.0, uncertainty_m=1_000.0)
    assert groups([a, b], engine) == [{"a", "b"}]


def test_single_report_sources_are_a_setting(engine: GeoEngine) -> None:
    items = [_camera("c1"), _camera("c2", dx_m=1_200.0)]
    assert groups(items, engine, single_report_sources=()) == [{"c1", "c2"}]


# --- oblast-level reports ------------------------------------------------------------------------


def _oblast_claim(rid: str, engine: GeoEngine) -> StoredReport:
    return stored(
        rid,
        source_kind="party",
        source_name="UA General Staff",
        submitted_by="UA",
        claimed_perpetrator="RU",
        place_precision="region",
        uncertainty_m=60_000.0,
        minutes=-20.0,
        length_min=90.0,
    )


def test_an_oblast_level_claim_fitting_two_located_incidents_joins_neither_and_is_ambiguous(
    engine: GeoEngine,
) -> None:
    near = [stored("s1"), stored("s2", dx_m=300.0)]
    far = [stored("t1", dx_m=-12_000.0), stored("t2", dx_m=-12_300.0)]
    claim = _oblast_claim("claim", engine)
    cfg = FusionConfig()
    for located, joined in ((near, {"claim", "s1", "s2"}), (near + far, {"claim"})):
        items = [*located, claim]
        assert joined in groups(items, engine)
        inp = fusion_input(items, engine, cfg)
        part = fuse(inp, cfg)
        fuser = Fuser(cfg)
        fuser.add(inp.take(np.arange(len(inp))[::-1]))
        unsure = {"claim"} if joined == {"claim"} else set()
        assert set(inp.ids[part.ambiguous].tolist()) == unsure
        assert set(fuser.inputs().ids[fuser.partition().ambiguous].tolist()) == unsure
        incidents = summarise(items, part.members(), part.anchor, engine, cfg, part.ambiguous)
        assert {i.key for i in incidents if i.ambiguous} == unsure
