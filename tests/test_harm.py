"""Harm: an incident's figures combined per source and never summed across reports, and the
roll-ups per oblast and reporting day (:mod:`ceasefire.harm`)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from ceasefire.agreement.reporting import ReportingDay
from ceasefire.counts import Count
from ceasefire.harm import combine, rollup
from ceasefire.intake.report import Report
from ceasefire.intake.validation import validate_report
from ceasefire.records import Estimate, Harm, Incident, incident_dict

NOW = datetime(2026, 2, 18, 12, 0, tzinfo=UTC)
T0 = datetime(2026, 2, 17, 22, 0, tzinfo=UTC)
#: One party (two of its agencies), the mission's patrol, a news outlet.
UA, PATROL, NEWS = "UA/party", "mission/patrol", "osint/Odesa news"


def rep(rid: str, hours: float = 0.0, **fields: Any) -> Report:
    at = T0 + timedelta(hours=hours)
    row = {
        "id": rid,
        "submitted_by": "UA",
        "source_kind": "party",
        "observed_from": at.isoformat(),
        "lon": 30.72,
        "lat": 46.48,
        "event_type": "drone_strike",
        **fields,
    }
    return validate_report(row, now=NOW)


# -- combining one incident's reports -----------------------------------------------------------


def test_a_source_repeating_itself_is_one_figure_not_many_votes() -> None:
    # The party says 9 injured five times, the patrol saw 3: two sources, two figures. A median
    # over reports would make 9 the best estimate by repetition alone.
    reports = [rep(f"ua-{i}", i / 10, injured=9) for i in range(5)] + [rep("p", injured=3)]
    got = combine(reports, [UA] * 5 + [PATROL])
    assert got.injured == Estimate(low=3, best=6, high=9)
    assert got.killed == Estimate()


def test_a_source_s_latest_figure_stands_for_it() -> None:
    # "2 injured" overnight, "9 injured" in the morning as the hospitals count: the party's
    # figure is 9, not a range from its own first guess.
    early, late = rep("a", 0, injured=2, killed=0), rep("b", 8, injured=9)
    got = combine([early, late], [UA, UA])
    assert got.injured == Estimate(9, 9, 9)
    assert got.killed == Estimate(0, 0, 0)  # the later report did not state it: the earlier stands


def test_the_combination_does_not_depend_on_the_order_of_the_reports() -> None:
    reports = [
        rep("a", 0, injured=2, civilians_injured=2, people_affected=40_000),
        rep("b", 8, injured=9, people_affected={"min": 40_000, "max": 60_000}),
        rep("c", 3, submitted_by="mission", source_kind="patrol", injured=7, killed=1),
        rep("d", 3, submitted_by="mission", source_kind="patrol", injured=7, killed=2),
        rep("e", 5, submitted_by="a", source_kind="osint", injured=11, infrastructure="heating"),
    ]
    sources = [UA, UA, PATROL, PATROL, NEWS]
    first = combine(reports, sources)
    for order in itertools.permutations(range(len(reports))):
        assert combine([reports[i] for i in order], [sources[i] for i in order]) == first
    # Two patrol reports at the same time: the larger id is the later, whatever the order.
    assert first.killed == Estimate(2, 2, 2)


def test_infrastructure_and_utilities_are_the_union_of_the_members() -> None:
    reports = [
        rep("a", infrastructure="energy"),
        rep("b", infrastructure=["water", "heating"], utilities="water"),
        rep("c", submitted_by="m", source_kind="patrol", utilities=["heating", "water"]),
    ]
    harm = combine(reports, [UA, UA, PATROL]).harm
    assert harm is not None
    assert harm.infrastructure == ("energy", "heating", "water")
    assert harm.utilities == ("heating", "water")


def test_people_affected_span_the_sources_and_no_one_source_narrows_them() -> None:
    patrol = rep("p", submitted_by="m", source_kind="patrol", people_affected=45_000)
    news = rep("n", submitted_by="a", source_kind="osint",
               people_affected={"min": 40_000, "max": 60_000})  # fmt: skip
    party = rep("u", people_affected=1_000_000)
    harm = combine([patrol, news], [PATROL, NEWS]).harm
    assert harm is not None and harm.people_affected == Count(40_000, 60_000)
    # An inflated claim raises the top only: the floor is the smallest figure a source gives.
    harm = combine([patrol, news, party], [PATROL, NEWS, UA]).harm
    assert harm is not None and harm.people_affected == Count(40_000, 1_000_000)
    open_ended = rep("o", submitted_by="b", source_kind="osint",
                     people_affected={"min": 50_000})  # fmt: skip
    harm = combine([news, open_ended], [NEWS, "osint/b"]).harm
    assert harm is not None and harm.people_affected == Count(40_000, None)


def test_the_outage_runs_from_the_earliest_start_to_the_latest_end_or_stays_open() -> None:
    start = (T0 + timedelta(minutes=10)).isoformat()
    a = rep("a", outage_from=start, outage_to=(T0 + timedelta(hours=6)).isoformat())
    b = rep("b", submitted_by="m", source_kind="patrol",
            outage_from=(T0 + timedelta(hours=1)).isoformat(),
            outage_to=(T0 + timedelta(hours=9)).isoformat())  # fmt: skip
    harm = combine([a, b], [UA, PATROL]).harm
    assert harm is not None
    assert (harm.outage_from, harm.outage_to) == (
        T0 + timedelta(minutes=10),
        T0 + timedelta(hours=9),
    )
    ongoing = rep("c", submitted_by="x", source_kind="osint", outage_from=start)
    harm = combine([a, b, ongoing], [UA, PATROL, "osint/x"]).harm
    assert harm is not None and harm.outage_to is None


def test_reports_without_harm_give_an_incident_without_harm() -> None:
    assert combine([rep("a", injured=1)], [UA]).harm is None


# -- roll-ups --------------------------------------------------------------------------------------

NONE = Estimate()
#: Reporting days end at 09:00 Kyiv time (07:00 UTC in February).
DAY = ReportingDay(day_ends=time(9, 0), timezone="Europe/Kyiv")


def incident(
    key: str,
    at: datetime,
    oblast: str | None,
    *,
    status: str = "reported",
    killed: Estimate = NONE,
    injured: Estimate = NONE,
    civilians_injured: Estimate = NONE,
    harm: Harm | None = None,
) -> dict[str, Any]:
    fused = Incident(
        key=key, event_type="drone_strike", group="fire", observed_from=at, observed_to=at,
        lon=30.7, lat=46.5, uncertainty_m=100.0, place_precision="exact", report_ids=(key,),
        anchor_ids=(key,), sources=("mission/patrol",), source_kinds=("patrol",),
        submitters=("mission",), killed=killed, injured=injured,
        civilians_injured=civilians_injured, oblast=oblast, harm=harm,
    )  # fmt: skip
    return {"id": key, "status": status, **incident_dict(fused)}


NIGHT = T0  # 22:00 UTC on 17 Feb: the day from 09:00 Kyiv on 17 Feb
MORNING = datetime(2026, 2, 18, 8, 0, tzinfo=UTC)  # 10:00 Kyiv on 18 Feb: the next day
HEAT = Harm(infrastructure=("energy", "heating"), people_affected=Count(40_000, 60_000))
GRID = Harm(infrastructure=("energy",), people_affected=Count.exact(20_000))
FIXTURE = [
    incident("a", NIGHT, "Odesa", injured=Estimate(7, 8, 9), civilians_injured=Estimate(7, 8, 9),
             harm=HEAT),
    incident("b", NIGHT + timedelta(hours=2), "Odesa", killed=Estimate(1, 1, 2), harm=GRID),
    incident("c", NIGHT, "Kharkiv", injured=Estimate(0, 1, 1),
             harm=Harm(infrastructure=("residential",))),
    incident("d", MORNING, "Odesa", killed=Estimate(1, 2, 3)),
    incident("e", NIGHT, "Odesa", killed=Estimate(5, 5, 5), status="unfounded", harm=GRID),
    incident("f", MORNING, None, injured=Estimate(None, 1, None)),
]  # fmt: skip


def test_a_roll_up_per_oblast_sums_incidents_and_bounds_the_people_affected() -> None:
    got = rollup(FIXTURE, by="oblast", reporting=DAY)
    groups = {g["key"]: g for g in got["groups"]}
    assert [g["key"] for g in got["groups"]] == ["Kharkiv", "Odesa", None]
    odesa = groups["Odesa"]
    assert odesa["incidents"] == 3  # e was found unfounded: it counts nothing
    assert odesa["killed"] == {"low": 2, "best": 3, "high": 5}
    assert odesa["injured"] == {"low": 7, "best": 8, "high": 9}
    assert odesa["civilians_injured"] == {"low": 7, "best": 8, "high": 9}
    assert odesa["civilians_killed"] == {"low": None, "best": None, "high": None}
    assert odesa["infrastructure"] == {"energy": 2, "heating": 1}
    # Two strikes on one city's grid may leave the same people in the dark: at least the larger
    # of the two, at most both apart.
    assert odesa["people_affected"] == {"min": 40_000, "max": 80_000}
    assert groups[None]["injured"] == {"low": None, "best": 1, "high": None}
    total = got["total"]
    assert total["incidents"] == 5
    assert total["injured"] == {"low": 7, "best": 10, "high": 10}
    assert total["infrastructure"] == {"energy": 2, "heating": 1, "residential": 1}


def test_a_roll_up_per_reporting_day_follows_the_agreement_s_cutoff() -> None:
    got = rollup(FIXTURE, by="day", reporting=DAY)
    assert [(g["key"], g["incidents"]) for g in got["groups"]] == [
        ("2026-02-17", 3),
        ("2026-02-18", 2),
    ]
    night = got["groups"][0]
    assert (night["from"], night["to"]) == (
        "2026-02-17T07:00:00+00:00",
        "2026-02-18T07:00:00+00:00",
    )
    assert night["killed"] == {"low": 1, "best": 1, "high": 2}
    assert night["people_affected"] == {"min": 40_000, "max": 80_000}
    assert got["groups"][1]["people_affected"] is None


def test_a_roll_up_by_something_else_is_refused() -> None:
    with pytest.raises(ValueError, match="oblast, day"):
        rollup(FIXTURE, by="party", reporting=DAY)
