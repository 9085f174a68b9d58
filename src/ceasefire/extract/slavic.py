"""The Ukrainian and Russian finders in the shapes the rules read: quantities as counts,
dates as cues (the period's end: the latest date of a sentence), places as targets.

A bulletin names launch areas and seas beside its targets ("з напрямків Курськ, Орел", "з
району Каспійського моря", "з тимчасово окупованого Криму"): what stands after "from" words is
not a target.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Final

from ceasefire.counts import VAGUE, approximately
from ceasefire.extract.dates import DateCue
from ceasefire.extract.numbers import Quantity
from ceasefire.extract.places import Place
from ceasefire.extract.slavic_dates import find_dates
from ceasefire.extract.slavic_numbers import find_quantities
from ceasefire.extract.slavic_places import find_regions, find_settlements
from ceasefire.geo.gazetteer import ADMIN1_NAMES, load_gazetteer

#: Words before a name that make it a launch area or a reference point.
_NOT_TARGET_BEFORE: Final = re.compile(
    r"(?:(?<![\w'])(?:з|із|зі|из|со?)\s+(?:напрямк\w*|напрям\w*|направлени\w*|район\w*|"
    r"акваторі\w*|акватори\w*|території|территории|тимчасово\s+окупован\w*|"
    r"временно\s+оккупированн\w*|окупован\w*|оккупированн\w*)"
    r"(?:\s+[\w'-]+)?(?:\s*,\s*[\w'-]+|\s+(?:та|і|и)\s+[\w'-]+)*(?:\s*,|\s+(?:та|і|и))?\s*"
    r"|(?:км|кілометр\w*|километр\w*)\s+(?:від|на\s+\w+\s+від|от)\s+|кордон\w*\s+з\s+"
    r"|границ\w*\s+с\s+"
    # "з Курської області", "из Брянской области": where from, not where
    r"|(?<![\w'])(?:з|із|зі|из|со?)\s+"
    # street names: "на вулиці 40-річчя Перемоги", "на улице Победы"
    r"|(?:вулиц\w*|вул\.|проспект\w*|просп\.|площ\w*|бульвар\w*|провулк\w*|улиц\w*|ул\.)"
    r"\s+(?:[\w'-]+\s+){0,2})$",
    re.IGNORECASE,
)
_KNOWN: Final = frozenset(ADMIN1_NAMES.values())
#: "Столиця" in a Ukrainian text is Kyiv (in a Russian one it may be Moscow: not read there).
_CAPITAL: Final = re.compile(r"(?<![\w'])столиц(?:я|і|ю|ею)(?![\w'])", re.IGNORECASE)
_UKRAINIAN: Final = re.compile(r"[іїєґІЇЄҐ]")
#: A community or district named after a town is not the town.
_DISTRICT_AFTER: Final = re.compile(
    r"\s+(?:громад\w*|район\w*|округ\w*|ОТГ|р-н)(?![\w'])", re.IGNORECASE
)
#: Slavic qualifiers that are vague words of :data:`ceasefire.counts.VAGUE`.
_VAGUE: Final = frozenset(VAGUE)


def quantities(text: str) -> list[Quantity]:
    out: list[Quantity] = []
    for q in find_quantities(text):
        qualifier = q.qualifier
        if q.value is None:
            if qualifier not in _VAGUE:
                continue
            count = approximately(qualifier, None)
        else:
            try:
                count = approximately(qualifier, q.value)
            except ValueError:
                continue
        out.append(Quantity(q.start, q.end, count, q.value, qualifier))
    return out


def date_cues(text: str, start: int, end: int, published: date | None) -> list[DateCue]:
    """The sentence's dates, the latest first: "з 18:00 17 лютого ... у ніч на 18 лютого"
    reports the period that ends on the 18th."""
    found = [
        DateCue(start + a, start + b, day) for a, b, day in find_dates(text[start:end], published)
    ]
    return sorted(found, key=lambda c: (c.date is None, -(c.date.toordinal() if c.date else 0)))


def places(text: str, start: int, end: int) -> list[Place]:
    sentence = text[start:end]
    g = load_gazetteer()
    found: list[Place] = []
    for a, b, oblast in find_regions(sentence):
        if oblast in _KNOWN and _is_target(sentence, a):
            found.append(Place(start + a, start + b, oblast, None))
    taken = [(p.start, p.end) for p in found]
    for a, b, i in find_settlements(sentence, g):
        oblast = str(g.admin1[i])
        if oblast not in _KNOWN or not _is_target(sentence, a):
            continue
        if _DISTRICT_AFTER.match(sentence, b):
            continue  # "Покровська громада", "Новгород-Сіверському районі": not the town
        if any(x < start + b and start + a < y for x, y in taken):
            continue
        found.append(Place(start + a, start + b, oblast, str(g.name[i])))
    if _UKRAINIAN.search(sentence):
        for m in _CAPITAL.finditer(sentence):  # "атакував столицю": Kyiv
            if not any(x < start + m.end() and start + m.start() < y for x, y in taken):
                found.append(Place(start + m.start(), start + m.end(), "Kyiv City", "Kyiv"))
    found.sort(key=lambda p: p.start)
    return found


def _is_target(sentence: str, at: int) -> bool:
    return _NOT_TARGET_BEFORE.search(sentence[max(0, at - 80) : at]) is None
