"""The report: one observation by one source, as it arrives in the interchange formats.

A :class:`Report` holds the interchange fields of DESIGN section 5 plus the optional facts of
section 2 (precision codes, civilian casualties, direction of fire, an observer-relative
location) and the harm of issue 18: infrastructure hit by category, people affected as a
:class:`~ceasefire.counts.Count`, the outage and what they are without (docs/harm.md). Fields
the model does not know are kept in :attr:`Report.extra` and written back, flat, by
:meth:`Report.to_dict`, so an export loses nothing a submitter sent. How the harm fields read
their values is :mod:`ceasefire.intake.harm_fields`.

The validators name each bad field and what was wrong with its value, worded by
:mod:`ceasefire.intake._problems`; :func:`ceasefire.intake.validation.validate_report` is the
way in that turns them into one :class:`~ceasefire.errors.Problem` each and holds the rule of
JSON and CSV value types. Times must carry a UTC offset and may not lie more than
:data:`FUTURE_SLACK` past *now*; *now* is injectable through the validation context
(``{"now": datetime}``) so tests do not depend on the clock.

Content identity (:meth:`Report.content_hash`) is the SHA-256 of a canonical JSON form of the
validated report: sorted keys, no whitespace, every submitter-provided field including the unknown
ones, absent and ``null`` treated alike, times normalised to UTC (``+02:00`` and ``Z`` spellings of
the same instant are the same report). Derived values (the point resolved from an observer
position: :mod:`ceasefire.intake.observer`; the point a place name gave:
:mod:`ceasefire.intake.places`) are not part of it, so a new pyproj release or gazetteer cannot
turn a resubmission into a conflict. Vocabulary values are folded onto their terms first
(``Shelling`` is ``shelling``), so they count as the term.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any, NamedTuple, NoReturn

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ceasefire.ids import id_problem
from ceasefire.intake._problems import cross_field_error, term
from ceasefire.intake._problems import field_error as _error
from ceasefire.intake.harm_fields import (
    PeopleCount,
    categories,
    legacy_categories,
    stored_categories,
)
from ceasefire.intake.observer import resolve_observer
from ceasefire.intake.places import (
    RESOLVED_FIELD,
    PlaceProblem,
    place_by_name,
    resolve_place,
    resolved_names,
    without_resolved,
)
from ceasefire.vocab import (
    EVENT_TYPES,
    INFRASTRUCTURE,
    PRECISIONS,
    SOURCE_KINDS,
    UTILITIES,
    WEAPON_CLASSES,
)

#: How far past *now* a reported time may lie before it is refused. Clocks of field devices drift;
#: ten minutes absorbs that without letting a mistyped date (2062 for 2026) through.
FUTURE_SLACK = timedelta(minutes=10)

#: The longest report id (the submitter's idempotency key), in characters; its characters are
#: the one safe set of :mod:`ceasefire.ids`.
MAX_ID = 200

#: The placement facts the mechanism computes for a report (:meth:`ceasefire.geo.engine.Placement.row`)
#: and writes beside it in exports. Reserved names: they are dropped from input, so that an
#: export read back (by us or by whoever we sent it to) is the same report as the original,
#: not a conflicting one, and a submitter cannot pass off a side or a zone as the mechanism's.
DERIVED_FIELDS = frozenset(
    ("party", "side", "distance_m", "line_distance_m", "zones", "oblast", "oblast_precision")
)
#: What the mechanism records of a report beside its fields: who entered it (the signed-in
#: user) and where it placed it, both kept by the store and logged in the report's leaf. Dropped from input as well, so a
#: submitter cannot name an enterer of its choosing.
RECORDED_FIELDS = frozenset(("entered_by", "placement"))
_RESERVED = DERIVED_FIELDS | RECORDED_FIELDS

#: The longest report id, as given and as stored (a party's with its scope).
MAX_ID_LENGTH = MAX_ID
_OBSERVER_FIELDS = (
    "observer_lon",
    "observer_lat",
    "bearing_deg",
    "distance_min_m",
    "distance_max_m",
)
_TIME_FIELDS = ("observed_from", "observed_to", "outage_from", "outage_to")
#: Times that may not lie in the future. ``outage_to`` may: a utility announces when it expects
#: supply back, and that end is what a report of an ongoing outage knows.
_PAST_FIELDS = ("observed_from", "observed_to", "outage_from")


class Location(NamedTuple):
    """Where a report puts its event: a point and the radius (m) it is known within."""

    lon: float
    lat: float
    uncertainty_m: float | None
    from_observer: bool


class Report(BaseModel):
    """One observation by one source (DESIGN sections 2 and 5).

    Build it with :func:`~ceasefire.intake.validation.validate_report` (which turns failures
    into :class:`~ceasefire.errors.InputError` and checks JSON types strictly unless told the
    values are text) or ``Report.model_validate(mapping, context={"now": now})``, which
    converts text as for CSV (pass ``strict=True`` for JSON input). Unknown keys of the mapping
    land in :attr:`extra`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    id: str = Field(min_length=1, max_length=MAX_ID)
    submitted_by: str = Field(min_length=1)
    source_kind: str
    source_name: str | None = None
    observed_from: datetime
    observed_to: datetime | None = None
    time_precision: str | None = None
    lon: float | None = None
    lat: float | None = None
    uncertainty_m: float | None = None
    place_precision: str | None = None
    #: A place by name instead of a point: a settlement or an oblast, kept as given
    #: (:mod:`ceasefire.intake.places`), and an oblast that tells settlements of a name apart.
    place: str | None = None
    place_oblast: str | None = None
    #: What the place name filled in (of lon, lat, uncertainty_m, place_precision): set by
    #: intake only, left out of the content hash and the signed bytes.
    place_resolved: tuple[str, ...] | None = None
    observer_lon: float | None = None
    observer_lat: float | None = None
    bearing_deg: float | None = None
    distance_min_m: float | None = None
    distance_max_m: float | None = None
    event_type: str
    weapon_class: str | None = None
    weapon_model: str | None = None
    calibre_mm: float | None = None
    count: int | None = None
    direction_of_fire_deg: float | None = None
    claimed_perpetrator: str | None = None
    killed: int | None = None
    injured: int | None = None
    civilians_killed: int | None = None
    civilians_injured: int | None = None
    #: What was hit, categories of :data:`ceasefire.vocab.INFRASTRUCTURE` (a list, one, or
    #: several separated by commas), kept once each in the vocabulary's order.
    infrastructure: tuple[str, ...] | None = None
    #: People affected (e.g. left without heating), a :class:`~ceasefire.counts.Count`: a whole
    #: number, ``{"min": a, "max": b}`` in JSON, ``a-b`` in CSV.
    people_affected: PeopleCount = None
    #: The outage the people affected live through: since when, until when (ongoing: absent).
    outage_from: datetime | None = None
    outage_to: datetime | None = None
    #: What they are without, of :data:`ceasefire.vocab.UTILITIES`.
    utilities: tuple[str, ...] | None = None
    notes: str | None = None
    #: The id of an earlier report of the same submitter that this one corrects: storing this
    #: one retracts that one (:mod:`ceasefire.store.retractions`).
    corrects: str | None = None
    #: The submitter's Ed25519 signature over the rest (see :mod:`ceasefire.intake.signing`).
    signature: str | None = Field(default=None, max_length=400)
    extra: dict[str, Any] = Field(default_factory=dict)

    # -- shaping -------------------------------------------------------------------------------

    @model_validator(mode="before")
    @classmethod
    def _collect_extra(cls, data: Any, info: ValidationInfo) -> Any:
        """Move unknown keys into ``extra`` (an ``extra`` mapping given as such is merged)."""
        if not isinstance(data, Mapping):
            return data
        known: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        given = data.get("extra")
        if isinstance(given, Mapping):
            extra.update(given)
        for key, value in data.items():
            if (key == "extra" and isinstance(value, Mapping)) or key in _RESERVED:
                continue
            if key in cls.model_fields:
                known[key] = value
            else:
                extra[str(key)] = value
        known.setdefault("extra", extra)
        context = info.context if isinstance(info.context, Mapping) else {}
        if not context.get("stored"):
            _place_afresh(known)
        legacy = known.get("infrastructure")
        if context.get("stored") and isinstance(legacy, str) and stored_categories(legacy) is None:
            # A body stored when infrastructure was free text ("power substation"): read as
            # the categories its words name, the text kept as it was, so the body, its content
            # hash and its ledger leaf stay what they were (to_dict writes extra last).
            known["infrastructure"] = legacy_categories(legacy)
            extra["infrastructure"] = legacy
        return known

    # -- single fields -------------------------------------------------------------------------

    @field_validator("id", "corrects")
    @classmethod
    def _safe_id(cls, value: str | None) -> str | None:
        if value is None:
            return None
        reason = id_problem(value, MAX_ID)
        if reason is not None:
            raise _error(reason)
        return value

    @field_validator("submitted_by")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise _error("must not be blank")
        return value

    @field_validator(
        "source_kind", "event_type", "weapon_class", "time_precision", "place_precision"
    )
    @classmethod
    def _in_vocabulary(cls, value: str | None, info: ValidationInfo) -> str | None:
        vocab = {
            "source_kind": SOURCE_KINDS,
            "event_type": EVENT_TYPES,
            "weapon_class": WEAPON_CLASSES,
            "time_precision": PRECISIONS,
            "place_precision": PRECISIONS,
        }[info.field_name or ""]
        return None if value is None else term(value, vocab)

    @field_validator("infrastructure", "utilities", mode="before")
    @classmethod
    def _categories_of(cls, value: Any, info: ValidationInfo) -> tuple[str, ...] | None:
        return categories(
            value, INFRASTRUCTURE if info.field_name == "infrastructure" else UTILITIES
        )

    @field_validator(*_TIME_FIELDS, mode="before")
    @classmethod
    def _iso_with_offset(cls, value: Any) -> Any:
        # Parsed here rather than by pydantic, which would also take bare numbers as Unix times.
        if value is None:
            return None
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.strip())
            except ValueError:
                raise _error(
                    "must be an ISO 8601 time with a UTC offset (e.g. 2026-03-01T14:05:00+02:00), "
                    f"got {value!r}"
                ) from None
        if not isinstance(value, datetime):
            raise _error(f"must be an ISO 8601 time string, got {value!r}")
        if value.tzinfo is None or value.utcoffset() is None:
            example = value.isoformat()
            raise _error(f"has no UTC offset; write e.g. {example}+02:00 or {example}Z")
        return value

    @field_validator("lat", "observer_lat")
    @classmethod
    def _latitude(cls, value: float | None) -> float | None:
        return _within(value, -90.0, 90.0)

    @field_validator("lon", "observer_lon")
    @classmethod
    def _longitude(cls, value: float | None) -> float | None:
        return _within(value, -180.0, 180.0)

    @field_validator("bearing_deg", "direction_of_fire_deg")
    @classmethod
    def _degrees(cls, value: float | None) -> float | None:
        return _within(value, 0.0, 360.0)

    @field_validator(
        "uncertainty_m",
        "distance_min_m",
        "distance_max_m",
        "count",
        "killed",
        "injured",
        "civilians_killed",
        "civilians_injured",
    )
    @classmethod
    def _not_negative(cls, value: float | None) -> float | None:
        if value is not None and value < 0:
            raise _error(f"must not be negative, got {value}")
        return value

    @field_validator("calibre_mm")
    @classmethod
    def _positive(cls, value: float | None) -> float | None:
        if value is not None and value <= 0:
            raise _error(f"must be positive, got {value}")
        return value

    @field_validator("extra")
    @classmethod
    def _extra_is_json(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key, item in value.items():
            _check_json_value(key, item)
        return value

    # -- across fields -------------------------------------------------------------------------

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Report:
        if self.corrects is not None and self.corrects == self.id:
            _fail("corrects", "names the report itself; a correction names the report it replaces")
        if self.observed_to is not None and self.observed_to < self.observed_from:
            _fail(
                "observed_to",
                f"is before observed_from ({self.observed_to.isoformat()} < "
                f"{self.observed_from.isoformat()})",
            )
        if self.outage_to is not None:
            if self.outage_from is None:
                _fail("outage_from", "is required when outage_to is given")
            elif self.outage_to < self.outage_from:
                _fail(
                    "outage_to",
                    f"is before outage_from ({self.outage_to.isoformat()} < "
                    f"{self.outage_from.isoformat()})",
                )
        context = info.context if isinstance(info.context, Mapping) else {}
        if context.get("check_future", True):
            now = context.get("now") or datetime.now(UTC)
            for name in _PAST_FIELDS:
                value = getattr(self, name)
                if value is not None and value > now + FUTURE_SLACK:
                    _fail(name, f"is in the future ({value.isoformat()} > now {now.isoformat()})")
        self._check_place()
        return self

    def _check_place(self) -> None:
        if (self.lon is None) != (self.lat is None):
            missing = "lat" if self.lat is None else "lon"
            _fail(missing, f"is required when {'lon' if missing == 'lat' else 'lat'} is given")
        given = [name for name in _OBSERVER_FIELDS if getattr(self, name) is not None]
        if given and len(given) < len(_OBSERVER_FIELDS):
            missing = next(name for name in _OBSERVER_FIELDS if getattr(self, name) is None)
            _fail(
                missing, f"is required for an observer-relative report (given: {', '.join(given)})"
            )
        if not given and self.lon is None:
            if self.place is not None or self.place_oblast is not None:
                try:
                    resolve_place(self.place, self.place_oblast)
                except PlaceProblem as exc:  # placed before, unless the name places nothing
                    _fail(exc.problem.field, exc.problem.reason)
            _fail("lon", "a place is required: lon and lat, a place name (place), or "
                  "observer_lon, observer_lat, bearing_deg, distance_min_m and distance_max_m")  # fmt: skip
        if given and self.distance_min_m > self.distance_max_m:  # type: ignore[operator]
            _fail(
                "distance_max_m",
                f"is smaller than distance_min_m ({self.distance_max_m} < {self.distance_min_m})",
            )

    # -- reading -------------------------------------------------------------------------------

    def location(self) -> Location:
        """The point this report places its event at.

        ``lon``/``lat`` when given (the submitter's point wins); otherwise the point resolved from
        the observer position, bearing and distance band (:func:`resolve_observer`).
        """
        if self.lon is not None and self.lat is not None:
            return Location(self.lon, self.lat, self.uncertainty_m, False)
        lon, lat, radius = resolve_observer(
            self.observer_lon,  # type: ignore[arg-type]  # presence checked by the validator
            self.observer_lat,  # type: ignore[arg-type]
            self.bearing_deg,  # type: ignore[arg-type]
            self.distance_min_m,  # type: ignore[arg-type]
            self.distance_max_m,  # type: ignore[arg-type]
        )
        # A given uncertainty_m is then the observer's own position error; the errors add up.
        return Location(lon, lat, radius + (self.uncertainty_m or 0.0), True)

    def to_dict(self) -> dict[str, Any]:
        """The report as an interchange mapping: given fields only, unknown fields back at top level."""
        data = self.model_dump(mode="json", exclude_none=True, exclude={"extra"})
        data.update(self.extra)
        return data

    def canonical_json(self) -> str:
        """The canonical JSON form :meth:`content_hash` is taken of (sorted keys, times in UTC).

        Unknown fields count by their text (:func:`field_text`): they have no declared type, and
        a CSV file carries only text, so ``4`` from JSON and ``"4"`` from CSV are one report.
        """
        data = without_resolved(self.to_dict())  # a place name's point is not submitted
        for key, value in self.extra.items():
            if value is not None:
                data[key] = field_text(value)
        if self._lonlat_is_the_observer_point():
            del data["lon"], data["lat"]  # our own export wrote them: derived, not submitted
        for name in _TIME_FIELDS:
            value = getattr(self, name)
            if value is not None:
                data[name] = value.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return json.dumps(
            data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )

    def _lonlat_is_the_observer_point(self) -> bool:
        if self.lon is None or self.lat is None:
            return False
        if any(getattr(self, name) is None for name in _OBSERVER_FIELDS):
            return False
        lon, lat, _ = resolve_observer(
            self.observer_lon,  # type: ignore[arg-type]  # all present, checked just above
            self.observer_lat,  # type: ignore[arg-type]
            self.bearing_deg,  # type: ignore[arg-type]
            self.distance_min_m,  # type: ignore[arg-type]
            self.distance_max_m,  # type: ignore[arg-type]
        )
        return abs(lon - self.lon) < 1e-7 and abs(lat - self.lat) < 1e-7  # ~1 cm

    def replaced(self, **update: Any) -> Report:
        """A copy with ``update`` applied (values as validated, not checked again).

        Unlike a bare ``model_copy`` it does not carry over the cached content hash, which
        would name the old content.
        """
        copy = self.model_copy(update=update)
        copy.__dict__.pop("_digest", None)
        return copy

    def content_hash(self) -> str:
        """SHA-256 (hex) of :meth:`canonical_json`: equal for the same submitted content."""
        return self._digest

    @cached_property
    def _digest(self) -> str:
        # Frozen model: computed once, though intake and store both ask (30 us a report).
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()


def field_text(value: Any) -> str:
    """A field's value as CSV text: strings as they are, lists and objects as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _within(value: float | None, low: float, high: float) -> float | None:
    if value is not None and not low <= value <= high:
        raise _error(f"must be between {low:g} and {high:g}, got {value}")
    return value


def _place_afresh(known: dict[str, Any]) -> None:
    """Place a report given by name (:func:`ceasefire.intake.places.place_by_name`), first
    dropping what an earlier placing filled in (an export read back, a stored body resent)."""
    marker = known.pop(RESOLVED_FIELD, None)
    if marker is not None:
        try:
            names = resolved_names(marker)
        except PlaceProblem as exc:
            _fail(exc.problem.field, exc.problem.reason)
        for name in names:
            known.pop(name, None)
    place_by_name(known, _OBSERVER_FIELDS)


def _fail(field: str, reason: str) -> NoReturn:
    raise cross_field_error(field, reason)


def _check_json_value(field: str, value: Any) -> None:
    """Unknown fields must be plain JSON (finite numbers) so they hash and export losslessly."""
    if isinstance(value, float) and not math.isfinite(value):
        raise cross_field_error(field, f"must be a finite number, got {value}")
    if isinstance(value, Mapping):
        for key, item in value.items():
            _check_json_value(f"{field}.{key}", item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_json_value(f"{field}[{index}]", item)
    elif not isinstance(value, str | int | float | bool | type(None)):
        raise cross_field_error(field, f"must be a JSON value, got {type(value).__name__}")
