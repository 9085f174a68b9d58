"""Refinement: a linked component of anchors split into the events it holds, without chaining.

Linking (:func:`ceasefire.fusion.bulk.link_anchors`) joins two anchors whenever their pair passes
:func:`ceasefire.fusion.matching.anchor_links`, and the connected components are single linkage:
a burst of small-arms exchanges a few km and minutes apart, or two patrol reports of two events
with a sensor fix between them, chain into one component. Each component of three or more
anchors is therefore split by *average linkage* on the same pair cost:

- the cost of a pair is where it lies in the link ellipse, ``c = d**2 / gate**2 + dt**2 /
  window**2`` (``c <= 1``: inside; see :class:`ceasefire.fusion.matching.LinkRule`), infinite
  where the pair may never be one event (types that do not meet, two reports of one source that
  reports an event once, unless one report was submitted twice);
- starting from single anchors, the two clusters with the smallest mean cost over their cross
  pairs merge while that mean is at most 1 (an infinite cost in the mean keeps them apart for
  good, so one patrol's two reports never meet through a third report);
- ties go to the first pair in the order of report ids.

A component whose pairs all link is one incident (every mean of costs <= 1 is <= 1), so only
components that are not cliques are worked on: 3.5k of the 36k components of 147k anchors
(200k simulated reports), refined in 0.13 s against 0.05 s for linking. Measured on the grid of
``benchmarks/fusion.py``: mean F1 0.876 -> 0.885 with the wider links of the defaults, lowest
0.799 -> 0.812, every setting at or above its tuned single-link baseline, demo-night fire
violations 303 -> 310 of 340 true fire events.

Refinement is a function of a component's member *set* (the members are sorted by report id
first; ids are unique), so the bulk path (:func:`refine`, every component at once) and the incremental one
(:func:`refine_component` on the component a new anchor touched) give the same incidents
whatever order the reports came in.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ceasefire.fusion._linking import _aranges_with_index
from ceasefire.fusion.columns import FusionInput
from ceasefire.fusion.config import FusionConfig
from ceasefire.fusion.matching import LinkRule

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]


def _pair_terms(points: F64, i: I64, j: I64) -> tuple[F64, F64]:
    """Squared space and time distances of pairs in the scaled space-time of the rule (one
    formula for both paths, so both decide from the same floating-point numbers)."""
    diff = points[i] - points[j]
    dxy2: F64 = diff[:, 0] * diff[:, 0] + diff[:, 1] * diff[:, 1]
    dt2: F64 = diff[:, 2] * diff[:, 2]
    return dxy2, dt2


def _all_pairs(sizes: I64) -> tuple[I64, I64]:
    """Every pair ``a < b`` of positions inside each run of ``sizes`` consecutive positions."""
    starts = np.cumsum(sizes) - sizes
    # For each position, the later positions of its run.
    pos, run = _aranges_with_index(starts, sizes)
    later = starts[run] + sizes[run] - pos - 1
    a = np.repeat(pos, later)
    b, _ = _aranges_with_index(pos + 1, later)
    return a, b


def refine_component(sub: FusionInput, config: FusionConfig) -> I64:
    """Local cluster labels (0..k-1, in the order of ``sub``) of one linked component."""
    n = len(sub)
    if n < 3:
        return np.zeros(n, dtype=np.int64)
    order = np.argsort(sub.ids.astype(str), kind="stable")
    local = np.empty(n, dtype=np.int64)
    local[order] = _refine_runs(LinkRule(sub.take(order), config), np.array([n], dtype=np.int64))
    return local


def _refine_runs(rule: LinkRule, sizes: I64) -> I64:
    """Cluster labels, 0..k-1 within each run, of the components laid out as consecutive runs
    of ``sizes`` anchors (each sorted by report id) in the rows of ``rule``."""
    a, b = _all_pairs(sizes)
    dxy2, dt2 = _pair_terms(rule.points, a, b)
    starts = np.cumsum(sizes) - sizes
    run = np.searchsorted(starts, a, side="right") - 1
    local = np.zeros(int(sizes.sum()), dtype=np.int64)
    bad = np.unique(run[~rule.links(a, b, dxy2, dt2)])
    if not bad.size:
        return local
    # The pairs of the components that are not cliques (runs' pairs are consecutive), costed at
    # once: the ellipse term, infinite where the hard part of the rule (types, sources) refuses;
    # the ellipse always holds at distance 0, so that is the hard part alone.
    first = np.searchsorted(run, bad, side="left")
    count = sizes[bad] * (sizes[bad] - 1) // 2
    at, _ = _aranges_with_index(first, count)
    pa, pb = a[at], b[at]
    zero = np.zeros(at.size)
    rho2 = np.minimum(rule.q[pa] + rule.q[pb] + rule.k0, 1.0)
    cost = np.where(rule.links(pa, pb, zero, zero), dxy2[at] / rho2 + dt2[at], np.inf)
    # Components of one size are refined together: one cost matrix each, stacked.
    prun = run[at]
    for n in np.unique(sizes[bad]).tolist():
        these = bad[sizes[bad] == n]
        mine = sizes[prun] == n
        kk = np.searchsorted(these, prun[mine])
        ia, ib = pa[mine] - starts[prun[mine]], pb[mine] - starts[prun[mine]]
        matrix = np.full((these.size, n, n), np.inf)
        matrix[kk, ia, ib] = matrix[kk, ib, ia] = cost[mine]
        local[starts[these][:, None] + np.arange(n)] = _average_linkage(matrix)
    return local


def _average_linkage(cost: F64) -> I64:
    """Clusters of average linkage on stacked symmetric cost matrices ``(k, n, n)``, infinite
    on the diagonal: in each, the two clusters with the smallest mean cost merge while that mean
    is at most 1. Labels ``(k, n)``, 0.. in order of first member.

    All matrices take one merge per round; each matrix's arithmetic is its own, so a matrix
    gives the same clusters alone or stacked with others (the bulk and incremental paths).
    """
    k, n, _ = cost.shape
    size = np.ones((k, n))
    label = np.tile(np.arange(n), (k, 1))
    live = np.arange(k)
    while live.size:
        flat = cost[live].reshape(live.size, n * n)
        best = flat.argmin(axis=1)
        go = flat[np.arange(live.size), best] <= 1.0
        live, best = live[go], best[go]
        if not live.size:
            break
        i, j = np.divmod(best, n)  # i < j: the first of a symmetric pair in row-major order
        si, sj = size[live, i], size[live, j]
        # Lance-Williams update for the mean over cross pairs; an infinite cost stays infinite.
        row = (si[:, None] * cost[live, i, :] + sj[:, None] * cost[live, j, :]) / (si + sj)[:, None]
        row[np.arange(live.size), i] = np.inf
        cost[live, i, :] = row
        cost[live, :, i] = row
        cost[live, j, :] = np.inf
        cost[live, :, j] = np.inf
        size[live, i] = si + sj
        lab = label[live]
        label[live] = np.where(lab == j[:, None], i[:, None], lab)
    # Each cluster is labelled by its first member: number them in that order.
    rank = np.cumsum(label == np.arange(n), axis=1) - 1
    out: I64 = np.take_along_axis(rank, label, axis=1).astype(np.int64)
    return out


def refine(anchors: FusionInput, components: I64, config: FusionConfig) -> I64:
    """Incident label of each anchor (0..k-1, any order): each linked component refined.

    Components of one or two anchors are kept whole; the larger ones are laid out one after
    the other, each sorted by report id as :func:`refine_component` sorts it, and decided
    together: those whose pairs all link stay whole, the rest are split, the components of one
    size at a time.
    """
    sizes = np.bincount(components)
    big = np.flatnonzero(sizes[components] >= 3)
    if not big.size:
        return components
    members = big[np.lexsort((anchors.ids[big].astype(str), components[big]))]
    comp = components[members]
    run_sizes = sizes[np.unique(comp)]
    local = _refine_runs(LinkRule(anchors.take(members), config), run_sizes)
    out = components.copy()
    split = local > 0
    # Cluster 0 of a component keeps its label; the others get new ones past the last.
    key = comp[split] * (int(local.max()) + 1) + local[split]
    _, fresh = np.unique(key, return_inverse=True)
    out[members[split]] = sizes.size + fresh
    return out
