"""Named column mappings for the files people already have (``ceasefire ingest --profile NAME``).

Each profile is mapping data as a user's mapping file would hold it
(:func:`ceasefire.intake.mapping.mapping_from`), so a profile can be copied out, edited and
given back with ``--mapping``. ``docs/reports.md`` has the tables.

* ``acled``: ACLED's CSV export (event data; https://acleddata.com, its codebook). Its
  ``geo_precision`` 1-3 is the project's place precision (:data:`ceasefire.vocab.PRECISIONS`
  follows the same codes) with an uncertainty radius for each, its sub-event types are the
  project's event types, and its first actor is the claimed perpetrator where the actor is a
  party's armed forces. Its other columns are kept as ``acled_<column>``.
* ``patrol``: a mission's patrol sheet, as typed in the field: date, time, patrol, place or
  lat/lon, what was seen, weapon, count, notes. A row with a place and no lat/lon is placed by
  the place's name (:mod:`ceasefire.intake.places`).
* ``community``: the community data set of the Air Force's strike figures is not reports but
  strike tallies; it has its own reader (``ceasefire tallies ingest --community``,
  :mod:`ceasefire.tallies.community`), and this profile only says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from ceasefire.errors import InputError, Problem
from ceasefire.intake.mapping import ColumnMapping, mapping_from
from ceasefire.vocab import EVENT_TYPES, WEAPON_CLASSES

#: ACLED's geo_precision codes (codebook, "Geo-precision"): 1 the named town itself, 2 near a
#: town or a part of a region (the town's coordinates), 3 only a larger region (the coordinates
#: of its capital or a central town). The radii: a town's extent (Ukrainian cities reach ~10 km
#: from the centre; most settlements far less), a district (raion, ~25 km across half of one),
#: an oblast (~100 km from its capital to its edge).
ACLED_PRECISION: Final = {"1": "exact", "2": "near", "3": "region"}
ACLED_UNCERTAINTY_M: Final = {"1": "5000", "2": "25000", "3": "100000"}

#: ACLED's sub-event types (codebook 2023) as event types. ACLED's "Shelling/artillery/missile
#: attack" and "Air/drone strike" each join two of ours; the report's weapon fields, not this
#: table, tell them apart. "Disrupted weapons use" is ACLED's code for interceptions: a wave of
#: drones or missiles met by air defence, our ``air_attack``.
ACLED_SUB_EVENTS: Final = {
    "armed clash": "small_arms",
    "government regains territory": "military_movement",
    "non-state actor overtakes territory": "military_movement",
    "shelling/artillery/missile attack": "shelling",
    "air/drone strike": "air_strike",
    "remote explosive/landmine/ied": "mine",
    "grenade": "explosion",
    "suicide bomb": "explosion",
    "chemical weapon": "other",
    "disrupted weapons use": "air_attack",
    "looting/property destruction": "infrastructure_damage",
    "headquarters or base established": "armed_presence",
    "non-violent transfer of territory": "military_movement",
    "*": "other",
}

#: ACLED actors that are a party's armed forces, as prefixes: ACLED names a force with the
#: years of its government ("Military Forces of Russia (2000-)") and a branch after it
#: ("... Air Force"). Any other actor names no party clearly and is left out of
#: claimed_perpetrator (it stays in ``acled_actor1``).
ACLED_ACTORS: Final = {
    "military forces of russia*": "RU",
    "military forces of ukraine*": "UA",
    "*": None,
}

ACLED: Final[dict[str, Any]] = {
    "name": "acled",
    "columns": {
        "event_id_cnty": "id",
        "time_precision": "time_precision",
        "sub_event_type": "event_type",
        "actor1": ["claimed_perpetrator", "acled_actor1"],
        "latitude": "lat",
        "longitude": "lon",
        "geo_precision": ["place_precision", "uncertainty_m"],
        "fatalities": "killed",
        "notes": "notes",
        "source": "source_name",
    },
    "constants": {"source_kind": "osint", "submitted_by": "acled"},
    "values": {
        "event_type": ACLED_SUB_EVENTS,
        "claimed_perpetrator": ACLED_ACTORS,
        "place_precision": ACLED_PRECISION,
        "uncertainty_m": ACLED_UNCERTAINTY_M,
        # ACLED's time precision: 1 the day, 2 the week, 3 the month.
        "time_precision": {"1": "exact", "2": "near", "3": "region"},
    },
    # ACLED dates are local days; the window is that day in Kyiv (Moscow's is an hour ahead).
    "time": {
        "date": "event_date",
        "formats": ["%Y-%m-%d", "%d %B %Y", "%d-%B-%Y"],
        "timezone": "Europe/Kyiv",
    },
    "unmapped": "acled_",
    # Present in every export since 2019; older or trimmed files may lack these.
    "optional": ["time_precision", "notes", "source", "fatalities"],
}


def _vocab(words: Sequence[str]) -> dict[str, str]:
    """Each word of a vocabulary as typed in a sheet: ``small arms`` for ``small_arms``."""
    return {word.replace("_", " "): word for word in words} | {word: word for word in words}


#: The patrol sheet's "seen" words as event types: the vocabulary with spaces, and the words a
#: patrol writes. A word none of these names stays as written and is refused by validation,
#: naming the row: a sheet is the mission's own evidence, so no guess is made for it.
PATROL_SEEN: Final = _vocab(EVENT_TYPES) | {
    "small arms fire": "small_arms",
    "gunfire": "small_arms",
    "artillery fire": "shelling",
    "mortar fire": "shelling",
    "explosions": "explosion",
    "drone": "drone_overflight",
    "uav": "drone_overflight",
    "armed men": "armed_presence",
    "movement": "military_movement",
    "mines": "mine",
    "damage": "infrastructure_damage",
}
PATROL_WEAPONS: Final = _vocab(WEAPON_CLASSES) | {
    "rifle": "small_arms",
    "machine gun": "small_arms",
    "grad": "mlrs",
    "mrls": "mlrs",
    "fpv": "fpv_drone",
    "shahed": "long_range_drone",
    "apc": "armoured_vehicle",
    "ifv": "armoured_vehicle",
}
PATROL: Final[dict[str, Any]] = {
    "name": "patrol",
    "columns": {
        "patrol": "source_name",
        "place": "place",
        "lat": "lat",
        "lon": "lon",
        "seen": "event_type",
        "weapon": "weapon_class",
        "count": "count",
        "notes": "notes",
    },
    "constants": {"source_kind": "patrol", "submitted_by": "mission"},
    "values": {"event_type": PATROL_SEEN, "weapon_class": PATROL_WEAPONS},
    "time": {
        "date": "date",
        "time": "time",
        "formats": ["%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y"],
        "timezone": "Europe/Kyiv",
    },
    # A sheet gives a place or coordinates, and leaves out what it never fills in.
    "optional": ["time", "patrol", "place", "lat", "lon", "weapon", "count", "notes"],
    # The same row of the same sheet read twice is the same report; an edited sighting is a
    # conflict to resolve (a correction), not a second report beside the first.
    "id": {
        "prefix": "patrol",
        "from": ["patrol", "date", "time", "place", "lat", "lon", "seen", "weapon"],
    },
}

#: The community strike data set's own columns (:data:`ceasefire.tallies.community.
#: REQUIRED_COLUMNS`; not imported: the tallies read their files through this package).
COMMUNITY_COLUMNS: Final = ("time_start", "time_end", "model", "launched", "destroyed")
COMMUNITY_HINT: Final = (
    "this is the community strike data set: its rows are strike tallies, not reports; "
    "read it with: ceasefire tallies ingest --community FILE"
)

PROFILES: Final[dict[str, dict[str, Any] | None]] = {
    "acled": ACLED,
    "patrol": PATROL,
    "community": None,
}


def profile(name: str, where: str = "--profile") -> ColumnMapping:
    """The named profile's mapping.

    Raises
    ------
    InputError
        An unknown name (the known ones listed), or ``community`` (which names its reader).
    """
    key = name.strip().casefold()
    if key not in PROFILES:
        known = ", ".join(PROFILES)
        raise InputError(Problem(where, "profile", f"unknown profile {name!r}; known: {known}"))
    data = PROFILES[key]
    if data is None:
        raise InputError(Problem(where, "profile", COMMUNITY_HINT))
    return mapping_from(data, where, name=key)


def header_hint(header: Sequence[str]) -> str | None:
    """What a header without the report's fields looks like, for the problem that says so."""
    have = {cell.strip().casefold() for cell in header}
    if set(COMMUNITY_COLUMNS) <= have:
        return COMMUNITY_HINT
    if {"event_id_cnty", "sub_event_type", "geo_precision"} <= have:
        return "the header is ACLED's export: pass --profile acled"
    if {"date", "patrol", "seen"} <= have:
        return "the header is a patrol sheet: pass --profile patrol"
    return None
