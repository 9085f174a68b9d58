"""Reconciliation: accounts side by side, differences with their size, the mission's record."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ceasefire.counts import Count
from ceasefire.tallies.model import read_tally
from ceasefire.tallies.reconcile import Strike, current, difference, reconcile

KYIV = timezone(timedelta(hours=2))


def tally(tally_id, issuer, lines, **over):
    data = {"id": tally_id, "issuer": issuer, "attacker": "RU",
            "window_from": "2026-02-16T18:00:00+02:00", "window_to": "2026-02-17T08:00:00+02:00",
            "lines": lines}  # fmt: skip
    data.update(over)
    return read_tally(data)


DEFENDER = tally(
    "ua-1", "UA",
    [{"weapon_class": "drone", "launched": {"min": 360, "max": 399}, "destroyed": 352},
     {"weapon_class": "cruise_missile", "launched": 29, "destroyed": 25}],
    regions=["Odesa oblast", "Kyiv", "Kharkiv"], locations_hit=17,
)  # fmt: skip
ATTACKER = tally(
    "ru-1", "RU",
    [{"weapon_class": "drone", "launched": 410}, {"weapon_class": "cruise_missile", "launched": 29}],
    issued_at="2026-02-17T11:00:00+03:00",
)  # fmt: skip


def strike(i, oblast, hour, who="RU"):
    return Strike(f"inc-{i}", oblast, datetime(2026, 2, 17, hour, 0, tzinfo=KYIV), who)


def test_differences_have_their_size_and_agreement():
    d = difference("drones.launched", "RU", Count.exact(410), "UA", Count(360, 399))
    assert (d.least, d.most, d.agrees, d.size) == (11, 50, False, 11)
    same = difference("missiles.launched", "RU", Count.exact(29), "UA", Count.exact(29))
    assert same.agrees and same.size == 0
    open_ended = difference("x", "a", Count(5, None), "b", Count.exact(7))
    assert (open_ended.least, open_ended.most, open_ended.agrees) == (-2, None, True)


def test_one_attack_with_both_accounts_and_the_record():
    strikes = [strike(1, "Odesa", 2), strike(2, "Odesa", 3), strike(3, "Dnipropetrovsk", 4),
               strike(4, "Kyiv", 5, who="UA"), strike(5, "Kyiv", 9)]  # fmt: skip
    [attack] = reconcile([DEFENDER, ATTACKER], strikes)
    assert sorted(attack.accounts) == ["RU", "UA"]
    diffs = {d.figure: d for d in attack.differences}
    assert diffs["drones.launched"].size == 11  # 410 against at most 399
    assert diffs["missiles.launched"].agrees
    assert "drones.destroyed" not in diffs  # the attacker does not publish it
    record = attack.record()
    # Only the attacker's strikes inside the window: not UA's, not the one after 08:00.
    assert record["strikes"] == 3 and record["by_oblast"] == {"Dnipropetrovsk": 1, "Odesa": 2}
    ua = record["accounts"]["UA"]
    assert ua["regions_in_both"] == ["Odesa oblast"]
    assert ua["regions_only_in_account"] == ["Kharkiv", "Kyiv"]
    assert ua["regions_only_in_record"] == ["Dnipropetrovsk"]
    assert ua["locations_hit_against_strikes"]["size"] == 14
    assert attack.to_dict()["accounts"]["UA"]["figures"]["drones.destroyed"] == 352


def test_a_correction_supersedes_its_issuers_earlier_tally_and_both_are_kept():
    fixed = tally("ua-2", "UA", [{"weapon_class": "drone", "launched": 396, "destroyed": 352}],
                  supersedes="ua-1")  # fmt: skip
    # Another issuer cannot retire UA's tally by naming it.
    hijack = tally("ru-2", "RU", [{"weapon_class": "drone", "launched": 1}], supersedes="ua-1",
                   window_from="2026-02-20T18:00:00+02:00", window_to="2026-02-21T08:00:00+02:00")  # fmt: skip
    assert {t.id for t in current([DEFENDER, fixed, hijack])} == {"ua-2", "ru-2"}
    assert {t.id for t in current([DEFENDER, hijack])} == {"ua-1", "ru-2"}
    [attack, _] = reconcile([DEFENDER, fixed, ATTACKER, hijack])
    assert attack.accounts["UA"].id == "ua-2"
    assert {d.figure: d.size for d in attack.differences}["drones.launched"] == 14


def test_regional_tallies_are_not_set_against_national_ones():
    west = tally("ua-west", "UA", [{"weapon_class": "drone", "launched": 40}], scope="command",
                 scope_name="West")  # fmt: skip
    [attack] = reconcile([west, ATTACKER])
    assert list(attack.accounts) == ["RU"]


def test_windows_apart_are_two_attacks_and_a_later_bulletin_replaces_an_earlier_one():
    next_night = tally("ua-3", "UA", [{"weapon_class": "drone", "launched": 90}],
                       window_from="2026-02-17T18:00:00+02:00", window_to="2026-02-18T08:00:00+02:00")  # fmt: skip
    update = tally("ua-1b", "UA", [{"weapon_class": "drone", "launched": 400}],
                   issued_at="2026-02-17T12:00:00+02:00")  # fmt: skip
    attacks = reconcile([DEFENDER, update, next_night])
    assert len(attacks) == 2
    assert attacks[0].accounts["UA"].id == "ua-1b" and [t.id for t in attacks[0].others] == ["ua-1"]
