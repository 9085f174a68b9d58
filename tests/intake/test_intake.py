"""Reading report files: formats, the bulk rule, and a clear problem for every bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ceasefire.errors import InputError
from ceasefire.intake.files import iter_rows, parse_file, read_reports

DATA = Path(__file__).parents[1] / "data"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_jsonl_reads_every_row_and_keeps_unknown_fields() -> None:
    result = parse_file(DATA / "good_reports.jsonl", now=NOW)
    assert [r.id for r in result.reports] == [
        "osce-2026-03-01-001",
        "osce-2026-03-01-002",
        "ua-complaint-17",
    ]
    assert result.problems == []
    assert result.reports[0].extra == {"patrol_vehicle": "UA-17"}
    assert result.reports[1].location().from_observer


def test_csv_and_geojson_give_the_same_reports_as_jsonl() -> None:
    from_jsonl = {r.id: r for r in parse_file(DATA / "good_reports.jsonl", now=NOW).reports}
    from_geojson = parse_file(DATA / "good_reports.geojson", now=NOW).reports
    assert [r.content_hash() for r in from_geojson] == [
        from_jsonl[r.id].content_hash() for r in from_geojson
    ]
    from_csv = parse_file(DATA / "good_reports.csv", now=NOW).reports
    assert [r.id for r in from_csv] == ["osce-2026-03-01-001", "ua-complaint-17"]
    assert from_csv[0].count == 14 and from_csv[0].extra == {"patrol_vehicle": "UA-17"}
    assert from_csv[1].count is None and "patrol_vehicle" not in from_csv[1].extra  # empty cells


def test_format_can_be_named(tmp_path: Path) -> None:
    target = tmp_path / "reports.txt"
    target.write_bytes((DATA / "good_reports.jsonl").read_bytes())
    with pytest.raises(InputError, match="cannot tell the format"):
        parse_file(target, now=NOW)
    assert len(parse_file(target, format="jsonl", now=NOW).reports) == 3


def test_utf8_bom_is_accepted() -> None:
    (report,) = parse_file(DATA / "good_utf8_bom.csv", now=NOW).reports
    assert report.id == "ua-complaint-17" and report.extra["patrol_vehicle"] == "Дружківка"


@pytest.mark.parametrize(
    ("name", "where", "field", "reason"),
    [
        ("bad_row_nan_lat.csv", "bad_row_nan_lat.csv:row 3", "lat", "must be a finite number, got 'nan'"),
        ("bad_row_infinite_lon.jsonl", "bad_row_infinite_lon.jsonl:row 2", "lon", "must be a finite number, got inf"),
        ("bad_row_lat_out_of_range.jsonl", "bad_row_lat_out_of_range.jsonl:row 2", "lat", "must be between -90 and 90, got 91.5"),
        ("bad_row_lon_out_of_range.csv", "bad_row_lon_out_of_range.csv:row 3", "lon", "must be between -180 and 180, got -181"),
        ("bad_row_observed_to_before_from.jsonl", "bad_row_observed_to_before_from.jsonl:row 2", "observed_to", "is before observed_from"),
        ("bad_row_no_utc_offset.csv", "bad_row_no_utc_offset.csv:row 3", "observed_from", "has no UTC offset"),
        ("bad_row_future_time.jsonl", "bad_row_future_time.jsonl:row 2", "observed_from", "is in the future"),
        ("bad_row_unknown_event_type.csv", "bad_row_unknown_event_type.csv:row 3", "event_type", "unknown value 'artillery_duel'"),
        ("bad_row_unknown_source_kind.jsonl", "bad_row_unknown_source_kind.jsonl:row 2", "source_kind", "unknown value 'rumour'"),
        ("bad_row_unknown_weapon_class.jsonl", "bad_row_unknown_weapon_class.jsonl:row 2", "weapon_class", "unknown value 'railgun'"),
        ("bad_row_negative_count.csv", "bad_row_negative_count.csv:row 3", "count", "must not be negative, got -3"),
        ("bad_row_malformed_json.jsonl", "bad_row_malformed_json.jsonl:row 2", "", "not valid JSON"),
        ("bad_row_not_an_object.jsonl", "bad_row_not_an_object.jsonl:row 2", "", "must be a JSON object, got an array"),
        ("bad_row_duplicate_key.jsonl", "bad_row_duplicate_key.jsonl:row 1", "", "field 'id' appears twice"),
        ("bad_row_too_many_cells.csv", "bad_row_too_many_cells.csv:row 3", "", "has 11 cells but the header has 10"),
        ("bad_row_unclosed_quote.csv", "bad_row_unclosed_quote.csv:row 3", "", "not valid CSV"),
        ("bad_row_same_id_other_content.jsonl", "bad_row_same_id_other_content.jsonl:row 2", "id", "was used with other content at bad_row_same_id_other_content.jsonl:row 1"),
        ("bad_encoding_stray_byte.csv", "bad_encoding_stray_byte.csv:row 3", "", "not valid UTF-8 (byte 0xc4 at column"),
        ("bad_feature_polygon_geometry.geojson", "bad_feature_polygon_geometry.geojson:feature 1", "geometry", "must be a Point, got 'Polygon'"),
    ],
)  # fmt: skip
def test_a_bad_row_is_named_and_nothing_is_returned(
    name: str, where: str, field: str, reason: str
) -> None:
    with pytest.raises(InputError) as caught:
        parse_file(DATA / name, now=NOW)
    problems = caught.value.problems
    assert (problems[0].where, problems[0].field) == (where, field)
    assert reason in problems[0].reason
    assert str(caught.value).startswith(f"{where}: ")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("empty.jsonl", "file is empty"),
        ("header_only.csv", "no reports in file"),
        ("blank_lines_only.jsonl", "no reports in file"),
        ("bad_header_duplicate_column.csv", "the header names lat twice"),
        ("not_feature_collection.geojson", "must be a GeoJSON FeatureCollection, got 'Feature'"),
        ("bad_geojson_truncated.geojson", "not valid JSON"),
    ],
)
def test_a_bad_file_is_refused_as_a_whole(name: str, reason: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_file(DATA / name, now=NOW, skip_invalid=True)
    assert reason in caught.value.problems[0].reason
    assert caught.value.problems[0].where.startswith(name)


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot be read"):
        parse_file(tmp_path / "nope.csv")


def test_skip_invalid_returns_the_good_rows_and_the_problems() -> None:
    result = parse_file(DATA / "bad_row_nan_lat.csv", now=NOW, skip_invalid=True)
    assert [r.id for r in result.reports] == ["osce-2026-03-01-001", "ua-complaint-17"]
    assert result.bad_rows == 1
    assert [(p.where, p.field) for p in result.problems] == [("bad_row_nan_lat.csv:row 3", "lat")]


def test_skip_invalid_goes_on_after_a_broken_line() -> None:
    result = parse_file(DATA / "bad_row_malformed_json.jsonl", now=NOW, skip_invalid=True)
    assert [r.id for r in result.reports] == ["osce-2026-03-01-001", "ua-complaint-17"]
    encoded = parse_file(DATA / "bad_encoding_stray_byte.csv", now=NOW, skip_invalid=True)
    assert [r.id for r in encoded.reports] == ["osce-2026-03-01-001"]


def test_windows_1251_and_utf16_files_are_read_as_such() -> None:
    (_, report) = parse_file(DATA / "good_cp1251.csv", now=NOW).reports
    assert report.extra["patrol_vehicle"] == "Дружківка"
    from_utf16 = parse_file(DATA / "good_utf16.jsonl", now=NOW).reports
    from_utf8 = parse_file(DATA / "good_reports.jsonl", now=NOW).reports
    assert [r.content_hash() for r in from_utf16] == [r.content_hash() for r in from_utf8]


def test_an_exact_repeat_in_one_file_is_a_no_op(tmp_path: Path) -> None:
    lines = (DATA / "good_reports.jsonl").read_text().splitlines()
    target = tmp_path / "repeat.jsonl"
    target.write_text("\n".join([*lines, lines[0]]) + "\n")
    assert len(parse_file(target, now=NOW).reports) == 3


def test_read_reports_streams_and_stops_at_the_first_bad_row() -> None:
    stream = read_reports(DATA / "bad_row_lat_out_of_range.jsonl", now=NOW)
    assert next(stream).id == "osce-2026-03-01-001"
    with pytest.raises(InputError, match=r"row 2: lat: must be between -90 and 90"):
        next(stream)


def test_iter_rows_is_lazy_and_numbers_lines(tmp_path: Path) -> None:
    target = tmp_path / "big.jsonl"
    line = (DATA / "good_reports.jsonl").read_text().splitlines()[0]
    with target.open("w") as out:
        for index in range(20_000):
            out.write(line.replace("osce-2026-03-01-001", f"r{index}") + "\n")
    rows = iter_rows(target)
    first = next(rows)
    assert first.where == "big.jsonl:row 1" and first.fields is not None
    assert first.fields["id"] == "r0"
    assert sum(1 for _ in rows) == 19_999


def test_geojson_text_sequence_with_record_separators(tmp_path: Path) -> None:
    """RFC 8142: each Feature is preceded by RS (0x1E) and ends with a newline."""
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [37.55, 48.62]},
        "properties": {
            "id": "seq-1",
            "submitted_by": "mission",
            "source_kind": "camera",
            "observed_from": "2026-03-10T22:15:00+00:00",
            "event_type": "explosion",
        },
    }
    path = tmp_path / "night.geojsons"
    path.write_text("\x1e" + json.dumps(feature) + "\n", encoding="utf-8")
    result = parse_file(path)
    assert [r.id for r in result.reports] == ["seq-1"]
    assert (result.reports[0].lon, result.reports[0].lat) == (37.55, 48.62)


def _jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_a_jsonl_row_with_a_number_as_text_is_named_by_row_and_field(tmp_path: Path) -> None:
    good = json.loads((DATA / "good_reports.jsonl").read_text().splitlines()[0])
    bad = {**good, "id": "typed-as-text", "count": "3"}
    target = _jsonl(tmp_path / "night.jsonl", [good, bad])
    with pytest.raises(InputError) as caught:
        parse_file(target, now=NOW)
    assert [(p.where, p.field, p.reason) for p in caught.value.problems] == [
        ("night.jsonl:row 2", "count", 'must be a JSON integer, got the string "3"')
    ]
    kept = parse_file(target, now=NOW, skip_invalid=True)
    assert [r.id for r in kept.reports] == [good["id"]] and kept.bad_rows == 1
    stream = read_reports(target, now=NOW)
    assert next(stream).id == good["id"]
    with pytest.raises(InputError, match=r"night.jsonl:row 2: count: must be a JSON integer"):
        next(stream)


def test_geojson_properties_and_coordinates_are_json_typed(tmp_path: Path) -> None:
    properties = {
        "id": "g-1",
        "submitted_by": "mission",
        "source_kind": "camera",
        "observed_from": "2026-03-01T10:15:00+00:00",
        "event_type": "explosion",
    }
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [37.5, 48.6]},
         "properties": {**properties, "count": True}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": ["37.5", 48.6]},
         "properties": {**properties, "id": "g-2"}},
    ]  # fmt: skip
    target = tmp_path / "night.geojson"
    target.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    with pytest.raises(InputError) as caught:
        parse_file(target, now=NOW)
    assert [(p.where, p.field, p.reason) for p in caught.value.problems] == [
        ("night.geojson:feature 1", "count", "must be a JSON integer, got the boolean true"),
        ("night.geojson:feature 2", "lon", 'must be a JSON number, got the string "37.5"'),
    ]


def test_csv_cells_are_converted_to_the_report_typed_json_gives(tmp_path: Path) -> None:
    row = {
        "id": "same-1",
        "submitted_by": "smm",
        "source_kind": "patrol",
        "observed_from": "2026-03-01T08:10:00+02:00",
        "lon": 37.8,
        "lat": 48.5,
        "event_type": "shelling",
        "count": 3,
        "calibre_mm": 122,
        "notes": "5",
        "team": 4,
    }
    (from_json,) = parse_file(_jsonl(tmp_path / "r.jsonl", [row]), now=NOW).reports
    header, cells = ",".join(row), ",".join(str(v) for v in row.values())
    target = tmp_path / "r.csv"
    target.write_text(f"{header}\n{cells}\n")
    (from_csv,) = parse_file(target, now=NOW).reports
    assert (from_csv.count, from_csv.lat, from_csv.calibre_mm) == (3, 48.5, 122.0)
    assert from_csv.notes == "5" and from_csv.extra == {"team": "4"}  # unknown: text stays text
    assert from_csv.content_hash() == from_json.content_hash()
    # A cell that does not convert gets today's CSV problem, naming row and field.
    wrong = cells.replace("same-1", "other").replace(",3,", ",three,")
    target.write_text(f"{header}\n{cells}\n{wrong}\n")
    with pytest.raises(InputError) as caught:
        parse_file(target, now=NOW)
    assert [(p.where, p.field, p.reason) for p in caught.value.problems] == [
        (
            "r.csv:row 3",
            "count",
            "must be a valid integer, unable to parse string as an integer, got 'three'",
        )
    ]
