"""Reports placed by name: ``place: "Kupiansk"`` or ``"Kharkiv oblast"`` instead of lon/lat.

The one rule of how a report's place name becomes a point, called from the one validation path
(:class:`ceasefire.intake.report.Report`), so a CLI file, an API body and anything else read the
same name the same way. Names are looked up in the offline gazetteer
(:mod:`ceasefire.geo.placenames`):

* a settlement (``Kupiansk``, ``Kupyansk``, ``Stakhanov``) gives its point, ``place_precision``
  ``near`` and an ``uncertainty_m`` that covers the settlement, from its population
  (:func:`~ceasefire.geo.placenames.settlement_radius_m`);
* an oblast (``Kharkiv oblast``, ``Kharkiv region``, ``Kharkivska oblast``, or a bare name no
  settlement has, like ``Crimea``) gives the middle of its settlements, ``region`` and a radius
  that covers them all (:func:`~ceasefire.geo.placenames.region_extent`);
* a name several settlements share is one only when the most populous has :data:`DOMINANCE`
  times the people of the next; otherwise it is refused with the candidates listed, and an
  oblast picks one: ``"Mykolaivka, Donetsk"``, ``"Mykolaivka (Donetsk oblast)"`` or the field
  ``place_oblast``.

Only a report with neither lon/lat nor an observer position is placed by name; a point the
submitter gave wins and the name stays beside it as evidence. The name always stays on the
report. What the name filled in is listed in the report's :data:`RESOLVED_FIELD`; those fields
are stored, exported and used like any other, but are not the submitter's: the content hash and
the signed bytes leave them out (:func:`without_resolved`), so a signed ``{"place":
"Kupiansk"}`` still verifies once placed, and a resubmission is the same report even after the
gazetteer moves the point. On input the listed fields are dropped and the name placed afresh, so
an export read back is the same report and nobody passes a point of their own off as ours.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from ceasefire.errors import Problem
from ceasefire.geo.gazetteer import load_gazetteer
from ceasefire.geo.placenames import (
    REGION_ALIASES,
    closest_settlement,
    find_region,
    region_extent,
    settlement_radius_m,
    settlements,
)

#: The report's fields that name a place, and the one that lists what a name filled in.
PLACE_FIELD: Final = "place"
OBLAST_FIELD: Final = "place_oblast"
RESOLVED_FIELD: Final = "place_resolved"
#: What a place name may fill in; each only when the submitter left it out.
FILLED: Final = ("lon", "lat", "uncertainty_m", "place_precision")

#: How many times the people of the next settlement of the same name the most populous must
#: have to be the one a bare name means. Ten leaves Kupiansk (one of its name) and Donetsk
#: (the city, 18 times the Donetsk in Rostov oblast) to their names, and refuses Mykolaivka
#: (14,210 in Donetsk oblast, 3,629 in Odesa) and Kostiantynivka (67,350 and 11,540): a report
#: put 500 km from its event is worse than one sent back for its oblast.
DOMINANCE: Final = 10
#: Candidates named in the problem of an ambiguous name (the rest counted).
MAX_LISTED: Final = 6
_COUNTRIES: Final = frozenset(("ukraine", "ua", "russia", "ru", "russian federation"))


@dataclass(frozen=True)
class Placed:
    """Where a place name puts a report."""

    lon: float
    lat: float
    uncertainty_m: float
    precision: str  # a term of ceasefire.vocab.PRECISIONS
    found: str  # what the name was taken for, e.g. "Kupyansk (Kharkiv)"


class PlaceProblem(ValueError):
    """A place name that places nothing: the field to name and why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.problem = Problem("", field, reason)


def resolve_place(place: str | None, oblast: str | None = None) -> Placed:
    """The point, precision and radius a place name (and an oblast qualifying it) gives.

    Raises
    ------
    PlaceProblem
        The name is blank, unknown, or shared by settlements no oblast tells apart; the
        problem names ``place`` or ``place_oblast`` and, for an ambiguous name, the candidates.

    Examples
    --------
    >>> resolve_place("Kupiansk").found, resolve_place("Kupiansk").precision
    ('Kupyansk (Kharkiv)', 'near')
    >>> resolve_place("Kharkiv region").precision, resolve_place(None, "Dnipro region").found
    ('region', 'Dnipropetrovsk oblast')
    """
    found = _resolve(place, oblast)
    if isinstance(found, Problem):
        raise PlaceProblem(found.field, found.reason)
    return found


