"""The Ukrainian and Russian words the rules read, under the names :mod:`lexicon` gives the
English ones, built from the stems of :mod:`slavic_words` (weapons, roles, parties).

One table serves both languages except who attacked: a Ukrainian bulletin names the attacker
as "противник", "ворог", "окупанти" (Russia); a Russian one as "противник", "ВСУ", "киевский
режим" (Ukraine). The defender's own words ("ЗСУ збили", "российские ПВО") name no attacker, so
each language reads only the other side's words (:data:`PARTIES_UK`, :data:`PARTIES_RU`).
"""

from __future__ import annotations

import re
from typing import Final

from ceasefire.extract import slavic_words as sw
from ceasefire.extract.lexicon import QUALIFIER_KIND as _ENGLISH_QUALIFIERS

_I = re.IGNORECASE
_W = sw._W  # the rest of a word (its case ending)
_B = sw._B
_E = sw._E
#: A pattern that never matches: a rule English needs and these languages do not.
NEVER: Final = re.compile(r"(?!x)x")


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"{_B}(?:{p}){_E}" for p in patterns), _I)


def _weapons(*classes: str) -> str:
    return "|".join(p for p, c in sw._WEAPONS if c in classes)


def _role(name: str) -> str:
    return "|".join(p for p, r in sw.ROLES.items() if r == name)


BALLISTIC: Final = re.compile(rf"балістичн|баллистическ|{sw._BALLISTIC_MODELS}", _I)
#: Cruise by the word, or by a model the air force always classes so (docs/extract.md: Kh-22,
#: Kh-59/69 and others stay plain missiles).
CRUISE: Final = re.compile(
    r"крилат|крылат|[ХX]-?(?:101|555|55)(?![\d/])|Калібр|Калибр|Іскандер-К|Искандер-К", _I
)

#: The noun a quantity counts (tried at each of the next words, :data:`lexicon.NOUNS`'s order:
#: drones and missiles first).
NOUNS: Final = [
    ("drones", re.compile(rf"(?:{_weapons('drones', 'decoys')})", _I)),
    ("missiles", re.compile(
        rf"(?:{_weapons('missiles', 'ballistic_missiles', 'cruise_missiles', '')}"
        rf"|балістик{_W}|баллистик{_W})", _I)),
    ("bombs", re.compile(rf"(?:{_weapons('bombs')})", _I)),
    ("people", re.compile(
        rf"(?:люд{_W}|особ{_W}|осіб|мешкан{_W}|жител{_W}|цивільн{_W}|мирн{_W}|діт{_W}|дитин{_W}"
        rf"|дет{_W}|ребен{_W}|жін{_W}|женщин{_W}|чолов{_W}|мужчин{_W}|пенсіонер{_W}"
        rf"|пенсионер{_W}|військов{_W}|военн{_W}|рятувальник{_W}|спасател{_W}|поліцейськ{_W}"
        rf"|працівник{_W}|сотрудник{_W}|медик{_W}|підлітк{_W}|человек)", _I)),
    ("casualty", re.compile(
        rf"(?:загибл{_W}|поранен{_W}|постраждал{_W}|погибш{_W}|ранен{_W}|пострадавш{_W})", _I)),
    ("explosions", re.compile(rf"(?:вибух{_W}|взрыв{_W})", _I)),
    ("violations", re.compile(rf"(?:порушен{_W}\s+(?:режиму\s+)?(?:тиші|припинення вогню)"
                              rf"|нарушени{_W}\s+(?:режима\s+)?(?:тишины|прекращения огня))", _I)),
    ("locations", re.compile(
        rf"(?:локаці{_W}|населен{_W}\s+пункт{_W}|об'єкт{_W}|объект{_W}|мі?сц{_W}|громад{_W}"
        rf"|підстанці{_W}|подстанци{_W}|електростанці{_W}|электростанци{_W}|ТЕЦ|ТЭЦ|ТЕС|ТЭС"
        rf"|підприємств{_W}|предприяти{_W}|склад{_W}|нафтобаз{_W}|нефтебаз{_W})", _I)),
    ("regions", re.compile(rf"(?:област{_W}|регіон{_W}|регион{_W})", _I)),
    ("homes", re.compile(rf"(?:будин{_W}|домівк{_W}|дом{_W}|квартир{_W}|абонент{_W}"
                         rf"|споживач{_W}|потребител{_W}|автомобіл{_W}|автомобил{_W})", _I)),
    ("hits", NEVER),
]  # fmt: skip

