"""Checks flag, never reject, and flag only what is wrong whatever the true numbers are."""

from __future__ import annotations

from ceasefire.tallies.checks import check
from ceasefire.tallies.model import read_tally


def tally(lines, **over):
    data = {
        "id": "t-1",
        "issuer": "UA",
        "attacker": "RU",
        "window_from": "2026-03-01T18:00:00+02:00",
        "window_to": "2026-03-02T08:00:00+02:00",
        "lines": lines,
    }
    data.update(over)
    return read_tally(data)


def flags(t):
    return [(f.check, f.field, f.size) for f in check(t)]


def test_a_tally_that_adds_up_has_no_flags():
    t = tally([{"weapon_class": "drone", "launched": {"min": 360, "max": 399}, "destroyed": 352,
                "lost": 20, "hit": 20}],
              locations_hit=17, regions=["Odesa"], regions_count=12,
              issued_at="2026-03-02T09:00:00+02:00")  # fmt: skip
    assert check(t) == []


def test_conservation_flags_outcomes_surely_above_launched_with_the_size():
    # 352 + 30 + 20 = 402 > 399, the most "almost 400" can be: flagged by 3.
    t = tally([{"weapon_class": "drone", "launched": {"min": 360, "max": 399}, "destroyed": 352,
                "suppressed": 30, "hit": 20}])  # fmt: skip
    assert flags(t) == [("conservation", "lines[0]", 3)]


def test_conservation_is_not_flagged_where_an_interval_allows_it():
    # "over 390 destroyed" of "almost 400": possible (391..399), so no flag.
    t = tally([{"weapon_class": "drone", "launched": {"min": 360, "max": 399},
                "destroyed": {"min": 391, "max": None}}])  # fmt: skip
    assert check(t) == []


def test_sub_counts_above_their_line_are_flagged_count_by_count():
    t = tally([
        {"weapon_class": "drone", "model": "all drones", "launched": 40, "destroyed": 30},
        {"weapon_class": "strike_drone", "model": "jet", "part_of": "all drones",
         "launched": {"min": 51, "max": None}},
        {"weapon_class": "decoy_drone", "model": "Gerbera", "part_of": "all drones", "destroyed": 12},
    ])  # fmt: skip
    assert flags(t) == [("subcount", "lines[0].launched", 11)]


def test_more_locations_hit_than_weapons_that_hit_is_flagged():
    t = tally([{"weapon_class": "cruise_missile", "launched": 10, "hit": 3}], locations_hit=5)
    assert flags(t) == [("locations", "locations_hit", 2)]


def test_more_regions_named_than_stated_is_flagged():
    t = tally([{"weapon_class": "drone", "launched": 5}], regions=["Odesa", "Kyiv", "Sumy"],
              regions_count=2)  # fmt: skip
    assert flags(t) == [("regions", "regions", 1)]


def test_impossible_windows_are_flagged():
    line = [{"weapon_class": "drone", "launched": 5}]
    backwards = tally(line, window_to="2026-03-01T17:00:00+02:00")
    week = tally(line, window_to="2026-03-08T08:00:00+02:00")
    early = tally(line, issued_at="2026-03-01T12:00:00+02:00")
    assert [f[:2] for f in flags(backwards)] == [("window", "window_to")]
    assert "longer than 48 h" in check(week)[0].message
    assert [f[:2] for f in flags(early)] == [("window", "issued_at")]
