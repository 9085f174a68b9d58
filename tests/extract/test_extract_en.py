"""The English rules of the extractor, case by case (docs/extract.md), on the project's own
sentences (none of them is in benchmarks/data/extract_passages.jsonl)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from ceasefire.extract import extract

SAT = date(2026, 3, 14)  # a Saturday


def events(text: str, published: date | None = SAT) -> list[dict[str, Any]]:
    return extract(text, published=published, source="test").to_json()["events"]


def one(text: str, published: date | None = SAT) -> dict[str, Any]:
    found = events(text, published)
    assert len(found) == 1, found
    return found[0]


# -- counts ------------------------------------------------------------------------------------


def test_counts_in_words_and_figures_with_their_roles() -> None:
    e = one(
        "Overnight, Russia launched two hundred and thirteen drones and 1,040 missiles; air "
        "defences shot down one hundred and ninety of the drones."
    )
    assert e["kind"] == "air_attack"
    assert e["launched"]["drones"] == 213
    assert e["launched"]["missiles"] == 1040
    assert e["destroyed"]["drones"] == 190
    assert e["hit"] == {k: None for k in e["hit"]}


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("almost 300", {"min": 270, "max": 299}),
        ("over 80", {"min": 81, "max": None}),
        ("at least seven", {"min": 7, "max": None}),
        ("about 50", {"min": 45, "max": 55}),
        ("dozens of", {"min": 12, "max": 99}),
        ("up to 20", {"min": 0, "max": 20}),
    ],
)
def test_approximate_figures_are_the_intervals_of_the_documented_table(
    words: str, expected: dict[str, int | None]
) -> None:
    e = one(f"Russian forces fired {words} drones at Sumy region overnight.")
    assert e["launched"]["drones"] == expected


def test_numbers_that_are_not_counts_are_not_read_as_counts() -> None:
    e = one(
        "A Russian drone hit a twelve-storey block on Hlinky street in Sumy at 23:15 on Friday "
        "night, 40 km from the border, injuring a girl of 14 and a 70-year-old man; school "
        "number 12 lost its windows and it was minus 8 degrees."
    )
    assert e["injured"] == 2
    assert e["hit"]["drones"] == 1
    assert e["killed"] is None and e["launched"]["drones"] is None
    assert e["date"] == "2026-03-14"  # Friday night ends on Saturday morning


def test_a_part_is_never_added_to_its_total() -> None:
    e = one(
        "Russia launched 210 drones overnight, including more than 120 Shaheds, and nine "
        "missiles, among them four Iskander-M ballistic missiles. Eleven people were injured, "
        "among them three children."
    )
    assert e["launched"]["drones"] == 210
    assert e["launched"]["missiles"] == 9
    assert e["launched"]["ballistic_missiles"] == 4
    assert e["injured"] == 11


def test_parts_of_one_list_without_a_total_add_up() -> None:
    e = one("Overnight Russia fired 6 ballistic missiles and 11 cruise missiles at Lviv region.")
    assert e["launched"]["missiles"] == 17
    assert e["launched"]["ballistic_missiles"] == 6
    assert e["launched"]["cruise_missiles"] == 11


def test_a_figure_repeated_is_one_figure() -> None:
    e = one(
        "Russian shelling of Nikopol injured seven people on Monday. The seven injured were "
        "taken to hospital in Dnipro."
    )
    assert e["injured"] == 7


def test_a_previous_periods_figures_are_not_this_periods() -> None:
    text = (
        "Russia launched 95 drones at Ukraine overnight, the air force said. Last week Russia "
        "used more than 1,300 drones and 40 missiles against Ukraine."
    )
    e = one(text)
    assert e["launched"] == {"drones": 95, "missiles": None, "ballistic_missiles": None,
                             "cruise_missiles": None}  # fmt: skip
    assert events("Since the start of the month Russia has launched 2,400 drones.") == []


def test_drones_lost_locally_are_neither_destroyed_nor_hits() -> None:
    e = one("Russia attacked with 80 drones overnight; 61 were shot down and 14 were lost locally.")
    assert e["destroyed"]["drones"] == 61
    assert e["hit"]["drones"] is None


def test_hits_and_their_locations_debris_is_not_a_hit() -> None:
    e = one(
        "Russia launched 120 drones overnight. Hits by 19 drones were recorded at 7 locations, "
        "and debris fell at 5 locations."
    )
    assert e["hit"]["drones"] == 19
    assert e["locations_hit"] == 7


def test_one_person_and_nobody() -> None:
    e = one("A Russian guided bomb hit a warehouse in Kostiantynivka; a man was killed.")
    assert e["kind"] == "air_strike"
    assert e["killed"] == 1
    e = one("Russian drones struck Izmail overnight. Nobody was injured.")
    assert e["injured"] == 0


def test_people_affected_counts_people_not_homes() -> None:
    e = one(
        "After the Russian strike overnight about 60,000 residents of Kharkiv were left without "
        "electricity, and 3,000 homes without heating."
    )
    assert e["people_affected"] == {"min": 54000, "max": 66000}


def test_ceasefire_violations_per_region_are_events_of_their_own() -> None:
    found = events(
        "Between the evenings of 12 and 13 March, the Mission recorded 140 ceasefire "
        "violations in Donetsk region, including 60 explosions. In Luhansk region it recorded "
        "35 ceasefire violations, including 10 explosions."
    )
    assert [(e["oblasts"], e["ceasefire_violations"], e["explosions"]) for e in found] == [
        (["Donetsk"], 140, 60),
        (["Luhansk"], 35, 10),
    ]
    assert {e["date"] for e in found} == {"2026-03-13"}
    assert {e["kind"] for e in found} == {"ceasefire_violations"}


# -- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "published", "expected"),
    [
        ("overnight", SAT, "2026-03-14"),
        ("over the past day", SAT, "2026-03-14"),
        ("yesterday", SAT, "2026-03-13"),
        ("on Monday", SAT, "2026-03-09"),
        ("overnight Friday", SAT, "2026-03-13"),
        ("overnight into Saturday", SAT, "2026-03-14"),
        ("on the night of 10-11 March", SAT, "2026-03-11"),
        ("on 28 December", date(2026, 1, 3), "2025-12-28"),
        ("overnight", None, None),
        ("on 28 December 2025", None, "2025-12-28"),
    ],
)
def test_the_date_is_the_morning_the_reported_period_ends(
    words: str, published: date | None, expected: str | None
) -> None:
    e = one(f"Russia launched 70 drones at Odesa region {words}.", published)
    assert e["date"] == expected


def test_no_date_is_invented_when_the_text_has_no_time_words() -> None:
    assert one("Russian drones struck a depot in Poltava.")["date"] is None


def test_a_day_earlier_is_a_day_before_the_date_spoken_of() -> None:
    found = events(
        "Russian missiles hit Zhytomyr on 5 March, killing two. A day earlier, Russian drones "
        "attacked Korosten."
    )
    assert [(e["date"], e["places"]) for e in found] == [
        ("2026-03-05", ["Zhytomyr"]),
        ("2026-03-04", ["Korosten"]),
    ]


# -- places ------------------------------------------------------------------------------------


def test_regions_by_their_capitals_name_and_transliterations() -> None:
    e = one("Russian drones attacked the Dnipro region and Stakhanov overnight.")
    assert e["oblasts"] == ["Dnipropetrovsk", "Luhansk"]
    assert e["places"] == ["Kadiyivka"]


def test_the_dnipro_river_is_not_the_city() -> None:
    e = one("Russian artillery on the far bank of the Dnipro shelled Marhanets overnight.")
    assert e["places"] == ["Marhanets"] and e["oblasts"] == ["Dnipropetrovsk"]


def test_launch_sites_and_reference_points_are_not_targets() -> None:
    e = one(
        "Drones launched from Bryansk region and from occupied Crimea hit Chuhuiv, 40 km "
        "south of Kharkiv, overnight; a substation near the border with Belgorod was damaged."
    )
    assert e["oblasts"] == ["Kharkiv"]
    assert "Bryansk" not in e["oblasts"] and "Crimea" not in e["oblasts"]


def test_the_capital_is_kyiv_city_and_a_capital_that_speaks_is_no_target() -> None:
    e = one("Russian missiles struck Kiev overnight, and Kyiv said Moscow must be held to account.")
    assert e["oblasts"] == ["Kyiv City"] and e["places"] == ["Kyiv"]


# -- perpetrator -------------------------------------------------------------------------------


def test_the_perpetrator_is_who_attacked_not_who_speaks() -> None:
    e = one(
        "The Russian Defence Ministry said its air defences destroyed 33 Ukrainian drones over "
        "Kursk region overnight."
    )
    assert e["perpetrator"] == "UA"
    assert e["destroyed"]["drones"] == 33
    assert e["oblasts"] == ["Kursk"]
    e = one("Ukraine's air force said Russia launched 50 drones at Chernihiv overnight.")
    assert e["perpetrator"] == "RU"
    assert one("Drones struck a depot in Poltava overnight.")["perpetrator"] is None


# -- the output --------------------------------------------------------------------------------


def test_every_figure_comes_with_the_words_it_came_from() -> None:
    text = "Overnight, Russia launched almost 300 drones at Sumy region, killing three people."
    e = one(text)
    spans = {ev["field"]: text[ev["start"] : ev["end"]] for ev in e["evidence"]}
    assert spans["launched.drones"] == "almost 300 drones"
    assert spans["killed"] == "three people"
    assert spans["date"] == "Overnight"
    assert spans["perpetrator"].startswith("Russia")
    assert spans["oblasts"] == "Sumy"
    assert all(ev["text"] == text[ev["start"] : ev["end"]] for ev in e["evidence"])


def test_every_key_is_present_and_unknown_figures_are_null() -> None:
    e = one("Russian drones struck a depot in Poltava.")
    assert set(e) == {
        "kind", "date", "perpetrator", "launched", "destroyed", "hit", "locations_hit",
        "regions_count", "explosions", "killed", "injured", "people_affected",
        "ceasefire_violations", "oblasts", "places", "evidence",
    }  # fmt: skip
    assert e["killed"] is None and e["launched"]["drones"] is None


def test_a_text_about_talks_proposes_nothing() -> None:
    assert (
        events(
            "Delegations from Moscow and Kyiv met in Geneva for two days of talks; 17 officials "
            "attended and the next round is set for 3 April."
        )
        == []
    )


# -- wire stories ------------------------------------------------------------------------------


def test_a_colon_list_gives_the_parts_of_its_total() -> None:
    e = one(
        "Overnight, air defence systems destroyed 44 Ukrainian drones: 20 over Kursk region, "
        "15 over Bryansk region and 9 over Belgorod region, the ministry said."
    )
    assert e["destroyed"]["drones"] == 44
    assert e["perpetrator"] == "UA"
    assert e["oblasts"] == ["Belgorod", "Bryansk", "Kursk"]


def test_places_without_a_total_add_up_and_a_toll_updated_counts_once() -> None:
    e = one(
        "Russian drones struck Sumy and Okhtyrka overnight. In Sumy two people were killed; in "
        "Okhtyrka one person was killed. Later the toll in Sumy rose: three people were killed "
        "in Sumy."
    )
    assert e["killed"] == 4  # Sumy's latest three, Okhtyrka's one


def test_an_earlier_toll_and_a_feared_one_are_not_counts() -> None:
    e = one(
        "The death toll from the Russian missile strike on Poltava rose to 12 on Friday, "
        "officials said; they had earlier reported 9 dead. Up to 20 people may still be under "
        "the rubble.",
        date(2026, 3, 13),
    )
    assert e["killed"] == 12
    assert e["injured"] is None


def test_the_number_of_injured_and_no_casualties() -> None:
    e = one(
        "Russian drones hit Chernihiv overnight. The number of injured stood at 23, including "
        "four children."
    )
    assert e["injured"] == 23
    e = one("Ukrainian drones attacked Kursk region overnight. There were no casualties.")
    assert (e["killed"], e["injured"]) == (0, 0)


def test_the_total_of_which_a_figure_is_a_part_and_what_a_list_hitting_did() -> None:
    e = one(
        "Russia launched 180 drones and 11 missiles overnight. Of the 180 drones, more than "
        "150 were shot down, and at least 8 of the missiles were intercepted, with 3 missiles "
        "and 20 drones hitting targets at 12 locations."
    )
    assert e["launched"]["drones"] == 180
    assert e["destroyed"]["drones"] == {"min": 151, "max": 180}
    assert e["destroyed"]["missiles"] == {"min": 8, "max": 11}
    assert e["hit"]["missiles"] == 3 and e["hit"]["drones"] == 20
    assert e["locations_hit"] == 12


def test_a_rate_and_a_forecast_are_no_attack() -> None:
    assert (
        events(
            "Russia could launch up to 800 drones in one night by spring, intelligence warned, "
            "and its plant now builds about 2,500 drones a month."
        )
        == []
    )


def test_a_part_named_with_its_total_takes_the_verb_after_the_total() -> None:
    e = one("Two of the seven missiles launched at Lozova overnight hit a depot, officials said.")
    assert e["launched"]["missiles"] == 7
    assert e["hit"]["missiles"] == 2
