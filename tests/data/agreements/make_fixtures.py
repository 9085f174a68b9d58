"""Write the agreement fixtures in this folder: one valid base and one file per bad case.

Run from anywhere: ``python tests/data/agreements/make_fixtures.py``. Each fixture is the base
agreement with one thing broken, named after that case; the tests expect the file and field
named in the problem. The line is a 7-vertex stretch of the demo line (Lyman - Pokrovsk) walked
north to south, so RU (Donetsk) is on the left and UA (Kramatorsk) on the right.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent

LINE = [
    [37.70, 49.35],
    [37.8022, 48.9889],
    [38.1000, 48.8667],
    [37.8358, 48.5869],
    [37.8472, 48.3978],
    [37.45, 48.33],
    [37.1758, 48.2828],
]
DONETSK = {"name": "Donetsk", "lon": 37.80224, "lat": 48.02300}
KRAMATORSK = {"name": "Kramatorsk", "lon": 37.56779, "lat": 48.73106}

BASE: dict[str, Any] = {
    "id": "fixture",
    "version": 1,
    "title": "Fixture agreement",
    "parties": {"RU": "Russian Federation", "UA": "Ukraine"},
    "effective_from": "2026-03-01T00:00:00+00:00",
    "line_of_contact": {"file": "simple_line.geojson"},
    "sides": {"left": "RU", "right": "UA"},
    "anchors": {"RU": dict(DONETSK), "UA": dict(KRAMATORSK)},
    "area": {"bbox": [36.0, 47.0, 39.5, 50.0]},
    "zones": [
        {"name": "dmz", "kind": "dmz", "widths_km": {"RU": 15, "UA": 15}},
        {
            "name": "artillery_100mm",
            "kind": "withdrawal",
            "weapon_classes": ["artillery"],
            "min_calibre_mm": 100,
            "widths_km": {"RU": 25, "UA": 25},
        },
    ],
    "prohibited_acts": [
        {"code": "fire", "description": "Any fire", "event_types": ["shelling", "small_arms"]},
        {
            "code": "drone_overflight_dmz",
            "description": "Drones over the DMZ",
            "event_types": ["drone_overflight"],
            "zones": ["dmz"],
        },
    ],
    "hotline": {"acknowledge_within": "15m", "answer_within": "24h", "line_check_every": "PT6H"},
}


def feature(geometry: dict[str, Any] | None) -> dict[str, Any]:
    return {"type": "Feature", "properties": {}, "geometry": geometry}


def write_geojson(name: str, *geometries: dict[str, Any] | None) -> None:
    fc = {"type": "FeatureCollection", "features": [feature(g) for g in geometries]}
    # allow_nan: the NaN case needs a literal NaN, which GDAL reads as a number
    (HERE / name).write_text(json.dumps(fc, indent=1, allow_nan=True) + "\n", encoding="utf-8")


def line(coords: list[Any]) -> dict[str, Any]:
    return {"type": "LineString", "coordinates": coords}


def write_yaml(name: str, data: dict[str, Any]) -> None:
    (HERE / name).write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def case(name: str, **changes: Any) -> None:
    """The base with top-level fields replaced (None deletes a field)."""
    data = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    write_yaml(name, data)


def with_zone(**changes: Any) -> list[dict[str, Any]]:
    """The base zones with the DMZ replaced by ``changes`` (widths dropped unless given)."""
    zones = copy.deepcopy(BASE["zones"])
    dmz = {"name": "dmz", "kind": "dmz", **changes}
    zones[0] = {k: v for k, v in dmz.items() if v is not None}
    return zones


def line_case(name: str, *geometries: dict[str, Any] | None) -> None:
    write_geojson(f"{name}.geojson", *geometries)
    case(f"{name}.yaml", line_of_contact={"file": f"{name}.geojson"})


def main() -> None:
    write_geojson("simple_line.geojson", line(LINE))
    case("valid_minimal.yaml")

    # broken lines
    line_case("self_intersecting_line", line([*LINE, [37.95, 48.95]]))
    line_case("single_point_line", line([LINE[0]]))
    line_case("point_not_line", {"type": "Point", "coordinates": LINE[0]})
    line_case("multipart_gap_line", line(LINE[:3]), line(LINE[4:]))
    line_case("multipart_joined_line", line(LINE[:4]), line(LINE[3:]))
    line_case("multipart_reversed_line", line(LINE[:4]), line(LINE[3:][::-1]))
    line_case("nan_coordinate_line", line([LINE[0], [math.nan, 48.9], *LINE[2:]]))
    line_case("non_numeric_coordinate_line", line([LINE[0], ["37.8", 48.9], *LINE[2:]]))
    line_case("repeated_point_line", line([*LINE[:3], LINE[2], *LINE[3:]]))
    line_case("projected_coordinates_line", line([[400000.0, 5450000.0], [410000.0, 5400000.0]]))
    case("missing_line_file.yaml", line_of_contact={"file": "no_such_line.geojson"})

    # zones
    case("missing_zone_widths.yaml", zones=with_zone())
    case("negative_zone_width.yaml", zones=with_zone(widths_km={"RU": 15, "UA": -5}))
    case("non_numeric_zone_width.yaml", zones=with_zone(widths_km={"RU": "15 km", "UA": 15}))
    case("zone_width_missing_party.yaml", zones=with_zone(widths_km={"RU": 15}))
    case(
        "unknown_weapon_class.yaml",
        zones=[BASE["zones"][0], {**BASE["zones"][1], "weapon_classes": ["howitzer"]}],
    )
    case("unknown_zone_kind.yaml", zones=with_zone(kind="buffer", widths_km={"RU": 1, "UA": 1}))
    write_geojson(
        "dmz_polygon.geojson",
        {
            "type": "Polygon",
            "coordinates": [[[37.5, 48.2], [38.2, 48.2], [38.2, 49.0], [37.5, 49.0], [37.5, 48.2]]],
        },
    )
    case("polygon_dmz.yaml", zones=with_zone(polygon={"file": "dmz_polygon.geojson"}))
    write_geojson(
        "outside_area_polygon.geojson",
        {
            "type": "Polygon",
            "coordinates": [[[37.5, 48.2], [41.0, 48.2], [41.0, 49.0], [37.5, 49.0], [37.5, 48.2]]],
        },
    )
    case(
        "polygon_zone_outside_area.yaml",
        zones=with_zone(polygon={"file": "outside_area_polygon.geojson"}),
    )

    # parties and sides
    case("unknown_party_in_sides.yaml", sides={"left": "RU", "right": "UK"})
    case("unknown_party_in_zone.yaml", zones=with_zone(widths_km={"RU": 15, "UA": 15, "BY": 5}))
    case("unknown_party_anchor.yaml", anchors={**BASE["anchors"], "XX": [37.0, 48.0]})
    # A party named as a hotline address or the prefix of the mechanism's message ids.
    case("reserved_party_code.yaml", parties={"RU": "Russian Federation", "UA": "Ukraine",
                                              "mission": "Not a party"})  # fmt: skip
    # Other names per party, and a party that requires signed reports.
    case("party_aliases.yaml", parties={
        "RU": {"name": "Russian Federation", "aliases": ["Russia", " russian forces "]},
        "UA": {"name": "Ukraine", "aliases": ["Ukraine"], "require_signed_reports": True},
    })  # fmt: skip
    case("alias_of_two_parties.yaml", parties={
        "RU": {"name": "Russian Federation", "aliases": ["the other side"]},
        "UA": {"name": "Ukraine", "aliases": ["The Other Side"]},
    })  # fmt: skip
    case("alias_is_a_code.yaml", parties={
        "RU": {"name": "Russian Federation", "aliases": ["ua"]},
        "UA": "Ukraine",
    })  # fmt: skip
    case("bad_require_signed.yaml", parties={
        "RU": "Russian Federation",
        "UA": {"name": "Ukraine", "require_signed_reports": "always"},
    })  # fmt: skip
    write_geojson("ru_line.geojson", line([[x + 0.05, y - 0.02] for x, y in LINE]))
    case("party_lines.yaml", party_lines={"RU": {"file": "ru_line.geojson"}})
    case("unknown_party_line.yaml", party_lines={"DNR": {"file": "ru_line.geojson"}})
    write_geojson(
        "reversed_party_line.geojson", line([[x + 0.05, y - 0.02] for x, y in LINE[::-1]])
    )
    case("reversed_party_line.yaml", party_lines={"RU": {"file": "reversed_party_line.geojson"}})
    case("both_sides_same_party.yaml", sides={"left": "RU", "right": "RU"})
    case("anchor_wrong_side.yaml", sides={"left": "UA", "right": "RU"})
    horlivka = {"name": "Horlivka", "lon": 38.01709, "lat": 48.29986}
    case("anchors_same_side.yaml", anchors={"RU": dict(DONETSK), "UA": horlivka})
    case("sides_from_anchors.yaml", sides=None)
    case("no_sides.yaml", sides=None, anchors=None)

    # area
    case("line_outside_area.yaml", area={"bbox": [36.0, 47.0, 39.5, 49.0]})
    case("bad_area_bbox.yaml", area={"bbox": [39.5, 47.0, 36.0, 50.0]})

    # vocabularies, times, durations
    case(
        "unknown_event_type.yaml",
        prohibited_acts=[
            {"code": "fire", "description": "Any fire", "event_types": ["shelling", "artillery"]},
        ],
    )
    case(
        "unknown_zone_in_act.yaml",
        prohibited_acts=[
            {"code": "x", "description": "y", "event_types": ["mine"], "zones": ["no_mans_land"]},
        ],
    )
    case(
        "bad_duration.yaml",
        hotline={
            "acknowledge_within": "P15M",  # 15 months: the classic slip for PT15M
            "answer_within": "soon",
            "line_check_every": 6,  # no unit
        },
    )
    case("zero_duration.yaml", hotline={**BASE["hotline"], "acknowledge_within": "0m"})
    case("naive_effective_time.yaml", effective_from="2026-03-01T00:00:00")
    case("date_only_effective_time.yaml", effective_from="2026-03-01")

    # the file itself
    (HERE / "not_yaml.yaml").write_text("id: x\nparties: [RU, UA\n", encoding="utf-8")
    (HERE / "not_a_mapping.yaml").write_text("- just\n- a list\n", encoding="utf-8")
    text = yaml.safe_dump(BASE, sort_keys=False)
    (HERE / "duplicate_key.yaml").write_text(text + "version: 2\n", encoding="utf-8")
    case("unknown_field.yaml", hotline_deadlines={"acknowledge_within": "15m"})
    case(
        "many_problems.yaml",
        version=0,
        sides={"left": "RU", "right": "XX"},
        zones=with_zone(widths_km={"RU": -1, "UA": "wide"}),
        hotline={**BASE["hotline"], "answer_within": "tomorrow"},
    )


if __name__ == "__main__":
    main()
