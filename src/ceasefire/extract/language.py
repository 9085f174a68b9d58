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
from types import ModuleType

from ceasefire.extract import dates, lexicon, numbers, places
from ceasefire.extract.dates import DateCue
from ceasefire.extract.numbers import Quantity
from ceasefire.extract.places import Place


@dataclass(frozen=True, slots=True)
class Language:
    code: str
    lx: ModuleType
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
