"""Regions, seas and settlements named in Ukrainian and Russian text, in every case form.

Regions (:func:`find_regions`) come from a table of stems: the adjective of the oblast
("Харківська область", "Харківської області", "Белгородской", "над Брянской областью"), the
Ukrainian "-щина" name ("на Харківщині", "Київщину") and the few regions named by a noun ("Крим",
"Крым", "м. Київ", "Києві", "Севастополь"). Each gives the oblast as the gazetteer spells it
(:data:`ceasefire.geo.gazetteer.ADMIN1_NAMES`). Only feminine adjective forms count: "Харківський
напрямок" (a direction of the front) and "киевский режим" are not regions.

Settlements (:func:`find_settlements`) come from the gazetteer's Cyrillic names, each declined
by the rules of its ending (consonant, -а, -я, -о/-е, plural -и/-і, adjective -ий), with the
Ukrainian і/о and ї/є alternation ("Харків" -> "Харкові", "Київ" -> "Києва") and the
locative's к/ц, г/з, х/с ("Кременчуці", "Кривому Розі"). A capitalised word (or two or three)
whose form is in the index is a settlement; the most populous bearer of a name wins. A
capitalised word not in the index is tried as the transliteration of its nominatives against
the gazetteer's Latin names ("Кадіївці" -> "Kadiivka"), since GeoNames lacks the Ukrainian
Cyrillic name of many towns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Final

from ceasefire.extract.slavic_numbers import normalise
from ceasefire.geo.gazetteer import ADMIN1_NAMES, Gazetteer, load_gazetteer

__all__ = ["REGIONS", "find_regions", "find_seas", "find_settlements"]

_W = r"[^\W\d_]*"
_B = r"(?<![\w'])"
_E = r"(?![\w'])"

#: Oblast -> (Ukrainian adjective stem, Ukrainian "-щина" stem, Russian adjective stem).
REGIONS: Final[dict[str, tuple[str, str, str]]] = {
    "Cherkasy": ("Черкаськ", "Черкащин", "Черкасск"),
    "Chernihiv": ("Чернігівськ", "Чернігівщин", "Черниговск"),
    "Chernivtsi": ("Чернівецьк", "Буковин", "Черновицк"),
    "Dnipropetrovsk": ("Дніпропетровськ", "Дніпропетровщин", "Днепропетровск"),
    "Donetsk": ("Донецьк", "Донеччин", "Донецк"),
    "Ivano-Frankivsk": ("Івано-Франківськ", "Прикарпатт", "Ивано-Франковск"),
    "Kharkiv": ("Харківськ", "Харківщин", "Харьковск"),
    "Kherson": ("Херсонськ", "Херсонщин", "Херсонск"),
    "Khmelnytskyi": ("Хмельницьк", "Хмельниччин", "Хмельницк"),
    "Kirovohrad": ("Кіровоградськ", "Кіровоградщин", "Кировоградск"),
    "Kyiv": ("Київськ", "Київщин", "Киевск"),
    "Luhansk": ("Луганськ", "Луганщин", "Луганск"),
    "Lviv": ("Львівськ", "Львівщин", "Львовск"),
    "Mykolaiv": ("Миколаївськ", "Миколаївщин", "Николаевск"),
    "Odesa": ("Одеськ", "Одещин", "Одесск"),
    "Poltava": ("Полтавськ", "Полтавщин", "Полтавск"),
    "Rivne": ("Рівненськ", "Рівненщин", "Ровенск"),
    "Sumy": ("Сумськ", "Сумщин", "Сумск"),
    "Ternopil": ("Тернопільськ", "Тернопільщин", "Тернопольск"),
    "Vinnytsia": ("Вінницьк", "Вінниччин", "Винницк"),
    "Volyn": ("Волинськ", "Волин", "Волынск"),
    "Zakarpattia": ("Закарпатськ", "Закарпатт", "Закарпатск"),
    "Zaporizhzhia": ("Запорізьк", "Запоріжжин", "Запорожск"),
    "Zhytomyr": ("Житомирськ", "Житомирщин", "Житомирск"),
    "Belgorod": ("Бєлгородськ", "Бєлгородщин", "Белгородск"),
    "Bryansk": ("Брянськ", "Брянщин", "Брянск"),
    "Kursk": ("Курськ", "Курщин", "Курск"),
    "Rostov": ("Ростовськ", "Ростовщин", "Ростовск"),
    "Voronezh": ("Воронізьк", "Воронежчин", "Воронежск"),
}
# "Івано-Франківська", "Донецьку" are also the city's genitive and locative: those two
# forms are the region only with "область" after them.
_UK_ADJ = r"(?:ої|ій|ою)"
_UK_ADJ_CITY = r"(?:а|у)"
_OBLAST = rf"(?:област{_W}|обл\.)"
_RU_ADJ = r"(?:ая|ой|ую|ою)"
_CASE = r"(?:а|и|і|у|ою|ь|ю|ня|ні|ню|ям|ях|я)?"  # "-щина", "Буковина", "Закарпаття", "Волинь"
_CITY_COUNCIL = r"\s+(?:міськ|городск)"

#: (pattern, oblast) tried in order; the city names of the two regions that are cities.
_REGION_TABLE: Final[list[tuple[str, str]]] = [
    (rf"Київськ{_W}\s+міськ{_W}|Киевск{_W}\s+городск{_W}", "Kyiv City"),
    (
        r"(?:(?:м\.|місто|міста|місті|г\.|город[ае]?)\s*)?"
        r"(?:Київ|Києв(?:а|і|у|ом)|Киев(?:а|е|у|ом)?)",
        "Kyiv City",
    ),
    (
        rf"(?:(?:АР|Автономн{_W}\s+Республік{_W})\s+)?(?:Крим(?:у|ом|і)?|Крым(?:а|у|ом|е)?)",
        "Crimea",
    ),
    (r"Севастопол(?:ь|я|і|ю|ем|е)", "Sevastopol"),
    *(
        (
            rf"(?:{uk}{_UK_ADJ}|{ru}{_RU_ADJ})(?:\s+{_OBLAST})?(?!{_CITY_COUNCIL})"
            rf"|{uk}{_UK_ADJ_CITY}\s+{_OBLAST}|{shchyna}{_CASE}",
            name,
        )
        for name, (uk, shchyna, ru) in REGIONS.items()
    ),
]
assert {name for _, name in _REGION_TABLE} <= set(ADMIN1_NAMES.values())
#: The letters a region's name can start with: a look-ahead that lets the search skip every
#: other position at once (3x faster on a bulletin than trying 33 alternatives there).
_REGION_FIRST: Final = "".join(
    sorted(
        {c for stems in REGIONS.values() for stem in stems for c in stem[0] + stem[0].lower()}
        | set("МмГгАаКкСс")
    )
)
_REGION_RE: Final = re.compile(
    f"(?=[{_REGION_FIRST}])(?:"
    + "|".join(f"{_B}(?P<g{i}>{p}){_E}" for i, (p, _) in enumerate(_REGION_TABLE))
    + ")",
    re.IGNORECASE,
)


def find_regions(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, oblast)`` of each region named in ``text`` (Ukrainian or Russian),
    the oblast as the gazetteer spells it.

    >>> t = "41 — над территорией Брянской области, на Харківщині, у Києві"
    >>> [(t[s:e], o) for s, e, o in find_regions(t)]
    [('Брянской области', 'Bryansk'), ('Харківщині', 'Kharkiv'), ('Києві', 'Kyiv City')]
    """
    return [
        (m.start(), m.end(), _REGION_TABLE[int((m.lastgroup or "g0")[1:])][1])
        for m in _REGION_RE.finditer(normalise(text))
    ]


