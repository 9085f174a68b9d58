"""Tallies in and out as files: JSON Lines and CSV.

- **JSON Lines**: one tally per line, in its JSON form (:meth:`Tally.to_dict`, ``lines``
  nested, counts as ``173`` or ``{"min": 51, "max": null}``). Unknown top-level fields are kept.
- **CSV**: one row per weapon line. The tally's columns (:data:`TALLY_FIELDS`) are repeated on
  each row and the rows of one tally share its ``id`` (they need not be next to each other); the
  line's columns (:data:`LINE_FIELDS`) follow. A count cell is ``173``, ``51-173`` or ``51-``
  (no upper end); a list (``regions``, ``launch_areas``, ``carriers``) is one cell of names
  separated by ``;``. An empty cell is "not given", never 0: a tally column may be left empty
  on all rows of a tally but one, while two rows that give it differently are refused, naming
  both. Any other column is a field of the tally, kept as ``extra`` (as text: CSV has no types).

Reading is all-or-nothing per file: :func:`read_tally_file` returns every tally, or raises
:class:`~ceasefire.errors.InputError` with every problem, each naming ``file:line N`` (JSON
Lines) or ``file:row N`` (CSV) and the field. Encoding, byte order marks, over-long lines and
the CSV header are read by :func:`ceasefire.intake.files.iter_rows`, as for reports.

:func:`write_tallies` writes either format so that reading it back gives equal tallies. In CSV an
``extra`` value that is not text is written as its JSON and reads back as that text, and a name
holding ``;`` cannot be written at all (it would read back as two): JSON Lines has neither limit.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final, Literal, TextIO

from ceasefire.counts import Count
from ceasefire.errors import InputError, Problem
from ceasefire.intake.files import MAX_PROBLEMS, RawRow, detect_format, iter_rows
from ceasefire.tallies.model import (
    LINE_COUNTS,
    LINE_FIELDS,
    TALLY_COUNTS,
    TALLY_FIELDS,
    TALLY_NAMES,
    Line,
    Tally,
    read_tally,
)

__all__ = ["TallyFormat", "read_tally_file", "write_tallies"]

TallyFormat = Literal["jsonl", "csv"]

#: The columns of a tally's CSV, in order; extra fields follow, sorted by name.
CSV_COLUMNS: Final = (*TALLY_FIELDS, *LINE_FIELDS)
_COUNT_COLUMNS: Final = frozenset((*TALLY_COUNTS, *LINE_COUNTS))
_LINE_COLUMNS: Final = frozenset(LINE_FIELDS)


def read_tally_file(path: str | Path, format: str | None = None) -> list[Tally]:
    """Every tally of ``path`` (``.jsonl``/``.ndjson`` or ``.csv``, or name the ``format``).

    Raises
    ------
    InputError
        With every problem of the file when any row is bad (nothing is returned then), or for
        the file as a whole (missing, empty, not UTF-8, a bad CSV header, another format).
    """
    path = Path(path)
    kind = detect_format(path, format)
    if kind not in ("jsonl", "csv"):
        raise InputError(Problem(path.name, "", f"tallies are read from jsonl or csv, not {kind}"))
    rows = iter_rows(path, format=kind, items="tallies")
    tallies, problems = _from_jsonl(rows) if kind == "jsonl" else _from_csv(rows)
    if problems:
        raise InputError(problems[:MAX_PROBLEMS])
    return tallies


def write_tallies(
    tallies: Iterable[Tally], fmt: TallyFormat = "jsonl", out: TextIO | None = None
) -> str:
    """``tallies`` as a JSON Lines or CSV file; written to ``out`` when given (and ``""``
    returned), else returned as text. :func:`read_tally_file` reads it back to equal tallies.

    Raises
    ------
    ValueError
        In CSV, a name holding ``;``, or an extra field named like a line's column or with
        blanks at either end: each would read back as something else (JSON Lines writes them).
    """
    if fmt not in ("jsonl", "csv"):
        raise ValueError(f"unknown tally format {fmt!r}; use jsonl or csv")
    if out is None:
        buffer = io.StringIO()
        write_tallies(tallies, fmt, buffer)
        return buffer.getvalue()
    if fmt == "jsonl":
        for tally in tallies:
            out.write(json.dumps(tally.to_dict(), ensure_ascii=False) + "\n")
    else:
        _write_csv(list(tallies), out)
    return ""


# -- JSON Lines ------------------------------------------------------------------------------


def _line_place(where: str) -> str:
    # The intake names every row of a file "row N"; a JSON Lines tally is one line of its file.
    return where.replace(":row ", ":line ", 1)


def _relabel(problems: Iterable[Problem]) -> list[Problem]:
    return [Problem(_line_place(p.where), p.field, p.reason) for p in problems]


def _from_jsonl(rows: Iterable[RawRow]) -> tuple[list[Tally], list[Problem]]:
    tallies: dict[str, tuple[Tally, str]] = {}
    problems: list[Problem] = []
    for row in rows:
        where = _line_place(row.where)
        if row.problems or row.fields is None:
            problems.extend(_relabel(row.problems))
            continue
        try:
            tally = read_tally(row.fields, where=where)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        _keep(tallies, tally, where, problems)
    return [t for t, _ in tallies.values()], problems


def _keep(
    tallies: dict[str, tuple[Tally, str]], tally: Tally, where: str, problems: list[Problem]
) -> None:
    """Keep ``tally`` unless its id was read before: the same tally again is dropped (as an
    exact repeat of a report is), another tally under that id is a problem naming both."""
    before = tallies.setdefault(tally.id, (tally, where))
    if before[0] != tally:
        reason = f"{tally.id!r} is the id of another tally at {before[1]}"
        problems.append(Problem(where, "id", reason))


# -- CSV -------------------------------------------------------------------------------------


def _from_csv(rows: Iterable[RawRow]) -> tuple[list[Tally], list[Problem]]:
    groups: dict[str, list[tuple[str, dict[str, Any], dict[str, Any]]]] = {}
    problems: list[Problem] = []
    for row in rows:
        if row.problems or row.fields is None:
            problems.extend(row.problems)
            continue
        own: dict[str, Any] = {}
        line: dict[str, Any] = {}
        for key, cell in row.fields.items():
            value: Any = cell.strip()
            if key in _COUNT_COLUMNS:
                try:
                    count = Count.parse_cell(cell, key, row.where)
                except InputError as exc:
                    problems.extend(exc.problems)
                    continue
                value = None if count is None else count.to_json()
            (line if key in _LINE_COLUMNS else own)[key] = value
        tally_id = own.get("id")
        if tally_id is None:
            problems.append(Problem(row.where, "id", "is required (it groups a tally's rows)"))
            continue
        groups.setdefault(tally_id.strip(), []).append((row.where, own, line))
    tallies: dict[str, tuple[Tally, str]] = {}
    for members in groups.values():
        data, disagree = _merge(members)
        problems.extend(disagree)
        places = [where for where, _, _ in members]
        try:
            tally = read_tally(data, where=places[0])
        except InputError as exc:
            problems.extend(_to_rows(exc.problems, places))
            continue
        if not disagree:
            _keep(tallies, tally, places[0], problems)
    return [t for t, _ in tallies.values()], problems


def _merge(
    members: list[tuple[str, dict[str, Any], dict[str, Any]]],
) -> tuple[dict[str, Any], list[Problem]]:
    """One tally's JSON form from its rows: the tally's columns as given (an empty cell takes
    another row's value), one line per row; a column two rows give differently is a problem."""
    data: dict[str, Any] = {}
    first: dict[str, str] = {}
    problems: list[Problem] = []
    for where, own, _ in members:
        for key, value in own.items():
            if key not in data:
                data[key], first[key] = value, where
            elif data[key] != value:
                reason = (
                    f"tally {own['id'].strip()!r}: {value!r} here but {data[key]!r} at "
                    f"{first[key]} (a tally's columns are the same on each of its rows)"
                )
                problems.append(Problem(where, key, reason))
    data["lines"] = [line for _, _, line in members]
    return data, problems


def _to_rows(problems: Iterable[Problem], places: list[str]) -> list[Problem]:
    """A problem of ``lines[i].field`` named by the row of line ``i`` and its column."""
    out = []
    for p in problems:
        head, dot, rest = p.field.partition(".")
        if head.startswith("lines[") and head.endswith("]"):
            i = int(head[len("lines[") : -1])
            out.append(Problem(places[i], rest if dot else "", p.reason))
        else:
            out.append(p)
    return out


def _write_csv(tallies: list[Tally], out: TextIO) -> None:
    extras = sorted({key for t in tallies for key in t.extra})
    clash = sorted(set(extras) & _LINE_COLUMNS)
    if clash:
        raise ValueError(f"an extra field is named like a line's column: {', '.join(clash)}")
    # The reader strips header cells and refuses an empty one (ceasefire.intake.files).
    unreadable = [key for key in extras if not key.strip() or key != key.strip()]
    if unreadable:
        raise ValueError(f"an extra field's name cannot be a CSV column: {unreadable[0]!r}")
    writer = csv.writer(out)
    writer.writerow((*CSV_COLUMNS, *extras))
    for tally in tallies:
        own = _tally_cells(tally)
        extra = [_extra_cell(tally.extra.get(key)) for key in extras]
        for line in tally.lines:
            writer.writerow((*own, *_line_cells(line), *extra))


def _tally_cells(tally: Tally) -> list[str]:
    data = tally.to_dict()
    cells = []
    for key in TALLY_FIELDS:
        value = data.get(key)
        if key in TALLY_NAMES and value is not None:
            bad = [name for name in value if ";" in name]
            if bad:
                raise ValueError(f"tally {tally.id!r}: {key} {bad[0]!r} holds ';', the separator")
            cells.append(";".join(value))
        elif key in TALLY_COUNTS:
            count = getattr(tally, key)
            cells.append("" if count is None else count.to_cell())
        else:
            cells.append("" if value is None else str(value))
    return cells


def _line_cells(line: Line) -> list[str]:
    cells = [line.weapon_class, line.model or "", line.part_of or ""]
    for name in LINE_COUNTS:
        count = line.count(name)
        cells.append("" if count is None else count.to_cell())
    return cells


def _extra_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
