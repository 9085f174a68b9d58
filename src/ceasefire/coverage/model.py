"""What the mission could see, as it arrives: sensor status, patrols and restrictions of movement.

Three intake kinds (issue 20, section 2), each a record with the submitter's own ``id``:

- ``sensor_status``: one sensor (its ``id``, ``kind``, position and footprint: a ``ring`` of
  ``range_m`` around it or a ``sector`` from ``bearing_from`` clockwise to ``bearing_to``, in
  degrees from true north) and its ``status`` (``up``, ``down``, ``jammed``) over ``[start, end)``;
- ``patrol``: a ``planned`` route or an ``actual`` track: points of lon/lat (each with the time
  ``at`` it was there, required for a track), the ``width_m`` the patrol observes either side,
  and ``[start, end)``;
- ``restriction``: the mission's freedom of movement restricted at a time and place, by a party
  (``by``), for the ``reason`` it stated, on a ``patrol`` if any.

Validation follows the report's (:mod:`ceasefire.intake.report`): JSON values must already have
their type (``"range_m": "500"`` is refused, not converted), times carry a UTC offset, unknown
fields are refused, and each problem names its field (dotted: ``sensor.footprint.range_m``,
``route.2.at``) and the reason. Pure: no store, no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from ceasefire.errors import InputError, Problem
from ceasefire.ids import id_problem
from ceasefire.intake._problems import field_error, problems_from

#: The intake kinds of coverage, as ledger leaves and the ``kind`` of a JSON Lines record.
KINDS: Final = ("sensor_status", "patrol", "restriction")
SENSOR_KINDS: Final = ("camera", "acoustic", "seismic", "radar", "uav", "other")
STATUSES: Final = ("up", "down", "jammed")
MODES: Final = ("planned", "actual")
MAX_ID: Final = 200
#: The longest footprint or swath half-width accepted (m): a long-range radar sees ~100 km;
#: beyond that a number is a unit mistake (km typed as m twice over), not a sensor.
MAX_RANGE_M: Final = 200_000.0
MAX_TEXT: Final = 2_000
_CROSS: Final = "ceasefire_cross"


def _cross(field: str, reason: str) -> PydanticCustomError:
    """A problem found across fields, named by the field it belongs to."""
    return PydanticCustomError(_CROSS, "{reason}", {"field": field, "reason": reason})


def _time(value: Any) -> datetime:
    # Parsed here rather than by pydantic, which would also take bare numbers as Unix times.
    if not isinstance(value, str):
        raise field_error(f"must be an ISO 8601 time string, got {value!r}")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise field_error(
            f"must be an ISO 8601 time with a UTC offset (e.g. 2026-11-20T06:00:00Z), got {value!r}"
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise field_error(f"has no UTC offset; write e.g. {moment.isoformat()}Z")
    return moment.astimezone(UTC)


def _utc(moment: datetime) -> str:
    """UTC with ``Z``; microseconds only when there are some."""
    text = "%Y-%m-%dT%H:%M:%S.%fZ" if moment.microsecond else "%Y-%m-%dT%H:%M:%SZ"
    return moment.astimezone(UTC).strftime(text)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class _Point(_Strict):
    """A place in lon/lat (degrees, WGS 84)."""

    lon: float
    lat: float

    @field_validator("lon")
    @classmethod
    def _lon_ok(cls, value: float) -> float:
        return _lon(value)

    @field_validator("lat")
    @classmethod
    def _lat_ok(cls, value: float) -> float:
        return _lat(value)


class _Record(_Strict):
    id: str

    @field_validator("id")
    @classmethod
    def _safe_id(cls, value: str) -> str:
        return _safe_id(value)


def _safe_id(value: str) -> str:
    problem = id_problem(value, MAX_ID)
    if problem is not None:
        raise field_error(problem)
    return value


def _lon(value: float) -> float:
    if not -180.0 <= value <= 180.0:
        raise field_error(f"must be between -180 and 180, got {value}")
    return value


def _lat(value: float) -> float:
    if not -90.0 <= value <= 90.0:
        raise field_error(f"must be between -90 and 90, got {value}")
    return value


def _text(value: str | None) -> str | None:
    if value is not None and len(value) > MAX_TEXT:
        raise field_error(f"must be at most {MAX_TEXT} characters, got {len(value)}")
    return value


class Footprint(_Strict):
    """What a sensor sees: a ``ring`` of ``range_m`` around it, or a ``sector`` from
    ``bearing_from`` clockwise to ``bearing_to`` (degrees from true north; 350 to 20 wraps
    through north) out to ``range_m``."""

    shape: Literal["ring", "sector"]
    range_m: float
    bearing_from: float | None = None
    bearing_to: float | None = None

    @field_validator("range_m")
    @classmethod
    def _range(cls, value: float) -> float:
        if not 0.0 < value <= MAX_RANGE_M:
            raise field_error(f"must be more than 0 and at most {MAX_RANGE_M:g} m, got {value}")
        return value

    @field_validator("bearing_from", "bearing_to")
    @classmethod
    def _bearing(cls, value: float | None) -> float | None:
        if value is not None and not 0.0 <= value <= 360.0:
            raise field_error(f"must be between 0 and 360 degrees, got {value}")
        return value

    @model_validator(mode="after")
    def _bearings_by_shape(self) -> Footprint:
        given = [n for n in ("bearing_from", "bearing_to") if getattr(self, n) is not None]
        if self.shape == "sector":
            for name in ("bearing_from", "bearing_to"):
                if getattr(self, name) is None:
                    raise _cross(name, "is required for a sector")
            if (self.bearing_from or 0.0) % 360.0 == (self.bearing_to or 0.0) % 360.0:
                raise _cross(
                    "bearing_to", "must differ from bearing_from (a full circle is a ring)"
                )
        elif given:
            raise _cross(given[0], "is for a sector only; a ring has none")
        return self

    @property
    def width_deg(self) -> float:
        """The sector's angle, clockwise from ``bearing_from`` (360 for a ring)."""
        if self.shape == "ring":
            return 360.0
        assert self.bearing_from is not None and self.bearing_to is not None
        return (self.bearing_to - self.bearing_from) % 360.0


