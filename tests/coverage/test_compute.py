"""Coverage on a fixture with known answers.

The cells are H3 resolution 7 cells around the centre ``C0`` of the cell at 48.5 N, 37.5 E:
``h3.grid_disk(C0, 5)`` (91 cells). Which centres a footprint holds is worked out here with
h3 and pyproj's geodesic (``Geod.inv``), not with the code under test. Measured once with them:
res-7 centres next to ``C0`` are 2,290 to 2,455 m from it; the next ring 3,968 to 4,911 m. So
a 3 km ring around ``C0`` holds exactly 7 centres (``C0`` and its 6 neighbours), each more than
500 m from the edge: no rounding of the footprint's arc can move one in or out.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import h3
import numpy as np
import pytest
from pyproj import Geod

from ceasefire.coverage import MonitoredArea, compute, read_line
from ceasefire.coverage.model import Patrol, SensorStatus

GEOD = Geod(ellps="WGS84")
C0 = h3.latlng_to_cell(48.5, 37.5, 7)
LAT0, LON0 = h3.cell_to_latlng(C0)
CELLS = sorted(h3.grid_disk(C0, 5))
DAY = datetime(2026, 11, 20, tzinfo=UTC)
END = DAY + timedelta(hours=24)


def at(hours: float) -> str:
    return (DAY + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def sensor(
    rid: str,
    status: str,
    start: float,
    end: float,
    footprint: dict[str, object],
    *,
    lon: float = LON0,
    lat: float = LAT0,
    sid: str = "CAM-1",
) -> SensorStatus:
    record = read_line(
        {"kind": "sensor_status", "id": rid, "status": status, "start": at(start), "end": at(end),
         "sensor": {"id": sid, "kind": "camera", "lon": lon, "lat": lat, "footprint": footprint}}
    )  # fmt: skip
    assert isinstance(record, SensorStatus)
    return record


def track(rid: str, points: list[tuple[float, float, float]], width_m: float) -> Patrol:
    record = read_line(
        {"kind": "patrol", "id": rid, "mode": "actual", "width_m": width_m,
         "start": at(points[0][2]), "end": at(points[-1][2]),
         "route": [{"lon": lo, "lat": la, "at": at(t)} for lo, la, t in points]}
    )  # fmt: skip
    assert isinstance(record, Patrol)
    return record


def centres_within(lon: float, lat: float, range_m: float) -> set[str]:
    out = set()
    for c in CELLS:
        clat, clon = h3.cell_to_latlng(c)
        _, _, d = GEOD.inv(lon, lat, clon, clat)
        assert abs(d - range_m) > 5.0, "a centre on the edge would make the fixture ambiguous"
        if d < range_m:
            out.add(c)
    return out


@pytest.fixture(scope="module")
def area() -> MonitoredArea:
    # Two oblasts: "Inner" is C0 and its 6 neighbours, "Outer" the other 84 cells.
    inner = set(h3.grid_disk(C0, 1))
    return MonitoredArea.of_cells(CELLS, {c: "Inner" if c in inner else "Outer" for c in CELLS})


def shares(area: MonitoredArea, cov: object) -> dict[str, np.ndarray]:
    from ceasefire.coverage.compute import Coverage

    assert isinstance(cov, Coverage)
    return {str(area.cells[i]): row for i, row in zip(cov.cells, cov.share(), strict=True)}


def test_a_ring_up_6_of_24_hours(area: MonitoredArea) -> None:
    # Up 06:00-12:00: each of the 7 centres within 3 km is seen hours 6..11 whole, so 6/24 =
    # 0.25 of the day; no other cell is seen.
    s = sensor("s1", "up", 6, 12, {"shape": "ring", "range_m": 3000.0})
    cov = compute(area, [s], [], DAY, END)
    seen = shares(area, cov)
    expected = centres_within(LON0, LAT0, 3000.0)
    assert len(expected) == 7
    assert set(seen) == expected
    for row in seen.values():
        assert row.tolist() == [0.0] * 6 + [1.0] * 6 + [0.0] * 12
    by_cell = dict(zip(area.cells[cov.cells].tolist(), cov.cell_shares().tolist(), strict=True))
    assert by_cell == dict.fromkeys(expected, 0.25)
    # Inner's 7 cells are the ring's: 0.25. Outer: nothing seen.
    assert cov.by_oblast() == {"Inner": 0.25, "Outer": 0.0}


def test_down_and_jammed_see_nothing(area: MonitoredArea) -> None:
    ring = {"shape": "ring", "range_m": 3000.0}
    cov = compute(area, [sensor("d", "down", 0, 24, ring), sensor("j", "jammed", 0, 24, ring)],
                  [], DAY, END)  # fmt: skip
    assert cov.cells.size == 0
    assert cov.by_oblast() == {"Inner": 0.0, "Outer": 0.0}


def test_overlapping_sensors_count_once(area: MonitoredArea) -> None:
    # Up 06-12 and, a second sensor on the same spot, 09-15: seen 06-15, 9 h = 0.375 of the day
    # (not 12 h).
    ring = {"shape": "ring", "range_m": 3000.0}
    a = sensor("a", "up", 6, 12, ring)
    b = sensor("b", "up", 9, 15, ring, sid="CAM-2")
    cov = compute(area, [a, b], [], DAY, END)
    assert set(cov.cell_shares().tolist()) == {0.375}
    assert cov.by_oblast()["Inner"] == 0.375


def test_a_window_clips_the_status(area: MonitoredArea) -> None:
    # Up from the day before at 20:00 to 02:30: in the window 00:00-02:30, so hours 0 and 1
    # whole and half of hour 2: 2.5 h of 24.
    s = sensor("s", "up", -4, 2.5, {"shape": "ring", "range_m": 3000.0})
    cov = compute(area, [s], [], DAY, END)
    row = cov.share()[0]
    assert row[:4].tolist() == [1.0, 1.0, 0.5, 0.0]
    assert cov.cell_shares()[0] == pytest.approx(2.5 / 24)


def test_a_sector_sees_its_half_plane_only(area: MonitoredArea) -> None:
    # A radar 500 m west of C0's centre looking from bearing 10 to 170 (east) out to 5 km.
    # Which centres: those within 5 km whose bearing from the radar is in (10, 170). With C0's
    # centre 500 m east (bearing 90) and the neighbours on all sides, the east side's are in and
    # the west side's out; nothing at the edges (checked below).
    lon, lat, _ = GEOD.fwd(LON0, LAT0, 270.0, 500.0)
    s = sensor("r", "up", 0, 24,
               {"shape": "sector", "range_m": 5000.0, "bearing_from": 10.0, "bearing_to": 170.0},
               lon=lon, lat=lat)  # fmt: skip
    expected = set()
    for c in centres_within(lon, lat, 5000.0):
        clat, clon = h3.cell_to_latlng(c)
        az, _, _ = GEOD.inv(lon, lat, clon, clat)
        az %= 360.0
        assert min(abs(az - 10.0), abs(az - 170.0)) > 1.0
        if 10.0 < az < 170.0:
            expected.add(c)
    cov = compute(area, [s], [], DAY, END)
    seen = set(area.cells[cov.cells].tolist())
    assert C0 in seen
    assert seen == expected
    west = {c for c in CELLS if h3.cell_to_latlng(c)[1] < lon}
    assert not seen & west


def test_a_sector_through_north(area: MonitoredArea) -> None:
    # 300 -> 60 wraps through north: only centres north of C0 (within 5 km) are seen, and C0's
    # own: the radar stands on it (the sector's apex, on its edge, counts as seen).
    s = sensor("n", "up", 0, 24,
               {"shape": "sector", "range_m": 5000.0, "bearing_from": 300.0, "bearing_to": 60.0})  # fmt: skip
    cov = compute(area, [s], [], DAY, END)
    seen = set(area.cells[cov.cells].tolist())
    assert C0 in seen and len(seen) > 1
    assert all(h3.cell_to_latlng(c)[0] > LAT0 for c in seen - {C0})


def test_a_patrol_for_30_minutes_of_an_hour(area: MonitoredArea) -> None:
    # A patrol standing at C0's centre from 10:15 to 10:45, seeing 500 m around: C0 (its
    # neighbours are 2.3 km off) is seen half of hour 10: 0.5; the day: 0.5 / 24.
    p = track("p", [(LON0, LAT0, 10.25), (LON0, LAT0, 10.75)], 500.0)
    cov = compute(area, [], [p], DAY, END)
    assert area.cells[cov.cells].tolist() == [C0]
    assert cov.share()[0].tolist() == [0.0] * 10 + [0.5] + [0.0] * 13


def test_a_moving_patrol_sees_a_cell_for_the_minutes_it_is_near(area: MonitoredArea) -> None:
    # East through C0's centre, 6 km either side, 10:00 to 10:12: 1 km a minute. Seeing 1 km
    # either side, it is within 1 km of C0's centre from 10:05 to 10:07: 2 minutes = 1/30 of
    # hour 10. (Distances in the area's transverse Mercator are true to < 0.01 % here.)
    west = GEOD.fwd(LON0, LAT0, 270.0, 6000.0)
    east = GEOD.fwd(LON0, LAT0, 90.0, 6000.0)
    p = track("m", [(west[0], west[1], 10.0), (east[0], east[1], 10.2)], 1000.0)
    cov = compute(area, [], [p], DAY, END)
    seen = shares(area, cov)
    assert seen[C0][10] == pytest.approx(2 / 60, abs=1e-4)
    assert seen[C0].sum() == pytest.approx(2 / 60, abs=1e-4)


def test_a_planned_route_sees_nothing(area: MonitoredArea) -> None:
    plan = read_line(
        {"kind": "patrol", "id": "p", "mode": "planned", "width_m": 500.0,
         "start": at(10), "end": at(11), "route": [{"lon": LON0, "lat": LAT0}]}
    )  # fmt: skip
    assert isinstance(plan, Patrol)
    assert compute(area, [], [plan], DAY, END).cells.size == 0


def test_a_short_last_hour(area: MonitoredArea) -> None:
    # A 90-minute window, seen all of it: hour 0 whole, the 30-minute hour 1 whole too.
    s = sensor("s", "up", 0, 24, {"shape": "ring", "range_m": 3000.0})
    cov = compute(area, [s], [], DAY, DAY + timedelta(minutes=90))
    assert cov.hours == 2
    assert cov.share()[0].tolist() == [1.0, 1.0]
    assert cov.by_oblast()["Inner"] == 1.0
