"""Fusion's anchor decisions by brute force, for the tests: every pair tested, in metres and
seconds rather than the scaled space of :class:`ceasefire.fusion.matching.LinkRule`, and
average linkage by recomputing every mean, so nothing is shared with the code under test but
:func:`ceasefire.fusion.matching.anchor_links`."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ceasefire.fusion.columns import FusionInput
from ceasefire.fusion.config import FusionConfig
from ceasefire.fusion.matching import anchor_links

I64 = npt.NDArray[np.int64]


def brute_anchor_incidents(a: FusionInput, config: FusionConfig) -> I64:
    """Incident of each anchor: the components of every linked pair, each split by average
    linkage on the pair cost (see :mod:`ceasefire.fusion.refine`)."""
    n = len(a)
    i, j = (v.ravel() for v in np.triu_indices(n, 1))
    ok = anchor_links(a, i, j, config)
    graph = coo_matrix((np.ones(int(ok.sum())), (i[ok], j[ok])), shape=(n, n))
    comp = np.asarray(connected_components(graph, directed=False)[1], dtype=np.int64)
    if config.linkage == "single":
        return comp
    labels = comp.copy()
    for c in np.unique(comp).tolist():
        members = sorted(np.flatnonzero(comp == c).tolist(), key=lambda k: str(a.ids[k]))
        for cluster in _average_linkage(a, members, config)[1:]:
            labels[cluster] = labels.max() + 1
    return labels


def _cost(a: FusionInput, i: int, j: int, config: FusionConfig) -> float:
    """Where pair ``(i, j)`` lies in its link ellipse; infinite where it may never be one event."""
    single = a.source[i] >= 0 and a.source[i] == a.source[j]
    copy = (a.t0[i], a.t1[i], a.etype[i]) == (a.t0[j], a.t1[j], a.etype[j]) and (
        (a.x[i] - a.x[j]) ** 2 + (a.y[i] - a.y[j]) ** 2 <= 1.0
    )
    if not config.compatibility[a.etype[i], a.etype[j]] or (single and not copy):
        return math.inf
    radius, window = config.scales()
    r, w = radius[a.group[i]], window[a.group[i]]
    u2 = a.uncertainty_m[i] ** 2 + a.uncertainty_m[j] ** 2
    gate = min(math.sqrt(u2 + (config.link_extent * r) ** 2), config.link_cap * r)
    dt = (a.t0[i] + a.t1[i]) / 2 - (a.t0[j] + a.t1[j]) / 2
    return float(math.hypot(a.x[i] - a.x[j], a.y[i] - a.y[j]) ** 2 / gate**2 + (dt / w) ** 2)


def _average_linkage(a: FusionInput, members: list[int], config: FusionConfig) -> list[list[int]]:
    """Clusters of ``members`` (sorted by id): merge the pair of clusters with the smallest mean
    cost (ties: the first pair in id order) while it is at most 1."""
    cost = {(i, j): _cost(a, i, j, config) for i in members for j in members}
    clusters = [[m] for m in members]
    while len(clusters) > 1:
        best, pair = math.inf, (0, 0)
        for x in range(len(clusters)):
            for y in range(x + 1, len(clusters)):
                mean = sum(cost[i, j] for i in clusters[x] for j in clusters[y])
                mean /= len(clusters[x]) * len(clusters[y])
                if mean < best:
                    best, pair = mean, (x, y)
        if not best <= 1.0:
            break
        x, y = pair
        clusters[x] += clusters.pop(y)
    return clusters