@lru_cache(maxsize=4096)  # a file names the same few places on many rows
def _resolve(place: str | None, oblast: str | None) -> Placed | Problem:
    g = load_gazetteer()
    name, qualifier, field = _split(place) if place is not None else (None, None, OBLAST_FIELD)
    if oblast is not None:
        if qualifier is not None and _region_or_none(qualifier) != _region_or_none(oblast):
            return Problem("", OBLAST_FIELD, f"is {oblast!r} but place says {qualifier!r}")
        qualifier, field = oblast, OBLAST_FIELD
    if name is not None and not name.strip():
        return Problem("", PLACE_FIELD, "must not be blank; name a settlement or an oblast")
    region: str | None = None
    if qualifier is not None:
        region = _region_or_none(qualifier)
        if region is None:
            return Problem("", field, _unknown_region(qualifier))
    if name is None:
        return _region(region) if region is not None else Problem("", field, "must not be blank")
    named, said_region = find_region(name)
    if said_region:
        if named is None:
            return Problem("", PLACE_FIELD, _unknown_region(name))
        if region is not None and region != named:
            return Problem("", field, f"is {qualifier!r} but place names {named} oblast")
        return _region(named)
    found = settlements(g, name, region)
    if not found:
        if named is not None and region is None:
            return _region(named)  # "Crimea": an oblast no settlement is called
        elsewhere = settlements(g, name) if region is not None else []
        if elsewhere:
            listed = "; ".join(str(s) for s in elsewhere[:MAX_LISTED])
            return Problem(
                "", field, f"no settlement called {name!r} in {region} oblast; there are: {listed}"
            )
        return Problem("", PLACE_FIELD, _unknown_settlement(name))
    first = found[0]
    if len(found) > 1 and first.population < DOMINANCE * found[1].population:
        listed = "; ".join(str(s) for s in found[:MAX_LISTED])
        more = f"; and {len(found) - MAX_LISTED} more" if len(found) > MAX_LISTED else ""
        if region is None:
            how = (
                f'name the oblast (place: "{name}, {first.region}" or place_oblast) '
                "or give lon and lat"
            )
        else:
            how = "give lon and lat"
        within = f" in {region} oblast" if region is not None else ""
        return Problem("", PLACE_FIELD, f"{name!r}{within} is ambiguous: {listed}{more}; {how}")
    return Placed(
        first.lon,
        first.lat,
        float(math.ceil(settlement_radius_m(first.population))),
        "near",
        f"{first.name} ({first.region})",
    )


def _split(place: str) -> tuple[str, str | None, str]:
    """A place as (name, oblast qualifying it or None, the field to blame for the qualifier):
    ``"Mykolaivka, Donetsk oblast, Ukraine"`` and ``"Mykolaivka (Donetsk)"`` alike."""
    text = place.strip()
    if text.endswith(")") and "(" in text:
        name, _, rest = text[:-1].partition("(")
        return name.strip(), rest.strip() or None, PLACE_FIELD
    parts = [p.strip() for p in text.split(",")]
    while len(parts) > 1 and parts[-1].casefold() in _COUNTRIES:
        parts.pop()
    return parts[0], (parts[-1] or None) if len(parts) > 1 else None, PLACE_FIELD


def _region_or_none(text: str) -> str | None:
    return find_region(text)[0]


def _region(region: str) -> Placed | Problem:
    extent = region_extent(load_gazetteer(), region)
    found = region if region.endswith("City") else f"{region} oblast"
    return Placed(extent.lon, extent.lat, float(math.ceil(extent.radius_m)), "region", found)


def _unknown_region(text: str) -> str:
    names = list(REGION_ALIASES)
    near = difflib.get_close_matches(text.strip(), names, n=1, cutoff=0.6)
    hint = f"; did you mean {near[0]!r}?" if near else f"; expected one of: {', '.join(names)}"
    return f"unknown oblast {text!r}{hint}"


def _unknown_settlement(name: str) -> str:
    near = closest_settlement(load_gazetteer(), name)
    hint = f" (did you mean {near.name!r}, {near.region}?)" if near is not None else ""
    return (
        f"no settlement or oblast called {name!r} in the gazetteer{hint}; "
        "check the spelling or give lon and lat"
    )


def resolved_names(value: Any) -> tuple[str, ...]:
    """The fields a :data:`RESOLVED_FIELD` value lists (a JSON list, or its text from CSV).

    Raises
    ------
    PlaceProblem
        The value is no list of fields a place fills in.
    """
    if isinstance(value, str):
        text = value.strip()
        try:
            value = json.loads(text) if text.startswith("[") else text.split(",")
        except ValueError:
            value = None
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise PlaceProblem(RESOLVED_FIELD, f"must list fields of: {', '.join(FILLED)}")
    names = tuple(v.strip() for v in value)
    wrong = [n for n in names if n not in FILLED]
    if wrong:
        raise PlaceProblem(
            RESOLVED_FIELD, f"lists {wrong[0]!r}; a place name fills in only {', '.join(FILLED)}"
        )
    return names


def without_resolved(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` without :data:`RESOLVED_FIELD` and the fields it lists: what the submitter sent.

    The content hash and the signed bytes are taken of this (:mod:`ceasefire.intake.signing`).
    """
    out = dict(data)
    marker = out.pop(RESOLVED_FIELD, None)
    if marker is not None:
        for name in resolved_names(marker):
            out.pop(name, None)
    return out


def place_by_name(known: dict[str, Any], observer_fields: tuple[str, ...]) -> None:
    """Fill in ``known`` (a report's fields as given) from its place name, when it has one and
    no point of its own; leaves it as it is when the name places nothing (the report's
    cross-field check names the problem, :func:`resolve_place` again)."""
    place, oblast = known.get(PLACE_FIELD), known.get(OBLAST_FIELD)
    if place is None and oblast is None:
        return
    if not isinstance(place, str | None) or not isinstance(oblast, str | None):
        return  # the field's own check names the type
    if known.get("lon") is not None or known.get("lat") is not None:
        return
    if any(known.get(name) is not None for name in observer_fields):
        return
    found = _resolve(place, oblast)
    if isinstance(found, Problem):
        return
    values = {
        "lon": found.lon,
        "lat": found.lat,
        "uncertainty_m": found.uncertainty_m,
        "place_precision": found.precision,
    }
    filled = tuple(name for name in FILLED if known.get(name) is None)
    known.update({name: values[name] for name in filled})
    known[RESOLVED_FIELD] = filled
