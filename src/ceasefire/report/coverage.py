"""The daily report's coverage section, cut to what a tier may read, and its summary line.

The numbers are :func:`ceasefire.coverage.report_section`'s; here a party and the public lose
where sensors stand and look and where patrols went, and keep which sensors were out, when and
in which oblast, and the restrictions of movement.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from ceasefire.agreement.model import Agreement
from ceasefire.coverage import report_section
from ceasefire.publish.access import Principal, may_read_message
from ceasefire.report.records import Replayed

#: What a coverage row may say outside the mission's tier: never where a sensor stands or
#: where it looks (its footprint), nor a patrol's route.
_SHARED_SENSOR_KEYS: Final = ("sensor", "status", "start", "end", "oblast")

_SHARED_RESTRICTION_KEYS: Final = ("at", "place", "oblast", "by", "reason", "source")


def coverage_section(
    replayed: Replayed, caller: Principal, span: tuple[datetime, datetime], agreement: Agreement
) -> dict[str, Any]:
    """The coverage section of the tier: built from the coverage leaves and the hotline
    messages the caller may read; outside the mission's tier its rows keep only what the
    contract names (no sensor position, footprint or patrol route)."""
    records = [
        (kind, record)
        for kind, record in replayed.coverage_records
        if kind != "hotline_message" or may_read_message(caller, record)
    ]
    section = report_section(records, span[0], span[1], agreement)
    if caller.sees_all:
        return section
    return {
        **section,
        "sensors_down": [
            {k: row.get(k) for k in _SHARED_SENSOR_KEYS} for row in section["sensors_down"]
        ],
        "restrictions": [
            {k: row.get(k) for k in _SHARED_RESTRICTION_KEYS} for row in section["restrictions"]
        ],
    }


def coverage_line(coverage: Mapping[str, Any]) -> str:
    """What the mission could see, beside what it recorded: a zero means little without it."""
    seen = [r for r in coverage["by_oblast"] if r["observed"] is not None]
    shares = ", ".join(f"{r['oblast']} {100 * r['observed']:.1f}%" for r in seen)
    return (
        f"Observed: {shares or 'coverage unknown'} of the window; "
        f"{len(coverage['sensors_down'])} sensor outage(s), "
        f"{len(coverage['restrictions'])} restriction(s) of movement."
    )