#: Function words that end a noun phrase.
PHRASE_STOP: Final = re.compile(
    r"^(?:було|були|був|була|та|і|й|и|в|у|на|над|з|із|зі|от|из|до|по|що|які|яких|а|але|но|під|"
    r"под|за|при|від|для|після|после|было|были|был|была|который|которые|которых|это|це)$",
    _I,
)

ROLES: Final = [
    ("destroyed", _any(_role("destroyed"))),
    ("lost", _any(_role("lost"))),
    ("hit", _any(_role("hit"))),
    ("launched", _any(_role("launched"), rf"удар{_W}\s+(?:по|із|з)", rf"атак{_W}")),
]
HARM: Final = [
    ("killed", _any(_role("killed"))),
    ("injured", _any(_role("injured"))),
    ("people_affected", _any(_role("affected"))),
]
DEBRIS: Final = _any(_role("debris"))
LOCATION_HIT: Final = _any(
    _role("hit"), rf"обстрі?л{_W}", rf"удар{_W}", rf"атакува{_W}", rf"атакова{_W}", rf"уражен{_W}"
)

PART_BEFORE: Final = re.compile(
    r"(?:серед них|серед яких|з них|з яких|у тому числі|в тому числі|зокрема|в том числе|"
    r"среди них|среди которых|из них|из которых|включно з|включая)"
    r"(?:[\s,:-]+[\w'-]*\d[\w'-]*)?[\s,:-]*$",  # "в том числе 12-летний ребёнок"
    _I,
)
ANAPHOR_AFTER: Final = re.compile(r"^\s*(?:з них|із них|из них)(?![\w'])", _I)
#: "близько 100 з них — шахеди": a part of the figure before.
PART_AFTER: Final = ANAPHOR_AFTER
ANAPHOR_BEFORE: Final = re.compile(r"(?:з них|із них|из них|з яких|из которых)[\s,:-]*$", _I)
ADDITIVE: Final = re.compile(r"(?<![\w'])(?:ще|еще|ещё|також|также)(?![\w'])", _I)
REFERENCE_BEFORE: Final = NEVER
AMONG_BEFORE: Final = re.compile(
    r"(?:серед|среди) (?:загиблих|поранених|постраждалих|погибших|раненых|пострадавших)"
    r"\s+(?:\S+\s+){0,4}$",
    _I,
)
HARM_VERB_BEFORE: Final = re.compile(
    rf"(?:{_role('killed')}|{_role('injured')})\s+$",
    _I,
)
LIST_BEFORE: Final = re.compile(r"(?:[,:]|(?<![\w'])(?:та|і|й|и))\s+$", _I)
BARE: Final = re.compile(r"\s*(?:[,;.)-]|$|(?:над|в|у|на|з|из|—)(?![\w']))", _I)
#: "Кількість поранених зросла до 41", "число погибших возросло до 7".
DEATH_TOLL: Final = re.compile(
    r"(?:кількість|число|количество)\s+(?P<harm>загиблих|поранених|постраждалих|погибших|"
    r"раненых|пострадавших)\s+(?:[\w'-]+\s+){0,3}?(?:зросла|зросло|збільшилася|збільшилась|"
    r"сягнула|становить|возросло|выросло|увеличилось|достигло|составляет)\s*$",
    _I,
)
COMPARED: Final = re.compile(r"(?:порівняно з|у порівнянні з|по сравнению с)", _I)
MODAL: Final = re.compile(
    r"(?<![\w'])(?:може|можуть|может|могут|ймовірно|вероятно|можливо|возможно)(?![\w'])", _I
)
NEGATION: Final = re.compile(r"\s*(?:не|ні)(?![\w'])", _I)
WITH_BEFORE: Final = NEVER
OF_TOTAL_BEFORE: Final = re.compile(r"[\d\w]+\s+(?:з|із|из)\s+$", _I)
#: One person: "загинула жінка", "поранено 63-річного чоловіка" (nominative and accusative
#: singular only: other forms are also plurals' or counts').
_ONE = (
    r"(?:жінка|жінку|чоловік|чоловіка|дитина|дитину|хлопчик|хлопчика|дівчинка|"
    r"дівчинку|підліток|підлітка|водій|водія|пенсіонерка|пенсіонер|женщина|женщину|мужчина|"
    r"мужчину|ребенок|ребёнок|ребенка|подросток|водитель|водителя)"
)
_HARM_WORD = rf"(?:{_role('killed')}|{_role('injured')})"
#: One person, right beside the verb that harmed them ("загинула жінка", "поранено чоловіка",
#: "погиб водитель"): with no article, a noun further off is as often the one named before.
ONE_PERSON: Final = re.compile(
    rf"(?<![\w']){_HARM_WORD}\s+(?:[\w'-]+\s+)?{_ONE}(?![\w'])"
    rf"|(?<![\w']){_ONE}\s+(?:[\w'-]+\s+)?{_HARM_WORD}(?![\w'])",
    _I,
)
ONE_OBJECT: Final = NEVER
ONE_WEAPON: Final = NEVER
NO_CASUALTIES: Final = re.compile(r"без жертв|жертв немає|жертв нет", _I)
#: "Постраждалих немає", "без поранених", "никто не пострадал": nobody injured (or killed, as
#: the words say; the other figure is not said).
NOBODY: Final = re.compile(
    r"(?:ніхто не|никто не)\s+(?:загинув|постраждав|поранений|погиб|пострадал|ранен)"
    r"|(?:постраждалих|пострадавших|поранених|раненых)\s+(?:немає|нет)"
    r"|без\s+(?:постраждалих|пострадавших|поранених|раненых)",
    _I,
)
NONE_RECORDED: Final = NEVER
NONE_DESTROYED: Final = NEVER
TOTAL_AFTER: Final = re.compile(
    r"\s*(?:[\w'-]+\s+){0,2}?(?:по всій Україні|по всей Украине|загалом|всего|у \w+ областях|"
    r"в \w+ областях)",
    _I,
)
OF_THE_TOTAL: Final = NEVER
RATE_AFTER: Final = re.compile(
    r"(?:\s+[\w'-]+){1,4}?\s+(?:на|в)\s+(?:добу|сутки|день|тиждень|неделю|місяць|месяц|рік|год)"
    r"(?![\w'])",
    _I,
)
THERE_AFTER: Final = NEVER

