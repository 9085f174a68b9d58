"""Fusion: reports that describe the same event become one incident.

Reports are split by how well they place their event.

*Anchors* (a point known to within ``anchor_max_uncertainty_m``, not just an oblast, and a time
window no wider than ``anchor_max_window`` neighbourhoods: monitors, sensors, cameras) place
incidents. Two anchors of one *group* of compatible event types are linked when they lie within
one neighbourhood of each other in space-time: the group's ``radius_m`` and ``window_s`` scale
``(x, y, t)`` to unit distance, and the incidents are the connected components of that graph
(single linkage; DBSCAN with ``min_samples=1`` on the scaled coordinates, see
:mod:`ceasefire.fusion._linking`).

*Coarse* reports (placed to a town or an oblast, or with hours-wide windows: parties, news) never
move an incident. Each joins the anchored incident of its group that fits it best: the incident's
place within the report's own uncertainty radius plus the incident's and one neighbourhood, the
time windows no more than one window apart; best = smallest normalised distance. A coarse report
that fits no anchored incident is grouped with the other unattached coarse reports it overlaps
(one's point inside the other's radius, windows within one neighbourhood); an oblast-level report
joins only where it is the sole candidate (``region_joins``), since "shelling in Donetsk oblast
overnight" fits a dozen incidents and belongs to none of them in particular.

The partition depends only on the set of reports, never on their order: :func:`fuse` computes it
in bulk (vectorised) and :class:`Fuser` keeps it up to date one report at a time, touching only
the neighbourhood of the new report; a test holds the two equal. Incident places used for these
decisions are integer-weighted sums in whole metres, so they are exact whatever order the members
arrived in.
"""

from __future__ import annotations

import itertools
import math
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ceasefire.errors import InputError, Problem
from ceasefire.fusion._grid import LEVEL_FACTOR, SpaceTimeGrid, grid_pairs
from ceasefire.fusion._linking import _first_appearance, eps_components
from ceasefire.vocab import EVENT_TYPES, FIRE_EVENT_TYPES, WEAPON_CLASSES

if TYPE_CHECKING:
    from ceasefire.geo.engine import GeoEngine
    from ceasefire.records import StoredReport

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Neighbourhood:
    """How far apart in space and time two reports of one event may lie (one scaled unit)."""

    radius_m: float
    window_s: float


#: Default groups of compatible event types and their neighbourhoods. One fire group: a sensor
#: or a camera reports a shell and a missile alike as an explosion, so they must be able to meet.
#: Shelling episodes last minutes (the simulator's median is 4 min), weapons stay put for hours.
DEFAULT_GROUPS: Final[dict[str, tuple[tuple[str, ...], Neighbourhood]]] = {
    "fire": ((*FIRE_EVENT_TYPES, "infrastructure_damage"), Neighbourhood(2_500.0, 900.0)),
    "weapons": (("weapon_sighting",), Neighbourhood(1_000.0, 3 * 3600.0)),
    "presence": (("armed_presence", "military_movement"), Neighbourhood(2_000.0, 3600.0)),
    "overflight": (("drone_overflight",), Neighbourhood(5_000.0, 1800.0)),
    "mines": (("mine",), Neighbourhood(500.0, 24 * 3600.0)),
    "other": (("other",), Neighbourhood(1_000.0, 3600.0)),
}

#: Uncertainty assumed when a report gives none, by its place precision (metres).
DEFAULT_UNCERTAINTY_M: Final[dict[str | None, float]] = {
    "exact": 100.0,
    "near": 5_000.0,
    "region": 50_000.0,
    None: 1_000.0,
}

# Integer weights for exact, order-free sums: w = round((_W_REF / u)**2), u >= _U_MIN, so
# 1 <= w <= 6400 and sum(w * x) stays far inside int64 for any realistic incident.
_W_REF: Final = 4_000.0
_U_MIN: Final = 50.0


