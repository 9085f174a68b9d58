"""Nearest segment of a polyline for many points at once: the hot loop of :mod:`ceasefire.geo.engine`.

Everything here is planar (projected metres). :class:`Polyline` holds one line as segment arrays
and answers "which segment is nearest, how far, which side" in three ways that give the same
answer:

* :meth:`Polyline.nearest_tree` - shapely's ``STRtree.query_nearest`` picks the segment, we
  compute distance and side ourselves. Used for small batches and for points outside the grid.
* :class:`CandidateGrid` - a two-level grid over an area. Each leaf cell stores the few segments
  that can be nearest to *some* point of the cell, proven by a pairwise dominance test (see
  :func:`_prune`). A query is then a cell lookup and a handful of point-segment distances.
* :meth:`Polyline.nearest_brute` - every segment for every point, chunked; the test oracle.

Side of the line: from the nearest segment's left normal; where the nearest point is a vertex,
the vertex pseudo-normal (the normalised sum of the adjacent segments' normals, Bærentzen &
Aanæs 2005, which gives the right sign for any point whose nearest point is that vertex); at the
two end vertices the end segment's normal, so beyond the ends the end segment's half-plane
decides.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
I8 = npt.NDArray[np.int8]

#: Points per chunk in the grid query: 64k float64 temporaries (512 kB) stay in L2; measured
#: 10-20 % faster than 1M-point passes on the dev box.
CHUNK = 1 << 16


@dataclass(frozen=True)
class Nearest:
    """Per point: nearest segment index, distance (m), side (+1 left, -1 right)."""

    segment: I64
    distance: F64
    side: I8


class Polyline:
    """A polyline in projected metres, as arrays of its segments.

    Parameters
    ----------
    xy
        ``(n, 2)`` vertices; consecutive duplicates are dropped. At least two distinct vertices.
    """

    def __init__(self, xy: F64) -> None:
        xy = np.asarray(xy, dtype=np.float64)
        keep = np.ones(len(xy), dtype=bool)
        keep[1:] = np.any(np.diff(xy, axis=0) != 0.0, axis=1)
        xy = xy[keep]
        if len(xy) < 2:
            raise ValueError("a line needs at least two distinct vertices")
        self.xy: F64 = xy
        self.ax: F64 = np.ascontiguousarray(xy[:-1, 0])
        self.ay: F64 = np.ascontiguousarray(xy[:-1, 1])
        dx = xy[1:, 0] - self.ax
        dy = xy[1:, 1] - self.ay
        self.length: F64 = np.hypot(dx, dy)
        self.ux: F64 = dx / self.length
        self.uy: F64 = dy / self.length
        # Left normal: walking the line, (-uy, ux) points to the left.
        nx, ny = -self.uy, self.ux
        vnx = np.empty(len(xy))
        vny = np.empty(len(xy))
        vnx[0], vny[0] = nx[0], ny[0]
        vnx[-1], vny[-1] = nx[-1], ny[-1]
        sx, sy = nx[:-1] + nx[1:], ny[:-1] + ny[1:]
        norm = np.hypot(sx, sy)
        # A 180-degree hairpin has no bisector; its first segment's normal is as good as any.
        flat = norm < 1e-12
        vnx[1:-1] = np.where(flat, nx[1:], sx / np.where(flat, 1.0, norm))
        vny[1:-1] = np.where(flat, ny[1:], sy / np.where(flat, 1.0, norm))
        self.vnx: F64 = vnx
        self.vny: F64 = vny
        self._tree: shapely.STRtree | None = None

    @property
    def n_segments(self) -> int:
        return len(self.ax)

    def segments(self) -> npt.NDArray[np.object_]:
        """The segments as shapely LineStrings (for STRtree and peers)."""
        pairs = np.stack([self.xy[:-1], self.xy[1:]], axis=1)
        return shapely.linestrings(pairs)  # type: ignore[no-any-return]

    def finish(self, x: F64, y: F64, seg: I64) -> Nearest:
        """Distance and side of each point to its nearest segment ``seg`` (already chosen)."""
        dx = x - self.ax[seg]
        dy = y - self.ay[seg]
        ux = self.ux[seg]
        uy = self.uy[seg]
        length = self.length[seg]
        t = dx * ux + dy * uy
        perp = uy * dx - ux * dy  # = -(left normal . d): positive on the right
        before = t <= 0.0
        after = t >= length
        along = np.where(before, t, np.where(after, t - length, 0.0))
        dist = np.hypot(perp, along)
        # Side from the segment normal, unless the nearest point is a vertex.
        score = -perp
        vertex = np.flatnonzero(before | after)
        if vertex.size:
            v = seg[vertex] + after[vertex]
            ex = x[vertex] - self.xy[v, 0]
            ey = y[vertex] - self.xy[v, 1]
            score[vertex] = self.vnx[v] * ex + self.vny[v] * ey
        # A point exactly on the line (score 0) is put on the left: deterministic, documented.
        side = np.where(score >= 0.0, 1, -1).astype(np.int8)
        return Nearest(seg, dist, side)

    def nearest_tree(self, x: F64, y: F64) -> Nearest:
        """Nearest segment by shapely's STRtree (exact, ~0.14M points/s for 2,400 segments)."""
        if self._tree is None:
            self._tree = shapely.STRtree(self.segments())
        if x.size == 0:
            return self.finish(x, y, np.zeros(0, dtype=np.int64))
        pts = shapely.points(x, y)
        idx = self._tree.query_nearest(pts, all_matches=False)
        seg = np.empty(x.size, dtype=np.int64)
        seg[idx[0]] = idx[1]
        return self.finish(x, y, seg)

    def nearest_brute(self, x: F64, y: F64) -> Nearest:
        """Nearest segment by trying every segment (the test oracle), chunked to bound memory."""
        seg = np.empty(x.size, dtype=np.int64)
        step = max(1, 4_000_000 // self.n_segments)
        for i in range(0, x.size, step):
            px = x[i : i + step, None]
            py = y[i : i + step, None]
            d2 = _seg_dist2(px - self.ax, py - self.ay, self.ux, self.uy, self.length)
            seg[i : i + step] = np.argmin(d2, axis=1)
        return self.finish(x, y, seg)


def _seg_dist2(dx: F64, dy: F64, ux: F64, uy: F64, length: F64) -> F64:
    """Squared distance from points at offset (dx, dy) of a segment's start to the segment."""
    t = dx * ux + dy * uy
    perp = dx * uy - dy * ux
    over = t - np.clip(t, 0.0, length)
    return perp * perp + over * over


class CandidateGrid:
    """Per-cell candidate segments over a square area, for fast nearest-segment queries.

    The area is cut into a coarse grid of ``coarse`` metre cells; a coarse cell with many
    candidates is cut again into an ``r x r`` sub-grid (``r`` a power of two up to
    ``max_split``) so that a point's leaf is found by arithmetic, not a tree walk.

    Parameters
    ----------
    line
        The polyline.
    bounds
        ``(xmin, ymin, xmax, ymax)`` of the area to cover (points outside fall back to the tree).
    coarse
        Coarse cell size in metres.
    target
        Refine a coarse cell while its leaves hold more than this many candidates on average.
    max_split
        Largest sub-grid side.
    """

    def __init__(
        self,
        line: Polyline,
        bounds: tuple[float, float, float, float],
        coarse: float = 8_000.0,
        target: float = 2.0,
        max_split: int = 16,
    ) -> None:
        self.line = line
        x0, y0, x1, y1 = bounds
        self.x0 = float(x0)
        self.y0 = float(y0)
        self.size = float(coarse)
        self.nx = max(1, int(np.ceil((x1 - x0) / coarse)))
        self.ny = max(1, int(np.ceil((y1 - y0) / coarse)))
        self._build(target, max_split)

    # -- build -------------------------------------------------------------------------------

    def _build(self, target: float, max_split: int) -> None:
        line = self.line
        # Uniform pre-levels: a root square of 2^k coarse cells per side, refined k times, so
        # the first (expensive) all-segments test runs on one cell only.
        levels = int(np.ceil(np.log2(max(self.nx, self.ny))))
        ix = np.zeros(1, dtype=np.int64)
        iy = np.zeros(1, dtype=np.int64)
        ptr = np.array([0, line.n_segments], dtype=np.int64)
        segs = np.arange(line.n_segments, dtype=np.int64)
        size = self.size * 2.0**levels
        for _ in range(levels):
            ix, iy, ptr, segs = _split(ix, iy, ptr, segs)
            size /= 2.0
            keep, ptr, segs = _select((ix < self.nx) & (iy < self.ny), ptr, segs)
            ix, iy = ix[keep], iy[keep]
            cx0 = (self.x0 + ix * size).astype(np.float64)
            cy0 = (self.y0 + iy * size).astype(np.float64)
            ptr, segs = _prune(line, cx0, cy0, size, ptr, segs)
        coarse_id = iy * self.nx + ix
        order, ptr, segs = _select(np.argsort(coarse_id, kind="stable"), ptr, segs)
        coarse_id = coarse_id[order]
        # Adaptive levels: cut a coarse cell into 2x2, 4x4, ... while it is still crowded.
        res = np.ones(self.nx * self.ny, dtype=np.int64)
        cell = coarse_id  # coarse cell of each current leaf
        sx = np.zeros_like(coarse_id)
        sy = np.zeros_like(coarse_id)
        r = 1
        while r < max_split:
            k = np.diff(ptr)
            mean_k = np.bincount(cell, weights=k, minlength=res.size) / np.maximum(
                np.bincount(cell, minlength=res.size), 1
            )
            crowded = (mean_k > target) & (res == r)
            if not crowded.any():
                break
            pick = crowded[cell]
            kept, kptr, ksegs = _select(~pick, ptr, segs)
            chosen, cptr, csegs = _select(pick, ptr, segs)
            csx, csy, cptr, csegs = _split(sx[chosen], sy[chosen], cptr, csegs)
            c_sel = np.repeat(cell[chosen], 4)
            r *= 2
            sub = self.size / r
            px = self.x0 + (c_sel % self.nx) * self.size + csx * sub
            py = self.y0 + (c_sel // self.nx) * self.size + csy * sub
            cptr, csegs = _prune(line, px, py, sub, cptr, csegs)
            res[crowded] = r
            cell = np.concatenate([cell[kept], c_sel])
            sx = np.concatenate([sx[kept], csx])
            sy = np.concatenate([sy[kept], csy])
            ptr, segs = _concat(kptr, ksegs, cptr, csegs)
        # Lay the leaves out so that leaf = base[coarse] + sy * res + sx.
        count = res * res
        base = np.zeros(res.size + 1, dtype=np.int64)
        np.cumsum(count, out=base[1:])
        leaf = base[cell] + sy * res[cell] + sx
        _, ptr, segs = _select(np.argsort(leaf, kind="stable"), ptr, segs)
        self.res: I64 = res
        self.base: I64 = base[:-1]
        self.ptr: I64 = ptr
        self.cand: npt.NDArray[np.int32] = segs.astype(np.int32)
        k = np.diff(ptr)
        self.k: npt.NDArray[np.int16] = np.minimum(k, np.iinfo(np.int16).max).astype(np.int16)
        self.kmax = int(k.max())

    @property
    def n_leaves(self) -> int:
        return len(self.k)

    @property
    def mean_candidates(self) -> float:
        return float(self.k.mean())

    # -- query -------------------------------------------------------------------------------

    def nearest(self, x: F64, y: F64) -> Nearest:
        """Nearest segment for every point; points outside the grid go to the STRtree."""
        n = x.size
        seg = np.empty(n, dtype=np.int64)
        outside: list[I64] = []
        for i in range(0, n, CHUNK):
            xs = x[i : i + CHUNK]
            ys = y[i : i + CHUNK]
            s, out = self._chunk(xs, ys)
            seg[i : i + CHUNK] = s
            if out.size:
                outside.append(out + i)
        res = self.line.finish(x, y, seg)
        if outside:
            idx = np.concatenate(outside)
            far = self.line.nearest_tree(x[idx], y[idx])
            res.segment[idx] = far.segment
            res.distance[idx] = far.distance
            res.side[idx] = far.side
        return res

    def _chunk(self, x: F64, y: F64) -> tuple[I64, I64]:
        line = self.line
        fx = (x - self.x0) * (1.0 / self.size)
        fy = (y - self.y0) * (1.0 / self.size)
        ix = np.floor(fx)
        iy = np.floor(fy)
        ok = (ix >= 0) & (ix < self.nx) & (iy >= 0) & (iy < self.ny)
        out = np.flatnonzero(~ok)
        if out.size:  # looked up as cell (0, 0), then answered by the tree
            fx[out] = fy[out] = ix[out] = iy[out] = 0.0
        cix = ix.astype(np.int64)
        c = iy.astype(np.int64) * self.nx + cix
        r = self.res[c]
        sx = ((fx - ix) * r).astype(np.int64)
        sy = ((fy - iy) * r).astype(np.int64)
        np.minimum(sx, r - 1, out=sx)
        np.minimum(sy, r - 1, out=sy)
        leaf = self.base[c] + sy * r + sx
        k = self.k[leaf]
        start = self.ptr[leaf]
        seg = np.empty(x.size, dtype=np.int64)
        # Group points by candidate count (a stable sort of int16 is a radix sort: O(n)).
        order = np.argsort(k, kind="stable")
        bounds = np.searchsorted(k[order], np.arange(1, self.kmax + 2), side="left")
        lo = 0
        for kk in range(1, self.kmax + 1):
            hi = int(bounds[kk])
            if hi == lo:
                continue
            idx = order[lo:hi]
            lo = hi
            if kk == 1:
                seg[idx] = self.cand[start[idx]]
                continue
            cand = self.cand[start[idx, None] + np.arange(kk)]
            d2 = _seg_dist2(
                x[idx, None] - line.ax[cand],
                y[idx, None] - line.ay[cand],
                line.ux[cand],
                line.uy[cand],
                line.length[cand],
            )
            seg[idx] = cand[np.arange(idx.size), np.argmin(d2, axis=1)]
        return seg, out


# -- building blocks of the grid ---------------------------------------------------------------


def _split(ix: I64, iy: I64, ptr: I64, segs: I64) -> tuple[I64, I64, I64, I64]:
    """Cut every cell into 2x2 children that inherit the parent's candidates."""
    n = ix.size
    cix = (2 * ix[:, None] + np.array([0, 1, 0, 1])).ravel()
    ciy = (2 * iy[:, None] + np.array([0, 0, 1, 1])).ravel()
    k = np.repeat(np.diff(ptr), 4)
    cptr = np.zeros(4 * n + 1, dtype=np.int64)
    np.cumsum(k, out=cptr[1:])
    child = np.repeat(np.arange(4 * n), k)
    local = np.arange(cptr[-1]) - cptr[child]
    return cix, ciy, cptr, segs[ptr[child // 4] + local]


def _select(which: npt.NDArray[np.bool_] | I64, ptr: I64, segs: I64) -> tuple[I64, I64, I64]:
    """Keep the cells picked by a mask or index array: (their indices, new ptr, new segs)."""
    idx: I64 = np.flatnonzero(which) if which.dtype == bool else which.astype(np.int64)
    k = np.diff(ptr)[idx]
    nptr = np.zeros(idx.size + 1, dtype=np.int64)
    np.cumsum(k, out=nptr[1:])
    cell = np.repeat(np.arange(idx.size), k)
    pos = ptr[idx][cell] + np.arange(nptr[-1]) - nptr[cell]
    return idx, nptr, segs[pos]


def _concat(p1: I64, s1: I64, p2: I64, s2: I64) -> tuple[I64, I64]:
    return np.concatenate([p1, p2[1:] + p1[-1]]), np.concatenate([s1, s2])


def _prune(line: Polyline, cx0: F64, cy0: F64, size: float, ptr: I64, segs: I64) -> tuple[I64, I64]:
    """Drop, cell by cell, the candidate segments that cannot be nearest anywhere in the cell.

    Take the cell centre c, its nearest candidate s0 and the nearest point q0 on it. A segment s
    can be dropped if dist(p, s) >= |p - q0| for every p in the cell, because s0 is kept and
    dist(p, s0) <= |p - q0|. Split the cell by the two lines through s's ends perpendicular to
    s: on the piece before s's start dist(p, s) = |p - a| and |p - q0|^2 - |p - a|^2 is linear
    in p; on the middle piece dist(p, s) = |n . (p - a)| and |p - q0|^2 - (n . (p - a))^2 is
    convex (Hessian 2I - 2nn^T >= 0); after the end, linear again. A convex (or linear)
    function on a convex polygon peaks at a vertex, and the pieces' vertices are the cell's
    corners plus the points where the two perpendicular lines cross the cell's edges. So testing
    those <= 12 points is exact for the bound |p - q0|.
    """
    n = cx0.size
    k = np.diff(ptr)
    cell = np.repeat(np.arange(n), k)
    ax, ay = line.ax[segs], line.ay[segs]
    ux, uy, length = line.ux[segs], line.uy[segs], line.length[segs]
    half = size / 2.0
    # Work relative to the cell centre: smaller numbers, less cancellation in the squares.
    ccx = cx0 + half
    ccy = cy0 + half
    ox = ax - ccx[cell]
    oy = ay - ccy[cell]
    d2c = _seg_dist2(-ox, -oy, ux, uy, length)
    best = np.full(n, np.inf)
    np.minimum.at(best, cell, d2c)
    is_best = d2c == best[cell]
    first = np.flatnonzero(is_best)
    _, take = np.unique(cell[first], return_index=True)
    win = first[take]  # pair index of each cell's nearest candidate
    t0 = np.clip(-(ox[win] * ux[win] + oy[win] * uy[win]), 0.0, length[win])
    q0x = np.zeros(n)
    q0y = np.zeros(n)
    q0x[cell[win]] = ox[win] + t0 * ux[win]
    q0y[cell[win]] = oy[win] + t0 * uy[win]
    qx, qy = q0x[cell], q0y[cell]
    # Cheap test first: the cell's nearest approach to s vs the farthest |p - q0| can reach.
    rad = half * np.sqrt(2.0)
    ub = np.sqrt(best[cell]) + rad
    lb = np.sqrt(d2c) - rad
    maybe = lb <= ub
    maybe[win] = True
    # Exact test on the rest (pairs still in the running).
    idx = np.flatnonzero(maybe)
    keep = np.zeros(segs.size, dtype=bool)
    for i in range(0, idx.size, CHUNK):  # chunked: ~2x faster than one pass (cache)
        j = idx[i : i + CHUNK]
        keep[j] = _worst(ox[j], oy[j], ux[j], uy[j], length[j], qx[j], qy[j], half) > 0.0
    keep[win] = True
    nk = np.bincount(cell[keep], minlength=n)
    nptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(nk, out=nptr[1:])
    return nptr, segs[keep]


def _worst(ox: F64, oy: F64, ux: F64, uy: F64, length: F64, qx: F64, qy: F64, h: float) -> F64:
    """max over the cell [-h, h]^2 of |p - q|^2 - dist(p, segment)^2 (see :func:`_prune`)."""
    worst = np.full(ox.size, -np.inf)

    def at(px: F64 | float, py: F64 | float, valid: npt.NDArray[np.bool_] | None) -> None:
        f = (px - qx) ** 2 + (py - qy) ** 2 - _seg_dist2(px - ox, py - oy, ux, uy, length)
        if valid is not None:
            f = np.where(valid, f, -np.inf)
        np.maximum(worst, f, out=worst)

    for cx in (-h, h):
        for cy in (-h, h):
            at(cx, cy, None)
    # Lines (p - e) . u = 0 through each end e of the segment, crossed with the four edges.
    with np.errstate(divide="ignore", invalid="ignore"):
        for ex, ey in ((ox, oy), (ox + length * ux, oy + length * uy)):
            for edge in (-h, h):
                # Horizontal edge y = edge: x = ex - (edge - ey) * uy / ux.
                px = ex - (edge - ey) * uy / ux
                at(np.nan_to_num(px), edge, (np.abs(px) <= h) & (ux != 0.0))
                # Vertical edge x = edge: y = ey - (edge - ex) * ux / uy.
                py = ey - (edge - ex) * ux / uy
                at(edge, np.nan_to_num(py), (np.abs(py) <= h) & (uy != 0.0))
    return worst
