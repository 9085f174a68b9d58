"""Fusion settings: groups of event types, which types may meet, neighbourhoods, the anchor limits.

A *group* is a family of event types fusion searches together (fire, weapons, presence...), and
its :class:`Neighbourhood` is how far apart in space and time two reports of one event may lie.
Within a group, the *compatibility table* says which types may describe the same event: a
sensor's ``explosion`` may be a shelling or a strike, but a small-arms exchange and a shelling
are different events, and so are a shelling and a missile strike. Two anchors link when their
distance is within their combined stated uncertainty (see :attr:`FusionConfig.link_extent`), so a
report's own ``uncertainty_m`` counts, not one radius for every source. A :class:`FusionConfig`
holds all this, the limits that make a report an anchor, the source kinds that report an event
at most once, and how oblast-level reports join; it checks itself when made, so the rest of
fusion trusts it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

from ceasefire.errors import InputError, Problem
from ceasefire.vocab import EVENT_TYPES, FIRE_EVENT_TYPES

F64 = npt.NDArray[np.float64]


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

#: Pairs of distinct event types that may describe one event (every type meets itself). Fire is
#: not one broad family: what a sensor or a camera cannot tell apart (``explosion``, damage found
#: later, a wave of drones and missiles) meets the kinds it may be, but a small-arms exchange
#: and a shelling minutes apart in one place are two events, and so are a shelling and a strike.
DEFAULT_COMPATIBLE: Final[tuple[tuple[str, str], ...]] = (
    ("explosion", "shelling"),
    ("explosion", "drone_strike"),
    ("explosion", "missile_strike"),
    ("explosion", "air_strike"),
    ("explosion", "air_attack"),
    ("explosion", "infrastructure_damage"),
    ("infrastructure_damage", "shelling"),
    ("infrastructure_damage", "drone_strike"),
    ("infrastructure_damage", "missile_strike"),
    ("infrastructure_damage", "air_strike"),
    ("infrastructure_damage", "air_attack"),
    ("air_attack", "drone_strike"),
    ("air_attack", "missile_strike"),
    ("air_attack", "air_strike"),
    ("armed_presence", "military_movement"),
)

#: Source kinds that report one event at most once: a patrol, a camera, a UAV or a satellite
#: files one report per thing it saw. Two of its reports are two events (unless they are one
#: report submitted twice), so fusion never links them. Sensor arrays are not among them: an
#: array detects every round of a shelling (the simulator's do, as real acoustic arrays do).
DEFAULT_SINGLE_REPORT_SOURCES: Final = ("patrol", "camera", "uav", "satellite")

#: Uncertainty assumed when a report gives none, by its place precision (metres).
DEFAULT_UNCERTAINTY_M: Final[dict[str | None, float]] = {
    "exact": 100.0,
    "near": 5_000.0,
    "region": 50_000.0,
    None: 1_000.0,
}


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
    #: Pairs of event types that may describe one event (both in one group); see
    #: :data:`DEFAULT_COMPATIBLE`.
    compatible: tuple[tuple[str, str], ...] = DEFAULT_COMPATIBLE
    #: Two anchors of a group with neighbourhood radius ``r`` link when their distance is within
    #: ``sqrt(u1**2 + u2**2 + (link_extent * r)**2)`` (``u`` their stated uncertainties: the
    #: spread of two independent errors, plus the event's own extent), capped at
    #: ``link_cap * r``, with the time term of the neighbourhood window added as an ellipse.
    #: Measured on the grid of ``benchmarks/fusion.py`` with average linkage (which keeps wide
    #: links from chaining): extent 1.0 / 1.2 / 1.4 give mean F1 0.884 / 0.885 / 0.886 and
    #: demo-night fire violations 315 / 310 / 306 of 340 true events; caps 2.5 to 4 score within
    #: 0.001. 1.2 and 2.5, so a fire link reaches 3 km between two UAV fixes, 4.1 km between two
    #: sensor fixes of 2 km, and never past 6.25 km. (Single linkage was best at 0.6 and 1.6.)
    link_extent: float = 1.2
    link_cap: float = 2.5
    #: Source kinds that report an event at most once (:data:`DEFAULT_SINGLE_REPORT_SOURCES`).
    single_report_sources: tuple[str, ...] = DEFAULT_SINGLE_REPORT_SOURCES
    #: How linked anchors become incidents: ``"average"`` splits each linked component by
    #: average linkage on the pair cost (:mod:`ceasefire.fusion.refine`), so bursts of nearby
    #: events do not chain into one; ``"single"`` keeps the connected components as they are.
    linkage: Literal["average", "single"] = "average"

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
        if self.linkage not in ("average", "single"):
            problems.append(Problem("fusion", "linkage", "must be one of: average, single"))
        if self.region_joins not in ("sole", "best", "never"):
            problems.append(Problem("fusion", "region_joins", "must be one of: sole, best, never"))
        for i, pair in enumerate(self.compatible):
            bad = [t for t in pair if t not in EVENT_TYPES]
            if len(pair) != 2 or bad:
                why = f"unknown event type {bad[0]!r}" if bad else "must be a pair of event types"
                problems.append(Problem("fusion", f"compatible[{i}]", why))
            elif seen.get(pair[0]) != seen.get(pair[1]):
                why = f"{pair[0]!r} and {pair[1]!r} are in different groups"
                problems.append(Problem("fusion", f"compatible[{i}]", why))
        for what in ("link_extent", "link_cap"):
            value = getattr(self, what)
            if not (np.isfinite(value) and value > 0):
                problems.append(Problem("fusion", what, f"must be > 0, got {value}"))
        if problems:
            raise InputError(problems)

    @property
    def group_names(self) -> tuple[str, ...]:
        return tuple(self.groups)

    def group_codes(self, event_types: Sequence[str]) -> npt.NDArray[np.int16]:
        """Group index of each event type."""
        table = {t: i for i, (types, _) in enumerate(self.groups.values()) for t in types}
        return np.fromiter((table[t] for t in event_types), dtype=np.int16, count=len(event_types))

    @cached_property
    def compatibility(self) -> npt.NDArray[np.bool_]:
        """``[a, b]``: whether event types ``a`` and ``b`` (vocabulary indices) may meet."""
        index = {t: i for i, t in enumerate(EVENT_TYPES)}
        out = np.eye(len(EVENT_TYPES), dtype=bool)
        for a, b in self.compatible:
            out[index[a], index[b]] = out[index[b], index[a]] = True
        return out

    @cached_property
    def compatible_bits(self) -> npt.NDArray[np.int64]:
        """Per event type, the bit set (bit ``i`` = vocabulary index ``i``) of the types it meets."""
        bits = np.left_shift(np.int64(1), np.arange(len(EVENT_TYPES), dtype=np.int64))
        out: npt.NDArray[np.int64] = (self.compatibility * bits).sum(axis=1).astype(np.int64)
        return out

    def scales(self) -> tuple[F64, F64]:
        """Radius and window of each group, as arrays indexed by group code."""
        hoods = [h for _, h in self.groups.values()]
        return (
            np.array([h.radius_m for h in hoods], dtype=np.float64),
            np.array([h.window_s for h in hoods], dtype=np.float64),
        )
