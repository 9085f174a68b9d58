"""What an accepted proposal becomes in the record: an ``osint`` report and a strike tally.

Extraction proposes (:func:`ceasefire.extract.extract`); a person reviews the proposals and
accepts some events of a text; each accepted event then becomes, with ids made from the text's
SHA-256 and the event's index (so accepting the same text and event again is a no-op):

- an ``osint`` report of the mission (``submitted_by`` ``mission``, ``source_name`` the text's
  source) placed at the event's place, with its date's window, its kind as the event type
  (``ceasefire_violations`` as ``other`` with the count), the perpetrator as claimed, the
  casualties and the people affected; in ``extra`` (``extracted``) the text's hash, the event's
  index and its figures with the words each came from, so the report's ledger leaf carries them;
- a strike tally (``issuer`` ``mission``: the mission's transcription of what the text says)
  when the event counts weapons launched, destroyed or hit.

An event that cannot become both of what it needs refuses the whole accept, naming the event
(``event 2``) and the field. Pure: the gazetteer and the present are passed in; storing is
:mod:`ceasefire.extracting`'s. Rules and reasons in docs/extract.md, "Accepting proposals".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
from typing import Any, Final
from zoneinfo import ZoneInfo

import numpy as np
from pydantic import ValidationError

from ceasefire.counts import Count
from ceasefire.errors import InputError, NotFoundError, Problem
from ceasefire.extract.model import CEASEFIRE_VIOLATIONS, WEAPON_KEYS, Event, Extraction
from ceasefire.geo.gazetteer import Gazetteer
from ceasefire.intake._problems import problems_from
from ceasefire.intake.observer import GEOD
from ceasefire.intake.report import Report
from ceasefire.tallies.model import Tally, read_tally
from ceasefire.vocab import EVENT_TYPES, MISSION

__all__ = [
    "CITY_RADIUS_M",
    "ID_PREFIX",
    "AcceptedEvent",
    "accepted_records",
    "proposal_digest",
    "record_id",
    "text_sha256",
    "window_of",
]

#: The texts' dates are local dates of the theatre; its reporting days and the Air Force's
#: bulletins run on Kyiv time (EET/EEST).
LOCAL: Final = ZoneInfo("Europe/Kyiv")
#: A night's attack: from 18:00 the evening before to 09:00 the morning its date names, the
#: window of the Air Force's morning bulletin (docs/tallies.md, the demo's 18:00 to 08:30).
NIGHT_FROM: Final = time(18, 0)
NIGHT_TO: Final = time(9, 0)
#: Words of a date's evidence that name a night ("overnight", "last night", "on the night of";
#: Ukrainian ніч/ночі, Russian ночь/ночи).
_NIGHT_WORDS: Final = ("night", "ніч", "ноч")
#: How far from a settlement's point an event "in" it may lie: the theatre's largest cities
#: (Kyiv, Kharkiv) are about 30 km across.
CITY_RADIUS_M: Final = 15_000.0
#: The least radius of an oblast-level place (news that names only an oblast: the simulator's
#: news reports take the same floor).
OBLAST_MIN_RADIUS_M: Final = 30_000.0
#: Every id an accepted event stores under starts so, then the text's hash and the index.
ID_PREFIX: Final = "text"
#: Hex digits of the text's SHA-256 in an id: 64 bits, no two texts of a mission alike.
_HASH_DIGITS: Final = 16


def text_sha256(text: str) -> str:
    """The SHA-256 (hex) of the text's UTF-8, the key its proposals and records carry."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def proposal_digest(extraction: Extraction, sha256: str) -> str:
    """A digest of what was proposed for a text: an accept that names it is refused when the
    text now gives other proposals (another version of the rules), so nobody accepts events
    they were not shown."""
    body = json.dumps(
        {"sha256": sha256, "proposal": extraction.to_json()},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AcceptedEvent:
    """One accepted event as records: its report (None: no single place for one) and its
    tally (None: no weapon counts), and why a record it lacks is not made."""

    index: int
    report: Report | None
    tally: Tally | None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "event": self.index,
            "report": None if self.report is None else self.report.id,
            "tally": None if self.tally is None else self.tally.id,
            "note": self.note,
        }


