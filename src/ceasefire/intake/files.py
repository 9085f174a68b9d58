"""Reading report files: JSON Lines, CSV and GeoJSON into validated reports.

Three layers, each usable on its own:

* :func:`iter_rows` reads a file into raw rows (field name to value) with the place each came
  from (``"reports.csv:row 7"``); a row that cannot even be read (broken JSON, bytes that are not
  UTF-8, a CSV row with too many cells) comes with its problem instead of its fields.
* :func:`read_reports` validates rows one at a time and stops at the first bad one: for streaming.
* :func:`parse_file` validates the whole file and applies the bulk rule: one bad row and nothing
  is returned for storing, unless ``skip_invalid`` is set, in which case the good rows and the list
  of problems come back together.

JSON Lines and CSV are read line by line from a binary file (memory stays flat for 10M-line
files; :mod:`ceasefire.intake.lines`); each line is decoded on its own so a stray Windows-1251
byte in a UTF-8 file is reported on its row. The encoding, and a CSV file's delimiter and
decimal mark, are sniffed from the first 64 KiB (:mod:`ceasefire.intake.dialect`) or given; a
CSV file's columns may be read as report fields through a mapping (:mod:`ceasefire.intake.
mapping`, :mod:`ceasefire.intake.profiles`). A GeoJSON FeatureCollection is one JSON document
and is loaded whole; for very large point sets use GeoJSON Text Sequences (RFC 8142; one
Feature per line), which the JSON Lines reader accepts.

JSON rows must give each field its JSON type (``"count": 3``, not ``"3"``); CSV cells are text
and are converted. The CSV reader marks its rows (:attr:`RawRow.text`) so that the one validation
path, :func:`check_rows` and :func:`read_reports` through
:func:`~ceasefire.intake.validation.validate_report`, knows which rule applies.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Literal

from ceasefire.errors import InputError, Problem
from ceasefire.intake.dialect import (
    SNIFF_BYTES,
    Dialect,
    check_delimiter,
    check_encoding,
    sniff_decimal,
    sniff_delimiter,
    sniff_encoding,
)
from ceasefire.intake.lines import decoded_lines, rewound, sample_text
from ceasefire.intake.lines import too_large as too_large  # where the API reads it
from ceasefire.intake.mapping import ColumnMapping
from ceasefire.intake.report import Report
from ceasefire.intake.tables import RawRow as RawRow  # where the tallies read it
from ceasefire.intake.tables import column_named, csv_rows
from ceasefire.intake.validation import validate_report

Format = Literal["jsonl", "csv", "geojson"]

#: File name endings and the format they mean.
EXTENSIONS: dict[str, Format] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".geojsonl": "jsonl",
    ".geojsons": "jsonl",
    ".csv": "csv",
    ".geojson": "geojson",
}

#: At most this many problems are kept for one file; past that the count is all that matters.
MAX_PROBLEMS = 1000

#: The largest one report may be, in bytes of its line (JSON Lines, CSV) or of its Feature's
#: JSON (GeoJSON). A report of the interchange fields is about 540 bytes (the simulator's); the
#: limit leaves room for long notes and unknown fields while a hostile line of gigabytes is
#: refused by its row, read no further than the limit (``ceasefire serve --max-report-kb``
#: sets the API's; ``ceasefire ingest --max-report-kb`` the CLI's).
MAX_REPORT_BYTES = 256 * 1024


@dataclass
class ParseResult:
    """The outcome of :func:`parse_file`: the good reports and one problem per bad field."""

    reports: list[Report] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    bad_rows: int = 0


def detect_format(path: Path, format: str | None = None) -> Format:
    """The file's format: ``format`` when given, else from the file name's extension."""
    if format is not None:
        if format not in ("jsonl", "csv", "geojson"):
            raise InputError(
                Problem(str(path), "", f"unknown format {format!r}; use jsonl, csv or geojson")
            )
        return format  # type: ignore[return-value]  # checked just above
    found = EXTENSIONS.get(path.suffix.lower())
    if found is None:
        known = ", ".join(EXTENSIONS)
        raise InputError(
            Problem(
                str(path),
                "",
                f"cannot tell the format from {path.suffix!r}; name the file with one of: {known}",
            )
        )
    return found


def iter_rows(
    source: str | Path | BinaryIO,
    *,
    name: str | None = None,
    format: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    mapping: ColumnMapping | None = None,
    max_report_bytes: int = MAX_REPORT_BYTES,
    items: str = "reports",
) -> Iterator[RawRow]:
    """Read a file into raw rows, lazily; a row over ``max_report_bytes`` comes with its
    problem (and is read no further than that).

    Parameters
    ----------
    source
        A path, or a binary handle open for reading (an API body; it is read from where it
        stands, and not closed). A handle that cannot seek is read through a small buffer.
    name
        Names the file in problems (``name:row 7``) and, without ``format``, gives its format by
        its extension; defaults to the path's name (or the handle's).
    format
        ``jsonl``, ``csv`` or ``geojson``, whatever the extension.
    delimiter, encoding
        Override what :mod:`ceasefire.intake.dialect` sniffs from the first
        :data:`~ceasefire.intake.dialect.SNIFF_BYTES` (the delimiter of CSV only).
    mapping
        Read a CSV file's columns as report fields (:mod:`ceasefire.intake.mapping`).
    items
        Names what the rows are, for the problem of a file without any (the tallies read their
        files here too); ``reports`` also names a file that looks like a profile's.

    Raises
    ------
    InputError
        For problems with the file as a whole: missing, empty, an encoding that cannot be told,
        a bad CSV header (or one that looks split by another delimiter), a GeoJSON document that
        is not a FeatureCollection.
    """
    if isinstance(source, str | Path):
        path = Path(source)
        kind = detect_format(path if name is None else Path(name), format)
        name = name or path.name
        try:
            handle = path.open("rb")
        except OSError as exc:
            raise InputError(Problem(str(path), "", f"cannot be read: {exc.strerror}")) from None
        with handle:
            yield from _rows(
                handle, name, kind, delimiter, encoding, mapping, max_report_bytes, items
            )
        return
    name = name or Path(str(getattr(source, "name", "") or "input")).name
    kind = detect_format(Path(name), format)
    yield from _rows(source, name, kind, delimiter, encoding, mapping, max_report_bytes, items)


def _rows(
    handle: BinaryIO,
    name: str,
    kind: Format,
    delimiter: str | None,
    encoding: str | None,
    mapping: ColumnMapping | None,
    max_report_bytes: int,
    items: str,
) -> Iterator[RawRow]:
    if kind != "csv" and (delimiter is not None or mapping is not None):
        what = "a delimiter" if delimiter is not None else "a column mapping"
        raise InputError(Problem(name, "", f"{what} applies to CSV files, not {kind}"))
    head = handle.read(SNIFF_BYTES)
    if not head:
        raise InputError(Problem(name, "", "file is empty"))
    handle = rewound(handle, head)
    complete = len(head) < SNIFF_BYTES
    codec = (
        check_encoding(encoding, name)
        if encoding is not None
        else sniff_encoding(head, name, complete=complete, legacy=kind == "csv")
    )
    limit = None if kind == "geojson" else max_report_bytes  # GeoJSON: its Features are measured
    lines = decoded_lines(handle, name, limit, codec)
    if kind == "geojson":
        rows = _geojson_rows(lines, name, max_report_bytes)
    elif kind == "jsonl":
        rows = _jsonl_rows(lines, name)
    else:
        sample = sample_text(head, codec, complete)
        chosen = (
            check_delimiter(delimiter, name) if delimiter is not None else sniff_delimiter(sample)
        )
        dialect = Dialect(codec, chosen, sniff_decimal(sample, chosen))
        rows = csv_rows(lines, name, dialect, mapping, reports=items == "reports")
    seen = False
    for row in rows:
        seen = True
        yield row
    if not seen:
        raise InputError(Problem(name, "", f"no {items} in file"))


def read_reports(
    path: str | Path | BinaryIO,
    *,
    format: str | None = None,
    now: datetime | None = None,
    **reading: Any,
) -> Iterator[Report]:
    """Validated reports from ``path``, one at a time; stops with InputError at the first bad row.

    ``reading`` takes :func:`iter_rows`'s ``name``, ``delimiter``, ``encoding`` and ``mapping``.
    """
    now = now or datetime.now(UTC)
    for row in iter_rows(path, format=format, **reading):
        if row.problems:
            raise InputError(row.problems)
        try:
            yield validate_report(
                _until_now(row, now), where=row.where, now=now, text_values=row.text
            )
        except InputError as exc:
            raise InputError([_named(p, row.columns) for p in exc.problems]) from None


@dataclass(frozen=True)
class CheckedRow:
    """One row after validation: its report, or the problems that keep it out.

    ``report`` is None for a bad row and for an exact repeat of an earlier row (a no-op, as in
    the store).
    """

    where: str
    report: Report | None
    problems: list[Problem]


def check_rows(
    path: str | Path | BinaryIO,
    *,
    format: str | None = None,
    now: datetime | None = None,
    window: int | None = None,
    max_report_bytes: int = MAX_REPORT_BYTES,
    name: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    mapping: ColumnMapping | None = None,
) -> Iterator[CheckedRow]:
    """Validate every row of ``path``, the one place where rows become reports.

    An id seen again with other content is a problem of the later row; seen again with the same
    content, the row is dropped. ``window`` limits that memory to blocks of that many rows (the
    streaming ingest's chunks, where the store's check in the same transaction covers the rest),
    so memory does not grow with the file; None remembers the whole file. ``name``,
    ``delimiter``, ``encoding`` and ``mapping`` are :func:`iter_rows`'s.
    """
    now = now or datetime.now(UTC)
    first_seen: dict[str, tuple[str, str]] = {}  # id -> (content hash, where)
    rows = iter_rows(
        path,
        name=name,
        format=format,
        delimiter=delimiter,
        encoding=encoding,
        mapping=mapping,
        max_report_bytes=max_report_bytes,
    )
    for n, row in enumerate(rows, start=1):
        problems = list(row.problems)
        report: Report | None = None
        if not problems:
            try:
                report = validate_report(
                    _until_now(row, now), where=row.where, now=now, text_values=row.text
                )
            except InputError as exc:
                problems = [_named(p, row.columns) for p in exc.problems]
            else:
                digest = report.content_hash()
                before = first_seen.setdefault(report.id, (digest, row.where))
                if before[0] != digest:
                    reason = f"{report.id!r} was used with other content at {before[1]}"
                    problems, report = [Problem(row.where, "id", reason)], None
                elif before[1] != row.where:
                    report = None  # an exact repeat of an earlier row
        yield CheckedRow(row.where, report, problems)
        if window is not None and n % window == 0:
            first_seen.clear()


def _until_now(row: RawRow, now: datetime) -> dict[str, Any]:
    """The row's fields, a window a mapping made of today's date ending now, not at midnight.

    A date without a time becomes the whole day (:class:`ceasefire.intake.mapping.TimeSpec`);
    the mapping does not know the present, and a window may not end in the future.
    """
    fields = row.fields or {}
    if not row.day_end or "observed_to" not in fields:
        return fields
    try:
        end = datetime.fromisoformat(fields["observed_to"])
    except (TypeError, ValueError):
        return fields
    if end.tzinfo is None or end <= now:
        return fields
    return {**fields, "observed_to": now.astimezone(end.tzinfo).isoformat()}


def _named(problem: Problem, columns: Mapping[str, str]) -> Problem:
    """A problem of a mapped field, its reason naming the column the value came from."""
    reason = column_named(problem.reason, problem.field, columns)
    return problem if reason == problem.reason else Problem(problem.where, problem.field, reason)


def parse_file(
    path: str | Path | BinaryIO,
    *,
    format: str | None = None,
    skip_invalid: bool = False,
    now: datetime | None = None,
    **reading: Any,
) -> ParseResult:
    """Read and validate a whole file under the bulk rule.

    Parameters
    ----------
    path
        A ``.jsonl``/``.ndjson``, ``.csv`` or ``.geojson`` file (or name the ``format``).
    skip_invalid
        Off: any bad row raises InputError listing every problem found, and nothing is returned.
        On: the good reports and the problems of the bad rows are returned together.
    now
        The present, for the "not in the future" check (one value for the whole file).
    reading
        :func:`iter_rows`'s ``name``, ``delimiter``, ``encoding`` and ``mapping``.

    Raises
    ------
    InputError
        A bad row (without ``skip_invalid``), or a problem with the file as a whole. Two rows with
        the same ``id`` and different content are a problem of the later row.
    """
    result = ParseResult()
    for row in check_rows(path, format=format, now=now, **reading):
        if row.report is not None:
            result.reports.append(row.report)
        if row.problems:
            result.bad_rows += 1
            room = MAX_PROBLEMS - len(result.problems)
            result.problems.extend(row.problems[: max(room, 0)])
    if result.problems and not skip_invalid:
        raise InputError(result.problems)
    return result


# -- format readers ----------------------------------------------------------------------------


def _jsonl_rows(lines: Iterator[tuple[int, str | Problem]], name: str) -> Iterator[RawRow]:
    for number, line in lines:
        where = f"{name}:row {number}"
        if isinstance(line, Problem):
            yield RawRow(where, None, (line,))
            continue
        # RFC 8142 (GeoJSON Text Sequences) starts each record with RS (0x1E).
        line = line.removeprefix("\x1e")
        if not line.strip():
            continue  # blank lines (a trailing newline, hand-edited files) carry nothing
        try:
            value = loads_json(line)
        except ValueError as exc:
            yield RawRow(where, None, (Problem(where, "", f"not valid JSON: {exc}"),))
            continue
        if isinstance(value, dict) and value.get("type") == "Feature":
            yield _feature_row(value, where)
        elif isinstance(value, dict):
            yield RawRow(where, value)
        else:
            yield RawRow(
                where, None, (Problem(where, "", f"must be a JSON object, got {_kind(value)}"),)
            )


def _geojson_rows(
    lines: Iterator[tuple[int, str | Problem]], name: str, limit: int
) -> Iterator[RawRow]:
    parts: list[str] = []
    for _, line in lines:
        if isinstance(line, Problem):
            raise InputError(Problem(name, "", f"{line.reason} ({line.where.rsplit(':', 1)[1]})"))
        parts.append(line)
    try:
        document = loads_json("".join(parts))
    except ValueError as exc:
        raise InputError(Problem(name, "", f"not valid JSON: {exc}")) from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        got = document.get("type") if isinstance(document, dict) else _kind(document)
        raise InputError(Problem(name, "type", f"must be a GeoJSON FeatureCollection, got {got!r}"))
    features = document.get("features")
    if not isinstance(features, list):
        raise InputError(Problem(name, "features", "must be a list of Features"))
    for index, feature in enumerate(features):
        where = f"{name}:feature {index + 1}"
        size = len(json.dumps(feature, ensure_ascii=False, separators=(",", ":")).encode())
        if size > limit:
            yield RawRow(where, None, (Problem(where, "", too_large(size, limit)),))
            continue
        yield _feature_row(feature, where)


def _feature_row(feature: Any, where: str) -> RawRow:
    """Point geometry to lon/lat, properties to fields; the Feature ``id`` stands in for a missing one."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return RawRow(where, None, (Problem(where, "type", "must be a GeoJSON Feature"),))
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        return RawRow(where, None, (Problem(where, "properties", "must be an object"),))
    fields = dict(props)
    if "id" not in fields and isinstance(feature.get("id"), str):
        fields["id"] = feature["id"]
    geometry = feature.get("geometry")
    if geometry is None:
        return RawRow(where, fields)  # place from properties (lon/lat or observer fields)
    coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        got = geometry.get("type") if isinstance(geometry, dict) else _kind(geometry)
        return RawRow(where, None, (Problem(where, "geometry", f"must be a Point, got {got!r}"),))
    if not isinstance(coords, list) or len(coords) not in (2, 3):
        return RawRow(where, None, (Problem(where, "geometry", "a Point needs [lon, lat]"),))
    for key, value in zip(("lon", "lat"), coords, strict=False):
        if key in fields and fields[key] != value:
            reason = f"property {key}={fields[key]!r} disagrees with the geometry ({value!r})"
            return RawRow(where, None, (Problem(where, key, reason),))
        fields[key] = value
    return RawRow(where, fields)


def loads_json(text: str) -> Any:
    """One JSON text as the intake reads it (files and API bodies alike): an object with a
    key twice, or a string holding a lone surrogate, is a ``ValueError``."""
    # NaN/Infinity tokens are not JSON (RFC 8259 section 6) but Python reads them; they are let
    # through as floats so validation can name the field that holds one.
    value = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    check_unicode(text, value)
    return value


#: The escape of a UTF-16 surrogate (``\ud800``), the only way JSON text spells a string that
#: is not Unicode; text without one needs no further check.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def check_unicode(text: str, value: Any) -> None:
    """Refuse (``ValueError``) a value parsed from JSON ``text`` that holds a lone surrogate
    (``"\\ud800"``): it is not Unicode text, has no UTF-8 form, and cannot be stored or hashed.
    """
    if not _SURROGATE_ESCAPE.search(text):
        return
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        char = exc.object[exc.start]
        raise ValueError(
            f"a string holds a lone surrogate {char!r}, which is not Unicode"
        ) from None


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"field {key!r} appears twice")
        result[key] = value
    return result


def _kind(value: Any) -> str:
    return {list: "an array", str: "a string", type(None): "null"}.get(
        type(value), type(value).__name__
    )
