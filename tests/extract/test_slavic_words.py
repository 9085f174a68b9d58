"""Ukrainian and Russian words: weapons, roles, regions, seas, settlements, dates, parties."""

from __future__ import annotations

from datetime import date

import pytest

from ceasefire.extract.slavic_words import (
    find_dates,
    find_parties,
    find_regions,
    find_roles,
    find_seas,
    find_settlements,
    find_weapons,
    language,
)
from ceasefire.geo.gazetteer import ADMIN1_NAMES, load_gazetteer

# A morning bulletin in the style of the Ukrainian air force (written for these tests).
AIR_FORCE = (
    "У ніч на 18 лютого противник атакував 396 ударними БпЛА типу Shahed, «Гербера» та "
    "дронами-імітаторами, а також 4 балістичними ракетами Іскандер-М з Курської області та 29 "
    "крилатими ракетами Х-101 з акваторії Чорного моря. Станом на 09:00 збито/подавлено 352 "
    "ворожих БпЛА та 25 ракет. 18 БпЛА локаційно втрачені. Зафіксовано влучання ракет та 38 "
    "ударних БпЛА на 14 локаціях, падіння уламків на 7 локаціях. Удару зазнали Харківщина, "
    "Дніпропетровська область та Одещина. У Харкові загинули двоє людей, дев'ятеро поранені. "
    "Понад 45 тисяч абонентів на Київщині залишились без світла. Керованими авіабомбами (КАБ) "
    "ворог вдарив по Краматорську."
)

# A daily summary in the style of the Russian defence ministry (written for these tests).
MOD = (
    "В ночь на 18 февраля дежурными средствами ПВО перехвачены и уничтожены 62 беспилотных "
    "летательных аппарата самолетного типа: 41 — над территорией Брянской области, 12 — над "
    "территорией Курской области, 5 — над Белгородской областью, 3 — над акваторией Черного "
    "моря и 1 — над Ростовской. Кроме того, за минувшие сутки сбиты четыре управляемые авиабомбы. "
    "В результате атаки ВСУ в Белгороде погибли двое мирных жителей, ранены пятеро. "
    "Обесточены около 2 тысяч человек. Киевский режим применил крылатые ракеты Storm Shadow."
)


def labelled(text: str, found: list[tuple[int, int, str]]) -> list[tuple[str, str]]:
    return [(text[s:e], label) for s, e, label in found]


# -- weapons --------------------------------------------------------------------------------------


def test_weapons_of_the_air_force_bulletin() -> None:
    assert labelled(AIR_FORCE, find_weapons(AIR_FORCE)) == [
        ("ударними БпЛА типу Shahed", "drones"),
        ("Гербера", "decoys"),
        ("дронами-імітаторами", "decoys"),
        ("балістичними ракетами Іскандер-М", "ballistic_missiles"),
        ("крилатими ракетами Х-101", "cruise_missiles"),
        ("БпЛА", "drones"),
        ("ракет", "missiles"),
        ("БпЛА", "drones"),
        ("ракет", "missiles"),
        ("ударних БпЛА", "drones"),
        ("Керованими авіабомбами", "bombs"),
        ("КАБ", "bombs"),
    ]


def test_weapons_of_the_ministry_summary() -> None:
    assert labelled(MOD, find_weapons(MOD)) == [
        ("беспилотных летательных аппарата", "drones"),
        ("управляемые авиабомбы", "bombs"),
        ("крылатые ракеты Storm Shadow", "cruise_missiles"),
    ]


@pytest.mark.parametrize(
    ("text", "words", "cls"),
    [
        ("збито 20 безпілотників", "безпілотників", "drones"),
        ("атакував 40 шахедами", "шахедами", "drones"),
        ("дронів типу Герань-2", "дронів типу Герань-2", "drones"),
        ("ракет Іскандер-М", "ракет Іскандер-М", "ballistic_missiles"),
        ("ракетами Калібр", "ракетами Калібр", "cruise_missiles"),
        ("керованих авіаційних ракет Х-59", "керованих авіаційних ракет Х-59", "missiles"),
        ("уничтожены 5 баллистических ракет", "баллистических ракет", "ballistic_missiles"),
        ("сбиты 3 управляемых авиабомбы", "управляемых авиабомбы", "bombs"),
        ("перехвачено 12 БПЛА", "БПЛА", "drones"),
        ("атакував 2 дронами-імітаторами", "дронами-імітаторами", "decoys"),
    ],
)
def test_weapon_nouns(text: str, words: str, cls: str) -> None:
    assert labelled(text, find_weapons(text)) == [(words, cls)]


def test_a_rocket_attack_adjective_is_not_a_weapon() -> None:
    assert find_weapons("ракетний удар по місту") == []


# -- roles ----------------------------------------------------------------------------------------