def record_id(sha256: str, index: int) -> str:
    """The id of an accepted event's report and of its tally (each has its own key space)."""
    return f"{ID_PREFIX}-{sha256[:_HASH_DIGITS]}-{index}"


def window_of(event: Event) -> tuple[datetime, datetime] | None:
    """The window an event's date names, in local time; None without a date.

    The date is the day the reported period ends (docs/extract.md). When its words name a night
    the window is that night, 18:00 to 09:00 the next morning; otherwise it is the night before
    and the day itself (18:00 the evening before to midnight), since "over the past day",
    "today" or "on Monday" leave the hour open.
    """
    if event.date is None:
        return None
    evening = datetime.combine(event.date - timedelta(days=1), NIGHT_FROM, LOCAL)
    if _night(event):
        return evening, datetime.combine(event.date, NIGHT_TO, LOCAL)
    return evening, datetime.combine(event.date + timedelta(days=1), time(0, 0), LOCAL)


def _night(event: Event) -> bool:
    words = " ".join(e.text for e in event.evidence if e.field == "date").casefold()
    return any(w in words for w in _NIGHT_WORDS)


@dataclass(frozen=True)
class _Place:
    lon: float
    lat: float
    uncertainty_m: float
    precision: str
    name: str


def _place(event: Event, gazetteer: Gazetteer, where: str) -> _Place | None:
    """Where a report of the event goes: its first settlement ("near", :data:`CITY_RADIUS_M`),
    else its one oblast ("region", the oblast's extent); None when it names neither or several
    oblasts and no settlement (an attack on twelve regions has no one place)."""
    if event.places:
        name = event.places[0]
        try:
            i = gazetteer.find(name, "UA")
        except NotFoundError:
            try:
                i = gazetteer.find(name)
            except NotFoundError:
                raise InputError(
                    Problem(where, "places", f"{name!r} is not a settlement of the gazetteer")
                ) from None
        lon, lat = float(gazetteer.lon[i]), float(gazetteer.lat[i])
        return _Place(lon, lat, CITY_RADIUS_M, "near", name)
    if len(event.oblasts) != 1:
        return None
    (oblast,) = event.oblasts
    found = _oblast_point(gazetteer, oblast)
    if found is None:
        raise InputError(Problem(where, "oblasts", f"{oblast!r} is not a region of the gazetteer"))
    lon, lat, radius = found
    return _Place(lon, lat, radius, "region", oblast)


@lru_cache(maxsize=64)
def _oblast_point(gazetteer: Gazetteer, oblast: str) -> tuple[float, float, float] | None:
    """The middle of an oblast's settlements and the radius that holds them all (metres,
    rounded up to a kilometre, at least :data:`OBLAST_MIN_RADIUS_M`): "somewhere in the
    oblast", as the simulator's news places it."""
    inside = np.flatnonzero(gazetteer.admin1 == oblast)
    if inside.size == 0:
        return None
    lon = float(np.mean(gazetteer.lon[inside]))
    lat = float(np.mean(gazetteer.lat[inside]))
    n = inside.size
    _, _, dist = GEOD.inv(
        np.full(n, lon), np.full(n, lat), gazetteer.lon[inside], gazetteer.lat[inside]
    )
    radius = max(OBLAST_MIN_RADIUS_M, float(np.ceil(np.max(dist) / 1000.0) * 1000.0))
    return lon, lat, radius


def _low(count: Count | None) -> int | None:
    """A report's whole-number field from a count: its low end, ACLED's conservative figure
    (the interval itself stays in ``extra``)."""
    return None if count is None else count.low


def _json(count: Count | None) -> Any:
    return None if count is None else count.to_json()


def _weapon_class(event: Event) -> str | None:
    """The report's weapon class when the counts name one family only."""
    given = {k for w in (event.launched, event.destroyed, event.hit) for k in WEAPON_KEYS
             if getattr(w, k) is not None}  # fmt: skip
    if not given:
        return None
    if given == {"drones"}:
        return "long_range_drone"
    if given <= {"missiles", "ballistic_missiles"} and "ballistic_missiles" in given:
        return "ballistic_missile"
    if given <= {"missiles", "cruise_missiles"} and "cruise_missiles" in given:
        return "cruise_missile"
    return None


