"""Coverage against the store: what the mission could see in a window, per oblast or per cell.

The core (:mod:`ceasefire.coverage`) takes records as values; this module reads them from the
store for a caller (the store asks the access policy: the mission and the mediator read
coverage, a party never sees a sensor's position or a patrol's route), so the CLI and the API
give the same numbers as the daily report's section.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from ceasefire.coverage.compute import compute
from ceasefire.coverage.grid import MonitoredArea
from ceasefire.coverage.section import cells_geojson, records_of, report_section, utc_z
from ceasefire.errors import InputError, Problem
from ceasefire.publish.access import Principal
from ceasefire.store.facade import Store

if TYPE_CHECKING:
    from ceasefire.agreement.model import Agreement

#: How a window's coverage is given: per oblast (with the down sensors and the restrictions)
#: or per H3 cell (GeoJSON).
BY: Final = ("oblast", "cell")


def coverage_window(
    store: Store,
    by: Principal,
    agreement: Agreement,
    start: datetime,
    end: datetime,
    *,
    per: str = "oblast",
) -> dict[str, Any]:
    """The coverage of ``[start, end)`` as ``by`` may read it: per ``oblast`` the report's
    section (:func:`ceasefire.coverage.report_section`) with the window, per ``cell`` a GeoJSON
    FeatureCollection of the monitored area's cells."""
    if per not in BY:
        raise InputError(Problem("query", "by", f"must be one of: {', '.join(BY)}, got {per!r}"))
    leaves = store.coverage_leaves(by=by, start=start, end=end)
    area = MonitoredArea.of_agreement(agreement)
    if per == "cell":
        statuses, patrols, _, _ = records_of(leaves)
        return cells_geojson(compute(area, statuses, patrols, start, end))
    section = report_section(leaves, start, end, area)
    return {"start": utc_z(start), "end": utc_z(end), **section}
