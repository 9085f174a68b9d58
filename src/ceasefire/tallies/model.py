"""The strike tally: one issuer's account of one attack window, per weapon, as published.

A party's air force publishes each morning how many drones and missiles the other party launched
overnight, how many were shot down, suppressed by electronic warfare or lost from radar, how many
hit, where. The other party publishes its own account; the mission counts what it recorded. A
:class:`Tally` holds one such account as it was published:

- ``issuer`` (a party code or ``mission``), ``attacker`` (the party whose weapons are counted),
  the window (tz-aware; "the night of 26 September, from 18:00 on the 25th"), the ``scope``
  (``national``, a regional ``command``, one ``oblast``) and the time it was issued;
- one :class:`Line` per weapon model or class, each count a :class:`~ceasefire.counts.Count`
  (exact or an interval). A line may be a sub-count of another (``part_of``: "over 50 of them
  jet-powered"): such a line is never added to a total;
- where: locations hit and with debris, the regions affected (names, or only their number),
  launch areas and carriers; the casualties the issuer states;
- ``supersedes``: the id of the issuer's earlier tally this one corrects. Both are kept.

Nothing here rejects a tally for numbers that do not add up: :mod:`ceasefire.tallies.checks`
flags them, because a bulletin is evidence as published, and a mistake in it is a fact too. What
is refused is what cannot be read: a missing or badly typed field, a time without an offset, an
unknown weapon class, two lines with one label, a sub-count of a line that is not there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from ceasefire.counts import Count
from ceasefire.errors import InputError, Problem
from ceasefire.ids import id_problem
from ceasefire.vocab import MISSION, NOT_PARTY_CODES

#: Weapon classes of a tally. Decoys are their own class (a "Gerbera" or "Parodiya" imitator
#: draws fire but carries nothing), so a strike-drone hit rate can leave them out; ``drone`` is a
#: bulletin's count that does not tell strike drones from decoys.
TALLY_CLASSES: Final = (
    "strike_drone",
    "decoy_drone",
    "drone",
    "cruise_missile",
    "ballistic_missile",
    "aeroballistic_missile",
    "guided_air_missile",
    "anti_aircraft_missile",
    "missile",
    "guided_bomb",
    "other",
)
#: The families the derived figures and the extraction speak of.
DRONE_CLASSES: Final = ("strike_drone", "decoy_drone", "drone")
MISSILE_CLASSES: Final = (
    "cruise_missile",
    "ballistic_missile",
    "aeroballistic_missile",
    "guided_air_missile",
    "anti_aircraft_missile",
    "missile",
)
#: What happened to the weapons of a line; every outcome is a part of ``launched``.
OUTCOMES: Final = ("destroyed", "suppressed", "lost", "hit", "airborne", "crossed_border")
#: Every count of a line, ``launched`` first.
LINE_COUNTS: Final = ("launched", *OUTCOMES)
SCOPES: Final = ("national", "command", "oblast")

MAX_ID: Final = 200
#: The fields of a line, in the order the files write them.
LINE_FIELDS: Final = ("weapon_class", "model", "part_of", *LINE_COUNTS)
_LINE_KEYS: Final = frozenset(LINE_FIELDS)


@dataclass(frozen=True)
class Line:
    """One weapon model or class of a tally: its counts, each ``None`` when not published."""

    weapon_class: str
    model: str | None = None
    part_of: str | None = None
    launched: Count | None = None
    destroyed: Count | None = None
    suppressed: Count | None = None
    lost: Count | None = None
    hit: Count | None = None
    airborne: Count | None = None
    crossed_border: Count | None = None

    @property
    def label(self) -> str:
        """How other lines refer to this one: its model, else its class."""
        return self.model or self.weapon_class

    def count(self, name: str) -> Count | None:
        value: Count | None = getattr(self, name)
        return value

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"weapon_class": self.weapon_class}
        if self.model is not None:
            out["model"] = self.model
        if self.part_of is not None:
            out["part_of"] = self.part_of
        for name in LINE_COUNTS:
            value = self.count(name)
            if value is not None:
                out[name] = value.to_json()
        return out


@dataclass(frozen=True)
class Tally:
    """One issuer's account of one attack window (see the module docstring)."""

    id: str
    issuer: str
    attacker: str
    window_from: datetime
    window_to: datetime
    lines: tuple[Line, ...]
    scope: str = "national"
    scope_name: str | None = None
    issued_at: datetime | None = None
    locations_hit: Count | None = None
    locations_debris: Count | None = None
    regions: tuple[str, ...] = ()
    regions_count: Count | None = None
    launch_areas: tuple[str, ...] = ()
    carriers: tuple[str, ...] = ()
    killed: Count | None = None
    injured: Count | None = None
    source: str | None = None
    supersedes: str | None = None
    notes: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def line(self, label: str) -> Line | None:
        return next((ln for ln in self.lines if ln.label == label), None)

    @property
    def top_lines(self) -> tuple[Line, ...]:
        """The lines that are no other line's part: the ones a total may add up."""
        return tuple(ln for ln in self.lines if ln.part_of is None)

    def total(self, name: str, classes: Sequence[str] | None = None) -> Count | None:
        """The sum of count ``name`` over the top lines (of ``classes`` when given); ``None``
        when none of them publishes it. Sub-counts never enter it.

        A line that does not publish the count adds what it allows, not 0: an outcome (shot
        down, hit...) between 0 and the line's launched, a launched figure at least the sum of
        the line's outcomes. "352 of 400 drones shot down; 4 of 29 missiles hit" has 4 to 403
        hits in all, not 4.
        """
        lines = [ln for ln in self.top_lines if classes is None or ln.weapon_class in classes]
        if all(ln.count(name) is None for ln in lines):
            return None
        return Count.total(_allowed(ln, name) for ln in lines)

    def to_dict(self) -> dict[str, Any]:
        """The tally in its JSON form (what :func:`read_tally` reads back to an equal tally)."""
        out: dict[str, Any] = dict(self.extra)
        out.update(
            id=self.id,
            issuer=self.issuer,
            attacker=self.attacker,
            window_from=self.window_from.isoformat(),
            window_to=self.window_to.isoformat(),
            scope=self.scope,
            lines=[ln.to_dict() for ln in self.lines],
        )
        optional: dict[str, Any] = {
            "scope_name": self.scope_name,
            "issued_at": self.issued_at.isoformat() if self.issued_at else None,
            "locations_hit": self.locations_hit,
            "locations_debris": self.locations_debris,
            "regions": list(self.regions) or None,
            "regions_count": self.regions_count,
            "launch_areas": list(self.launch_areas) or None,
            "carriers": list(self.carriers) or None,
            "killed": self.killed,
            "injured": self.injured,
            "source": self.source,
            "supersedes": self.supersedes,
            "notes": self.notes,
        }
        for key, value in optional.items():
            if value is not None:
                out[key] = value.to_json() if isinstance(value, Count) else value
        return out


