"""The verification ladder: automatic statuses, the checks on a decision, the four-eyes rule."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ceasefire.errors import ForbiddenError, InputError
from ceasefire.judge.verification import (
    DEFAULT_CORROBORATION,
    PERPETRATOR_BASES,
    automatic_status,
    check_change,
)
from ceasefire.records import StatusChange
from ceasefire.vocab import DECIDED_STATUSES

PARTIES = ("RU", "UA")
#: One patrol report by monitor "Anna Kovacs" of team 4, one party complaint by UA.
PATROL = ("mission", "Anna Kovacs")
COMPLAINT = ("UA", "UA General Staff")


def change(**overrides: Any) -> None:
    """check_change with a valid decision, changed by ``overrides``."""
    args: dict[str, Any] = {
        "incident_id": "INC-000007",
        "current": "corroborated",
        "new": "verified",
        "actor": "Ben Osei",
        "basis": "crater seen on site",
        "authors": [PATROL, COMPLAINT],
        "parties": PARTIES,
    }
    args.update(overrides)
    check_change(**args)


def fields_of(error: InputError) -> list[str]:
    return [p.field for p in error.problems]


# -- the automatic rungs ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n_sources", "corroboration", "expected"),
    [
        (0, 2, "reported"),
        (1, 2, "reported"),
        (2, 2, "corroborated"),
        (5, 2, "corroborated"),
        (1, 1, "corroborated"),
        (2, 3, "reported"),
        (3, 3, "corroborated"),
    ],
)
def test_automatic_status_follows_the_number_of_sources(
    n_sources: int, corroboration: int, expected: str
) -> None:
    assert automatic_status(n_sources, corroboration) == expected


def test_two_sources_corroborate_by_default() -> None:
    assert DEFAULT_CORROBORATION == 2
    assert automatic_status(1) == "reported"
    assert automatic_status(2) == "corroborated"


@pytest.mark.parametrize("bad", [0, -1])
def test_a_corroboration_below_one_is_an_input_error_naming_the_field(bad: int) -> None:
    with pytest.raises(InputError) as caught:
        automatic_status(3, bad)
    assert fields_of(caught.value) == ["corroboration"]


# -- decisions --------------------------------------------------------------------------------


@pytest.mark.parametrize("new", DECIDED_STATUSES)
def test_a_valid_decision_passes(new: str) -> None:
    change(new=new)


def test_the_same_decided_status_again_with_a_new_basis_is_allowed() -> None:
    change(current="verified", new="verified", basis="second visit: shell fragments found")


def test_a_perpetrator_with_its_basis_passes() -> None:
    for basis in PERPETRATOR_BASES:
        change(assessed_perpetrator="RU", perpetrator_basis=basis)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"new": "confirmed"}, "status"),
        ({"new": "corroborated"}, "status"),  # automatic only: fusion sets it
        ({"new": "reported"}, "status"),
        ({"actor": ""}, "actor"),
        ({"actor": "   "}, "actor"),
        ({"basis": ""}, "basis"),
        ({"basis": " \t"}, "basis"),
        ({"assessed_perpetrator": "XX", "perpetrator_basis": "claim"}, "assessed_perpetrator"),
        ({"assessed_perpetrator": "RU"}, "perpetrator_basis"),
        ({"assessed_perpetrator": "RU", "perpetrator_basis": " "}, "perpetrator_basis"),
        ({"assessed_perpetrator": "RU", "perpetrator_basis": "hunch"}, "perpetrator_basis"),
        ({"perpetrator_basis": "claim"}, "perpetrator_basis"),
        (
            {"new": "unfounded", "assessed_perpetrator": "RU", "perpetrator_basis": "claim"},
            "assessed_perpetrator",
        ),
    ],
)
def test_each_bad_decision_names_its_field(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as caught:
        change(**overrides)
    assert fields_of(caught.value) == [field]
    assert caught.value.problems[0].where == "INC-000007"


def test_every_problem_is_listed_at_once() -> None:
    with pytest.raises(InputError) as caught:
        change(new="corroborated", actor="", basis="", assessed_perpetrator="XX")
    assert fields_of(caught.value) == [
        "status",
        "actor",
        "basis",
        "assessed_perpetrator",
        "perpetrator_basis",
    ]


def test_the_known_parties_are_named_for_an_unknown_one() -> None:
    with pytest.raises(InputError, match="unknown party 'XX'; known: RU, UA"):
        change(assessed_perpetrator="XX", perpetrator_basis="claim")


# -- four eyes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "actor",
    ["Anna Kovacs", "anna kovacs", "  ANNA KOVACS ", "mission", "MISSION"],
    ids=["source_name", "case", "blanks", "submitted_by", "submitted_by_case"],
)
def test_nobody_verifies_an_incident_whose_only_evidence_is_their_own_report(actor: str) -> None:
    with pytest.raises(ForbiddenError) as caught:
        change(actor=actor, authors=[PATROL])
    message = str(caught.value)
    assert "INC-000007" in message and "own report" in message and "another" in message


def test_several_reports_all_by_the_actor_are_still_their_own() -> None:
    with pytest.raises(ForbiddenError):
        change(actor="mission", authors=[PATROL, ("mission", "team 4"), ("mission", None)])


def test_a_second_independent_report_by_someone_else_allows_it() -> None:
    change(actor="Anna Kovacs", authors=[PATROL, COMPLAINT])


def test_another_monitor_may_verify() -> None:
    change(actor="Ben Osei", authors=[PATROL])


@pytest.mark.parametrize("new", ["disputed", "unfounded"])
def test_disputing_ones_own_report_is_allowed(new: str) -> None:
    change(actor="Anna Kovacs", authors=[PATROL], new=new)


def test_input_problems_come_before_the_four_eyes_refusal() -> None:
    with pytest.raises(InputError):
        change(actor="Anna Kovacs", authors=[PATROL], basis="")


def test_a_status_change_as_json() -> None:
    at = datetime(2026, 3, 10, 21, 30, tzinfo=UTC)
    c = StatusChange(
        "INC-000001", "corroborated", "verified", "Ben Osei", at, "crater", "RU", "claim"
    )
    assert c.to_dict() == {
        "incident_id": "INC-000001",
        "from_status": "corroborated",
        "to_status": "verified",
        "actor": "Ben Osei",
        "at": "2026-03-10T21:30:00+00:00",
        "basis": "crater",
        "assessed_perpetrator": "RU",
        "perpetrator_basis": "claim",
        "automatic": False,
    }
