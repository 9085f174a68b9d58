"""A text to extract and the event it proposes, for the tests of accepting proposals (CLI,
API, page) and of mapping events to records (:func:`air_attack_event` builds the event the text
proposes, for tests that vary it)."""

from __future__ import annotations

from datetime import date

from ceasefire.counts import Count
from ceasefire.extract import Event, Evidence, Weapons

#: The brief's own example of a night's attack on one oblast.
AIR_ATTACK = "Overnight, Russia launched 120 drones at Kharkiv region; 100 were shot down."
PUBLISHED = date(2026, 2, 17)


def _span(text: str, field: str, words: str) -> Evidence:
    start = text.index(words)
    return Evidence(field, start, start + len(words), words)


def air_attack_event(text: str, published: date | None) -> Event:
    """What the text of :data:`AIR_ATTACK` (anywhere inside ``text``) proposes."""
    return Event(
        kind="air_attack",
        date=published,
        perpetrator="RU",
        launched=Weapons(drones=Count.exact(120)),
        destroyed=Weapons(drones=Count.exact(100)),
        oblasts=("Kharkiv",),
        evidence=(
            _span(text, "date", "Overnight"),
            _span(text, "perpetrator", "Russia launched"),
            _span(text, "launched.drones", "120 drones"),
            _span(text, "oblasts", "Kharkiv region"),
            _span(text, "destroyed.drones", "100 were shot down"),
        ),
    )
