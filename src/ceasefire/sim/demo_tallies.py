"""The demo night's strike tallies: both parties' accounts, built on the figures that started
the project, and a week of earlier nights for the chart.

The night before the Geneva talks one party's air force counted almost 400 long-range drones
and 29 missiles of various types against 12 regions, with nine people injured; the other side's
defence ministry told it as a strike in which every designated target was hit. The demo sets
both accounts on the simulated night (:class:`ceasefire.sim.SimConfig` ``start``, 18:00 UTC):

- ``UA``'s morning bulletin ("almost 400": an interval), corrected at noon with exact figures
  (a new version that supersedes it: both are kept);
- ``RU``'s own account of the same attack (launches and hits claimed), and its count of the
  drones it says it shot down over its own regions the same night (another attack: ``UA``'s);
- six earlier nights of ``UA`` bulletins, so the page has a trend to draw;
- the strike on Odesa's energy that left tens of thousands without heating and running water,
  as the party hit reported it and as the news did (:func:`odesa_outage`), fused with the rest
  of the night.

The figures of the earlier nights and of the other side's statements are the project's own,
written in the style such bulletins are published in; none is a real night's count.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Final

from ceasefire.intake.report import Report
from ceasefire.intake.validation import validate_report
from ceasefire.tallies.model import Tally, read_tally

#: Kyiv in March, before the change of clocks: the bulletins' own local time.
_KYIV: Final = timezone(timedelta(hours=2))
#: The regions of the night's bulletin (twelve, as published).
REGIONS: Final = (
    "Odesa", "Kyiv City", "Kharkiv", "Dnipropetrovsk", "Zaporizhzhia", "Mykolaiv", "Sumy",
    "Chernihiv", "Poltava", "Vinnytsia", "Kirovohrad", "Cherkasy",
)  # fmt: skip
#: Earlier nights: drones launched / shot down / lost, missiles launched / shot down.
_EARLIER: Final = (
    (142, 118, 16, 0, 0),
    (97, 80, 11, 2, 1),
    (211, 176, 22, 6, 4),
    (64, 55, 6, 0, 0),
    (180, 151, 19, 11, 8),
    (120, 104, 9, 3, 3),
)


def _window(night_start: datetime, days_before: int = 0) -> dict[str, str]:
    """A bulletin's night: 18:00 local on the evening of ``night_start`` (less ``days_before``)
    to 08:30 local the next morning."""
    evening = night_start.astimezone(_KYIV).replace(hour=18, minute=0, second=0, microsecond=0)
    evening -= timedelta(days=days_before)
    return {
        "window_from": evening.isoformat(),
        "window_to": (evening + timedelta(hours=14, minutes=30)).isoformat(),
    }


def _id(prefix: str, night_start: datetime, days_before: int = 0) -> str:
    day = night_start.astimezone(_KYIV).date() + timedelta(days=1 - days_before)
    return f"{prefix}-{day.isoformat()}"


def demo_tallies(night_start: datetime) -> list[Tally]:
    """The demo's tallies for the simulated night starting at ``night_start``."""
    morning = _window(night_start)
    issued = datetime.fromisoformat(morning["window_to"])
    af = _id("af", night_start)
    drones: dict[str, Any] = {
        "weapon_class": "drone",
        "model": "Shahed, Gerbera, other drones",
        "launched": {"min": 360, "max": 399},
        "destroyed": 352,
        "lost": 21,
    }
    jets = {
        "weapon_class": "strike_drone",
        "model": "jet Shahed",
        "part_of": "Shahed, Gerbera, other drones",
        "launched": {"min": 51, "max": 399},
    }
    missiles = [
        {"weapon_class": "ballistic_missile", "model": "Iskander-M", "launched": 9, "destroyed": 5},
        {"weapon_class": "cruise_missile", "model": "Kh-101", "launched": 20, "destroyed": 19},
    ]
    bulletin: dict[str, Any] = {
        "id": af,
        "issuer": "UA",
        "attacker": "RU",
        **morning,
        "issued_at": issued.isoformat(),
        "lines": [drones, jets, *missiles],
        "locations_hit": 17,
        "locations_debris": 9,
        "regions": list(REGIONS),
        "regions_count": 12,
        "injured": 9,
        "launch_areas": ["Kursk", "Bryansk", "Primorsko-Akhtarsk", "Shatalovo"],
        "carriers": ["Tu-95MS"],
        "source": "Air Force morning bulletin (demo text)",
    }
    corrected = dict(
        bulletin,
        id=f"{af}-update",
        supersedes=af,
        issued_at=(issued + timedelta(hours=3, minutes=30)).isoformat(),
        lines=[dict(drones, launched=396), jets, *missiles],
        source="Air Force update at noon: exact drone count (demo text)",
    )
    own_account = {
        "id": _id("mod", night_start),
        "issuer": "RU",
        "attacker": "RU",
        **morning,
        "issued_at": (issued + timedelta(hours=2)).isoformat(),
        "lines": [
            {"weapon_class": "drone", "model": "Geran-2", "launched": {"min": 301, "max": None}},
            {
                "weapon_class": "missile",
                "model": "long-range precision weapons",
                "launched": 30,
                "hit": 30,
            },
        ],
        "regions": ["Odesa", "Kyiv City", "Kharkiv", "Dnipropetrovsk"],
        "source": "Defence ministry statement: every designated target hit (demo text)",
    }
    intercepts = {
        "id": _id("mod-ad", night_start),
        "issuer": "RU",
        "attacker": "UA",
        **morning,
        "issued_at": (issued - timedelta(hours=1)).isoformat(),
        "lines": [{"weapon_class": "drone", "model": "fixed-wing drones", "destroyed": 62}],
        "regions": ["Belgorod", "Kursk", "Bryansk"],
        "source": "Defence ministry: drones shot down over its regions overnight (demo text)",
    }
    earlier = []
    for days, (dl, dd, lost, ml, md) in enumerate(_EARLIER[::-1], start=1):
        lines: list[dict[str, Any]] = [
            {"weapon_class": "drone", "model": "Shahed, Gerbera, other drones", "launched": dl,
             "destroyed": dd, "lost": lost},
        ]  # fmt: skip
        if ml:
            lines.append({"weapon_class": "missile", "launched": ml, "destroyed": md})
        window = _window(night_start, days)
        earlier.append(
            {
                "id": _id("af", night_start, days),
                "issuer": "UA",
                "attacker": "RU",
                **window,
                "issued_at": window["window_to"],
                "lines": lines,
                "source": "Air Force morning bulletin (demo text)",
            }
        )
    texts = [*earlier, bulletin, corrected, own_account, intercepts]
    return [read_tally(t, where=f"demo tally {t['id']}") for t in texts]


