"""The daily report's sections as text: headings, sentences and tables of strings.

The HTML and the PDF draw the same sections from this one layout, so the two say the same thing
in the same words and the same order (the order a mission reads them, after the OSCE SMM's daily
report: summary, violations by region and party against the previous period, weapons in
withdrawal zones, ..., restrictions). Every value of the report data (``ceasefire-daily-report/1``,
see docs/report.md) becomes a string here; the renderers only lay the strings out, as text:
names and reasons come from the parties, and one of them may be hostile.

Values become words in :mod:`ceasefire.report.wording` (zeros included: "none recorded;
observed 62% of the window").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from ceasefire.agreement.model import Agreement
from ceasefire.report.wording import (
    change,
    count_text,
    estimate,
    number,
    party,
    percent,
    span,
    tally,
    tier,
    when,
)

Align = Literal["left", "right"]

#: The section headings, in the report's order (the HTML's and the PDF's tests check each).
HEADINGS: Final = (
    "Summary",
    "Violations by oblast",
    "Violations by party",
    "By rule and weapon",
    "Verification",
    "Weapons in the DMZ and withdrawal zones",
    "Strikes",
    "Harm",
    "Hotline",
    "Coverage",
    "Annex",
)


@dataclass(frozen=True)
class Text:
    """A paragraph."""

    text: str
    kind: Literal["text"] = "text"


@dataclass(frozen=True)
class Table:
    """A table of strings; ``align`` per column (numbers right), ``empty`` when it has no row.

    ``widths`` (percent of the line, summing to 100) marks a long table: the PDF sets its rows as
    lines of fixed-width cells, about four times faster in Typst than a table for the annex of a
    busy night (2,000 rows: 0.6 s against 2.5 s, benchmarks/report_render.py).
    """

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    align: tuple[Align, ...]
    empty: str = "None recorded."
    widths: tuple[int, ...] = ()
    kind: Literal["table"] = "table"


@dataclass(frozen=True)
class Figure:
    """One of the figures of :mod:`ceasefire.report.figures`, named by ``name``."""

    name: str
    caption: str
    kind: Literal["figure"] = "figure"


Block = Text | Table | Figure


@dataclass(frozen=True)
class Section:
    """One heading and what follows it."""

    key: str
    title: str
    blocks: tuple[Block, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Header:
    """What the report states about itself before the first section."""

    title: str
    as_of: str
    tier: str
    checkpoint: str
    agreement: str
    period: str
    previous: str


def _get(data: Mapping[str, Any], key: str) -> Any:
    value = data.get(key)
    return {} if value is None else value


# --- the sections ----------------------------------------------------------------------------


def header(data: Mapping[str, Any]) -> Header:
    """The report's header lines."""
    cp, ag = _get(data, "checkpoint"), _get(data, "agreement")
    return Header(
        title=f"Daily report {data.get('date', '')}",
        as_of=f"Information as of {data.get('cutoff_local', '')}",
        tier=f"Tier: {tier(str(data.get('tier', '')))}",
        checkpoint=(
            f"Ledger checkpoint: size {number(cp.get('size'))}, root {cp.get('root', '')}"
            f" ({cp.get('origin', '')}, signed {when(cp.get('signed_at'))} UTC)"
        ),
        agreement=f"Agreement: {ag.get('title', '')} ({ag.get('id', '')}, version {ag.get('version', '')})",
        period=f"Period: {span(data.get('period'))}",
        previous=f"Previous period: {span(data.get('previous'))}",
    )


def _summary(data: Mapping[str, Any], figures: Sequence[str]) -> Section:
    s = _get(data, "summary")
    rows = (
        ("Reports", number(s.get("reports"))),
        ("Incidents", number(s.get("incidents"))),
        ("Violations", count_text(s.get("violations"))),
        ("Violations in the previous period", number(s.get("previous_violations"))),
        ("Verified", number(s.get("verified"))),
        ("Corroborated", number(s.get("corroborated"))),
        ("Only reported", number(s.get("reported"))),
    )
    blocks: list[Block] = [Text(str(line)) for line in s.get("lines") or ()]
    blocks.append(Table("Key figures", ("", "Count"), rows, ("left", "right")))
    if "map" in figures:
        blocks.append(
            Figure("map", "The line of contact, the DMZ, the withdrawal zones and the violations.")
        )
    return Section("summary", HEADINGS[0], tuple(blocks))


