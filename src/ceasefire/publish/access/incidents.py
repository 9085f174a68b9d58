"""Who may read an incident: the mission every one, a party those that concern it or that it is
asked about, anyone once it is public; and what makes it public (a release that has taken
effect, the delay) and the grid its coarsened place snaps to.

Its own module because an incident's reader is decided by the incident (its side, perpetrators,
violations, release), not by who submitted what; what hangs on an incident (its violations,
its decisions, a hotline message naming it) is read by the same predicate.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from ceasefire.publish.access.roles import Principal
from ceasefire.records import StoredIncident

__all__ = [
    "COARSE_DEG",
    "COARSE_RADIUS_M",
    "PUBLIC_DELAY",
    "Release",
    "concerns",
    "is_released",
    "may_read_incident",
    "reads_released_only",
]

#: How long the public waits for a released incident (DESIGN section 6).
PUBLIC_DELAY: Final = timedelta(hours=24)
#: The grid a coarsened place snaps to, in degrees: 0.1 deg is about 11 km north-south and 7 km
#: east-west at 48 N, enough to hide a firing position or a patrol's exact road.
COARSE_DEG: Final = 0.1
#: The radius a coarsened place claims at least: half the grid cell's diagonal, rounded up.
COARSE_RADIUS_M: Final = 8_000.0


@dataclass(frozen=True)
class Release:
    """An incident's release to the public: when, and whether its place is shown in full."""

    at: datetime
    full: bool = False


def concerns(
    incident: StoredIncident | Mapping[str, Any], party: str, violation_parties: Collection[str]
) -> bool:
    """Whether an incident concerns a party: on its side of the line, assessed to be its doing,
    claimed against it by a report, or with a violation held against it.

    ``incident`` is the stored incident or its mapping (``StoredIncident.to_dict()``)."""
    if isinstance(incident, StoredIncident):
        side = incident.incident.party
        assessed = incident.assessed_perpetrator
        claimed: Collection[str] = incident.incident.claimed_perpetrators
    else:
        side = incident.get("party")
        assessed = incident.get("assessed_perpetrator")
        claimed = incident.get("claimed_perpetrators") or {}
    return side == party or assessed == party or party in claimed or party in violation_parties


def is_released(release: Release | None, now: datetime) -> bool:
    """Whether a release has taken effect at ``now`` (one dated later is not yet a release)."""
    return release is not None and release.at <= now


def _ended(incident: StoredIncident | Mapping[str, Any]) -> datetime | None:
    if isinstance(incident, StoredIncident):
        return incident.incident.observed_to
    ended = incident.get("observed_to")
    return datetime.fromisoformat(ended) if isinstance(ended, str) else ended


def may_read_incident(
    principal: Principal,
    incident: StoredIncident | Mapping[str, Any],
    *,
    now: datetime,
    release: Release | None = None,
    violation_parties: Collection[str] = (),
    delay: timedelta = PUBLIC_DELAY,
    asked: bool = False,
) -> bool:
    """Whether the principal may read the incident (and so name it, e.g. in a hotline message,
    and read what hangs on it: its violations, its decisions).

    - the mission: every incident;
    - a party: the incidents that concern it (:func:`concerns`), the ones it is asked about
      on the hotline (``asked``: a message addressed to it names the incident), and the others
      once the public reads them (a release gives the other party no more than it gives the
      public);
    - the public: released incidents whose window ended ``delay`` ago.

    ``release`` is the incident's release (None: not released), ``violation_parties`` the
    parties its current violations hold against.
    """
    if principal.sees_all:
        return True
    party = principal.party or ""  # set for every party principal (__post_init__)
    if principal.role == "party" and (asked or concerns(incident, party, violation_parties)):
        return True
    return _public(incident, now=now, release=release, delay=delay)


def _public(
    incident: StoredIncident | Mapping[str, Any],
    *,
    now: datetime,
    release: Release | None,
    delay: timedelta,
) -> bool:
    """Whether the incident is public at ``now``: released, and its window ended ``delay``
    ago. Anyone it does not concern (the public, the other party) reads it only then."""
    ended = _ended(incident)
    return is_released(release, now) and ended is not None and ended + delay <= now


def reads_released_only(principal: Principal) -> bool:
    """Whether every incident the principal may read is a released one (the public), so a
    reader may start from the releases instead of scanning every incident."""
    return not principal.sees_all and principal.role != "party"
