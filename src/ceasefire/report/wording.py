"""The daily report's words for values: numbers, shares, changes, times, estimates, parties.

Every value of the report data (``ceasefire-daily-report/1``) that the layout
(:mod:`ceasefire.report.layout`) puts in a sentence or a cell is written by one of these, so
the HTML and the PDF write a value the same way.

Zeros follow the report's rule: a count of 0 is never just "0" but "none recorded; observed 62%
of the window" where the share of the period some working sensor or patrol could see is known,
else "none recorded; coverage unknown" (no violation recorded is not the same as nobody could
see).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from ceasefire.agreement.model import Agreement

#: What each tier shows, in the header (the data is already cut by the access policy).
_TIERS: Final = {
    "mission": "mission (all records)",
    "public": "public (released incidents, delayed and coarsened)",
}
_UTC_TIME = re.compile(r"^(\d{4}-\d\d-\d\d)T(\d\d:\d\d)(?::\d\d(?:\.\d+)?)?Z$")


def number(value: Any) -> str:
    """An int with thousands separators; None as "unknown"."""
    if value is None:
        return "unknown"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"


def percent(share: float | None) -> str:
    """A share of the window in words; never rounds a sliver to 0% or 100%.

    >>> percent(0.62), percent(0.004), percent(0.9951), percent(1.0), percent(None)
    ('62%', 'under 1%', 'over 99%', '100%', 'unknown')
    """
    if share is None:
        return "unknown"
    p = float(share) * 100.0
    if 0.0 < p < 1.0:
        return "under 1%"
    if 99.0 < p < 100.0:
        return "over 99%"
    return f"{p:.0f}%"


def none_recorded(observed: float | None) -> str:
    """The words for a count of zero (see the module docstring).

    >>> none_recorded(0.62)
    'none recorded; observed 62% of the window'
    >>> none_recorded(None)
    'none recorded; coverage unknown'
    """
    if observed is None:
        return "none recorded; coverage unknown"
    return f"none recorded; observed {percent(observed)} of the window"


def count_text(count: Any, observed: float | None = None) -> str:
    """A count, or the zero wording when it is 0."""
    return none_recorded(observed) if count == 0 else number(count)


def change(now: Any, before: Any) -> str:
    """The change against the previous period.

    >>> change(3, 1), change(0, 1), change(2, 2), change(1_200, 0)
    ('+2', '-1', 'no change', '+1,200')
    """
    if not isinstance(now, int) or not isinstance(before, int):
        return ""
    diff = now - before
    return "no change" if diff == 0 else f"{diff:+,}"


def when(value: Any) -> str:
    """An ISO 8601 UTC time as ``2026-11-20 01:40`` (columns say UTC); anything else as given."""
    if value is None:
        return ""
    match = _UTC_TIME.match(str(value))
    return f"{match[1]} {match[2]}" if match else str(value)


def span(window: Mapping[str, Any] | None) -> str:
    """A window ``{"start", "end"}`` as ``start - end`` (UTC)."""
    if not window:
        return ""
    return f"{when(window.get('start'))} – {when(window.get('end'))} UTC"


def estimate(value: Any) -> str:
    """A count that may be a range, the best estimate first.

    >>> estimate({"low": 2, "best": 3, "high": 5}), estimate({"low": 4, "best": 4, "high": 4})
    ('3 (2–5)', '4')
    """
    if not isinstance(value, Mapping):
        return number(value)
    low, best, high = value.get("low"), value.get("best"), value.get("high")
    if low == best == high:
        return number(best)
    return f"{number(best)} ({number(low)}–{number(high)})"


def tally(counts: Any) -> str:
    """A strike account's field: ``{"drones": 400, "missiles": 29}`` -> ``drones 400, missiles 29``."""
    if not isinstance(counts, Mapping):
        return number(counts) if counts is not None else ""
    return ", ".join(f"{k} {number(v)}" for k, v in sorted(counts.items())) or "none"


def party(agreement: Agreement, code: Any) -> str:
    """A party code with the agreement's name for it: ``RU (Russian Federation)``."""
    if code is None:
        return "unattributed"
    name = agreement.parties.get(str(code))
    return f"{code} ({name})" if name else str(code)


def tier(code: str) -> str:
    """The tier in words."""
    if code.startswith("party:"):
        return f"party {code[6:]} (what concerns it)"
    return _TIERS.get(code, code)
