"""Ukrainian and Russian numbers: words in every case, figures, approximations, non-counts."""

from __future__ import annotations

import pytest

from ceasefire.counts import Count, approximately
from ceasefire.extract.slavic_numbers import Quantity, find_numbers, find_quantities, normalise

# A morning bulletin in the style of the Ukrainian air force (written for these tests).
AIR_FORCE = (
    "У ніч на 18 лютого (з 18:00 17 лютого) противник атакував 396 ударними БпЛА типу Shahed "
    "та дронами-імітаторами, а також 4 балістичними ракетами Іскандер-М та 29 крилатими "
    "ракетами Х-101. Станом на 09:00 збито/подавлено 352 ворожих БпЛА та двадцять п'ять ракет. "
    "Уламки впали на дев'ятиповерхівку, пошкоджено 5 поверх та школу № 25. У Харкові загинули "
    "двоє людей, ще дев'ятеро поранені, серед них 17-річний юнак. Температура вночі — мінус "
    "шість градусів, майже 1 200 абонентів без світла."
)

# A daily summary in the style of the Russian defence ministry (written for these tests).
MOD = (
    "Дежурными средствами ПВО перехвачены и уничтожены 62 беспилотных летательных аппарата "
    "самолетного типа: 41 — над территорией Брянской области, 12 — над территорией Курской "
    "области, 9 — над акваторией Черного моря. Всего за сутки сбиты двухсот пятидесяти "
    "одного дрона, около 30 — над Крымом. Ранены не менее 10 человек, 13-14 мая в 19:30."
)


def spans(text: str) -> list[tuple[str, int]]:
    return [(text[s:e], v) for s, e, v in find_numbers(text)]


def test_the_air_force_bulletin_counts_and_nothing_else() -> None:
    assert spans(AIR_FORCE) == [
        ("396", 396),
        ("4", 4),
        ("29", 29),
        ("352", 352),
        ("двадцять п'ять", 25),
        ("двоє", 2),
        ("дев'ятеро", 9),
        ("1 200", 1200),
    ]


def test_the_ministry_summary_counts_and_nothing_else() -> None:
    assert spans(MOD) == [
        ("62", 62),
        ("41", 41),
        ("12", 12),
        ("9", 9),
        ("двухсот пятидесяти одного", 251),
        ("30", 30),
        ("10", 10),
    ]


@pytest.mark.parametrize(
    ("text", "words", "value"),
    [
        ("збито двадцятьма дев'ятьма ракетами", "двадцятьма дев'ятьма", 29),
        ("атакував чотирмастами дронами", "чотирмастами", 400),
        ("триста вісімдесят сім дронів", "триста вісімдесят сім", 387),
        ("з сорока одного дрона", "сорока одного", 41),
        ("из трёхсот беспилотников", "трёхсот", 300),
        ("из трехсот беспилотников", "трехсот", 300),
        ("двухсот пятидесяти аппаратов", "двухсот пятидесяти", 250),
        ("тисяча двісті людей", "тисяча двісті", 1200),
        ("дві тисячі абонентів", "дві тисячі", 2000),
        ("мільйон двісті тисяч", "мільйон двісті тисяч", 1_200_000),
        ("двоє дітей", "двоє", 2),
        ("п'ятеро загиблих", "п'ятеро", 5),
        ("погибли трое", "трое", 3),
        ("среди пострадавших четверо детей", "четверо", 4),
        ("1 200 осіб", "1 200", 1200),
        ("1\u00a0200 осіб", "1\u00a0200", 1200),
        ("45 тисяч абонентів", "45 тисяч", 45_000),
        ("1,5 тис. абонентів", "1,5 тис", 1500),
        ("сімнадцятьма ракетами", "сімнадцятьма", 17),
        ("девятнадцатью ракетами", "девятнадцатью", 19),
        ("дев’ятьма дронами", "дев’ятьма", 9),
        ("девʼятьма дронами", "девʼятьма", 9),
    ],
)
def test_words_in_every_case(text: str, words: str, value: int) -> None:
    assert spans(text) == [(words, value)]


