"""Space-time grids for fusion: which incidents and coarse reports a report can reach.

Both decisions of fusion that look beyond a report's own neighbourhood, which anchored incident a
coarse report joins and which unattached coarse reports it links to, only ever pair things within
a known reach in space (the report's radius plus the incident's plus one neighbourhood) and in
time (one neighbourhood window). Scanning by time alone visits every incident of the theatre in
the window; these grids visit only the cells the reach touches.

A cell is keyed ``(group, level, time bucket, x cell, y cell)``. Level ``L`` of group ``g`` has
square cells of side ``base_m[g] * 4**L`` in projected metres: the caller sizes ``base_m`` from the
group's reach, so a point-like report's reach fits level 0, and a report placed only to a town or
an oblast (tens to hundreds of km) fits a coarser level, where its lookup still visits a handful of
cells instead of thousands. Multiplying by 4 is exact in floating point, so every path computes
the same cell sides. Time buckets (an hour, or the group's window where longer) double with each
of the first levels too: a report that reaches across an oblast usually spans hours.

:class:`SpaceTimeGrid` is the incremental index of :class:`ceasefire.fusion.incremental.Fuser` (dict of
cells, Python lookups of a few dozen cells); :func:`grid_pairs` is the bulk join of
:func:`ceasefire.fusion.bulk.fuse` (sorted cell keys, numpy throughout). Both return a superset of the
pairs within reach, never missing one; the exact test is the caller's.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

#: Each level's cells are this many times wider than the level below (a power of two: exact).
LEVEL_FACTOR = 4
#: Levels whose sides are precomputed; the last is wider than the Earth for any sane base.
MAX_LEVELS = 24
# Cell indices are clipped to +-2**20 in the bulk keys (monotone, so no pair is lost) so that
# (group, x cell, y cell) packs into one int64.
_CLIP = 1 << 20
# Time buckets double with each level up to this many times, so a wide report's lookup visits
# one or two buckets, not a dozen (measured: fewer lookups outweigh the extra candidates).
_BUCKET_DOUBLINGS = 2
# Queries per block of the bulk join, and the most candidate pairs handed back at once.
_QUERY_BLOCK = 1 << 15
_PAIR_BLOCK = 1 << 22

CellKey = tuple[int, int, int, int, int]


class SpaceTimeGrid:
    """Integer items in cells of ``(group, level, time bucket, x cell, y cell)``.

    An item is a point placed at one level (or several, by adding it once per level) that spans
    the time buckets of its window ``[t0, t1]``. :meth:`near` lists the items of every cell that
    a box around a point touches, over the buckets of a time window.
    """

    def __init__(self, base_m: Sequence[float], bucket_s: Sequence[int]) -> None:
        self._size = [
            [float(b) * float(LEVEL_FACTOR) ** lv for lv in range(MAX_LEVELS)] for b in base_m
        ]
        self._bucket = [
            [int(s) << min(lv, _BUCKET_DOUBLINGS) for lv in range(MAX_LEVELS)] for s in bucket_s
        ]
        self.cells: dict[CellKey, list[int]] = {}
        #: Levels that have held an item, per group (a lookup of "any level" visits these).
        self.levels: list[list[int]] = [[] for _ in base_m]

    def size(self, g: int, level: int) -> float:
        """Side of the cells of group ``g`` at ``level`` (metres)."""
        return self._size[g][level]

    def level_for(self, g: int, reach: float) -> int:
        """The finest level whose cells are at least ``reach`` wide."""
        for level, side in enumerate(self._size[g]):
            if side >= reach:
                return level
        return MAX_LEVELS - 1

    def levels_for(self, g: npt.NDArray[np.integer], reach: F64) -> I64:
        """:meth:`level_for` of many items at once (the sides grow with the level, so the
        finest that fits is where ``reach`` sorts among them)."""
        level = np.empty(reach.size, dtype=np.int64)
        for gg in np.unique(g).tolist():
            at = g == gg
            level[at] = np.searchsorted(self._size[gg], reach[at], side="left")
        out: I64 = np.minimum(level, MAX_LEVELS - 1)
        return out

    def _cells(self, g: int, level: int, x: float, y: float, t0: int, t1: int) -> list[CellKey]:
        side, b = self._size[g][level], self._bucket[g][level]
        cx, cy = math.floor(x / side), math.floor(y / side)
        return [(g, level, tb, cx, cy) for tb in range(t0 // b, t1 // b + 1)]

    def add(self, item: int, g: int, level: int, x: float, y: float, t0: int, t1: int) -> None:
        for key in self._cells(g, level, x, y, t0, t1):
            self.cells.setdefault(key, []).append(item)
        if level not in self.levels[g]:
            self.levels[g].append(level)
            self.levels[g].sort()

    def remove(self, item: int, g: int, level: int, x: float, y: float, t0: int, t1: int) -> None:
        """Take out an item added with the same arguments."""
        for key in self._cells(g, level, x, y, t0, t1):
            items = self.cells[key]
            items.remove(item)
            if not items:
                del self.cells[key]

    def add_many(
        self,
        items: I64,
        g: npt.NDArray[np.integer],
        level: I64,
        x: F64,
        y: F64,
        t0: I64,
        t1: I64,
    ) -> None:
        """:meth:`add` for many items at once: keys in numpy, the same ones :meth:`add` gives."""
        if items.size == 0:
            return
        gi = g.astype(np.int64)
        side = np.array(self._size, dtype=np.float64)[gi, level]
        b = np.array(self._bucket, dtype=np.int64)[gi, level]
        cx, cy = np.floor(x / side).astype(np.int64), np.floor(y / side).astype(np.int64)
        b0, b1 = t0 // b, t1 // b
        rep, off = _expand(b1 - b0 + 1)
        tb = b0[rep] + off
        cells = self.cells
        for key, item in zip(
            zip(
                gi[rep].tolist(),
                level[rep].tolist(),
                tb.tolist(),
                cx[rep].tolist(),
                cy[rep].tolist(),
                strict=True,
            ),
            items[rep].tolist(),
            strict=True,
        ):
            cells.setdefault(key, []).append(item)
        for gg, lv in set(zip(gi.tolist(), level.tolist(), strict=True)):
            if lv not in self.levels[gg]:
                self.levels[gg].append(lv)
                self.levels[gg].sort()

    def near(
        self, out: list[int], g: int, level: int, x: float, y: float, r: float, t0: float, t1: float
    ) -> None:
        """Append to ``out`` the items of the cells that the box ``x +- r, y +- r`` touches at
        ``level``, over the buckets of ``[t0, t1]`` (an item may come more than once)."""
        side, b = self._size[g][level], self._bucket[g][level]
        xs = range(math.floor((x - r) / side), math.floor((x + r) / side) + 1)
        ys = range(math.floor((y - r) / side), math.floor((y + r) / side) + 1)
        keys = [
            (g, level, tb, cx, cy)
            for tb in range(int(t0 // b), int(t1 // b) + 1)
            for cx in xs
            for cy in ys
        ]
        for items in map(self.cells.get, keys):
            if items is not None:
                out += items


def _cell_key(g: I64, cx: I64, cy: I64) -> I64:
    out: I64 = (g * (2 * _CLIP) + np.clip(cx, -_CLIP, _CLIP - 1) + _CLIP) * (2 * _CLIP) + (
        np.clip(cy, -_CLIP, _CLIP - 1) + _CLIP
    )
    return out


def _expand(size: I64) -> tuple[I64, I64]:
    """For runs of the given sizes: the run of each element and its offset within the run."""
    run = np.repeat(np.arange(size.size, dtype=np.int64), size)
    offset = np.arange(run.size, dtype=np.int64) - np.repeat(np.cumsum(size) - size, size)
    return run, offset


def grid_pairs(
    points: tuple[F64, F64, npt.NDArray[np.integer], I64, I64],
    queries: tuple[F64, F64, npt.NDArray[np.integer], F64, F64, F64],
    base_m: F64,
) -> Iterator[tuple[I64, I64]]:
    """Candidate (query, point) pairs of a bulk join, in blocks.

    ``points`` are ``(x, y, group, t0, t1)``; ``queries`` are ``(x, y, group, r, lo, hi)``.
    Every pair of one group whose point lies in the box ``x +- r, y +- r`` around the query and
    whose window ``[t0, t1]`` meets ``[lo, hi]`` is yielded exactly once, with some pairs that
    miss (the caller's exact test drops them). All pairs of one query come in the same block.
    Callers give ``r`` a metre or two of slack, so rounding at a cell edge never loses a pair.

    Each query uses the finest level whose cells are at least half its box, so it visits at most
    5 x 5 cells; points are binned at each level some query uses, sorted by (cell, t0), and each
    visited cell gives one ``searchsorted`` range of start times, widened by the longest point
    window of the group.
    """
    px, py, pg, pt0, pt1 = points
    qx, qy, qg, qr, qlo, qhi = queries
    if px.size == 0 or qx.size == 0:
        return
    pg64, qg64 = pg.astype(np.int64), qg.astype(np.int64)
    n_groups = int(max(pg64.max(), qg64.max())) + 1
    longest = np.zeros(n_groups, dtype=np.int64)
    np.maximum.at(longest, pg64, pt1 - pt0)
    times = np.unique(pt0)  # start times as ranks: the (cell, time) key stays small
    lo_rank = np.searchsorted(times, qlo - longest[qg64], side="left")
    hi_rank = np.searchsorted(times, qhi, side="right")  # ranks below this start <= hi
    base = np.asarray(base_m, dtype=np.float64)
    level = np.zeros(qx.size, dtype=np.int64)
    side = base[qg64].copy()
    while True:
        small = 2.0 * side < qr
        if not small.any():
            break
        level[small] += 1
        side[small] *= LEVEL_FACTOR
    for lv in np.unique(level).tolist():
        pside = base[pg64] * float(LEVEL_FACTOR) ** lv
        pkey = _cell_key(
            pg64, np.floor(px / pside).astype(np.int64), np.floor(py / pside).astype(np.int64)
        )
        cells, pcell = np.unique(pkey, return_inverse=True)
        comp = pcell.astype(np.int64) * times.size + np.searchsorted(times, pt0)
        order = np.argsort(comp, kind="stable")
        comp = comp[order]
        at = np.flatnonzero(level == lv)
        for start in range(0, at.size, _QUERY_BLOCK):
            yield from _join_block(
                at[start : start + _QUERY_BLOCK],
                qx,
                qy,
                qg64,
                qr,
                side,
                lo_rank,
                hi_rank,
                cells,
                comp,
                order,
                times.size,
            )


def _join_block(
    q: I64,
    qx: F64,
    qy: F64,
    qg: I64,
    qr: F64,
    side: F64,
    lo_rank: I64,
    hi_rank: I64,
    cells: I64,
    comp: I64,
    order: I64,
    n_times: int,
) -> Iterator[tuple[I64, I64]]:
    """The pairs of queries ``q`` (one level) against the sorted (cell, time) keys ``comp``."""
    s = side[q]
    x0 = np.floor((qx[q] - qr[q]) / s).astype(np.int64)
    x1 = np.floor((qx[q] + qr[q]) / s).astype(np.int64)
    y0 = np.floor((qy[q] - qr[q]) / s).astype(np.int64)
    y1 = np.floor((qy[q] + qr[q]) / s).astype(np.int64)
    x0, x1 = np.clip(x0, -_CLIP, _CLIP - 1), np.clip(x1, -_CLIP, _CLIP - 1)
    y0, y1 = np.clip(y0, -_CLIP, _CLIP - 1), np.clip(y1, -_CLIP, _CLIP - 1)
    ny = y1 - y0 + 1
    row, off = _expand((x1 - x0 + 1) * ny)
    key = _cell_key(qg[q][row], x0[row] + off // ny[row], y0[row] + off % ny[row])
    at = np.minimum(np.searchsorted(cells, key), cells.size - 1)
    hit = cells[at] == key
    row, at = row[hit], at[hit]
    qq = q[row]
    first = np.searchsorted(comp, at * n_times + lo_rank[qq], side="left")
    stop = np.searchsorted(comp, at * n_times + hi_rank[qq], side="left")
    size = np.maximum(stop - first, 0)
    # Blocks of about _PAIR_BLOCK pairs, cut between queries (rows come grouped by query).
    per_query = np.bincount(row, weights=size, minlength=q.size).astype(np.int64)
    block = ((np.cumsum(per_query) - per_query) // _PAIR_BLOCK)[row]
    cuts = np.flatnonzero(np.diff(block)) + 1
    for sl_rows in np.split(np.arange(row.size), cuts) if row.size else []:
        run, k = _expand(size[sl_rows])
        yield qq[sl_rows][run], order[first[sl_rows][run] + k]
