"""The community data set of Ukrainian Air Force figures, read into tallies and kept as versions.

The data set (``missile_attacks_daily.csv``) has one row per weapon model per attack, as a
volunteer structured the Air Force's morning posts. :func:`read_community_csv` makes each attack
(the rows sharing ``time_start``, ``time_end`` and ``source``) one :class:`~ceasefire.tallies.
model.Tally`: issuer ``UA``, attacker ``RU``, the window in Kyiv local time made tz-aware, one
line per row's model (the table in ``docs/tallies.md``). Its traps, each handled here:

- **A row is unique only with its source**: two posts may give the same window and model (a
  national and a regional account, a correction posted separately), so ``source`` is part of
  the natural key and such rows are two tallies.
- **Rows are edited in place** upstream, without a trace. Each tally's id is its natural key
  (:func:`series_key`, also kept as ``extra["series"]``) plus ``@`` and a short hash of the
  attack's cells; :func:`chain_versions` turns a re-import into what is new: an edited attack
  becomes a version superseding the held one (both kept), an unchanged one nothing. The hash is
  of the data set's cells (numbers as numbers, older column names as current ones), not of this
  module's reading of them, so a better model table here does not re-version the history.
- **Missing values**: an empty cell is "not published", never 0.
- **The header drifts**: older files have fewer columns and older names (``cross_border_belarus``
  and ``back_russia`` before ``border_crossing``, ``affected region``); a file without a required
  column is refused, naming each; a column this module does not know is kept, per line, in
  ``extra["columns"]``, as are the known columns no tally field holds (``target``,
  ``is_shahed``, the ``*_details``).

A model the table does not know, or a row bundling families that have no one class (a drone and
a missile), becomes class ``other`` and is named in :attr:`CommunityImport.unmapped`.
"""

from __future__ import annotations

import ast
import codecs
import csv
import hashlib
import itertools
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from ceasefire.counts import Count
from ceasefire.errors import InputError, Problem
from ceasefire.intake.files import MAX_PROBLEMS, iter_rows
from ceasefire.tallies.model import DRONE_CLASSES, MISSILE_CLASSES, Line, Tally

__all__ = [
    "CommunityImport",
    "chain_versions",
    "missing_series",
    "model_class",
    "read_community_csv",
    "series_key",
]

#: The data set's times are the Air Force's, in Kyiv's local time (EET/EEST).
KYIV: Final = ZoneInfo("Europe/Kyiv")
ISSUER: Final = "UA"
ATTACKER: Final = "RU"
#: Prefix of every series key, so the data set's tallies are told from others at a glance.
SERIES_PREFIX: Final = "ua-af"

#: Without these a row cannot be read as a count of an attack.
REQUIRED_COLUMNS: Final = ("time_start", "time_end", "model", "launched", "destroyed", "source")
#: Older names of columns, and the current name each is read as.
RENAMED: Final = {"affected region": "affected_region"}
#: The line counts the data set gives, by column.
LINE_COLUMNS: Final = {
    "launched": "launched",
    "destroyed": "destroyed",
    "not_reach_goal": "lost",
    "still_attacking": "airborne",
    "border_crossing": "crossed_border",
}
#: Older files split the border crossing by where the weapons went; both are crossings.
OLD_CROSSING: Final = ("cross_border_belarus", "back_russia")
#: Every column read into a tally field; any other column is kept in ``extra["columns"]``.
MAPPED_COLUMNS: Final = frozenset(
    (
        "time_start", "time_end", "model", "source", *LINE_COLUMNS, *OLD_CROSSING, "turbojet",
        "turbojet_destroyed", "num_hit_location", "num_fall_fragment_location",
        "affected_region", "launch_place", "carrier",
    )
)  # fmt: skip
_KEY_COLUMNS: Final = frozenset(("time_start", "time_end", "source"))
_NUMBER_COLUMNS: Final = frozenset(
    (
        *LINE_COLUMNS, *OLD_CROSSING, "turbojet", "turbojet_destroyed", "num_hit_location",
        "num_fall_fragment_location",
    )
)  # fmt: skip
#: The data set's current columns beyond the required ones; the report names those a file lacks.
OPTIONAL_COLUMNS: Final = (
    "launch_place", "target", "target_main", "not_reach_goal", "still_attacking",
    "border_crossing", "is_shahed", "num_hit_location", "num_fall_fragment_location", "carrier",
    "turbojet", "turbojet_destroyed", "affected_region", "destroyed_details", "launched_details",
    "launch_place_details",
)  # fmt: skip

