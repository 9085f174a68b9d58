"""What an accepted event becomes (ceasefire.extract.accepted): its osint report, its strike
tally, their ids and windows, and the refusals that name the event and the field. Events are
built here, as the rules would propose them."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest

from ceasefire.counts import Count
from ceasefire.errors import InputError
from ceasefire.extract import Event, Evidence, Extraction, Weapons
from ceasefire.extract.accepted import (
    CITY_RADIUS_M,
    LOCAL,
    accepted_records,
    proposal_digest,
    record_id,
    text_sha256,
    window_of,
)
from ceasefire.geo.gazetteer import load_gazetteer
from proposals import AIR_ATTACK, PUBLISHED, air_attack_event

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SHA = text_sha256(AIR_ATTACK)


def _accept(*events: Event, published: date | None = PUBLISHED, source: str = "Air Force"):  # type: ignore[no-untyped-def]
    extraction = Extraction(source=source, published=published, events=events)
    return accepted_records(extraction, SHA, None, gazetteer=load_gazetteer(), now=NOW)


def _problems(exc: pytest.ExceptionInfo[InputError]) -> set[tuple[str, str]]:
    return {(p.where, p.field) for p in exc.value.problems}


def test_a_nights_attack_on_one_oblast_becomes_a_regional_report_and_a_tally() -> None:
    [accepted] = _accept(air_attack_event(AIR_ATTACK, PUBLISHED))
    report, tally = accepted.report, accepted.tally
    assert report is not None and tally is not None
    assert report.id == tally.id == record_id(SHA, 0) == f"text-{SHA[:16]}-0"
    assert (report.submitted_by, report.source_kind, report.source_name) == (
        "mission", "osint", "Air Force",
    )  # fmt: skip
    assert report.event_type == "air_attack"
    assert report.claimed_perpetrator == "RU"
    assert report.weapon_class == "long_range_drone"
    # "Overnight" on 17 February: 18:00 on the 16th to 09:00 on the 17th, Kyiv time.
    assert report.observed_from == datetime(2026, 2, 16, 18, 0, tzinfo=LOCAL)
    assert report.observed_to == datetime(2026, 2, 17, 9, 0, tzinfo=LOCAL)
    # The oblast, not a point in it: region precision, a radius holding all of Kharkiv oblast.
    assert report.place_precision == "region"
    assert report.uncertainty_m is not None and report.uncertainty_m >= 100_000
    assert 35.0 < (report.lon or 0) < 38.5 and 48.5 < (report.lat or 0) < 50.5
    # The text's hash and the words of every figure travel with the report (its ledger leaf).
    extracted = report.extra["extracted"]
    assert extracted["text_sha256"] == SHA and extracted["event"] == 0
    quoted = {e["field"]: e["text"] for e in extracted["figures"]["evidence"]}
    assert quoted["launched.drones"] == "120 drones"
    assert quoted["destroyed.drones"] == "100 were shot down"
    assert '"100 were shot down"' in (report.notes or "")
    # The tally: the mission's transcription of the oblast's figures.
    assert (tally.issuer, tally.attacker, tally.scope, tally.scope_name) == (
        "mission", "RU", "oblast", "Kharkiv",
    )  # fmt: skip
    [line] = tally.lines
    assert (line.weapon_class, line.launched, line.destroyed) == (
        "drone", Count.exact(120), Count.exact(100),
    )  # fmt: skip
    assert (tally.window_from, tally.window_to) == (report.observed_from, report.observed_to)
    assert tally.extra["extracted"]["text_sha256"] == SHA


def test_a_settlement_places_the_report_near_it_and_harm_goes_on_the_report() -> None:
    event = Event(
        kind="drone_strike",
        date=date(2026, 2, 16),
        perpetrator="RU",
        killed=Count(6, None),  # "at least six"
        injured=Count.exact(9),
        people_affected=Count(10_000, 99_999),  # "tens of thousands"
        places=("Odesa",),
        oblasts=("Odesa",),
        evidence=(Evidence("date", 0, 9, "on Monday"),),
    )
    [accepted] = _accept(event)
    report = accepted.report
    assert report is not None and accepted.tally is None  # no weapon counts: no tally
    assert (report.place_precision, report.uncertainty_m) == ("near", CITY_RADIUS_M)
    assert abs((report.lon or 0) - 30.73) < 0.1 and abs((report.lat or 0) - 46.48) < 0.1
    # Whole numbers take the low end (ACLED's conservative figure); the interval stays in extra.
    assert (report.killed, report.injured) == (6, 9)
    assert report.people_affected == Count(10_000, 99_999)
    assert report.extra["extracted"]["figures"]["killed"] == {"min": 6, "max": None}
    # Not a night: the night before and the whole day.
    assert report.observed_from == datetime(2026, 2, 15, 18, 0, tzinfo=LOCAL)
    assert report.observed_to == datetime(2026, 2, 17, 0, 0, tzinfo=LOCAL)


def test_violations_are_reports_of_type_other_with_their_count() -> None:
    event = Event(
        kind="ceasefire_violations",
        date=date(2026, 2, 16),
        ceasefire_violations=Count(12, 99),  # "dozens"
        places=("Huliaipole",),
    )
    [accepted] = _accept(event)
    assert accepted.report is not None
    assert (accepted.report.event_type, accepted.report.count) == ("other", 12)


def test_several_oblasts_and_no_settlement_give_a_tally_only() -> None:
    event = dataclasses.replace(
        air_attack_event(AIR_ATTACK, PUBLISHED), oblasts=("Kharkiv", "Odesa", "Sumy")
    )
    [accepted] = _accept(event)
    assert accepted.report is None and accepted.tally is not None
    assert accepted.tally.scope == "national"
    assert accepted.tally.regions == ("Kharkiv", "Odesa", "Sumy")
    assert accepted.note is not None and "no single place" in accepted.note


def test_missiles_and_their_parts_are_one_line_and_its_sub_counts() -> None:
    event = Event(
        kind="missile_strike",
        date=PUBLISHED,
        perpetrator="RU",
        launched=Weapons(
            missiles=Count.exact(29),
            ballistic_missiles=Count.exact(9),
            cruise_missiles=Count.exact(20),
        ),
        destroyed=Weapons(missiles=Count.exact(24)),
        regions_count=Count.exact(12),
    )
    [accepted] = _accept(event)
    tally = accepted.tally
    assert tally is not None and accepted.report is None  # twelve regions, none named
    assert [(ln.label, ln.part_of) for ln in tally.lines] == [
        ("missile", None), ("ballistic_missile", "missile"), ("cruise_missile", "missile"),
    ]  # fmt: skip
    assert tally.total("launched") == Count.exact(29)  # the parts are never added again


def test_every_problem_of_every_event_is_named_and_nothing_is_made() -> None:
    good = air_attack_event(AIR_ATTACK, PUBLISHED)
    no_date = dataclasses.replace(good, date=None)
    no_attacker = dataclasses.replace(good, perpetrator=None)
    nowhere = Event(kind="shelling", date=PUBLISHED, killed=Count.exact(1))
    unknown_place = dataclasses.replace(good, places=("Atlantis",))
    future = dataclasses.replace(good, date=date(2026, 3, 5))
    with pytest.raises(InputError) as exc:
        _accept(good, no_date, no_attacker, nowhere, unknown_place, future)
    assert _problems(exc) == {
        ("event 1", "date"),
        ("event 2", "perpetrator"),
        ("event 3", "places"),
        ("event 4", "places"),
        ("event 5", "date"),
    }
    reasons = " ".join(str(p) for p in exc.value.problems)
    assert "the text resolves none" in reasons and "'Atlantis'" in reasons
    with pytest.raises(InputError, match="give the publication date"):
        _accept(no_date, published=None)


def test_the_events_accepted_are_checked() -> None:
    extraction = Extraction("x", PUBLISHED, (air_attack_event(AIR_ATTACK, PUBLISHED),))
    g = load_gazetteer()
    for events, reason in (([], "at least one"), ([1], "no event 1"), ([-1], "no event -1")):
        with pytest.raises(InputError, match=reason) as exc:
            accepted_records(extraction, SHA, events, gazetteer=g, now=NOW)
        assert _problems(exc) == {("accept", "events")}
    [again] = accepted_records(extraction, SHA, [0, 0], gazetteer=g, now=NOW)
    assert again.index == 0


def test_windows_and_digests() -> None:
    assert window_of(Event(kind="shelling")) is None
    night = Event(
        kind="shelling", date=PUBLISHED, evidence=(Evidence("date", 0, 10, "last night"),)
    )
    start, end = window_of(night) or (None, None)
    assert (end - start).total_seconds() == 15 * 3600  # type: ignore[operator]
    one = Extraction("x", PUBLISHED, (air_attack_event(AIR_ATTACK, PUBLISHED),))
    other = Extraction("x", PUBLISHED, ())
    assert proposal_digest(one, SHA) != proposal_digest(other, SHA)
    assert proposal_digest(one, SHA) == proposal_digest(one, SHA)