def test_roles_of_the_air_force_bulletin() -> None:
    assert labelled(AIR_FORCE, find_roles(AIR_FORCE)) == [
        ("атакував", "launched"),
        ("збито/подавлено", "destroyed"),
        ("локаційно втрачені", "lost"),
        ("Зафіксовано влучання", "hit"),
        ("падіння уламків", "debris"),
        ("загинули", "killed"),
        ("поранені", "injured"),
        ("без світла", "affected"),
    ]


def test_roles_of_the_ministry_summary() -> None:
    assert labelled(MOD, find_roles(MOD)) == [
        ("перехвачены", "destroyed"),
        ("уничтожены", "destroyed"),
        ("сбиты", "destroyed"),
        ("погибли", "killed"),
        ("ранены", "injured"),
        ("Обесточены", "affected"),
        ("применил", "launched"),
    ]


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("запустив", "launched"),
        ("застосував", "launched"),
        ("випустив", "launched"),
        ("атаковал", "launched"),
        ("знешкоджено", "destroyed"),
        ("збили", "destroyed"),
        ("нейтралізовано", "destroyed"),
        ("уражено", "hit"),
        ("попадания", "hit"),
        ("поражены", "hit"),
        ("загинула", "killed"),
        ("загиблих", "killed"),
        ("убиты", "killed"),
        ("постраждали", "injured"),
        ("травмовано", "injured"),
        ("пострадали", "injured"),
        ("без електропостачання", "affected"),
        ("без тепла", "affected"),
        ("без водопостачання", "affected"),
    ],
)
def test_role_words(text: str, role: str) -> None:
    assert labelled(text, find_roles(text)) == [(text, role)]


# -- regions, seas, settlements -----------------------------------------------------------------


def test_regions_of_the_air_force_bulletin() -> None:
    assert labelled(AIR_FORCE, find_regions(AIR_FORCE)) == [
        ("Курської області", "Kursk"),
        ("Харківщина", "Kharkiv"),
        ("Дніпропетровська область", "Dnipropetrovsk"),
        ("Одещина", "Odesa"),
        ("Київщині", "Kyiv"),
    ]


def test_regions_of_the_ministry_summary() -> None:
    assert labelled(MOD, find_regions(MOD)) == [
        ("Брянской области", "Bryansk"),
        ("Курской области", "Kursk"),
        ("Белгородской областью", "Belgorod"),
        ("Ростовской", "Rostov"),
    ]


@pytest.mark.parametrize(
    ("text", "words", "oblast"),
    [
        ("у Харківській області", "Харківській області", "Kharkiv"),
        ("Харківської області", "Харківської області", "Kharkiv"),
        ("на Харківщині", "Харківщині", "Kharkiv"),
        ("атакував Харківщину", "Харківщину", "Kharkiv"),
        ("Дніпропетровщина", "Дніпропетровщина", "Dnipropetrovsk"),
        ("на Київщині", "Київщині", "Kyiv"),
        ("м. Київ", "м. Київ", "Kyiv City"),
        ("у Києві", "Києві", "Kyiv City"),
        ("по Одещині", "Одещині", "Odesa"),
        ("з Криму", "Криму", "Crimea"),
        ("над Крымом", "Крымом", "Crimea"),
        ("над Брянской областью", "Брянской областью", "Bryansk"),
        ("Курская область", "Курская область", "Kursk"),
        ("Воронежской", "Воронежской", "Voronezh"),
        ("Запорізькій області", "Запорізькій області", "Zaporizhzhia"),
    ],
)
def test_region_names_in_every_case(text: str, words: str, oblast: str) -> None:
    assert labelled(text, find_regions(text)) == [(words, oblast)]
    assert oblast in ADMIN1_NAMES.values()


@pytest.mark.parametrize(
    "text",
    [
        "на Харківському напрямку",
        "киевский режим",
        "над акваторией Черного моря",
        "в Івано-Франківську",  # the city's locative, not the region's adjective
    ],
)
def test_not_regions(text: str) -> None:
    assert find_regions(text) == []


def test_a_sea_is_not_a_region() -> None:
    assert labelled(MOD, find_seas(MOD)) == [("акваторией Черного моря", "Black Sea")]
    assert labelled(AIR_FORCE, find_seas(AIR_FORCE)) == [("акваторії Чорного моря", "Black Sea")]