def _notes(event: Event, source: str | None) -> str:
    quoted = "; ".join(f'{e.field}: "{e.text}"' for e in event.evidence)
    return f"Proposed from the text of {source or 'an unnamed source'}. {quoted}".strip()


def _report(
    event: Event,
    index: int,
    sha256: str,
    extraction: Extraction,
    place: _Place,
    window: tuple[datetime, datetime],
    now: datetime,
    where: str,
) -> Report:
    kind = "other" if event.kind == CEASEFIRE_VIOLATIONS else event.kind
    count = event.ceasefire_violations if event.kind == CEASEFIRE_VIOLATIONS else event.explosions
    data: dict[str, Any] = {
        "id": record_id(sha256, index),
        "submitted_by": MISSION,
        "source_kind": "osint",
        "source_name": extraction.source,
        "observed_from": window[0].isoformat(),
        "observed_to": window[1].isoformat(),
        "time_precision": "near",
        "lon": place.lon,
        "lat": place.lat,
        "uncertainty_m": place.uncertainty_m,
        "place_precision": place.precision,
        "event_type": kind,
        "weapon_class": _weapon_class(event),
        "count": _low(count),
        "claimed_perpetrator": event.perpetrator,
        "killed": _low(event.killed),
        "injured": _low(event.injured),
        "people_affected": _json(event.people_affected),
        "notes": _notes(event, extraction.source),
        "extra": {"extracted": _extracted(event, index, sha256, extraction, place.name)},
    }
    data = {k: v for k, v in data.items() if v is not None}
    try:
        # The window's end may lie later today: the text names a day, not an hour. Its start
        # may not lie ahead (checked by the caller, naming the date).
        return Report.model_validate(data, strict=True, context={"now": now, "check_future": False})
    except ValidationError as exc:
        raise InputError(problems_from(exc, where)) from None


def _extracted(
    event: Event, index: int, sha256: str, extraction: Extraction, place: str | None
) -> dict[str, Any]:
    """What a record keeps of its proposal: the text's hash, the event's index and figures
    and the words each came from (offsets into the text), where it was placed."""
    published = extraction.published
    return {
        "text_sha256": sha256,
        "event": index,
        "published": None if published is None else published.isoformat(),
        "placed_at": place,
        "figures": event.to_json(),
    }


def _line(weapon_class: str, key: str, event: Event, part_of: str | None) -> dict[str, Any] | None:
    counts = {
        name: getattr(weapons, key)
        for name, weapons in (("launched", event.launched), ("destroyed", event.destroyed),
                              ("hit", event.hit))
    }  # fmt: skip
    given = {name: c.to_json() for name, c in counts.items() if c is not None}
    if not given:
        return None
    line: dict[str, Any] = {"weapon_class": weapon_class, **given}
    if part_of is not None:
        line["part_of"] = part_of
    return line


def _lines(event: Event) -> list[dict[str, Any]]:
    """One line per weapon family counted. Ballistic and cruise missiles are parts of the
    missiles (docs/extract.md), so they are sub-count lines of the ``missile`` line, never
    added to a total twice."""
    drones = _line("drone", "drones", event, None)
    missiles = _line("missile", "missiles", event, None)
    parent = "missile" if missiles is not None else None
    parts = [
        _line("ballistic_missile", "ballistic_missiles", event, parent),
        _line("cruise_missile", "cruise_missiles", event, parent),
    ]
    return [ln for ln in (drones, missiles, *parts) if ln is not None]


def _counts_weapons(event: Event) -> bool:
    return not all(w.empty for w in (event.launched, event.destroyed, event.hit))


