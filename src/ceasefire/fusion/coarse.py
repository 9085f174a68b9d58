"""The coarse reports of a :class:`ceasefire.fusion.incremental.Fuser`, decided as incidents change.

A coarse report (a town, an oblast, an hours-wide window) never moves an incident: it joins the
anchored incident that fits it best, stays apart when it is an oblast-level report that fits
several (*ambiguous*), or, fitting none, groups with the unattached coarse reports it links to.
:class:`CoarseReports` keeps those three answers for every coarse report a fuser holds and decides
again, when the anchor path (:mod:`ceasefire.fusion.incremental`) changes an incident, only the
reports within reach of it. The decisions are bulk fusion's own
(:func:`ceasefire.fusion.matching._choose`, :func:`ceasefire.fusion.matching._coarse_links`), so
the partition is the one :func:`ceasefire.fusion.bulk.fuse` gives.

Coarse reports are filed in two space-time grids (:class:`ceasefire.fusion._grid.SpaceTimeGrid`),
each once, at the level its reach fits; oblast-level reports apart, as they never link to other
coarse reports, so grouping lookups never see them. The incidents are read from
:mod:`ceasefire.fusion._incident_index`.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import numpy.typing as npt

from ceasefire.fusion._grid import SpaceTimeGrid
from ceasefire.fusion._incident_index import INC_LEVELS, _Incidents, fuser_grid
from ceasefire.fusion.columns import FusionInput, _rows
from ceasefire.fusion.config import FusionConfig
from ceasefire.fusion.matching import (
    _SLACK_M,
    _W_REF,
    _choose,
    _coarse_links,
    _gap,
    _join_reach,
)

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]


class CoarseReports:
    """Which incident each coarse report of a fuser joined, which fit several and joined none,
    and how the unattached ones group.

    ``cols`` are the fuser's report columns (held by name, read as they grow) and ``incidents``
    its anchored incidents.
    """

    def __init__(
        self, config: FusionConfig, cols: dict[str, npt.NDArray[Any]], incidents: _Incidents
    ) -> None:
        self.config = config
        self._radius, self._window = config.scales()
        self._cols = cols
        self._inc = incidents
        self._grid = fuser_grid(config)
        self._region_grid = fuser_grid(config)
        self.attached: dict[int, int] = {}  # coarse report -> its anchored incident
        self.ambiguous: set[int] = set()  # coarse reports that fit several and join none
        self._joined: dict[int, set[int]] = {}  # anchored incident -> coarse reports attached
        self._free_comp: dict[int, int] = {}  # unattached coarse report -> component id
        self._comp_members: dict[int, set[int]] = {}
        self._next_comp = 0

    def load(self, co: I64, roots: I64, labels: I64, ambiguous: B) -> None:
        """Take the coarse reports ``co`` as bulk fusion decided them: the incident (root) each
        joined, -1 where none, their bulk ``labels`` (an unattached group shares one) and which
        reports are ambiguous."""
        region = self._cols["region"][co]
        for grid, mine in ((self._grid, co[~region]), (self._region_grid, co[region])):
            self._file_all(grid, mine)
        free_groups: dict[int, int] = {}
        for i, root, label in zip(co.tolist(), roots.tolist(), labels.tolist(), strict=True):
            if root >= 0:
                self.attached[i] = root
                self._joined.setdefault(root, set()).add(i)
            else:
                cid = free_groups.setdefault(label, len(free_groups))
                self._free_comp[i] = cid
                self._comp_members.setdefault(cid, set()).add(i)
        self._next_comp = len(free_groups)
        self.ambiguous = set(np.flatnonzero(ambiguous).tolist())

    def _file_all(self, grid: SpaceTimeGrid, items: I64) -> None:
        """:meth:`file` for many coarse reports at once."""
        c = self._cols
        g = c["group"][items]
        level = grid.levels_for(g, _join_reach(c["uncertainty_m"][items], self._radius[g]))
        grid.add_many(items, g, level, c["x"][items], c["y"][items], c["t0"][items], c["t1"][items])

    def file(self, me: int, row: FusionInput) -> None:
        """File the new coarse report ``me`` (its columns ``row``), to be decided: once, at the
        finest level whose cells are as wide as its reach."""
        g = int(row.group[0])
        reach = _join_reach(float(row.uncertainty_m[0]), float(self._radius[g]))
        grid = self._region_grid if row.region[0] else self._grid
        level = grid.level_for(g, reach)
        grid.add(me, g, level, float(row.x[0]), float(row.y[0]), int(row.t0[0]), int(row.t1[0]))

    def labels(self, labels: I64) -> B:
        """Write each coarse report's incident into ``labels`` (an unattached group numbered
        past the reports); return which reports are ambiguous."""
        n = labels.size
        if self.attached:
            at = np.fromiter(self.attached.keys(), np.int64, len(self.attached))
            labels[at] = np.fromiter(self.attached.values(), np.int64, len(self.attached))
        if self._free_comp:
            free = np.fromiter(self._free_comp.keys(), np.int64, len(self._free_comp))
            comp = np.fromiter(self._free_comp.values(), np.int64, len(self._free_comp))
            labels[free] = n + comp
        ambiguous = np.zeros(n, dtype=bool)
        if self.ambiguous:
            ambiguous[np.fromiter(self.ambiguous, np.int64, len(self.ambiguous))] = True
        return ambiguous

    def detach(self, root: int) -> set[int]:
        """Take the reports attached to incident ``root`` off it (it is gone); return them."""
        reports = self._joined.pop(root, set())
        for report in reports:
            del self.attached[report]
        return reports

    # -- lookups ------------------------------------------------------------------------------

    def near(self, root: int) -> list[int]:
        """Coarse reports that may count incident ``root`` as a candidate: :func:`_choose`'s time
        test, and a superset of its distance test (a metre to spare for rounding)."""
        c = self._inc.cols
        g = int(c["group"][root])
        w = float(self._window[g])
        x, y = float(c["cx"][root]), float(c["cy"][root])
        t0, t1 = int(c["t0"][root]) - w, int(c["t1"][root]) + w
        out: list[int] = []
        # A report is filed at a level whose cells are at least its reach: the 3 x 3 cells
        # around the incident at every level hold all reports that may reach it.
        for grid in (self._grid, self._region_grid):
            for level in grid.levels[g]:
                grid.near(out, g, level, x, y, grid.size(g, level), t0, t1)
        if not out:
            return []
        idx = np.unique(np.array(out, dtype=np.int64))
        cols = self._cols
        gap = _gap(cols["t0"][idx], cols["t1"][idx], c["t0"][root], c["t1"][root])
        reach = cols["uncertainty_m"][idx] + (
            _W_REF / math.sqrt(int(c["sw"][root])) + float(self._radius[g]) + 1.0
        )
        d = np.hypot(cols["x"][idx] - x, cols["y"][idx] - y)
        out = idx[(gap <= w) & (d <= reach)].tolist()
        return out

    def incidents_near(self, i: int) -> set[int]:
        """Anchored incidents coarse report ``i`` may join: windows within one neighbourhood
        window, places within its reach (the incident's radius taken at its largest). A
        superset; :func:`_choose` decides."""
        c = self._cols
        g = int(c["group"][i])
        w = float(self._window[g])
        reach = _join_reach(float(c["uncertainty_m"][i]), float(self._radius[g]))
        grid = self._inc.grid
        level = min(grid.level_for(g, reach), INC_LEVELS - 1)
        out: list[int] = []
        x, y = float(c["x"][i]), float(c["y"][i])
        grid.near(out, g, level, x, y, reach, int(c["t0"][i]) - w, int(c["t1"][i]) + w)
        return set(out)

    def free_neighbours(self, i: int) -> list[int]:
        """Unattached coarse reports linked to report ``i`` (never any for an oblast-level one)."""
        c = self._cols
        if c["region"][i]:
            return []
        g = int(c["group"][i])
        w = float(self._window[g])
        u = float(c["uncertainty_m"][i])
        x, y = float(c["x"][i]), float(c["y"][i])
        t0, t1 = int(c["t0"][i]) - w, int(c["t1"][i]) + w
        out: list[int] = []
        grid = self._grid
        # Linked reports lie within the larger of the two radii: within i's own, or within the
        # other's, which is less than the cell side of the level it is filed at.
        for level in grid.levels[g]:
            side = grid.size(g, level)
            grid.near(out, g, level, x, y, max(side, u + _SLACK_M), t0, t1)
        cand = set(out)
        cand.discard(i)
        others = [j for j in cand if j not in self.attached]
        if not others:
            return []
        inp = _rows(self._cols, [i, *others])
        first = np.zeros(len(others), dtype=np.int64)
        rest = np.arange(1, len(others) + 1, dtype=np.int64)
        ok = _coarse_links(inp, first, rest, self.config)
        return [j for j, linked in zip(others, ok.tolist(), strict=True) if linked]

    # -- decisions ----------------------------------------------------------------------------

    def recheck(self, reports: list[int], new: set[int]) -> None:
        """Decide afresh which incident each coarse report joins; regroup the unattached
        (``new``: reports added since the last decision, free until decided)."""
        if not reports:
            return
        idx = np.array(reports, dtype=np.int64)
        near = [self.incidents_near(i) for i in reports]
        sizes = [len(s) for s in near]
        chosen: dict[int, int] = {}
        self.ambiguous.difference_update(reports)
        if sum(sizes):
            found = np.fromiter(itertools.chain.from_iterable(near), np.int64, sum(sizes))
            roots, ki = np.unique(found, return_inverse=True)
            ci = np.repeat(np.arange(idx.size, dtype=np.int64), sizes)
            table = self._inc.table(roots)
            ci, ki, unsure = _choose(
                _rows(self._cols, idx), ci, table, ki.astype(np.int64), self.config
            )
            chosen = dict(zip(idx[ci].tolist(), roots[ki].tolist(), strict=True))
            self.ambiguous.update(idx[unsure].tolist())
        changed: list[int] = []  # reports whose free / attached state changed
        for i in reports:
            was_free = i in self._free_comp or i in new
            old = self.attached.pop(i, None)
            if old is not None:
                self._joined[old].discard(i)
            if i in chosen:
                self.attached[i] = chosen[i]
                self._joined.setdefault(chosen[i], set()).add(i)
                if was_free:
                    changed.append(i)
            else:
                if not was_free or i in new:
                    changed.append(i)
        if changed:
            self._regroup_free(changed)

    def _regroup_free(self, changed: list[int]) -> None:
        """Recompute the components of unattached coarse reports around ``changed``."""
        # Nodes whose component may change: the old components of the changed reports, and
        # everything linked (transitively) to a changed report that is now free.
        todo: set[int] = set()
        for i in changed:
            comp = self._free_comp.pop(i, None)
            if comp is not None:
                members = self._comp_members.pop(comp)
                members.discard(i)
                for m in members:
                    self._free_comp.pop(m, None)
                todo.update(members)
            if i not in self.attached:
                todo.add(i)
        nodes: set[int] = set()
        links: dict[int, list[int]] = {}
        frontier = list(todo)
        while frontier:
            i = frontier.pop()
            if i in nodes or i in self.attached:
                continue
            nodes.add(i)
            links[i] = self.free_neighbours(i)
            for j in links[i]:
                if j not in nodes:
                    # A neighbour in another, untouched component joins the recomputation.
                    comp = self._free_comp.pop(j, None)
                    if comp is not None:
                        for m in self._comp_members.pop(comp):
                            self._free_comp.pop(m, None)
                            frontier.append(m)
                    frontier.append(j)
        parent = {i: i for i in nodes}

        def find(a: int) -> int:
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        for i in nodes:
            for j in links[i]:
                if j in parent:
                    ra, rb = find(i), find(j)
                    if ra != rb:
                        parent[rb] = ra
        comps: dict[int, set[int]] = {}
        for i in nodes:
            comps.setdefault(find(i), set()).add(i)
        for members in comps.values():
            cid = self._next_comp
            self._next_comp += 1
            self._comp_members[cid] = members
            for m in members:
                self._free_comp[m] = cid
