"""Write the small input files in this directory, each named after the case it pins.

Run from the repository root: ``.venv/bin/python tests/data/make_data.py``. The tests read the
files as they are; this script is how they were made (and how to remake them after a change).
Times are a few hours before the tests' fixed "now", 2026-03-01T12:00:00Z.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

HERE = Path(__file__).parent

GOOD = [
    {
        "id": "osce-2026-03-01-001",
        "submitted_by": "smm",
        "source_kind": "patrol",
        "source_name": "Team Donetsk 3",
        "observed_from": "2026-03-01T08:10:00+02:00",
        "observed_to": "2026-03-01T08:25:00+02:00",
        "lon": 37.8028,
        "lat": 48.0159,
        "uncertainty_m": 500,
        "event_type": "shelling",
        "weapon_class": "artillery",
        "calibre_mm": 122,
        "count": 14,
        "notes": "heard and seen, 3-4 km south-east",
        "patrol_vehicle": "UA-17",
    },
    {
        "id": "osce-2026-03-01-002",
        "submitted_by": "smm",
        "source_kind": "patrol",
        "observed_from": "2026-03-01T09:00:00Z",
        "observer_lon": 37.75,
        "observer_lat": 48.1,
        "bearing_deg": 135,
        "distance_min_m": 2000,
        "distance_max_m": 4000,
        "event_type": "small_arms",
        "time_precision": "near",
    },
    {
        "id": "ua-complaint-17",
        "submitted_by": "ua",
        "source_kind": "party",
        "observed_from": "2026-03-01T03:00:00+02:00",
        "lon": 36.25,
        "lat": 49.99,
        "event_type": "drone_strike",
        "weapon_class": "long_range_drone",
        "weapon_model": "Geran-2",
        "civilians_injured": 2,
        "infrastructure": "energy",
        "place_precision": "exact",
    },
]

CSV_FIELDS = [
    "id", "submitted_by", "source_kind", "observed_from", "lon", "lat", "event_type", "count",
    "weapon_class", "patrol_vehicle",
]  # fmt: skip


def _csv(rows: list[dict[str, object]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: v for k, v in row.items() if k in CSV_FIELDS})
    return out.getvalue()


def _jsonl(rows: list[dict[str, object]]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def _with(**changes: object) -> list[dict[str, object]]:
    """The good rows with the second row (file row 2 in JSONL, row 3 in CSV) changed."""
    rows = [dict(row) for row in GOOD]
    rows[1] = {**rows[0], "id": "bad-1", **changes}
    return rows


def main() -> None:
    files: dict[str, str | bytes] = {
        "good_reports.jsonl": _jsonl(GOOD),
        "good_reports.csv": _csv([GOOD[0], GOOD[2]]),
        "good_reports.geojson": json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "id": row["id"],
                        "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
                        "properties": {k: v for k, v in row.items() if k not in ("lon", "lat")},
                    }
                    for row in (GOOD[0], GOOD[2])
                ],
            },
            indent=1,
        ),
        "bad_row_nan_lat.csv": _csv(_with(lat="nan")),
        "bad_row_infinite_lon.jsonl": _jsonl(_with())
        .replace('"lon": 37.8028', '"lon": Infinity', 2)
        .replace('"lon": Infinity', '"lon": 37.8028', 1),
        "bad_row_lat_out_of_range.jsonl": _jsonl(_with(lat=91.5)),
        "bad_row_lon_out_of_range.csv": _csv(_with(lon=-181)),
        "bad_row_observed_to_before_from.jsonl": _jsonl(
            _with(observed_from="2026-03-01T10:00:00Z", observed_to="2026-03-01T09:00:00Z")
        ),
        "bad_row_no_utc_offset.csv": _csv(_with(observed_from="2026-03-01T08:10:00")),
        "bad_row_future_time.jsonl": _jsonl(
            _with(observed_from="2026-03-01T12:11:00Z", observed_to=None)
        ),
        "bad_row_unknown_event_type.csv": _csv(_with(event_type="artillery_duel")),
        "bad_row_unknown_source_kind.jsonl": _jsonl(_with(source_kind="rumour")),
        "bad_row_unknown_weapon_class.jsonl": _jsonl(_with(weapon_class="railgun")),
        "bad_row_negative_count.csv": _csv(_with(count=-3)),
        "bad_row_malformed_json.jsonl": _jsonl(GOOD[:1])
        + '{"id": "x", "lat": 48.0,\n'
        + _jsonl(GOOD[2:]),
        "bad_row_not_an_object.jsonl": _jsonl(GOOD[:1]) + '["a", "list"]\n',
        "bad_row_duplicate_key.jsonl": '{"id": "a", "id": "b"}\n',
        "bad_row_too_many_cells.csv": _csv(GOOD[:1])
        + "x,smm,patrol,2026-03-01T08:10:00Z,37,48,shelling,,,,extra\n",
        "bad_row_unclosed_quote.csv": _csv(GOOD[:1]) + 'y,"smm,patrol\n',
        "bad_row_same_id_other_content.jsonl": _jsonl([GOOD[0], {**GOOD[0], "count": 15}]),
        "bad_header_duplicate_column.csv": "id,lat,lat\na,1,2\n",
        "empty.jsonl": "",
        "header_only.csv": ",".join(CSV_FIELDS) + "\n",
        "blank_lines_only.jsonl": "\n\n  \n",
        "not_feature_collection.geojson": json.dumps({"type": "Feature", "properties": {}}),
        "bad_feature_polygon_geometry.geojson": json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [[[0, 0], [1, 0], [0, 1], [0, 0]]],
                        },
                        "properties": {k: v for k, v in GOOD[0].items() if k not in ("lon", "lat")},
                    }
                ],
            }
        ),
        "bad_geojson_truncated.geojson": '{"type": "FeatureCollection", "features": [',
        # Bytes: the same content in encodings other than UTF-8, read as such (detected).
        "good_cp1251.csv": _csv([GOOD[0], {**GOOD[2], "patrol_vehicle": "Дружківка"}]).encode(
            "cp1251"
        ),
        "good_utf16.jsonl": _jsonl(GOOD).encode("utf-16"),
        # UTF-8 letters in row 2, one row saved in Windows-1251 after them: that row's problem.
        "bad_encoding_stray_byte.csv": _csv([{**GOOD[0], "patrol_vehicle": "Дружківка"}]).encode()
        + _csv([{**GOOD[2], "patrol_vehicle": "Дружківка"}]).split("\n", 1)[1].encode("cp1251"),
        "good_utf8_bom.csv": b"\xef\xbb\xbf"
        + _csv([{**GOOD[2], "patrol_vehicle": "Дружківка"}]).encode(),
    }
    for name, content in files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        (HERE / name).write_bytes(data)


if __name__ == "__main__":
    main()
