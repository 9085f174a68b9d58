"""The decisions of fusion, shared by the bulk and the incremental path.

Which reports are anchors (:func:`anchor_mask`), where they lie in units of the widest link
(:func:`scaled_points`) and which pairs of anchors link (:func:`anchor_links`); the table of anchored incidents a coarse report is matched against
(:class:`_Anchored`); whether a coarse report may describe an incident (:func:`_compatible`) and
which one it joins (:func:`_choose`); whether two unattached coarse reports link
(:func:`_coarse_links`); how wide the cells of the space-time grids are (:func:`_cell_base`) and
how far from a coarse report they are searched for incidents (:func:`_join_reach`).
:func:`ceasefire.fusion.bulk.fuse` applies them to every report at once and
:class:`ceasefire.fusion.incremental.Fuser` to the neighbourhood of one new report: both decide
with the same code, so they give the same partition.

Incident places used for these decisions are integer-weighted sums in whole metres, so they are
exact whatever order the members arrived in.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Final, TypeVar

import numpy as np
import numpy.typing as npt

from ceasefire.fusion.columns import FusionInput
from ceasefire.fusion.config import FusionConfig
from ceasefire.vocab import EVENT_TYPES, FIRE_EVENT_TYPES

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]
_R = TypeVar("_R", float, F64)

# Integer weights for exact, order-free sums: w = round((_W_REF / u)**2), u >= _U_MIN, so
# 1 <= w <= 6400 and sum(w * x) stays far inside int64 for any realistic incident.
_W_REF: Final = 4_000.0
_U_MIN: Final = 50.0
#: Metres added to every reach a grid is searched with, so rounding never loses a pair at a
#: cell edge (the exact tests allow one metre less).
_SLACK_M: Final = 2.0


def anchor_mask(inp: FusionInput, config: FusionConfig) -> B:
    """Reports precise enough to place an incident."""
    _, window = config.scales()
    return (
        ~inp.region
        & (inp.uncertainty_m <= config.anchor_max_uncertainty_m)
        & ((inp.t1 - inp.t0) <= config.anchor_max_window * window[inp.group])
    )


def _mid(t0: I64, t1: I64) -> F64:
    """Mid-times, counted from 2020-01-01 so a window of minutes keeps sub-second resolution."""
    out: F64 = (t0 - _EPOCH) + (t1 - t0) / 2.0
    return out


def scaled_points(inp: FusionInput, config: FusionConfig) -> F64:
    """``(x, y, t)`` in units of the widest link of each group (``link_cap`` neighbourhood radii,
    one window); groups are set far apart so they never meet.

    Two anchors that link (:func:`anchor_links`) lie within distance 1 of each other here, so the
    pairs within 1 are the candidates the exact test is applied to.
    """
    radius, window = config.scales()
    r, w = config.link_cap * radius[inp.group], window[inp.group]
    # Groups are separated along x by more than any line length in neighbourhood units.
    return np.column_stack(
        [inp.x / r + inp.group.astype(np.float64) * _GROUP_GAP, inp.y / r, _mid(inp.t0, inp.t1) / w]
    )


def anchor_links(a: FusionInput, i: I64, j: I64, config: FusionConfig) -> B:
    """Whether anchors ``i`` and ``j`` describe one event.

    - Their event types may meet (:attr:`FusionConfig.compatibility`).
    - Their distance ``d`` and the gap ``dt`` of their mid-times lie inside the ellipse
      ``(d / gate)**2 + (dt / window)**2 <= 1``, where ``gate = sqrt(u_i**2 + u_j**2 + (e r)**2)``
      caps at ``c r`` (``r``, ``window``: the group's neighbourhood; ``e``, ``c``: ``link_extent``
      and ``link_cap``). Each report's own uncertainty counts: two sensor fixes of 2 km each
      4 km apart are one event, two UAV fixes of 75 m each 4 km apart are two.
    - They do not come from one source that reports an event once (a patrol, a camera...),
      unless they are the same report submitted twice (same type, window and place).

    Every test is a function of the pair alone, so the link components (which
    :mod:`ceasefire.fusion.refine` splits into incidents) do not depend on the order the reports
    came in. Decided in the space of
    :func:`scaled_points` by :class:`LinkRule`, which bulk linking applies to whole cells of
    its grid; both give the same answer for the same pair.
    """
    rule = LinkRule(a, config)
    diff = rule.points[i] - rule.points[j]
    sq = diff.T * diff.T
    dxy2 = sq[0] + sq[1]
    ok: B = dxy2 + sq[2] <= 1.0  # within reach: the candidates of bulk linking
    at = np.flatnonzero(ok)
    ok[at] = rule.links(i[at], j[at], dxy2[at], sq[2][at])
    return ok


#: What a bound that decides a whole cell leaves for rounding (the exact test's error is ~1e-16).
_BOUND_MARGIN: Final = 1e-9


class LinkRule:
    """:func:`anchor_links` in the space of :func:`scaled_points`, where the ellipse is
    ``dxy2 / rho2 + dt2 <= 1`` with ``rho2 = min(1, q_i + q_j + k0)``, ``q = (u / (c r))**2``
    and ``k0 = (e / c)**2``: the same test, per point columns gathered once.

    It is a :class:`ceasefire.fusion._linking.PairRule`: per cell of the linking grid it keeps
    the smallest and the largest ``q``, the union of the event types and the types all of them
    meet, and whether a single-report source is in it, so that whole cells and cell pairs are
    decided by bounds. A cell is connected when its least precise report (the largest ``q``)
    surely links to every other one, whose gate is at least that of the smallest ``q``: a
    precise report's small gate no longer splits the cell, as it did when every pair had to
    link (measured on the benchmark's 147k anchors: 1.9k of the 32k cells of more than one
    point left to test pair by pair, instead of 5.6k). Two connected cells are linked when
    their least precise reports surely link.
    """

    def __init__(self, a: FusionInput, config: FusionConfig, points: F64 | None = None) -> None:
        self.a = a
        self.points = scaled_points(a, config) if points is None else points
        radius, _ = config.scales()
        # One gather, then in place: a fresh array the length of the input costs as much as
        # the arithmetic on it (measured inside bulk linking: 0.6 ms each for 147k anchors).
        q = (config.link_cap * radius)[a.group]
        np.divide(a.uncertainty_m, q, out=q)
        self.q = np.multiply(q, q, out=q)
        self.k0 = (config.link_extent / config.link_cap) ** 2
        self.source = a.source
        # One 32-bit word per report: its type bit, the types it does not meet, and whether it
        # has a single-report source. The pair test reads types from it; one OR over a cell
        # gives all three bounds of the cell (the types in it, the types one of its reports
        # does not meet, whether a source is in it).
        at = a.etype * np.int16(2)
        at += a.source >= 0
        self._word = _word_table(config.compatible_bits.tobytes())[at]

    def links(self, i: I64, j: I64, dxy2: F64, dt2: F64) -> B:
        wi = self._word[i]
        # The types meet: j's type is not one that i does not meet.
        ok: B = ((wi >> _UNMET_SHIFT) & self._word[j] & _ALL_TYPES) == 0
        rho2 = self.q[i]
        rho2 += self.q[j]
        rho2 += self.k0
        np.minimum(rho2, 1.0, out=rho2)
        np.divide(dxy2, rho2, out=rho2)
        rho2 += dt2
        ok &= rho2 <= 1.0
        sourced = np.flatnonzero(ok & (wi >= 1 << _SOURCED_BIT))
        same = sourced[self.source[i[sourced]] == self.source[j[sourced]]]
        if same.size:  # rare: only then ask whether it is one report submitted twice
            a, si, sj = self.a, i[same], j[same]
            copy = (a.t0[si] == a.t0[sj]) & (a.t1[si] == a.t1[sj]) & (a.etype[si] == a.etype[sj])
            d2 = (a.x[si] - a.x[sj]) ** 2 + (a.y[si] - a.y[sj]) ** 2
            ok[same] = copy & (d2 <= 1.0)
        return ok

    def bind(self, head: I64, tail: I64, tail_cell: I64) -> None:
        # Each statistic starts from the cell's first report and takes in the others with
        # ufunc.at (measured: 4 to 5 times faster than reduceat over the sorted points).
        q, q_tail = self.q[head], self.q[tail]
        self._qmin = q
        self._qmax = q.copy()
        np.minimum.at(self._qmin, tail_cell, q_tail)
        np.maximum.at(self._qmax, tail_cell, q_tail)
        # A cell's word: the types in it, the types one of its reports does not meet, and
        # whether a single-report source is in it.
        self._cell_word, word_tail = self._word[head], self._word[tail]
        np.bitwise_or.at(self._cell_word, tail_cell, word_tail)
        # Cells where two reports of one single-report source meet: those pairs are decided one
        # by one (they link only when one report was submitted twice). Such a pair has a report
        # past its cell's first: key (cell, source) those and, once, the first reports of their
        # cells (the tail is in cell order).
        at = np.flatnonzero(word_tail >= 1 << _SOURCED_BIT)
        cells = tail_cell[at]
        once = np.ones(cells.size, dtype=bool)
        np.not_equal(cells[1:], cells[:-1], out=once[1:])
        cells_once = cells[once]
        first_src = self.source[head[cells_once]]
        with_first = first_src >= 0
        key = np.concatenate(  # sources are CRC-32s: 32 bits
            [
                (cells << 32) | self.source[tail[at]],
                (cells_once[with_first] << 32) | first_src[with_first],
            ]
        )
        key.sort()
        self._twice = np.zeros(head.size, dtype=bool)
        self._twice[(key[1:][key[1:] == key[:-1]] >> 32)] = True

    def connected(self, span_xy2: F64, span_t2: F64) -> B:
        # A star: the report of the largest q links to each other one (whose q is at least the
        # smallest), every pair's types meet and no source is in it twice.
        rho2 = np.minimum(self._qmax + self._qmin + self.k0, 1.0)
        ok: B = span_xy2 / rho2 + span_t2 <= 1.0 - _BOUND_MARGIN
        w = self._cell_word
        ok &= (w & (w >> _UNMET_SHIFT) & _ALL_TYPES) == 0
        ok &= ~self._twice  # two reports of one source may not link: decide them one by one
        return ok

    def surely(self, a: I64, b: I64, most_xy2: F64, most_t2: F64) -> B:
        # The least precise report of each cell: the widest gate of any pair across.
        rho2 = np.minimum(self._qmax[a] + self._qmax[b] + self.k0, 1.0)
        ok: B = most_xy2 / rho2 + most_t2 <= 1.0 - _BOUND_MARGIN
        wa, wb = self._cell_word[a], self._cell_word[b]
        ok &= (((wa & (wb >> _UNMET_SHIFT)) | (wb & (wa >> _UNMET_SHIFT))) & _ALL_TYPES) == 0
        ok &= (wa & wb) < 1 << _SOURCED_BIT  # else one source may be in both
        return ok

    def possibly(self, a: I64, b: I64, least_xy2: F64, least_t2: F64) -> B:
        # No pair across has a wider gate than the least precise reports' (measured on the
        # benchmark: 1.7k of the 11k cell pairs left by distance are dropped, 7k pair tests).
        rho2 = np.minimum(self._qmax[a] + self._qmax[b] + self.k0, 1.0)
        ok: B = least_xy2 / rho2 + least_t2 <= 1.0 + _BOUND_MARGIN
        return ok


_EPOCH: Final = 1_577_836_800  # 2020-01-01T00:00:00Z
_GROUP_GAP: Final = 1e7


def _weights(u: F64) -> I64:
    return np.maximum(1, np.rint((_W_REF / np.maximum(u, _U_MIN)) ** 2)).astype(np.int64)


#: One bit per event type: an incident's ``types`` is the union over its anchors.
_TYPE_BITS: Final = np.left_shift(np.int64(1), np.arange(len(EVENT_TYPES), dtype=np.int64))
_ALL_TYPES: Final = (1 << len(EVENT_TYPES)) - 1
# LinkRule's 32-bit words: type bits from 0, the types not met from bit 15, the source at 30.
_UNMET_SHIFT: Final = 15
_SOURCED_BIT: Final = 30
assert len(EVENT_TYPES) <= _UNMET_SHIFT


@lru_cache(maxsize=8)
def _word_table(compatible_bits: bytes) -> npt.NDArray[np.int32]:
    """LinkRule's word of a report, by (type, sourced) at 2 * type + sourced: built once per
    compatibility table (the incremental path builds a LinkRule for every report it adds)."""
    unmet = (~np.frombuffer(compatible_bits, dtype=np.int64) & _ALL_TYPES) << _UNMET_SHIFT
    table = np.repeat(_TYPE_BITS | unmet, 2)
    table[1::2] |= 1 << _SOURCED_BIT
    return table.astype(np.int32)


_FIRE: Final = np.array([t in FIRE_EVENT_TYPES for t in EVENT_TYPES], dtype=bool)


def _class_bits(wclass: npt.NDArray[np.int16]) -> I64:
    out: I64 = np.where(wclass >= 0, np.left_shift(1, np.maximum(wclass, 0)), 0).astype(np.int64)
    return out


def _model_keys(incident: I64, model: I64) -> I64:
    """One key per (incident, model): models are CRC-32s, so they fit in the low 32 bits."""
    out: I64 = incident.astype(np.int64) * (1 << 32) + model
    return out


@dataclass
class _Anchored:
    """Per anchored incident: exact weighted sums, time span and what its anchors say.

    ``types`` and ``classes`` are bit sets of the event types and known weapon classes among
    the anchors, ``models`` the sorted (incident, model) keys of :func:`_model_keys`, and
    ``sw_left`` / ``sw_right`` the weight of anchors on each side of the line. All are unions and
    sums, so they do not depend on the order the anchors came in.
    """

    key: npt.NDArray[np.object_]  # canonical key: smallest member id
    group: npt.NDArray[np.int16]
    sw: I64
    swx: I64
    swy: I64
    t0: I64
    t1: I64
    types: I64
    classes: I64
    models: I64
    sw_left: I64
    sw_right: I64

    @property
    def x(self) -> F64:
        return self.swx / self.sw

    @property
    def y(self) -> F64:
        return self.swy / self.sw

    @property
    def u(self) -> F64:
        return _W_REF / np.sqrt(self.sw.astype(np.float64))


def _anchored(inp: FusionInput, labels: I64, k: int) -> _Anchored:
    w = _weights(inp.uncertainty_m)
    qx, qy = np.rint(inp.x).astype(np.int64), np.rint(inp.y).astype(np.int64)
    sums = {}
    for name, v in (
        ("sw", w),
        ("swx", w * qx),
        ("swy", w * qy),
        ("sw_left", np.where(inp.side > 0, w, 0)),
        ("sw_right", np.where(inp.side < 0, w, 0)),
    ):
        sums[name] = np.zeros(k, np.int64)
        np.add.at(sums[name], labels, v)
    t0 = np.full(k, np.iinfo(np.int64).max)
    t1 = np.full(k, np.iinfo(np.int64).min)
    np.minimum.at(t0, labels, inp.t0)
    np.maximum.at(t1, labels, inp.t1)
    types = np.zeros(k, np.int64)
    classes = np.zeros(k, np.int64)
    np.bitwise_or.at(types, labels, _TYPE_BITS[inp.etype])
    np.bitwise_or.at(classes, labels, _class_bits(inp.wclass))
    has = inp.wmodel >= 0
    models = np.unique(_model_keys(labels[has], inp.wmodel[has]))
    group = np.zeros(k, np.int16)
    group[labels] = inp.group
    order = np.lexsort((inp.ids.astype(str), labels))
    first = np.ones(order.size, dtype=bool)
    first[1:] = labels[order][1:] != labels[order][:-1]
    key = np.empty(k, dtype=object)
    key[labels[order][first]] = inp.ids[order][first]
    return _Anchored(key, group, t0=t0, t1=t1, types=types, classes=classes, models=models, **sums)


def _compatible(coarse: FusionInput, ci: I64, inc: _Anchored, ki: I64, config: FusionConfig) -> B:
    """Whether coarse reports ``ci`` may describe incidents ``ki``: nothing they say contradicts
    the incident's anchors.

    The event type must meet every anchor's (:attr:`FusionConfig.compatibility`); a known weapon
    class or a weapon model must be among the anchors' where the anchors name any; for fire, the
    claimed perpetrator must not hold the side every anchor lies on (a party does not report the
    other side shelling its own ground).
    """
    meets = config.compatible_bits[coarse.etype[ci]]
    ok = (inc.types[ki] & ~meets) == 0
    cb = _class_bits(coarse.wclass[ci])
    ok &= (cb == 0) | (inc.classes[ki] == 0) | ((inc.classes[ki] & cb) != 0)
    if inc.models.size:  # else no anchor names a model: nothing to contradict
        m = coarse.wmodel[ci]
        named = np.zeros(inc.key.size, dtype=bool)
        named[inc.models >> 32] = True
        keys = _model_keys(ki, m)  # sought in the sorted keys
        at = np.minimum(np.searchsorted(inc.models, keys), inc.models.size - 1)
        ok &= (m < 0) | ~named[ki] | (inc.models[at] == keys)
    claim = coarse.claim[ci]
    own = np.where(claim > 0, inc.sw_right[ki] == 0, inc.sw_left[ki] == 0)  # all on its side
    ok &= ~_FIRE[coarse.etype[ci]] | (claim == 0) | ~own
    out: B = ok
    return out


def _gap(a0: I64, a1: I64, b0: I64, b1: I64) -> I64:
    """Seconds between two windows (0 when they overlap)."""
    out: I64 = np.maximum(0, np.maximum(b0 - a1, a0 - b1))
    return out


def _choose(
    coarse: FusionInput, ci: I64, inc: _Anchored, ki: I64, config: FusionConfig
) -> tuple[I64, I64, I64]:
    """For candidate pairs (coarse ``ci``, incident ``ki``), the chosen incident per report.

    Returns the coarse indices that join, the incident each joins, and the coarse indices that
    fit anchored incidents but join none (*ambiguous*: an oblast-level report with several
    candidates, see ``region_joins``). A pair qualifies when the
    groups match, the report does not contradict the incident (:func:`_compatible`), the windows
    lie within one neighbourhood window and the distance is within the report's radius + the
    incident's + one neighbourhood radius; the best has the smallest
    normalised distance (ties: earliest incident, then smallest key).
    """
    radius, window = config.scales()
    g = coarse.group[ci]
    # The cheap tests that drop most candidates first; the content test on what is left.
    gap = _gap(coarse.t0[ci], coarse.t1[ci], inc.t0[ki], inc.t1[ki])
    ok = (inc.group[ki] == g) & (gap <= window[g])
    ci, ki, g, gap = ci[ok], ki[ok], g[ok], gap[ok]
    sw = inc.sw[ki]
    d = np.hypot(coarse.x[ci] - inc.swx[ki] / sw, coarse.y[ci] - inc.swy[ki] / sw)
    reach = coarse.uncertainty_m[ci] + _W_REF / np.sqrt(sw.astype(np.float64)) + radius[g]
    ok = d <= reach
    ok[ok] = _compatible(coarse, ci[ok], inc, ki[ok], config)
    ci, ki, g, gap, d, reach = ci[ok], ki[ok], g[ok], gap[ok], d[ok], reach[ok]
    score = (d / reach) ** 2 + (gap / window[g]) ** 2
    order = np.lexsort((inc.key[ki].astype(str), inc.t0[ki], score, ci))
    ci, ki = ci[order], ki[order]
    first = np.ones(ci.size, dtype=bool)
    first[1:] = ci[1:] != ci[:-1]
    n_cand = np.diff(np.append(np.flatnonzero(first), ci.size))
    ci, ki = ci[first], ki[first]
    region = coarse.region[ci]
    if config.region_joins == "never":
        keep = ~region
    elif config.region_joins == "sole":
        keep = ~region | (n_cand == 1)
    else:
        keep = np.ones(ci.size, dtype=bool)
    return ci[keep], ki[keep], ci[~keep]


def _join_reach(u: _R, radius: _R) -> _R:
    """How far from a coarse report of uncertainty ``u`` (group radius ``radius``) an incident
    it may join can lie, as the grids search it: :func:`_choose`'s reach with the incident's
    radius at its largest (``_W_REF``: one anchor of the smallest weight), plus the slack."""
    return u + _W_REF + radius + _SLACK_M


def _coarse_links(a: FusionInput, ai: I64, bi: I64, config: FusionConfig) -> B:
    """Whether unattached coarse reports ``ai`` and ``bi`` are linked (pairwise, vectorised)."""
    _, window = config.scales()
    g = a.group[ai]
    ok = (g == a.group[bi]) & ~a.region[ai] & ~a.region[bi]
    # Nothing they say contradicts: the types meet, known classes and named models agree where
    # both give one. Claims may differ: each party blames the other for the same shell.
    ok &= config.compatibility[a.etype[ai], a.etype[bi]]
    ca, cb = a.wclass[ai], a.wclass[bi]
    ok &= (ca < 0) | (cb < 0) | (ca == cb)
    ma, mb = a.wmodel[ai], a.wmodel[bi]
    ok &= (ma < 0) | (mb < 0) | (ma == mb)
    gap = _gap(a.t0[ai], a.t1[ai], a.t0[bi], a.t1[bi])
    d = np.hypot(a.x[ai] - a.x[bi], a.y[ai] - a.y[bi])
    reach = np.maximum(a.uncertainty_m[ai], a.uncertainty_m[bi])
    linked: B = ok & (gap <= window[g]) & (d <= reach)
    return linked


def _cell_base(config: FusionConfig) -> F64:
    """Side of the finest grid cells of each group: twice the reach of a point-like report (one
    neighbourhood radius plus the widest incident's), so its lookup visits 2 x 2 or 3 x 3 cells.
    Coarser levels are 4, 16, ... times wider (see :mod:`ceasefire.fusion._grid`)."""
    radius, _ = config.scales()
    out: F64 = 2.0 * (_W_REF + radius)
    return out
