"""The incident: what really happened, as best the reports tell, and its verification status.

An :class:`Incident` is a cluster of reports (made by :mod:`ceasefire.fusion`) with the fused
facts a monitor acts on: a time window, a place with its own uncertainty, the event type, counts
and casualties as low / best / high (duplicate reports of one shelling are not summed), the member
reports and how many independent sources stand behind them. Geometry facts (side of the line,
distance, zones, oblast) are filled in by :func:`ceasefire.pipeline.fuse_store` through
:class:`ceasefire.geo.GeoEngine`.

The verification ladder (DESIGN section 2)::

    reported -> corroborated (>= N independent sources) -> verified (a monitor confirms)
             \\-> disputed | unfounded

``reported`` and ``corroborated`` follow the evidence automatically; ``verified``, ``disputed``
and ``unfounded`` are decisions by a person, recorded with who, when and why
(:mod:`ceasefire.verification`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Final

#: The verification statuses, in ladder order.
STATUSES: Final = ("reported", "corroborated", "verified", "disputed", "unfounded")
#: Statuses that follow the evidence (set by fusion, never by hand).
AUTOMATIC_STATUSES: Final = ("reported", "corroborated")
#: Statuses only a person sets, always with a basis.
DECIDED_STATUSES: Final = ("verified", "disputed", "unfounded")


@dataclass(frozen=True)
class Estimate:
    """A number as the reports give it: the lowest, a best estimate and the highest.

    ``None`` throughout when no member report states the number.
    """

    low: int | None = None
    best: int | None = None
    high: int | None = None

    def to_dict(self) -> dict[str, int | None]:
        return {"low": self.low, "best": self.best, "high": self.high}


@dataclass(frozen=True)
class Incident:
    """One fused incident (see the module docstring).

    ``key`` is the fusion's own handle, the id of the member report that came first (earliest
    ``observed_from``, then smallest id); the store gives each incident a lasting ``id`` and keeps
    it across merges (:meth:`ceasefire.store.Store.save_incidents`).
    """

    key: str
    event_type: str
    group: str
    observed_from: datetime
    observed_to: datetime
    lon: float
    lat: float
    uncertainty_m: float
    place_precision: str
    report_ids: tuple[str, ...]
    #: Members that placed the incident (precise reports); the rest only joined it.
    anchor_ids: tuple[str, ...]
    #: Independent sources: distinct organisations per source kind (news outlets count apart).
    sources: tuple[str, ...]
    source_kinds: tuple[str, ...]
    submitters: tuple[str, ...]
    weapon_class: str | None = None
    weapon_model: str | None = None
    calibre_mm: float | None = None
    count: Estimate = field(default_factory=Estimate)
    killed: Estimate = field(default_factory=Estimate)
    injured: Estimate = field(default_factory=Estimate)
    civilians_killed: Estimate = field(default_factory=Estimate)
    civilians_injured: Estimate = field(default_factory=Estimate)
    #: Party code -> number of member reports that name it as the perpetrator.
    claimed_perpetrators: dict[str, int] = field(default_factory=dict)
    # Geometry facts of the fused place (None until placed).
    party: str | None = None
    side: str | None = None
    distance_m: float | None = None
    line_distance_m: float | None = None
    zones: tuple[str, ...] = ()
    oblast: str | None = None

    @property
    def n_sources(self) -> int:
        return len(self.sources)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (times as ISO 8601 UTC, tuples as lists)."""
        out = asdict(self)
        out["observed_from"] = self.observed_from.isoformat()
        out["observed_to"] = self.observed_to.isoformat()
        for name in ("report_ids", "anchor_ids", "sources", "source_kinds", "submitters", "zones"):
            out[name] = list(out[name])
        out["n_sources"] = self.n_sources
        return out
