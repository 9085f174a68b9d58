"""Rows of a table: the raw row every reader yields, and the CSV reader with its dialect and
column mapping.

A CSV file is read in the :class:`~ceasefire.intake.dialect.Dialect` sniffed from its first
bytes (or given): its header checked (an empty or doubled name, one column that holds another
delimiter, the columns a mapping needs, a file of a known other kind), each row's cells mapped
(:mod:`ceasefire.intake.mapping`) and its number fields written with a decimal point.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ceasefire.errors import InputError, Problem
from ceasefire.intake.dialect import Dialect, delimiter_name, looks_split_by, number_text
from ceasefire.intake.mapping import ColumnMapping
from ceasefire.intake.profiles import header_hint
from ceasefire.intake.report import Report

#: The report's number fields: the cells a decimal-comma file writes as ``48,5``; of them,
#: those that take whole numbers only.
NUMBER_FIELDS = frozenset(
    name
    for name, info in Report.model_fields.items()
    if info.annotation in (float | None, int | None)
)
WHOLE_FIELDS = frozenset(
    name for name, info in Report.model_fields.items() if info.annotation == int | None
)


@dataclass(frozen=True)
class RawRow:
    """One row as read: where it came from, and its fields or why they could not be read.

    ``text`` is set by the CSV reader: its values are text cells, to be converted to each
    field's type. JSON rows (JSON Lines, GeoJSON) keep their JSON types and are checked strictly
    (:func:`ceasefire.intake.validation.validate_report`).
    """

    where: str
    fields: dict[str, Any] | None
    problems: tuple[Problem, ...] = ()
    text: bool = False
    #: The source column of each field a column mapping made, for problems that name it.
    columns: Mapping[str, str] = field(default_factory=dict)
    #: ``observed_to`` is the end of a day a mapping read from a date without a time: for
    #: today, the window ends at the present instead (:func:`ceasefire.intake.files.check_rows`).
    day_end: bool = False


def csv_rows(
    lines: Iterator[tuple[int, str | Problem]],
    name: str,
    dialect: Dialect,
    mapping: ColumnMapping | None,
    *,
    reports: bool,
) -> Iterator[RawRow]:
    """The rows of a CSV file's decoded ``lines`` (numbered), after its header; ``reports``:
    the rows are to be reports, so a header of another known kind of file is named."""
    pending: list[Problem] = []
    state = {"line": 0}

    def text() -> Iterator[str]:
        # Feeds csv.reader; an undecodable line is set aside and replaced by an empty one.
        for number, line in lines:
            state["line"] = number
            if isinstance(line, Problem):
                pending.append(line)
                yield "\n"
            else:
                yield line

    delimiter = dialect.delimiter or ","
    reader = csv.reader(text(), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise InputError(Problem(f"{name}:row 1", "", f"not valid CSV: {exc}")) from None
    if pending:
        raise InputError(pending)
    header = [cell.strip() for cell in header]
    _check_header(header, name, delimiter, mapping, reports)
    while True:
        start = state["line"] + 1
        where = f"{name}:row {start}"
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield RawRow(where, None, (Problem(where, "", f"not valid CSV: {exc}"),))
            continue
        if pending:
            yield RawRow(pending[0].where, None, tuple(pending))
            pending.clear()
            continue
        if not cells:
            continue
        if len(cells) != len(header):
            reason = f"has {len(cells)} cells but the header has {len(header)}"
            yield RawRow(where, None, (Problem(where, "", reason),))
            continue
        # Empty cells mean "not given", as in ACLED exports and spreadsheets.
        given = {key: cell for key, cell in zip(header, cells, strict=True) if cell.strip()}
        yield _text_row(where, given, dialect, mapping)


def _check_header(
    header: list[str], name: str, delimiter: str, mapping: ColumnMapping | None, reports: bool
) -> None:
    """Refuse a header that cannot head rows: an empty or doubled name, one column that holds
    another delimiter, columns a mapping needs, or (for reports) a known file of another kind."""
    where = f"{name}:row 1"
    other = looks_split_by(header, delimiter)
    if other is not None:
        reason = (
            f"the header is one column, {header[0][:60]!r}: the file looks "
            f"{delimiter_name(other)}-separated: pass --delimiter '{other}'"
        ).replace("'\t'", "tab")
        raise InputError(Problem(where, "", reason))
    if not any(header) or "" in header:
        raise InputError(Problem(where, "", "the header row has an empty column name"))
    doubled = sorted({cell for cell in header if header.count(cell) > 1})
    if doubled:
        raise InputError(Problem(where, "", f"the header names {', '.join(doubled)} twice"))
    if mapping is not None:
        mapping.check_header(header, where)
    elif reports and "id" not in header and (hint := header_hint(header)) is not None:
        raise InputError(Problem(where, "", hint))


def _text_row(
    where: str, cells: dict[str, str], dialect: Dialect, mapping: ColumnMapping | None
) -> RawRow:
    """A CSV row's cells as report fields: mapped (when a mapping is given), numbers written
    with a point; a cell that cannot be read either way is a problem naming the field."""
    sources: Mapping[str, str] = {}
    problems: list[Problem] = []
    fields: dict[str, Any] = cells
    day_end = False
    if mapping is not None:
        fields, sources, bad, day_end = mapping.apply(cells)
        problems.extend(Problem(where, key, reason) for key, reason in bad)
    if dialect.delimiter != ",":  # a comma-separated file cannot write a decimal comma bare
        for key in NUMBER_FIELDS.intersection(fields):
            value, reason = number_text(fields[key], dialect.decimal, whole=key in WHOLE_FIELDS)
            if reason is not None:
                problems.append(Problem(where, key, column_named(reason, key, sources)))
            fields[key] = value
    if problems:
        return RawRow(where, None, tuple(problems))
    return RawRow(where, fields, text=True, columns=sources, day_end=day_end)


def column_named(reason: str, field: str, sources: Mapping[str, str]) -> str:
    """``reason`` naming the source column a mapped field came from."""
    column = sources.get(field)
    return reason if column is None or column == field else f"{reason} (column {column!r})"
