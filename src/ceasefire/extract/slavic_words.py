"""Ukrainian and Russian words of the bulletins: weapons, roles, parties and the language.

Each matcher returns spans ``(start, end, label)`` into the text it is given (apostrophes are
normalised with :func:`slavic_numbers.normalise`, which keeps the length, so spans are offsets
into the original). Words are matched by their stems in every case form, ignoring case; the
tables are the vocabulary of the Ukrainian air force's morning bulletin and of the Russian
defence ministry's daily summary (docs/extract.md, "Ukrainian and Russian").

Places and dates live in :mod:`slavic_places` and :mod:`slavic_dates` and are re-exported here,
so that the English engine can take every Ukrainian and Russian piece from one module.
"""

from __future__ import annotations

import re
from typing import Final

from ceasefire.extract.slavic_dates import MONTHS, find_dates
from ceasefire.extract.slavic_numbers import normalise
from ceasefire.extract.slavic_places import find_regions, find_seas, find_settlements

__all__ = [
    "MONTHS",
    "ROLES",
    "WEAPON_CLASSES",
    "find_dates",
    "find_parties",
    "find_regions",
    "find_roles",
    "find_seas",
    "find_settlements",
    "find_weapons",
    "language",
]

Span = tuple[int, int, str]

#: The classes :func:`find_weapons` gives. ``missiles`` is a missile of no stated type;
#: ``bombs`` (guided aerial bombs) are not missiles; ``decoys`` are drones that imitate strike
#: drones (the English engine counts them among ``drones``).
WEAPON_CLASSES: Final = (
    "drones",
    "decoys",
    "missiles",
    "ballistic_missiles",
    "cruise_missiles",
    "bombs",
)

_W = r"[^\W\d_]*"  # the rest of a word (its case ending)
_B = r"(?<![\w'])"  # a word starts here
_E = r"(?![\w'])"  # a word ends here

#: Missile models -> class (a model after "ракет" decides the class when no adjective does).
_CRUISE_MODELS: Final = (
    r"[ХXКK]-?(?:101|555|55|22|32|59|69)(?:/\d+)?(?:[МM]?[КK]?[СC]?)?|Калібр\w*|Калибр\w*"
    r"|Іскандер-К|Искандер-К|Нептун\w*|Storm\s+Shadow|SCALP|Фламінго|Flamingo|Томагавк\w*"
)
_BALLISTIC_MODELS: Final = (
    r"Іскандер(?:-М)?|Искандер(?:-М)?|Кинджал\w*|Кинжал\w*|[ХX]-47\w*|KN-23|ATACMS|АТАКМС"
    r"|Точка-У|Орєшник|Орешник"
)
_MODEL_TAIL: Final = (
    r"(?:\s+(?:типу\s+|типа\s+)?[«\"]?(?:{models})[»\"]?(?:\s*/\s*[«\"]?(?:{models})[»\"]?)*)?"
)


def _with_models(models: str) -> str:
    return _MODEL_TAIL.format(models=models)


