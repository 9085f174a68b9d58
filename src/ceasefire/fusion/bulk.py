"""Fusion: reports that describe the same event become one incident.

Reports are split by how well they place their event.

*Anchors* (a point known to within ``anchor_max_uncertainty_m``, not just an oblast, and a time
window no wider than ``anchor_max_window`` neighbourhoods: monitors, sensors, cameras) place
incidents. Two anchors are linked when their event types may meet, their distance is within
their combined stated uncertainty (capped) and their mid-times within the group's window, and
they do not come from one source that reports an event once
(:func:`ceasefire.fusion.matching.anchor_links`). The connected components of that graph are
found on the grid of the DBSCAN-equivalent :func:`ceasefire.fusion._linking.eps_components` in
space-time scaled by the widest link, with the rule as
:class:`ceasefire.fusion.matching.LinkRule`: whole cells and pairs of cells are decided by bounds
of the rule where they can be, the rest pair by pair. Single linkage chains neighbouring events,
so each component is then split by average linkage on the same pair cost
(:mod:`ceasefire.fusion.refine`): the incidents are its clusters.

*Coarse* reports (placed to a town or an oblast, or with hours-wide windows: parties, news) never
move an incident. Each joins the anchored incident of its group that fits it best: the incident's
place within the report's own uncertainty radius plus the incident's and one neighbourhood, the
time windows no more than one window apart; best = smallest normalised distance. A coarse report
that fits no anchored incident is grouped with the other unattached coarse reports it overlaps
(one's point inside the other's radius, windows within one neighbourhood); an oblast-level report
joins only where it is the sole candidate (``region_joins``), since "shelling in Donetsk oblast
overnight" fits a dozen incidents and belongs to none of them in particular. One that fits two
or more stays an incident of its own, marked *ambiguous* (:attr:`Partition.ambiguous`): it is
most likely one of them, fusion cannot tell which, and so it adds no violation of its own
(measured on the project's simulator: the best-scoring candidate was the right one for 26 of 139
such reports).

The partition depends only on the set of reports, never on their order: :func:`fuse` computes it
in bulk (vectorised) and :class:`ceasefire.fusion.incremental.Fuser` keeps it up to date one
report at a time, touching only the neighbourhood of the new report; a test holds the two equal.
Both read the same columns (:mod:`ceasefire.fusion.columns`) under the same settings
(:mod:`ceasefire.fusion.config`) and make every decision with the same code
(:mod:`ceasefire.fusion.matching`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ceasefire.fusion._grid import grid_pairs
from ceasefire.fusion._linking import _first_appearance, eps_components
from ceasefire.fusion.columns import FusionInput, fusion_input
from ceasefire.fusion.config import FusionConfig
from ceasefire.fusion.matching import (
    _SLACK_M,
    LinkRule,
    _Anchored,
    _anchored,
    _cell_base,
    _choose,
    _coarse_links,
    _join_reach,
    anchor_mask,
)
from ceasefire.fusion.refine import refine

if TYPE_CHECKING:
    from ceasefire.geo.engine import GeoEngine
    from ceasefire.records import StoredReport

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]


@dataclass
class Partition:
    """Which incident each report belongs to.

    ``labels[i]`` numbers incidents 0..k-1 in order of their first report in the input;
    ``anchor[i]`` says whether report ``i`` helped place its incident.
    """

    labels: I64
    anchor: B
    #: ``ambiguous[i]``: report ``i`` fits two or more anchored incidents and joins none of
    #: them (an oblast-level report, see ``FusionConfig.region_joins``), so its incident may be
    #: any of them (:attr:`ceasefire.records.Incident.ambiguous`).
    ambiguous: B

    @property
    def n_incidents(self) -> int:
        return int(self.labels.max()) + 1 if self.labels.size else 0

    def members(self) -> list[I64]:
        """Report indices of each incident, in input order."""
        order = np.argsort(self.labels, kind="stable")
        cuts = np.flatnonzero(np.diff(self.labels[order])) + 1
        return np.split(order, cuts) if order.size else []


def fuse(inp: FusionInput, config: FusionConfig | None = None) -> Partition:
    """The incidents of a set of reports, in bulk (see the module docstring)."""
    return _fuse(inp, config or FusionConfig())[0]


def _fuse(inp: FusionInput, config: FusionConfig) -> tuple[Partition, I64]:
    """:func:`fuse`, and the link component of each anchor (in the order of the anchors), which
    :meth:`ceasefire.fusion.incremental.Fuser.from_bulk` keeps to refine them again later."""
    n = len(inp)
    anchor = anchor_mask(inp, config)
    labels = np.full(n, -1, dtype=np.int64)
    ambiguous = np.zeros(n, dtype=bool)
    ai = np.flatnonzero(anchor)
    components = np.zeros(0, dtype=np.int64)
    k = 0
    if ai.size:
        components, a_lab = anchor_incidents(inp.take(ai), config)
        labels[ai] = a_lab
        k = int(a_lab.max()) + 1
    co = np.flatnonzero(~anchor)
    if co.size:
        coarse = inp.take(co)
        if k:
            inc = _anchored(inp.take(ai), labels[ai], k)
            # A block holds all the candidates of its reports, so each chooses among them all.
            for ci, ki in _candidates(coarse, inc, config):
                ci, ki, unsure = _choose(coarse, ci, inc, ki, config)
                labels[co[ci]] = ki
                ambiguous[co[unsure]] = True
        free = np.flatnonzero(labels[co] < 0)
        if free.size:
            labels[co[free]] = k + _coarse_components(coarse.take(free), config)
    return Partition(_first_appearance(labels), anchor, ambiguous), components


def link_anchors(anchors: FusionInput, config: FusionConfig) -> I64:
    """Link component of each anchor, 0..k-1: the connected components of the pairs
    :func:`anchor_links` accepts among the candidates within reach, found on the grid of
    :func:`eps_components`, which decides whole cells where the rule's bounds allow."""
    rule = LinkRule(anchors, config)
    return eps_components(rule.points, rule=rule)


