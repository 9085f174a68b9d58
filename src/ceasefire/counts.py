"""Counts as they are published: an exact number, or the interval a wording allows.

A bulletin says "173 drones", "over 50 of them", "almost 400"; a casualty figure is "at least six".
Each becomes a :class:`Count`, the closed interval of whole numbers the words allow: ``[173,
173]``, ``[51, 173]``, ``[360, 399]``, ``[6, None]`` (``None``: no upper bound). Sums and checks
work on the intervals, so nothing is made more precise than its source, and a check flags only
what is *surely* wrong whatever the true numbers inside the intervals are.

In JSON (tallies, harm, extraction) a count is an integer when exact and ``{"min": a, "max":
b}`` otherwise, ``"max": null`` when unbounded; :meth:`Count.parse` and :meth:`Count.to_json`.
In a CSV cell it is ``173``, ``51-173``, or ``51-`` when unbounded; :meth:`Count.parse_cell` and
:meth:`Count.to_cell`.

How words become intervals (:func:`approximately`), following ACLED's conservative coding (its
codebook codes "tens" as 10, "dozens" as 12, "hundreds" as 100: those are the low ends here) and
keeping the upper end the words allow, so that no reading of the text lies outside:

=============================  ===================================================
words                          interval
=============================  ===================================================
``N`` (exact)                  ``[N, N]``
``almost N``, ``nearly N``     ``[N - max(1, round(N / 10)), N - 1]``
``about N``, ``around N``      ``[N - round(N / 10), N + round(N / 10)]``
``over N``, ``more than N``    ``[N + 1, total]`` (the figure it is a part of, else unbounded)
``at least N``                 ``[N, total]``
``up to N``, ``as many as N``  ``[0, N]``
``several``                    ``[3, 9]``
``tens``                       ``[10, 99]``
``dozens``                     ``[12, 99]``
``hundreds``                   ``[100, 999]``
``thousands``                  ``[1000, 9999]``
``tens of thousands``          ``[10000, 99999]``
``hundreds of thousands``      ``[100000, 999999]``
=============================  ===================================================

A tenth for "almost" and "about" is the usual width of rounding in such bulletins (400 for
369 is not "almost"; 400 for 390 is): a wider interval would flag nothing, a narrower one would
make an exact figure the words do not give.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from ceasefire.errors import InputError, Problem

__all__ = ["Count", "approximately"]


@dataclass(frozen=True, slots=True)
class Count:
    """A whole number known to lie in ``[low, high]`` (``high`` ``None``: no upper bound)."""

    low: int
    high: int | None

    def __post_init__(self) -> None:
        if self.low < 0 or (self.high is not None and self.high < self.low):
            raise ValueError(f"not a count interval: [{self.low}, {self.high}]")

    @classmethod
    def exact(cls, n: int) -> Count:
        return cls(n, n)

    @property
    def is_exact(self) -> bool:
        return self.high == self.low

    # -- arithmetic ----------------------------------------------------------------------------

    def __add__(self, other: Count) -> Count:
        high = None if self.high is None or other.high is None else self.high + other.high
        return Count(self.low + other.low, high)

    @staticmethod
    def total(counts: Iterable[Count | None]) -> Count | None:
        """The sum of the counts given (``None`` when none is)."""
        out: Count | None = None
        for c in counts:
            if c is not None:
                out = c if out is None else out + c
        return out

    def surely_exceeds(self, other: Count) -> bool:
        """Whether every value this count allows is above every value ``other`` allows."""
        return other.high is not None and self.low > other.high

    def bounded_by(self, total: Count) -> Count:
        """This count as a part of ``total``: its upper end no higher than the total's."""
        if total.high is None or (self.high is not None and self.high <= total.high):
            return self
        return Count(min(self.low, total.high), total.high)

    # -- text and JSON ---------------------------------------------------------------------------

    def __str__(self) -> str:
        if self.is_exact:
            return str(self.low)
        if self.high is None:
            return f">={self.low}"
        return f"{self.low}-{self.high}"

    def to_json(self) -> int | dict[str, int | None]:
        return self.low if self.is_exact else {"min": self.low, "max": self.high}

    @classmethod
    def parse(cls, value: Any, field: str, where: str = "") -> Count | None:
        """A count from its JSON form (``None`` stays ``None``); bad values raise
        :class:`InputError` naming ``field``."""
        if value is None:
            return None
        if isinstance(value, bool):
            raise InputError(Problem(where, field, "must be a whole number, not true/false"))
        if isinstance(value, int):
            if value < 0:
                raise InputError(Problem(where, field, f"must be >= 0, got {value}"))
            return cls(value, value)
        if isinstance(value, float) and value.is_integer():
            return cls.parse(int(value), field, where)
        if isinstance(value, str) and value.strip().isdigit():
            return cls.parse(int(value.strip()), field, where)
        if isinstance(value, Mapping):
            unknown = sorted(set(value) - {"min", "max"})
            if unknown:
                raise InputError(Problem(where, f"{field}.{unknown[0]}", "unknown key"))
            if "min" not in value:
                raise InputError(Problem(where, f"{field}.min", "is required"))
            low = cls.parse(value["min"], f"{field}.min", where)
            high = cls.parse(value.get("max"), f"{field}.max", where)
            if low is None:
                raise InputError(Problem(where, f"{field}.min", "is required"))
            if high is not None and high.low < low.low:
                why = f"must be >= min ({low.low}), got {high.low}"
                raise InputError(Problem(where, f"{field}.max", why))
            return cls(low.low, None if high is None else high.low)
        why = f'must be a whole number or {{"min": a, "max": b}}, got {value!r}'
        raise InputError(Problem(where, field, why))

    def to_cell(self) -> str:
        """The count in a CSV cell: ``173``, ``51-173``, ``51-`` (no upper bound)."""
        if self.is_exact:
            return str(self.low)
        return f"{self.low}-{'' if self.high is None else self.high}"

    @classmethod
    def parse_cell(cls, text: str, field: str, where: str = "") -> Count | None:
        """A count from its CSV cell (:meth:`to_cell`); an empty cell is ``None`` (not
        published, never 0). Bad text raises :class:`InputError` naming ``field``."""
        text = text.strip()
        if not text:
            return None
        match = _CELL.fullmatch(text)
        if match is not None:
            low, dash, high = match.groups()
            if not dash:
                return cls.exact(int(low))
            if not high:
                return cls(int(low), None)
            if int(high) >= int(low):
                return cls(int(low), int(high))
            why = f"the upper end must be >= the lower, got {text!r}"
            raise InputError(Problem(where, field, why))
        why = f"must be a whole number N, a range N-M or N- (no upper end), got {text!r}"
        raise InputError(Problem(where, field, why))


