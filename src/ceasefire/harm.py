"""Harm: the casualties, infrastructure and people an incident's reports state, combined once,
and rolled up per reporting day and per oblast.

**Combining an incident's reports** (:func:`combine`, called by
:func:`ceasefire.fusion.incidents.summarise`). The reports of one incident describe the same
event and the same people, so their figures are never added up: three reports of "9 injured"
are 9 injured. Each figure is combined in two steps:

1. *Per source, its latest figure.* A source is fusion's ``source_key`` (a party is one source
   however many of its agencies report, every news outlet its own). A source that reports
   again revises itself ("2 injured", then "9 injured" as the hospitals count): its latest
   report that states the figure stands for it, latest by ``observed_to`` (else
   ``observed_from``), then ``observed_from``, then the report id, so the choice depends on the
   set of reports only and bulk and incremental fusion agree. One source repeating itself ten
   times is one figure, not ten votes for its number.
2. *Across sources.* ``low`` = the smallest source's figure, ``best`` = their median (halves
   rounded up), ``high`` = the largest. The interval holds the truth whenever one source is
   right, and no one source, a hostile party included, can narrow it: a party that inflates
   raises ``high`` only, one that plays its strike down lowers ``low`` only.

Infrastructure hit and what people are without are the union of every member's categories
(a category any report names was hit, as far as the reports go). People affected combine as
the casualties do, on intervals: ``[min of the sources' lows, max of their highs]`` (``max``
unbounded if any source's is). The largest stated count would be a *lower bound* of the
people affected only if every source counted people it knows to be affected and overstated
nothing; a party with an interest in the figure need not, and with ``max of lows`` one such
party would set the floor that no other source could lower. So the floor is the smallest
figure a source stands by. The outage runs from the earliest ``outage_from`` to the latest
``outage_to`` of the sources' latest reports of it, open (ongoing) when one of them gives no end.

**In words** (:func:`describe`), as the hotline's notifications and CAP alerts state it: "2 killed,
9 injured (civilians 9); heating, water hit; 40,000-60,000 people without heating and water since
2026-02-18 04:10 UTC". A figure is its best estimate, with the sources' range beside it when they
differ and the civilians among them ("9 injured (7-11; civilians 9)").

**Roll-ups** (:func:`rollup`) sum over incidents, per oblast or per reporting day
(:class:`ceasefire.agreement.reporting.ReportingDay`, named by the local date it starts on):
casualties' ``low``, ``best`` and ``high`` each summed over the incidents that state them,
incidents counted per infrastructure category. People affected are *not* simply summed: two
strikes on one city's grid in one night leave largely the same residents without heating, so
the sum of the incidents' lows is no sure floor. A roll-up gives ``[max of lows, sum of
highs]``: at least as many as the worst incident, at most all of them apart. Incidents that
were withdrawn or found unfounded count nothing. The caller passes the incidents it may see
(:meth:`ceasefire.publish.visibility.Viewer.harm`), so a party's or the public's roll-up is of
what it reads and nothing else.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from ceasefire.counts import Count
from ceasefire.records import Estimate, Harm
from ceasefire.vocab import INFRASTRUCTURE, UTILITIES

if TYPE_CHECKING:
    from ceasefire.agreement.reporting import ReportingDay
    from ceasefire.intake.report import Report

__all__ = ["BY", "CASUALTIES", "Combined", "combine", "describe", "rollup"]

#: The casualty figures a report states and an incident estimates.
CASUALTIES: Final = ("killed", "injured", "civilians_killed", "civilians_injured")
#: What a roll-up groups by.
BY: Final = ("oblast", "day")
#: Statuses whose incidents a roll-up leaves out: no event (every report retracted), or a
#: person found it did not happen.
_NOT_COUNTED: Final = frozenset({"withdrawn", "unfounded"})


class Combined(NamedTuple):
    """An incident's casualties and harm, as :func:`combine` gives them."""

    killed: Estimate
    injured: Estimate
    civilians_killed: Estimate
    civilians_injured: Estimate
    harm: Harm | None


def _when(report: Report) -> tuple[datetime, datetime, str]:
    return (report.observed_to or report.observed_from, report.observed_from, report.id)


