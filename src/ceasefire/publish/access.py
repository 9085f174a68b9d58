"""Who may read and do what (DESIGN section 6): roles, tokens, and the views each role gets.

Pure policy, no I/O: the service asks these functions for every request, so the rules live in
one place that a test can walk role by role.

Roles:

- ``admin`` runs the installation; ``monitor`` works for the mission (reports, verification);
  ``mediator`` sees everything, including every party's traffic, and releases incidents;
- ``party`` is bound to one party code: it sees its own submissions, the incidents that concern
  it and what is released; never the mission's sensor positions or patrol routes, nor the other
  party's reports;
- ``public`` sees released incidents only, once the delay has passed (24 h by default), at a
  coarsened place unless released in full.

Within what a view keeps, nothing may name another submitter: an incident's ``key`` (its
anchor report's id) is shown only to the party that submitted that report; a party's incident
lists only its own ``sources``; the basis of an automatic status change (fusion names every
source in it) is dropped for a party and the public (:func:`status_change_view`); a violation's
``evidence`` (report ids) is cut to the party's own reports and dropped for the public
(:func:`violation_view`). The service applies these views (``ceasefire.api.visibility``); it
decides nothing about who sees what itself.

Tokens are random (256 bits) and stored only as their SHA-256: a token that high in entropy
cannot be guessed from its hash, so a slow password hash would add latency to every request and
no safety.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from ceasefire.errors import InputError, Problem

__all__ = [
    "ACTIONS",
    "PUBLIC_DELAY",
    "ROLES",
    "Principal",
    "Release",
    "coarsen",
    "concerns",
    "incident_view",
    "may",
    "new_token",
    "party_sources",
    "place_slack",
    "report_view",
    "shows_key",
    "status_change_view",
    "token_hash",
    "violation_view",
]

ROLES: Final = ("admin", "monitor", "mediator", "party", "public")

#: What each role may do (reading is decided per record by the views below).
ACTIONS: Final[Mapping[str, frozenset[str]]] = {
    "submit_report": frozenset({"admin", "monitor", "party"}),
    "set_status": frozenset({"admin", "monitor"}),
    "release": frozenset({"admin", "mediator"}),
    "upload_agreement": frozenset({"admin", "mediator"}),
    "cosign": frozenset({"party", "mediator"}),
    "manage_users": frozenset({"admin"}),
    "read_all": frozenset({"admin", "monitor", "mediator"}),
}

#: How long the public waits for a released incident (DESIGN section 6).
PUBLIC_DELAY: Final = timedelta(hours=24)
#: The grid a coarsened place snaps to, in degrees: 0.1 deg is about 11 km north-south and 7 km
#: east-west at 48 N, enough to hide a firing position or a patrol's exact road.
COARSE_DEG: Final = 0.1
#: The radius a coarsened place claims at least: half the grid cell's diagonal, rounded up.
COARSE_RADIUS_M: Final = 8_000.0
_TOKEN_PREFIX: Final = "cf_"


@dataclass(frozen=True)
class Principal:
    """Who is asking: a name, a role, and for a party its party code."""

    name: str
    role: str
    party: str | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise InputError(Problem("user", "role", f"must be one of {', '.join(ROLES)}"))
        if (self.role == "party") != (self.party is not None):
            raise InputError(
                Problem("user", "party", "a party user names its party; no other role does")
            )

    @property
    def sees_all(self) -> bool:
        return self.role in ACTIONS["read_all"]


@dataclass(frozen=True)
class Release:
    """An incident's release to the public: when, and whether its place is shown in full."""

    at: datetime
    full: bool = False


def new_token() -> str:
    """A fresh bearer token, shown once to its user; only :func:`token_hash` is stored."""
    return _TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The stored form of a token (hex SHA-256)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def may(principal: Principal, action: str) -> bool:
    """Whether the principal's role may do ``action`` (a key of :data:`ACTIONS`)."""
    try:
        return principal.role in ACTIONS[action]
    except KeyError:
        raise ValueError(f"unknown action {action!r}") from None


def report_view(principal: Principal, report: Mapping[str, Any]) -> dict[str, Any] | None:
    """The report as this principal may see it, or None.

    The mission sees every report whole; a party sees its own submissions only; the public sees
    no report (it sees incidents).
    """
    if principal.sees_all:
        return dict(report)
    if principal.role == "party" and report.get("submitted_by") == principal.party:
        return dict(report)
    return None


def concerns(incident: Mapping[str, Any], party: str, violation_parties: Collection[str]) -> bool:
    """Whether an incident concerns a party: on its side of the line, assessed to be its doing,
    claimed against it by a report, or with a violation held against it."""
    claimed = incident.get("claimed_perpetrators") or {}
    return (
        incident.get("party") == party
        or incident.get("assessed_perpetrator") == party
        or party in claimed
        or party in violation_parties
    )


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
    return COARSE_DEG if principal.role == "public" else 0.0


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


def incident_view(
    principal: Principal,
    incident: Mapping[str, Any],
    *,
    now: datetime,
    violation_parties: Collection[str] = (),
    release: Release | None = None,
    delay: timedelta = PUBLIC_DELAY,
    own_reports: Collection[str] = (),
) -> dict[str, Any] | None:
    """The incident (``StoredIncident.to_dict()``) as this principal may see it, or None.

    - the mission: whole;
    - a party: the incidents that concern it and the released ones, with the member report ids
      cut to its own submissions (``own_reports``) plus a count of the others, its own
      ``submitters`` and ``sources`` only (:func:`party_sources`) and the ``key`` only if it is
      its own report (:func:`shows_key`), so neither the mission's sources nor the other
      party's complaints show;
    - the public: released incidents whose window ended ``delay`` ago, without report ids,
      ``key``, submitters or sources, at a coarsened place unless released in full.
    """
    if principal.sees_all:
        return dict(incident)
    released = release is not None and release.at <= now
    if principal.role == "party":
        party = principal.party or ""  # set for every party principal (__post_init__)
        if not (released or concerns(incident, party, violation_parties)):
            return None
        view = dict(incident)
        members = list(incident.get("report_ids") or ())
        mine = [r for r in members if r in own_reports]
        view["report_ids"] = mine
        view["anchor_ids"] = [r for r in incident.get("anchor_ids") or () if r in own_reports]
        view["other_reports"] = len(members) - len(mine)
        view["submitters"] = [s for s in incident.get("submitters") or () if s == party]
        view["sources"] = party_sources(party, incident.get("sources") or ())
        if not shows_key(principal, incident, own_reports):
            view.pop("key", None)
        return view
    ended = incident.get("observed_to")
    ended_at = datetime.fromisoformat(ended) if isinstance(ended, str) else ended
    if release is None or not released or ended_at is None or ended_at + delay > now:
        return None
    view = {
        k: v
        for k, v in incident.items()
        if k
        not in ("report_ids", "anchor_ids", "key", "submitters", "sources", "claimed_perpetrators")
    }
    view["n_reports"] = len(incident.get("report_ids") or ())
    if not release.full:
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
    counting the rest; the public without evidence (``n_evidence`` counts it), and with the
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
        return view
    view.pop("evidence", None)
    view["n_evidence"] = len(evidence)
    if incident.get("place_precision") == "coarsened":
        facts = dict(view.get("facts") or {})
        for derived in ("distance_m", "line_distance_m"):
            if facts.get(derived) is not None:
                facts[derived] = _coarse_distance(facts[derived])
        view["facts"] = facts
    return view
