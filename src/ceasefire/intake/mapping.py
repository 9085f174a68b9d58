"""Column mappings: a spreadsheet's own columns read as the report's fields.

A mapping is data (YAML or JSON, ``ceasefire ingest --mapping FILE``; the named profiles of
:mod:`ceasefire.intake.profiles` are the same data):

.. code-block:: yaml

    columns:            # source column -> report field (or a list of fields)
      Lat: lat
      Seen: [event_type, seen_as_written]   # one column into two fields
    constants:          # fields every row gets
      source_kind: patrol
      submitted_by: mission
    values:             # per field: the source's words -> the report's value
      event_type:
        shelling heard: shelling
        "Military Forces of Russia*": RU    # a trailing * matches the start
        "*": other                          # any other value (default: kept as written)
      claimed_perpetrator:
        "*": null                           # null: the field is left out
    time:               # date (and time) columns -> observed_from (and observed_to)
      date: Date
      time: Time        # optional; without it the window is the whole day
      formats: ["%d.%m.%Y", "%Y-%m-%d"]
      timezone: Europe/Kyiv
    id:                 # when the file has no id column: a digest of the row's cells
      prefix: patrol
      from: [Patrol, Date, Time]            # default: every cell
    unmapped: ""        # prefix for columns the mapping does not name (kept, not dropped)
    optional: [Time]    # columns a file may lack (every other column named must be there)

Value maps match case-folded, trimmed text. A mapping only renames and translates: the row it
makes goes through the one validation path (:func:`ceasefire.intake.validation.validate_report`)
like any CSV row, so its problems are the usual ones, named by row and field.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from ceasefire.errors import InputError, Problem

#: The value-map key that stands for any value the map does not name.
ANY = "*"
#: The date formats tried when a mapping names none: ISO, then the day-first forms of
#: spreadsheets in Ukrainian and Russian locales, then ACLED's older "24 February 2024".
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d %B %Y")
TIME_FORMATS = ("%H:%M", "%H:%M:%S", "%H.%M")
_KEYS = frozenset(("columns", "constants", "values", "time", "id", "unmapped", "optional", "name"))


@dataclass(frozen=True)
class ValueMap:
    """The source's words for one field and the report's value for each (None: leave it out)."""

    exact: Mapping[str, str | None]
    prefixes: tuple[tuple[str, str | None], ...] = ()
    #: For a value the map does not name: ``keep`` it as written, or this value (None: drop).
    other: str | None = None
    keep_other: bool = True

    def __call__(self, value: str) -> tuple[bool, str | None]:
        """(found, the value): ``found`` is False for a value kept as written."""
        key = value.strip().casefold()
        if key in self.exact:
            return True, self.exact[key]
        for prefix, mapped in self.prefixes:
            if key.startswith(prefix):
                return True, mapped
        return (False, value) if self.keep_other else (True, self.other)


@dataclass(frozen=True)
class TimeSpec:
    """Which columns hold the date and the time of day, how they are written, and where."""

    date: str
    time: str | None = None
    formats: tuple[str, ...] = DATE_FORMATS
    time_formats: tuple[str, ...] = TIME_FORMATS
    timezone: str = "UTC"

    def window(self, cells: Mapping[str, str]) -> tuple[dict[str, str], str | None]:
        """``observed_from`` (and, for a date without a time, ``observed_to`` at the day's
        last second) as ISO 8601 in the mapping's zone; or the reason the cells do not read.
        ``cells`` are named case-folded. A day that is today ends at the present instead
        (:func:`ceasefire.intake.files.check_rows`): a window may not end in the future."""
        raw = cells.get(self.date, "").strip()
        if not raw:
            return {}, None  # observed_from is then "required", named by validation
        day = _parse(raw, self.formats)
        if day is None:
            return {}, f"{raw!r} (column {self.date!r}) is not a date written as " + " or ".join(
                self.formats
            )
        zone = ZoneInfo(self.timezone)
        clock = cells.get(self.time, "").strip() if self.time else ""
        if clock:
            moment = _parse(clock, self.time_formats)
            if moment is None:
                formats = " or ".join(self.time_formats)
                return {}, f"{clock!r} (column {self.time!r}) is not a time written as {formats}"
            start = datetime.combine(day.date(), moment.time(), zone)
            return {"observed_from": start.isoformat()}, None
        if day.time() != time(0) or _with_clock(raw, self.formats):
            return {"observed_from": day.replace(tzinfo=zone).isoformat()}, None
        start = datetime.combine(day.date(), time(0), zone)
        end = datetime.combine(day.date() + timedelta(days=1), time(0), zone) - timedelta(seconds=1)
        return {"observed_from": start.isoformat(), "observed_to": end.isoformat()}, None


@dataclass(frozen=True)
class IdSpec:
    """An id for rows of a file without one: ``prefix-`` and 16 hex digits of the SHA-256 of
    the named cells (all when none are named), so the same row read again is the same report."""

    prefix: str
    columns: tuple[str, ...] = ()

    def make(self, cells: Mapping[str, str]) -> str:
        """The id of the row whose non-empty ``cells`` (names case-folded) are given."""
        names = self.columns or tuple(sorted(cells))
        text = json.dumps([cells.get(name, "") for name in names], ensure_ascii=False)
        return f"{self.prefix}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"


class Mapped(NamedTuple):
    """One row read through a mapping."""

    fields: dict[str, str]
    #: The source column of each mapped field, for problems that name it.
    sources: dict[str, str]
    #: ``(field, reason)`` of each cell that does not read.
    problems: list[tuple[str, str]]
    #: ``observed_to`` is the end of a day given without a time (:meth:`TimeSpec.window`).
    day_end: bool


@dataclass(frozen=True)
class ColumnMapping:
    """A file's columns as report fields; see the module docstring for each part."""

    name: str
    columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    constants: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, ValueMap] = field(default_factory=dict)
    time: TimeSpec | None = None
    id: IdSpec | None = None
    unmapped: str = ""
    #: Columns (case-folded) a file may lack.
    optional: frozenset[str] = frozenset()

    def needs(self) -> list[str]:
        """The source columns the mapping reads (a file must have them in its header)."""
        wanted = list(self.columns)
        if self.time is not None:
            wanted += [self.time.date] + ([self.time.time] if self.time.time else [])
        if self.id is not None:
            wanted += list(self.id.columns)
        return list(dict.fromkeys(wanted))

    def check_header(self, header: list[str], where: str) -> None:
        """Refuse a header without the columns the mapping reads (but the optional ones),
        naming each."""
        have = {cell.casefold() for cell in header}
        missing = [
            name
            for name in self.needs()
            if name.casefold() not in have and name.casefold() not in self.optional
        ]
        if missing:
            raise InputError(
                Problem(
                    where,
                    "",
                    f"the {self.name} mapping reads column(s) the header lacks: "
                    f"{', '.join(missing)}",
                )
            )

    def apply(self, cells: Mapping[str, str]) -> Mapped:
        """One row's (non-empty) cells as report fields."""
        by_name = {name.casefold(): (name, value) for name, value in cells.items()}
        fields: dict[str, str] = dict(self.constants)
        sources: dict[str, str] = {}
        problems: list[tuple[str, str]] = []
        named = {name.casefold() for name in self.needs()}
        for column, value in cells.items():
            if column.casefold() not in named:
                # A column already named as a field keeps its name; its value map applies.
                target = self.unmapped + column
                table = self.values.get(target)
                kept = value if table is None else table(value)[1]
                if kept is not None:
                    fields[target] = kept
        for column, targets in self.columns.items():
            found = by_name.get(column.casefold())
            if found is None:
                continue  # an empty cell: the field is not given
            actual, given = found
            for target in targets:
                table = self.values.get(target)
                mapped = given if table is None else table(given)[1]
                if mapped is None:
                    fields.pop(target, None)
                else:
                    fields[target] = mapped
                    sources[target] = actual
        folded = {name: value for name, (_, value) in by_name.items()}
        if self.time is not None:
            window, reason = self.time.window(folded)
            if reason is not None:
                problems.append(("observed_from", reason))
            for key, moment in window.items():
                fields.setdefault(key, moment)
                sources.setdefault(key, self.time.date)
            day_end = fields.get("observed_to") == window.get("observed_to", "")
        else:
            day_end = False
        if self.id is not None and "id" not in fields:
            fields["id"] = self.id.make(folded)
        return Mapped(fields, sources, problems, day_end)


