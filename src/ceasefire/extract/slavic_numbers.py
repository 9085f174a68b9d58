"""Cardinal numbers and approximate quantities in Ukrainian and Russian text.

The air force's and the defence ministry's bulletins write counts as figures ("396 ударними
БпЛА", "1 200") and casualty reports write them in words, in any case and gender ("двадцятьма
дев'ятьма", "чотирмастами", "сорока одного", "двухсот пятидесяти", "троє дітей"). This module
finds both and returns spans into the original text.

Why a hand-written table of word forms and not ``ukrainian-itn``, ``number-parser`` or
``simplemma``: the cardinal system of both languages is closed (about 40 lemmas, ~400 forms with
the Russian ё/е spellings), so a dictionary of every form is complete, exact and a dict look-up
per word; ``number-parser`` knows Russian but not Ukrainian cases, ``ukrainian-itn`` pulls in a
grammar toolkit (pynini) and rewrites the text rather than giving spans, and a lemmatiser would
still need this table after it. A dependency would add nothing but start-up time.

Rules (docs/extract.md, "Ukrainian and Russian"):

- Adjacent number words separated by white space combine when their order is that of a
  numeral (hundreds, tens, units; thousands and millions as scales): "триста вісімдесят сім"
  387, "тисяча двісті" 1200, "дві тисячі" 2000; "два три" is two numbers.
- Figures take spaces, no-break spaces and thin spaces as thousands separators ("1 200"); a
  figure followed by "тис."/"тисяч"/"тыс."/"млн" is multiplied ("45 тисяч", "1,5 тис.").
- Not counts, not returned: ordinals (a figure followed by a hyphen and letters, "25-й",
  "17-річний"; ordinal words are not in the table: "третій"), compounds ("дев'ятиповерхівка",
  "Х-101", "Су-34", "Герань-2"), times ("19:30"), decimals without a scale word, ranges
  ("13-14": neither figure), dates ("18 лютого": left to :func:`slavic_words.find_dates`),
  numbers after "№"/"номер", and numbers followed by a unit of measure or of time ("60 км",
  "шість градусів", "10 кВ", "17 років", "2022 року", "дві години"). A number after "мінус"
  (a temperature) is not returned at all: a negative count does not exist.
- Approximations (:func:`find_quantities`): a qualifier before a number gives the English
  qualifier of :func:`ceasefire.counts.approximately` ("майже 400" almost, "понад 50" over,
  "щонайменше шість" at least, "близько 30" about, "до 50" up to); vague words give its vague
  key ("десятки" tens, "сотні" hundreds, "тисячі" thousands, "десятки тисяч" tens of thousands,
  "кілька" several). After a qualifier, "сотні"/"тисячі" are the genitive of one hundred /
  thousand ("понад тисячі" is not a Ukrainian phrase; "близько тисячі" is about 1000).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = ["Quantity", "find_numbers", "find_quantities", "normalise"]

#: Apostrophes and look-alikes written in Ukrainian words ("дев'ять", "дев’ять", "девʼять").
_APOSTROPHES: Final = str.maketrans({"’": "'", "ʼ": "'", "`": "'", "‘": "'", "′": "'"})


def normalise(text: str) -> str:
    """``text`` with every apostrophe look-alike as ``'``; the same length, so that spans
    found in the result are offsets into ``text``."""
    return text.translate(_APOSTROPHES)


@dataclass(frozen=True, slots=True)
class Quantity:
    """A count in the text: ``text[start:end]`` are its words, the qualifier included.

    ``value`` is ``None`` for a vague word ("десятки"); ``qualifier`` is the word
    :func:`ceasefire.counts.approximately` takes ("almost", "over", "tens", ...), or ``None``
    for an exact figure.
    """

    start: int
    end: int
    value: int | None
    qualifier: str | None


# -- the table of number words ------------------------------------------------------------------

# Ranks: a numeral's words come in falling rank (hundreds 3, tens 2, teens and units 1).
_UNIT, _TEEN, _TEN, _HUNDRED, _SCALE = 1, 2, 3, 4, 5


def _forms(table: dict[str, tuple[int, int]], rank: int, value: int, words: str) -> None:
    for w in words.split():
        table[w] = (value, rank)
        if "ё" in w:
            table[w.replace("ё", "е")] = (value, rank)


def _ukr_yat(stem: str) -> str:
    """The case forms of a Ukrainian numeral in "-ять" (п'ять, одинадцять, двадцять)."""
    base = stem[:-1]  # "п'ят"
    return f"{stem} {base}и {stem}ом {stem}ма {stem}ох"


def _rus_at(stem: str) -> str:
    """The case forms of a Russian numeral in "-ать"/"-ять" (одиннадцать, двадцать, пять)."""
    base = stem[:-1]
    return f"{stem} {base}и {stem}ю"


def _build() -> dict[str, tuple[int, int]]:
    t: dict[str, tuple[int, int]] = {}
    # Ukrainian units (all cases and genders; "сьома" left out: it is also "the seventh").
    # Plural "одні"/"одни" ("one of", "only") are not the number one: left out.
    _forms(t, _UNIT, 1, "один одна одне одного одної одній одному одну одним одною")
    _forms(t, _UNIT, 2, "два дві двох двом двома")
    _forms(t, _UNIT, 3, "три трьох трьом трьома")
    _forms(t, _UNIT, 4, "чотири чотирьох чотирьом чотирма")
    _forms(t, _UNIT, 5, _ukr_yat("п'ять"))
    _forms(t, _UNIT, 6, "шість шести шістьом шістьма шістьох")
    _forms(t, _UNIT, 7, "сім семи сімом сімома сімох")
    _forms(t, _UNIT, 8, "вісім восьми вісьмом вісьмома восьмома вісьма вісьмох")
    _forms(t, _UNIT, 9, _ukr_yat("дев'ять"))
    _forms(t, _TEEN, 10, _ukr_yat("десять"))
    for n, w in enumerate(
        [
            "одинадцять",
            "дванадцять",
            "тринадцять",
            "чотирнадцять",
            "п'ятнадцять",
            "шістнадцять",
            "сімнадцять",
            "вісімнадцять",
            "дев'ятнадцять",
        ],
        11,
    ):
        _forms(t, _TEEN, n, _ukr_yat(w))
    _forms(t, _TEN, 20, _ukr_yat("двадцять"))
    _forms(t, _TEN, 30, _ukr_yat("тридцять"))
    _forms(t, _TEN, 40, "сорок сорока")
    for n, w in ((50, "п'ятдесят"), (60, "шістдесят"), (70, "сімдесят"), (80, "вісімдесят")):
        _forms(t, _TEN, n, f"{w} {w}и {w}ьом {w}ьма {w}ьох")
    _forms(t, _TEN, 50, "п'ятидесяти п'ятьдесятьма")
    _forms(t, _TEN, 90, "дев'яносто дев'яноста")
    _forms(t, _HUNDRED, 100, "сто ста")
    _forms(t, _HUNDRED, 200, "двісті двохсот двомстам двомастами двохстах")
    _forms(t, _HUNDRED, 300, "триста трьохсот трьомстам трьомастами трьохстах")
    _forms(t, _HUNDRED, 400, "чотириста чотирьохсот чотирьомстам чотирмастами чотирьохстах")
    for n, nom, gen, ins in (
        (500, "п'ятсот", "п'яти", "п'ятьма"),
        (600, "шістсот", "шести", "шістьма"),
        (700, "сімсот", "семи", "сьома"),
        (800, "вісімсот", "восьми", "вісьма"),
        (900, "дев'ятсот", "дев'яти", "дев'ятьма"),
    ):
        _forms(t, _HUNDRED, n, f"{nom} {gen}сот {gen}стам {ins}стами {gen}стах")
    _forms(t, _HUNDRED, 700, "сімомастами")
    _forms(t, _HUNDRED, 800, "восьмомастами")
    _forms(t, _SCALE, 1000, "тисяча тисячі тисячу тисячею тисяч тисячам тисячами тисячах тис")
    _forms(
        t,
        _SCALE,
        1_000_000,
        "мільйон мільйона мільйону мільйоном мільйоні мільйони мільйонів мільйонам "
        "мільйонами мільйонах млн",
    )
    # Russian.
    _forms(t, _UNIT, 1, "одно одной одном")
    _forms(t, _UNIT, 2, "две двух двум двумя")
    _forms(t, _UNIT, 3, "трёх трём тремя")
    _forms(t, _UNIT, 4, "четыре четырёх четырём четырьмя")
    _forms(t, _UNIT, 5, _rus_at("пять"))
    _forms(t, _UNIT, 6, _rus_at("шесть"))
    _forms(t, _UNIT, 7, "семь")  # "семи"; "семью" left out: it is also "family"
    _forms(t, _UNIT, 8, "восемь восьмью восемью")
    _forms(t, _UNIT, 9, _rus_at("девять"))
    _forms(t, _TEEN, 10, _rus_at("десять"))
    for n, w in enumerate(
        [
            "одиннадцать",
            "двенадцать",
            "тринадцать",
            "четырнадцать",
            "пятнадцать",
            "шестнадцать",
            "семнадцать",
            "восемнадцать",
            "девятнадцать",
        ],
        11,
    ):
        _forms(t, _TEEN, n, _rus_at(w))
    _forms(t, _TEN, 20, _rus_at("двадцать"))
    _forms(t, _TEN, 30, _rus_at("тридцать"))
    for n, nom, gen, ins in (
        (50, "пятьдесят", "пятидесяти", "пятьюдесятью"),
        (60, "шестьдесят", "шестидесяти", "шестьюдесятью"),
        (70, "семьдесят", "семидесяти", "семьюдесятью"),
        (80, "восемьдесят", "восьмидесяти", "восемьюдесятью"),
    ):
        _forms(t, _TEN, n, f"{nom} {gen} {ins}")
    _forms(t, _TEN, 90, "девяносто девяноста")
    _forms(t, _HUNDRED, 200, "двести двухсот двумстам двумястами двухстах")
    _forms(t, _HUNDRED, 300, "трёхсот трёмстам тремястами трёхстах")
    _forms(t, _HUNDRED, 400, "четыреста четырёхсот четырёмстам четырьмястами четырёхстах")
    for n, nom, gen, ins in (
        (500, "пятьсот", "пяти", "пятью"),
        (600, "шестьсот", "шести", "шестью"),
        (700, "семьсот", "семи", "семью"),
        (800, "восемьсот", "восьми", "восемью"),
        (900, "девятьсот", "девяти", "девятью"),
    ):
        _forms(t, _HUNDRED, n, f"{nom} {gen}сот {gen}стам {ins}стами {gen}стах")
    _forms(t, _SCALE, 1000, "тысяча тысячи тысячу тысячей тысячью тысяч тысячам тысячами")
    _forms(t, _SCALE, 1000, "тысячах тысяче тыс")
    _forms(
        t,
        _SCALE,
        1_000_000,
        "миллион миллиона миллиону миллионом миллионе миллионы миллионов миллионам "
        "миллионами миллионах",
    )
    # Collective numerals ("троє", "п'ятеро", "двоих"): people, counted as the cardinal.
    for n, uk, ru in (
        (2, "двоє", "двое двоих двоим двоими"),
        (3, "троє", "трое троих троим троими"),
        (4, "четверо четвертьох", "четверых четверым четверыми"),
        (5, "п'ятеро п'ятьох", "пятеро пятерых пятерым пятерыми"),
        (6, "шестеро шістьох", "шестеро шестерых шестерым шестерыми"),
        (7, "семеро сімох", "семеро семерых семерым семерыми"),
        (8, "восьмеро вісьмох", "восьмеро восьмерых восьмерым восьмерыми"),
        (9, "дев'ятеро дев'ятьох", "девятеро девятерых девятерым девятерыми"),
        (10, "десятеро десятьох", "десятеро десятерых десятерым десятерыми"),
    ):
        _forms(t, _TEEN if n == 10 else _UNIT, n, f"{uk} {ru}")
    _forms(t, _TEEN, 11, "одинадцятеро")
    _forms(t, _TEEN, 12, "дванадцятеро")
    return t


#: Every number word form (lower case) -> (value, rank).
_WORDS: Final = _build()

#: Vague quantities: word form -> the vague key of ``counts.approximately``.
_VAGUE: Final[dict[str, str]] = {
    **dict.fromkeys(["десятки", "десятків", "десяткам", "десятками", "десятках"], "tens"),
    **dict.fromkeys(["десятков"], "tens"),
    **dict.fromkeys(["сотні", "сотень", "сотням", "сотнями", "сотнях"], "hundreds"),
    **dict.fromkeys(["сотни", "сотен"], "hundreds"),
    **dict.fromkeys(["тисячі", "тисяч", "тисячам", "тисячами", "тисячах"], "thousands"),
    **dict.fromkeys(["тысячи", "тысяч", "тысячам", "тысячами", "тысячах"], "thousands"),
    **dict.fromkeys(
        ["кілька", "декілька", "кількох", "декількох", "кільком", "кількома"], "several"
    ),
    **dict.fromkeys(["несколько", "нескольких", "нескольким", "несколькими"], "several"),
}
#: What a vague word before a scale word makes: "десятки тисяч", "кілька сотень".
_VAGUE_SCALED: Final[dict[tuple[str, int], str]] = {
    ("tens", 1000): "tens of thousands",
    ("hundreds", 1000): "hundreds of thousands",
    ("several", 1000): "thousands",
    ("several", 100): "hundreds",
    ("several", 10): "tens",
}
#: Singular nouns of a round figure ("сотня", "десяток", "близько тисячі").
_ROUND: Final[dict[str, int]] = {
    **dict.fromkeys(["десяток", "десятка", "десятку", "десятком"], 10),
    **dict.fromkeys(["сотня", "сотні", "сотню", "сотнею", "сотни", "сотней"], 100),
}

#: Qualifier words before a number (lower case, single spaces) -> ``counts`` qualifier.
_QUALIFIERS: Final[dict[str, str]] = {
    **dict.fromkeys(["майже", "майже що", "почти", "без малого"], "almost"),
    **dict.fromkeys(
        [
            "близько",
            "приблизно",
            "орієнтовно",
            "біля",
            "около",
            "примерно",
            "порядка",
            "ориентировочно",
        ],
        "about",
    ),
    **dict.fromkeys(
        [
            "понад",
            "більше",
            "більш ніж",
            "більше ніж",
            "більш як",
            "більше як",
            "более",
            "более чем",
            "больше",
            "больше чем",
            "свыше",
        ],
        "over",
    ),
    **dict.fromkeys(
        [
            "щонайменше",
            "принаймні",
            "не менше",
            "не менше ніж",
            "не менш ніж",
            "не менше як",
            "не менш як",
            "не менее",
            "не менее чем",
            "не меньше",
            "как минимум",
            "минимум",
            "по меньшей мере",
            "по крайней мере",
        ],
        "at least",
    ),
    **dict.fromkeys(["до", "аж до", "сягає"], "up to"),
}
_QUALIFIER_RE: Final = re.compile(
    r"(?<![\w'])("
    + "|".join(re.escape(q).replace(r"\ ", r"\s+") for q in sorted(_QUALIFIERS, key=len)[::-1])
    + r")\s+\Z",
    re.IGNORECASE,
)

# -- the context that makes a number not a count --------------------------------------------------

_SPACES: Final = " \u00a0\u202f\u2009"
#: A token: a figure (with thousands separators and a decimal part) or a word.
_TOKEN: Final = re.compile(
    rf"\d{{1,3}}(?:[{_SPACES}]\d{{3}})+(?![\d.,:])(?:[.,]\d+)?|\d+(?:[.,]\d+)?|[^\W\d_]+(?:'[^\W\d_]+)*"
)
_MONTHS: Final = (
    "січня лютого березня квітня травня червня липня серпня вересня жовтня листопада грудня "
    "января февраля марта апреля мая июня июля августа сентября октября ноября декабря"
)
#: Words after a number that make it a date, a measure or a duration, not a count.
_NOT_COUNT_AFTER: Final = re.compile(
    r"\s*(?:(?:"
    + "|".join(_MONTHS.split())
    + r")\b|км\b|кілометр|километр|метр|мм\b|см\b|м\b|кв\b|квт|мвт|гвт|градус|°|%|відсот"
    r"|процент|рок|роц|рік|рр\b|р\.|лет\b|год\b|года\b|году\b|годин|хвилин|секунд"
    r"|час(?:а|ов|ах)?\b|минут|суток|діб|доб"
    r"|тонн|кг\b|гектар|га\b|грн|гривень|гривні|долар|рубл|євро|евро|поверс|поверх|этаж"
    r"|калібр|калибр|ранку|вечора|утра|вечера)",
    re.IGNORECASE,
)
#: Words before a number that make it a label or a temperature.
_NOT_COUNT_BEFORE: Final = re.compile(
    r"(?:№|#|номер|номером|номері|мінус|минус|буд\.|будинок|будинку|дом|дома|вул\.|корпус"
    r"|школа|школи|лицей|ліцей|гімназія|квартира|кв\.)\s*\Z",
    re.IGNORECASE,
)


def _figure_value(token: str) -> float:
    return float("".join(c for c in token if c not in _SPACES).replace(",", "."))


def _excluded(text: str, start: int, end: int) -> bool:
    """Whether the context makes the number at ``text[start:end]`` not a count."""
    before = text[max(0, start - 12) : start]
    prev, prev2 = before[-1:], before[-2:-1]
    if prev.isalpha() or prev == "'":
        return True  # "Су34"
    if prev in "-–:/" and prev2.isalnum():
        return True  # "Х-101", "Герань-2", the 30 of "19:30", the 14 of "13-14"
    if prev in ".," and prev2.isdigit():
        return True  # a decimal's part
    after = text[end : end + 16]
    if after[:1] in ":-–/.," and after[1:2].isalnum():
        return True  # "19:30", "25-й", "17-річний", "13-14", "1.5"
    if after[:1].isalpha() or after[:1] == "'":
        return True  # "101МС"
    if _NOT_COUNT_BEFORE.search(before):
        return True
    return bool(_NOT_COUNT_AFTER.match(after))


@dataclass(slots=True)
class _Run:
    """A numeral being read: its words so far and their value."""

    start: int
    end: int
    total: int = 0  # the groups closed by a scale word
    group: int = 0  # the group being read (below the last scale)
    last_rank: int = _SCALE + 1
    last_scale: int = 0  # the last scale word's value (a numeral's scales fall)
    figure: bool = False
    decimal: float | None = None  # "1,5": a count only with a scale word after it
    vague: str | None = None  # the vague word that began the run ("десятки")

    @property
    def value(self) -> int:
        return self.total + self.group

    def takes(self, value: int, rank: int) -> bool:
        if self.vague is not None:
            return False  # "десятки тисяч": the vague word's scale, below
        if rank == _SCALE:
            return self.last_scale == 0 or value < self.last_scale
        return not self.figure and rank < self.last_rank

    def add(self, value: int, rank: int, end: int) -> None:
        self.end = end
        if rank == _SCALE:
            if self.decimal is not None:
                self.total, self.decimal = round(self.decimal * value), None
            else:
                self.total += max(self.group, 1) * value
            self.group = 0
            self.last_scale = value
            self.last_rank = _SCALE
        else:
            self.group += value
            self.last_rank = _UNIT if rank == _TEEN else rank


#: The scale a vague word names when it follows another ("десятки тисяч", "кілька сотень").
_VAGUE_SCALE: Final = {"thousands": 1000, "hundreds": 100, "tens": 10}


def _runs(text: str) -> list[_Run]:
    """The numerals and vague quantities of ``text`` (normalised), in order."""
    out: list[_Run] = []
    run: _Run | None = None
    for m in _TOKEN.finditer(text):
        token, start, end = m.group(), m.start(), m.end()
        if run is not None and not text[run.end : start].isspace():
            out.append(run)
            run = None
        if token[0].isdigit():
            if run is not None:
                out.append(run)
            value = _figure_value(token)
            run = _Run(start, end, figure=True, last_rank=_UNIT)
            if value.is_integer():
                run.group = int(value)
            else:
                run.decimal = value
            continue
        word = token.lower()
        entry = _WORDS.get(word)
        if run is not None and entry is not None and run.takes(*entry):
            run.add(*entry, end)
            continue
        if run is not None and run.vague is not None and word in _VAGUE:
            scale = _VAGUE_SCALE.get(_VAGUE[word])
            if scale is not None and (run.last_scale == 0 or scale < run.last_scale):
                run.end, run.last_scale = end, scale
                continue
        if run is not None:
            out.append(run)
            run = None
        qualified = _QUALIFIER_RE.search(text[max(0, start - 24) : start]) is not None
        if word in _VAGUE and not (qualified and entry is not None):
            run = _Run(start, end, vague=_VAGUE[word])
        elif entry is not None:
            run = _Run(start, end)
            run.add(*entry, end)
        elif word in _ROUND:
            run = _Run(start, end, group=_ROUND[word], last_rank=_UNIT)
    if run is not None:
        out.append(run)
    return out


def _quantities(text: str) -> list[tuple[Quantity, int]]:
    """Each count of ``text`` and where its number (after the qualifier) starts."""
    norm = normalise(text)
    out: list[tuple[Quantity, int]] = []
    for run in _runs(norm):
        if run.decimal is not None:
            continue  # a decimal with no scale word: a measure, not a count
        value: int | None = None
        qualifier: str | None = None
        if run.vague is not None:
            if run.value:
                continue
            qualifier = _VAGUE_SCALED.get((run.vague, run.last_scale), run.vague)
        else:
            if _excluded(norm, run.start, run.end):
                continue
            value = run.value
            window = max(0, run.start - 24)
            m = _QUALIFIER_RE.search(norm[window : run.start])
            if m is not None:
                qualifier = _QUALIFIERS[" ".join(m.group(1).lower().split())]
                start = window + m.start(1)
                out.append((Quantity(start, run.end, value, qualifier), run.start))
                continue
            if norm[run.start : run.end].lower() in _ROUND:
                qualifier = "about"  # "десяток дронів"
        out.append((Quantity(run.start, run.end, value, qualifier), run.start))
    return out


def find_quantities(text: str) -> list[Quantity]:
    """Every count of ``text`` with its qualifier or vague word (the module's rules).

    >>> [(q.value, q.qualifier) for q in find_quantities("майже 400 дронів, десятки ракет")]
    [(400, 'almost'), (None, 'tens')]
    """
    return [q for q, _ in _quantities(text)]


def find_numbers(text: str) -> list[tuple[int, int, int]]:
    """``(start, end, value)`` of every cardinal number of ``text`` (figures and words),
    without its qualifier: ``text[start:end]`` is the number itself.

    >>> find_numbers("збито/подавлено 352 дрони, загинули троє людей")
    [(16, 19, 352), (36, 40, 3)]
    """
    return [(n, q.end, q.value) for q, n in _quantities(text) if q.value is not None]
