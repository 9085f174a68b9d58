"""The date a sentence's reported period ends, resolved from the publication date.

Rules (docs/extract.md, "Dates"): an overnight attack takes the morning's date; relative words
need the publication date and give ``None`` without it; an explicit day without a year takes the
publication's year, or the year before when that day would come after publication. Whole
periods ("last week", "since the start of the month") are marked so that their figures stay out
of the period's events.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

MONTHS: Final = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
WEEKDAYS: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_DAY2 = r"(?:\s*(?:-|to|and|into)\s*(?P<day2>\d{1,2})(?:st|nd|rd|th)?)?"
_YEAR = r"(?:,?\s+(?P<year>(?:19|20)\d\d))?"
_WEEKDAY = r"(?P<weekday>" + "|".join(WEEKDAYS) + r")"
_NIGHT = r"(?P<night>overnight|night)"

_PATTERNS: Final = [
    # "13 May", "the night of 13-14 May", "13 to 14 May 2026"
    ("day", re.compile(rf"\b{_DAY}{_DAY2}\s+(?:of\s+)?{_MONTH}\b{_YEAR}", re.I)),
    # "May 13", "May 13-14, 2026"
    ("day", re.compile(rf"\b{_MONTH}\s+{_DAY}{_DAY2}\b{_YEAR}", re.I)),
    # "overnight into Saturday", "the night to Saturday", "night of Friday to Saturday"
    (
        "into",
        re.compile(rf"\b(?:overnight|night)\s+(?:of\s+\w+\s+)?(?:in)?to\s+{_WEEKDAY}\b", re.I),
    ),
    # "Friday night", "on Friday evening", "overnight Friday", "late on Monday"
    (
        "weekday",
        re.compile(
            rf"\b(?:{_NIGHT}\s+(?:on\s+)?)?{_WEEKDAY}(?:'s)?(?:\s+(?P<part>night|evening|"
            r"morning|afternoon|overnight))?\b",
            re.I,
        ),
    ),
    (
        "earlier",
        re.compile(
            r"\b(?:(?P<n>a|one|two|three|\d) (?:day|night)s? (?:earlier|before)|the day before|"
            r"the previous (?:day|night|evening)|the night before|the day prior)\b",
            re.I,
        ),
    ),
    ("yesterday", re.compile(r"\byesterday\b", re.I)),
    (
        "today",
        re.compile(
            r"\b(?:overnight|last night|tonight|this morning|today|during the night|at night|"
            r"(?:over|in|during|for) the (?:past|last|previous) (?:day|night|24 hours|"
            r"twenty-four hours)|"
            r"early (?:on )?(?:this )?morning|in the early hours)\b",
            re.I,
        ),
    ),
]

#: Words that make a sentence's figures another period's: not this report's event.
PERIOD: Final = re.compile(
    r"\b(?:last|past|previous|this|the whole|the entire)\s+(?:week|month|year|fortnight)\b"
    r"|(?<!first time )\bsince (?:the (?:start|beginning) of|the full-scale|(?:19|20)\d\d|"
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december))"
    r"|\bso far (?:this|in)\b|\bin (?:january|february|march|april|june|july|august|september|"
    r"october|november|december)(?!\s+\d)\b|\b(?:weekly|monthly)\b|\bover the past \w+ (?:days|weeks|months)\b"
    r"|\bover the (?:week|month|weekend)\b|\bin total (?:this|in)\b|\bsince the war began\b"
    r"|\b(?:previous|last|preceding) reporting period\b|\b(?:each|every|per|a) night\b"
    r"|\bon average\b|\bin a single attack\b|\bon (?:some|many) nights\b|\bnightly\b"
    r"|\b(?:in|during|over|throughout) the (?:[\w-]+-year|entire|whole|full-scale) "
    r"(?:war|conflict|invasion)\b|\bsince the (?:start|beginning) of the (?:war|invasion)\b",
    re.I,
)


@dataclass(frozen=True, slots=True)
class DateCue:
    """A time expression of a sentence and the date its period ends (``None``: unresolved).

    ``back``: days before the date the text spoke of last ("a day earlier"), for the caller to
    resolve against the sentences before (or the publication date when there is none)."""

    start: int
    end: int
    date: date | None
    back: int = 0


def date_cues(text: str, start: int, end: int, published: date | None) -> list[DateCue]:
    """The time expressions in ``text[start:end]``, most specific first."""
    found: list[DateCue] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text, start, end):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            taken.append(m.span())
            if kind == "earlier":
                n = m["n"] or "a"
                back = {"a": 1, "one": 1, "two": 2, "three": 3}.get(n.casefold()) or int(n)
                found.append(DateCue(m.start(), m.end(), None, back))
                continue
            found.append(DateCue(m.start(), m.end(), _resolve(kind, m, published)))
    return found


def _resolve(kind: str, m: re.Match[str], published: date | None) -> date | None:
    if kind == "day":
        day = int(m["day2"] or m["day"])
        month = MONTHS[m["month"].casefold()]
        if m["year"]:
            return _date(int(m["year"]), month, day)
        if published is None:
            return None
        found = _date(published.year, month, day)
        if found is not None and found > published:
            found = _date(published.year - 1, month, day)
        return found
    if published is None:
        return None
    if kind == "today":
        return published
    if kind == "yesterday":
        return published - timedelta(days=1)
    weekday = _latest(published, WEEKDAYS.index(m["weekday"].casefold()))
    if kind == "into":
        # the morning the night ends: the latest such day on or before publication
        return weekday
    if (m["part"] or "").casefold() == "night" and not m["night"]:
        return weekday + timedelta(days=1)  # Friday night ends on Saturday morning
    return weekday


def _latest(published: date, weekday: int) -> date:
    return published - timedelta(days=(published.weekday() - weekday) % 7)


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
