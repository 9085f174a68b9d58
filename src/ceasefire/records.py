"""Value types that cross the stages of the flow: the fused incident, and records as stored.

Fusion makes :class:`Incident` values, the store keeps them as :class:`StoredIncident` (with a
lasting id and a verification status), the judge and the publishers read them back. Living here
rather than in fusion or the store, they cost no SciPy or SQLAlchemy to import, and no stage
imports another to name them.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final

from ceasefire.counts import Count
from ceasefire.vocab import MISSION_SOURCE_KINDS

if TYPE_CHECKING:
    from ceasefire.intake.report import Report


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
class Harm:
    """What an incident did besides casualties (:mod:`ceasefire.harm` combines it from the
    member reports): infrastructure hit by category, people affected as an interval, the
    outage they live through (``outage_to`` None: ongoing or not stated) and what they are
    without. Casualties are the incident's own :class:`Estimate` fields."""

    infrastructure: tuple[str, ...] = ()
    people_affected: Count | None = None
    outage_from: datetime | None = None
    outage_to: datetime | None = None
    utilities: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: ``people_affected`` as :meth:`Count.to_json`, times ISO 8601."""
        people = self.people_affected
        return {
            "infrastructure": list(self.infrastructure),
            "people_affected": None if people is None else people.to_json(),
            "outage_from": None if self.outage_from is None else self.outage_from.isoformat(),
            "outage_to": None if self.outage_to is None else self.outage_to.isoformat(),
            "utilities": list(self.utilities),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Harm:
        start, end = data.get("outage_from"), data.get("outage_to")
        return cls(
            infrastructure=tuple(data.get("infrastructure") or ()),
            people_affected=Count.parse(data.get("people_affected"), "people_affected"),
            outage_from=None if start is None else datetime.fromisoformat(start),
            outage_to=None if end is None else datetime.fromisoformat(end),
            utilities=tuple(data.get("utilities") or ()),
        )


#: A party's source key ends so (:func:`ceasefire.fusion.incidents.source_key`).
_PARTY_SOURCE: Final = "/party"
_OSINT_SOURCE: Final = "osint/"


def source_party(key: str) -> str | None:
    """The party a source key (:func:`ceasefire.fusion.incidents.source_key`) is, or None for
    a source that is no party (the mission's means, a news outlet)."""
    return key.removesuffix(_PARTY_SOURCE) if key.endswith(_PARTY_SOURCE) else None


def is_mission_source(key: str) -> bool:
    """Whether a source key is one of the mission's own means (patrol, sensor, uav, camera,
    satellite: ``<submitter>/<kind>``); parties and news outlets are not."""
    if key.startswith(_OSINT_SOURCE) or source_party(key) is not None:
        return False
    return key.rpartition("/")[2] in MISSION_SOURCE_KINDS


@dataclass(frozen=True)
class Incident:
    """One fused incident (see the module docstring).

    ``key`` is the fusion's own handle, the id of the member report that came first (earliest
    ``observed_from``, then smallest id); the store gives each incident a lasting ``id`` and keeps
    it across merges (:meth:`ceasefire.store.facade.Store.save_incidents`).
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
    #: Party code -> number of independent sources (``sources``) whose member reports name it
    #: as the perpetrator: a party's many reports are one claim.
    claimed_perpetrators: dict[str, int] = field(default_factory=dict)
    # Geometry facts of the fused place (None until placed).
    party: str | None = None
    side: str | None = None
    distance_m: float | None = None
    line_distance_m: float | None = None
    zones: tuple[str, ...] = ()
    oblast: str | None = None
    #: Placed only to an oblast, and fitting two or more located incidents: most likely one of
    #: them, fusion cannot tell which (:attr:`ceasefire.fusion.bulk.Partition.ambiguous`). It
    #: stays an incident, but adds no violation of its own, so that one event told twice, once
    #: precisely and once vaguely, is not counted twice, and a party cannot raise the count of
    #: the other's violations with vague claims beside the located ones.
    ambiguous: bool = False
    #: Infrastructure hit and people affected (None: no member report states any); absent from
    #: the JSON form then, so a body stored before harm existed is unchanged.
    harm: Harm | None = None

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
        del out["harm"]
        if self.harm is not None:
            out["harm"] = self.harm.to_dict()
        return out


@lru_cache(maxsize=4096)
def _estimate(low: int | None, best: int | None, high: int | None) -> Estimate:
    # Frozen, so one object per distinct value can be shared: most are "not stated" (all None).
    return Estimate(low, best, high)


def _fields_of_kind(word: str) -> tuple[str, ...]:
    # This module uses postponed annotations, so field types are strings ("tuple[str, ...]");
    # str() gives the same words for real types.
    return tuple(
        f.name
        for f in dataclasses.fields(Incident)
        if word in (f.type if isinstance(f.type, str) else str(f.type))
    )


# Incident fields by how they cross JSON: worked out once, as a bulk save or list converts every
# incident (per-field type tests cost ~25 us an incident, most of a 100k re-save; measured).
_FIELDS: Final = tuple(f.name for f in dataclasses.fields(Incident))
_TIMES: Final = _fields_of_kind("datetime")
_ESTIMATES: Final = _fields_of_kind("Estimate")
_TUPLES: Final = tuple(n for n in _fields_of_kind("tuple") if n not in _ESTIMATES)
_DICTS: Final = tuple(n for n in _fields_of_kind("dict") if n not in _ESTIMATES)
#: The keys of :func:`incident_dict`: those of a body written by this version, without harm
#: and with it.
_BODY_KEYS: Final = frozenset((*_FIELDS, "n_sources")) - {"harm"}
_BODY_KEYS_HARM: Final = _BODY_KEYS | {"harm"}


def incident_dict(incident: Incident) -> dict[str, Any]:
    """``incident.to_dict()``, built directly.

    :meth:`Incident.to_dict` goes through ``dataclasses.asdict``, which deep-copies every value:
    about 0.1 ms an incident, most of a re-save of 100k unchanged incidents (cProfile). A test
    holds the two equal.
    """
    out = {name: getattr(incident, name) for name in _FIELDS}
    for name in _TIMES:
        out[name] = out[name].isoformat()
    for name in _TUPLES:
        out[name] = list(out[name])
    for name in _ESTIMATES:
        e = out[name]
        out[name] = {"low": e.low, "best": e.best, "high": e.high}
    for name in _DICTS:
        out[name] = dict(out[name])
    out["n_sources"] = len(incident.sources)
    harm = out.pop("harm")
    if harm is not None:
        out["harm"] = harm.to_dict()
    return out


# Canonical JSON (sorted keys): equal content gives equal text, so "unchanged" is a text compare.
SORTED_JSON: Final = json.JSONEncoder(ensure_ascii=False, allow_nan=False, sort_keys=True).encode


def incident_json(incident: Incident) -> str:
    """:func:`incident_dict` as JSON text with sorted keys: equal content gives equal text.

    The store keeps it as the incident's body; :func:`ceasefire.fusion.identity.reconcile`
    compares it with the stored body to tell an unchanged incident.
    """
    return SORTED_JSON(incident_dict(incident))


def incident_from_dict(data: Mapping[str, Any]) -> Incident:
    """The :class:`Incident` whose :meth:`Incident.to_dict` gave ``data`` (keys it does not know
    are ignored, so a body written by a newer version still reads)."""
    values = {name: data[name] for name in _FIELDS if name in data}
    for name in _TIMES:
        if values.get(name) is not None:
            values[name] = datetime.fromisoformat(values[name])
    for name in _TUPLES:
        if values.get(name) is not None:
            values[name] = tuple(values[name])
    for name in _ESTIMATES:
        e = values.get(name)
        if e is not None:
            values[name] = _estimate(e.get("low"), e.get("best"), e.get("high"))
    if values.get("harm") is not None:
        values["harm"] = Harm.from_dict(values["harm"])
    return Incident(**values)


@dataclass(frozen=True)
class StoredReport:
    """A stored report with its resolved point and the placement facts stored with it."""

    report: Report
    lon: float
    lat: float
    uncertainty_m: float | None
    placement: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        """The report's fields (unknown ones included), its point, then its placement facts."""
        d = self.report.to_dict()
        # The point itself, also for an observer-relative report (its identity ignores a point
        # equal to the one its observer fields give, so the export reads back as the same
        # report); uncertainty_m stays as submitted.
        d.update(lon=self.lon, lat=self.lat)
        if self.placement is not None:
            d.update(self.placement)
        return d


@dataclass(frozen=True)
class AddResult:
    """What :meth:`Store.add_reports` did: how many reports it stored and how many were already
    there with the same content, and their ids (in batch order)."""

    added: int
    unchanged: int
    added_ids: tuple[str, ...] = ()
    unchanged_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoredIncident:
    """A stored incident: its lasting id, the fused incident, and its verification state."""

    incident_id: str
    #: The fused incident as :func:`incident_dict` gives it: the store's JSON body, parsed. A
    #: listing reads thousands and shows them as dicts, so the :class:`Incident` is built only
    #: when asked for (``incident``): parsing each body into one and back was most of the map's
    #: 9,400-incident listing (cProfile).
    body: Mapping[str, Any]
    status: str
    assessed_perpetrator: str | None
    assessed_basis: str | None
    merged_into: str | None
    created_at: datetime
    updated_at: datetime

    @functools.cached_property
    def incident(self) -> Incident:
        return incident_from_dict(self.body)

    @property
    def report_ids(self) -> tuple[str, ...]:
        return self.incident.report_ids

    def to_dict(self) -> dict[str, Any]:
        """``id``, the verification state, then every field of the incident (``report_ids``
        included)."""
        out: dict[str, Any] = {
            "id": self.incident_id,
            "status": self.status,
            "assessed_perpetrator": self.assessed_perpetrator,
            "assessed_basis": self.assessed_basis,
            "merged_into": self.merged_into,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }
        # A body this version wrote has exactly incident_dict's keys and values; one written by
        # another version (a field added or gone) goes through Incident, as it always did.
        if self.body.keys() == _BODY_KEYS or self.body.keys() == _BODY_KEYS_HARM:
            out.update(self.body)
        else:
            out.update(incident_dict(self.incident))
        return out


@dataclass(frozen=True)
class IncidentSaveResult:
    """What :func:`save_incidents` did; ``ids`` maps each incident's key to its lasting id."""

    created: int = 0
    updated: int = 0
    merged: int = 0
    unchanged: int = 0
    ids: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "merged": self.merged,
            "unchanged": self.unchanged,
        }


