"""The codebooks of conflict data sets an export follows (issue 20): ACLED's 31 columns, a UCDP
GED-like table and HXL hashtags, each a header and a function from the flat table's rows
(:func:`ceasefire.publish.formats.flat_rows`) to its rows. docs/exports.md has the tables.

- ACLED (codebook 2023): our event types as ACLED's event and sub-event types
  (:data:`ACLED_EVENT_TYPES`, read back by ``ingest --profile acled`` as the same types where
  ACLED has the word), place precision as ``geo_precision`` 1-3, parties as ACLED's actor names
  (:data:`ACLED_ACTORS`), ``fatalities`` the best estimate of the killed;
- UCDP GED (codebook 24.1): ``low``/``best``/``high`` of the killed, ``where_prec``, the sides;
- HXL 1.1: a second header row of hashtags for humanitarian tools (HDX, libhxl).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

__all__ = [
    "ACLED_ACTORS",
    "ACLED_COLUMNS",
    "ACLED_EVENT_TYPES",
    "ACLED_GEO_PRECISION",
    "CODEBOOK_TABLES",
    "HXL_COLUMNS",
    "UCDP_COLUMNS",
    "UCDP_WHERE_PREC",
    "UNIDENTIFIED",
]


def _time(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    t = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return t.astimezone(UTC)


def _row_id(kind: str, row: Mapping[str, Any]) -> str:
    """One id per row: the incident's, or ``<incident>/<seq>`` for a violation (an incident may
    break several rules)."""
    return str(row["id"]) if kind == "incidents" else f"{row['incident_id']}/{row['seq']}"


# ACLED ------------------------------------------------------------------------------------------

#: ACLED's columns, in the order of its codebook (2023 edition, 31 columns).
ACLED_COLUMNS: Final = (
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
    "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2",
    "interaction", "civilian_targeting", "iso", "region", "country", "admin1", "admin2",
    "admin3", "location", "latitude", "longitude", "geo_precision", "source", "source_scale",
    "notes", "fatalities", "tags", "timestamp",
)  # fmt: skip

_BATTLES = "Battles"
_REMOTE = "Explosions/Remote violence"
_STRATEGIC = "Strategic developments"

#: Our event type -> ACLED (event_type, sub_event_type), ACLED's codebook (2023). Where ACLED
#: has the word, it is the one ``ingest --profile acled`` reads back as the same type
#: (:data:`ceasefire.intake.profiles.ACLED_SUB_EVENTS`): interceptions of a wave are
#: "Disrupted weapons use", damage without an observed attack "Looting/property destruction".
#: ACLED joins drone with air strikes and missiles with shelling, and has no sub-event for what
#: is seen but not fired (presence, weapons, movement: "Change to group/activity") nor for fire
#: whose origin is unknown (``explosion``: coded as shelling, as ACLED codes unattributed
#: impacts in Ukraine); those come back as the type ACLED's word maps to.
ACLED_EVENT_TYPES: Final[dict[str, tuple[str, str]]] = {
    "shelling": (_REMOTE, "Shelling/artillery/missile attack"),
    "small_arms": (_BATTLES, "Armed clash"),
    "explosion": (_REMOTE, "Shelling/artillery/missile attack"),
    "drone_strike": (_REMOTE, "Air/drone strike"),
    "missile_strike": (_REMOTE, "Shelling/artillery/missile attack"),
    "air_strike": (_REMOTE, "Air/drone strike"),
    "air_attack": (_STRATEGIC, "Disrupted weapons use"),
    "armed_presence": (_STRATEGIC, "Change to group/activity"),
    "weapon_sighting": (_STRATEGIC, "Change to group/activity"),
    "military_movement": (_STRATEGIC, "Change to group/activity"),
    "drone_overflight": (_STRATEGIC, "Other"),
    "mine": (_REMOTE, "Remote explosive/landmine/IED"),
    "infrastructure_damage": (_STRATEGIC, "Looting/property destruction"),
    "other": (_STRATEGIC, "Other"),
}

#: Party code -> ACLED actor name (what ``ingest --profile acled`` reads as the party); a code
#: not listed is written as it is.
ACLED_ACTORS: Final[dict[str, str]] = {
    "RU": "Military Forces of Russia (2000-)",
    "UA": "Military Forces of Ukraine (2019-)",
}
#: ACLED's actor type code of state forces (``inter1``/``inter2``), and the interaction codes
#: of state forces acting alone (10) and against state forces (11).
_STATE_FORCES: Final = 1

#: Our place precision -> ACLED geo_precision (1: the place itself, 2: near it or part of a
#: region, 3: only a larger region). A coarsened place is a grid cell's centre (~10 km): 2.
ACLED_GEO_PRECISION: Final = {"exact": 1, "near": 2, "coarsened": 2, "region": 3}


def _time_precision(start: datetime | None, end: datetime | None) -> int:
    """ACLED's time_precision: 1 the day is known, 2 the week, 3 the month."""
    if start is None or end is None:
        return 3
    span = end - start
    return 1 if span <= timedelta(days=1) else 2 if span <= timedelta(days=7) else 3


