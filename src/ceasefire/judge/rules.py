"""Violation rules: incidents judged against the agreement version in force at their time.

Each prohibited act of an agreement (:class:`~ceasefire.agreement.model.ProhibitedAct`) is a rule. An
incident breaks it when its event type is one the act names and, if the act names zones, its
fused place lies inside at least one of them *and the zone applies to its weapon*:

- a ``withdrawal`` zone applies only to the weapon classes it lists and, where it sets a smallest
  calibre, only to a known calibre at or above it (Minsk II, Package of Measures point 2:
  artillery >= 100 mm). An unknown weapon breaks no withdrawal rule: nothing is recorded;
- a ``dmz`` or ``other`` zone applies to any weapon;
- an act without zones applies everywhere (fire after the effective time).

Zones are measured as :class:`ceasefire.geo.engine.GeoEngine` measures them: from the line that binds
the party on whose side the place lies (its own line where the agreement gives one).

Which version judges an incident (:func:`in_force`): the one with the latest ``effective_from``
at or before the incident's ``observed_from`` (ties: the higher ``version``); an incident
before every effective time is not judged. :func:`judge_under` judges a batch under one version
whatever its time: "what would this be under version X", and the bulk re-judging of the whole
history when a new version arrives (the store keeps the earlier judgements).

Everything is vectorised: one geometry call per version for all its incidents, each act a
boolean mask over them; :class:`Violation` objects are built for the hits only.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from ceasefire.agreement.model import Agreement, ProhibitedAct, Zone
from ceasefire.errors import AgreementError, Problem
from ceasefire.geo.engine import GeoEngine, Placement
from ceasefire.records import Incident, is_mission_source, source_party
from ceasefire.vocab import FIRE_EVENT_TYPES

__all__ = ["FIRE_EVENT_TYPES", "Violation", "in_force", "judge", "judge_under"]

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_US: Final = timedelta(microseconds=1)
#: Engines kept per agreement object: building one is cheap, but its first large batch builds
#: the candidate grid and region raster (~3.5 s for the demo line, measured), which a re-judging
#: run per version must not pay again.
_ENGINE_CACHE_SIZE: Final = 8
_ENGINES: OrderedDict[int, tuple[Agreement, GeoEngine]] = OrderedDict()
#: The API serves requests from threads; one lock keeps the cache's bookkeeping whole.
_ENGINES_LOCK: Final = threading.Lock()


@dataclass(frozen=True)
class Violation:
    """One incident judged to break one rule of one agreement version.

    ``facts`` holds the geometry behind the judgement as computed under *that* version: side,
    party holding the side, distance to the reference line and to the party's own line, the
    zones the fused place lies in and the zone that triggered the rule, plus the weapon facts.
    """

    incident_key: str
    rule: str
    agreement_id: str
    agreement_version: int
    #: Party held responsible, or None when the evidence does not say.
    party: str | None
    #: The member reports the judgement rests on.
    evidence: tuple[str, ...]
    facts: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "incident_key": self.incident_key,
            "rule": self.rule,
            "agreement_id": self.agreement_id,
            "agreement_version": self.agreement_version,
            "party": self.party,
            "evidence": list(self.evidence),
            "facts": dict(self.facts),
            "description": self.description,
        }


# -- which version ----------------------------------------------------------------------------


def _micros(t: datetime) -> int:
    # Integer microseconds, so an incident exactly at the effective time compares equal
    # (floats of POSIX seconds would round). Naive times are read as UTC: that is how the
    # store and the interchange files mean them.
    aware = t if t.tzinfo is not None else t.replace(tzinfo=UTC)
    return (aware - _EPOCH) // _US


def _as_micros(times: Sequence[datetime] | npt.NDArray[Any]) -> npt.NDArray[np.int64]:
    arr = np.asarray(times)
    if arr.dtype.kind == "M":  # numpy datetime64: UTC by numpy's convention
        return arr.astype("datetime64[us]").astype(np.int64)
    return np.fromiter((_micros(t) for t in arr.ravel()), dtype=np.int64, count=arr.size)


def in_force(
    agreements: Sequence[Agreement], times: Sequence[datetime] | npt.NDArray[Any]
) -> npt.NDArray[np.intp]:
    """Index into ``agreements`` of the version in force at each time, ``-1`` where none is.

    The version in force is the one with the latest ``effective_from`` at or before the time;
    among equal effective times the higher ``version`` wins (then the later in the sequence).

    Parameters
    ----------
    agreements
        Agreement versions, of one or several agreement ids, in any order.
    times
        Aware datetimes (naive ones are read as UTC) or a ``datetime64`` array.

    Returns
    -------
    numpy.ndarray
        One ``intp`` per time.

    Examples
    --------
    >>> from types import SimpleNamespace as V
    >>> v1 = V(effective_from=datetime(2026, 3, 1, tzinfo=UTC), version=1)
    >>> v2 = V(effective_from=datetime(2026, 4, 1, tzinfo=UTC), version=2)
    >>> times = [datetime(2026, m, 15, tzinfo=UTC) for m in (2, 3, 4)]
    >>> in_force([v2, v1], times).tolist()
    [-1, 1, 0]
    """
    t = _as_micros(times)
    if not agreements:
        return np.full(t.shape, -1, dtype=np.intp)
    eff = np.array([_micros(a.effective_from) for a in agreements], dtype=np.int64)
    ver = np.array([a.version for a in agreements], dtype=np.int64)
    # lexsort: last key first. Sorted ascending, the last entry at or before t is the one.
    order = np.lexsort((np.arange(len(agreements)), ver, eff))
    pos = np.searchsorted(eff[order], t, side="right") - 1
    out = np.full(t.shape, -1, dtype=np.intp)
    ok = pos >= 0
    out[ok] = order[pos[ok]]
    return out


# -- judging ----------------------------------------------------------------------------------


def _engine_for(agreement: Agreement) -> GeoEngine:
    """The cached engine of this agreement object (keyed by identity; the entry holds it alive
    so its id cannot be reused while cached)."""
    key = id(agreement)
    with _ENGINES_LOCK:
        hit = _ENGINES.get(key)
        if hit is not None and hit[0] is agreement:
            _ENGINES.move_to_end(key)
            return hit[1]
        # Construction is cheap (the costly grids are built on first large use, outside).
        engine = GeoEngine(agreement)
        _ENGINES[key] = (agreement, engine)
        while len(_ENGINES) > _ENGINE_CACHE_SIZE:
            _ENGINES.popitem(last=False)
        return engine


def _zone_applies(
    zone: Zone, weapon: npt.NDArray[np.str_], calibre: npt.NDArray[np.float64]
) -> npt.NDArray[np.bool_] | bool:
    """Whether the zone bars each incident's weapon (always, unless it is a withdrawal zone)."""
    if zone.kind != "withdrawal":
        return True
    ok: npt.NDArray[np.bool_] = np.isin(weapon, np.asarray(zone.weapon_classes, dtype=str))
    if zone.min_calibre_mm is not None:
        # NaN (calibre unknown) compares False: an unknown calibre is not a violation.
        ok &= calibre >= zone.min_calibre_mm
    return ok


