"""The reporting day: the agreement's daily cutoff, a wall-clock time in its time zone.

The mission counts, reports and shows by reporting day: from one cutoff to the next (the map's
default window, "last night", is the last day that has ended). A cutoff is local time, as an
agreement states it ("the reporting day ends at 09:00 Kyiv time"), so a day across a change of
clocks lasts 23 or 25 hours; every instant given and returned is aware, and returned in UTC.
:func:`read_reporting` reads the agreement's ``reporting`` block.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ceasefire.agreement.context import Ctx


@dataclass(frozen=True)
class ReportingDay:
    """When the reporting day ends (``day_ends``, local time in ``timezone``, an IANA name)."""

    day_ends: time = time(0, 0)
    timezone: str = "UTC"

    @cached_property
    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def _cutoff_on(self, day: date) -> datetime:
        # fold=0: a cutoff in the hour repeated when clocks go back is its first occurrence; one
        # in the hour skipped when they go forward is read with the offset before the change.
        return datetime.combine(day, self.day_ends, tzinfo=self._zone).astimezone(UTC)

    def last_cutoff(self, at: datetime) -> datetime:
        """The latest cutoff at or before ``at``."""
        local_day = at.astimezone(self._zone).date()
        cutoff = self._cutoff_on(local_day)
        return cutoff if cutoff <= at else self._cutoff_on(local_day - timedelta(days=1))

    def ended_by(self, at: datetime) -> tuple[datetime, datetime]:
        """The last reporting day that has ended by ``at``: (start, end), end <= at."""
        end = self.last_cutoff(at)
        return self._cutoff_on(end.astimezone(self._zone).date() - timedelta(days=1)), end

    def holding(self, at: datetime) -> tuple[datetime, datetime]:
        """The reporting day ``at`` falls in: (start, end), start <= at < end."""
        start = self.last_cutoff(at)
        return start, self._cutoff_on(start.astimezone(self._zone).date() + timedelta(days=1))

    def night_of(self, at: datetime) -> date:
        """The local date the reporting day holding ``at`` starts on: the day's name ("the
        night of 10 March"), which :meth:`starting` turns back into the day."""
        return self.last_cutoff(at).astimezone(self._zone).date()

    def starting(self, day: date) -> tuple[datetime, datetime]:
        """The reporting day that starts on local date ``day`` (the night of ``day``): (start,
        end), from ``day``'s cutoff to the next day's."""
        return self._cutoff_on(day), self._cutoff_on(day + timedelta(days=1))

    def first_shown(self, newest: datetime | None, now: datetime) -> tuple[datetime, datetime]:
        """The day a map opens on, "last night": the last that has ended by ``now``, or, when
        the newest observation the viewer may see (``newest``) comes before that day (an
        archive, the demo), the day holding it, so the page does not open on an empty day."""
        start, end = self.ended_by(now)
        if newest is not None and newest < start:
            return self.holding(newest)
        return start, end

    def local_date(self, at: datetime) -> date:
        """The date ``at`` falls on in the agreement's time zone (a day is named by the date
        it starts on)."""
        return at.astimezone(self._zone).date()

    def describe(self) -> dict[str, str]:
        return {"day_ends": self.day_ends.strftime("%H:%M"), "timezone": self.timezone}


def read_reporting(ctx: Ctx, raw: Mapping[str, Any]) -> ReportingDay:
    """The optional ``reporting`` block: ``day_ends`` (HH:MM, local) and ``timezone`` (an IANA
    name); without it the day ends at midnight UTC."""
    value = raw.get("reporting")
    if value is None:
        return ReportingDay()
    m = ctx.mapping(value, "reporting")
    if m is None:
        return ReportingDay()
    ctx.unknown_keys(m, frozenset(("day_ends", "timezone")), "reporting")
    ends, zone = time(0, 0), "UTC"
    got = m.get("day_ends")
    if got is not None:
        try:
            # YAML reads an unquoted 9:00 as 540 (base 60): only two-digit HH:MM text is taken.
            if not isinstance(got, str) or not re.fullmatch(r"\d{2}:\d{2}", got):
                raise ValueError
            ends = time.fromisoformat(got)
        except ValueError:
            ctx.add(
                "reporting.day_ends",
                f'must be a quoted local time HH:MM, e.g. "09:00"; got {got!r}',
            )
    tz = m.get("timezone")
    if tz is not None:
        try:
            if not isinstance(tz, str) or not tz:
                raise ValueError
            ZoneInfo(tz)
            zone = tz
        except (ValueError, ZoneInfoNotFoundError):
            ctx.add(
                "reporting.timezone",
                f"must be a time zone name, e.g. Europe/Kyiv or UTC; got {tz!r}",
            )
    return ReportingDay(ends, zone)