def _by_oblast(data: Mapping[str, Any], figures: Sequence[str]) -> Section:
    rows = tuple(
        (
            str(r.get("oblast", "")),
            count_text(r.get("count"), r.get("observed")),
            number(r.get("previous")),
            change(r.get("count"), r.get("previous")),
            percent(r.get("observed")),
        )
        for r in data.get("violations_by_oblast") or ()
    )
    blocks: list[Block] = [
        Table(
            "Violations by oblast, against the previous period",
            ("Oblast", "Violations", "Previous period", "Change", "Observed"),
            rows,
            ("left", "right", "right", "right", "right"),
        )
    ]
    if "by_oblast" in figures:
        blocks.append(Figure("by_oblast", "Violations by oblast: this period and the previous."))
    return Section("by-oblast", HEADINGS[1], tuple(blocks))


def _by_party(data: Mapping[str, Any], agreement: Agreement, figures: Sequence[str]) -> Section:
    rows = tuple(
        (
            party(agreement, r.get("party")),
            count_text(r.get("count")),
            number(r.get("previous")),
            change(r.get("count"), r.get("previous")),
        )
        for r in data.get("violations_by_party") or ()
    )
    blocks: list[Block] = [
        Text("The party held responsible: as assessed, else the party the rule binds."),
        Table(
            "Violations by party held responsible, against the previous period",
            ("Party", "Violations", "Previous period", "Change"),
            rows,
            ("left", "right", "right", "right"),
        ),
    ]
    if "by_party" in figures:
        blocks.append(Figure("by_party", "Violations by party: this period and the previous."))
    return Section("by-party", HEADINGS[2], tuple(blocks))


def _by_rule(data: Mapping[str, Any]) -> Section:
    rows = tuple(
        (
            str(r.get("rule", "")),
            str(r.get("weapon_class") or "unspecified"),
            count_text(r.get("count")),
            number(r.get("previous")),
            change(r.get("count"), r.get("previous")),
        )
        for r in data.get("violations_by_rule") or ()
    )
    table = Table(
        "Violations by rule and weapon class",
        ("Rule", "Weapon class", "Violations", "Previous period", "Change"),
        rows,
        ("left", "left", "right", "right", "right"),
    )
    return Section("by-rule", HEADINGS[3], (table,))


def _verification(data: Mapping[str, Any]) -> Section:
    v = _get(data, "verification")
    rows = (
        ("Verified", "a monitor confirmed it", number(v.get("verified"))),
        ("Corroborated", "independent sources agree", number(v.get("corroborated"))),
        ("Only reported", "one source so far", number(v.get("reported"))),
        ("Dismissed", "found unfounded", number(v.get("dismissed"))),
    )
    table = Table(
        "Incidents of the period by verification status",
        ("Status", "Meaning", "Incidents"),
        rows,
        ("left", "left", "right"),
    )
    return Section("verification", HEADINGS[4], (table,))


def _zones(data: Mapping[str, Any], agreement: Agreement) -> Section:
    rows = tuple(
        (
            str(r.get("incident", "")),
            str(r.get("zone", "")),
            str(r.get("zone_kind", "")),
            str(r.get("weapon_class") or "unspecified"),
            party(agreement, r.get("party")),
            when(r.get("at")),
            str(r.get("status", "")),
        )
        for r in data.get("zones") or ()
    )
    table = Table(
        "Weapons and armed presence inside the DMZ or a withdrawal zone",
        ("Incident", "Zone", "Kind", "Weapon class", "Party", "At (UTC)", "Status"),
        rows,
        ("left",) * 7,
        empty="None recorded in the DMZ or the withdrawal zones (coverage: see Coverage).",
    )
    return Section("zones", HEADINGS[5], (table,))