@dataclass(frozen=True)
class FusionConfig:
    """Fusion settings; the defaults are the ones ``benchmarks/fusion.py`` measures.

    ``groups`` maps a group name to its event types and :class:`Neighbourhood`; every event type
    of the vocabulary must be in exactly one group.
    """

    groups: Mapping[str, tuple[tuple[str, ...], Neighbourhood]] = field(
        default_factory=lambda: dict(DEFAULT_GROUPS)
    )
    anchor_max_uncertainty_m: float = 4_000.0
    #: Widest window of an anchor, in neighbourhood windows of its group.
    anchor_max_window: float = 4.0
    #: Oblast-level reports join an anchored incident only when it is the sole candidate
    #: ("sole"), always the best one ("best"), or never ("never").
    region_joins: Literal["sole", "best", "never"] = "sole"

    def __post_init__(self) -> None:
        problems = []
        seen: dict[str, str] = {}
        for name, (types, hood) in self.groups.items():
            for t in types:
                if t not in EVENT_TYPES:
                    problems.append(
                        Problem("fusion", f"groups.{name}", f"unknown event type {t!r}")
                    )
                elif t in seen:
                    problems.append(
                        Problem("fusion", f"groups.{name}", f"{t!r} is already in {seen[t]!r}")
                    )
                seen[t] = name
            for what, value in (("radius_m", hood.radius_m), ("window_s", hood.window_s)):
                if not (np.isfinite(value) and value > 0):
                    problems.append(
                        Problem("fusion", f"groups.{name}.{what}", f"must be > 0, got {value}")
                    )
        missing = [t for t in EVENT_TYPES if t not in seen]
        if missing:
            problems.append(Problem("fusion", "groups", f"no group for {', '.join(missing)}"))
        if not self.anchor_max_uncertainty_m > 0:
            problems.append(Problem("fusion", "anchor_max_uncertainty_m", "must be > 0"))
        if not self.anchor_max_window > 0:
            problems.append(Problem("fusion", "anchor_max_window", "must be > 0"))
        if self.region_joins not in ("sole", "best", "never"):
            problems.append(Problem("fusion", "region_joins", "must be one of: sole, best, never"))
        if problems:
            raise InputError(problems)

    @property
    def group_names(self) -> tuple[str, ...]:
        return tuple(self.groups)

    def group_codes(self, event_types: Sequence[str]) -> npt.NDArray[np.int16]:
        """Group index of each event type."""
        table = {t: i for i, (types, _) in enumerate(self.groups.values()) for t in types}
        return np.fromiter((table[t] for t in event_types), dtype=np.int16, count=len(event_types))

    def scales(self) -> tuple[F64, F64]:
        """Radius and window of each group, as arrays indexed by group code."""
        hoods = [h for _, h in self.groups.values()]
        return (
            np.array([h.radius_m for h in hoods], dtype=np.float64),
            np.array([h.window_s for h in hoods], dtype=np.float64),
        )


@dataclass
class FusionInput:
    """Reports as columns, in the engine's metric projection (see :func:`fusion_input`).

    The content columns say what a report claims, as codes that compare across inputs: the
    event type (index in the vocabulary), weapon class (-1 when not given or ``unknown``),
    weapon model (CRC-32 of its case-folded name, -1 when not given), claimed perpetrator and the
    side of the line the report's point is on (+1 left, -1 right, 0 neither / not given).
    """

    ids: npt.NDArray[np.object_]
    x: F64
    y: F64
    t0: I64  # seconds since the epoch
    t1: I64
    uncertainty_m: F64
    region: B  # placed only to an oblast
    group: npt.NDArray[np.int16]
    etype: npt.NDArray[np.int16]
    wclass: npt.NDArray[np.int16]
    wmodel: I64
    claim: npt.NDArray[np.int8]
    side: npt.NDArray[np.int8]

    def __len__(self) -> int:
        return int(self.ids.size)

    def take(self, index: npt.ArrayLike) -> FusionInput:
        i = np.asarray(index)
        return FusionInput(*(getattr(self, f.name)[i] for f in fields(self)))


def fusion_columns(
    engine: GeoEngine,
    config: FusionConfig,
    *,
    ids: Sequence[str],
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    t0: npt.ArrayLike,
    t1: npt.ArrayLike,
    uncertainty_m: npt.ArrayLike,
    place_precision: Sequence[str | None],
    event_type: Sequence[str],
    weapon_class: Sequence[str | None],
    weapon_model: Sequence[str | None],
    claimed_perpetrator: Sequence[str | None],
) -> FusionInput:
    """A :class:`FusionInput` from plain columns (times in seconds since the epoch).

    Raises :class:`InputError` naming the row and field of an event type the vocabulary lacks.
    """
    n = len(ids)
    unknown = [
        Problem(f"row {i + 1}", "event_type", f"unknown event type {t!r}")
        for i, t in enumerate(event_type)
        if t not in EVENT_TYPES
    ]
    if unknown:
        raise InputError(unknown)
    x, y = engine.project(lon, lat) if n else (np.zeros(0), np.zeros(0))
    side = engine.classify_xy(x, y).side if n else np.zeros(0, np.int8)
    a = engine.agreement
    parties = {a.left_party: 1, a.right_party: -1}
    classes = {c: i for i, c in enumerate(WEAPON_CLASSES) if c != "unknown"}
    types = {t: i for i, t in enumerate(EVENT_TYPES)}
    return FusionInput(
        ids=np.array(list(ids), dtype=object),
        x=x,
        y=y,
        t0=np.asarray(t0, dtype=np.int64),
        t1=np.asarray(t1, dtype=np.int64),
        uncertainty_m=np.asarray(uncertainty_m, dtype=np.float64),
        region=np.array([p == "region" for p in place_precision], dtype=bool),
        group=config.group_codes(event_type),
        etype=np.fromiter((types[t] for t in event_type), dtype=np.int16, count=n),
        wclass=np.fromiter((classes.get(c or "", -1) for c in weapon_class), np.int16, n),
        wmodel=np.fromiter((_model_code(m) for m in weapon_model), dtype=np.int64, count=n),
        claim=np.fromiter((parties.get(c or "", 0) for c in claimed_perpetrator), np.int8, n),
        side=np.asarray(side, dtype=np.int8),
    )