#: Model names (normalised by :func:`_normal`) and their tally class. ``Kh-`` is also spelt
#: ``X-`` (the Cyrillic letter read as Latin), ``S-`` as ``C-``.
MODELS: Final[Mapping[str, str]] = {
    **dict.fromkeys(
        ("shahed", "shahed-136", "shahed-131", "shahed-238", "geran-2", "geran-3"),
        "strike_drone",
    ),
    **dict.fromkeys(
        ("gerbera", "parodiya", "parodia", "decoy", "decoys", "imitator", "imitators"),
        "decoy_drone",
    ),
    **dict.fromkeys(
        ("kh-101", "kh-555", "kh-55", "kalibr", "iskander-k", "kh-22", "kh-32", "kh-35"),
        "cruise_missile",
    ),
    **dict.fromkeys(("iskander-m", "kn-23"), "ballistic_missile"),
    **dict.fromkeys(("kinzhal", "kh-47m2"), "aeroballistic_missile"),
    **dict.fromkeys(("kh-59", "kh-69", "kh-31p"), "guided_air_missile"),
    **dict.fromkeys(("s-300", "s-400"), "anti_aircraft_missile"),
}

_SPLIT: Final = re.compile(r"\s*(?:[,;/+&]|\band\b)\s*")
_NAME_SPLIT: Final = re.compile(r"\s*(?:[,;]|\band\b)\s*")
_NUMBER: Final = re.compile(r"(\d+)(?:\.0*)?", re.ASCII)


@dataclass(frozen=True)
class CommunityImport:
    """What :func:`read_community_csv` read: the tallies, and what the caller should be told."""

    tallies: list[Tally]
    #: Data rows read (a header is not one).
    rows: int
    #: Model texts read as class ``other`` (unknown, or bundling families), and their rows.
    unmapped: dict[str, int] = field(default_factory=dict)
    #: Columns the importer does not know; their cells are kept in ``extra["columns"]``.
    extra_columns: tuple[str, ...] = ()
    #: The data set's optional columns this file does not have (an older file).
    absent_columns: tuple[str, ...] = ()
    #: The problems of the attacks left out (only with ``skip_invalid``).
    problems: list[Problem] = field(default_factory=list)

    def report(self) -> list[str]:
        """The import in a few lines of text, for a command's output."""
        out = [f"{self.rows} rows, {len(self.tallies)} attacks"]
        for model, rows in sorted(self.unmapped.items()):
            out.append(f"model {model!r} ({rows} rows): no class known, read as 'other'")
        if self.extra_columns:
            out.append(f"kept as extra: {', '.join(self.extra_columns)}")
        if self.absent_columns:
            out.append(f"not in this file: {', '.join(self.absent_columns)}")
        out.extend(f"left out: {p}" for p in self.problems)
        return out