def _tally(
    event: Event,
    index: int,
    sha256: str,
    extraction: Extraction,
    window: tuple[datetime, datetime],
    where: str,
) -> Tally:
    # One oblast named and no count of regions: the text's figures are that oblast's (a regional
    # account, kept apart from the national ones in reconciliation); else the attack's.
    regional = len(event.oblasts) == 1 and event.regions_count is None
    data: dict[str, Any] = {
        "id": record_id(sha256, index),
        "issuer": MISSION,
        "attacker": event.perpetrator,
        "window_from": window[0].isoformat(),
        "window_to": window[1].isoformat(),
        "scope": "oblast" if regional else "national",
        "scope_name": event.oblasts[0] if regional else None,
        "lines": _lines(event),
        "locations_hit": _json(event.locations_hit),
        "regions": sorted(event.oblasts) or None,
        "regions_count": _json(event.regions_count),
        "killed": _json(event.killed),
        "injured": _json(event.injured),
        "source": extraction.source,
        "notes": _notes(event, extraction.source),
        "extracted": _extracted(event, index, sha256, extraction, None),
    }
    return read_tally({k: v for k, v in data.items() if v is not None}, where=where)


def _indices(wanted: Iterable[int] | None, n: int) -> list[int]:
    if wanted is None:
        return list(range(n))
    chosen = list(dict.fromkeys(wanted))
    if not chosen:
        raise InputError(Problem("accept", "events", "name at least one event to accept"))
    bad = [i for i in chosen if not 0 <= i < n]
    if bad:
        raise InputError(
            Problem("accept", "events", f"no event {bad[0]}: the text proposes {n} event(s)")
        )
    return sorted(chosen)


def accepted_records(
    extraction: Extraction,
    sha256: str,
    events: Sequence[int] | None,
    *,
    gazetteer: Gazetteer,
    now: datetime,
) -> list[AcceptedEvent]:
    """The records of the accepted ``events`` (indices into ``extraction.events``; None: all).

    Raises
    ------
    InputError
        Every problem of every accepted event at once, each naming ``event N`` and the field:
        no date (a record needs its window), a date ahead of ``now``, counts of weapons and no
        perpetrator (a tally counts someone's weapons), a place the gazetteer does not know,
        nothing to store (no single place and no weapon counts), or a figure a report or a
        tally refuses. Nothing of the accept may then be stored.
    """
    out: list[AcceptedEvent] = []
    problems: list[Problem] = []
    for index in _indices(events, len(extraction.events)):
        event = extraction.events[index]
        try:
            out.append(_records(event, index, sha256, extraction, gazetteer, now))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    return out


def _records(
    event: Event,
    index: int,
    sha256: str,
    extraction: Extraction,
    gazetteer: Gazetteer,
    now: datetime,
) -> AcceptedEvent:
    where = f"event {index}"
    problems: list[Problem] = []
    if event.kind != CEASEFIRE_VIOLATIONS and event.kind not in EVENT_TYPES:
        problems.append(Problem(where, "kind", f"{event.kind!r} is not a report event type"))
    window = window_of(event)
    if window is None:
        why = "the text gives none" if extraction.published is None else "the text resolves none"
        hint = "; give the publication date" if extraction.published is None else ""
        problems.append(Problem(where, "date", f"is required for a record: {why}{hint}"))
    elif window[0] > now:
        problems.append(Problem(where, "date", f"is in the future ({event.date})"))
    tallied = _counts_weapons(event)
    if tallied and event.perpetrator is None:
        problems.append(
            Problem(where, "perpetrator", "a strike tally counts someone's weapons: none named")
        )
    place = None
    try:
        place = _place(event, gazetteer, where)
    except InputError as exc:
        problems.extend(exc.problems)
    else:
        if place is None and not tallied:
            names = ", ".join(event.oblasts)
            problems.append(
                Problem(
                    where,
                    "places",
                    f"no single place for a report ({'oblasts ' + names if names else 'none named'}) "
                    "and no weapon counts for a tally: nothing to store",
                )
            )
    if problems:
        raise InputError(problems)
    assert window is not None
    report = None
    if place is not None:
        report = _report(event, index, sha256, extraction, place, window, now, where)
    tally = _tally(event, index, sha256, extraction, window, where) if tallied else None
    note = None
    if report is None:
        note = "no report: the event names no single place (" + (
            ", ".join(event.oblasts) or "none") + "); its tally only"  # fmt: skip
    return AcceptedEvent(index, report, tally, note)