def _strikes(data: Mapping[str, Any]) -> Section:
    blocks: list[Block] = []
    for s in data.get("strikes") or ():
        title = f"Attack {s.get('attack', '')}, {span(s.get('window'))}"
        accounts = tuple(
            (
                str(a.get("issuer", "")),
                tally(a.get("launched")),
                tally(a.get("destroyed")),
                tally(a.get("hit")),
                number(a.get("regions")),
            )
            for a in s.get("accounts") or ()
        )
        blocks.append(
            Table(
                f"{title}: each side's account",
                ("Issuer", "Launched", "Destroyed", "Hit", "Regions"),
                accounts,
                ("left", "left", "left", "left", "right"),
            )
        )
        diffs = tuple(
            (
                str(d.get("field", "")),
                "; ".join(f"{k} {number(v)}" for k, v in sorted((d.get("values") or {}).items())),
            )
            for d in s.get("differences") or ()
        )
        blocks.append(
            Table(
                f"{title}: where the accounts differ",
                ("Field", "Values"),
                diffs,
                ("left", "left"),
                empty="The accounts agree.",
            )
        )
    if not blocks:
        blocks.append(Text("No strike tally for an attack in the period."))
    return Section("strikes", HEADINGS[6], tuple(blocks))


def _harm(data: Mapping[str, Any]) -> Section:
    h = _get(data, "harm")
    blocks: list[Block] = [
        Text(
            f"Killed: {estimate(h.get('killed'))}. Injured: {estimate(h.get('injured'))}. "
            "Ranges are low–high around the best estimate."
        ),
        Table(
            "Casualties by oblast",
            ("Oblast", "Killed", "Injured"),
            tuple(
                (str(r.get("oblast", "")), estimate(r.get("killed")), estimate(r.get("injured")))
                for r in h.get("by_oblast") or ()
            ),
            ("left", "right", "right"),
        ),
        Table(
            "Infrastructure hit",
            ("Category", "Count"),
            tuple(
                (str(r.get("category", "")), number(r.get("count")))
                for r in h.get("infrastructure") or ()
            ),
            ("left", "right"),
        ),
        Table(
            "People affected",
            ("Oblast", "What", "People"),
            tuple(
                (str(r.get("oblast", "")), str(r.get("what", "")), estimate(r.get("count")))
                for r in h.get("people_affected") or ()
            ),
            ("left", "left", "right"),
        ),
    ]
    return Section("harm", HEADINGS[7], tuple(blocks))


def _minutes(value: Any, none: str) -> str:
    return none if value is None else f"{float(value):.1f} min"


def _hotline(data: Mapping[str, Any], agreement: Agreement) -> Section:
    h = _get(data, "hotline")
    rows = (
        ("Notifications", number(h.get("notifications"))),
        ("Acknowledged", number(h.get("acknowledged"))),
        ("Answered", number(h.get("answered"))),
        ("Overdue", number(h.get("overdue"))),
        ("Escalations", number(h.get("escalations"))),
        (
            "Median time to acknowledge",
            _minutes(h.get("median_minutes_to_acknowledge"), "none acknowledged"),
        ),
        ("Median time to answer", _minutes(h.get("median_minutes_to_answer"), "none answered")),
    )
    denied = tuple(
        (
            when(r.get("at")),
            party(agreement, r.get("by")),
            str(r.get("place", "")),
            str(r.get("reason", "")),
        )
        for r in h.get("access_denied") or ()
    )
    return Section(
        "hotline",
        HEADINGS[8],
        (
            Table("Hotline traffic of the period", ("", "Count"), rows, ("left", "right")),
            Table(
                "Access requests denied, and why",
                ("At (UTC)", "Denied by", "Place", "Stated reason"),
                denied,
                ("left",) * 4,
                empty="No access request denied.",
            ),
        ),
    )


