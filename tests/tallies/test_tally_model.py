"""Reading a tally: what is kept as published, and what is refused with the field named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ceasefire.counts import Count
from ceasefire.errors import InputError
from ceasefire.tallies.model import read_tally

KYIV = timezone(timedelta(hours=2))


def night(**over):
    """An air force's account of a night: drones with a jet sub-count, and missiles."""
    data = {
        "id": "af-2026-02-17",
        "issuer": "UA",
        "attacker": "RU",
        "window_from": "2026-02-16T18:00:00+02:00",
        "window_to": "2026-02-17T08:30:00+02:00",
        "issued_at": "2026-02-17T09:10:00+02:00",
        "lines": [
            {
                "weapon_class": "drone",
                "model": "Shahed, Gerbera, decoys",
                "launched": {"min": 360, "max": 399},
                "destroyed": 352,
            },
            {
                "weapon_class": "strike_drone",
                "model": "jet Shahed",
                "part_of": "Shahed, Gerbera, decoys",
                "launched": {"min": 51, "max": None},
            },
            {
                "weapon_class": "ballistic_missile",
                "model": "Iskander-M",
                "launched": 11,
                "destroyed": 6,
            },
            {"weapon_class": "cruise_missile", "model": "Kh-101", "launched": 18, "destroyed": 16},
        ],
        "locations_hit": 17,
        "locations_debris": 9,
        "regions": ["Odesa", "Kyiv", "Kharkiv"],
        "regions_count": 12,
        "injured": 9,
        "source": "Air Force bulletin, morning of 17 February",
        "bulletin_no": 48,
    }
    data.update(over)
    return data


def test_a_tally_keeps_intervals_sub_counts_and_unknown_fields():
    t = read_tally(night())
    assert t.window_from == datetime(2026, 2, 16, 16, 0, tzinfo=UTC)
    assert t.line("jet Shahed").launched == Count(51, None)
    assert t.line("Iskander-M").launched == Count.exact(11)
    assert t.extra == {"bulletin_no": 48}
    assert t.regions_count == Count.exact(12) and t.injured == Count.exact(9)


def test_a_sub_count_is_never_added_to_a_total():
    t = read_tally(night())
    # 360-399 drones + 11 + 18 missiles; the jet Shaheds (over 50 of the drones) are not added.
    assert t.total("launched") == Count(389, 428)
    assert t.total("launched", ("drone", "strike_drone", "decoy_drone")) == Count(360, 399)


def test_json_round_trip_gives_an_equal_tally():
    t = read_tally(night())
    assert read_tally(t.to_dict()) == t


@pytest.mark.parametrize(
    ("over", "field", "reason"),
    [
        ({"window_from": "2026-02-16T18:00:00"}, "window_from", "UTC offset"),
        ({"window_to": "yesterday"}, "window_to", "ISO 8601"),
        ({"issuer": "mediator"}, "issuer", "party code or mission"),
        ({"attacker": "mission"}, "attacker", "must be a party code"),
        ({"lines": []}, "lines", "non-empty list"),
        ({"lines": [{"weapon_class": "shahed", "launched": 3}]}, "lines[0].weapon_class", "one of"),
        ({"lines": [{"weapon_class": "drone", "lanched": 3}]}, "lines[0].lanched", "unknown field"),
        ({"lines": [{"weapon_class": "drone", "launched": -3}]}, "lines[0].launched", ">= 0"),
        (
            {"lines": [{"weapon_class": "drone"}, {"weapon_class": "drone"}]},
            "lines[1]",
            "second line",
        ),
        (
            {"lines": [{"weapon_class": "drone", "part_of": "missiles"}]},
            "lines[0].part_of",
            "names no other line",
        ),
        ({"scope": "oblast"}, "scope_name", "required for a oblast tally"),
        ({"supersedes": "af-2026-02-17"}, "supersedes", "cannot supersede itself"),
        ({"regions": "Odesa;;Kyiv", "injured": {"min": 9, "max": 2}}, "injured.max", ">= min"),
        ({"id": "af\u202e-1"}, "id", ""),
    ],
)
def test_what_cannot_be_read_is_refused_naming_the_field(over, field, reason):
    with pytest.raises(InputError) as err:
        read_tally(night(**over), where="tallies.jsonl:4")
    fields = {(p.where, p.field) for p in err.value.problems}
    assert ("tallies.jsonl:4", field) in fields
    assert any(reason in p.reason for p in err.value.problems if p.field == field)


def test_every_problem_is_reported_at_once():
    with pytest.raises(InputError) as err:
        read_tally(night(issuer=None, window_to=None, lines=[{"weapon_class": "x"}]))
    assert {p.field for p in err.value.problems} >= {"issuer", "window_to", "lines[0].weapon_class"}


def test_regions_from_a_csv_cell_are_split_on_semicolons_once_each():
    t = read_tally(night(regions="Odesa; Kyiv;Odesa"))
    assert t.regions == ("Odesa", "Kyiv")


def test_a_line_that_does_not_publish_a_count_adds_what_its_other_counts_allow():
    t = read_tally(night(lines=[
        {"weapon_class": "drone", "launched": 400, "destroyed": 352},
        {"weapon_class": "cruise_missile", "launched": 29, "hit": 4},
        {"weapon_class": "ballistic_missile", "destroyed": 6, "hit": 2},
    ]))  # fmt: skip
    assert t.total("hit") == Count(6, 406)  # drones' hits: 0 to 400, not 0
    assert t.total("destroyed") == Count(358, 387)  # missiles' shot down: 0 to 29, and >= 6
    assert t.total("launched") == Count(437, None)  # the ballistic line launched at least 8
    assert t.total("suppressed") is None  # no line publishes it
