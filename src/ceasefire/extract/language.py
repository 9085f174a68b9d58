"""A language the extractor reads: its words and the finders of its numbers, dates and places.

The rules (:mod:`ceasefire.extract.events`) are the same for every language; what differs is
here. ``lx`` holds the tables the rules read, under the names :mod:`ceasefire.extract.lexicon`
gives them for English.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from types import ModuleType, SimpleNamespace
from typing import Final

from ceasefire.extract import dates, lexicon, lexicon_slavic, numbers, places, slavic, slavic_words
from ceasefire.extract.dates import DateCue
from ceasefire.extract.numbers import Quantity
from ceasefire.extract.places import Place


@dataclass(frozen=True, slots=True)
class Language:
    code: str
    lx: ModuleType | SimpleNamespace
    quantities: Callable[[str], list[Quantity]]
    date_cues: Callable[[str, int, int, date | None], list[DateCue]]
    places: Callable[[str, int, int], list[Place]]
    period: re.Pattern[str]


ENGLISH = Language(
    code="en",
    lx=lexicon,
    quantities=numbers.quantities,
    date_cues=dates.date_cues,
    places=places.places,
    period=dates.PERIOD,
)
_CYRILLIC: Final = re.compile(r"[\u0400-\u04ff]")


#: Ukrainian and Russian: one table of words (:mod:`lexicon_slavic`), each reading only the
#: other side's words as the attacker.
def _slavic(code: str, lx: ModuleType | SimpleNamespace) -> Language:
    return Language(
        code=code,
        lx=lx,
        quantities=slavic.quantities,
        date_cues=slavic.date_cues,
        places=slavic.places,
        period=lexicon_slavic.PERIOD,
    )


UKRAINIAN = _slavic("uk", lexicon_slavic)
RUSSIAN = _slavic(
    "ru", SimpleNamespace(**{**vars(lexicon_slavic), "PARTIES": lexicon_slavic.PARTIES_RU})
)


def language_of(text: str) -> Language:
    """The language ``text`` is written in, by its letters (English when neither Ukrainian
    nor Russian)."""
    code = slavic_words.language(text)
    if code is None and _CYRILLIC.search(text):
        code = "ru"  # Cyrillic without a letter only Ukrainian has
    return {"uk": UKRAINIAN, "ru": RUSSIAN}.get(code or "", ENGLISH)
