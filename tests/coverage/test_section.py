"""The daily report's coverage section from ledger leaves, and bad records refused by field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import h3
import pytest

from ceasefire.coverage import MonitoredArea, read_line, report_section, to_dict
from ceasefire.errors import InputError

C0 = h3.latlng_to_cell(48.5, 37.5, 7)
LAT0, LON0 = h3.cell_to_latlng(C0)
INNER = set(h3.grid_disk(C0, 1))
CELLS = sorted(h3.grid_disk(C0, 5))
DAY = datetime(2026, 11, 20, tzinfo=UTC)
END = DAY + timedelta(hours=24)
RING = {"shape": "ring", "range_m": 3000.0}


def at(hours: float) -> str:
    return (DAY + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def status(rid: str, state: str, start: float, end: float, sid: str = "CAM-1") -> dict[str, Any]:
    return {"kind": "sensor_status", "id": rid, "status": state, "start": at(start),
            "end": at(end), "sensor": {"id": sid, "kind": "camera", "lon": LON0, "lat": LAT0,
                                       "footprint": RING}}  # fmt: skip


def leaf(line: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A record as the store logs it: ``{kind: body, "entered_by", "entered_at"}``."""
    record = read_line(line)
    kind = line["kind"]
    return kind, {kind: to_dict(record), "entered_by": {"name": "m", "role": "monitor",
                                                         "party": None}, "entered_at": at(0)}  # fmt: skip


def message(
    mid: str, kind: str, sender: str, sent: float, **more: Any
) -> tuple[str, dict[str, Any]]:
    return "hotline_message", {"id": mid, "kind": kind, "sender": sender,
                               "sent_at": (DAY + timedelta(hours=sent)).isoformat(), **more}  # fmt: skip


@pytest.fixture(scope="module")
def area() -> MonitoredArea:
    return MonitoredArea.of_cells(CELLS, {c: "Inner" if c in INNER else "Outer" for c in CELLS})


def test_the_section_of_a_day(area: MonitoredArea) -> None:
    leaves = [
        leaf(status("up", "up", 6, 12)),
        # Down from 20:00 the day before to 03:00: listed 00:00-03:00.
        leaf(status("down", "down", -4, 3)),
        # Jammed from 22:00 to 02:00 the next day: listed 22:00-24:00.
        leaf(status("jam", "jammed", 22, 26, sid="CAM-2")),
        # Down the whole day before: not listed.
        leaf(status("old", "down", -24, 0)),
        leaf({"kind": "restriction", "id": "r1", "at": at(9.5), "lon": LON0, "lat": LAT0,
              "by": "RU", "reason": "mines not cleared", "place": "checkpoint near X"}),
        leaf({"kind": "restriction", "id": "r0", "at": at(-1), "lon": LON0, "lat": LAT0,
              "by": "RU", "reason": "before the window"}),
        ("report", {"id": "x"}),  # other kinds are left alone
        # The hotline: an access request denied by UA at 08:00, one approved, one denial of a
        # query (not an access request).
        message("mission:a1", "request", "mission", 7, topic="access",
                place={"lon": 37.5, "lat": 48.25, "radius_m": 500.0}),
        message("UA:d1", "response", "UA", 8, in_reply_to="mission:a1", position="denied",
                reasons="active shelling"),
        message("mission:a2", "request", "mission", 7, topic="access",
                place={"lon": 37.5, "lat": 48.25, "radius_m": 500.0}),
        message("RU:ok", "response", "RU", 8, in_reply_to="mission:a2", position="approved"),
        message("mission:q", "query", "mission", 7),
        message("RU:no", "response", "RU", 8, in_reply_to="mission:q", position="denied",
                reasons="not ours"),
    ]  # fmt: skip
    section = report_section(leaves, DAY, END, area)
    # Inner: its 7 cells seen 6 of 24 hours: 0.25; Outer: none.
    assert section["by_oblast"] == [
        {"oblast": "Inner", "observed": 0.25},
        {"oblast": "Outer", "observed": 0.0},
    ]
    assert section["sensors_down"] == [
        {"sensor": "CAM-1", "status": "down", "start": "2026-11-20T00:00:00Z",
         "end": "2026-11-20T03:00:00Z", "oblast": "Inner"},
        {"sensor": "CAM-2", "status": "jammed", "start": "2026-11-20T22:00:00Z",
         "end": "2026-11-21T00:00:00Z", "oblast": "Inner"},
    ]  # fmt: skip
    assert section["restrictions"] == [
        {"at": "2026-11-20T08:00:00Z", "place": "48.2500 N, 37.5000 E", "oblast": "Outer",
         "by": "UA", "reason": "active shelling", "source": "hotline"},
        {"at": "2026-11-20T09:30:00Z", "place": "checkpoint near X", "oblast": "Inner",
         "by": "RU", "reason": "mines not cleared", "source": "restriction"},
    ]  # fmt: skip