QUALIFIER_KIND: Final = {**_ENGLISH_QUALIFIERS, **{q: q for q in _ENGLISH_QUALIFIERS.values()}}
NOT_COUNT_AFTER: Final = re.compile(
    rf"^(?:-[^\W\d_]|\s*(?:км|кілометр{_W}|километр{_W}|метр{_W}|м\b|градус{_W}|°|кВ|%|"
    rf"відсот{_W}|процент{_W}|рок{_W}|років|рік|год{_W}|лет|річн{_W}|хвилин{_W}|минут{_W}|"
    rf"годин{_W}|час{_W}|поверх{_W}|этаж{_W}|мм|тонн{_W}|кг|грн|долар{_W}|доллар{_W}))",
    _I,
)
NOT_COUNT_BEFORE: Final = re.compile(
    r"(?:№|номер|школ\w*|лікарн\w*|будинок|будинку|дом|корпус|мінус|минус)\s*$", _I
)
STRIKE: Final = re.compile(
    rf"(?:{_weapons('drones', 'decoys', 'missiles', 'ballistic_missiles', 'cruise_missiles', '', 'bombs')})"
    rf"|{_B}(?:{_role('launched')}|{_role('destroyed')}|{_role('hit')}|{_role('killed')}"
    rf"|{_role('injured')}|{_role('affected')}|атак{_W}|удар{_W}|обстрі?л{_W}|вибух{_W}|взрыв{_W}"
    rf"|пошкоджен{_W}|поврежд{_W}|руйнуван{_W}|пожеж{_W}|пожар{_W}){_E}",
    _I,
)
KINDS: Final = [
    ("air_strike", _any(_weapons("bombs"), rf"авіаці{_W}", rf"авиаци{_W}")),
    ("shelling", _any(rf"артилер{_W}", rf"обстрі?л{_W}", rf"міномет{_W}", rf"миномет{_W}",
                      "РСЗВ", "РСЗО", "Град", "HIMARS", rf"реактивн{_W}")),
    ("drone_strike", re.compile(rf"(?:{_weapons('drones', 'decoys')})", _I)),
    ("missile_strike", re.compile(
        rf"(?:{_weapons('missiles', 'ballistic_missiles', 'cruise_missiles', '')}"
        rf"|балістик{_W}|баллистик{_W})", _I)),
    ("small_arms", NEVER),
    ("air_attack", _any(rf"атак{_W}", rf"удар{_W}")),
]  # fmt: skip