#: Odesa's centre and the hour the drones struck its energy (local time, the night's morning).
_ODESA: Final = (30.733, 46.469)
_STRUCK: Final = (3, 40)


def odesa_outage(night_start: datetime) -> list[Report]:
    """The night's strike on Odesa's energy, as ``UA`` reported it and as the news did: the
    same people without heating and running water ("tens of thousands": an interval), counted
    once when fusion combines them."""
    morning = night_start.astimezone(_KYIV).date() + timedelta(days=1)
    struck = datetime(morning.year, morning.month, morning.day, *_STRUCK, tzinfo=_KYIV)
    lon, lat = _ODESA
    common: dict[str, Any] = {
        "lon": lon, "lat": lat, "event_type": "drone_strike", "claimed_perpetrator": "RU",
        "infrastructure": ["energy", "heating", "water"], "utilities": ["heating", "water"],
        "outage_from": (struck + timedelta(minutes=10)).isoformat(),
    }  # fmt: skip
    party = {
        **common,
        "id": f"odesa-energy-{morning.isoformat()}",
        "submitted_by": "UA",
        "source_kind": "party",
        "source_name": "Odesa regional military administration",
        "observed_from": struck.isoformat(),
        "observed_to": (struck + timedelta(minutes=25)).isoformat(),
        "uncertainty_m": 3_000,
        "injured": 2,
        "people_affected": {"min": 10_000, "max": 99_999},
        "notes": "Drones struck an energy facility; tens of thousands of residents are without "
        "heating and running water.",
    }
    news = {
        **common,
        "id": f"news-odesa-{morning.isoformat()}",
        "submitted_by": "mission",
        "source_kind": "osint",
        "source_name": "media desk",
        "observed_from": (struck - timedelta(hours=1)).isoformat(),
        "observed_to": (struck + timedelta(hours=1)).isoformat(),
        "uncertainty_m": 8_000,
        "place_precision": "near",
        "injured": 2,
        "people_affected": {"min": 30_000, "max": 60_000},
        "notes": "Odesa: after an overnight drone attack on energy facilities, 30,000 to 60,000 "
        "residents were left without heating and water, the city said.",
    }
    return [validate_report(r, where=f"demo report {r['id']}") for r in (party, news)]