def _coverage(data: Mapping[str, Any], agreement: Agreement) -> Section:
    c = _get(data, "coverage")
    observed = tuple(
        (str(r.get("oblast", "")), percent(r.get("observed"))) for r in c.get("by_oblast") or ()
    )
    down = tuple(
        (
            str(r.get("sensor", "")),
            str(r.get("status", "")),
            when(r.get("start")),
            when(r.get("end")),
            str(r.get("oblast") or ""),
        )
        for r in c.get("sensors_down") or ()
    )
    restrictions = tuple(
        (
            when(r.get("at")),
            str(r.get("place", "")),
            str(r.get("oblast") or ""),
            party(agreement, r.get("by")),
            str(r.get("reason", "")),
            str(r.get("source", "")),
        )
        for r in c.get("restrictions") or ()
    )
    return Section(
        "coverage",
        HEADINGS[9],
        (
            Text(
                "The share of the period some working sensor or patrol could see. "
                "Where nothing was recorded, this says whether anyone could have seen it."
            ),
            Table(
                "Observed share of the period by oblast",
                ("Oblast", "Observed"),
                observed,
                ("left", "right"),
                empty="Coverage unknown: no sensor status or patrol track in the period.",
            ),
            Table(
                "Sensors not operational",
                ("Sensor", "Status", "From (UTC)", "To (UTC)", "Oblast"),
                down,
                ("left",) * 5,
                empty="No sensor reported down or jammed.",
            ),
            Table(
                "Restrictions of freedom of movement",
                ("At (UTC)", "Place", "Oblast", "By", "Stated reason", "Source"),
                restrictions,
                ("left",) * 6,
                empty="No restriction recorded.",
            ),
        ),
    )


#: The annex's columns (the benchmark's peer writes the same).
ANNEX_COLUMNS: Final = (
    "Incident",
    "Rule",
    "Party",
    "Status",
    "Start (UTC)",
    "End (UTC)",
    "Oblast",
    "Place",
    "Lon, lat",
    "Event, weapon",
    "Count",
    "Sources",
)


#: The annex's column widths in the PDF, percent of a landscape page's line.
ANNEX_WIDTHS: Final = (8, 11, 7, 8, 9, 9, 8, 13, 9, 10, 4, 4)


def annex_row(r: Mapping[str, Any]) -> tuple[str, ...]:
    """One annex row as the report writes it."""
    lon, lat = r.get("lon"), r.get("lat")
    placed = isinstance(lon, int | float) and isinstance(lat, int | float)
    where = f"{lon:.3f}, {lat:.3f}" if placed else ""
    what = ", ".join(str(x) for x in (r.get("event_type"), r.get("weapon_class")) if x)
    return (
        str(r.get("incident", "")),
        str(r.get("rule", "")),
        str(r.get("party") or "unattributed"),
        str(r.get("status", "")),
        when(r.get("start")),
        when(r.get("end")),
        str(r.get("oblast") or ""),
        str(r.get("place") or ""),
        where,
        what,
        number(r.get("count")),
        number(r.get("sources")),
    )


def _annex(data: Mapping[str, Any]) -> Section:
    table = Table(
        "Every violation of the period",
        ANNEX_COLUMNS,
        tuple(annex_row(r) for r in data.get("annex") or ()),
        ("left",) * 10 + ("right", "right"),
        empty="No violation recorded in the period (coverage: see Coverage).",
        widths=ANNEX_WIDTHS,
    )
    return Section("annex", HEADINGS[10], (table,))


def sections(
    data: Mapping[str, Any], agreement: Agreement, figures: Sequence[str] = ()
) -> tuple[Section, ...]:
    """The report's sections in order; ``figures`` names the figures drawn (the others are left
    out: a chart of nothing says nothing the table does not)."""
    return (
        _summary(data, figures),
        _by_oblast(data, figures),
        _by_party(data, agreement, figures),
        _by_rule(data),
        _verification(data),
        _zones(data, agreement),
        _strikes(data),
        _harm(data),
        _hotline(data, agreement),
        _coverage(data, agreement),
        _annex(data),
    )