def _latest(reports: Sequence[Report], sources: Sequence[str], name: str) -> list[Report]:
    """Each source's latest report that states ``name`` (see the module docstring)."""
    latest: dict[str, Report] = {}
    for report, source in zip(reports, sources, strict=True):
        if getattr(report, name) is None:
            continue
        held = latest.get(source)
        if held is None or _when(report) > _when(held):
            latest[source] = report
    return [latest[s] for s in sorted(latest)]


def _estimate(values: Sequence[int]) -> Estimate:
    if not values:
        return Estimate()
    ordered = sorted(values)
    n = len(ordered)
    mid = ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2] + 1) // 2
    return Estimate(low=ordered[0], best=mid, high=ordered[-1])


def combine(reports: Sequence[Report], sources: Sequence[str]) -> Combined:
    """The casualties and harm of an incident whose members are ``reports``, ``sources[i]``
    the source of ``reports[i]`` (:func:`ceasefire.fusion.incidents.source_key`).

    >>> from ceasefire.intake.report import Report
    >>> def rep(i, when, injured):
    ...     return Report(id=i, submitted_by="ua", source_kind="party", observed_from=when,
    ...                   lon=30.7, lat=46.5, event_type="drone_strike", injured=injured)
    >>> a, b = rep("a", "2026-02-17T22:00Z", 2), rep("b", "2026-02-18T06:00Z", 9)
    >>> c = Report(id="c", submitted_by="mission", source_kind="patrol", lon=30.7, lat=46.5,
    ...            observed_from="2026-02-18T08:00Z", event_type="drone_strike", injured=7)
    >>> combine([a, b, b, c], ["ua/party"] * 3 + ["mission/patrol"]).injured
    Estimate(low=7, best=8, high=9)
    """
    killed, injured, civilians_killed, civilians_injured = (
        _estimate([getattr(r, name) for r in _latest(reports, sources, name)])
        for name in CASUALTIES
    )
    return Combined(killed, injured, civilians_killed, civilians_injured, _harm(reports, sources))


def _harm(reports: Sequence[Report], sources: Sequence[str]) -> Harm | None:
    hit = {c for r in reports for c in r.infrastructure or ()}
    without = {u for r in reports for u in r.utilities or ()}
    counts = [
        r.people_affected
        for r in _latest(reports, sources, "people_affected")
        if r.people_affected is not None
    ]
    starts = [r.outage_from for r in _latest(reports, sources, "outage_from") if r.outage_from]
    ends = [r.outage_to for r in _latest(reports, sources, "outage_from")]
    if not (hit or without or counts or starts):
        return None
    people = None
    if counts:
        highs = [c.high for c in counts]
        high = None if None in highs else max(h for h in highs if h is not None)
        people = Count(min(c.low for c in counts), high)
    return Harm(
        infrastructure=tuple(c for c in INFRASTRUCTURE if c in hit),
        people_affected=people,
        outage_from=min(starts, default=None),
        outage_to=None if not ends or None in ends else max(e for e in ends if e is not None),
        utilities=tuple(u for u in UTILITIES if u in without),
    )


# -- in words ------------------------------------------------------------------------------------


def _best(value: Mapping[str, Any] | None) -> int:
    return int((value or {}).get("best") or 0)


def _casualties(incident: Mapping[str, Any], name: str) -> str | None:
    """``9 injured (7-11; civilians 9)``: the best estimate, the sources' range when they
    differ, the civilians among them; None when none are stated."""
    value, civilians = incident.get(name) or {}, _best(incident.get(f"civilians_{name}"))
    best = _best(value)
    if not best:
        return f"{civilians} civilians {name}" if civilians else None
    notes = []
    low, high = value.get("low"), value.get("high")
    if low is not None and (low, high) != (best, best):
        notes.append(f"{low}-{high}")
    if civilians:
        notes.append(f"civilians {civilians}")
    return f"{best} {name}" + (f" ({'; '.join(notes)})" if notes else "")


def _people_words(value: Any) -> str:
    count = Count.parse(value, "people_affected")
    assert count is not None  # called with a stated count only
    if count.is_exact:
        return f"{count.low:,}"
    return f"{count.low:,}-{count.high:,}" if count.high is not None else f"at least {count.low:,}"


