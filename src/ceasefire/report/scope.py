"""What a daily report covers: the tier it is built for and the reporting day it spans.

A tier is read as a caller of the one access policy (:mod:`ceasefire.publish.access`); the day
is the agreement's reporting day (:class:`~ceasefire.agreement.reporting.ReportingDay`), its
end moved to a ``--cutoff`` if one is given. The report's data (:mod:`ceasefire.report.daily`),
the glue that picks its checkpoint (:mod:`ceasefire.reporting`) and ``report verify`` all ask
here, so a report is rebuilt over the very span it was built over.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from ceasefire.agreement.model import Agreement
from ceasefire.agreement.reporting import ReportingDay
from ceasefire.errors import InputError, Problem
from ceasefire.publish.access import Principal

#: The tiers a report is built for (a party's is ``party:<code>``).
MISSION_TIER: Final = "mission"
PUBLIC_TIER: Final = "public"
PARTY_PREFIX: Final = "party:"


def tier_principal(tier: str, parties: Iterable[str]) -> Principal:
    """The caller a tier reads as: the mission a monitor, ``party:XX`` party XX, ``public``
    the public. InputError for any other tier or an unknown party."""
    known = sorted(parties)
    if tier == MISSION_TIER:
        return Principal("report:mission", "monitor")
    if tier == PUBLIC_TIER:
        return Principal("report:public", "public")
    if tier.startswith(PARTY_PREFIX) and tier[len(PARTY_PREFIX) :] in known:
        code = tier[len(PARTY_PREFIX) :]
        return Principal(f"report:{tier}", "party", code)
    choices = ", ".join([MISSION_TIER, *(PARTY_PREFIX + p for p in known), PUBLIC_TIER])
    raise InputError(Problem("report", "tier", f"must be one of {choices}; got {tier!r}"))


def reporting_day(agreement: Agreement, cutoff: str | None = None) -> ReportingDay:
    """The agreement's reporting day, its end moved to ``cutoff`` (local ``HH:MM``) if given."""
    day = agreement.reporting
    if cutoff is None:
        return day
    try:
        if len(cutoff) != 5 or cutoff[2] != ":":
            raise ValueError
        ends = time.fromisoformat(cutoff)
    except ValueError:
        raise InputError(
            Problem("report", "cutoff", f"must be a local time HH:MM, e.g. 19:30; got {cutoff!r}")
        ) from None
    return ReportingDay(ends, day.timezone)


def local_cutoff(agreement: Agreement, cutoff: datetime) -> str | None:
    """The ``--cutoff`` a report ending at ``cutoff`` (UTC) was built with: None for the
    agreement's own day end, else the local ``HH:MM``."""
    day = agreement.reporting
    local = cutoff.astimezone(ZoneInfo(day.timezone)).time().replace(second=0, microsecond=0)
    return None if local == day.day_ends else local.strftime("%H:%M")


def period(day: date, reporting: ReportingDay) -> tuple[datetime, datetime]:
    """The reporting day that ends at ``day``'s cutoff: (start, end), in UTC."""
    return reporting.starting(day - timedelta(days=1))


def utc_text(moment: datetime | str | None) -> str | None:
    """A time as the report writes it: UTC, seconds, ``Z``."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
