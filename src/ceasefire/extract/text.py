"""Text as the rules read it: one spelling of quotes and dashes, sentences, clause distance.

:func:`normalise` keeps the text's length, so every offset found in the normalised text is an
offset into the original (evidence spans point at the words as they were written).
"""

from __future__ import annotations

import re
from typing import Final

_SAME_LENGTH: Final = str.maketrans(
    {
        "\u2019": "'",  # right single quote
        "\u2018": "'",
        "\u02bc": "'",  # modifier letter apostrophe (Ukrainian)
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2013": "-",  # en dash
        "\u2014": "-",  # em dash
        "\u2212": "-",  # minus
        "\u00a0": " ",  # no-break space
        "\u202f": " ",  # narrow no-break space (thousands in Ukrainian figures)
        "\u2009": " ",
    }
)

#: Words after which a full stop does not end a sentence.
_ABBREVIATIONS: Final = ("Mr", "Mrs", "Ms", "Dr", "Gen", "Col", "Lt", "St", "No", "vs", "Jr", "m")
_SENTENCE_END: Final = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-ZА-ЯІЇЄҐ0-9])|\n\s*\n|\n")


def normalise(text: str) -> str:
    """``text`` with one spelling of apostrophes, quotes, dashes and spaces; same length."""
    return text.translate(_SAME_LENGTH)


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text`` (blank ones left out)."""
    out: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        before = text[start : m.start()].rstrip(".!?\"')] ")
        last = before.rsplit(None, 1)[-1] if before.split() else ""
        if m.group().strip() == "" and last in _ABBREVIATIONS:
            continue
        _add(out, text, start, m.start())
        start = m.end()
    _add(out, text, start, len(text))
    return out


def _add(out: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append((start, end))


#: What a quantity's reading of a cue word pays for each mark it crosses: a comma is a small
#: step, a semicolon a clause, a colon a list's head (parentheses hold parts: free).
_CROSSING: Final = {",": 25, ";": 120, ":": 15, "-": 0}


def distance(text: str, a: int, b: int) -> int:
    """How far apart two places of one sentence read: characters plus the marks between."""
    lo, hi = (a, b) if a <= b else (b, a)
    between = text[lo:hi]
    # a comma between the items of a list of counts ("4 missiles, 3 bombs, 6 rockets and 183
    # drones") costs little: the list shares its verb
    listed = len(re.findall(r", (?=\d)", between))
    cost = sum(_CROSSING.get(c, 0) for c in between if c in _CROSSING)
    return (hi - lo) + cost - listed * (_CROSSING[","] - 3)
