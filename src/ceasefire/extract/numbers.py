"""Quantities in English text: figures and number words, with their qualifiers.

:func:`quantities` finds each quantity once, as the span of the words it came from and the
:class:`~ceasefire.counts.Count` those words allow ("almost 400" is [360, 399], "dozens" is [12,
99]; the table is :func:`ceasefire.counts.approximately`'s, one home for tallies, harm and
extraction). What the quantity counts is decided by the caller from the words after it; here only
the shapes that are never counts are dropped at once: times (19:30), model numbers (Kh-101,
Tu-95), ordinals (25th), decimals (1.5) and numbers glued to a letter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from ceasefire.counts import VAGUE, Count, approximately

_UNITS: Final = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_SCALES: Final = {"dozen": 12, "hundred": 100, "thousand": 1_000, "million": 1_000_000}
#: Qualifier words before a figure and the wording of :func:`approximately` they mean.
_QUALIFIERS: Final = {
    "almost": "almost",
    "nearly": "almost",
    "close to": "almost",
    "just under": "almost",
    "about": "about",
    "around": "about",
    "approximately": "about",
    "roughly": "about",
    "some": "about",
    "an estimated": "about",
    "over": "over",
    "more than": "over",
    "upwards of": "over",
    "in excess of": "over",
    "at least": "at least",
    "no fewer than": "at least",
    "no less than": "at least",
    "not less than": "at least",
    "a minimum of": "at least",
    "up to": "up to",
    "as many as": "up to",
}
#: Vague quantities with no number (their intervals are in :data:`ceasefire.counts.VAGUE`);
#: "a few" is two to nine, as "several" but lower.
_VAGUE_WORDS: Final = {
    **{word: word for word in VAGUE},
    "a few": "a few",
    "scores": "dozens",
    "a number of": "several",
    "multiple": "several",
}

_WORD_NUMBER = "|".join(sorted(_UNITS, key=len, reverse=True))
#: Number words; "a hundred", "a dozen" and "a thousand" start with "a", other "a"s are not
#: numbers here ("a man was killed" is the caller's, by its noun).
_NUMBER_WORDS = (
    r"(?:an?[ \t]+(?=(?:dozen|hundred|thousand|million)\b))?"
    rf"(?:(?:{_WORD_NUMBER}|dozen|hundred|thousand|million)\b(?:[ \t-]+(?:and[ \t-]+)?)?)+"
)
_DIGITS = r"\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:\.\d+)?"
_QUALIFIER = "|".join(sorted(map(re.escape, _QUALIFIERS), key=len, reverse=True))
_VAGUE = "|".join(sorted(map(re.escape, _VAGUE_WORDS), key=len, reverse=True))

_QUANTITY: Final = re.compile(
    rf"(?<![\w.,:/-])(?:(?P<q>{_QUALIFIER})[ \t]+)?"
    rf"(?:(?P<vague>{_VAGUE})\b(?!-)"
    rf"|(?P<digits>{_DIGITS})(?:\s*(?P<dscale>thousand|million)\b)?"
    rf"|(?P<words>{_NUMBER_WORDS})(?<![ \t])(?<!-))",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Quantity:
    """A quantity of the text: ``text[start:end]`` and the count those words allow."""

    start: int
    end: int
    count: Count
    #: The number as written, without its qualifier (``None`` for a vague word).
    value: int | None
    qualifier: str | None


def quantities(text: str) -> list[Quantity]:
    """Every quantity of ``text``, in order, with the shapes that are never counts dropped."""
    out: list[Quantity] = []
    for m in _QUANTITY.finditer(text):
        start, end = m.span()
        if _glued(text[end : end + 2]):
            continue
        qualifier = m["q"].casefold() if m["q"] else None
        if m["vague"]:
            word = _VAGUE_WORDS[m["vague"].casefold()]
            low, high = (2, 9) if word == "a few" else VAGUE[word]
            out.append(Quantity(start, end, Count(low, high), None, qualifier))
            continue
        value = _value(m)
        if value is None:
            continue
        kind = _QUALIFIERS.get(qualifier) if qualifier else None
        out.append(Quantity(start, end, approximately(kind, value), value, qualifier))
    return out


def _glued(after: str) -> bool:
    """Whether the figure is part of something that is not a count: 19:30, 5%, 25th, 110kV.

    (Model numbers such as Kh-101 and ranges' second halves never start a match: the pattern
    refuses a figure right after a letter, a hyphen or a digit.)"""
    return bool(re.match(r":\d|%|[^\W\d_]", after))


def _value(m: re.Match[str]) -> int | None:
    if m["digits"]:
        digits = m["digits"].replace(",", "")
        if "." in digits:
            if not m["dscale"]:
                return None  # 1.5 is not a count of things
            return round(float(digits) * _SCALES[m["dscale"].casefold()])
        value = int(digits)
        return value * _SCALES[m["dscale"].casefold()] if m["dscale"] else value
    return words_value(m["words"])


def words_value(words: str) -> int | None:
    """The number ``words`` spell ("three hundred and eighty-seven" is 387)."""
    tokens = [t for t in re.split(r"[\s-]+", words.casefold()) if t and t != "and"]
    total, current = 0, 0
    for token in tokens:
        if token in ("a", "an"):
            current += 1
        elif token in _SCALES:
            scale = _SCALES[token]
            current = max(current, 1) * scale
            if scale >= 1_000:
                total, current = total + current, 0
        elif token in _UNITS:
            current += _UNITS[token]
        else:
            return None
    return total + current
