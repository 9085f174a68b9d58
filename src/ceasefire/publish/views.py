"""What a record looks like to each role: the views of reports, incidents, status changes and
violations, cut and coarsened as :mod:`ceasefire.publish.access` decides.

Every view first asks the policy whether the caller may read the record at all (None when not),
then leaves out what is not the caller's to know: other parties' reports and sources, who else
reported, sensor positions; the public's and other parties' places coarsened to a grid.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    pass

__all__ = [
    "coarsen",
    "incident_view",
    "party_sources",
    "place_slack",
    "report_view",
    "shows_key",
    "status_change_view",
    "violation_view",
]

from ceasefire.publish.access import (
    COARSE_DEG,
    COARSE_RADIUS_M,
    PUBLIC_DELAY,
    Principal,
    Release,
    concerns,
    is_released,
    may_read_incident,
    may_read_report,
)


def report_view(principal: Principal, report: Mapping[str, Any]) -> dict[str, Any] | None:
    """The report as this principal may see it, or None.

    The mission sees every report whole; a party sees its own submissions only; the public sees
    no report (it sees incidents).
    """
    return dict(report) if may_read_report(principal, report) else None


def coarsen(lon: float, lat: float, uncertainty_m: float | None) -> tuple[float, float, float]:
    """A place snapped to the centre of its :data:`COARSE_DEG` grid cell, with a radius that
    covers the cell."""

    def snap(v: float) -> float:
        return round((math.floor(v / COARSE_DEG) + 0.5) * COARSE_DEG, 6)

    return snap(lon), snap(lat), max(uncertainty_m or 0.0, COARSE_RADIUS_M)


def _coarse_distance(value: Any) -> float:
    """A distance as a coarsened place may tell it: to the nearest 5 km."""
    return round(float(value) / 5000.0) * 5000.0


def place_slack(principal: Principal) -> float:
    """How far, in degrees along each axis, a place this principal is shown may lie from the
    stored one (0: shown as stored).

    A filter by area over what the caller sees must test the place it is shown, not the stored
    one: testing stored places against ever smaller boxes would find a coarsened incident's true
    place. So a store query widens its box by this much (a superset, cheap in SQL) and the box
    is then tested against the places in the views. A coarsened place is its grid cell's
    centre, within half a cell of the true one; a whole cell leaves room for rounding.
    """
    return 0.0 if principal.sees_all else COARSE_DEG


def party_sources(party: str, sources: Iterable[str]) -> list[str]:
    """The sources (``submitter/kind``) that are the party's own: another's would tell it who
    else reported (``RU/party``) or that the mission's sensors saw it."""
    return [s for s in sources if s.split("/", 1)[0] == party]


def shows_key(
    principal: Principal, incident: Mapping[str, Any], own_reports: Collection[str]
) -> bool:
    """Whether the principal may see the incident's ``key``: it is the id of the incident's
    anchor report, so the mission sees it, a party only when that report is its own
    (``own_reports``), the public never."""
    if principal.sees_all:
        return True
    return principal.role == "party" and incident.get("key") in own_reports


#: The fields of an incident that tell who reported it, or with what kind of source: the public
#: sees none of them, a party only its own (:func:`incident_view`).
_WHO_REPORTED: Final = frozenset(
    {"report_ids", "anchor_ids", "key", "submitters", "sources", "source_kinds", "n_sources",
     "claimed_perpetrators"}
)  # fmt: skip


