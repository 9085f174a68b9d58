"""A month of hourly coverage over the demo's monitored area: ours against a loop over shapely.

The demo agreement's monitored area (its DMZ as H3 resolution 7 cells, ~7,100), 40 sensors
(rings and sectors of 3 to 10 km) whose status changes every 1 to 12 hours for 30 days (up,
down or jammed), and 20 patrols (tracks of 12 timed points, seeing 1 to 3 km either side).

Ours: :func:`ceasefire.coverage.compute` on every cell and hour (the month is 720 hours).
The peer: the same question asked the plain way, cell by cell and hour by hour: for each hour,
the status intervals and track segments that overlap it; for each, shapely's test of the cell
centre against the footprint (``intersects``: in it or on its edge, a ``Point`` per test), or for a segment the part of it within
reach of the centre (``intersection`` with a disc, 64 segments a quarter) and its times; the
intervals merged and added up. The peer is run on a sample of the cells some footprint reaches
(every cell but those no sensor or patrol comes near would only add zeros), and both must give
the same shares there (``same_answer``: within 0.001 of an hour, the disc's polygon against the
exact circle). The ratio is per cell-hour.

Usage: ``python benchmarks/coverage.py [--quick]``. Prints one JSON line per measurement.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import shapely
from shapely.geometry import LineString, Point

from ceasefire.agreement.load import demo_agreement_path, load_agreement
from ceasefire.coverage import MonitoredArea, compute, read_line, report_section, to_dict
from ceasefire.coverage.footprints import route_xy, sensor_footprint
from ceasefire.coverage.model import Patrol, SensorStatus, kind_of

START = datetime(2026, 11, 1, tzinfo=UTC)
HOUR = 3600.0


def emit(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


def _z(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def records(area: MonitoredArea, days: int, n_sensors: int, n_patrols: int) -> list[Any]:
    rng = np.random.default_rng(20)
    end = START + timedelta(days=days)
    out: list[Any] = []
    for k, i in enumerate(rng.choice(len(area), n_sensors, replace=False)):
        if k % 2:
            footprint: dict[str, Any] = {
                "shape": "ring",
                "range_m": float(rng.integers(3, 11)) * 1000,
            }
        else:
            b = float(rng.integers(0, 360))
            footprint = {"shape": "sector", "range_m": float(rng.integers(3, 11)) * 1000,
                         "bearing_from": b, "bearing_to": (b + float(rng.integers(60, 180))) % 360}  # fmt: skip
        sensor = {"id": f"S-{k:02d}", "kind": "camera", "lon": float(area.lon[i]),
                  "lat": float(area.lat[i]), "footprint": footprint}  # fmt: skip
        t = START - timedelta(hours=3)
        n = 0
        while t < end:
            t1 = t + timedelta(minutes=int(rng.integers(60, 12 * 60)))
            state = str(rng.choice(["up", "up", "up", "down", "jammed"]))
            out.append(read_line({"kind": "sensor_status", "id": f"S-{k:02d}-{n}", "sensor": sensor,
                                  "status": state, "start": _z(t), "end": _z(t1)}))  # fmt: skip
            t, n = t1, n + 1
    for k in range(n_patrols):
        i = int(rng.integers(len(area)))
        lon, lat = float(area.lon[i]), float(area.lat[i])
        t = START + timedelta(days=int(rng.integers(days)), hours=int(rng.integers(24)))
        route = []
        for _ in range(12):
            route.append({"lon": round(lon, 5), "lat": round(lat, 5), "at": _z(t)})
            lon += float(rng.normal(0, 0.03))
            lat += float(rng.normal(0, 0.02))
            t += timedelta(minutes=int(rng.integers(5, 40)))
        out.append(read_line({"kind": "patrol", "id": f"P-{k}", "mode": "actual",
                              "width_m": float(rng.integers(1, 4)) * 1000, "route": route,
                              "start": route[0]["at"], "end": route[-1]["at"]}))  # fmt: skip
    return out


def peer(area: MonitoredArea, statuses: list[SensorStatus], patrols: list[Patrol],
         cells: np.ndarray, hours: int) -> np.ndarray:  # fmt: skip
    """Seconds seen per cell and hour, cell by cell and hour by hour with shapely."""
    total = hours * HOUR
    pieces: list[tuple[Any, float, float]] = []  # (geometry, from s, to s)
    for s in statuses:
        if s.status == "up":
            a = max((s.start - START).total_seconds(), 0.0)
            b = min((s.end - START).total_seconds(), total)
            if b > a:
                fp = s.sensor.footprint
                pieces.append((sensor_footprint(area.plane, s.sensor.lon, s.sensor.lat, fp), a, b))
    segments: list[tuple[LineString, float, float, float]] = []
    for p in patrols:
        xy = route_xy(area.plane, p)
        times = [((q.at or p.start) - START).total_seconds() for q in p.route]
        for k in range(len(xy) - 1):
            if times[k + 1] > times[k] and not np.array_equal(xy[k], xy[k + 1]):
                segments.append((LineString([xy[k], xy[k + 1]]), times[k], times[k + 1], p.width_m))
    by_hour: list[list[int]] = [[] for _ in range(hours)]
    for n, (_, a, b) in enumerate(pieces):
        for h in range(int(a // HOUR), min(int(np.ceil(b / HOUR)), hours)):
            by_hour[h].append(n)
    seg_hour: list[list[int]] = [[] for _ in range(hours)]
    for n, (_, a, b, _w) in enumerate(segments):
        for h in range(int(a // HOUR), min(int(np.ceil(b / HOUR)), hours)):
            seg_hour[h].append(n)
    out = np.zeros((len(cells), hours))
    for row, c in enumerate(cells):
        centre = Point(area.x[c], area.y[c])
        disc: dict[float, Any] = {}
        for h in range(hours):
            h0, h1 = h * HOUR, (h + 1) * HOUR
            spans = []
            for n in by_hour[h]:
                geom, a, b = pieces[n]
                if geom.intersects(centre):
                    spans.append((max(a, h0), min(b, h1)))
            for n in seg_hour[h]:
                seg, a, b, w = segments[n]
                if seg.distance(centre) > w:
                    continue
                if w not in disc:
                    disc[w] = centre.buffer(w, quad_segs=64)
                part = seg.intersection(disc[w])
                if part.is_empty:
                    continue
                ends = shapely.get_coordinates(part)
                fr = [seg.project(Point(e), normalized=True) for e in ends]
                ta, tb = a + min(fr) * (b - a), a + max(fr) * (b - a)
                spans.append((max(ta, h0), min(tb, h1)))
            spans = sorted(x for x in spans if x[1] > x[0])
            seen, reach = 0.0, -1.0
            for a, b in spans:
                if b <= reach:
                    continue
                seen += b - max(a, reach)
                reach = b
            out[row, h] = seen
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="a week, fewer cells for the peer")
    args = parser.parse_args()
    days = 7 if args.quick else 30
    agreement = load_agreement(demo_agreement_path())
    t = time.perf_counter()
    area = MonitoredArea.of_agreement(agreement)
    emit(step="monitored area", cells=len(area), seconds=round(time.perf_counter() - t, 3))
    recs = records(area, days, 40, 20)
    statuses = [r for r in recs if isinstance(r, SensorStatus)]
    patrols = [r for r in recs if isinstance(r, Patrol)]
    end = START + timedelta(days=days)
    hours = days * 24
    t = time.perf_counter()
    ours = compute(area, statuses, patrols, START, end)
    ours_s = time.perf_counter() - t
    emit(step="ours: compute", records=len(recs), cells=len(area), hours=hours,
         cell_hours=len(area) * hours, touched_cells=int(ours.cells.size),
         seconds=round(ours_s, 3))  # fmt: skip
    leaves = [(kind_of(r), {kind_of(r): to_dict(r)}) for r in recs]
    t = time.perf_counter()
    section = report_section(leaves, START, end, area)
    emit(step="ours: report_section from leaves", leaves=len(leaves),
         sensors_down=len(section["sensors_down"]), seconds=round(time.perf_counter() - t, 3))  # fmt: skip
    rng = np.random.default_rng(5)
    sample = np.sort(rng.choice(ours.cells, min(40 if args.quick else 60, ours.cells.size),
                                replace=False))  # fmt: skip
    t = time.perf_counter()
    theirs = peer(area, statuses, patrols, sample, hours)
    peer_s = time.perf_counter() - t
    mine = ours.seconds[np.searchsorted(ours.cells, sample)]
    diff = float(np.abs(mine - theirs).max() / HOUR)
    per_ours = ours_s / (len(area) * hours)
    per_peer = peer_s / (len(sample) * hours)
    emit(step="peer: shapely point tests, cell by cell and hour by hour", cells=int(sample.size),
         hours=hours, seconds=round(peer_s, 3), max_share_difference=round(diff, 6),
         same_answer=diff < 1e-3)  # fmt: skip
    emit(step="ratio per cell-hour (peer / ours)", ours_us=round(per_ours * 1e6, 4),
         peer_us=round(per_peer * 1e6, 2), ratio=round(per_peer / per_ours, 1),
         peer_month_estimate_s=round(per_peer * len(area) * hours, 1))  # fmt: skip
    if diff >= 1e-3:
        raise SystemExit("ours and the peer disagree")


if __name__ == "__main__":
    main()