#: A count's CSV cell: ``N``, ``N-M`` or ``N-`` (ASCII digits only: ``int`` reads other scripts'
#: digits too, which a spreadsheet cell should not carry silently).
_CELL: Final = re.compile(r"(\d+)\s*(?:(-)\s*(\d*))?", re.ASCII)

#: Vague quantities with no number (see the module's table).
VAGUE: Final[dict[str, tuple[int, int]]] = {
    "several": (3, 9),
    "tens": (10, 99),
    "dozens": (12, 99),
    "hundreds": (100, 999),
    "thousands": (1_000, 9_999),
    "tens of thousands": (10_000, 99_999),
    "hundreds of thousands": (100_000, 999_999),
}

_QUALIFIERS: Final[dict[str, str]] = {
    "almost": "almost",
    "nearly": "almost",
    "about": "about",
    "around": "about",
    "approximately": "about",
    "some": "about",
    "over": "over",
    "more than": "over",
    "at least": "at_least",
    "up to": "up_to",
    "as many as": "up_to",
}


def approximately(qualifier: str | None, n: int | None, total: Count | None = None) -> Count:
    """The interval the words ``qualifier n`` allow (the module's table).

    ``qualifier`` ``None`` is an exact figure; ``n`` ``None`` with a vague word ("dozens") takes
    the word's range. ``total``: the figure this one is a part of ("over 50 *of them*"), which
    bounds the open-ended readings.
    """
    if n is None:
        if qualifier is None or qualifier.casefold() not in VAGUE:
            raise ValueError(f"no number and no vague quantity: {qualifier!r}")
        low, high = VAGUE[qualifier.casefold()]
        return Count(low, high)
    kind = _QUALIFIERS.get((qualifier or "").casefold()) if qualifier else None
    if qualifier is not None and kind is None:
        raise ValueError(f"unknown qualifier {qualifier!r}")
    cap = total.high if total is not None else None
    tenth = round(n / 10)
    if kind is None:
        return Count(n, n)
    if kind == "almost":
        return Count(max(0, n - max(1, tenth)), max(0, n - 1))
    if kind == "about":
        return Count(max(0, n - tenth), n + tenth)
    if kind == "over":
        return Count(n + 1, cap if cap is None or cap >= n + 1 else n + 1)
    if kind == "at_least":
        return Count(n, cap if cap is None or cap >= n else n)
    return Count(0, n)  # up to