class Sensor(_Point):
    id: str
    kind: Literal["camera", "acoustic", "seismic", "radar", "uav", "other"]
    footprint: Footprint

    @field_validator("id")
    @classmethod
    def _safe_id(cls, value: str) -> str:
        return _safe_id(value)


class _Window(_Record):
    start: datetime
    end: datetime

    @field_validator("start", "end", mode="before")
    @classmethod
    def _aware(cls, value: Any) -> datetime:
        return _time(value)

    @model_validator(mode="after")
    def _ordered(self) -> _Window:
        if self.end <= self.start:
            raise _cross("end", f"must be after start ({_utc(self.start)}), got {_utc(self.end)}")
        return self


class SensorStatus(_Window):
    """A sensor's status over ``[start, end)``; only ``up`` counts as seeing."""

    sensor: Sensor
    status: Literal["up", "down", "jammed"]
    note: str | None = None

    @field_validator("note")
    @classmethod
    def _note_ok(cls, value: str | None) -> str | None:
        return _text(value)


class RoutePoint(_Point):
    at: datetime | None = None

    @field_validator("at", mode="before")
    @classmethod
    def _aware(cls, value: Any) -> datetime | None:
        return None if value is None else _time(value)


class Patrol(_Window):
    """A patrol's ``planned`` route or ``actual`` track; a track's points are timed."""

    mode: Literal["planned", "actual"]
    route: list[RoutePoint]
    width_m: float
    note: str | None = None

    @field_validator("note")
    @classmethod
    def _note_ok(cls, value: str | None) -> str | None:
        return _text(value)

    @field_validator("width_m")
    @classmethod
    def _width(cls, value: float) -> float:
        if not 0.0 < value <= MAX_RANGE_M:
            raise field_error(f"must be more than 0 and at most {MAX_RANGE_M:g} m, got {value}")
        return value

    @model_validator(mode="after")
    def _timed_track(self) -> Patrol:
        if not self.route:
            raise _cross("route", "must hold at least one point")
        if self.mode == "planned":
            return self
        before: datetime | None = None
        for i, p in enumerate(self.route):
            if p.at is None:
                raise _cross(f"route.{i}.at", "is required on every point of an actual track")
            if not self.start <= p.at <= self.end:
                raise _cross(
                    f"route.{i}.at",
                    f"must lie within the patrol's start and end "
                    f"({_utc(self.start)} to {_utc(self.end)}), got {_utc(p.at)}",
                )
            if before is not None and p.at < before:
                raise _cross(
                    f"route.{i}.at", f"must not be before the point before ({_utc(before)})"
                )
            before = p.at
        return self