def _act_zones(agreement: Agreement, act: ProhibitedAct) -> list[Zone]:
    try:
        return [agreement.zone(name) for name in act.zones]
    except KeyError as e:
        raise AgreementError(
            Problem(agreement.id, f"prohibited_acts.{act.code}.zones", f"unknown zone {e}")
        ) from None


def _zone_lists(names: list[str], masks: list[npt.NDArray[np.bool_]]) -> list[list[str]]:
    """Per row, the names whose mask is set: one list per distinct combination (bit masks).

    Rows with the same combination share one list: copy before handing it out.
    """
    n = masks[0].size if masks else 0
    if not names:
        return [[] for _ in range(n)]
    bits = np.zeros(n, dtype=np.int64)
    for bit, m in enumerate(masks):
        bits |= m.astype(np.int64) << bit
    combos = {
        int(b): [name for bit, name in enumerate(names) if int(b) >> bit & 1]
        for b in np.unique(bits)
    }
    return [combos[b] for b in bits.tolist()]


def _party(
    incident: Incident,
    fire_like: bool,
    holder: str | None,
    assessed: dict[str, str] | None,
) -> tuple[str | None, str | None]:
    """The party held responsible and the basis for it.

    A party's word against its adversary is not evidence enough: the parties accuse each other
    (DESIGN section 1), and a rule that took one party's claims alone would let it put any
    violation on the other by filing a complaint. So the evidence must reach beyond the parties
    that accuse:

    - a monitor's assessed perpetrator decides (it rests on the mission's own findings);
    - fire (who fired is not where it landed): every claim must name the same party, and
      either the mission's own means are among the incident's sources (a patrol, a sensor...:
      mission evidence that the event happened as claimed) or more than one independent source
      names that party (a party's many reports are one source and so one claim,
      :attr:`Incident.claimed_perpetrators`; a second source that is not the accuser);
    - anything else (a weapon in a zone, presence in the DMZ): the party holding the side
      where it was seen, unless every source of the incident is another party, i.e. the
      holder's adversaries alone say it was there.

    Otherwise no party is named (``None``): the violation stands, unattributed, until a
    monitor assesses it.
    """
    if assessed:
        named = assessed.get(incident.key)
        if named:
            return named, "assessed"
    if fire_like:
        claimed = [p for p, n in incident.claimed_perpetrators.items() if n > 0]
        if len(claimed) != 1:
            return None, None
        (party,) = claimed
        mission = any(is_mission_source(k) for k in incident.sources)
        if mission or incident.claimed_perpetrators[party] > 1:
            return party, "claims agree"
        return None, None
    accusers_only = all(
        (p := source_party(k)) is not None and p != holder for k in incident.sources
    )
    if holder is not None and incident.sources and accusers_only:
        return None, None
    return holder, "side of the line"


