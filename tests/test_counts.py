"""Counts as intervals: the words' table, sums, the sure comparison and the JSON form."""

from __future__ import annotations

import pytest

from ceasefire.counts import Count, approximately
from ceasefire.errors import InputError


@pytest.mark.parametrize(
    ("qualifier", "n", "total", "expected"),
    [
        (None, 173, None, Count(173, 173)),
        ("almost", 400, None, Count(360, 399)),
        ("nearly", 9, None, Count(8, 8)),
        ("about", 50, None, Count(45, 55)),
        ("over", 50, Count.exact(173), Count(51, 173)),
        ("more than", 50, None, Count(51, None)),
        ("at least", 6, None, Count(6, None)),
        ("up to", 30, None, Count(0, 30)),
        ("dozens", None, None, Count(12, 99)),
        ("tens", None, None, Count(10, 99)),
        ("several", None, None, Count(3, 9)),
        ("tens of thousands", None, None, Count(10_000, 99_999)),
    ],
)
def test_words_become_the_documented_interval(qualifier, n, total, expected):
    assert approximately(qualifier, n, total) == expected


def test_an_unknown_qualifier_is_refused():
    with pytest.raises(ValueError, match="unknown qualifier"):
        approximately("roughly-ish", 5)


def test_sums_add_ends_and_stay_open_when_one_is():
    assert Count(1, 2) + Count(10, 20) == Count(11, 22)
    assert Count(1, 2) + Count(10, None) == Count(11, None)
    assert Count.total([None, Count.exact(3), Count(1, 4)]) == Count(4, 7)
    assert Count.total([None, None]) is None


def test_surely_exceeds_only_when_no_values_overlap():
    assert Count(11, 12).surely_exceeds(Count(5, 10))
    assert not Count(10, 12).surely_exceeds(Count(5, 10))
    assert not Count(100, 200).surely_exceeds(Count(5, None))


def test_a_part_is_bounded_by_its_total():
    assert Count(51, None).bounded_by(Count.exact(173)) == Count(51, 173)
    assert Count(5, 9).bounded_by(Count(0, 100)) == Count(5, 9)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(7, Count(7, 7)), ("12", Count(12, 12)), ({"min": 51, "max": 173}, Count(51, 173)),
     ({"min": 6, "max": None}, Count(6, None)), ({"min": 6}, Count(6, None)), (None, None)],
)  # fmt: skip
def test_json_forms_parse_and_round_trip(value, expected):
    count = Count.parse(value, "launched.drones")
    assert count == expected
    if count is not None:
        assert Count.parse(count.to_json(), "x") == count


@pytest.mark.parametrize(
    ("value", "field", "reason"),
    [
        (-1, "launched", "must be >= 0"),
        (True, "launched", "not true/false"),
        ({"min": 9, "max": 3}, "launched.max", "must be >= min"),
        ({"max": 3}, "launched.min", "is required"),
        ({"min": 1, "most": 3}, "launched.most", "unknown key"),
        ("many", "launched", "must be a whole number"),
    ],
)
def test_bad_counts_name_the_field(value, field, reason):
    with pytest.raises(InputError) as err:
        Count.parse(value, "launched", "tally.json:3")
    problem = err.value.problems[0]
    assert (problem.where, problem.field) == ("tally.json:3", field)
    assert reason in problem.reason


@pytest.mark.parametrize(
    ("cell", "count"),
    [
        ("173", Count.exact(173)),
        (" 51-173 ", Count(51, 173)),
        ("51-", Count(51, None)),
        ("", None),
    ],
)
def test_a_csv_cell_reads_as_the_interval_it_writes(cell, count):
    assert Count.parse_cell(cell, "launched") == count
    if count is not None:
        assert Count.parse_cell(count.to_cell(), "launched") == count


@pytest.mark.parametrize("cell", ["-5", "9-3", "ten", "1.5", "٣"])
def test_a_bad_csv_cell_is_refused_naming_the_field(cell):
    with pytest.raises(InputError) as err:
        Count.parse_cell(cell, "launched", "t.csv:row 2")
    assert (err.value.problems[0].where, err.value.problems[0].field) == ("t.csv:row 2", "launched")