def incident_view(
    principal: Principal,
    incident: Mapping[str, Any],
    *,
    now: datetime,
    violation_parties: Collection[str] = (),
    release: Release | None = None,
    delay: timedelta = PUBLIC_DELAY,
    own_reports: Collection[str] = (),
    asked: bool = False,
) -> dict[str, Any] | None:
    """The incident (``StoredIncident.to_dict()``) as this principal may see it, or None.

    - the mission: whole;
    - a party: the incidents that concern it, with the member report ids
      cut to its own submissions (``own_reports``) plus a count of the others, its own
      ``submitters``, ``sources`` and ``source_kinds`` only (:func:`party_sources`), no
      ``n_sources`` nor ``claimed_perpetrators``, and the ``key`` only if it is its own report
      (:func:`shows_key`), so neither the mission's sources nor the other party's complaints
      show;
    - the public, and a party the incidents that do not concern it: the shared view of
      released incidents whose window ended ``delay`` ago (and, for a party, of those it is
      ``asked`` about on the hotline), without any field that tells who reported them
      (:data:`_WHO_REPORTED`), at a coarsened place unless released in full.
    """
    if not may_read_incident(
        principal,
        incident,
        now=now,
        release=release,
        violation_parties=violation_parties,
        delay=delay,
        asked=asked,
    ):
        return None
    if principal.sees_all:
        return dict(incident)
    party = principal.party or ""  # set for every party principal (__post_init__)
    if principal.role == "party" and concerns(incident, party, violation_parties):
        view = dict(incident)
        members = list(incident.get("report_ids") or ())
        mine = [r for r in members if r in own_reports]
        view["report_ids"] = mine
        view["anchor_ids"] = [r for r in incident.get("anchor_ids") or () if r in own_reports]
        view["other_reports"] = len(members) - len(mine)
        view["submitters"] = [s for s in incident.get("submitters") or () if s == party]
        view["sources"] = party_sources(party, incident.get("sources") or ())
        kinds = {s.split("/", 1)[-1] for s in view["sources"]}
        view["source_kinds"] = [k for k in incident.get("source_kinds") or () if k in kinds]
        # How many sources, and who claims whom: the other party's complaints and the
        # mission's sensors would show in them. The party's own claims are in its reports.
        view.pop("n_sources", None)
        view.pop("claimed_perpetrators", None)
        if not shows_key(principal, incident, own_reports):
            view.pop("key", None)
        return view
    # The shared view: what the public reads of a released incident, and what a party it does
    # not concern reads of one it is asked about on the hotline (before any release).
    view = {k: v for k, v in incident.items() if k not in _WHO_REPORTED}
    view["n_reports"] = len(incident.get("report_ids") or ())
    if not (is_released(release, now) and release is not None and release.full):
        lon, lat, radius = coarsen(
            float(incident["lon"]), float(incident["lat"]), incident.get("uncertainty_m")
        )
        view.update(lon=lon, lat=lat, uncertainty_m=radius, place_precision="coarsened")
        for derived in ("distance_m", "line_distance_m"):
            if view.get(derived) is not None:
                view[derived] = _coarse_distance(view[derived])
    return view


def status_change_view(principal: Principal, change: Mapping[str, Any]) -> dict[str, Any]:
    """A status change (``StatusChange.to_dict()``) of an incident the principal may see: whole,
    except that the basis of an automatic change is dropped (None) for anyone but the mission,
    as fusion's basis names every source of the incident."""
    view = dict(change)
    if not principal.sees_all and view.get("automatic"):
        view["basis"] = None
    return view


def violation_view(
    principal: Principal,
    violation: Mapping[str, Any],
    incident: Mapping[str, Any] | None,
    *,
    own_reports: Collection[str] = (),
) -> dict[str, Any] | None:
    """The violation (``StoredViolation.to_dict()``) as this principal may see it, or None.

    ``incident`` is the principal's view of the violation's incident (:func:`incident_view`;
    None: hidden, and so is the violation). The mission sees it whole; a party with its
    ``evidence`` (report ids) cut to its own reports (``own_reports``) and ``other_evidence``
    counting the rest; the public without evidence (``n_evidence`` counts it); both with the
    distances among its facts rounded as the incident's are when its place is coarsened.
    """
    if principal.sees_all:
        return dict(violation)
    if incident is None:
        return None
    view = dict(violation)
    evidence = list(violation.get("evidence") or ())
    if principal.role == "party":
        view["evidence"] = [e for e in evidence if e in own_reports]
        view["other_evidence"] = len(evidence) - len(view["evidence"])
    else:
        view.pop("evidence", None)
        view["n_evidence"] = len(evidence)
    # A party shown an incident that does not concern it sees it coarsened, as the public does.
    if incident.get("place_precision") == "coarsened":
        facts = dict(view.get("facts") or {})
        for derived in ("distance_m", "line_distance_m"):
            if facts.get(derived) is not None:
                facts[derived] = _coarse_distance(facts[derived])
        view["facts"] = facts
    return view