def test_numbers_of_the_wrong_order_are_two_numbers() -> None:
    assert spans("два три") == [("два", 2), ("три", 3)]


@pytest.mark.parametrize(
    "text",
    [
        "25-й окремий батальйон",
        "на третій поверх",
        "влучання в дев'ятиповерхівку",
        "о 19:30 пролунав вибух",
        "у ніч на 13-14 травня",
        "18 лютого",
        "мінус шість градусів",
        "температура -6°",
        "за 60 км від Запоріжжя",
        "хлопчик 17 років",
        "17-річний хлопець",
        "школа № 25",
        "у 2022 році",
        "лінія 10 кВ",
        "ракети Х-101 та Х-555",
        "дрони Герань-2",
        "літак Су-34",
        "0,5 км",
        "дві години",
        "одні з найбільших",
        "о 7 ранку",
        "50% абонентів",
    ],
)
def test_numbers_that_are_not_counts(text: str) -> None:
    assert find_numbers(text) == []


def test_a_range_is_not_merged_into_one_figure() -> None:
    assert all(v != 1314 for _, _, v in find_numbers("13-14 травня, 13-14 дронів"))


@pytest.mark.parametrize(
    ("text", "words", "value", "qualifier"),
    [
        ("майже 400 дронів", "майже 400", 400, "almost"),
        ("понад 50 з них", "понад 50", 50, "over"),
        ("більше 100 ракет", "більше 100", 100, "over"),
        ("більш ніж 100 ракет", "більш ніж 100", 100, "over"),
        ("щонайменше шість людей", "щонайменше шість", 6, "at least"),
        ("близько 30 дронів", "близько 30", 30, "about"),
        ("близько тисячі людей", "близько тисячі", 1000, "about"),
        ("до 50 дронів", "до 50", 50, "up to"),
        ("почти 50 дронов", "почти 50", 50, "almost"),
        ("более 20 ракет", "более 20", 20, "over"),
        ("свыше 30 беспилотников", "свыше 30", 30, "over"),
        ("не менее 10 человек", "не менее 10", 10, "at least"),
        ("около 40 дронов", "около 40", 40, "about"),
        ("десяток дронів", "десяток", 10, "about"),
        ("десятки дронів", "десятки", None, "tens"),
        ("сотні дронів", "сотні", None, "hundreds"),
        ("тисячі людей", "тисячі", None, "thousands"),
        ("десятки тисяч абонентів", "десятки тисяч", None, "tens of thousands"),
        ("сотні тисяч абонентів", "сотні тисяч", None, "hundreds of thousands"),
        ("кілька тисяч людей", "кілька тисяч", None, "thousands"),
        ("кілька дронів", "кілька", None, "several"),
        ("десятки беспилотников", "десятки", None, "tens"),
        ("сотни беспилотников", "сотни", None, "hundreds"),
        ("несколько ракет", "несколько", None, "several"),
    ],
)
def test_approximations(text: str, words: str, value: int | None, qualifier: str) -> None:
    (q,) = find_quantities(text)
    assert (text[q.start : q.end], q.value, q.qualifier) == (words, value, qualifier)
    approximately(q.qualifier, q.value)  # a qualifier the counts table knows


def test_approximations_give_the_documented_intervals() -> None:
    (q,) = find_quantities("майже 400 дронів")
    assert approximately(q.qualifier, q.value) == Count(360, 399)
    (q,) = find_quantities("десятки тисяч абонентів")
    assert approximately(q.qualifier, q.value) == Count(10_000, 99_999)


def test_find_numbers_spans_the_number_without_its_qualifier() -> None:
    text = "збито майже 400 дронів"
    assert spans(text) == [("400", 400)]
    assert find_quantities(text) == [Quantity(6, 15, 400, "almost")]


def test_exact_figures_have_no_qualifier() -> None:
    assert [q.qualifier for q in find_quantities(MOD)][:3] == [None, None, None]


def test_normalise_keeps_the_length() -> None:
    text = "дев’ять девʼять дев`ять"
    assert len(normalise(text)) == len(text)
    assert normalise(text) == "дев'ять дев'ять дев'ять"