def _and(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def describe(incident: Mapping[str, Any]) -> str | None:
    """The harm of an incident (its JSON form) in one line, None when it states none.

    >>> text = describe({"killed": {"low": 2, "best": 2, "high": 2},
    ...                  "injured": {"low": 9, "best": 9, "high": 9},
    ...                  "civilians_injured": {"low": 9, "best": 9, "high": 9},
    ...                  "harm": {"infrastructure": ["heating", "water"],
    ...                           "people_affected": {"min": 40000, "max": 60000},
    ...                           "outage_from": "2026-02-18T06:10:00+02:00", "outage_to": None,
    ...                           "utilities": ["heating", "water"]}})
    >>> for part in text.split("; "):
    ...     print(part)
    2 killed, 9 injured (civilians 9)
    heating, water hit
    40,000-60,000 people without heating and water since 2026-02-18 04:10 UTC
    """
    parts = []
    casualties = [c for c in (_casualties(incident, n) for n in ("killed", "injured")) if c]
    if casualties:
        parts.append(", ".join(casualties))
    harm = incident.get("harm") or {}
    if harm.get("infrastructure"):
        parts.append(", ".join(harm["infrastructure"]) + " hit")
    people = harm.get("people_affected")
    start, end = harm.get("outage_from"), harm.get("outage_to")
    if people is not None or start is not None:
        words = f"{_people_words(people)} people affected" if people is not None else "an outage"
        if people is not None and harm.get("utilities"):
            words = f"{_people_words(people)} people without {_and(harm['utilities'])}"
        if start is not None:
            words += f" {'from' if end else 'since'} {_utc(start)}"
            words += f" to {_utc(end)}" if end else ""
        parts.append(words)
    return "; ".join(parts) or None


def _utc(value: datetime | str) -> str:
    return f"{_time(value).astimezone(UTC):%Y-%m-%d %H:%M} UTC"


# -- roll-ups ------------------------------------------------------------------------------------


def _sum(estimates: Iterable[Mapping[str, Any] | None]) -> dict[str, int | None]:
    out: dict[str, int | None] = {"low": None, "best": None, "high": None}
    for e in estimates:
        if not e:
            continue
        for part in ("low", "best", "high"):
            value = e.get(part)
            if value is not None:
                out[part] = (out[part] or 0) + int(value)
    return out


def _people(counts: Sequence[Count]) -> Count | None:
    """People affected over several incidents: ``[max of lows, sum of highs]`` (see the
    module docstring)."""
    if not counts:
        return None
    high = None if any(c.high is None for c in counts) else sum(c.high or 0 for c in counts)
    return Count(max(c.low for c in counts), high)


def _group(incidents: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    harms = [Harm.from_dict(i["harm"]) for i in incidents if i.get("harm")]
    hit = Counter(c for h in harms for c in h.infrastructure)
    people = _people([h.people_affected for h in harms if h.people_affected is not None])
    return {
        "incidents": len(incidents),
        **{name: _sum(i.get(name) for i in incidents) for name in CASUALTIES},
        "infrastructure": {c: hit[c] for c in INFRASTRUCTURE if hit[c]},
        "people_affected": None if people is None else people.to_json(),
    }


def rollup(
    incidents: Iterable[Mapping[str, Any]],
    *,
    by: str,
    reporting: ReportingDay,
) -> dict[str, Any]:
    """Harm per oblast or per reporting day of ``incidents`` (their JSON form, as a caller
    may see them: ``StoredIncident.to_dict()`` through the access views).

    Returns ``{"by", "groups": [{"key", ...totals}], "total": {...totals}}``; a day's group
    also has its ``from`` and ``to``; totals as the module docstring says. Groups are sorted
    by key, the incidents of no known oblast under ``null`` last.
    """
    if by not in BY:
        raise ValueError(f"by must be one of {', '.join(BY)}, got {by!r}")
    counted = [i for i in incidents if i.get("status") not in _NOT_COUNTED]
    groups: dict[str | None, list[Mapping[str, Any]]] = {}
    spans: dict[str | None, tuple[datetime, datetime]] = {}
    for incident in counted:
        if by == "oblast":
            key = incident.get("oblast")
        else:
            start, end = reporting.holding(_time(incident["observed_from"]))
            key = reporting.local_date(start).isoformat()
            spans[key] = (start, end)
        groups.setdefault(key, []).append(incident)
    rows = []
    for key in sorted(groups, key=lambda k: (k is None, k or "")):
        row: dict[str, Any] = {"key": key}
        if key in spans:
            row["from"], row["to"] = (t.isoformat() for t in spans[key])
        row.update(_group(groups[key]))
        rows.append(row)
    return {"by": by, "groups": rows, "total": _group(counted)}


def _time(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)