_SEAS: Final = [
    (rf"Чорн{_W}|Черн{_W}|Чёрн{_W}", "Black Sea"),
    (rf"Азовськ{_W}|Азовск{_W}", "Sea of Azov"),
    (rf"Каспійськ{_W}|Каспийск{_W}", "Caspian Sea"),
]
_SEA_RE: Final = re.compile(
    "|".join(
        rf"{_B}(?P<s{i}>(?:акватор{_W}\s+)?(?:{p})\s+мор{_W}){_E}" for i, (p, _) in enumerate(_SEAS)
    ),
    re.IGNORECASE,
)


def find_seas(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, sea)``: a sea is not a region ("над акваторией Черного моря").

    >>> t = "3 — над акваторией Черного моря"
    >>> [(t[s:e], n) for s, e, n in find_seas(t)]
    [('акваторией Черного моря', 'Black Sea')]
    """
    return [
        (m.start(), m.end(), _SEAS[int((m.lastgroup or "s0")[1:])][1])
        for m in _SEA_RE.finditer(normalise(text))
    ]


# -- settlements ----------------------------------------------------------------------------------

_CONSONANT_ENDINGS: Final = ("", "а", "у", "ові", "і", "е", "ом", "ем", "ю", "я")
_SOFT_LOCATIVE: Final = {"к": "ці", "г": "зі", "х": "сі"}


def _fold(name: str) -> str:
    return normalise(name).lower().replace("ё", "е").replace("’", "'")


def _alternating(stem: str) -> list[str]:
    """The stem and its Ukrainian oblique stem: "харків" -> "харков", "київ" -> "києв",
    "ріг" -> "рог", "тернопіл" -> "тернопол"."""
    out = [stem]
    if len(stem) >= 3 and stem[-2] in "іїо" and stem[-1] not in "аеиіїоуюяєь":
        out.append(stem[:-2] + {"і": "о", "ї": "є", "о": "о"}[stem[-2]] + stem[-1])
    return out


def _word_forms(word: str) -> set[str]:
    """The case forms of one word of a place name (a generous set: the index only looks
    up what the text holds)."""
    forms = {word}
    if word.endswith(("ий", "ый", "ій")):
        stem = word[:-2]
        forms.update(stem + e for e in ("ого", "ому", "им", "ім", "ом", "ой", "ым"))
    elif word.endswith(("а", "я")):
        stem = word[:-1]
        forms.update(stem + e for e in ("и", "і", "ї", "ы", "е", "у", "ю", "ою", "ею", "ой", "ей"))
        if stem[-1:] in _SOFT_LOCATIVE:
            forms.add(stem[:-1] + _SOFT_LOCATIVE[stem[-1]])
        if word.endswith("я"):
            forms.update(stem + e for e in ("ям", "ї"))
    elif word.endswith(("о", "е", "є")):
        stem = word[:-1]
        forms.update(
            stem + e for e in ("а", "у", "і", "ом", "е", "я", "ю", "ем", "ого", "ому", "им")
        )
    elif word.endswith(("и", "і", "ы")):
        stem = word[:-1]
        forms.update(stem + e for e in ("", "ах", "ам", "ами", "ів", "ов", "ях", "ей"))
    elif word.endswith("ь"):
        for stem in _alternating(word[:-1]):
            forms.update(stem + e for e in ("я", "ю", "і", "е", "ем", "ем"))
    else:
        for stem in _alternating(word):
            forms.update(stem + e for e in _CONSONANT_ENDINGS if stem != word or e)
            if stem[-1:] in _SOFT_LOCATIVE:
                forms.add(stem[:-1] + _SOFT_LOCATIVE[stem[-1]])
    return {f for f in forms if f}


def _name_forms(name: str) -> Iterable[str]:
    """Every form of a (one- to three-word) name: each word declined, combined."""
    words = _fold(name).split()
    if not words or len(words) > 3:
        return ()
    combos = [""]
    for w in words:
        head, sep, tail = w.partition("-")
        if sep and tail.startswith(("на-", "над-")):  # "Ростов-на-Дону": decline the first
            fs = {f"{f}-{tail}" for f in _word_forms(head)}
        elif sep:  # "Івано-Франківськ": decline the last part
            fs = {f"{head}-{f}" for f in _word_forms(tail)}
        else:
            fs = _word_forms(w)
        combos = [f"{c} {f}".strip() for c in combos for f in fs]
    return combos


#: Capitalised words the bulletins start sentences with that are also village names.
_STOP: Final = frozenset(
    {  # sentence openers, prepositions ("Біля Бахмута": not the village Bile)
        "україна",
        "україни",
        "україні",
        "україну",
        "росія",
        "росії",
        "сили",
        "повітряні",
        "противник",
        "ворог",
        "внаслідок",
        "також",
        "всього",
        "усього",
        "загалом",
        "наразі",
        "попередньо",
        "інформація",
        "дежурными",
        "ранее",
        "всего",
        "итого",
        "кроме",
        "сьогодні",
        "сегодня",
        "вчора",
        "вчера",
        "згідно",
        "унаслідок",
        "станом",
        "нова",
        "нові",
        "новий",
        "біля",
        "після",
        "поблизу",
        "через",
        "серед",
        "навколо",
        "вздовж",
        "близько",
        "понад",
        "майже",
        "около",
        "более",
        "возле",
        "после",
        "вблизи",
    }
)
_CYRILLIC: Final = re.compile(r"[\u0400-\u04ff]")


@lru_cache(maxsize=4)
def _settlement_index(g: Gazetteer) -> dict[str, int]:
    """Folded form of a Cyrillic name -> the most populous settlement bearing it."""
    index: dict[str, int] = {}
    order = sorted(range(len(g)), key=lambda i: -int(g.population[i]))
    for i in order:
        for name in g.alternates[i] if g.alternates else ():
            if not _CYRILLIC.search(name):
                continue
            for form in _name_forms(name):
                if len(form) >= 4 and form not in _STOP:
                    index.setdefault(form, i)  # the most populous first
    return index


# -- the Latin fallback: GeoNames has a Ukrainian Cyrillic name for only half of Ukraine's
# towns of 20,000+ (137 of 276; "Кадіївка" is missing, its Russian "Кадиевка" is there), but
# their Latin names are the Ukrainian ones transliterated. So an unknown capitalised word is
# turned back into its nominative and transliterated by the national system (KMU 2010).

_KMU: Final = dict(
    zip(
        "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя'-",
        [
            *("a", "b", "v", "h", "g", "d", "e", "ie", "zh", "z", "y", "i", "i", "i", "k"),
            *("l", "m", "n", "o", "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh"),
            *("shch", "", "iu", "ia", "", "-"),
        ],
        strict=True,
    )
)
#: At the start of a word: "Єнакієве" -> "Yenakiieve", "Южне" -> "Yuzhne".
_KMU_INITIAL: Final = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}
#: Case endings -> nominative endings, tried in turn ("Кадіївці" -> "Кадіївка").
_UNDO: Final = (
    *(("ці", "ка"), ("зі", "га"), ("сі", "ха"), ("ою", "а"), ("ею", "я"), ("ої", "а")),
    *(("ій", "а"), ("и", "а"), ("і", "а"), ("у", "а"), ("ю", "я"), ("і", "я"), ("ї", "я")),
    *(("ом", ""), ("ові", ""), ("а", ""), ("у", ""), ("і", ""), ("ем", "ь"), ("я", "ь")),
    *(("ого", "ий"), ("ому", "ий"), ("им", "ий"), ("ім", "ий"), ("ого", "е"), ("ому", "е")),
    *(("им", "е"), ("ах", "и"), ("ах", "і"), ("ів", "и"), ("ам", "и"), ("ами", "и")),
)


def _latin(word: str) -> str:
    """A folded Ukrainian word in the national transliteration."""
    if not word:
        return word
    head = _KMU_INITIAL.get(word[0]) or _KMU.get(word[0], word[0])
    return head + "".join(_KMU.get(c, c) for c in word[1:])


def _nominatives(word: str) -> set[str]:
    """The nominatives a folded word may be a case form of (the word itself included)."""
    out = {word}
    for ending, nominative in _UNDO:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            stem = word[: len(word) - len(ending)]
            out.add(stem + nominative)
            if not nominative and stem[-2] in "оє" and stem[-1] not in "аеиіїоуюяєь":
                out.add(stem[:-2] + ("і" if stem[-2] == "о" else "ї") + stem[-1])  # Харкова
    return out


@lru_cache(maxsize=4)
def _latin_index(g: Gazetteer) -> dict[str, int]:
    """Folded Latin name or alternate -> the most populous settlement bearing it."""
    index: dict[str, int] = {}
    for i in sorted(range(len(g)), key=lambda i: -int(g.population[i])):
        for name in (str(g.name[i]), *(g.alternates[i] if g.alternates else ())):
            if name.isascii() and len(name) >= 4:
                index.setdefault(name.casefold().replace("'", ""), i)
    return index


@lru_cache(maxsize=8192)  # bulletins name the same places day after day
def _by_latin(g: Gazetteer, words: tuple[str, ...]) -> int | None:
    """The settlement whose Latin name a (one- or two-word) Ukrainian name transliterates."""
    if any(_CYRILLIC.search(w) is None or w in _STOP for w in words):
        return None
    index = _latin_index(g)
    combos = [""]
    for w in words:
        combos = [f"{c} {_latin(n)}".strip() for c in combos for n in _nominatives(w)]
    hits = [index[c] for c in combos if len(c) >= 5 and c in index]
    return max(hits, key=lambda i: int(g.population[i])) if hits else None


_CITY_REGIONS: Final = frozenset({"Kyiv City", "Sevastopol"})
_WORD: Final = re.compile(r"[^\W\d_]+(?:['-][^\W\d_]+)*")


def find_settlements(text: str, gazetteer: Gazetteer | None = None) -> list[tuple[int, int, int]]:
    """``(start, end, index)`` of each settlement named in Cyrillic in ``text``: ``index``
    is the settlement's row in ``gazetteer`` (the regional one by default), so that
    ``gazetteer.name[index]`` is its name and ``gazetteer.admin1[index]`` its oblast.

    >>> g = load_gazetteer()
    >>> t = "Влучання зафіксовано у Харкові та Кривому Розі"
    >>> [(t[s:e], str(g.name[i])) for s, e, i in find_settlements(t)]
    [('Харкові', 'Kharkiv'), ('Кривому Розі', 'Kryvyy Rih')]
    """
    g = gazetteer if gazetteer is not None else load_gazetteer()
    index = _settlement_index(g)
    norm = normalise(text)
    words = list(_WORD.finditer(norm))
    folded = [_fold(w.group()) for w in words]
    hits: list[tuple[int, int, int]] = []
    k = 0
    while k < len(words):
        if not words[k].group()[0].isupper():
            k += 1
            continue
        for n in (3, 2, 1):
            if k + n > len(words) or any(
                not norm[words[j].end() : words[j + 1].start()].isspace()
                for j in range(k, k + n - 1)
            ):
                continue
            hit = index.get(" ".join(folded[k : k + n]))
            if hit is None and n < 3 and all(w.group()[0].isupper() for w in words[k : k + n]):
                hit = _by_latin(g, tuple(folded[k : k + n]))
            if hit is not None:
                hits.append((words[k].start(), words[k + n - 1].end(), hit))
                k += n
                break
        else:
            k += 1
    if not hits:
        return hits
    # A region's own word is not a settlement ("Крымом" is Crimea, not the village Krym);
    # the two regions that are cities (Kyiv City, Sevastopol) are both.
    regions = [(s, e) for s, e, o in find_regions(text) if o not in _CITY_REGIONS]
    out = [h for h in hits if not any(s < h[1] and h[0] < e for s, e in regions)]
    return out
