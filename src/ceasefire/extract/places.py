"""Places of a text: oblasts and settlements through the gazetteer, targets only.

A region is named "Kharkiv region", "Dnipropetrovsk oblast", "the Dnipro region" (the same
oblast: people name regions after their capital) or on its own ("Crimea"). A settlement is any
capitalised name the gazetteer knows, spelled as GeoNames or as one of its alternates ("Kiev",
"Odessa", "Stakhanov"); its oblast is the gazetteer's. What is not a target is left out: launch
sites ("launched from Kursk region"), reference points ("60 km west of Zaporizhzhia", "near the
border with Belgorod"), the Dnipro river, and a capital that stands for its government ("Kyiv
said", "Moscow and Kyiv").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from ceasefire.geo.gazetteer import ADMIN1_NAMES, load_gazetteer
from ceasefire.geo.gazetteer import _fold as fold
from ceasefire.geo.placenames import REGION_ALIASES, settlements

#: Names that are a region on their own, without "region" after them.
_BARE_REGIONS: Final = {"crimea": "Crimea", "transcarpathia": "Zakarpattia", "volhynia": "Volyn"}

#: Capitalised words that start a sentence or a phrase and are never a place's first word.
_LEADING = (
    r"(?!(?:In|On|At|The|Near|Over|From|Across|To|And|Of|For|By|Overnight|Since|After|Before|"
    r"During|As|Also|But|Both|Then|Meanwhile|Earlier|Later|Separately|Around|Outside|Along|"
    r"Towards?|Into|Under|Between|Beyond|Within|Inside|Hits|Debris|Damage)\b)"
)
#: A capitalised word; an apostrophe may stand inside (Kup'iansk) but "'s" ends the name.
_WORD = r"[A-Z][\w-]*(?:'(?!s\b)[\w-]+)*"
_NAME = rf"{_LEADING}{_WORD}(?:[ -]{_LEADING}{_WORD}){{0,2}}"
_REGION_WORD = r"(?:region|oblast|province|area|regions|oblasts)\b"
#: "Kharkiv region", "the Dnipro region", "Dnipropetrovsk oblast", "Kharkiv and Sumy regions".
_REGION: Final = re.compile(rf"\b(?P<name>{_NAME})(?:'s)?\s+(?:{_REGION_WORD})")
_NAMED: Final = re.compile(rf"\b(?P<name>{_NAME})")
#: Words before a name that make it a launch site or a reference point, not a target.
_NOT_TARGET_BEFORE: Final = re.compile(
    r"(?:\bfrom|\bdirection of|\bborder with|\bbordering|\bbetween|\bkm\s+(?:\w+\s+)?(?:of|from)"
    r"|\bkilometres?\s+(?:\w+\s+)?(?:of|from)|\bmiles\s+(?:\w+\s+)?(?:of|from)"
    r"|\b(?:north|south|east|west|northeast|northwest|southeast|southwest)(?:ern)?\s+of"
    r"|\btowards?|\bheaded for|\bflying toward|\bon the way to|\bdelegations? (?:of|from)"
    r"|\bborder of|\bprosecutor's office of|\b(?:Moscow|Kyiv|Kiev|Washington) and)\s+(?:the\s+)?(?:occupied\s+|neighbouring\s+|"
    r"neighboring\s+|Russian\s+|Ukrainian\s+|Russia's\s+|Russian-occupied\s+)?"
    r"(?:(?:cities|city|town|village|regional centre) of\s+)?$",
    re.I,
)
#: Words after a capital's name that make it its government ("Kyiv said", "Moscow's demands").
_ACTOR_AFTER: Final = re.compile(
    r"^(?:'s\s+(?:forces|troops|government|officials|allies|delegation|demands|position|army|"
    r"military|drones|missiles|attack|strikes?)|\s+(?:regime|said|says|has|have|had|will|would|"
    r"wants|claimed|claims|denied|accused|insisted|demanded|rejected|and (?:Moscow|Kyiv|Kiev))\b)"
)
#: A name followed by another capitalised word that is not a place's: a person's first name.
_PERSON_AFTER: Final = re.compile(
    r"^ (?!(?:Region|Oblast|Province|City|Regional|Oblast's|District|Raion|Hromada|Military|"
    r"Mayor|Governor|Council|Administration|Police|Prosecutor|Emergency)\b)"
    r"[A-Z][a-z]"
)
_TITLE_BEFORE: Final = re.compile(
    r"\b(?:President|Mr|Mrs|Ms|Minister|Governor|General|Gen|Colonel|Col|Mayor|Chief|"
    r"spokesman|spokeswoman|spokesperson|president|minister|governor|mayor|head|envoy|"
    r"commander|adviser|aide)\.? $"
)
#: "the Kursk, Bryansk and Millerovo directions": where drones came from.
_DIRECTIONS_AFTER: Final = re.compile(
    rf"(?:(?:,\s*|\s+and\s+){_WORD})*\s+(?:directions?|axis|axes)\b"
)
_TARGET_BETWEEN: Final = re.compile(
    r"\b(?:at|on|against|towards?|targeting|targeted|hit|hitting|struck|striking|attacked|"
    r"attacking|over|into)\b"
)
_RIVER_AFTER: Final = re.compile(r"^\s+(?:river|River)\b")
#: Capitalised words that begin sentences or name things, never settlements here.
_NOT_PLACES: Final = frozenset(
    fold(w)
    for w in (
        "Ukraine", "Russia", "Overnight", "The", "A", "In", "On", "At", "Air", "Force", "Monday",
        "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "May", "March",
        "Shahed", "Shaheds", "Geran", "Iskander", "Kalibr", "Kinzhal", "President", "Ministry",
        "Defence", "Defense", "Mission", "Black Sea", "Sea", "Azov", "Caspian", "Europe",
    )
)  # fmt: skip


_KNOWN: Final = frozenset(ADMIN1_NAMES.values())


@dataclass(frozen=True, slots=True)
class Place:
    """A target named in the text: a settlement (``settlement`` set) or a whole oblast."""

    start: int
    end: int
    oblast: str
    settlement: str | None


def places(text: str, start: int, end: int) -> list[Place]:
    """The targets named in ``text[start:end]``, in order."""
    found: list[Place] = []
    taken: list[tuple[int, int]] = []
    for m in _REGION.finditer(text, start, end):
        names = _region_names(m)
        for name_start, name in names:
            oblast = oblast_of(name)
            if oblast is not None and _is_target(text, name_start, m.end(), start):
                found.append(Place(name_start, name_start + len(name), oblast, None))
        taken.append((min(s for s, _ in names), m.end()))
    for m in _NAMED.finditer(text, start, end):
        if any(a <= m.start() < b for a, b in taken):
            continue
        if m["name"].split()[0].isupper() and len(m["name"].split()[0]) > 2:
            continue  # a dateline ("KYIV, March 14 (Reuters) -") or an acronym
        hit = _settlement(m["name"])
        if hit is None:
            continue
        name, length, oblast, is_region = hit
        if oblast not in _KNOWN:
            continue  # a region beyond those the gazetteer names (Krasnodar, Moscow)
        stop = m.start() + length
        if _PERSON_AFTER.match(text[stop:end]) or _TITLE_BEFORE.search(text[start : m.start()]):
            continue  # "Volodymyr Zelensky", "President Volodymyr"
        if not _is_target(text, m.start(), stop, start) or _ACTOR_AFTER.match(text[stop:end]):
            continue
        if _RIVER_AFTER.match(text[stop:end]) or (
            fold(name) == "dnipro" and text[max(start, m.start() - 4) : m.start()] == "the "
        ):
            continue  # the Dnipro river
        found.append(Place(m.start(), stop, oblast, None if is_region else name))
        taken.append((m.start(), stop))
    found.sort(key=lambda p: p.start)
    return found


def _region_names(m: re.Match[str]) -> list[tuple[int, str]]:
    """The region names of "Kharkiv region" or of "Kharkiv and Sumy regions"."""
    names = [(m.start("name"), m["name"])]
    before = m.string[max(0, m.start() - 80) : m.start()]
    if m.group().endswith(("regions", "oblasts")):
        listed = re.search(rf"((?:{_NAME}\s*,\s*)*{_NAME})\s+and\s+$", before)
        if listed:
            base = m.start() - len(before) + listed.start(1)
            for part in re.finditer(_NAME, listed.group(1)):
                names.append((base + part.start(), part.group()))
    return names


def _is_target(text: str, start: int, end: int, sentence_start: int) -> bool:
    before = text[max(sentence_start, start - 60) : start]
    if _NOT_TARGET_BEFORE.search(before) is not None or _DIRECTIONS_AFTER.match(text, end):
        return False
    # Within a "from ..." phrase (launch sites, reference points) unless a target comes between:
    # "launched from Kursk region at Sumy"; a comma before a new clause ends the phrase.
    window = re.split(r"[;.]", text[max(sentence_start, start - 90) : start])[-1]
    sources = list(re.finditer(r"\bfrom\b", window))
    if not sources:
        return True
    between = window[sources[-1].end() :]
    if len(re.findall(r"[a-z][\w'-]*", between)) > 4:
        return True  # too far from "from" to be its place: "from the rubble of a block in Dnipro"
    return bool(_TARGET_BETWEEN.search(between) or re.search(r", (?!and\b)[a-z]", between))


def oblast_of(name: str) -> str | None:
    """The oblast a region's name means ("Dnipro" -> Dnipropetrovsk), or ``None``: the names
    and aliases of :data:`ceasefire.geo.placenames.REGION_ALIASES`, the one table of them."""
    return _oblast_names().get(fold(name.removeprefix("the ").removeprefix("The ")))


@lru_cache(maxsize=1)
def _oblast_names() -> dict[str, str]:
    names = {fold(name): name for name in ADMIN1_NAMES.values() if name != "Kyiv City"}
    for region, aliases in REGION_ALIASES.items():
        if region != "Kyiv City":
            names.update({fold(alias): region for alias in aliases})
    return names


def _settlement(words: str) -> tuple[str, int, str, bool] | None:
    """The longest leading run of ``words`` that names a settlement or a bare region:
    (gazetteer name, length of the run, oblast, whether it is a region)."""
    parts = re.split(r"(?<=\S)(?=[ ])", words)
    for n in range(len(parts), 0, -1):
        run = "".join(parts[:n])
        key = fold(run)
        if key in _NOT_PLACES:
            continue
        if key in _BARE_REGIONS:
            return _BARE_REGIONS[key], len(run), _BARE_REGIONS[key], True
        hit = _settlement_named(key)
        if hit is not None:
            return hit[0], len(run), hit[1], False
    return None


@lru_cache(maxsize=65536)
def _settlement_named(key: str) -> tuple[str, str] | None:
    """(gazetteer name, oblast) of the settlement a folded name means, by the one rule of
    :func:`ceasefire.geo.placenames.settlements` (its own spellings first, then the most
    populous), or ``None``."""
    found = settlements(load_gazetteer(), key)
    return None if not found else (found[0].name, found[0].region)
