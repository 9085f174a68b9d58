"""The query parameters of ``items``: ``bbox``, ``datetime`` and ``properties``, each refused
with an InputError naming it."""

from __future__ import annotations

from datetime import datetime, timedelta

from ceasefire.errors import InputError, Problem
from ceasefire.query import parse_bbox, parse_time
from ceasefire.store.schema import BBox

#: At most this many names in ``properties``.
MAX_PROPERTIES = 64


def parse_properties(value: str | None) -> frozenset[str] | None:
    """The ``properties`` a client asked for (OGC API - Features - Part 6, property selection):
    comma-separated names of the view (``count`` for ``count_low``, ``_best`` and ``_high``);
    None: all. A name the collection does not have is simply absent from the features."""
    if value is None:
        return None
    names = [n.strip() for n in value.split(",") if n.strip()]
    bad = [n for n in names if not (n.isascii() and n.replace("_", "").isalnum())]
    if bad or not names or len(names) > MAX_PROPERTIES:
        why = (
            f"{bad[0]!r} is not a property name (letters, digits and _)"
            if bad
            else f"must name 1 to {MAX_PROPERTIES} properties, comma-separated"
        )
        raise InputError(Problem("query", "properties", why))
    return frozenset(names)


def parse_datetime(value: str | None) -> tuple[datetime | None, datetime | None]:
    """OGC ``datetime``: an instant or ``start/end`` (``..`` or empty for an open end), as the
    closed interval ``(start, end)``; InputError naming ``datetime`` otherwise."""
    if value is None:
        return None, None
    parts = value.split("/")
    if len(parts) == 1:
        moment = parse_time(parts[0], "datetime")
        return moment, moment
    if len(parts) != 2 or all(p.strip() in ("", "..") for p in parts):
        raise InputError(
            Problem(
                "query",
                "datetime",
                f"must be an instant or start/end (.. for an open end), got {value!r}",
            )
        )
    start, end = (None if p.strip() in ("", "..") else parse_time(p, "datetime") for p in parts)
    if start is not None and end is not None and start > end:
        raise InputError(Problem("query", "datetime", f"starts after it ends: {value!r}"))
    return start, end


def window(value: str | None) -> tuple[datetime | None, datetime | None]:
    """The store's ``since``/``until`` (``[since, until)``) for the closed ``datetime``."""
    start, end = parse_datetime(value)
    # The store keeps what starts before `until`; a feature starting at `end` touches it.
    return start, None if end is None else end + timedelta(microseconds=1)


def bbox(value: str | None) -> BBox | None:
    """The ``bbox`` as four numbers (a six-number one's heights ignored: the points are 2D)."""
    if value is not None and len(value.split(",")) == 6:
        x0, y0, _, x1, y1, _ = value.split(",")
        value = ",".join((x0, y0, x1, y1))
    return parse_bbox(value)
