"""The tables as queries see them, and how values cross into columns.

The schema itself is made by the migrations (``store/migrations``), never by ``create_all``; these
:class:`~sqlalchemy.Table` shapes are what queries are written against. A test holds them equal
to what the migrations create, on both backends.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    false,
)
from sqlalchemy.types import TypeEngine

from ceasefire.errors import InputError, Problem

if TYPE_CHECKING:
    pass

CHUNK = 500  # ids per IN (...) lookup; far below SQLite's 32766 host-parameter limit


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend.

    SQLite has no time type: values are stored as naive UTC text in SQLAlchemy's own SQLite
    layout (``2026-03-01 08:00:00.000000``, which sorts in time order), formatted here directly
    because the stacked generic conversion cost 2 s per 100k reports. PostgreSQL gets
    ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(String(26) if dialect.name == "sqlite" else self.impl)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return sqlite_time(value)
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def sqlite_time(value: datetime) -> str:
    """An aware datetime as SQLite text: naive UTC, SQLAlchemy's layout (see UTCDateTime)."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


# Table shapes for queries. The schema itself is made by the migrations, never by create_all.
metadata = MetaData()
reports_table = Table(
    "reports",
    metadata,
    Column("seq", Integer, primary_key=True),
    Column("report_id", String(200), nullable=False, unique=True),
    Column("content_hash", String(64), nullable=False),
    Column("submitted_by", Text, nullable=False),
    Column("source_kind", String(32), nullable=False),
    Column("event_type", String(32), nullable=False),
    Column("weapon_class", String(32)),
    Column("observed_from", UTCDateTime, nullable=False),
    Column("observed_to", UTCDateTime, nullable=False),
    Column("lon", Float, nullable=False),
    Column("lat", Float, nullable=False),
    Column("uncertainty_m", Float),
    Column("body", Text, nullable=False),
    Column("ingested_at", UTCDateTime, nullable=False),
    Column("party", String(64)),
    Column("side", String(64)),
    Column("distance_m", Float),
    Column("zones", Text),
    Column("oblast", Text),
    Column("placement", Text),
    # Who entered the report (migration 0006): the signed-in user, logged in its leaf.
    Column("entered_by", Text),
    Column("entered_role", String(16)),
    Column("entered_party", String(64)),
    # Whether the placement is part of the report's leaf (migration 0011; false before).
    Column("placement_logged", Boolean, nullable=False, server_default=false()),
)
rtree_table = Table(
    "reports_rtree",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("min_lon", Float),
    Column("max_lon", Float),
    Column("min_lat", Float),
    Column("max_lat", Float),
)

