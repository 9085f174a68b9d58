"""The agreement: the ceasefire's rulebook as versioned data.

An agreement names its parties, the moment it takes effect, the line of contact (one reference
line, and optionally a line per party where they differ, as Minsk II measured each side's
withdrawal from its own line), which party holds which side, the zones (the DMZ as a buffer of
the line with a width per side or an explicit polygon; weapon-withdrawal zones by weapon class and
calibre), the prohibited acts and the hotline deadlines.

Geometry is held in lon/lat (WGS 84, RFC 7946 axis order). Metric work happens in
:mod:`ceasefire.geo`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from shapely.geometry import LineString, Polygon
from shapely.geometry.base import BaseGeometry

ZoneKind = Literal["dmz", "withdrawal", "other"]


@dataclass(frozen=True)
class Zone:
    """One zone of the agreement.

    A zone is either a band along the line - ``widths_m`` maps a party code to the band's width on
    that party's side, measured from the line that binds that party - or an explicit
    ``polygon`` (lon/lat). A withdrawal zone lists the weapon classes it bars and, where the
    agreement says so, the smallest calibre it applies to (Minsk II: artillery >= 100 mm at 50 km).
    """

    name: str
    kind: ZoneKind
    widths_m: Mapping[str, float] = field(default_factory=dict)
    polygon: BaseGeometry | None = None
    weapon_classes: tuple[str, ...] = ()
    min_calibre_mm: float | None = None
    description: str = ""


@dataclass(frozen=True)
class ProhibitedAct:
    """An act the agreement forbids: these event types, anywhere or only inside the named zones."""

    code: str
    description: str
    event_types: tuple[str, ...]
    zones: tuple[str, ...] = ()


@dataclass(frozen=True)
class HotlineDeadlines:
    """How fast a party must react on the hotline."""

    acknowledge_within: timedelta
    answer_within: timedelta
    line_check_every: timedelta


@dataclass(frozen=True)
class Agreement:
    """One version of one agreement. A change is a new version; older versions are kept.

    ``line`` is the reference line of contact; walking it from its first to its last vertex,
    ``left_party`` holds the left side and ``right_party`` the right side. ``party_lines`` gives a
    party its own line where the agreement measures that party's zones from a different line.
    """

    id: str
    version: int
    title: str
    effective_from: datetime
    parties: Mapping[str, str]
    line: LineString
    left_party: str
    right_party: str
    zones: tuple[Zone, ...]
    hotline: HotlineDeadlines
    party_lines: Mapping[str, LineString] = field(default_factory=dict)
    area: Polygon | None = None
    prohibited_acts: tuple[ProhibitedAct, ...] = ()
    approximate: bool = False
    notes: str = ""
    source: Path | None = None

    def line_for(self, party: str) -> LineString:
        """The line from which ``party``'s zones are measured (its own, else the reference)."""
        return self.party_lines.get(party, self.line)

    def zone(self, name: str) -> Zone:
        for z in self.zones:
            if z.name == name:
                return z
        raise KeyError(name)