def _model_code(model: str | None) -> int:
    return -1 if not model else zlib.crc32(model.strip().casefold().encode("utf-8"))


def fusion_input(
    items: Sequence[StoredReport], engine: GeoEngine, config: FusionConfig | None = None
) -> FusionInput:
    """Columns of stored reports for :func:`fuse` (points projected by ``engine``)."""
    config = config or FusionConfig()
    reports = [s.report for s in items]
    return fusion_columns(
        engine,
        config,
        ids=[r.id for r in reports],
        lon=[s.lon for s in items],
        lat=[s.lat for s in items],
        t0=[int(r.observed_from.timestamp()) for r in reports],
        t1=[int((r.observed_to or r.observed_from).timestamp()) for r in reports],
        uncertainty_m=[
            s.uncertainty_m
            if s.uncertainty_m is not None
            else DEFAULT_UNCERTAINTY_M.get(s.report.place_precision, 1_000.0)
            for s in items
        ],
        place_precision=[r.place_precision for r in reports],
        event_type=[r.event_type for r in reports],
        weapon_class=[r.weapon_class for r in reports],
        weapon_model=[r.weapon_model for r in reports],
        claimed_perpetrator=[r.claimed_perpetrator for r in reports],
    )


# --- the pieces both the bulk and the incremental path use ---------------------------------------


def anchor_mask(inp: FusionInput, config: FusionConfig) -> B:
    """Reports precise enough to place an incident."""
    _, window = config.scales()
    return (
        ~inp.region
        & (inp.uncertainty_m <= config.anchor_max_uncertainty_m)
        & ((inp.t1 - inp.t0) <= config.anchor_max_window * window[inp.group])
    )


def scaled_points(inp: FusionInput, config: FusionConfig) -> F64:
    """``(x, y, t)`` in neighbourhood units; groups are set far apart so they never link.

    Times count from 2020-01-01 so a window of minutes keeps sub-second resolution in float64.
    """
    radius, window = config.scales()
    r, w = radius[inp.group], window[inp.group]
    mid = (inp.t0 - _EPOCH) + (inp.t1 - inp.t0) / 2.0
    # Groups are separated along x by more than any line length in neighbourhood units.
    return np.column_stack(
        [inp.x / r + inp.group.astype(np.float64) * _GROUP_GAP, inp.y / r, mid / w]
    )


_EPOCH: Final = 1_577_836_800  # 2020-01-01T00:00:00Z
_GROUP_GAP: Final = 1e7


def _weights(u: F64) -> I64:
    return np.maximum(1, np.rint((_W_REF / np.maximum(u, _U_MIN)) ** 2)).astype(np.int64)


#: Event types that say nothing about what caused them: they fit an incident of any type.
_UNSPECIFIC: Final = frozenset({"explosion", "infrastructure_damage", "air_attack", "other"})
_TYPE_BITS: Final = np.array(
    [0 if t in _UNSPECIFIC else 1 << i for i, t in enumerate(EVENT_TYPES)], dtype=np.int64
)
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

    ``types`` and ``classes`` are bit sets of the specific event types and known weapon classes
    among the anchors, ``models`` the sorted (incident, model) keys of :func:`_model_keys`, and
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