# Incidents and what hangs off them (migration 0002). Queries live in ceasefire.store.incidents.
incidents_table = Table(
    "incidents",
    metadata,
    Column("seq", Integer, primary_key=True),
    Column("incident_id", String(32), nullable=False, unique=True),
    Column("event_type", String(32), nullable=False),
    Column("group_name", String(32), nullable=False),
    Column("observed_from", UTCDateTime, nullable=False),
    Column("observed_to", UTCDateTime, nullable=False),
    Column("lon", Float, nullable=False),
    Column("lat", Float, nullable=False),
    Column("uncertainty_m", Float),
    Column("place_precision", String(32)),
    Column("n_reports", Integer, nullable=False),
    Column("n_sources", Integer, nullable=False),
    Column("party", String(64)),
    Column("side", String(64)),
    Column("distance_m", Float),
    Column("zones", Text),
    Column("oblast", Text),
    Column("status", String(16), nullable=False),
    Column("assessed_perpetrator", String(64)),
    Column("assessed_basis", String(32)),
    Column("body", Text, nullable=False),
    Column("merged_into", String(32)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
incident_reports_table = Table(
    "incident_reports",
    metadata,
    Column("incident_id", String(32), nullable=False),
    Column("report_id", String(200), primary_key=True),
)
status_changes_table = Table(
    "status_changes",
    metadata,
    Column("seq", Integer, primary_key=True),
    Column("incident_id", String(32), nullable=False),
    Column("from_status", String(16)),
    Column("to_status", String(16), nullable=False),
    Column("actor", Text, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("basis", Text, nullable=False),
    Column("assessed_perpetrator", String(64)),
    Column("perpetrator_basis", String(32)),
    Column("automatic", Boolean, nullable=False),
)
violations_table = Table(
    "violations",
    metadata,
    Column("seq", Integer, primary_key=True),
    Column("incident_id", String(32), nullable=False),
    Column("rule", String(64), nullable=False),
    Column("agreement_id", String(200), nullable=False),
    Column("agreement_version", Integer, nullable=False),
    Column("party", String(64)),
    Column("evidence", Text, nullable=False),
    Column("facts", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("judged_at", UTCDateTime, nullable=False),
    Column("superseded_at", UTCDateTime),
)
agreements_table = Table(
    "agreements",
    metadata,
    Column("agreement_id", String(200), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("effective_from", UTCDateTime, nullable=False),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("registered_at", UTCDateTime, nullable=False),
)

# Retractions of reports (migration 0010); written by ceasefire.store.retractions.
retractions_table = Table(
    "report_retractions",
    metadata,
    Column("report_id", String(200), primary_key=True),
    Column("retracted_at", UTCDateTime, nullable=False),
    Column("by_name", Text, nullable=False),
    Column("by_role", String(16), nullable=False),
    Column("by_party", String(64)),
    Column("reason", Text, nullable=False),
    Column("corrected_by", String(200)),
)

# Strike tallies (migration 0012); written by ceasefire.store.tallies.
tallies_table = Table(
    "tallies",
    metadata,
    Column("issuer", String(64), primary_key=True),
    Column("tally_id", String(200), primary_key=True),
    Column("attacker", String(64), nullable=False),
    Column("scope", String(16), nullable=False),
    Column("window_from", UTCDateTime, nullable=False),
    Column("window_to", UTCDateTime, nullable=False),
    Column("issued_at", UTCDateTime),
    Column("supersedes", String(200)),
    Column("body", Text, nullable=False),
    Column("entered_at", UTCDateTime, nullable=False),
    Column("entered_by", Text, nullable=False),
    Column("entered_role", String(16), nullable=False),
    Column("entered_party", String(64)),
)


# What the mission could see (migration 0013); written by ceasefire.store.coverage. Each row
# keeps its record as given (``body``) and the columns the window queries filter on.
def _entered_columns() -> list[Column[Any]]:
    return [
        Column("entered_at", UTCDateTime, nullable=False),
        Column("entered_by", Text, nullable=False),
        Column("entered_role", String(16), nullable=False),
        Column("entered_party", String(64)),
    ]


sensor_status_table = Table(
    "sensor_status",
    metadata,
    Column("status_id", String(200), primary_key=True),
    Column("sensor_id", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("start_at", UTCDateTime, nullable=False),
    Column("end_at", UTCDateTime, nullable=False),
    Column("body", Text, nullable=False),
    *_entered_columns(),
)
patrols_table = Table(
    "patrols",
    metadata,
    Column("patrol_id", String(200), primary_key=True),
    Column("mode", String(16), primary_key=True),
    Column("start_at", UTCDateTime, nullable=False),
    Column("end_at", UTCDateTime, nullable=False),
    Column("body", Text, nullable=False),
    *_entered_columns(),
)
restrictions_table = Table(
    "restrictions",
    metadata,
    Column("restriction_id", String(200), primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("party", String(64), nullable=False),
    Column("body", Text, nullable=False),
    *_entered_columns(),
)

BBox = tuple[float, float, float, float]
"""``(min_lon, min_lat, max_lon, max_lat)``, the GeoJSON ``bbox`` order (RFC 7946 section 5)."""

Strs = str | Sequence[str] | None


#: Placement facts with a column of their own (for filtering); the whole mapping is kept as JSON.
PLACEMENT_COLUMNS = ("party", "side", "distance_m", "zones", "oblast")


def placement_columns(placement: Mapping[str, Any] | None) -> dict[str, Any]:
    """Column values for a placement mapping (the geo step's facts); all None for no placement.

    The store does not own the shape of placements: known keys fill their columns when present,
    and the mapping as a whole is stored as JSON and given back by :meth:`Store.get_placement`.
    """
    if placement is None:
        return dict.fromkeys((*PLACEMENT_COLUMNS, "placement"))
    zones = placement.get("zones")
    side = placement.get("side")
    return {
        "party": placement.get("party"),
        "side": None if side is None else str(side),
        "distance_m": placement.get("distance_m"),
        "zones": None if zones is None else zones_json(zones),
        "oblast": placement.get("oblast"),
        "placement": PLACEMENT_JSON(placement if type(placement) is dict else dict(placement)),
    }


# Reused encoders: json.dumps with options builds a JSONEncoder per call. The output is the same.
BODY_JSON = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode
PLACEMENT_JSON = json.JSONEncoder(ensure_ascii=False).encode
ZONES_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


def zones_json(zones: Any) -> str:
    # A batch has a handful of distinct zone lists: 100k placements, 7 lists (simulated night).
    if isinstance(zones, list):
        try:
            return zone_list_json(tuple(zones))
        except TypeError:  # unhashable items
            pass
    return ZONES_JSON(zones)


@lru_cache(maxsize=1024)
def zone_list_json(zones: tuple[Any, ...]) -> str:
    return ZONES_JSON(list(zones))


def refuse_nul(rows: Iterable[dict[str, Any]]) -> None:
    """Refuse report rows whose id or submitter holds U+0000: PostgreSQL text cannot (SQLite's
    can), and a store must take the same reports on either backend. The JSON body escapes it."""
    for row in rows:
        for column, name in (("report_id", "id"), ("submitted_by", "submitted_by")):
            if "\x00" in row[column]:
                raise InputError(
                    Problem(
                        f"report {row['report_id']!r}",
                        name,
                        "must not contain the NUL character (U+0000)",
                    )
                )