#: ACLED's actor for force whose side is not established: an attack on a place ACLED codes
#: this way until a perpetrator is known (read back by ``ingest --profile acled`` as no party).
UNIDENTIFIED: Final = "Unidentified Armed Group (Ukraine)"


def _actors(row: Mapping[str, Any], names: Mapping[str, str]) -> tuple[str, str]:
    """ACLED's actor1 (who is held to have done it: the violation's party, else the incident's
    assessed perpetrator; :data:`UNIDENTIFIED` when none is) and actor2 (the forces of the party
    on whose side of the line it happened, when another)."""
    doer = row.get("party") if "seq" in row else row.get("assessed_perpetrator")
    side = row.get("party") if "seq" not in row else None
    first = names.get(doer, doer) if doer else UNIDENTIFIED
    second = names.get(side, side) if side and side != doer else ""
    return str(first), str(second or "")


def _inter(actor: str) -> int:
    """ACLED's actor type: 1 state forces (a party's), 3 an unidentified armed group."""
    return 3 if actor == UNIDENTIFIED else _STATE_FORCES


def _acled_rows(
    kind: str, rows: Iterable[Mapping[str, Any]], actors: Mapping[str, str]
) -> Iterable[list[Any]]:
    for r in rows:
        start, end = _time(r.get("observed_from")), _time(r.get("observed_to"))
        etype, sub = ACLED_EVENT_TYPES.get(str(r.get("event_type")), (_STRATEGIC, "Other"))
        actor1, actor2 = _actors(r, actors)
        # ACLED's interaction: the two actor types, smaller first; 10, 30: one acting alone.
        a, b = _inter(actor1), _inter(actor2)
        interaction = f"{min(a, b)}{max(a, b)}" if actor2 else f"{a}0"
        notes = f"{r.get('event_type')} ({r.get('status')})"
        if kind == "violations":
            notes += f"; breaks {r.get('rule')}: {r.get('description')}"
        stamp = _time(r.get("judged_at") if kind == "violations" else r.get("updated_at"))
        yield [
            _row_id(kind, r),
            "" if start is None else start.date().isoformat(),
            "" if start is None else start.year,
            _time_precision(start, end),
            "Strategic developments" if etype == _STRATEGIC else "Political violence",
            etype,
            sub,
            actor1,
            "",
            _inter(actor1),
            actor2,
            "",
            _inter(actor2) if actor2 else "",
            int(interaction),
            "",
            804,  # ISO 3166-1 numeric of Ukraine
            "Europe",
            "Ukraine",
            r.get("oblast") or "",
            "",
            "",
            r.get("oblast") or "",
            r.get("lat"),
            r.get("lon"),
            ACLED_GEO_PRECISION.get(str(r.get("place_precision")), 3),
            r.get("sources") or "Ceasefire monitoring mission",
            "Other",
            notes,
            r.get("killed_best") or 0,
            f"status: {r.get('status')}",
            "" if stamp is None else int(stamp.timestamp()),
        ]