def _compatible(coarse: FusionInput, ci: I64, inc: _Anchored, ki: I64) -> B:
    """Whether coarse reports ``ci`` may describe incidents ``ki``: nothing they say contradicts
    the incident's anchors.

    A specific event type, a known weapon class or a weapon model must be among the anchors'
    where the anchors name any; for fire, the claimed perpetrator must not hold the side every
    anchor lies on (a party does not report the other side shelling its own ground).
    """
    tb = _TYPE_BITS[coarse.etype[ci]]
    ok = (tb == 0) | (inc.types[ki] == 0) | ((inc.types[ki] & tb) != 0)
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
) -> tuple[I64, I64]:
    """For candidate pairs (coarse ``ci``, incident ``ki``), the chosen incident per report.

    Returns the coarse indices that join and the incident each joins. A pair qualifies when the
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
    ok[ok] = _compatible(coarse, ci[ok], inc, ki[ok])
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
    return ci[keep], ki[keep]


def _coarse_links(a: FusionInput, ai: I64, bi: I64, config: FusionConfig) -> B:
    """Whether unattached coarse reports ``ai`` and ``bi`` are linked (pairwise, vectorised)."""
    _, window = config.scales()
    g = a.group[ai]
    ok = (g == a.group[bi]) & ~a.region[ai] & ~a.region[bi]
    # Nothing they say contradicts: specific types, known classes and named models agree where
    # both give one. Claims may differ: each party blames the other for the same shell.
    ta, tb = _TYPE_BITS[a.etype[ai]], _TYPE_BITS[a.etype[bi]]
    ok &= (ta == 0) | (tb == 0) | (ta == tb)
    ca, cb = a.wclass[ai], a.wclass[bi]
    ok &= (ca < 0) | (cb < 0) | (ca == cb)
    ma, mb = a.wmodel[ai], a.wmodel[bi]
    ok &= (ma < 0) | (mb < 0) | (ma == mb)
    gap = _gap(a.t0[ai], a.t1[ai], a.t0[bi], a.t1[bi])
    d = np.hypot(a.x[ai] - a.x[bi], a.y[ai] - a.y[bi])
    reach = np.maximum(a.uncertainty_m[ai], a.uncertainty_m[bi])
    linked: B = ok & (gap <= window[g]) & (d <= reach)
    return linked


# --- bulk ----------------------------------------------------------------------------------------


@dataclass
class Partition:
    """Which incident each report belongs to.

    ``labels[i]`` numbers incidents 0..k-1 in order of their first report in the input;
    ``anchor[i]`` says whether report ``i`` helped place its incident.
    """

    labels: I64
    anchor: B

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
    config = config or FusionConfig()
    n = len(inp)
    anchor = anchor_mask(inp, config)
    labels = np.full(n, -1, dtype=np.int64)
    ai = np.flatnonzero(anchor)
    k = 0
    if ai.size:
        a_lab = _first_appearance(eps_components(scaled_points(inp.take(ai), config)))
        labels[ai] = a_lab
        k = int(a_lab.max()) + 1
    co = np.flatnonzero(~anchor)
    if co.size:
        coarse = inp.take(co)
        if k:
            inc = _anchored(inp.take(ai), labels[ai], k)
            # A block holds all the candidates of its reports, so each chooses among them all.
            for ci, ki in _candidates(coarse, inc, config):
                ci, ki = _choose(coarse, ci, inc, ki, config)
                labels[co[ci]] = ki
        free = np.flatnonzero(labels[co] < 0)
        if free.size:
            labels[co[free]] = k + _coarse_components(coarse.take(free), config)
    return Partition(_first_appearance(labels), anchor)


def _candidates(
    coarse: FusionInput, inc: _Anchored, config: FusionConfig
) -> Iterator[tuple[I64, I64]]:
    """Candidate (coarse, incident) pairs in blocks: same group, windows within one
    neighbourhood window, the incident's place within the report's reach.

    The reach is bounded by taking the incident's radius at its largest (``_W_REF``: one anchor
    of the smallest weight), so the space-time grid of :func:`grid_pairs` never misses a pair;
    :func:`_choose` tests each exactly.
    """
    radius, window = config.scales()
    g = coarse.group
    w = window[g]
    reach = coarse.uncertainty_m + _W_REF + radius[g] + _SLACK_M
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


# --- incremental ---------------------------------------------------------------------------------

#: Time buckets of the grids: an hour, or a group's window where that is longer (mines).
_BUCKET_S: Final = 3600
#: Metres added to every reach a grid is searched with, so rounding never loses a pair at a
#: cell edge (the exact tests allow one metre less).
_SLACK_M: Final = 2.0
#: Levels of the incident grid: cells of 2, 8, 32 and 128 reaches of a point-like report.
_INC_LEVELS: Final = 4
_DTYPES: Final[dict[str, Any]] = {
    "ids": object,
    "x": np.float64,
    "y": np.float64,
    "t0": np.int64,
    "t1": np.int64,
    "uncertainty_m": np.float64,
    "region": bool,
    "group": np.int16,
    "etype": np.int16,
    "wclass": np.int16,
    "wmodel": np.int64,
    "claim": np.int8,
    "side": np.int8,
}


def _cell_base(config: FusionConfig) -> F64:
    """Side of the finest grid cells of each group: twice the reach of a point-like report (one
    neighbourhood radius plus the widest incident's), so its lookup visits 2 x 2 or 3 x 3 cells.
    Coarser levels are 4, 16, ... times wider (see :mod:`ceasefire.fusion._grid`)."""
    radius, _ = config.scales()
    out: F64 = 2.0 * (_W_REF + radius)
    return out


def _grow(cols: dict[str, npt.NDArray[Any]], n: int) -> None:
    """Make room for ``n`` rows in each column, doubling (amortised O(1) appends)."""
    cap = next(iter(cols.values())).size
    if n > cap:
        cap = max(n, 2 * cap, 1024)
        for name, col in cols.items():
            cols[name] = np.zeros(cap, dtype=col.dtype)
            cols[name][: col.size] = col


class _Incidents:
    """The anchored incidents of a :class:`Fuser`, by root (the report index of their union-find
    root): the columns of :class:`_Anchored` as arrays, so a table of any of them is one fancy
    index. ``cx``, ``cy`` hold the place each is filed under in the grid."""

    _INTS: Final = ("sw", "swx", "swy", "t0", "t1", "types", "classes", "sw_left", "sw_right")

    def __init__(self) -> None:
        self.cols: dict[str, npt.NDArray[Any]] = {
            name: np.zeros(0, np.int64) for name in self._INTS
        }
        self.cols["group"] = np.zeros(0, np.int16)
        self.cols["cx"] = np.zeros(0, np.float64)
        self.cols["cy"] = np.zeros(0, np.float64)
        self.cols["named"] = np.zeros(0, bool)  # whether it is in ``models``
        self.cols["key"] = np.zeros(0, dtype=object)
        self.models: dict[int, set[int]] = {}  # root -> CRC-32s of the models its anchors name

    def put(self, roots: I64, a: _Anchored) -> None:
        """Store the incidents of table ``a`` under ``roots``."""
        if roots.size == 0:
            return
        _grow(self.cols, int(roots.max()) + 1)
        for name in (*self._INTS, "group", "key"):
            self.cols[name][roots] = getattr(a, name)
        for k, m in zip(
            roots[a.models >> 32].tolist(), (a.models & 0xFFFFFFFF).tolist(), strict=True
        ):
            self.models.setdefault(k, set()).add(m)
            self.cols["named"][k] = True

    def put_one(self, r: int, one: FusionInput) -> None:
        """Store the incident of the single anchor ``one`` under ``r``: the row :func:`_anchored`
        gives it, without its sorting and scattering."""
        c = self.cols
        w = int(_weights(one.uncertainty_m)[0])
        side = int(one.side[0])
        c["sw"][r] = w
        c["swx"][r] = w * int(np.rint(one.x[0]))
        c["swy"][r] = w * int(np.rint(one.y[0]))
        c["sw_left"][r] = w if side > 0 else 0
        c["sw_right"][r] = w if side < 0 else 0
        c["t0"][r], c["t1"][r] = one.t0[0], one.t1[0]
        c["types"][r] = _TYPE_BITS[one.etype[0]]
        c["classes"][r] = _class_bits(one.wclass)[0]
        c["group"][r] = one.group[0]
        c["key"][r] = str(one.ids[0])
        c["named"][r] = one.wmodel[0] >= 0
        if c["named"][r]:
            self.models[r] = {int(one.wmodel[0])}

    def absorb(self, ra: int, rb: int) -> None:
        """Merge incident ``rb`` into ``ra`` (sums add, sets unite, spans widen)."""
        c = self.cols
        for name in ("sw", "swx", "swy", "sw_left", "sw_right"):
            c[name][ra] += c[name][rb]
        c["t0"][ra] = min(c["t0"][ra], c["t0"][rb])
        c["t1"][ra] = max(c["t1"][ra], c["t1"][rb])
        c["types"][ra] |= c["types"][rb]
        c["classes"][ra] |= c["classes"][rb]
        c["key"][ra] = min(c["key"][ra], c["key"][rb])
        moved = self.models.pop(rb, None)
        if moved:
            self.models.setdefault(ra, set()).update(moved)
            c["named"][ra] = True

    def table(self, roots: I64) -> _Anchored:
        """The incidents at ``roots`` as a table (row k is ``roots[k]``)."""
        c = self.cols
        named = np.flatnonzero(c["named"][roots])
        found = [
            (k, m)
            for k, r in zip(named.tolist(), roots[named].tolist(), strict=True)
            for m in self.models[r]
        ]
        models = _model_keys(
            np.array([k for k, _ in found], dtype=np.int64),
            np.array([m for _, m in found], dtype=np.int64),
        )
        return _Anchored(
            key=c["key"][roots],
            group=c["group"][roots],
            models=np.sort(models),
            **{name: c[name][roots] for name in self._INTS},
        )


class Fuser:
    """The partition of a growing set of reports, kept up to date one report at a time.

    Adding a report touches only its neighbourhood: the anchors in the 27 cells around it, the
    anchored incidents and coarse reports within reach of the changed incident, and the
    unattached coarse reports linked to those. The result is always the partition :func:`fuse`
    gives for the same set (a test holds them equal).

    "Within reach" is found with space-time grids (:class:`SpaceTimeGrid`), one for the anchored
    incidents (filed at every level, by their weighted place and span) and two for the coarse
    reports (each filed once, at the level its reach fits; oblast-level reports apart, as they
    never link to other coarse reports), so a lookup visits a few cells whatever the size of the
    history.
    """

    def __init__(self, config: FusionConfig | None = None) -> None:
        self.config = config or FusionConfig()
        self._radius, self._window = self.config.scales()
        self._n = 0
        self._cols: dict[str, npt.NDArray[Any]] = {
            f.name: np.zeros(0, dtype=_DTYPES[f.name]) for f in fields(FusionInput)
        }
        self._anchor = np.zeros(0, dtype=bool)
        self._parent: list[int] = []  # union-find over report indices (anchors only)
        self._grid: dict[tuple[int, int, int], list[int]] = {}
        self._point: list[tuple[float, float, float]] = []
        self._inc = _Incidents()
        base = _cell_base(self.config).tolist()
        buckets = [max(_BUCKET_S, math.ceil(w)) for w in self._window.tolist()]
        self._inc_grid = SpaceTimeGrid(base, buckets)
        self._coarse_grid = SpaceTimeGrid(base, buckets)
        self._region_grid = SpaceTimeGrid(base, buckets)
        self._attached: dict[int, int] = {}  # coarse report -> root of its anchored incident
        self._joined: dict[int, set[int]] = {}  # root -> coarse reports attached to it
        self._free_comp: dict[int, int] = {}  # unattached coarse report -> component id
        self._comp_members: dict[int, set[int]] = {}
        self._next_comp = 0

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
        part = fuse(inp, f.config)
        n = len(inp)
        f._reserve(n + n // 4)  # room to grow: the first live reports do not copy the history
        for name, col in f._cols.items():
            col[:n] = getattr(inp, name)
        f._n = n
        f._anchor[:n] = part.anchor
        labels = part.labels
        ai = np.flatnonzero(part.anchor)
        root_of = np.full(part.n_incidents, -1, dtype=np.int64)
        root_of[labels[ai[::-1]]] = ai[::-1]  # the first anchor of each incident is its root
        parent = np.arange(n, dtype=np.int64)
        parent[ai] = root_of[labels[ai]]
        f._parent = parent.tolist()
        points = scaled_points(inp.take(ai), f.config)
        f._point = [(0.0, 0.0, 0.0)] * n
        cells = np.floor(points).astype(np.int64).tolist()
        for i, p, cell in zip(ai.tolist(), points.tolist(), cells, strict=True):
            f._point[i] = (p[0], p[1], p[2])
            f._grid.setdefault((cell[0], cell[1], cell[2]), []).append(i)
        found, dense = np.unique(labels[ai], return_inverse=True)
        roots = root_of[found]
        table = _anchored(inp.take(ai), dense, found.size)
        f._inc.put(roots, table)
        f._inc.cols["cx"][roots], f._inc.cols["cy"][roots] = table.x, table.y
        for level in range(_INC_LEVELS):
            f._inc_grid.add_many(
                roots,
                table.group,
                np.full(roots.size, level, dtype=np.int64),
                table.x,
                table.y,
                table.t0,
                table.t1,
            )
        co = np.flatnonzero(~part.anchor)
        for grid, mine in (
            (f._coarse_grid, co[~inp.region[co]]),
            (f._region_grid, co[inp.region[co]]),
        ):
            g = inp.group[mine]
            f._file_coarse(
                grid, mine, g, inp.uncertainty_m[mine] + _W_REF + f._radius[g] + _SLACK_M
            )
        components: dict[int, int] = {}
        for i, root in zip(co.tolist(), root_of[labels[co]].tolist(), strict=True):
            if root >= 0:
                f._attached[i] = root
                f._joined.setdefault(root, set()).add(i)
            else:
                cid = components.setdefault(int(labels[i]), len(components))
                f._free_comp[i] = cid
                f._comp_members.setdefault(cid, set()).add(i)
        f._next_comp = len(components)
        return f

    def _file_coarse(
        self, grid: SpaceTimeGrid, items: I64, g: npt.NDArray[np.int16], reach: F64
    ) -> None:
        """File coarse reports, each at the finest level whose cells are as wide as its reach."""
        base = _cell_base(self.config)[g]
        level = np.zeros(items.size, dtype=np.int64)
        side = base.copy()
        while (short := side < reach).any():
            level[short] += 1
            side[short] *= LEVEL_FACTOR
        c = self._cols
        grid.add_many(items, g, level, c["x"][items], c["y"][items], c["t0"][items], c["t1"][items])

    # -- public -------------------------------------------------------------------------------

    def add(self, inp: FusionInput) -> None:
        """Add reports (in the order given; any order gives the same partition)."""
        for i in range(len(inp)):
            self._add_one(inp, i)

    def partition(self) -> Partition:
        """The current partition, reports numbered in the order they were added."""
        n = self._n
        root = np.array(self._parent, dtype=np.int64)
        while True:  # pointer jumping to the union-find roots
            up = root[root]
            if np.array_equal(up, root):
                break
            root = up
        labels = root.copy()
        if self._attached:
            at = np.fromiter(self._attached.keys(), np.int64, len(self._attached))
            labels[at] = root[np.fromiter(self._attached.values(), np.int64, len(self._attached))]
        if self._free_comp:
            free = np.fromiter(self._free_comp.keys(), np.int64, len(self._free_comp))
            comp = np.fromiter(self._free_comp.values(), np.int64, len(self._free_comp))
            labels[free] = n + comp
        return Partition(_first_appearance(labels), self._anchor[:n].copy())

    def inputs(self) -> FusionInput:
        """Everything added so far, as columns (in the order added)."""
        return FusionInput(*(col[: self._n].copy() for col in self._cols.values()))

    def inputs_at(self, index: Sequence[int] | I64) -> FusionInput:
        """Columns of the reports at ``index`` (positions in the order added)."""
        i = np.asarray(index, dtype=np.int64)
        return FusionInput(*(col[i] for col in self._cols.values()))

    # -- steps --------------------------------------------------------------------------------

    def _reserve(self, n: int) -> None:
        if n > self._anchor.size:
            _grow(self._cols, n)
            cap = self._cols["ids"].size
            self._anchor = np.concatenate([self._anchor, np.zeros(cap - self._anchor.size, bool)])
            _grow(self._inc.cols, cap)

    def _add_one(self, inp: FusionInput, i: int) -> None:
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
            self._point.append((float(p[0]), float(p[1]), float(p[2])))
            self._recheck_coarse(self._link_anchor(me, row, p))
        else:
            self._point.append((0.0, 0.0, 0.0))
            g = int(row.group[0])
            reach = float(row.uncertainty_m[0]) + _W_REF + float(self._radius[g]) + _SLACK_M
            grid = self._region_grid if row.region[0] else self._coarse_grid
            grid.add(
                me,
                g,
                grid.level_for(g, reach),
                float(row.x[0]),
                float(row.y[0]),
                int(row.t0[0]),
                int(row.t1[0]),
            )
            self._recheck_coarse([me], new=me)

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
        px, py, pt = self._point[me]
        linked = [
            j
            for j in near
            if (self._point[j][0] - px) ** 2
            + (self._point[j][1] - py) ** 2
            + (self._point[j][2] - pt) ** 2
            <= 1.0
        ]
        affected: set[int] = set()
        for old in {self._find(j) for j in linked}:
            affected.update(self._coarse_near(old))
        self._inc.put_one(me, row)
        self._index_inc(me)
        root = me
        for j in linked:
            root = self._union(root, j)
        affected.update(self._coarse_near(root))
        affected.update(self._joined.get(root, ()))
        return sorted(affected)

    def _union(self, a: int, b: int) -> int:
        ra, rb = self._find(a), self._find(b)
        if ra == rb:
            return ra
        sw = self._inc.cols["sw"]
        if sw[ra] < sw[rb]:  # keep the heavier root (fewer reports to move)
            ra, rb = rb, ra
        self._unindex_inc(ra)
        self._unindex_inc(rb)
        self._parent[rb] = ra
        self._inc.absorb(ra, rb)
        moved = self._joined.pop(rb, set())
        for report in moved:
            self._attached[report] = ra
        self._joined.setdefault(ra, set()).update(moved)
        self._index_inc(ra)
        return ra

    def _find(self, i: int) -> int:
        parent = self._parent
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    # -- indexes ------------------------------------------------------------------------------

    def _index_inc(self, root: int) -> None:
        """File an incident in the grid at every level, at its weighted place (kept, so that
        :meth:`_unindex_inc` finds the same cells)."""
        c = self._inc.cols
        sw = int(c["sw"][root])
        x, y = int(c["swx"][root]) / sw, int(c["swy"][root]) / sw
        c["cx"][root], c["cy"][root] = x, y
        g, t0, t1 = int(c["group"][root]), int(c["t0"][root]), int(c["t1"][root])
        for level in range(_INC_LEVELS):
            self._inc_grid.add(root, g, level, x, y, t0, t1)

    def _unindex_inc(self, root: int) -> None:
        c = self._inc.cols
        x, y = float(c["cx"][root]), float(c["cy"][root])
        g, t0, t1 = int(c["group"][root]), int(c["t0"][root]), int(c["t1"][root])
        for level in range(_INC_LEVELS):
            self._inc_grid.remove(root, g, level, x, y, t0, t1)

    def _incidents_near(self, i: int) -> set[int]:
        """Anchored incidents coarse report ``i`` may join: windows within one neighbourhood
        window, places within its reach (the incident's radius taken at its largest). A
        superset; :func:`_choose` decides."""
        c = self._cols
        g = int(c["group"][i])
        w = float(self._window[g])
        reach = float(c["uncertainty_m"][i]) + _W_REF + float(self._radius[g]) + _SLACK_M
        grid = self._inc_grid
        level = min(grid.level_for(g, reach), _INC_LEVELS - 1)
        out: list[int] = []
        x, y = float(c["x"][i]), float(c["y"][i])
        grid.near(out, g, level, x, y, reach, int(c["t0"][i]) - w, int(c["t1"][i]) + w)
        return set(out)

    def _coarse_near(self, root: int) -> list[int]:
        """Coarse reports that may count ``root`` as a candidate: :func:`_choose`'s time test,
        and a superset of its distance test (a metre to spare for rounding)."""
        c = self._inc.cols
        g = int(c["group"][root])
        w = float(self._window[g])
        x, y = float(c["cx"][root]), float(c["cy"][root])
        t0, t1 = int(c["t0"][root]) - w, int(c["t1"][root]) + w
        out: list[int] = []
        # A report is filed at a level whose cells are at least its reach: the 3 x 3 cells
        # around the incident at every level hold all reports that may reach it.
        for grid in (self._coarse_grid, self._region_grid):
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

    # -- coarse decisions ---------------------------------------------------------------------

    def _recheck_coarse(self, reports: list[int], new: int | None = None) -> None:
        """Decide afresh which incident each coarse report joins; regroup the unattached."""
        if not reports:
            return
        idx = np.array(reports, dtype=np.int64)
        near = [self._incidents_near(i) for i in reports]
        sizes = [len(s) for s in near]
        chosen: dict[int, int] = {}
        if sum(sizes):
            found = np.fromiter(itertools.chain.from_iterable(near), np.int64, sum(sizes))
            roots, ki = np.unique(found, return_inverse=True)
            ci = np.repeat(np.arange(idx.size, dtype=np.int64), sizes)
            table = self._inc.table(roots)
            ci, ki = _choose(self.inputs_at(idx), ci, table, ki.astype(np.int64), self.config)
            chosen = dict(zip(idx[ci].tolist(), roots[ki].tolist(), strict=True))
        changed: list[int] = []  # reports whose free / attached state changed
        for i in reports:
            was_free = i in self._free_comp or i == new
            old = self._attached.pop(i, None)
            if old is not None:
                self._joined[old].discard(i)
            if i in chosen:
                self._attached[i] = chosen[i]
                self._joined.setdefault(chosen[i], set()).add(i)
                if was_free:
                    changed.append(i)
            else:
                if not was_free or i == new:
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
            if i not in self._attached:
                todo.add(i)
        nodes: set[int] = set()
        links: dict[int, list[int]] = {}
        frontier = list(todo)
        while frontier:
            i = frontier.pop()
            if i in nodes or i in self._attached:
                continue
            nodes.add(i)
            links[i] = self._free_neighbours(i)
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

    def _free_neighbours(self, i: int) -> list[int]:
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
        grid = self._coarse_grid
        # Linked reports lie within the larger of the two radii: within i's own, or within the
        # other's, which is less than the cell side of the level it is filed at.
        for level in grid.levels[g]:
            side = grid.size(g, level)
            grid.near(out, g, level, x, y, max(side, u + _SLACK_M), t0, t1)
        cand = set(out)
        cand.discard(i)
        others = [j for j in cand if j not in self._attached]
        if not others:
            return []
        inp = self.inputs_at([i, *others])
        first = np.zeros(len(others), dtype=np.int64)
        rest = np.arange(1, len(others) + 1, dtype=np.int64)
        ok = _coarse_links(inp, first, rest, self.config)
        return [j for j, linked in zip(others, ok.tolist(), strict=True) if linked]