def read_community_csv(path: str | Path, *, skip_invalid: bool = False) -> CommunityImport:
    """The tallies of the data set's CSV at ``path`` (see the module docstring).

    Raises
    ------
    InputError
        A required column missing (each named), or, without ``skip_invalid``, every problem of
        every bad row (a cell that is not a whole number, a time that cannot be read, a model
        twice in one attack): nothing is returned then. With ``skip_invalid`` the attacks with a
        bad row are left out and their problems returned in :attr:`CommunityImport.problems`.
    """
    path = Path(path)
    # The data set is UTF-8 with commas (as _header reads it), whatever a sniff would say.
    rows = iter_rows(path, format="csv", encoding="utf-8", delimiter=",", items="attacks")
    first = next(rows)  # the file as a whole is checked here: encoding, the header's form
    header = _header(path)
    attacks: dict[tuple[object, object, str], list[tuple[str, dict[str, str]]]] = {}
    problems: list[Problem] = []
    count = 0
    for row in itertools.chain((first,), rows):
        count += 1
        if row.problems or row.fields is None:
            problems.extend(row.problems)
            continue
        cells = {RENAMED.get(key, key): value.strip() for key, value in row.fields.items()}
        key = (
            _moment(cells.get("time_start", ""), end=False),
            _moment(cells.get("time_end", ""), end=True),
            cells.get("source", ""),
        )
        attacks.setdefault(key, []).append((row.where, cells))
    tallies: list[Tally] = []
    unmapped: Counter[str] = Counter()
    bad: list[Problem] = list(problems)
    for members in attacks.values():
        try:
            tallies.append(_tally(members, unmapped))
        except InputError as exc:
            bad.extend(exc.problems)
    if bad and not skip_invalid:
        raise InputError(bad[:MAX_PROBLEMS])
    return CommunityImport(
        tallies=tallies,
        rows=count,
        unmapped=dict(unmapped),
        extra_columns=tuple(sorted(header - MAPPED_COLUMNS - set(OPTIONAL_COLUMNS))),
        absent_columns=tuple(c for c in OPTIONAL_COLUMNS if c not in header),
        problems=bad[:MAX_PROBLEMS],
    )


def _header(path: Path) -> set[str]:
    """The file's columns (current names), after refusing a file without a required one."""
    with path.open("rb") as handle:  # iter_rows has read this line: UTF-8, one CSV row
        line = handle.readline().removeprefix(codecs.BOM_UTF8).decode("utf-8")
    names = {RENAMED.get(cell.strip(), cell.strip()) for cell in next(csv.reader([line]))}
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        reason = f"the data set's columns {', '.join(missing)} are missing (an older file?)"
        raise InputError(Problem(f"{path.name}:row 1", "", reason))
    return names


def series_key(start: datetime, end: datetime, source: str) -> str:
    """The natural key of an attack: its window as the data set gives it (Kyiv local time) and
    a short digest of its source (a post's address is long, and an id should not carry one)."""
    digest = hashlib.sha256(source.encode()).hexdigest()[:10] if source else "-"
    return f"{SERIES_PREFIX}:{start:%Y-%m-%dT%H:%M}/{end:%Y-%m-%dT%H:%M}:{digest}"