# UCDP GED ---------------------------------------------------------------------------------------

#: A UCDP GED-like table: GED's names for what we hold (codebook 24.1), then our own two.
UCDP_COLUMNS: Final = (
    "id", "year", "type_of_violence", "side_a", "side_b", "where_prec", "where_description",
    "adm_1", "latitude", "longitude", "country", "date_start", "date_end", "date_prec",
    "deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown", "best", "high", "low",
    "event_type", "status",
)  # fmt: skip

#: Our place precision -> GED where_prec (1 exact, 2 within ~25 km, 4 first-order region).
UCDP_WHERE_PREC: Final = {"exact": 1, "near": 2, "coarsened": 2, "region": 4}


def _ucdp_rows(
    kind: str, rows: Iterable[Mapping[str, Any]], actors: Mapping[str, str]
) -> Iterable[list[Any]]:
    for r in rows:
        start, end = _time(r.get("observed_from")), _time(r.get("observed_to"))
        side_a, side_b = _actors(r, actors)
        best = r.get("killed_best")
        civilians = r.get("civilians_killed_best")
        # Whose dead the killed were is not recorded beyond civilians: the rest are unknown.
        unknown = None if best is None else max(best - (civilians or 0), 0)
        yield [
            _row_id(kind, r),
            "" if start is None else start.year,
            1,  # state-based conflict
            side_a,
            side_b,
            UCDP_WHERE_PREC.get(str(r.get("place_precision")), 4),
            r.get("oblast") or "",
            r.get("oblast") or "",
            r.get("lat"),
            r.get("lon"),
            "Ukraine",
            "" if start is None else start.date().isoformat(),
            "" if end is None else end.date().isoformat(),
            _time_precision(start, end),
            0,
            0,
            civilians,
            unknown,
            best,
            r.get("killed_high"),
            r.get("killed_low"),
            r.get("event_type"),
            r.get("status"),
        ]


# HXL ------------------------------------------------------------------------------------------

#: Flat column -> HXL hashtag (https://hxlstandard.org/standard/1-1final/dictionary/), the
#: columns of an HXL export in this order; ``actor`` is ACLED's actor1.
HXL_COLUMNS: Final[dict[str, str]] = {
    "id": "#event+code",
    "date": "#date+occurred",
    "event_type": "#event+type",
    "status": "#status",
    "actor": "#group+name+first",
    "oblast": "#adm1+name",
    "location": "#loc+name",
    "lat": "#geo+lat",
    "lon": "#geo+lon",
    "place_precision": "#geo+precision",
    "killed": "#affected+killed",
    "injured": "#affected+injured",
    "rule": "#indicator+rule",
    "sources": "#meta+source",
    "notes": "#description",
}


def _hxl_rows(
    kind: str, rows: Iterable[Mapping[str, Any]], actors: Mapping[str, str]
) -> Iterable[list[Any]]:
    for r in rows:
        start = _time(r.get("observed_from"))
        cells = {
            "id": _row_id(kind, r),
            "date": "" if start is None else start.date().isoformat(),
            "actor": _actors(r, actors)[0],
            "location": r.get("oblast"),
            "killed": r.get("killed_best"),
            "injured": r.get("injured_best"),
            "notes": r.get("description"),
        }
        yield [cells[c] if c in cells else r.get(c) for c in HXL_COLUMNS]


#: Each codebook format: its header and its rows from the flat table's.
CODEBOOK_TABLES: Final[dict[str, tuple[Sequence[str], Callable[..., Iterable[list[Any]]]]]] = {
    "acled": (ACLED_COLUMNS, _acled_rows),
    "ucdp": (UCDP_COLUMNS, _ucdp_rows),
    "hxl": (tuple(HXL_COLUMNS), _hxl_rows),
}
