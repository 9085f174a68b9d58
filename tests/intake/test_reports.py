"""The report model: field checks, unknown fields, content identity, observer-relative places."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from ceasefire.counts import Count
from ceasefire.errors import InputError
from ceasefire.intake.observer import BEARING_ERROR_DEG, GEOD, resolve_observer
from ceasefire.intake.report import FUTURE_SLACK, Report, field_text, legacy_categories
from ceasefire.intake.validation import validate_report

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

BASE: dict[str, Any] = {
    "id": "r-1",
    "submitted_by": "smm",
    "source_kind": "patrol",
    "observed_from": "2026-03-01T10:00:00+02:00",
    "lon": 37.8,
    "lat": 48.0,
    "event_type": "shelling",
}


def problem_of(text_values: bool = False, **changes: Any) -> tuple[str, str, str]:
    """Validate BASE with ``changes`` and return the one problem as (where, field, reason).

    ``text_values``: as a CSV row, every value text (BASE's numbers too).
    """
    data = {k: v for k, v in {**BASE, **changes}.items() if v is not None}
    if text_values:
        data = {k: str(v) for k, v in data.items()}
    with pytest.raises(InputError) as caught:
        validate_report(data, where="f.csv:row 7", now=NOW, text_values=text_values)
    assert len(caught.value.problems) == 1, caught.value.problems
    found = caught.value.problems[0]
    return found.where, found.field, found.reason


def test_a_good_report_validates_and_exports_what_was_given() -> None:
    report = validate_report({**BASE, "count": 3, "calibre_mm": 122}, now=NOW)
    assert report.count == 3 and report.calibre_mm == 122.0
    assert report.to_dict() == {**BASE, "count": 3, "calibre_mm": 122.0}


def test_the_spec_example_message() -> None:
    assert problem_of(lat=91.5) == ("f.csv:row 7", "lat", "must be between -90 and 90, got 91.5")


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"lat": float("nan")}, "lat", "must be a finite number"),
        ({"lon": float("inf")}, "lon", "must be a finite number"),
        ({"calibre_mm": float("-inf")}, "calibre_mm", "must be a finite number"),
        ({"lon": 180.5}, "lon", "must be between -180 and 180, got 180.5"),
        ({"lat": -90.01}, "lat", "must be between -90 and 90"),
        ({"bearing_deg": 400}, "bearing_deg", "must be between 0 and 360"),
        ({"count": -1}, "count", "must not be negative, got -1"),
        ({"killed": -2}, "killed", "must not be negative"),
        ({"civilians_injured": -1}, "civilians_injured", "must not be negative"),
        ({"uncertainty_m": -5}, "uncertainty_m", "must not be negative"),
        ({"calibre_mm": 0}, "calibre_mm", "must be positive"),
        ({"event_type": "boom"}, "event_type", "unknown value 'boom'; expected one of: shelling"),
        ({"source_kind": "rumour"}, "source_kind", "unknown value 'rumour'"),
        ({"weapon_class": "railgun"}, "weapon_class", "unknown value 'railgun'"),
        ({"place_precision": "roughly"}, "place_precision", "expected one of: exact, near, region"),
        ({"observed_from": "2026-03-01T10:00:00"}, "observed_from", "has no UTC offset"),
        ({"observed_from": "yesterday"}, "observed_from", "must be an ISO 8601 time"),
        ({"observed_from": 1772366400}, "observed_from", "must be an ISO 8601 time string"),
        ({"observed_to": "2026-03-01T07:59:59Z"}, "observed_to", "is before observed_from"),
        ({"observed_from": "2026-03-01T12:10:01Z"}, "observed_from", "is in the future"),
        ({"id": "  "}, "id", "must not be blank"),
        ({"id": None}, "id", "is required"),
        ({"event_type": None}, "event_type", "is required"),
        ({"lat": None}, "lat", "is required when lon is given"),
        ({"lon": None, "lat": None}, "lon", "a place is required"),
        ({"depth": [1.0, float("nan")]}, "depth[1]", "must be a finite number"),
    ],
)
def test_each_bad_value_is_named(changes: dict[str, Any], field: str, reason: str) -> None:
    where, got_field, got_reason = problem_of(**changes)
    assert where == "f.csv:row 7"
    assert got_field == field
    assert reason in got_reason


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"count": "3"}, "count", 'must be a JSON integer, got the string "3"'),
        ({"killed": "0"}, "killed", 'must be a JSON integer, got the string "0"'),
        ({"lat": "48.5"}, "lat", 'must be a JSON number, got the string "48.5"'),
        ({"lat": "nan"}, "lat", 'must be a JSON number, got the string "nan"'),
        ({"calibre_mm": "122"}, "calibre_mm", 'must be a JSON number, got the string "122"'),
        ({"count": True}, "count", "must be a JSON integer, got the boolean true"),
        ({"people_affected": False}, "people_affected",
         'must be a JSON integer or {"min": a, "max": b}, got the boolean false'),
        ({"people_affected": "5"}, "people_affected",
         'must be a JSON integer or {"min": a, "max": b}, got the string "5"'),
        ({"lon": True}, "lon", "must be a JSON number, got the boolean true"),
        ({"bearing_deg": False}, "bearing_deg", "must be a JSON number, got the boolean false"),
        ({"count": 3.0}, "count", "must be a JSON integer, got the number 3.0 (write 3)"),
        ({"civilians_killed": 2.5}, "civilians_killed", "must be a JSON integer, got the number 2.5"),
        ({"count": [3]}, "count", "must be a JSON integer, got an array"),
        ({"notes": 5}, "notes", "must be a JSON string, got the number 5"),
        ({"source_name": 12}, "source_name", "must be a JSON string, got the number 12"),
        ({"id": 17}, "id", "must be a JSON string, got the number 17"),
        ({"weapon_model": True}, "weapon_model", "must be a JSON string, got the boolean true"),
        ({"event_type": {"a": 1}}, "event_type", "must be a JSON string, got an object"),
    ],
)  # fmt: skip
def test_json_values_must_have_the_field_type(
    changes: dict[str, Any], field: str, reason: str
) -> None:
    """JSON has its own types, so a value of another type is refused, not converted."""
    assert problem_of(**changes) == ("f.csv:row 7", field, reason)


def test_json_numbers_of_the_right_type_are_accepted() -> None:
    given = {"count": 3, "lat": 48, "calibre_mm": 122, "killed": 0, "notes": "5"}
    report = validate_report({**BASE, **given}, now=NOW)
    assert report.count == 3 and isinstance(report.count, int)
    assert report.lat == 48.0 and isinstance(report.lat, float)  # an integer is a JSON number
    assert report.notes == "5"
    as_floats = validate_report({**BASE, **given, "lat": 48.0, "calibre_mm": 122.0}, now=NOW)
    assert as_floats.content_hash() == report.content_hash()


def test_unknown_fields_keep_any_json_type_in_strict_json() -> None:
    odd = {"team": 4, "armed": True, "ratio": 0.5, "code": "7", "tags": [1, "a", None]}
    report = validate_report({**BASE, **odd}, now=NOW)
    assert report.extra == odd


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"lat": "nan"}, "lat", "must be a finite number, got 'nan'"),
        ({"count": "many"}, "count", "must be a valid integer, unable to parse string as an integer, got 'many'"),
        ({"count": "-1"}, "count", "must not be negative, got -1"),
        ({"lat": "91.5"}, "lat", "must be between -90 and 90, got 91.5"),
        ({"count": "true"}, "count", "must be a valid integer, unable to parse string as an integer, got 'true'"),
    ],
)  # fmt: skip
def test_csv_text_that_does_not_convert_is_named(
    changes: dict[str, Any], field: str, reason: str
) -> None:
    assert problem_of(text_values=True, **changes) == ("f.csv:row 7", field, reason)


def test_csv_text_is_converted_to_the_same_report_as_typed_json() -> None:
    typed = {"count": 3, "lat": 48.5, "calibre_mm": 122, "notes": "5", "source_name": "12"}
    text = {k: str(v) for k, v in {**BASE, **typed}.items()}
    from_csv = validate_report(text, now=NOW, text_values=True)
    assert from_csv.count == 3 and from_csv.lat == 48.5 and from_csv.calibre_mm == 122.0
    assert from_csv.notes == "5" and from_csv.source_name == "12"
    from_json = validate_report({**BASE, **typed}, now=NOW)
    assert from_csv == from_json and from_csv.content_hash() == from_json.content_hash()
    with pytest.raises(InputError) as caught:
        validate_report(text, now=NOW)  # the same row as JSON is refused, field by field
    assert {p.field for p in caught.value.problems} == {"lon", "lat", "calibre_mm", "count"}


def test_all_bad_fields_are_reported_at_once() -> None:
    with pytest.raises(InputError) as caught:
        validate_report({**BASE, "lat": 100, "count": -1, "event_type": "x"}, now=NOW)
    assert {p.field for p in caught.value.problems} == {"lat", "count", "event_type"}


def test_future_check_allows_clock_drift_and_uses_the_injected_now() -> None:
    edge = (NOW + FUTURE_SLACK).isoformat()
    assert (
        validate_report({**BASE, "observed_from": edge}, now=NOW).observed_from
        == NOW + FUTURE_SLACK
    )
    later = NOW + timedelta(days=1)
    validate_report({**BASE, "observed_from": "2026-03-01T23:00:00Z"}, now=later)


def test_unknown_fields_are_kept_and_exported_flat() -> None:
    report = validate_report({**BASE, "patrol_vehicle": "UA-17", "tags": {"a": [1, 2]}}, now=NOW)
    assert report.extra == {"patrol_vehicle": "UA-17", "tags": {"a": [1, 2]}}
    exported = report.to_dict()
    assert exported["patrol_vehicle"] == "UA-17" and "extra" not in exported
    again = validate_report(exported, now=NOW)
    assert again == report and again.content_hash() == report.content_hash()


def test_content_hash_is_canonical() -> None:
    report = validate_report(BASE, now=NOW)
    same_instant = {**BASE, "observed_from": "2026-03-01T08:00:00Z"}
    from_csv = {k: str(v) for k, v in BASE.items()}  # CSV gives every value as text
    as_csv = validate_report(from_csv, now=NOW, text_values=True)
    assert as_csv == report and as_csv.content_hash() == report.content_hash()
    reordered = dict(reversed(list(BASE.items())))
    for other in (same_instant, reordered, {**BASE, "notes": None}):
        assert validate_report(other, now=NOW).content_hash() == report.content_hash()
    for changed in ({"count": 1}, {"lat": 48.0001}, {"unknown_field": "x"}):
        assert validate_report({**BASE, **changed}, now=NOW).content_hash() != report.content_hash()
    assert '"observed_from":"2026-03-01T08:00:00Z"' in report.canonical_json()


def test_observer_relative_report_resolves_to_the_middle_of_the_band() -> None:
    data = {k: v for k, v in BASE.items() if k not in ("lon", "lat")}
    band = {"observer_lon": 37.75, "observer_lat": 48.1, "bearing_deg": 135.0}
    report = validate_report(
        {**data, **band, "distance_min_m": 2000, "distance_max_m": 4000}, now=NOW
    )
    place = report.location()
    assert place.from_observer
    lon, lat, _ = GEOD.fwd(37.75, 48.1, 135.0, 3000.0)
    assert (place.lon, place.lat) == pytest.approx((lon, lat))
    assert "lon" not in report.to_dict()  # derived values are not submitted content
    with_error = validate_report(
        {**data, **band, "distance_min_m": 2000, "distance_max_m": 4000, "uncertainty_m": 100},
        now=NOW,
    )
    assert place.uncertainty_m is not None
    assert with_error.location().uncertainty_m == pytest.approx(place.uncertainty_m + 100)


def test_observer_uncertainty_covers_the_whole_sector() -> None:
    lon, lat, radius = resolve_observer(37.75, 48.1, 350.0, 1000.0, 5000.0)
    rng = np.random.default_rng(7)
    n = 2000
    bearings = 350.0 + rng.uniform(-BEARING_ERROR_DEG, BEARING_ERROR_DEG, n)
    distances = rng.uniform(1000.0, 5000.0, n)
    plon, plat, _ = GEOD.fwd(np.full(n, 37.75), np.full(n, 48.1), bearings, distances)
    _, _, spread = GEOD.inv(np.full(n, lon), np.full(n, lat), plon, plat)
    assert spread.max() <= radius + 1e-6
    assert spread.max() > 0.95 * radius  # and it is not much wider than needed
    # Half the band alone would be 2000 m; the bearing error widens it.
    assert radius > 2000.0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"observer_lon": 37.0, "observer_lat": 48.0, "bearing_deg": 90}, "distance_min_m"),
        (
            {
                "observer_lon": 37.0,
                "observer_lat": 48.0,
                "bearing_deg": 90,
                "distance_min_m": 5,
                "distance_max_m": 1,
            },
            "distance_max_m",
        ),
    ],
)
def test_incomplete_or_inverted_observer_band_is_refused(
    changes: dict[str, Any], field: str
) -> None:
    data = {k: v for k, v in BASE.items() if k not in ("lon", "lat")}
    with pytest.raises(InputError) as caught:
        validate_report({**data, **changes}, now=NOW)
    assert caught.value.problems[0].field == field


def test_reports_are_frozen() -> None:
    report = validate_report(BASE, now=NOW)
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen-instance error
        report.lat = 1.0  # type: ignore[misc]
    assert isinstance(report, Report) and math.isfinite(report.lat or 0.0)


@pytest.mark.parametrize(
    ("bad_id", "reason"),
    [
        ("r-1\r\nX-Injected: yes", "U+000D (a control character)"),
        ("r-1\nr-2", "U+000A (a control character)"),
        ("r\t1", "U+0009 (a control character)"),
        ("r-\x851", "U+0085 (a control character)"),
        ("r-1\u200b", "U+200B ZERO WIDTH SPACE (a format character"),
        ("r-\u200d1", "U+200D ZERO WIDTH JOINER (a format character"),
        ("\ufeffr-1", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
        ("r-1\u202e7-r", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("r-\u20661\u2069", "U+2066 LEFT-TO-RIGHT ISOLATE"),
        ("r-\u05d0", "U+05D0 HEBREW LETTER ALEF (a right-to-left character)"),
        ("r-\u0627", "(a right-to-left character)"),
        ("r\u00a01", "U+00A0 NO-BREAK SPACE (only the plain space separates words)"),
        ("r\u20281", "U+2028 LINE SEPARATOR (a line separator)"),
        ("r-\ue0001", "U+E000 (not a printable character)"),
        (" r-1", "must not start or end with a space"),
        ("r-1 ", "must not start or end with a space"),
        ("r" * 201, "at most 200 characters"),
    ],
)
def test_an_id_outside_the_safe_characters_is_refused_naming_the_field(
    bad_id: str, reason: str
) -> None:
    for text_values in (False, True):
        with pytest.raises(InputError) as caught:
            validate_report(
                {**BASE, "id": bad_id}, where="f.jsonl:row 3", now=NOW, text_values=text_values
            )
        (problem,) = caught.value.problems
        assert (problem.where, problem.field) == ("f.jsonl:row 3", "id")
        assert reason in problem.reason


@pytest.mark.parametrize("good_id", ["UA/2026/17", "patrol 4 obs 2", "Обстріл-17", "r.1_x:y#z@w"])
def test_ids_of_any_left_to_right_script_with_inner_spaces_are_kept(good_id: str) -> None:
    assert validate_report({**BASE, "id": good_id}, now=NOW).id == good_id


# -- harm: infrastructure, people affected, the outage ----------------------------------------------

HARM = {
    "infrastructure": ["water", "heating", "energy"],
    "people_affected": {"min": 40_000, "max": 60_000},
    "outage_from": "2026-03-01T06:10:00+02:00",
    "utilities": ["water", "heating"],
}


@pytest.mark.parametrize(
    "infrastructure",
    [
        ["heating", "water", "energy", "water"],
        "energy, heating,water",
        '["water","energy","heating"]',
    ],
)
def test_infrastructure_takes_a_list_one_or_comma_separated_categories(infrastructure: Any) -> None:
    json_form = validate_report({**BASE, **HARM, "infrastructure": infrastructure}, now=NOW)
    assert json_form.infrastructure == ("energy", "heating", "water")  # the vocabulary's order
    assert json_form.to_dict()["infrastructure"] == ["energy", "heating", "water"]
    assert validate_report({**BASE, "infrastructure": "school"}, now=NOW).infrastructure == (
        "school",
    )


def test_a_csv_row_of_harm_is_the_same_report_as_its_json() -> None:
    from_json = validate_report({**BASE, **HARM}, now=NOW)
    assert from_json.people_affected == Count(40_000, 60_000)
    row = {k: str(v) for k, v in BASE.items()} | {
        "infrastructure": "water,heating,energy",
        "people_affected": "40000-60000",
        "outage_from": HARM["outage_from"],
        "utilities": "heating, water",
    }
    from_csv = validate_report(row, now=NOW, text_values=True)
    assert from_csv == from_json and from_csv.content_hash() == from_json.content_hash()
    # What our CSV export writes (lists and objects as JSON text) reads back the same.
    exported = {k: field_text(v) for k, v in from_json.to_dict().items()}
    assert validate_report(exported, now=NOW, text_values=True) == from_json
    exact = validate_report({**BASE, "people_affected": 9_000}, now=NOW)
    assert (
        exact.people_affected == Count.exact(9_000) and exact.to_dict()["people_affected"] == 9_000
    )


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"infrastructure": "power substation"}, "infrastructure",
         "unknown category 'power substation'; expected any of: energy, heating, water, gas, "
         "communications, rail, road, bridge, port, industrial, residential, medical, school, "
         "other"),
        ({"infrastructure": ["energy", "dam"]}, "infrastructure", "unknown category 'dam'"),
        ({"infrastructure": 3}, "infrastructure",
         "must be a category, a comma-separated list of them or a JSON list of them, got the number 3"),
        ({"utilities": "electricity, internet"}, "utilities", "unknown category 'internet'"),
        ({"people_affected": -5}, "people_affected", "must be >= 0, got -5"),
        ({"people_affected": {"min": 60_000, "max": 40_000}}, "people_affected",
         "must be >= min (60000), got 40000"),
        ({"people_affected": {"max": 40_000}}, "people_affected", "is required"),
        ({"outage_from": "2026-03-01T06:10:00"}, "outage_from", "has no UTC offset"),
        ({"outage_to": "2026-03-01T06:10:00+02:00"}, "outage_from",
         "is required when outage_to is given"),
        ({"outage_from": "2026-03-01T06:10:00+02:00", "outage_to": "2026-03-01T06:00:00+02:00"},
         "outage_to", "is before outage_from"),
        ({"outage_from": "2026-03-02T06:10:00+02:00"}, "outage_from", "is in the future"),
    ],
)  # fmt: skip
def test_bad_harm_is_named(changes: dict[str, Any], field: str, reason: str) -> None:
    _, got_field, got_reason = problem_of(**changes)
    assert got_field == field
    assert reason in got_reason


def test_csv_people_affected_that_is_no_count_is_named() -> None:
    assert problem_of(text_values=True, people_affected="tens of thousands") == (
        "f.csv:row 7",
        "people_affected",
        "must be a whole number or min-max (40000-60000), got 'tens of thousands'",
    )


def test_an_expected_end_of_an_outage_may_lie_ahead() -> None:
    later = {"outage_from": "2026-03-01T06:10:00+02:00", "outage_to": "2026-03-03T18:00:00+02:00"}
    assert validate_report({**BASE, **later}, now=NOW).outage_to is not None


def test_a_stored_free_text_infrastructure_still_reads_with_its_body_unchanged() -> None:
    """A body stored when infrastructure was free text: read as the category its words name,
    written back (and hashed) as it was, so its ledger leaf and content identity hold."""
    old = {**BASE, "infrastructure": "power substation"}
    report = Report.model_validate(old, context={"check_future": False, "stored": True})
    assert report.infrastructure == ("energy",)
    assert report.to_dict() == old
    assert Report.model_validate(report.to_dict(), context={"stored": True}) == report
    assert legacy_categories("boiler house no. 3") == ("heating",)
    assert legacy_categories("a kiosk") == ("other",)


# -- vocabulary: folded, near misses named -----------------------------------------------------


@pytest.mark.parametrize(
    ("field", "typed", "term"),
    [
        ("event_type", "Shelling", "shelling"),
        ("event_type", "SHELLING", "shelling"),
        ("event_type", " Drone strike ", "drone_strike"),
        ("source_kind", "Patrol", "patrol"),
        ("weapon_class", "Heavy-MLRS", "heavy_mlrs"),
        ("place_precision", "Near", "near"),
    ],
)
def test_vocabulary_values_are_case_folded_to_their_term(field: str, typed: str, term: str) -> None:
    folded = validate_report({**BASE, field: typed}, now=NOW)
    assert getattr(folded, field) == term
    # The same report as the term typed as it is spelt: one content hash.
    assert folded.content_hash() == validate_report({**BASE, field: term}, now=NOW).content_hash()


def test_folded_harm_categories_are_the_categories() -> None:
    report = validate_report({**BASE, "infrastructure": "Energy, WATER"}, now=NOW)
    assert report.infrastructure == ("energy", "water")


@pytest.mark.parametrize(
    ("changes", "field", "start"),
    [
        ({"event_type": "shellling"}, "event_type", "unknown value 'shellling'; did you mean 'shelling'?"),
        ({"weapon_class": "artilery"}, "weapon_class", "unknown value 'artilery'; did you mean 'artillery'?"),
        ({"source_kind": "Patrl"}, "source_kind", "unknown value 'Patrl'; did you mean 'patrol'?"),
        ({"utilities": "heating, watter"}, "utilities", "unknown category 'watter'; did you mean 'water'?"),
    ],
)  # fmt: skip
def test_a_near_miss_gets_did_you_mean_naming_the_field(
    changes: dict[str, Any], field: str, start: str
) -> None:
    where, named, reason = problem_of(**changes)
    assert (where, named) == ("f.csv:row 7", field)
    assert reason.startswith(start) and "expected" in reason


def test_a_far_miss_gets_the_list_without_a_guess() -> None:
    _, field, reason = problem_of(event_type="rainfall")
    assert field == "event_type" and "did you mean" not in reason
    assert reason.startswith("unknown value 'rainfall'; expected one of: shelling, ")