def _allowed(line: Line, name: str) -> Count:
    """Count ``name`` of a line: as published, else the interval the line's other counts allow."""
    value = line.count(name)
    if value is not None:
        return value
    if name == "launched":
        least = Count.total(line.count(n) for n in OUTCOMES)
        return Count(0 if least is None else least.low, None)
    most = None if line.launched is None else line.launched.high
    return Count(0, most)


#: The fields of a tally but its lines, in the order the files write them; any other top-level
#: field is kept as ``extra``.
TALLY_FIELDS: Final = (
    "id", "issuer", "attacker", "window_from", "window_to", "scope", "scope_name", "issued_at",
    "locations_hit", "locations_debris", "regions", "regions_count", "launch_areas", "carriers",
    "killed", "injured", "source", "supersedes", "notes",
)  # fmt: skip
_TALLY_KEYS: Final = frozenset((*TALLY_FIELDS, "lines"))
#: The fields of a tally that are counts, and those that are lists of names.
TALLY_COUNTS: Final = ("locations_hit", "locations_debris", "regions_count", "killed", "injured")
TALLY_NAMES: Final = ("regions", "launch_areas", "carriers")


class _Reader:
    """Collects every problem of one tally, so the caller sees them all at once."""

    def __init__(self, data: Mapping[str, Any], where: str) -> None:
        self.data, self.where = data, where
        self.problems: list[Problem] = []

    def fail(self, name: str, reason: str) -> None:
        self.problems.append(Problem(self.where, name, reason))

    def text(self, data: Mapping[str, Any], name: str, path: str, required: bool = False) -> Any:
        value = data.get(name)
        if value is None:
            if required:
                self.fail(path, "is required")
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(path, f"must be non-blank text, got {value!r}")
            return None
        return value.strip()

    def party(self, name: str, mission: bool) -> Any:
        value = self.text(self.data, name, name, required=True)
        if value is None:
            return None
        if value == MISSION and mission:
            return value
        if value in NOT_PARTY_CODES:
            self.fail(
                name, f"must be a party code{' or mission' if mission else ''}, got {value!r}"
            )
            return None
        return value

    def time(self, name: str, required: bool) -> datetime | None:
        value = self.data.get(name)
        if value is None:
            if required:
                self.fail(name, "is required")
            return None
        try:
            at = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            at = None
        if at is None:
            self.fail(name, f"must be an ISO 8601 time, got {value!r}")
            return None
        if at.utcoffset() is None:
            self.fail(name, "must carry a UTC offset (e.g. +02:00 or Z)")
            return None
        return at

    def count(self, data: Mapping[str, Any], name: str, path: str) -> Count | None:
        try:
            return Count.parse(data.get(name), path, self.where)
        except InputError as exc:
            self.problems.extend(exc.problems)
            return None

    def names(self, name: str) -> tuple[str, ...]:
        value = self.data.get(name)
        if value is None:
            return ()
        if isinstance(value, str):  # a CSV cell: names separated by semicolons
            value = [v for v in value.split(";") if v.strip()]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.fail(name, "must be a list of names")
            return ()
        return tuple(dict.fromkeys(v.strip() for v in value))

    def line(self, data: Any, i: int) -> Line | None:
        path = f"lines[{i}]"
        if not isinstance(data, Mapping):
            self.fail(path, "must be an object")
            return None
        for key in sorted(set(data) - _LINE_KEYS):
            self.fail(f"{path}.{key}", "unknown field of a tally line")
        wclass = self.text(data, "weapon_class", f"{path}.weapon_class", required=True)
        if wclass is not None and wclass not in TALLY_CLASSES:
            self.fail(f"{path}.weapon_class", f"must be one of: {', '.join(TALLY_CLASSES)}")
            wclass = None
        counts = {n: self.count(data, n, f"{path}.{n}") for n in LINE_COUNTS}
        model = self.text(data, "model", f"{path}.model")
        part_of = self.text(data, "part_of", f"{path}.part_of")
        if wclass is None:
            return None
        return Line(wclass, model, part_of, **counts)


