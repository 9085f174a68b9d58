"""The demo night's tallies: both sides' accounts of the attack that started the project,
versions kept, and a reconciliation against the mission's own strikes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ceasefire.counts import Count
from ceasefire.publish.access import Principal
from ceasefire.sim import SimConfig
from ceasefire.sim.demo_tallies import demo_tallies
from ceasefire.store.facade import Store
from ceasefire.tallies.checks import check
from ceasefire.tallying import reconcile_window

MONITOR = Principal("demo monitor", "monitor")
UA = Principal("demo UA liaison", "party", "UA")


def test_the_demo_bulletin_carries_the_seeds_figures():
    tallies = {t.id: t for t in demo_tallies(SimConfig().start)}
    morning = tallies["af-2026-03-11"]
    assert morning.total("launched", ("drone", "strike_drone", "decoy_drone")) == Count(360, 399)
    assert morning.total("launched", ("ballistic_missile", "cruise_missile")) == Count.exact(29)
    assert (morning.regions_count, morning.injured) == (Count.exact(12), Count.exact(9))
    assert len(morning.regions) == 12
    assert tallies["af-2026-03-11-update"].supersedes == "af-2026-03-11"
    assert not any(check(t) for t in tallies.values())  # the demo's own numbers add up


def test_the_demo_night_reconciles(demo_dir: Path) -> None:
    night = (datetime(2026, 3, 10, 12, tzinfo=UTC), datetime(2026, 3, 11, 12, tzinfo=UTC))
    with Store.open(str(demo_dir / "demo.db"), create=False, migrate=False) as store:
        stored = store.tallies(by=MONITOR, current_only=False)
        ru_attack, ua_attack = reconcile_window(store, MONITOR, *night)
        party_view = reconcile_window(store, UA, *night)[0]
    assert len(stored) == 10
    assert {s.tally.id: s.superseded_by for s in stored}["af-2026-03-11"] == "af-2026-03-11-update"
    # RU's attack: both accounts, UA's corrected version, apart on missiles and regions.
    assert ru_attack.attacker == "RU"
    assert {i: t.id for i, t in ru_attack.accounts.items()} == {
        "RU": "mod-2026-03-11", "UA": "af-2026-03-11-update",
    }  # fmt: skip
    diffs = {d.figure: d for d in ru_attack.differences}
    assert diffs["missiles.launched"].size == 1  # 30 claimed against 29 counted
    assert diffs["drones.launched"].agrees  # "over 300" against 396
    record = ru_attack.record()
    assert record["strikes"] > 10 and "Odesa" in record["by_oblast"]
    assert "Odesa" in record["accounts"]["UA"]["regions_in_both"]
    # UA's attack: the other side's count of drones it shot down over its regions.
    assert ua_attack.attacker == "UA" and list(ua_attack.accounts) == ["RU"]
    # A party's view counts only the strikes it may read of the mission's record.
    assert party_view.record()["strikes"] <= record["strikes"]


def test_the_demo_night_holds_odesas_outage_counted_once(demo_dir: Path) -> None:
    with Store.open(str(demo_dir / "demo.db"), create=False, migrate=False) as store:
        [odesa] = [
            s.to_dict() for s in store.list_incidents() if "odesa-energy-2026-03-11" in s.report_ids
        ]
    assert "news-odesa-2026-03-11" in odesa["report_ids"]  # the news of it fused with it
    harm = odesa["harm"]
    assert {"heating", "water"} <= set(harm["utilities"])
    assert {"energy", "heating", "water"} <= set(harm["infrastructure"])
    # The party's "tens of thousands" and the news' 30,000-60,000 are the same people: one
    # interval holding both, not their sum.
    assert harm["people_affected"] == {"min": 10_000, "max": 99_999}
