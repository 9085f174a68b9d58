"""Dates in Ukrainian and Russian bulletins, resolved to the day the reported period ends.

"У ніч на 18 лютого" (the night ending 18 February), "в ночь с 13 на 14 мая", "протягом
минулої доби", "за минувшие сутки", "вчора", "сьогодні вранці", "у суботу": each resolves by the
rules of docs/extract.md ("Dates") from the text and the publication date. A relative phrase
with no publication date resolves to ``None``; nothing is invented.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Final

from ceasefire.extract.slavic_numbers import normalise

__all__ = ["MONTHS", "WEEKDAYS", "find_dates"]

#: Month names in the genitive ("18 лютого", "18 февраля") -> month number.
MONTHS: Final[dict[str, int]] = {
    **{
        m: i
        for i, m in enumerate(
            [
                "січня",
                "лютого",
                "березня",
                "квітня",
                "травня",
                "червня",
                "липня",
                "серпня",
                "вересня",
                "жовтня",
                "листопада",
                "грудня",
            ],
            1,
        )
    },
    **{
        m: i
        for i, m in enumerate(
            [
                "января",
                "февраля",
                "марта",
                "апреля",
                "мая",
                "июня",
                "июля",
                "августа",
                "сентября",
                "октября",
                "ноября",
                "декабря",
            ],
            1,
        )
    },
}
#: Weekday words as they follow "у"/"в"/"на" (accusative; Monday 0) and their nominatives.
WEEKDAYS: Final[dict[str, int]] = {
    **dict.fromkeys(["понеділок", "понедельник"], 0),
    **dict.fromkeys(["вівторок", "вторник"], 1),
    **dict.fromkeys(["середу", "середа", "среду", "среда"], 2),
    **dict.fromkeys(["четвер", "четверг"], 3),
    **dict.fromkeys(["п'ятницю", "п'ятниця", "пятницу", "пятница"], 4),
    **dict.fromkeys(["суботу", "субота", "субботу", "суббота"], 5),
    **dict.fromkeys(["неділю", "неділя", "воскресенье"], 6),
}

_B = r"(?<![\w'])"
_E = r"(?![\w'])"
_MONTH = "|".join(MONTHS)
_WEEKDAY = "|".join(WEEKDAYS)
_NIGHT = r"(?:(?:[ув]|уночі|вночі)\s+)?(?:ніч|ночь)"
_YEAR = r"(?:\s+(?P<{g}>\d{{4}})(?:\s*(?:року|р\.|года|г\.))?)?"

#: Today: the period ends on the publication date.
_TODAY = (
    r"(?:протягом|впродовж|за)\s+(?:минул\w*|останн\w*)\s+(?:доб\w*|24\s+годин\w*)"
    r"|минулої\s+доби|за\s+добу|протягом\s+доби"
    r"|(?:за|в\s+течение)\s+(?:минувш\w*|прошедш\w*|последн\w*)\s+(?:сутки|суток|24\s+час\w*|ночь|ночи)"
    r"|(?:протягом|впродовж|за)\s+(?:минул\w*|останн\w*)\s+ніч\w*"
    r"|за\s+сутки|в\s+течение\s+суток"
    r"|(?:минулої|цієї|сьогоднішньої)\s+ночі|(?:этой|минувшей|прошлой|сегодняшней)\s+ночью"
    r"|(?:сьогодні|сегодня)(?:\s+(?:вранці|зранку|вночі|утром|ночью))?"
    r"|(?:цього|этим)\s+(?:ранку|утром)|уночі|вночі|вранці|ночью|утром"
)
_YESTERDAY = r"(?:вчора|учора|вчера)(?:\s+(?:ввечері|увечері|вночі|вечером|ночью))?"
_BEFORE_YESTERDAY = r"позавчора|позавчера"

_DATES: Final = re.compile(
    "|".join(
        f"{_B}(?:{p}){_E}"
        for p in (
            # the night from one date to the next: the second
            rf"{_NIGHT}\s+(?:з|с)\s+\d{{1,2}}(?:\s+(?:{_MONTH}))?\s+на\s+(?P<nd>\d{{1,2}})"
            rf"\s+(?P<nm>{_MONTH}){_YEAR.format(g='ny')}",
            rf"{_NIGHT}\s+(?:на|проти|против)\s+(?P<od>\d{{1,2}})\s+(?P<om>{_MONTH})"
            + _YEAR.format(g="oy"),
            # a night of two weekdays, or into a weekday: the weekday it ends
            rf"{_NIGHT}\s+(?:з|с)\s+(?:{_WEEKDAY})\s+на\s+(?P<nw>{_WEEKDAY})",
            rf"{_NIGHT}\s+(?:на|проти|против)\s+(?P<ow>{_WEEKDAY})",
            # "13-14 травня": the period ends on the 14th
            rf"\d{{1,2}}\s*[-–]\s*(?P<rd>\d{{1,2}})\s+(?P<rm>{_MONTH}){_YEAR.format(g='ry')}",
            rf"(?P<dd>\d{{1,2}})\s+(?P<dm>{_MONTH}){_YEAR.format(g='dy')}",
            rf"(?:[ув]|во)\s+(?P<ww>{_WEEKDAY})",
            rf"(?P<today>{_TODAY})",
            rf"(?P<yesterday>{_YESTERDAY})",
            rf"(?P<before>{_BEFORE_YESTERDAY})",
        )
    ),
    re.IGNORECASE,
)


def _on_or_before(published: date, weekday: int) -> date:
    """The latest ``weekday`` on or before ``published``."""
    return published - timedelta(days=(published.weekday() - weekday) % 7)


def _calendar(day: str, month: str, year: str | None, published: date | None) -> date | None:
    """A day of a month: the year written, else the publication's year (or the one before,
    when the date would be after publication); ``None`` with neither or no such day."""
    m = MONTHS[month.lower()]
    try:
        if year is not None:
            return date(int(year), m, int(day))
        if published is None:
            return None
        out = date(published.year, m, int(day))
        return out if out <= published else date(published.year - 1, m, int(day))
    except ValueError:
        return None  # "31 лютого"


def _resolve(m: re.Match[str], published: date | None) -> date | None:
    g = m.groupdict()
    for d, mo, y in (
        ("nd", "nm", "ny"),
        ("od", "om", "oy"),
        ("rd", "rm", "ry"),
        ("dd", "dm", "dy"),
    ):
        if g[d] is not None:
            return _calendar(g[d], g[mo], g[y], published)
    if published is None:
        return None
    for w in ("nw", "ow", "ww"):
        if g[w] is not None:
            return _on_or_before(published, WEEKDAYS[g[w].lower()])
    if g["yesterday"] is not None:
        return published - timedelta(days=1)
    if g["before"] is not None:
        return published - timedelta(days=2)
    return published  # today, over the past day, overnight


def find_dates(text: str, published: date | None = None) -> list[tuple[int, int, date | None]]:
    """``(start, end, date)`` of each time phrase of ``text``: the date its period ends
    (the module's rules), ``None`` when that needs a publication date and there is none.

    >>> t = "У ніч на 18 лютого противник атакував"
    >>> [(t[s:e], d) for s, e, d in find_dates(t, date(2026, 2, 18))]
    [('У ніч на 18 лютого', datetime.date(2026, 2, 18))]
    """
    return [(m.start(), m.end(), _resolve(m, published)) for m in _DATES.finditer(normalise(text))]