#: Words that make a sentence's figures another period's.
PERIOD: Final = re.compile(
    r"(?:минул\w+ тижн\w*|за тиждень|цього тижня|з початку (?:місяця|року|тижня|"
    r"повномасштабн\w+)|за минул\w+ місяц\w*|протягом тижня|прошл\w+ недел\w*|за неделю|"
    r"на этой неделе|с начала (?:месяца|года|недели|специальной военной операции|СВО)|"
    r"всего с начала|за прошедш\w+ недел\w*|за минувш\w+ недел\w*|за (?:січень|лютий|березень|"
    r"квітень|травень|червень|липень|серпень|вересень|жовтень|листопад|грудень)(?!\s*\d))",
    _I,
)


def _parties(table: list[tuple[str, str]], code: str) -> list[tuple[str, re.Pattern[str]]]:
    return [(code, _any(*(p for p, c in table if c == code)))]


#: A side's own forces named as the doers of a strike: "дрони Сил оборони України уразили",
#: "Вооружённые силы Российской Федерации нанесли удар".
_OWN_STRIKE_UK: Final = re.compile(
    r"(?:дрон\w*|ракет\w*|удар\w*|підрозділ\w*)\s+(?:[\w'-]+\s+){0,2}?(?:Сил\s+оборони|ЗСУ|"
    r"Сил\s+безпеки|СБУ|ГУР)|(?:Сил\w*\s+оборони|ЗСУ|СБУ|ГУР)\s+(?:[\w'-]+\s+){0,3}?"
    r"(?:уразил\w*|атакувал\w*|завдал\w*|вразил\w*)",
    _I,
)
_OWN_STRIKE_RU: Final = re.compile(
    r"(?:Вооружённ\w*|Вооруженн\w*)\s+сил\w*\s+(?:Российской\s+Федерации|РФ|России)"
    r"(?:\s+[\w-]+){0,3}?\s+(?:нанесл\w*|нанес\w*|поразил\w*|атаковал\w*)"
    r"|(?:российск\w*)\s+(?:войск\w*|военн\w*)\s+(?:[\w-]+\s+){0,2}?(?:нанесл\w*|поразил\w*)",
    _I,
)

#: Who attacked, as a Ukrainian text names it, and as a Russian one does.
PARTIES_UK: Final = [*_parties(sw._PARTIES_UK, "RU"), ("UA", _OWN_STRIKE_UK)]
PARTIES_RU: Final = [
    *_parties(sw._PARTIES_RU, "UA"),
    ("UA", _any(rf"вражеск{_W}")),  # "сбиты 23 вражеских беспилотника": the enemy's
    ("RU", _OWN_STRIKE_RU),
]
PARTIES: Final = PARTIES_UK