def test_an_empty_section(area: MonitoredArea) -> None:
    assert report_section([], DAY, END, area) == {
        "by_oblast": [{"oblast": "Inner", "observed": 0.0}, {"oblast": "Outer", "observed": 0.0}],
        "sensors_down": [],
        "restrictions": [],
    }


def test_bare_records_are_read_as_well(area: MonitoredArea) -> None:
    kind, record = leaf(status("up", "up", 0, 24))
    section = report_section([(kind, record[kind])], DAY, END, area)
    assert section["by_oblast"][0]["observed"] == 1.0


OK_PATROL = {"kind": "patrol", "id": "p1", "mode": "actual", "width_m": 500.0,
             "start": at(0), "end": at(2),
             "route": [{"lon": 37.5, "lat": 48.5, "at": at(0)},
                       {"lon": 37.6, "lat": 48.5, "at": at(1)}]}  # fmt: skip


@pytest.mark.parametrize(
    ("line", "field", "reason"),
    [
        ({**status("s", "up", 0, 1), "status": "broken"}, "status", "must be 'up', 'down' or 'jammed'"),
        ({**status("s", "up", 0, 1), "end": at(-1)}, "end", "must be after start"),
        ({**status("s", "up", 0, 1), "start": "2026-11-20T00:00:00"}, "start", "has no UTC offset"),
        ({**status("s", "up", 0, 1), "colour": "red"}, "colour", "unknown field"),
        ({**status("s", "up", 0, 1), "id": "a\u202eb"}, "id", "RIGHT-TO-LEFT OVERRIDE"),
        ({**status("s", "up", 0, 1), "sensor": {"id": "S", "kind": "laser", "lon": 37.0,
          "lat": 48.0, "footprint": RING}}, "sensor.kind", "must be 'camera'"),
        ({**status("s", "up", 0, 1), "sensor": {"id": "S", "kind": "camera", "lon": 190.0,
          "lat": 48.0, "footprint": RING}}, "sensor.lon", "between -180 and 180"),
        ({**status("s", "up", 0, 1), "sensor": {"id": "S", "kind": "camera", "lon": 37.0,
          "lat": 48.0, "footprint": {"shape": "ring", "range_m": "3000"}}},
         "sensor.footprint.range_m", "must be a JSON number, got the string \"3000\""),
        ({**status("s", "up", 0, 1), "sensor": {"id": "S", "kind": "camera", "lon": 37.0,
          "lat": 48.0, "footprint": {"shape": "sector", "range_m": 3000.0, "bearing_from": 5.0}}},
         "sensor.footprint.bearing_to", "is required for a sector"),
        ({**status("s", "up", 0, 1), "sensor": {"id": "S", "kind": "camera", "lon": 37.0,
          "lat": 48.0, "footprint": {"shape": "ring", "range_m": 0}}},
         "sensor.footprint.range_m", "must be more than 0"),
        ({**OK_PATROL, "route": [{"lon": 37.5, "lat": 48.5, "at": at(0)}, {"lon": 37.6, "lat": 48.5}]},
         "route.1.at", "is required on every point of an actual track"),
        ({**OK_PATROL, "route": [{"lon": 37.5, "lat": 48.5, "at": at(3)}]},
         "route.0.at", "must lie within the patrol's start and end"),
        ({**OK_PATROL, "route": [{"lon": 37.5, "lat": 48.5, "at": at(1)},
                                  {"lon": 37.6, "lat": 48.5, "at": at(0.5)}]},
         "route.1.at", "must not be before the point before"),
        ({**OK_PATROL, "mode": "maybe"}, "mode", "must be 'planned' or 'actual'"),
        ({**OK_PATROL, "width_m": -1}, "width_m", "must be more than 0"),
        ({**OK_PATROL, "route": []}, "route", "at least one point"),
        ({"kind": "restriction", "id": "r", "at": at(1), "lon": 37.0, "lat": 48.0, "by": "RU",
          "reason": "  "}, "reason", "must not be blank"),
        ({"kind": "restriction", "id": "r", "at": at(1), "lon": 37.0, "lat": 48.0, "by": "RU"},
         "reason", "is required"),
        ({"kind": "sensor", "id": "r"}, "kind", "must be one of: sensor_status, patrol, restriction"),
        ({"id": "r"}, "kind", "is required"),
    ],
)  # fmt: skip
def test_bad_records_name_the_field(line: dict[str, Any], field: str, reason: str) -> None:
    with pytest.raises(InputError) as caught:
        read_line(line, "batch[0]")
    problem = caught.value.problems[0]
    assert (problem.where, problem.field) == ("batch[0]", field)
    assert reason in problem.reason


def test_a_record_reads_back_equal() -> None:
    record = read_line(OK_PATROL)
    assert read_line({"kind": "patrol", **to_dict(record)}) == record