def _tally(members: list[tuple[str, dict[str, str]]], unmapped: Counter[str]) -> Tally:
    problems: list[Problem] = []
    first_where, first = members[0]
    start = _time(first.get("time_start", ""), first_where, "time_start", problems, end=False)
    end = _time(first.get("time_end", ""), first_where, "time_end", problems, end=True)
    lines: list[Line] = []
    seen: dict[str, str] = {}
    hit: list[Count] = []
    debris: list[Count] = []
    names: dict[str, list[str]] = {"regions": [], "launch_areas": [], "carriers": []}
    kept: dict[str, dict[str, str]] = {}
    canonical: list[dict[str, Any]] = []
    for where, cells in members:
        numbers = {c: _number(cells.get(c, ""), where, c, problems) for c in _NUMBER_COLUMNS}
        # The cells as the hash reads them: the window and source are the series already (and
        # a time written with seconds is the same time); numbers as numbers.
        canonical.append(
            {
                c: v if (n := numbers.get(c)) is None else n.low
                for c, v in sorted(cells.items())
                if v and c not in _KEY_COLUMNS
            }
        )
        model = cells.get("model", "")
        if not model:
            problems.append(Problem(where, "model", "is required"))
            continue
        if model in seen:
            problems.append(
                Problem(where, "model", f"{model!r} twice in one attack ({seen[model]})")
            )
            continue
        seen[model] = where
        wclass = model_class(model)
        if wclass is None:
            unmapped[model] += 1
            wclass = "other"
        counts = {name: numbers[col] for col, name in LINE_COLUMNS.items()}
        if counts["crossed_border"] is None:
            counts["crossed_border"] = Count.total(numbers[c] for c in OLD_CROSSING)
        lines.append(Line(wclass, model, None, **counts))
        if numbers["turbojet"] is not None or numbers["turbojet_destroyed"] is not None:
            jet = Line(
                wclass,
                f"{model} (turbojet)",
                model,
                launched=numbers["turbojet"],
                destroyed=numbers["turbojet_destroyed"],
            )
            lines.append(jet)
        for column, found in (("num_hit_location", hit), ("num_fall_fragment_location", debris)):
            if (places := numbers[column]) is not None:
                found.append(places)
        names["regions"].extend(_names(cells.get("affected_region", "")))
        names["launch_areas"].extend(_names(cells.get("launch_place", "")))
        names["carriers"].extend(_names(cells.get("carrier", "")))
        other = {c: v for c, v in cells.items() if c not in MAPPED_COLUMNS and v}
        if other:
            kept[model] = other
    if problems:
        raise InputError(problems)
    assert start is not None and end is not None  # else a problem was raised
    source = first.get("source", "")
    series = series_key(start, end, source)
    digest = hashlib.sha256(
        json.dumps(sorted(canonical, key=_sort_key), ensure_ascii=False).encode()
    ).hexdigest()[:12]
    extra: dict[str, Any] = {"series": series}
    if kept:
        extra["columns"] = kept
    return Tally(
        id=f"{series}@{digest}",
        issuer=ISSUER,
        attacker=ATTACKER,
        window_from=start,
        window_to=end,
        lines=tuple(lines),
        locations_hit=_locations(hit),
        locations_debris=_locations(debris),
        regions=tuple(dict.fromkeys(names["regions"])),
        launch_areas=tuple(dict.fromkeys(names["launch_areas"])),
        carriers=tuple(dict.fromkeys(names["carriers"])),
        source=source or None,
        extra=extra,
    )


def _sort_key(row: dict[str, Any]) -> str:
    return json.dumps(row, sort_keys=True, ensure_ascii=False)


def _locations(per_row: list[Count]) -> Count | None:
    """The attack's locations from its rows' figures: at least the largest (every row may count
    the same places), at most their sum (no two rows share one). The data set does not say."""
    if not per_row:
        return None
    total = Count.total(per_row)
    assert total is not None
    return Count(max(c.low for c in per_row), total.high)


def _time(
    text: str, where: str, column: str, problems: list[Problem], *, end: bool
) -> datetime | None:
    """A data set time (``2025-02-16 18:00``, or a date alone) in Kyiv time; a date alone is the
    start of that day, or for ``time_end`` its end. An ambiguous autumn hour reads as the first."""
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        problems.append(
            Problem(where, column, f"must be a time like 2025-02-16 18:00, got {text!r}")
        )
        return None
    if end and len(text) == len("2025-02-16"):
        at += timedelta(days=1)
    return at if at.tzinfo is not None else at.replace(tzinfo=KYIV)


def _moment(text: str, *, end: bool) -> object:
    """A time as the rows of one attack share it (``18:00`` and ``18:00:00`` are one time); the
    text itself when it cannot be read, which :func:`_tally` then reports."""
    at = _time(text, "", "", [], end=end)
    return text if at is None else at


def _number(text: str, where: str, column: str, problems: list[Problem]) -> Count | None:
    """A count cell: an empty one is not published (``None``, never 0); ``173.0`` is how a
    spreadsheet round-trip writes 173."""
    if not text:
        return None
    match = _NUMBER.fullmatch(text)
    if match is None:
        problems.append(Problem(where, column, f"must be a whole number >= 0, got {text!r}"))
        return None
    return Count.exact(int(match.group(1)))


def _names(text: str) -> list[str]:
    """The names of a cell: a list written as ``['Kyiv', 'Odesa']`` or separated by commas,
    semicolons or "and"."""
    if not text:
        return []
    if text.startswith("["):
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            value = None
        if isinstance(value, list):
            return [str(v).strip() for v in value if str(v).strip()]
    names = (name.strip("'\" ") for name in _NAME_SPLIT.split(text.strip("[]")))
    return [name for name in names if name]