def _with_clock(text: str, formats: tuple[str, ...]) -> bool:
    """Whether the format ``text`` reads with gives a time of day (``21:00`` is not midnight's
    day)."""
    for form in formats:
        try:
            datetime.strptime(text, form)
        except ValueError:
            continue
        return "%H" in form or "%I" in form
    return False


def _parse(text: str, formats: tuple[str, ...]) -> datetime | None:
    for form in formats:
        try:
            return datetime.strptime(text, form)
        except ValueError:
            continue
    return None


# -- reading a mapping ----------------------------------------------------------------------


def load_mapping(path: str | Path) -> ColumnMapping:
    """Read a mapping file (``.yaml``/``.yml`` or ``.json``).

    Raises
    ------
    InputError
        The file cannot be read, or a part of it is not what the module docstring shows; the
        problem names the file and the key.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise InputError(Problem(str(path), "", f"cannot be read: {reason}")) from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise InputError(Problem(path.name, "", f"not valid YAML or JSON: {exc}")) from None
    return mapping_from(data, path.name, name=path.name)


def mapping_from(data: Any, where: str, *, name: str) -> ColumnMapping:
    """A :class:`ColumnMapping` from its data (as loaded from YAML or JSON)."""
    if not isinstance(data, Mapping):
        raise InputError(Problem(where, "", "a mapping must be an object of columns, constants..."))
    unknown = sorted(set(map(str, data)) - _KEYS)
    if unknown:
        raise InputError(
            Problem(where, unknown[0], f"unknown key; expected some of: {', '.join(sorted(_KEYS))}")
        )
    columns: dict[str, tuple[str, ...]] = {}
    for column, target in _object(data, "columns", where).items():
        targets = [target] if isinstance(target, str) else target
        if (
            not isinstance(targets, list)
            or not targets
            or not all(isinstance(t, str) and t for t in targets)
        ):
            raise InputError(
                Problem(where, f"columns.{column}", "must be a field name or a list of them")
            )
        columns[str(column)] = tuple(targets)
    constants = {}
    for key, value in _object(data, "constants", where).items():
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise InputError(Problem(where, f"constants.{key}", "must be text or a number"))
        constants[str(key)] = str(value)
    values = {
        str(target): _value_map(table, where, f"values.{target}")
        for target, table in _object(data, "values", where).items()
    }
    unmapped = data.get("unmapped", "")
    if not isinstance(unmapped, str):
        raise InputError(Problem(where, "unmapped", "must be a prefix (text, may be empty)"))
    optional = data.get("optional", [])
    if not isinstance(optional, list) or not all(isinstance(c, str) for c in optional):
        raise InputError(Problem(where, "optional", "must be a list of column names"))
    return ColumnMapping(
        name=str(data.get("name") or name),
        columns=columns,
        constants=constants,
        values=values,
        time=_time_spec(data.get("time"), where),
        id=_id_spec(data.get("id"), where),
        unmapped=unmapped,
        optional=frozenset(c.casefold() for c in optional),
    )


def _object(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = data.get(key) or {}
    if not isinstance(value, Mapping):
        raise InputError(Problem(where, key, "must be an object"))
    return value


def _value_map(table: Any, where: str, key: str) -> ValueMap:
    if not isinstance(table, Mapping):
        raise InputError(Problem(where, key, "must be an object of source value -> value"))
    exact: dict[str, str | None] = {}
    prefixes: list[tuple[str, str | None]] = []
    other: str | None = None
    keep = True
    for source, value in table.items():
        if value is not None and not isinstance(value, str | int | float):
            raise InputError(Problem(where, f"{key}.{source}", "must be text, a number or null"))
        mapped = None if value is None else str(value)
        text = str(source).strip().casefold()
        if text == ANY:
            other, keep = mapped, False
        elif text.endswith(ANY):
            prefixes.append((text[:-1], mapped))
        else:
            exact[text] = mapped
    # The longest prefix first, so "forces of russia (2000-) air" beats "forces of russia".
    prefixes.sort(key=lambda item: -len(item[0]))
    return ValueMap(exact, tuple(prefixes), other, keep)


def _time_spec(spec: Any, where: str) -> TimeSpec | None:
    if spec is None:
        return None
    if not isinstance(spec, Mapping) or not isinstance(spec.get("date"), str):
        raise InputError(Problem(where, "time", "must name the date column: {date: COLUMN}"))
    formats = spec.get("formats", list(DATE_FORMATS))
    time_formats = spec.get("time_formats", list(TIME_FORMATS))
    for key, value in (("formats", formats), ("time_formats", time_formats)):
        if not isinstance(value, list) or not all(isinstance(f, str) for f in value) or not value:
            raise InputError(Problem(where, f"time.{key}", "must be a list of strptime formats"))
    zone = spec.get("timezone", "UTC")
    try:
        ZoneInfo(str(zone))
    except (ValueError, ZoneInfoNotFoundError):
        raise InputError(
            Problem(where, "time.timezone", f"unknown time zone {zone!r}; e.g. Europe/Kyiv")
        ) from None
    clock = spec.get("time")
    if clock is not None and not isinstance(clock, str):
        raise InputError(Problem(where, "time.time", "must name the time-of-day column"))
    # Columns are matched case-folded, as the header is (Mapping.apply folds the row's names).
    return TimeSpec(
        spec["date"].casefold(),
        clock.casefold() if clock else None,
        tuple(formats),
        tuple(time_formats),
        str(zone),
    )


def _id_spec(spec: Any, where: str) -> IdSpec | None:
    if spec is None:
        return None
    if not isinstance(spec, Mapping) or not isinstance(spec.get("prefix"), str):
        raise InputError(Problem(where, "id", "must give a prefix: {prefix: TEXT, from: [...]}"))
    columns = spec.get("from", [])
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise InputError(Problem(where, "id.from", "must be a list of column names"))
    return IdSpec(spec["prefix"], tuple(c.casefold() for c in columns))
