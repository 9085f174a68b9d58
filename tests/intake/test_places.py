"""Reports placed by a place name: settlements and oblasts through the gazetteer, ambiguous and
unknown names refused naming the field, the name kept, the point left out of what was signed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ceasefire.errors import InputError
from ceasefire.geo.gazetteer import load_gazetteer
from ceasefire.geo.placenames import find_region, settlement_radius_m, settlements
from ceasefire.intake.files import parse_file
from ceasefire.intake.observer import GEOD
from ceasefire.intake.places import DOMINANCE, RESOLVED_FIELD, resolve_place
from ceasefire.intake.report import Report
from ceasefire.intake.signing import TrustedKey, check_signatures, sign_report, signed_message
from ceasefire.intake.validation import validate_report
from ceasefire.ledger.notes import Signer

DATA = Path(__file__).parents[1] / "data"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
BY_NAME: dict[str, Any] = {
    "id": "pl-1",
    "submitted_by": "mission",
    "source_kind": "patrol",
    "observed_from": "2026-02-28T21:30:00+02:00",
    "event_type": "shelling",
}


def placed(**fields: Any) -> Report:
    return validate_report({**BY_NAME, **fields}, now=NOW)


def refused(**fields: Any) -> tuple[str, str]:
    with pytest.raises(InputError) as caught:
        validate_report({**BY_NAME, **fields}, where="sheet.csv:row 4", now=NOW)
    (problem,) = caught.value.problems
    assert problem.where == "sheet.csv:row 4"
    return problem.field, problem.reason


def metres(lon0: float, lat0: float, lon: Any, lat: Any) -> Any:
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    return GEOD.inv(np.full(lon.shape, lon0), np.full(lat.shape, lat0), lon, lat)[2]


# -- settlements -------------------------------------------------------------------------------


def test_a_settlement_places_the_report_near_it_and_the_name_stays() -> None:
    report = placed(place="Kupiansk")
    g = load_gazetteer()
    (town,) = settlements(g, "Kupiansk")
    assert (report.lon, report.lat) == (town.lon, town.lat)
    assert report.place_precision == "near" and report.place == "Kupiansk"
    assert report.uncertainty_m is not None
    assert report.uncertainty_m >= settlement_radius_m(town.population)
    assert report.location().uncertainty_m == report.uncertainty_m
    # Spellings and former names are the same place (GeoNames: Kupyansk; Kadiivka/Stakhanov).
    assert (placed(place="Kupyansk").lon, placed(place="kupiansk ").lat) == (town.lon, town.lat)
    assert placed(place="Stakhanov").lon == placed(place="Kadiivka").lon


def test_a_settlement_s_uncertainty_grows_with_its_size() -> None:
    village, town, city = (settlement_radius_m(p) for p in (500, 27_000, 1_400_000))
    assert 1_000 <= village < town < city
    # Kharkiv's city limits reach ~15 km from its centre: the radius must cover them.
    assert placed(place="Kharkiv").uncertainty_m >= 15_000  # type: ignore[operator]


def test_a_given_point_wins_and_the_name_stays_as_evidence() -> None:
    report = placed(place="Kupiansk", lon=37.5, lat=49.6, uncertainty_m=300)
    assert (report.lon, report.lat, report.uncertainty_m) == (37.5, 49.6, 300)
    assert report.place == "Kupiansk" and report.place_resolved is None


def test_a_given_uncertainty_and_precision_are_kept() -> None:
    report = placed(place="Kupiansk", uncertainty_m=800, place_precision="exact")
    assert (report.uncertainty_m, report.place_precision) == (800, "exact")
    assert report.place_resolved == ("lon", "lat")


# -- oblasts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "place",
    ["Kharkiv oblast", "Kharkiv region", "Kharkiv Oblast", "Kharkivska oblast", "Kharkov region"],
)
def test_an_oblast_by_any_usual_name_places_the_report_over_the_oblast(place: str) -> None:
    report = placed(place=place)
    assert report.place_precision == "region" and report.place == place
    assert (report.lon, report.lat) == (
        placed(place="Kharkiv oblast").lon,
        placed(place="Kharkiv oblast").lat,
    )


def test_an_oblast_s_radius_covers_its_settlements() -> None:
    g = load_gazetteer()
    for place, region in (
        ("Kharkiv oblast", "Kharkiv"),
        ("Donetsk region", "Donetsk"),
        ("Dnipro region", "Dnipropetrovsk"),
    ):
        report = placed(place=place)
        rows = np.flatnonzero(g.admin1 == region)
        away = metres(report.lon, report.lat, g.lon[rows], g.lat[rows])  # type: ignore[arg-type]
        inside = away <= report.uncertainty_m
        # All but the few villages GeoNames files under the wrong oblast (placenames.OUTLIER).
        assert inside.mean() >= 0.99, (place, rows[~inside])
        # and no wider than the oblast needs: its farthest settlement is near the edge.
        assert away[inside].max() >= 0.8 * report.uncertainty_m  # type: ignore[operator]
    # A region is wider than any of its settlements.
    assert placed(place="Kharkiv oblast").uncertainty_m > placed(place="Kharkiv").uncertainty_m  # type: ignore[operator]


def test_a_bare_name_is_the_settlement_unless_no_settlement_has_it() -> None:
    assert placed(place="Kharkiv").place_precision == "near"
    assert placed(place="Crimea").place_precision == "region"
    assert find_region("Dnipro region") == ("Dnipropetrovsk", True)
    alone = placed(place_oblast="Zaporizhzhia oblast")
    assert alone.place_precision == "region" and alone.place is None


# -- ambiguous and unknown names ---------------------------------------------------------------


def test_an_ambiguous_name_is_refused_with_its_candidates_and_their_oblasts() -> None:
    field, reason = refused(place="Mykolaivka")
    assert field == "place"
    assert reason.startswith("'Mykolaivka' is ambiguous: Mykolaivka (Donetsk, ")
    assert "(Odesa, " in reason and "(Luhansk, " in reason
    assert 'place: "Mykolaivka, Donetsk"' in reason and "place_oblast" in reason


@pytest.mark.parametrize(
    "fields",
    [
        {"place": "Mykolaivka, Donetsk"},
        {"place": "Mykolaivka, Donetsk oblast, Ukraine"},
        {"place": "Mykolaivka (Donetsk oblast)"},
        {"place": "Mykolaivka", "place_oblast": "Donetsk"},
        {"place": "Mykolaivka", "place_oblast": "Donetska oblast"},
    ],
)
def test_an_oblast_picks_one_of_the_settlements_of_a_name(fields: dict[str, Any]) -> None:
    report = placed(**fields)
    (town,) = [s for s in settlements(load_gazetteer(), "Mykolaivka") if s.region == "Donetsk"][:1]
    assert (report.lon, report.lat, report.place_precision) == (town.lon, town.lat, "near")
    assert report.place == fields["place"]


def test_the_most_populous_wins_only_by_a_wide_margin() -> None:
    g = load_gazetteer()
    for name in ("Donetsk", "Kupiansk", "Sloviansk"):
        found = settlements(g, name)
        assert len(found) == 1 or found[0].population >= DOMINANCE * found[1].population
        resolve_place(name)
    with pytest.raises(ValueError, match="ambiguous"):
        resolve_place("Kostiantynivka")  # 67,350 in Donetsk oblast, 11,540 in Zaporizhzhia


@pytest.mark.parametrize(
    ("fields", "field", "start"),
    [
        ({"place": "Zlatograd-on-Sea"}, "place", "no settlement or oblast called 'Zlatograd-on-Sea' in the gazetteer"),
        ({"place": "Kupyansc"}, "place", "no settlement or oblast called 'Kupyansc' in the gazetteer (did you mean 'Kupyansk', Kharkiv?)"),
        ({"place": "Narnia oblast"}, "place", "unknown oblast 'Narnia oblast'"),
        ({"place": "Mykolaivka", "place_oblast": "Kharkov"}, "place_oblast", "no settlement called 'Mykolaivka' in Kharkiv oblast; there are: Mykolaivka (Donetsk"),
        ({"place": "Mykolaivka", "place_oblast": "Narnia"}, "place_oblast", "unknown oblast 'Narnia'"),
        ({"place": "Kharkiv oblast", "place_oblast": "Sumy"}, "place_oblast", "is 'Sumy' but place names Kharkiv oblast"),
        ({"place": "Andriivka, Donetsk"}, "place", "'Andriivka' in Donetsk oblast is ambiguous: "),
        ({"place": "  "}, "place", "must not be blank"),
        ({"place": 7}, "place", "must be a JSON string, got the number 7"),
    ],
)  # fmt: skip
def test_a_name_that_places_nothing_is_refused_naming_the_field(
    fields: dict[str, Any], field: str, start: str
) -> None:
    named, reason = refused(**fields)
    assert named == field and reason.startswith(start), reason


def test_without_a_point_or_a_name_the_place_is_required() -> None:
    field, reason = refused()
    assert field == "lon" and "place name (place)" in reason


# -- what is the submitter's: content hash, export, signature ----------------------------------


def test_the_filled_in_point_is_stored_but_not_part_of_the_content() -> None:
    report = placed(place="Kupiansk")
    body = report.to_dict()
    assert body["place"] == "Kupiansk" and body["lon"] == report.lon
    assert body[RESOLVED_FIELD] == ["lon", "lat", "uncertainty_m", "place_precision"]
    canonical = json.loads(report.canonical_json())
    assert "lon" not in canonical and RESOLVED_FIELD not in canonical
    assert canonical["place"] == "Kupiansk"
    # Read back from its export (or resent as stored): the same report, placed afresh.
    again = validate_report(body, now=NOW)
    assert again.content_hash() == report.content_hash() and again.lon == report.lon
    # The store's copy is read as it was stored, whatever the gazetteer says today.
    moved = {**body, "lon": 37.0}
    stored = Report.model_validate(moved, context={"stored": True, "check_future": False})
    assert stored.lon == 37.0 and stored.content_hash() == report.content_hash()


def test_a_point_passed_off_as_filled_in_is_placed_again() -> None:
    forged = placed(place="Kupiansk", lon=30.0, lat=50.0, **{RESOLVED_FIELD: ["lon", "lat"]})
    assert (forged.lon, forged.lat) == (placed(place="Kupiansk").lon, placed(place="Kupiansk").lat)
    field, reason = refused(place="Kupiansk", **{RESOLVED_FIELD: ["notes"]})
    assert field == RESOLVED_FIELD and "fills in only" in reason


def test_a_report_signed_as_sent_verifies_once_placed() -> None:
    key = Signer.generate("mission-submissions")
    sent = {**BY_NAME, "place": "Kupiansk", "notes": "signed before any point was known"}
    # The submitter signs what it sends: a place name, no point.
    signature = key.sign(signed_message(sent))
    payload = key.key_id.to_bytes(4, "big") + signature
    import base64

    text = f"{key.name} {base64.b64encode(payload).decode()}"
    report = validate_report({**sent, "signature": text}, now=NOW)
    assert report.lon is not None
    check_signatures([report], [TrustedKey(key.verifier(), "mission")])
    # ... and again from what is stored and logged (the body with the point in it).
    assert key.verifier().verify(signed_message(report.to_dict()), signature)
    # sign_report on the placed report signs the same bytes.
    assert signed_message(sign_report(report, key)) == signed_message(sent)
    # The name is signed: changing it breaks the signature.
    other = validate_report({**sent, "place": "Kharkiv", "signature": text}, now=NOW)
    with pytest.raises(InputError, match="does not verify"):
        check_signatures([other], [TrustedKey(key.verifier(), "mission")])


# -- files -------------------------------------------------------------------------------------


def test_a_spreadsheet_of_place_names_and_folded_words_reads() -> None:
    reports = parse_file(DATA / "places_by_name.csv", now=NOW).reports
    by_id = {r.id: r for r in reports}
    assert [r.place_precision for r in reports] == ["near", "region", "near", "near", "region"]
    assert by_id["pl-101"].source_kind == "patrol" and by_id["pl-101"].event_type == "shelling"
    assert by_id["pl-101"].weapon_class == "artillery"
    assert by_id["pl-105"].event_type == "drone_strike"
    # The qualifier as a column or inside the name: the same settlement.
    assert (by_id["pl-103"].lon, by_id["pl-103"].lat) == (by_id["pl-104"].lon, by_id["pl-104"].lat)
    assert by_id["pl-102"].lon == by_id["pl-105"].lon  # Kharkiv region, Kharkivska oblast
    assert by_id["pl-103"].place_oblast == "Donetsk"


def test_a_feature_without_geometry_is_placed_by_its_name() -> None:
    reports = parse_file(DATA / "places_by_name.geojson", now=NOW).reports
    assert [r.place_precision for r in reports] == ["near", "region"]
    assert reports[0].lon == placed(place="Kupiansk").lon


@pytest.mark.parametrize(
    ("name", "where", "field", "start"),
    [
        ("bad_row_place_ambiguous.jsonl", "bad_row_place_ambiguous.jsonl:row 2", "place", "'Mykolaivka' is ambiguous"),
        ("bad_row_place_unknown.csv", "bad_row_place_unknown.csv:row 3", "place", "no settlement or oblast called 'Zlatograd-on-Sea'"),
        ("bad_row_vocab_near_miss.csv", "bad_row_vocab_near_miss.csv:row 2", "event_type", "unknown value 'shellling'; did you mean 'shelling'?"),
    ],
)  # fmt: skip
def test_a_file_with_a_bad_name_stores_nothing_and_names_the_row(
    name: str, where: str, field: str, start: str
) -> None:
    with pytest.raises(InputError) as caught:
        parse_file(DATA / name, now=NOW)
    first = caught.value.problems[0]
    assert (first.where, first.field) == (where, field)
    assert first.reason.startswith(start), first.reason
    partial = parse_file(DATA / name, now=NOW, skip_invalid=True)
    assert len(partial.reports) + partial.bad_rows == 2 and partial.bad_rows >= 1
    assert all(r.place_precision == "near" for r in partial.reports)


def test_the_near_miss_file_names_both_words() -> None:
    with pytest.raises(InputError) as caught:
        parse_file(DATA / "bad_row_vocab_near_miss.csv", now=NOW)
    reasons = {p.field: p.reason for p in caught.value.problems}
    assert "did you mean 'artillery'?" in reasons["weapon_class"]


@pytest.mark.parametrize("fmt", ["csv", "geojson"])
def test_an_export_of_reports_placed_by_name_reads_back_as_the_same_reports(
    tmp_path: Path, fmt: str
) -> None:
    from ceasefire.publish.export import write_reports

    reports = parse_file(DATA / "places_by_name.csv", now=NOW).reports
    target = tmp_path / f"export.{fmt}"
    with target.open("w", encoding="utf-8") as fh:
        write_reports(reports, fh, fmt)
    back = parse_file(target, now=NOW).reports
    assert [r.content_hash() for r in back] == [r.content_hash() for r in reports]
    assert [(r.lon, r.lat, r.uncertainty_m) for r in back] == [
        (r.lon, r.lat, r.uncertainty_m) for r in reports
    ]
    assert [r.place for r in back] == [r.place for r in reports]