@dataclass(frozen=True)
class StoredViolation:
    """A stored judgement: one incident breaking one rule of one agreement version."""

    seq: int
    incident_id: str
    rule: str
    agreement_id: str
    agreement_version: int
    party: str | None
    evidence: tuple[str, ...]
    facts: dict[str, Any]
    description: str
    judged_at: datetime
    superseded_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "incident_id": self.incident_id,
            "rule": self.rule,
            "agreement_id": self.agreement_id,
            "agreement_version": self.agreement_version,
            "party": self.party,
            "evidence": list(self.evidence),
            "facts": dict(self.facts),
            "description": self.description,
            "judged_at": self.judged_at.isoformat(),
            "superseded_at": None if self.superseded_at is None else self.superseded_at.isoformat(),
        }


@dataclass(frozen=True)
class ViolationSaveResult:
    """What :func:`save_violations` did."""

    added: int = 0
    superseded: int = 0
    unchanged: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"added": self.added, "superseded": self.superseded, "unchanged": self.unchanged}


@dataclass(frozen=True)
class IncidentRecord:
    """Everything about one incident: itself, its member reports, its status history and its
    violations (current and superseded)."""

    incident: StoredIncident
    reports: list[StoredReport]
    history: list[StatusChange]
    violations: list[StoredViolation]

    def to_dict(self) -> dict[str, Any]:
        return {
            "incident": self.incident.to_dict(),
            "reports": [r.to_dict() for r in self.reports],
            "history": [h.to_dict() for h in self.history],
            "violations": [v.to_dict() for v in self.violations],
        }


@dataclass(frozen=True)
class StatusChange:
    """One entry of an incident's status history (append-only).

    ``from_status`` is None for the first entry. For a decision, ``assessed_perpetrator`` and
    ``perpetrator_basis`` are the assessment as the decision states it (None: no perpetrator
    assessed). ``automatic`` marks changes made by fusion (and merges), not by a person.
    """

    incident_id: str
    from_status: str | None
    to_status: str
    actor: str
    at: datetime
    basis: str
    assessed_perpetrator: str | None = None
    perpetrator_basis: str | None = None
    automatic: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "incident_id": self.incident_id,
            "from_status": self.from_status,
            "to_status": self.to_status,
            "actor": self.actor,
            "at": self.at.isoformat(),
            "basis": self.basis,
            "assessed_perpetrator": self.assessed_perpetrator,
            "perpetrator_basis": self.perpetrator_basis,
            "automatic": self.automatic,
        }