def anchor_incidents(anchors: FusionInput, config: FusionConfig) -> tuple[I64, I64]:
    """The link component and the incident of each anchor (0..k-1, first appearance): the
    components of :func:`link_anchors`, each split by :func:`ceasefire.fusion.refine.refine`
    (unless ``config.linkage`` is ``"single"``)."""
    rule = LinkRule(anchors, config)
    components = eps_components(rule.points, rule=rule)
    if config.linkage == "single":
        return components, components
    return components, _first_appearance(refine(anchors, components, config))


def _candidates(
    coarse: FusionInput, inc: _Anchored, config: FusionConfig
) -> Iterator[tuple[I64, I64]]:
    """Candidate (coarse, incident) pairs in blocks: same group, windows within one
    neighbourhood window, the incident's place within the report's reach.

    The reach is bounded by taking the incident's radius at its largest
    (:func:`ceasefire.fusion.matching._join_reach`), so the space-time grid of :func:`grid_pairs`
    never misses a pair; :func:`_choose` tests each exactly.
    """
    radius, window = config.scales()
    g = coarse.group
    w = window[g]
    reach = _join_reach(coarse.uncertainty_m, radius[g])
    return grid_pairs(
        (inc.x, inc.y, inc.group, inc.t0, inc.t1),
        (coarse.x, coarse.y, g, reach, coarse.t0 - w, coarse.t1 + w),
        _cell_base(config),
    )


def _coarse_components(free: FusionInput, config: FusionConfig) -> I64:
    """Components among unattached coarse reports (pairs from the space-time grid, then the
    exact test of :func:`_coarse_links`)."""
    n = len(free)
    _, window = config.scales()
    wide = np.flatnonzero(~free.region)  # oblast-level reports link to nothing
    sub = free.take(wide)
    w = window[sub.group]
    ea, eb = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    # A linked pair lies within the larger radius of the two: it is found from that one's side.
    for a, b in grid_pairs(
        (sub.x, sub.y, sub.group, sub.t0, sub.t1),
        (sub.x, sub.y, sub.group, sub.uncertainty_m + _SLACK_M, sub.t0 - w, sub.t1 + w),
        _cell_base(config),
    ):
        ok = _coarse_links(sub, a, b, config)
        ea.append(wide[a[ok]])
        eb.append(wide[b[ok]])
    a, b = np.concatenate(ea), np.concatenate(eb)
    graph = coo_matrix((np.ones(a.size, np.int8), (a, b)), shape=(n, n))
    _, labels = connected_components(graph.tocsr(), directed=False)
    return _first_appearance(labels)


def fuse_reports(
    items: Sequence[StoredReport], engine: GeoEngine, config: FusionConfig | None = None
) -> Partition:
    """:func:`fuse` over stored reports."""
    config = config or FusionConfig()
    return fuse(fusion_input(items, engine, config), config)


def partition_keys(inp: FusionInput, part: Partition) -> list[tuple[str, ...]]:
    """Each incident as the sorted tuple of its report ids, sorted (for comparing partitions)."""
    return sorted(tuple(sorted(inp.ids[m].tolist())) for m in part.members())