def _normal(name: str) -> str:
    """A model name as :data:`MODELS` spells it."""
    name = name.casefold().strip().replace("–", "-").replace("—", "-")
    name = re.sub(r"\s*-\s*|(?<=[a-zа-я])\s+(?=\d)", "-", name)  # "Kh - 101", "Kh 101"
    name = re.sub(r"^[xх]-(?=\d)", "kh-", name)  # Latin x or Cyrillic kha
    return re.sub(r"^[cс]-(?=\d)", "s-", name)  # Latin c or Cyrillic es


def model_class(model: str) -> str | None:
    """The tally class of a model text (``"Shahed-136/131"``, ``"X-101/X-555"``), or ``None``
    when the table does not know a part of it or its parts have no one class.

    A part that is a number alone takes the name before it (``Shahed-136/131`` is the 136 and
    the 131); strike drones bundled with decoys are ``drone``, missiles of several classes
    ``missile``.

    >>> model_class("X-101/X-555"), model_class("Shahed-136/131, Gerbera")
    ('cruise_missile', 'drone')
    >>> model_class("Shahed-136/131, Kalibr") is None
    True
    """
    classes: set[str] = set()
    stem = ""
    for raw in _SPLIT.split(model.casefold()):
        part = _normal(raw)
        if not part:
            continue
        if part.isdigit():
            part = stem + part
        stem = part[: match.start()] if (match := re.search(r"\d", part)) else ""
        wclass = MODELS.get(part)
        if wclass is None:
            return None
        classes.add(wclass)
    if len(classes) == 1:
        return classes.pop()
    if classes and classes <= set(DRONE_CLASSES):
        return "drone"
    if classes and classes <= set(MISSILE_CLASSES):
        return "missile"
    return None


def chain_versions(imported: Iterable[Tally], held: Iterable[Tally]) -> list[Tally]:
    """The tallies of ``imported`` that are new against ``held``, each superseding the held
    version of its series (``extra["series"]``; a tally without one is its own series).

    An imported tally whose content is the series' current version gives nothing. Otherwise it
    is a new version, ``supersedes`` set to the current one; if its id is already held (the
    upstream row was edited back to an earlier content) it gets ``~N`` after its id, N the
    series' number of versions with it, as an id names one version for good. The current
    version is the one no other held version supersedes (the last held, should there be two).
    """
    held = list(held)
    ids = {t.id for t in held}
    current: dict[str, Tally] = {}
    versions: Counter[str] = Counter()
    superseded = {t.supersedes for t in held if t.supersedes is not None}
    for t in held:
        versions[_series(t)] += 1
        if t.id not in superseded:
            current[_series(t)] = t
    new: list[Tally] = []
    for t in imported:
        series = _series(t)
        now = current.get(series)
        if now is not None and _content(now.id) == _content(t.id):
            continue
        if t.id in ids:
            t = replace(t, id=f"{t.id}~{versions[series] + 1}")
        t = replace(t, supersedes=now.id if now is not None else None)
        new.append(t)
        ids.add(t.id)
        current[series] = t
        versions[series] += 1
    return new


def missing_series(imported: Iterable[Tally], held: Iterable[Tally]) -> list[Tally]:
    """The current held versions of the data set's series that ``imported`` does not have:
    attacks deleted upstream, or a file cut short. Nothing is withdrawn for them (the record
    keeps what was published); the caller says so, as a shrinking file is worth a look."""
    present = {_series(t) for t in imported}
    superseded = {t.supersedes for t in held if t.supersedes is not None}
    return [
        t
        for t in held
        if t.id not in superseded
        and _series(t).startswith(f"{SERIES_PREFIX}:")
        and _series(t) not in present
    ]


def _series(t: Tally) -> str:
    series = t.extra.get("series")
    return series if isinstance(series, str) else t.id


def _content(tally_id: str) -> str:
    """The id without what :func:`chain_versions` adds to it."""
    return tally_id.partition("~")[0]
