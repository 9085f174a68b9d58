"""Rates of intervals are intervals; strike-drone rates leave decoys out or are not given."""

from __future__ import annotations

import pytest

from ceasefire.counts import Count
from ceasefire.tallies.model import read_tally
from ceasefire.tallies.rates import Rate, rates, ratio, series


def tally(lines, tally_id="t", start="2026-03-01T18:00:00+02:00"):
    return read_tally({"id": tally_id, "issuer": "UA", "attacker": "RU", "window_from": start,
                       "window_to": "2026-03-02T08:00:00+02:00", "lines": lines})  # fmt: skip


def test_ratio_spans_both_intervals_and_caps_at_one():
    assert ratio(Count.exact(380), Count(360, 399)) == Rate(380 / 399, 1.0)
    assert ratio(Count.exact(30), Count.exact(120)) == Rate(0.25, 0.25)
    assert ratio(Count(6, None), Count.exact(10)) == Rate(0.6, 1.0)
    assert ratio(Count.exact(3), None) is None
    assert ratio(Count.exact(0), Count.exact(0)) is None


def test_strike_drone_rates_leave_decoys_out():
    t = tally([
        {"weapon_class": "strike_drone", "launched": 100, "destroyed": 70, "hit": 30},
        {"weapon_class": "decoy_drone", "launched": 68, "destroyed": 60, "lost": 8, "hit": 0},
        {"weapon_class": "cruise_missile", "launched": 10, "destroyed": 9, "hit": 1},
    ])  # fmt: skip
    r = rates(t)
    assert r["strike_drones"]["hit"] == Rate(0.3, 0.3)
    assert r["drones"]["hit"] == Rate(30 / 168, 30 / 168)
    assert r["drones"]["interception"] == Rate(130 / 168, 130 / 168)
    assert r["missiles"]["interception"] == Rate(0.9, 0.9)
    # Not stopped: 100 - 70 = 30 strike drones; 168 - 138 = 30 of all drones.
    assert r["drones"]["not_stopped"] == Rate(30 / 168, 30 / 168)


def test_no_strike_only_rate_when_a_line_counts_drones_and_decoys_together():
    t = tally([{"weapon_class": "drone", "launched": 100, "destroyed": 80}])
    r = rates(t)
    assert r["strike_drones"] == {"interception": None, "hit": None, "not_stopped": None}
    assert r["drones"]["interception"] == Rate(0.8, 0.8)


def test_the_series_runs_in_window_order():
    later = tally([{"weapon_class": "drone", "launched": 10, "destroyed": 5}], "b",
                  "2026-03-01T20:00:00+02:00")  # fmt: skip
    first = tally([{"weapon_class": "drone", "launched": 10, "destroyed": 9}], "a")
    rows = series([later, first])
    assert [r["tally"] for r in rows] == ["a", "b"]
    assert rows[0]["rates"]["drones"]["interception"] == {"min": 0.9, "max": 0.9}
    assert rows[0]["launched"] == {"drones": 10, "missiles": None}
    assert rows[0]["destroyed"] == {"drones": 9, "missiles": None}
    assert rows[0]["scope"] == "national"


def test_a_series_row_gives_destroyed_as_the_bulletin_allows_it_never_adding_sub_counts():
    # "400 drones, 352 shot down; of them 120 jets": the jets are part of the 400 (not added),
    # and 29 missiles with none said shot down add 0 to 29 to the missiles' destroyed.
    t = tally([
        {"weapon_class": "drone", "model": "all", "launched": 400, "destroyed": 352},
        {"weapon_class": "strike_drone", "model": "jet", "part_of": "all", "launched": 120,
         "destroyed": 100},
        {"weapon_class": "cruise_missile", "launched": 20, "destroyed": 19},
        {"weapon_class": "ballistic_missile", "launched": 9},
    ])  # fmt: skip
    (row,) = series([t])
    assert row["launched"] == {"drones": 400, "missiles": 29}
    assert row["destroyed"] == {"drones": 352, "missiles": {"min": 19, "max": 28}}


@pytest.mark.parametrize(
    ("rate", "text"), [(Rate(0.25, 0.25), "25.0 %"), (Rate(0.9, 1.0), "90.0-100.0 %")]
)
def test_rates_print_as_percent(rate, text):
    assert str(rate) == text