_ANY_MODEL = _CRUISE_MODELS + "|" + _BALLISTIC_MODELS
_ROCKET = rf"ракет(?:а|и|у|і|ою|ам|ами|ах|е|ой|ы)?{_E}"
_DRONE_NOUN = (
    rf"(?:БпЛА|БПЛА|БпАК|БПАК|UAV|дрон{_W}|безпілотник{_W}|беспилотник{_W}"
    rf"|безпілотн{_W}\s+(?:літальн{_W}\s+)?апарат{_W}|беспилотн{_W}\s+(?:летательн{_W}\s+)?аппарат{_W})"
)
#: (pattern, class), tried in order at each position: decoys and typed missiles before the
#: bare nouns, so that "дронів-імітаторів" is a decoy and "крилатих ракет" a cruise missile.
_WEAPONS: Final[list[tuple[str, str]]] = [
    (
        rf"(?:{_DRONE_NOUN}-)?(?:імітатор{_W}|имитатор{_W})|Гербер{_W}|Gerbera|Пародія|Пародия",
        "decoys",
    ),
    (rf"(?:дрон{_W}|БпЛА|БПЛА)\s+(?:-\s*)?(?:імітатор{_W}|имитатор{_W})", "decoys"),
    (rf"(?:ложн{_W}\s+цел{_W}|хибн{_W}\s+ціл{_W})", "decoys"),
    (
        rf"(?:аеро)?балістичн{_W}\s+{_ROCKET}{_with_models(_ANY_MODEL)}"
        rf"|(?:аэро)?баллистическ{_W}\s+{_ROCKET}{_with_models(_ANY_MODEL)}",
        "ballistic_missiles",
    ),
    (
        rf"(?:крилат{_W}|крылат{_W})\s+{_ROCKET}{_with_models(_ANY_MODEL)}",
        "cruise_missiles",
    ),
    (rf"(?:{_BALLISTIC_MODELS})", "ballistic_missiles"),
    (rf"(?:{_CRUISE_MODELS})", "cruise_missiles"),
    (
        rf"(?:керован{_W}|управляем{_W})\s+(?:авіаційн{_W}|авиационн{_W})\s+бомб{_W}"
        rf"|(?:керован{_W}\s+авіабомб{_W}|управляем{_W}\s+авиабомб{_W})"
        rf"|КАБ(?:ів|ами|ах|и|ов|ам)?{_E}|УАБ(?:ів|ами|и|ов)?{_E}|авіабомб{_W}|авиабомб{_W}",
        "bombs",
    ),
    (
        rf"(?:(?:зенітн{_W}|зенитн{_W})\s+)?(?:керован{_W}|управляем{_W})\s+"
        rf"(?:(?:авіаційн{_W}|авиационн{_W})\s+)?{_ROCKET}{_with_models(_ANY_MODEL)}",
        "missiles",
    ),
    (rf"{_ROCKET}{_with_models(_ANY_MODEL)}", ""),  # the model, if any, decides
    (
        rf"(?:ударн{_W}\s+)?{_DRONE_NOUN}(?:\s+(?:типу|типа)\s+[«\"]?(?:Shahed|Шахед|Герань|Geran)"
        rf"[\w-]*[»\"]?)?|[Шш]ахед{_W}|Shahed[\w-]*|Герань(?:-\d)?{_W}|Geran-?\d*|Ланцет{_W}",
        "drones",
    ),
]
_WEAPON_RE: Final = re.compile(
    "|".join(f"{_B}(?P<w{i}>{p})" for i, (p, _) in enumerate(_WEAPONS)), re.IGNORECASE
)


def _model_class(words: str) -> str:
    """The class of "ракет <model>": ballistic for a ballistic model, else cruise or plain."""
    if re.search(_BALLISTIC_MODELS, words, re.IGNORECASE):
        return "ballistic_missiles"
    if re.search(_CRUISE_MODELS, words, re.IGNORECASE):
        return "cruise_missiles"
    return "missiles"


def find_weapons(text: str) -> list[Span]:
    """``(start, end, class)`` of every weapon noun phrase (:data:`WEAPON_CLASSES`).

    >>> t = "396 ударними БпЛА та 4 балістичними ракетами Іскандер-М"
    >>> [(t[s:e], c) for s, e, c in find_weapons(t)]
    [('ударними БпЛА', 'drones'), ('балістичними ракетами Іскандер-М', 'ballistic_missiles')]
    """
    out: list[Span] = []
    for m in _WEAPON_RE.finditer(normalise(text)):
        group = m.lastgroup or ""
        cls = _WEAPONS[int(group[1:])][1]
        if not cls:
            cls = _model_class(m.group())
        out.append((m.start(), m.end(), cls))
    return out


#: Role words -> role: what the text says happened to the weapons or the people.
ROLES: Final[dict[str, str]] = {
    # launched
    rf"атакува{_W}|атакова{_W}|запусти{_W}|запуска{_W}|застосува{_W}|застосову{_W}"
    rf"|випусти{_W}|примени{_W}|применя{_W}|выпусти{_W}|задія{_W}": "launched",
    # destroyed: shot down and suppressed together ("збито/подавлено")
    rf"збито\s*/\s*подавлено|збит{_W}|збив{_W}|збили|подавлен{_W}|знешкодж{_W}|знищ{_W}"
    rf"|нейтралізова{_W}|перехопл{_W}|перехопи{_W}|уничтож{_W}|перехвач{_W}|перехвати{_W}"
    rf"|сбит{_W}|сбил{_W}|нейтрализова{_W}": "destroyed",
    # hit
    rf"(?:зафіксовано\s+)?влучан{_W}|влучи{_W}|влуча{_W}|уражен{_W}|ураже{_W}"
    rf"|(?:зафиксирован{_W}\s+)?попадани{_W}|поражен{_W}": "hit",
    # lost locally (jammed): neither destroyed nor hit
    rf"локаційно\s+втрачен{_W}|втрачен{_W}\s+локаційно|локационно\s+потерян{_W}": "lost",
    # debris fell: not a hit
    rf"(?:падіння\s+)?уламк{_W}|(?:падение\s+)?обломк{_W}": "debris",
    # killed
    rf"загину{_W}|загинув|загибл{_W}|загибел{_W}|вбит{_W}|вбив{_W}|убит{_W}|погиб{_W}": "killed",
    # injured
    rf"поранен{_W}|поранил{_W}|поранень|постражда{_W}|травмова{_W}|ранен{_W}|ранил{_W}"
    rf"|пострада{_W}|травмирова{_W}": "injured",
    # people affected
    r"без\s+(?:світла|електропостачання|електроенергії|електрики|тепла|теплопостачання"
    r"|опалення|водопостачання|води|газу|газопостачання|зв'язку|света|электроснабжения"
    r"|электричества|электроэнергии|отопления|водоснабжения|воды|газа|связи)"
    rf"|знеструмл{_W}|обесточ{_W}": "affected",
}
_ROLE_KEYS: Final = list(ROLES.values())
_ROLE_RE: Final = re.compile(
    "|".join(f"{_B}(?P<r{i}>{p}){_E}" for i, p in enumerate(ROLES)), re.IGNORECASE
)


