"""Ukrainian and Russian texts through the same rules (docs/extract.md), on the project's own
sentences in the style of the air force's bulletin and of the defence ministry's summary."""

from __future__ import annotations

from datetime import date
from typing import Any

from ceasefire.extract import extract


def one(text: str, published: date | None) -> dict[str, Any]:
    found = extract(text, published=published).to_json()["events"]
    assert len(found) == 1, found
    return found[0]


def test_a_ukrainian_air_force_bulletin() -> None:
    text = (
        "У ніч на 9 березня (з 18:00 8 березня) противник атакував 214 ударними БпЛА типу "
        "Shahed та дронами-імітаторами, а також 6 балістичними ракетами Іскандер-М з напрямків "
        "Курськ та Брянськ. Станом на 09:00 збито/подавлено 187 ворожих БпЛА та 2 ракети. "
        "Зафіксовано влучання 19 ударних БпЛА на 8 локаціях у Сумській та Харківській областях."
    )
    e = one(text, date(2026, 3, 9))
    assert e["kind"] == "air_attack"
    assert e["date"] == "2026-03-09"  # the night ending on the 9th, not the 8th's 18:00
    assert e["perpetrator"] == "RU"
    assert e["launched"]["drones"] == 214
    assert e["launched"]["ballistic_missiles"] == 6 and e["launched"]["missiles"] == 6
    assert e["destroyed"]["drones"] == 187 and e["destroyed"]["missiles"] == 2
    assert e["hit"]["drones"] == 19 and e["locations_hit"] == 8
    assert e["oblasts"] == ["Kharkiv", "Sumy"]  # Kursk and Bryansk are where they came from
    spans = {ev["field"]: ev["text"] for ev in e["evidence"]}
    assert spans["launched.drones"].startswith("214 ударними БпЛА")


def test_ukrainian_casualties_in_words_with_parts_and_one_person() -> None:
    e = one(
        "Унаслідок ворожої атаки на Запоріжжя поранено дев'ятьох людей, серед них двоє дітей. "
        "У Вільнянську загинула жінка.",
        date(2026, 3, 2),
    )
    assert e["injured"] == 9
    assert e["killed"] == 1
    assert e["perpetrator"] == "RU"
    assert e["oblasts"] == ["Zaporizhzhia"]


def test_a_russian_ministry_summary_names_the_other_side() -> None:
    text = (
        "За минувшую ночь дежурными средствами ПВО перехвачены и уничтожены 48 украинских "
        "беспилотных летательных аппаратов самолётного типа: 30 - над территорией Курской "
        "области, 18 - над территорией Воронежской области."
    )
    e = one(text, date(2026, 3, 5))
    assert e["perpetrator"] == "UA"
    assert e["date"] == "2026-03-05"
    assert e["destroyed"]["drones"] == 48  # the parts per region are not added again
    assert e["oblasts"] == ["Kursk", "Voronezh"]


def test_a_ukrainian_text_about_a_ukrainian_strike() -> None:
    e = one("Дрони Сил оборони України уразили нафтобазу в Ростовській області.", date(2026, 3, 5))
    assert e["perpetrator"] == "UA"
    assert e["oblasts"] == ["Rostov"]


def test_ukrainian_tolls_people_named_after_a_count_and_districts() -> None:
    e = one(
        "Вчора ввечері окупанти атакували Полтаву ударними БпЛА. Загинули двоє людей — "
        "47-річний чоловік і 71-річна жінка. Кількість поранених зросла до 17. Пошкоджено "
        "будинки у Кременчуцькому районі.",
        date(2026, 4, 2),
    )
    assert e["killed"] == 2  # the man and the woman are the two
    assert e["injured"] == 17  # "зросла до 17" is 17, not "up to 17"
    assert e["date"] == "2026-04-01"
    assert e["places"] == ["Poltava"]  # the district named after Kremenchuk is not the town


def test_a_russian_governor_counts_the_enemys_drones() -> None:
    e = one(
        "За сутки над Белгородской областью сбиты 14 вражеских беспилотников, пострадавших нет.",
        date(2026, 4, 2),
    )
    assert e["perpetrator"] == "UA"
    assert e["destroyed"]["drones"] == 14
    assert e["injured"] == 0 and e["killed"] is None


def test_a_months_totals_and_what_follows_them_give_no_event() -> None:
    text = (
        "За березень противник випустив по Україні 4 120 ударних БпЛА та 96 ракет. "
        "Сили оборони знищили 3 700 дронів та 70 ракет."
    )
    assert extract(text, published=date(2026, 4, 1)).to_json()["events"] == []
