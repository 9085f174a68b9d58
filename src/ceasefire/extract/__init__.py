"""Extraction: proposals of events from news and bulletin text (docs/extract.md).

Rules, tables and the offline gazetteer; no model and no download. A pure core package: it
never imports the store or the service.
"""

from __future__ import annotations

from datetime import date

from ceasefire.extract.model import Event, Evidence, Extraction, Weapons

__all__ = ["Event", "Evidence", "Extraction", "Weapons", "extract"]


def extract(text: str, *, published: date | None = None, source: str | None = None) -> Extraction:
    """The events ``text`` reports, each figure with its evidence (docs/extract.md)."""
    from ceasefire.extract.events import events_of  # the rules; imported late, they are big

    return Extraction(source=source, published=published, events=events_of(text, published))