def find_roles(text: str) -> list[Span]:
    """``(start, end, role)``: "launched", "destroyed", "hit", "lost", "debris", "killed",
    "injured", "affected".

    >>> t = "збито/подавлено 352 БпЛА; 2 людини загинули, 5 поранені, 900 абонентів без світла"
    >>> [(t[s:e], r) for s, e, r in find_roles(t)]
    [('збито/подавлено', 'destroyed'), ('загинули', 'killed'), ('поранені', 'injured'), \
('без світла', 'affected')]
    """
    out: list[Span] = []
    for m in _ROLE_RE.finditer(normalise(text)):
        out.append((m.start(), m.end(), _ROLE_KEYS[int((m.lastgroup or "r0")[1:])]))
    return out


#: Party words: (pattern, code) in a Ukrainian text, and in a Russian one. "Противник" (the
#: enemy) is the other side in each.
_PARTIES_UK: Final = [
    (
        rf"противник{_W}|ворог{_W}|ворож{_W}|рф|РФ|Росі{_W}|російськ{_W}|окупант{_W}"
        rf"|окупаці{_W}|рашист{_W}|агресор{_W}",
        "RU",
    ),
    (rf"ЗСУ|Сил{_W}\s+оборони|українськ{_W}|Україн{_W}", "UA"),
]
_PARTIES_RU: Final = [
    (
        rf"противник{_W}|киевск{_W}\s+режим{_W}|ВСУ|ВФУ|украинск{_W}|Украин{_W}|неонацист{_W}"
        rf"|бандеров{_W}|боевик{_W}",
        "UA",
    ),
    (rf"ВС\s+РФ|российск{_W}|Росси{_W}|РФ|Минобороны|группировк{_W}\s+войск", "RU"),
]


def _party_re(table: list[tuple[str, str]]) -> re.Pattern[str]:
    return re.compile(
        "|".join(f"{_B}(?P<p{i}>{p}){_E}" for i, (p, _) in enumerate(table)), re.IGNORECASE
    )


_PARTY_RE: Final = {"uk": _party_re(_PARTIES_UK), "ru": _party_re(_PARTIES_RU)}
_PARTY_CODES: Final = {"uk": [c for _, c in _PARTIES_UK], "ru": [c for _, c in _PARTIES_RU]}


def find_parties(text: str, lang: str | None = None) -> list[Span]:
    """``(start, end, party code)`` of the words naming a side, read as a text in ``lang``
    ("uk" or "ru"; :func:`language` when ``None``). Who attacked is the caller's reading of
    the sentence; this only names the side each word means ("противник" is Russia in a
    Ukrainian text and Ukraine in a Russian one). A text of neither language gives ``[]``.

    >>> t = "Дежурными средствами ПВО перехвачены беспилотники киевского режима"
    >>> [(t[s:e], c) for s, e, c in find_parties(t)]
    [('киевского режима', 'UA')]
    """
    lang = lang or language(text)
    if lang not in _PARTY_RE:
        return []
    codes = _PARTY_CODES[lang]
    return [
        (m.start(), m.end(), codes[int((m.lastgroup or "p0")[1:])])
        for m in _PARTY_RE[lang].finditer(normalise(text))
    ]


_UK_LETTERS: Final = frozenset("іїєґІЇЄҐ")
_RU_LETTERS: Final = frozenset("ыэъёЫЭЪЁ")


def language(text: str) -> str | None:
    """ "uk" or "ru" by the letters only one of them has (і ї є ґ; ы э ъ ё), or ``None`` when
    the text has neither (English, or too short to tell).

    >>> language("Противник атакував Київ"), language("Противник атаковал объекты"), language("Hi")
    ('uk', 'ru', None)
    """
    uk = sum(c in _UK_LETTERS for c in text)
    ru = sum(c in _RU_LETTERS for c in text)
    if uk == ru:
        return None
    return "uk" if uk > ru else "ru"
