"""What extraction proposes: events with their figures and the words each came from.

Plain frozen data; :meth:`Event.to_json` gives the documented JSON (docs/extract.md), in which
every key is present and a figure the text does not give is ``null``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from ceasefire.counts import Count

#: The weapon keys of ``launched``, ``destroyed`` and ``hit``.
WEAPON_KEYS: Final = ("drones", "missiles", "ballistic_missiles", "cruise_missiles")
#: The figures of an event other than the weapon counts.
FIGURES: Final = (
    "locations_hit",
    "regions_count",
    "explosions",
    "killed",
    "injured",
    "people_affected",
    "ceasefire_violations",
)
#: The kind of an event that counts violations (not a report event type).
CEASEFIRE_VIOLATIONS: Final = "ceasefire_violations"


@dataclass(frozen=True, slots=True)
class Evidence:
    """The words a value came from: ``text[start:end]`` of the input."""

    field: str
    start: int
    end: int
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True, slots=True)
class Weapons:
    """Counts per weapon key; ``None`` where the text gives none."""

    drones: Count | None = None
    missiles: Count | None = None
    ballistic_missiles: Count | None = None
    cruise_missiles: Count | None = None

    def to_json(self) -> dict[str, Any]:
        return {key: _count_json(getattr(self, key)) for key in WEAPON_KEYS}

    @property
    def empty(self) -> bool:
        return all(getattr(self, key) is None for key in WEAPON_KEYS)


@dataclass(frozen=True, slots=True)
class Event:
    """One reported event of a text (docs/extract.md)."""

    kind: str
    date: date | None = None
    perpetrator: str | None = None
    launched: Weapons = field(default_factory=Weapons)
    destroyed: Weapons = field(default_factory=Weapons)
    hit: Weapons = field(default_factory=Weapons)
    locations_hit: Count | None = None
    regions_count: Count | None = None
    explosions: Count | None = None
    killed: Count | None = None
    injured: Count | None = None
    people_affected: Count | None = None
    ceasefire_violations: Count | None = None
    oblasts: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "date": None if self.date is None else self.date.isoformat(),
            "perpetrator": self.perpetrator,
            "launched": self.launched.to_json(),
            "destroyed": self.destroyed.to_json(),
            "hit": self.hit.to_json(),
        }
        out.update({name: _count_json(getattr(self, name)) for name in FIGURES})
        out["oblasts"] = sorted(self.oblasts)
        out["places"] = list(self.places)
        out["evidence"] = [e.to_json() for e in self.evidence]
        return out


@dataclass(frozen=True, slots=True)
class Extraction:
    """What one text proposes."""

    source: str | None
    published: date | None
    events: tuple[Event, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "published": None if self.published is None else self.published.isoformat(),
            "events": [e.to_json() for e in self.events],
        }


def _count_json(count: Count | None) -> int | dict[str, int | None] | None:
    return None if count is None else count.to_json()
