"""Coverage per cell and hour: the share of each hour some working sensor or a patrol saw a cell.

A cell is seen while its centre lies in the footprint of a sensor whose status is ``up``, or
within ``width_m`` of a patrol's actual track at the moment the patrol is there. Planned routes
see nothing (a plan is not an observation); ``down`` and ``jammed`` see nothing.

The work is arrays, not loops over cells or hours:

1. each footprint's cells: one ``shapely.contains_xy`` over the cells in its bounding box (a
   ``searchsorted`` slice of the cells sorted by x), once per distinct footprint however many
   status intervals it has;
2. a track's times: along each segment, walked at constant speed from one timed point to the
   next, the patrol is within ``w`` of a centre ``c`` while ``|p0 + s d - c|² <= w²``, a
   quadratic in ``s``: solved for all candidate cells of the segment at once (the exact minutes
   the patrol is there, not the segment's whole time);
3. the (cell, seen from, seen to) intervals are merged per cell (sorted, a running maximum of
   the ends: two sensors seeing a cell at once count once) and spread over the hours with a
   difference array (whole hours) plus the two partial hours at each end.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

import numpy as np
import numpy.typing as npt

from ceasefire.coverage.footprints import route_xy, sensor_footprint
from ceasefire.coverage.grid import MonitoredArea
from ceasefire.coverage.model import Patrol, SensorStatus
from ceasefire.errors import InputError, Problem

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
HOUR: Final = 3600.0
#: The longest window computed at once (a year of hours); a longer one is a typo.
MAX_HOURS: Final = 24 * 366


@dataclass(frozen=True)
class Coverage:
    """Seconds seen per touched cell and hour of ``[start, end)``.

    ``cells`` are indices into ``area`` (sorted); ``seconds[i, h]`` is how long cell
    ``cells[i]`` was seen during hour ``h`` (from ``start + h hours``). Cells of the area not in
    ``cells`` were not seen at all. The last hour may be short when the window is not whole
    hours (``hour_seconds``).
    """

    area: MonitoredArea
    start: datetime
    end: datetime
    cells: I64
    seconds: F64

    @property
    def hours(self) -> int:
        return int(self.seconds.shape[1])

    @property
    def hour_seconds(self) -> F64:
        """The length of each hour of the window (s): 3600 but for a short last one."""
        total = (self.end - self.start).total_seconds()
        edges = np.minimum(np.arange(self.hours + 1) * HOUR, total)
        out: F64 = np.diff(edges)
        return out

    def share(self) -> F64:
        """The share of each hour each touched cell was seen (``cells`` x ``hours``)."""
        out: F64 = self.seconds / self.hour_seconds[None, :]
        return out

    def cell_shares(self) -> F64:
        """The share of the whole window each touched cell was seen."""
        out: F64 = self.seconds.sum(axis=1) / (self.end - self.start).total_seconds()
        return out

    def by_oblast(self) -> dict[str, float]:
        """Per oblast: the mean share over its cells of the area and the hours of the window
        (cells never seen count as 0), by oblast name."""
        names = self.area.oblast
        if not names.size:
            return {}
        uniq, code = np.unique(names.astype(str), return_inverse=True)
        n_cells = np.bincount(code, minlength=uniq.size).astype(float)
        seen = np.bincount(code[self.cells], weights=self.seconds.sum(axis=1), minlength=uniq.size)
        total = (self.end - self.start).total_seconds()
        return {str(u): float(seen[i] / (n_cells[i] * total)) for i, u in enumerate(uniq)}


def hours_of(start: datetime, end: datetime) -> int:
    """How many hours (the last maybe short) the window ``[start, end)`` has."""
    if start.tzinfo is None or end.tzinfo is None:
        raise InputError(Problem("window", "start", "start and end must carry a UTC offset"))
    if end <= start:
        raise InputError(Problem("window", "end", "must be after start"))
    hours = int(np.ceil((end - start) / timedelta(hours=1)))
    if hours > MAX_HOURS:
        raise InputError(Problem("window", "end", f"the window may be at most {MAX_HOURS} hours"))
    return hours


def compute(
    area: MonitoredArea,
    statuses: Iterable[SensorStatus],
    patrols: Iterable[Patrol],
    start: datetime,
    end: datetime,
) -> Coverage:
    """The coverage of ``area`` over ``[start, end)`` (see the module docstring)."""
    hours = hours_of(start, end)
    total = (end - start).total_seconds()
    cells: list[I64] = []
    t0s: list[F64] = []
    t1s: list[F64] = []
    footprint_cells: dict[tuple[object, ...], I64] = {}
    for s in statuses:
        if s.status != "up":
            continue
        a = max((s.start - start).total_seconds(), 0.0)
        b = min((s.end - start).total_seconds(), total)
        if b <= a:
            continue
        f = s.sensor.footprint
        key = (s.sensor.lon, s.sensor.lat, f.shape, f.range_m, f.bearing_from, f.bearing_to)
        idx = footprint_cells.get(key)
        if idx is None:
            poly = sensor_footprint(area.plane, s.sensor.lon, s.sensor.lat, f)
            idx = footprint_cells[key] = area.inside(poly).astype(np.int64)
        cells.append(idx)
        t0s.append(np.full(idx.size, a))
        t1s.append(np.full(idx.size, b))
    for p in patrols:
        if p.mode != "actual":
            continue
        for idx, a_arr, b_arr in _track_intervals(area, p, start):
            a_arr = np.maximum(a_arr, 0.0)
            b_arr = np.minimum(b_arr, total)
            keep = b_arr > a_arr
            cells.append(idx[keep])
            t0s.append(a_arr[keep])
            t1s.append(b_arr[keep])
    if not cells:
        return Coverage(area, start, end, np.zeros(0, np.int64), np.zeros((0, hours)))
    return _binned(area, start, end, np.concatenate(cells), np.concatenate(t0s),
                   np.concatenate(t1s), hours)  # fmt: skip


def _track_intervals(
    area: MonitoredArea, patrol: Patrol, start: datetime
) -> Iterable[tuple[I64, F64, F64]]:
    """Per segment of a track: the candidate cells and when (s from ``start``) the patrol was
    within ``width_m`` of each centre (an empty interval where it never was)."""
    xy = route_xy(area.plane, patrol)
    times = np.array([((p.at or patrol.start) - start).total_seconds() for p in patrol.route])
    w = patrol.width_m
    if len(xy) == 1:  # one point: there from the patrol's start to its end
        xy = np.vstack([xy, xy])
        times = np.array(
            [(patrol.start - start).total_seconds(), (patrol.end - start).total_seconds()]
        )
    for k in range(len(xy) - 1):
        (x0, y0), (x1, y1) = xy[k], xy[k + 1]
        ta, tb = times[k], times[k + 1]
        if tb <= ta:
            continue  # no time spent on the segment (two points at one instant)
        idx = area.candidates(min(x0, x1) - w, min(y0, y1) - w, max(x0, x1) + w, max(y0, y1) + w)
        if not idx.size:
            continue
        dx, dy = x1 - x0, y1 - y0
        fx, fy = x0 - area.x[idx], y0 - area.y[idx]
        dd = dx * dx + dy * dy
        ff = fx * fx + fy * fy - w * w
        if dd == 0.0:  # standing still: there the whole segment's time if within reach
            s_in = np.where(ff <= 0.0, 0.0, 1.0)
            s_out = np.where(ff <= 0.0, 1.0, 0.0)
        else:
            fd = fx * dx + fy * dy
            disc = fd * fd - dd * ff
            root = np.sqrt(np.maximum(disc, 0.0))
            s_in = np.clip((-fd - root) / dd, 0.0, 1.0)
            s_out = np.where(disc >= 0.0, np.clip((-fd + root) / dd, 0.0, 1.0), 0.0)
        yield idx.astype(np.int64), ta + s_in * (tb - ta), ta + s_out * (tb - ta)


def _binned(
    area: MonitoredArea, start: datetime, end: datetime, cell: I64, a: F64, b: F64, hours: int
) -> Coverage:
    # Merge overlapping intervals per cell: sort by (cell, a); a running maximum of b that
    # cannot carry from one cell to the next (each cell's ends are offset past the last's).
    order = np.lexsort((a, cell))
    cell, a, b = cell[order], a[order], b[order]
    span = float(max(b.max(), 0.0)) + 1.0
    run = np.maximum.accumulate(b + cell * span) - cell * span
    prev_end = np.r_[-np.inf, run[:-1]]
    new = np.r_[True, cell[1:] != cell[:-1]] | (a > prev_end)
    group = np.cumsum(new) - 1
    m_cell = cell[new]
    m_a = a[new]
    m_b = np.zeros(m_cell.size)
    np.maximum.at(m_b, group, b)
    touched, row = np.unique(m_cell, return_inverse=True)
    seconds = np.zeros((touched.size, hours + 1))
    full = np.zeros((touched.size, hours + 2))
    ha = np.floor(m_a / HOUR).astype(np.int64)
    hb = np.floor(m_b / HOUR).astype(np.int64)
    same = ha == hb
    np.add.at(seconds, (row[same], ha[same]), m_b[same] - m_a[same])
    cross = ~same
    r, ha_c, hb_c = row[cross], ha[cross], hb[cross]
    np.add.at(seconds, (r, ha_c), (ha_c + 1) * HOUR - m_a[cross])
    np.add.at(seconds, (r, hb_c), m_b[cross] - hb_c * HOUR)
    np.add.at(full, (r, ha_c + 1), 1.0)
    np.add.at(full, (r, hb_c), -1.0)
    seconds[:, : hours + 1] += np.cumsum(full, axis=1)[:, : hours + 1] * HOUR
    return Coverage(area, start, end, touched.astype(np.int64), seconds[:, :hours])