def read_tally(data: Mapping[str, Any], *, where: str = "") -> Tally:
    """A :class:`Tally` from its JSON form; every problem found at once, as :class:`InputError`.

    Unknown top-level fields are kept (``extra``) and written back; an unknown field of a line
    is refused, as a misspelt count would otherwise vanish from every sum.
    """
    if not isinstance(data, Mapping):
        raise InputError(Problem(where, "", "a tally must be a JSON object"))
    r = _Reader(data, where)
    tally_id = r.text(data, "id", "id", required=True)
    if tally_id is not None and (why := id_problem(tally_id, MAX_ID)) is not None:
        r.fail("id", why)
    issuer = r.party("issuer", mission=True)
    attacker = r.party("attacker", mission=False)
    window_from, window_to = r.time("window_from", True), r.time("window_to", True)
    issued_at = r.time("issued_at", False)
    scope = data.get("scope", "national")
    if scope not in SCOPES:
        r.fail("scope", f"must be one of: {', '.join(SCOPES)}")
    scope_name = r.text(data, "scope_name", "scope_name")
    if scope in ("command", "oblast") and scope_name is None:
        r.fail("scope_name", f"is required for a {scope} tally (which {scope})")
    raw_lines = data.get("lines")
    lines: list[Line] = []
    if not isinstance(raw_lines, list) or not raw_lines:
        r.fail("lines", "must be a non-empty list of weapon lines")
    else:
        read = [(i, r.line(raw, i)) for i, raw in enumerate(raw_lines)]
        numbered = [(i, ln) for i, ln in read if ln is not None]
        lines = [ln for _, ln in numbered]
        seen: dict[str, int] = {}
        for i, ln in numbered:
            if ln.label in seen:
                first = seen[ln.label]
                r.fail(f"lines[{i}]", f"a second line for {ln.label!r} (first: lines[{first}])")
            seen.setdefault(ln.label, i)
        for i, ln in numbered:
            if ln.part_of is not None and (ln.part_of not in seen or ln.part_of == ln.label):
                r.fail(f"lines[{i}].part_of", f"names no other line of this tally: {ln.part_of!r}")
    count = {n: r.count(data, n, n) for n in TALLY_COUNTS}
    text = {n: r.text(data, n, n) for n in ("source", "supersedes", "notes")}
    if text["supersedes"] is not None and text["supersedes"] == tally_id:
        r.fail("supersedes", "a tally cannot supersede itself")
    names = {n: r.names(n) for n in TALLY_NAMES}
    if r.problems:
        raise InputError(r.problems)
    assert window_from is not None and window_to is not None  # else a problem was raised
    return Tally(
        id=tally_id,
        issuer=issuer,
        attacker=attacker,
        window_from=window_from,
        window_to=window_to,
        lines=tuple(lines),
        scope=scope,
        scope_name=scope_name,
        issued_at=issued_at,
        locations_hit=count["locations_hit"],
        locations_debris=count["locations_debris"],
        regions=names["regions"],
        regions_count=count["regions_count"],
        launch_areas=names["launch_areas"],
        carriers=names["carriers"],
        killed=count["killed"],
        injured=count["injured"],
        source=text["source"],
        supersedes=text["supersedes"],
        notes=text["notes"],
        extra={k: v for k, v in data.items() if k not in _TALLY_KEYS},
    )
