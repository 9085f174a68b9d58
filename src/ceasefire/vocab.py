"""The controlled vocabularies shared by reports, the agreement and the simulator.

Kept in one place so that an agreement's prohibited acts, a report's event type and the
simulator's output all speak the same words. Values are lower-case snake case, as they appear
in the interchange files (DESIGN section 5); what people type (``Shelling``, ``Drone strike``)
is folded onto them by :func:`fold_term`, and a near miss is offered by :func:`closest_term`.
"""

from __future__ import annotations

import difflib
from typing import Final

#: How alike a word must be to a term to be offered as "did you mean" (difflib's ratio:
#: twice the matched characters over both lengths). 0.8 takes one letter doubled, dropped or
#: swapped in a word of eight (``shellling``, ``artilery``) and nothing as far off as
#: ``mortar`` for ``motor``.
NEAR_MISS: Final = 0.8

#: Who or what produced a report (DESIGN section 2).
SOURCE_KINDS: Final = ("patrol", "party", "sensor", "uav", "camera", "satellite", "osint")
#: The mission's own means: only mission users enter reports of these kinds
#: (:func:`ceasefire.publish.access.submission_refusal`), so they are the mission's evidence.
MISSION_SOURCE_KINDS: Final = ("patrol", "sensor", "uav", "camera", "satellite")

#: What happened. Fire and strikes first, then presence and movement, then the rest.
EVENT_TYPES: Final = (
    "shelling",  # indirect fire: artillery, mortar, MLRS
    "small_arms",  # direct fire: small arms, heavy machine guns
    "explosion",  # heard or seen, origin unknown
    "drone_strike",  # strike by a loitering munition / long-range drone
    "missile_strike",  # cruise or ballistic missile
    "air_strike",  # aircraft, glide bombs
    "air_attack",  # a wave of drones / missiles (strike tallies)
    "armed_presence",  # armed personnel seen where they should not be
    "weapon_sighting",  # a weapon seen (class, calibre) - withdrawal checks
    "military_movement",  # vehicles or troops moving
    "drone_overflight",  # a drone seen or detected flying (no strike)
    "mine",  # mines laid or found
    "infrastructure_damage",  # damage seen without an observed attack
    "other",
)

#: Event types that are fire or strikes: who fired is a matter of evidence (the parties'
#: claims), not of where it landed. ``explosion`` is here for the perpetrator rule only; whether
#: an explosion breaks a rule is up to the agreement's own lists.
FIRE_EVENT_TYPES: Final = (
    "shelling",
    "small_arms",
    "explosion",
    "drone_strike",
    "missile_strike",
    "air_strike",
    "air_attack",
)

#: What a strike hit, by category (a report's ``infrastructure``; issue 18): the categories a
#: mission's harm reporting counts incidents by. ``energy`` is generation and the grid
#: (substations, lines); ``heating`` is district heating (boiler houses, heat mains); ``other``
#: takes what fits none, so that a report is never refused for lack of a word.
INFRASTRUCTURE: Final = (
    "energy",
    "heating",
    "water",
    "gas",
    "communications",
    "rail",
    "road",
    "bridge",
    "port",
    "industrial",
    "residential",
    "medical",
    "school",
    "other",
)

#: What people affected by a strike are without (a report's ``utilities``).
UTILITIES: Final = ("heating", "water", "electricity", "gas", "communications")

#: Weapon classes, from the Minsk II withdrawal tables outward.
WEAPON_CLASSES: Final = (
    "small_arms",
    "mortar",
    "artillery",  # tube artillery; calibre decides the zone
    "tank",
    "mlrs",
    "heavy_mlrs",
    "tactical_missile",
    "cruise_missile",
    "ballistic_missile",
    "long_range_drone",
    "fpv_drone",
    "aircraft",
    "air_defence",
    "armoured_vehicle",
    "unknown",
)

#: How well a place or a time is known (after ACLED's geo/time precision codes 1-3).
PRECISIONS: Final = ("exact", "near", "region")

#: The verification statuses, in ladder order; ``withdrawn``: every report of the incident was
#: retracted (set by the store as the last one is, never by hand).
STATUSES: Final = ("reported", "corroborated", "verified", "disputed", "unfounded", "withdrawn")
WITHDRAWN: Final = "withdrawn"
#: Statuses that follow the evidence (set by fusion, never by hand).
AUTOMATIC_STATUSES: Final = ("reported", "corroborated")
#: Statuses only a person sets, always with a basis.
DECIDED_STATUSES: Final = ("verified", "disputed", "unfounded")

#: The hotline's addresses besides the party codes: the mission (admin and monitor users) and the
#: mediator.
MISSION: Final = "mission"
MEDIATOR: Final = "mediator"
#: The first part of the ids the mechanism gives the hotline messages it makes; no address, so
#: no caller can write such an id (:data:`ceasefire.hotline.rules.SYSTEM_PREFIX`).
SYSTEM: Final = "sys"
#: What no party code may be: the mechanism's own hotline addresses and id prefix (a party user
#: bound to ``mission`` would read every mission report, to ``mediator`` every escalation).
NOT_PARTY_CODES: Final = frozenset({MISSION, MEDIATOR, SYSTEM})


def fold_term(value: str) -> str:
    """A word as the vocabularies spell their terms: case folded, spaces and hyphens as ``_``.

    >>> fold_term(" Drone strike"), fold_term("SMALL-ARMS")
    ('drone_strike', 'small_arms')
    """
    return "_".join(value.strip().casefold().replace("-", " ").split())


def closest_term(value: str, vocabulary: tuple[str, ...]) -> str | None:
    """The term of ``vocabulary`` a mistyped ``value`` most likely meant, or None.

    >>> closest_term("shellling", EVENT_TYPES), closest_term("artilery", WEAPON_CLASSES)
    ('shelling', 'artillery')
    >>> closest_term("rain", EVENT_TYPES) is None
    True
    """
    found = difflib.get_close_matches(fold_term(value), vocabulary, n=1, cutoff=NEAR_MISS)
    return found[0] if found else None
