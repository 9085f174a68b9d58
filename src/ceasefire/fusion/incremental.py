"""Fusion one report at a time: :class:`Fuser` keeps the partition of a growing set of reports.

A service that receives reports all day cannot fuse its whole history again for each one. A
:class:`Fuser` holds the partition :func:`ceasefire.fusion.bulk.fuse` gives for the reports added
so far, and adding one touches only the new report's neighbourhood (see the class). It makes the
same decisions (:mod:`ceasefire.fusion.matching`) on the same columns, so the two paths agree
whatever order the reports arrive in; a test holds them equal.

This module holds the fuser's state and the anchor path: linking a new anchor, refining its link
component again and filing the incidents that changed (kept as columns by root and filed in a
space-time grid, :mod:`ceasefire.fusion._incident_index`). What the coarse reports join, and how
the unattached ones group, is decided again around those incidents by
:class:`ceasefire.fusion.coarse.CoarseReports`. :meth:`Fuser.from_bulk` starts one on a store that
already holds history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import Any

import numpy as np
import numpy.typing as npt

from ceasefire.fusion._incident_index import _Incidents
from ceasefire.fusion._linking import _first_appearance
from ceasefire.fusion.bulk import Partition, _fuse
from ceasefire.fusion.coarse import CoarseReports
from ceasefire.fusion.columns import _DTYPES, FusionInput, _grow, _rows
from ceasefire.fusion.config import FusionConfig
from ceasefire.fusion.matching import _anchored, anchor_links, anchor_mask, scaled_points
from ceasefire.fusion.refine import refine_component

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


class Fuser:
    """The partition of a growing set of reports, kept up to date one report at a time.

    Adding a report touches only its neighbourhood: the anchors in the 27 cells around it, its
    link component (refined again, :func:`ceasefire.fusion.refine.refine_component`), the
    anchored incidents and coarse reports within reach of the incidents that changed, and the
    unattached coarse reports linked to those. The result is always the partition :func:`fuse`
    gives for the same set (a test holds them equal).

    "Within reach" is found with space-time grids (:class:`ceasefire.fusion._grid.SpaceTimeGrid`),
    one for the anchored incidents (filed at every level, by their weighted place and span) and
    two for the coarse reports (:mod:`ceasefire.fusion.coarse`), so a lookup visits a few cells
    whatever the size of the history.
    """

    def __init__(self, config: FusionConfig | None = None) -> None:
        self.config = config or FusionConfig()
        self._n = 0
        self._cols: dict[str, npt.NDArray[Any]] = {
            f.name: np.zeros(0, dtype=_DTYPES[f.name]) for f in fields(FusionInput)
        }
        self._anchor = np.zeros(0, dtype=bool)
        # Union-find over report indices (anchors only): the link components. Each component's
        # anchors (when more than its root) are in ``_members``; its incidents are the clusters
        # refinement makes of them, each named by its smallest report index (``_cluster``).
        self._parent: list[int] = []
        self._members: dict[int, list[int]] = {}
        self._cluster = np.zeros(0, dtype=np.int64)
        self._grid: dict[tuple[int, int, int], list[int]] = {}
        # Scaled place of each anchor (matching.scaled_points), as columns for vector lookups.
        self._pts: dict[str, F64] = {k: np.zeros(0) for k in ("x", "y", "t")}
        self._inc = _Incidents(self.config)
        self._coarse = CoarseReports(self.config, self._cols, self._inc)

    def __len__(self) -> int:
        return self._n

    @classmethod
    def from_bulk(cls, inp: FusionInput, config: FusionConfig | None = None) -> Fuser:
        """A fuser holding ``inp``, built from one bulk :func:`fuse` instead of report by report.

        This is how a service starts on a store that already holds history: the state is the one
        adding the reports one at a time would leave (same incidents), built in one pass (about
        40 s for 1M incidents of 3.3M reports).
        """
        f = cls(config)
        part, components = _fuse(inp, f.config)
        n = len(inp)
        f._reserve(n + n // 4)  # room to grow: the first live reports do not copy the history
        for name, col in f._cols.items():
            col[:n] = getattr(inp, name)
        f._n = n
        f._anchor[:n] = part.anchor
        labels = part.labels
        ai = np.flatnonzero(part.anchor)
        root_of = np.full(part.n_incidents, -1, dtype=np.int64)
        root_of[labels[ai[::-1]]] = ai[::-1]  # each incident is named by its first anchor
        f._cluster[ai] = root_of[labels[ai]]
        if ai.size:  # the first anchor of each link component is its union-find root
            comp_root = np.full(int(components.max()) + 1, -1, dtype=np.int64)
            comp_root[components[::-1]] = ai[::-1]
            parent = np.arange(n, dtype=np.int64)
            parent[ai] = comp_root[components]
            f._parent = parent.tolist()
            order = np.argsort(components, kind="stable")
            cuts = np.flatnonzero(np.diff(components[order])) + 1
            for group in np.split(ai[order], cuts):
                if group.size > 1:
                    f._members[int(group[0])] = group.tolist()
        else:
            f._parent = list(range(n))
        points = scaled_points(inp.take(ai), f.config)
        for k, name in enumerate(("x", "y", "t")):
            f._pts[name][ai] = points[:, k]
        cells = np.floor(points).astype(np.int64).tolist()
        for i, cell in zip(ai.tolist(), cells, strict=True):
            f._grid.setdefault((cell[0], cell[1], cell[2]), []).append(i)
        found, dense = np.unique(labels[ai], return_inverse=True)
        roots = root_of[found]
        table = _anchored(inp.take(ai), dense, found.size)
        f._inc.put(roots, table)
        f._inc.file_all(roots, table)
        co = np.flatnonzero(~part.anchor)
        f._coarse.load(co, root_of[labels[co]], labels[co], part.ambiguous)
        return f

    # -- public -------------------------------------------------------------------------------

    def add(self, inp: FusionInput) -> None:
        """Add reports (in the order given; any order gives the same partition).

        The town- and oblast-level reports whose choice the new ones may change are decided
        once, after all of them: a choice depends only on the incidents as they are then, so
        deciding after each report gave the same answer, at one block of candidates per report
        (300 reports a live step: 0.22 s of its 0.32 s in ``Fuser.add``, cProfile)."""
        pending: set[int] = set()
        new: set[int] = set()
        for i in range(len(inp)):
            self._add_one(inp, i, pending, new)
        self._coarse.recheck(sorted(pending), new)

    def partition(self) -> Partition:
        """The current partition, reports numbered in the order they were added."""
        n = self._n
        labels = np.arange(n, dtype=np.int64)
        anchor = self._anchor[:n]
        labels[anchor] = self._cluster[:n][anchor]
        ambiguous = self._coarse.labels(labels)
        return Partition(_first_appearance(labels), self._anchor[:n].copy(), ambiguous)

    def inputs(self) -> FusionInput:
        """Everything added so far, as columns (in the order added)."""
        return FusionInput(*(col[: self._n].copy() for col in self._cols.values()))

    def inputs_at(self, index: Sequence[int] | I64) -> FusionInput:
        """Columns of the reports at ``index`` (positions in the order added)."""
        return _rows(self._cols, index)

    # -- steps --------------------------------------------------------------------------------

    def _reserve(self, n: int) -> None:
        if n > self._anchor.size:
            _grow(self._cols, n)
            cap = self._cols["ids"].size
            self._anchor = np.concatenate([self._anchor, np.zeros(cap - self._anchor.size, bool)])
            cluster = np.zeros(cap, dtype=np.int64)
            cluster[: self._cluster.size] = self._cluster
            self._cluster = cluster
            _grow(self._inc.cols, cap)
            _grow(self._pts, cap)

    def _add_one(self, inp: FusionInput, i: int, pending: set[int], new: set[int]) -> None:
        """Add one report; the coarse reports to decide again go to ``pending`` (a new coarse
        report to ``new`` too)."""
        row = inp.take([i])
        me = self._n
        self._reserve(me + 1)
        for name, col in self._cols.items():
            col[me] = getattr(row, name)[0]
        self._n += 1
        self._parent.append(me)
        is_anchor = bool(anchor_mask(row, self.config)[0])
        self._anchor[me] = is_anchor
        if is_anchor:
            p = scaled_points(row, self.config)[0]
            self._pts["x"][me], self._pts["y"][me], self._pts["t"][me] = p
            pending.update(self._link_anchor(me, row, p))
        else:
            self._coarse.file(me, row)
            pending.add(me)
            new.add(me)

    def _link_anchor(self, me: int, row: FusionInput, p: npt.NDArray[np.float64]) -> list[int]:
        """Link a new anchor; return the coarse reports whose decision may have changed.

        Those are the reports within reach of the incidents it merged, as they were before (a
        report may lose a candidate, which matters to an oblast-level report that joins only a
        sole one) and as they are after, and the reports attached to any of them.
        """
        cell = (int(np.floor(p[0])), int(np.floor(p[1])), int(np.floor(p[2])))
        near: list[int] = []
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for dt in (-1, 0, 1):
                    near += self._grid.get((cell[0] + dx, cell[1] + dy, cell[2] + dt), ())
        self._grid.setdefault(cell, []).append(me)
        linked: list[int] = []
        if near:
            # The candidates of bulk fusion (within 1 in scaled space-time, the squares summed in
            # the same order), then the same exact test.
            cand = np.array(near, dtype=np.int64)
            pts = self._pts
            ex, ey, et = (pts[k][cand] - pts[k][me] for k in ("x", "y", "t"))
            cand = cand[ex * ex + ey * ey + et * et <= 1.0]
            if cand.size:
                pair = self.inputs_at(np.append(cand, me))
                ok = anchor_links(
                    pair,
                    np.arange(cand.size, dtype=np.int64),
                    np.full(cand.size, cand.size, dtype=np.int64),
                    self.config,
                )
                linked = cand[ok].tolist()
        if not linked:  # an incident of its own (most new anchors)
            self._inc.put_one(me, row)
            self._cluster[me] = me
            self._inc.file(me)
            return sorted(self._coarse.near(me))
        root = me
        for j in linked:
            root = self._union(root, j)
        members = self._members.setdefault(root, [root])
        # The component is refined afresh. Its incidents that kept exactly their anchors (most
        # of them: refinement is local) are left alone; the others are taken out, with what was
        # near them and what was attached to them, and the new ones filed.
        at = np.array(members, dtype=np.int64)
        self._cluster[me] = me
        before = self._cluster[at]
        sub = self.inputs_at(at)
        if self.config.linkage == "single":
            local = np.zeros(at.size, dtype=np.int64)
        else:
            local = refine_component(sub, self.config)
        ids = np.full(int(local.max()) + 1, np.iinfo(np.int64).max)
        np.minimum.at(ids, local, at)
        after = ids[local]
        # An incident changed when an anchor left or joined it (the new one joins one).
        moved = (before != after) | (at == me)
        made = np.unique(np.concatenate([before[moved], after[moved]]))
        gone = set(made.tolist()) & set(before.tolist()) - {me}
        affected: set[int] = set()
        for old in gone:
            affected.update(self._coarse.near(old))
            self._inc.drop(old)
            affected.update(self._coarse.detach(old))
        self._cluster[at] = after
        keep = np.isin(after, made)
        found, dense = np.unique(after[keep], return_inverse=True)
        self._inc.put(found, _anchored(sub.take(np.flatnonzero(keep)), dense, found.size))
        for r in found.tolist():
            self._inc.file(r)
            affected.update(self._coarse.near(r))
        return sorted(affected)

    def _union(self, a: int, b: int) -> int:
        """Join the link components of ``a`` and ``b``; return the root."""
        ra, rb = self._find(a), self._find(b)
        if ra == rb:
            return ra
        ma = self._members.pop(ra, None) or [ra]
        mb = self._members.pop(rb, None) or [rb]
        if len(ma) < len(mb):  # the larger root stays (fewer parent pointers to change)
            ra, rb, ma, mb = rb, ra, mb, ma
        self._parent[rb] = ra
        ma.extend(mb)
        self._members[ra] = ma
        return ra

    def _find(self, i: int) -> int:
        parent = self._parent
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root