def _judge(
    incidents: Sequence[Incident],
    agreement: Agreement,
    assessed: dict[str, str] | None,
    engine: GeoEngine | None,
) -> tuple[npt.NDArray[np.intp], list[Violation]]:
    """Violations of ``incidents`` under ``agreement``, with each one's incident position."""
    acts = agreement.prohibited_acts
    zones_of = [_act_zones(agreement, act) for act in acts]  # fail early on a bad act
    n = len(incidents)
    if n == 0 or not acts:
        return np.zeros(0, dtype=np.intp), []
    events = np.array([i.event_type for i in incidents], dtype=str)
    # Only incidents some act names need geometry: most of a history may be other types. An
    # ambiguous incident (an oblast-level claim that fits located ones) is most likely one of
    # them: judging it too would count one event twice (records.Incident.ambiguous).
    named = np.asarray(sorted({e for act in acts for e in act.event_types}), dtype=str)
    unsure = np.fromiter((i.ambiguous for i in incidents), dtype=bool, count=n)
    cand = np.flatnonzero(np.isin(events, named) & ~unsure)
    if cand.size == 0:
        return np.zeros(0, dtype=np.intp), []
    sub = [incidents[i] for i in cand.tolist()]
    ev = events[cand]
    weapon = np.array([i.weapon_class or "" for i in sub], dtype=str)
    calibre = np.array([np.nan if i.calibre_mm is None else i.calibre_mm for i in sub], dtype=float)
    lon = np.fromiter((i.lon for i in sub), dtype=np.float64, count=len(sub))
    lat = np.fromiter((i.lat for i in sub), dtype=np.float64, count=len(sub))
    place: Placement = (engine or _engine_for(agreement)).classify(lon, lat)

    rows: list[npt.NDArray[np.intp]] = []  # positions in ``sub`` of each act's hits
    act_of: list[npt.NDArray[np.intp]] = []
    zones_hit: list[list[list[str] | None]] = []  # per act, per hit
    for k, (act, zones) in enumerate(zip(acts, zones_of, strict=True)):
        hit = np.isin(ev, np.asarray(act.event_types, dtype=str))
        if zones:
            inside = [place.zones[z.name] & _zone_applies(z, weapon, calibre) for z in zones]
            idx = np.flatnonzero(hit & np.logical_or.reduce(inside))
            zones_hit.append(list(_zone_lists([z.name for z in zones], [m[idx] for m in inside])))
        else:
            idx = np.flatnonzero(hit)
            zones_hit.append([None] * idx.size)
        rows.append(idx)
        act_of.append(np.full(idx.size, k, dtype=np.intp))
    row = np.concatenate(rows)
    act_k = np.concatenate(act_of)
    flat_zones = [z for per_act in zones_hit for z in per_act]
    # Incident order first, then the agreement's act order (deterministic output).
    order = np.lexsort((act_k, row))

    # Facts as plain Python values, column by column for the hit rows only.
    at = row[order]
    hit_rows = np.unique(at)
    where = {int(r): j for j, r in enumerate(hit_rows.tolist())}
    sides = np.select(
        [place.side[hit_rows] > 0, place.side[hit_rows] < 0], ["left", "right"], "outside"
    ).tolist()
    holders = [h or None for h in place.party[hit_rows].tolist()]  # "": in no party's area
    dist = place.distance_m[hit_rows].tolist()
    line_dist = place.line_distance_m[hit_rows].tolist()
    oblast = place.oblast[hit_rows].tolist()
    names = list(place.zones)
    in_zones = _zone_lists(names, [place.zones[z][hit_rows] for z in names])
    ev_hit = ev[hit_rows].tolist()

    out: list[Violation] = []
    hit_zones = [flat_zones[j] for j in order.tolist()]
    for r, k, zh in zip(at.tolist(), act_k[order].tolist(), hit_zones, strict=True):
        inc, act, j = sub[r], acts[k], where[r]
        fire_like = not act.zones or ev_hit[j] in FIRE_EVENT_TYPES
        party, basis = _party(inc, fire_like, holders[j], assessed)
        facts: dict[str, Any] = {
            "side": sides[j],
            "party": holders[j],
            "distance_m": dist[j],
            "line_distance_m": line_dist[j],
            "zones": list(in_zones[j]),
            "zone": zh[0] if zh else None,
            "zones_hit": list(zh) if zh else [],
            "oblast": oblast[j],
            "event_type": inc.event_type,
            "weapon_class": inc.weapon_class,
            "calibre_mm": inc.calibre_mm,
            "observed_from": inc.observed_from.isoformat(),
            "party_basis": basis,
        }
        out.append(
            Violation(
                incident_key=inc.key,
                rule=act.code,
                agreement_id=agreement.id,
                agreement_version=agreement.version,
                party=party,
                evidence=tuple(inc.report_ids),
                facts=facts,
                description=act.description,
            )
        )
    return cand[at], out