@pytest.mark.parametrize(
    ("text", "words", "name", "oblast"),
    [
        ("Влучання у Харкові", "Харкові", "Kharkiv", "Kharkiv"),
        ("атакував Одесу", "Одесу", "Odesa", "Odesa"),
        ("Запоріжжя під ударом", "Запоріжжя", "Zaporizhzhya", "Zaporizhzhia"),
        ("У Кривому Розі загинули", "Кривому Розі", "Kryvyy Rih", "Dnipropetrovsk"),
        ("в Белгороде погибли", "Белгороде", "Belgorod", "Belgorod"),
        ("по Краматорську", "Краматорську", "Kramatorsk", "Donetsk"),
        ("до Дніпра", "Дніпра", "Dnipro", "Dnipropetrovsk"),
        ("у Сумах", "Сумах", "Sumy", "Sumy"),
        ("в Івано-Франківську", "Івано-Франківську", "Ivano-Frankivsk", "Ivano-Frankivsk"),
        ("в Ростове-на-Дону", "Ростове-на-Дону", "Rostov-on-Don", "Rostov"),
        ("Біля Бахмута", "Бахмута", "Bakhmut", "Donetsk"),
        # no Ukrainian Cyrillic name in GeoNames: found through the Latin one
        ("у Кадіївці", "Кадіївці", "Kadiyivka", "Luhansk"),
        ("у Стаханові", "Стаханові", "Kadiyivka", "Luhansk"),
        ("у Новій Каховці", "Новій Каховці", "Nova Kakhovka", "Kherson"),
        ("у Кременчуці", "Кременчуці", "Kremenchuk", "Poltava"),
        ("в Чугуєві", "Чугуєві", "Chuhuyiv", "Kharkiv"),
    ],
)
def test_settlements_in_inflected_forms(text: str, words: str, name: str, oblast: str) -> None:
    g = load_gazetteer()
    (hit,) = find_settlements(text)
    start, end, i = hit
    assert (text[start:end], str(g.name[i]), str(g.admin1[i])) == (words, name, oblast)


def test_sentence_openers_and_people_are_not_places() -> None:
    text = (
        "Зафіксовано пошкодження. Уламки впали на дах. Під ударом енергетика. Рятувальники "
        "ліквідували пожежу. Голова ОВА Олег Синєгубов повідомив. Губернатор Вячеслав Гладков "
        "сообщил. Повітряні сили ЗСУ. Укренерго повідомляє."
    )
    assert find_settlements(text) == []


def test_a_region_word_is_not_a_village() -> None:
    # "Крымом" is Crimea; a village called Krym (Rostov) must not be read from it.
    assert find_settlements("над Крымом уничтожены") == []


# -- dates ----------------------------------------------------------------------------------------

PUBLISHED = date(2026, 2, 18)  # a Wednesday


@pytest.mark.parametrize(
    ("text", "words", "resolved"),
    [
        ("У ніч на 18 лютого противник", "У ніч на 18 лютого", date(2026, 2, 18)),
        ("в ночь на 18 февраля", "в ночь на 18 февраля", date(2026, 2, 18)),
        ("у ніч з 13 на 14 травня", "у ніч з 13 на 14 травня", date(2025, 5, 14)),
        ("в ночь с 16 на 17 февраля", "в ночь с 16 на 17 февраля", date(2026, 2, 17)),
        ("13-14 травня", "13-14 травня", date(2025, 5, 14)),
        ("протягом минулої доби", "протягом минулої доби", PUBLISHED),
        ("за минувшие сутки", "за минувшие сутки", PUBLISHED),
        ("сьогодні вранці", "сьогодні вранці", PUBLISHED),
        ("вчора", "вчора", date(2026, 2, 17)),
        ("вчера вечером", "вчера вечером", date(2026, 2, 17)),
        ("у ніч на суботу", "у ніч на суботу", date(2026, 2, 14)),
        ("в понедельник", "в понедельник", date(2026, 2, 16)),
        ("у середу", "у середу", PUBLISHED),
        ("2 січня 2025 року", "2 січня 2025 року", date(2025, 1, 2)),
    ],
)
def test_dates_resolve_to_the_day_the_period_ends(text: str, words: str, resolved: date) -> None:
    ((start, end, day),) = find_dates(text, PUBLISHED)
    assert (text[start:end], day) == (words, resolved)


def test_no_date_is_invented_without_a_publication_date() -> None:
    assert [d for _, _, d in find_dates("вчора, за минувшие сутки, у ніч на суботу")] == [
        None,
        None,
        None,
    ]
    # a written year needs no publication date
    assert [d for _, _, d in find_dates("2 січня 2025 року")] == [date(2025, 1, 2)]


def test_an_impossible_day_is_none() -> None:
    assert [d for _, _, d in find_dates("31 лютого", PUBLISHED)] == [None]


# -- parties and language -------------------------------------------------------------------------


def test_parties_in_a_ukrainian_text() -> None:
    assert labelled(AIR_FORCE, find_parties(AIR_FORCE)) == [
        ("противник", "RU"),
        ("ворожих", "RU"),
        ("ворог", "RU"),
    ]


def test_parties_in_a_russian_text() -> None:
    assert labelled(MOD, find_parties(MOD)) == [("ВСУ", "UA"), ("Киевский режим", "UA")]


def test_the_enemy_is_the_other_side_in_each_language() -> None:
    assert [c for _, _, c in find_parties("противник", "uk")] == ["RU"]
    assert [c for _, _, c in find_parties("противник", "ru")] == ["UA"]
    assert find_parties("the enemy") == []


@pytest.mark.parametrize(
    ("text", "lang"),
    [(AIR_FORCE, "uk"), (MOD, "ru"), ("Russia launched 396 drones", None)],
)
def test_language(text: str, lang: str | None) -> None:
    assert language(text) == lang