class Restriction(_Record, _Point):
    """The mission's freedom of movement restricted at ``at``, at ``lon``/``lat``, by ``by``."""

    at: datetime
    by: str
    reason: str
    place: str | None = None
    patrol: str | None = None
    note: str | None = None

    @field_validator("place", "note")
    @classmethod
    def _texts(cls, value: str | None) -> str | None:
        return _text(value)

    @field_validator("at", mode="before")
    @classmethod
    def _aware(cls, value: Any) -> datetime:
        return _time(value)

    @field_validator("by", "reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise field_error("must not be blank")
        return _text(value) or value

    @field_validator("patrol")
    @classmethod
    def _patrol_id(cls, value: str | None) -> str | None:
        return None if value is None else _safe_id(value)


CoverageRecord = SensorStatus | Patrol | Restriction
_MODELS: Final[Mapping[str, type[SensorStatus] | type[Patrol] | type[Restriction]]] = {
    "sensor_status": SensorStatus,
    "patrol": Patrol,
    "restriction": Restriction,
}


def kind_of(record: CoverageRecord) -> str:
    """The intake kind of a record (``sensor_status``, ``patrol`` or ``restriction``)."""
    return {SensorStatus: "sensor_status", Patrol: "patrol", Restriction: "restriction"}[
        type(record)
    ]


def record_key(record: CoverageRecord) -> str:
    """The record's id within its kind: its ``id``; a patrol's plan and track share the
    patrol's id, so a patrol's is ``id/mode``."""
    return f"{record.id}/{record.mode}" if isinstance(record, Patrol) else record.id


def to_dict(record: CoverageRecord) -> dict[str, Any]:
    """The record in its JSON form (what :func:`read_record` reads back to an equal record):
    times in UTC with ``Z``, absent optional fields left out."""
    out: dict[str, Any] = record.model_dump(mode="python", exclude_none=True)
    text: dict[str, Any] = json.loads(json.dumps(out, default=_utc_default))
    return text


def _utc_default(value: Any) -> str:
    if isinstance(value, datetime):
        return _utc(value)
    raise TypeError(type(value).__name__)


def read_record(kind: Any, data: Any, where: str = "record") -> CoverageRecord:
    """One record of ``kind`` from its JSON value; :class:`InputError` naming each bad field."""
    model = _MODELS.get(kind) if isinstance(kind, str) else None
    if model is None:
        raise InputError(
            Problem(where, "kind", f"must be one of: {', '.join(KINDS)}, got {kind!r}")
        )
    if not isinstance(data, Mapping):
        raise InputError(Problem(where, "", f"a {kind} record must be a JSON object"))
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        raise InputError(_problems(exc, where, model)) from None


def read_line(data: Any, where: str = "record") -> CoverageRecord:
    """One JSON Lines record or API body: an object whose ``kind`` names its intake kind."""
    if not isinstance(data, Mapping):
        raise InputError(Problem(where, "", "must be a JSON object with a 'kind'"))
    rest = dict(data)
    kind = rest.pop("kind", None)
    if kind is None:
        raise InputError(Problem(where, "kind", f"is required: one of {', '.join(KINDS)}"))
    return read_record(kind, rest, where)


def read_many(items: Iterable[Any], where: str | Sequence[str] = "record") -> list[CoverageRecord]:
    """Records of a batch, all or nothing: every bad record's problems, each named ``where[n]``
    (``where`` a text), or by its own name (``where`` one name per item: ``file:line``)."""
    out: list[CoverageRecord] = []
    problems: list[Problem] = []
    for n, item in enumerate(items):
        try:
            out.append(read_line(item, f"{where}[{n}]" if isinstance(where, str) else where[n]))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    return out


def check_parties(records: Iterable[CoverageRecord], parties: Iterable[str]) -> None:
    """A restriction's ``by`` must be a party of the agreement (when the parties are known)."""
    known = sorted(parties)
    if not known:
        return
    problems = [
        Problem(
            f"restriction {r.id!r}",
            "by",
            f"must be a party of the agreement ({', '.join(known)}), got {r.by!r}",
        )
        for r in records
        if isinstance(r, Restriction) and r.by not in known
    ]
    if problems:
        raise InputError(problems)


def _problems(exc: ValidationError, where: str, model: type[BaseModel]) -> list[Problem]:
    out = []
    for problem, err in zip(problems_from(exc, where), exc.errors(include_url=False), strict=True):
        if err["type"] == _CROSS:
            loc = [str(p) for p in err["loc"]]
            field = ".".join([*loc, str((err.get("ctx") or {})["field"])])
            out.append(Problem(where, field, str(err["msg"])))
        elif err["type"] == "extra_forbidden":
            name = ".".join(str(p) for p in err["loc"])
            out.append(Problem(where, name, "unknown field"))
        elif err["type"] == "model_type" or err["type"] == "model_attributes_type":
            out.append(Problem(where, problem.field, "must be a JSON object"))
        elif err["type"] in ("tuple_type", "list_type"):
            out.append(Problem(where, problem.field, "must be a JSON array"))
        else:
            out.append(problem)
    return out
