"""Fusion settings: groups of compatible event types, their neighbourhoods, the anchor limits.

A *group* is a set of event types that may describe the same event (a sensor or a camera reports
a shell and a missile alike as an explosion), and its :class:`Neighbourhood` is how far apart in
space and time two reports of one event may lie: the unit distance of
:mod:`ceasefire.fusion.bulk`. A :class:`FusionConfig` holds the groups, the limits that make a
report an anchor and how oblast-level reports join; it checks itself when made, so the rest of
fusion trusts it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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