def judge_under(
    incidents: Sequence[Incident],
    agreement: Agreement,
    *,
    assessed: dict[str, str] | None = None,
    engine: GeoEngine | None = None,
) -> list[Violation]:
    """Judge every incident under one agreement version, whatever the incident's time.

    For "what would this incident be under version X" and for re-judging the whole history in
    bulk when a new version arrives: one geometry call for all incidents, one mask per act.

    Parameters
    ----------
    incidents
        Fused incidents (their ``lon``/``lat`` are placed afresh under ``agreement``).
    agreement
        The version to judge under.
    assessed
        Incident key -> the party the monitors assessed as the perpetrator; it overrides the
        claims and the side of the line.
    engine
        A :class:`~ceasefire.geo.engine.GeoEngine` of ``agreement`` to reuse; by default one is built
        and cached per agreement object.

    Returns
    -------
    list of Violation
        In incident order, then the agreement's act order.

    Raises
    ------
    AgreementError
        when an act names a zone the agreement does not have.
    InputError
        when an incident's place is not a finite lon/lat.
    """
    return _judge(incidents, agreement, assessed, engine)[1]


def judge(
    incidents: Sequence[Incident],
    agreements: Sequence[Agreement],
    *,
    assessed: dict[str, str] | None = None,
) -> list[Violation]:
    """Judge every incident against the agreement version in force at its time.

    Incidents are grouped by the version in force at their ``observed_from``
    (:func:`in_force`) and each group is judged in one vectorised pass (:func:`judge_under`).
    Incidents before every effective time are not judged.

    Parameters
    ----------
    incidents
        Fused incidents.
    agreements
        Every agreement version that may apply, in any order.
    assessed
        Incident key -> assessed perpetrator (see :func:`judge_under`).

    Returns
    -------
    list of Violation
        In incident order, then the act order of the version that judged the incident.
    """
    if not incidents or not agreements:
        return []
    version = in_force(agreements, [i.observed_from for i in incidents])
    positions: list[npt.NDArray[np.intp]] = []
    found: list[Violation] = []
    for k in np.unique(version[version >= 0]).tolist():
        members = np.flatnonzero(version == k)
        pos, got = _judge([incidents[i] for i in members.tolist()], agreements[k], assessed, None)
        positions.append(members[pos])
        found.extend(got)
    if not found:
        return []
    # Stable: within one incident the act order of its (single) version is kept.
    order = np.argsort(np.concatenate(positions), kind="stable")
    return [found[i] for i in order.tolist()]
