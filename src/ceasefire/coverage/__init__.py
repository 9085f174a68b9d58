"""What the mission could see: sensor status, patrols, restrictions, and coverage per cell and hour.

"No violation recorded" means little without "observed X% of the window" (issue 20, section 2).
This package is pure: records in (:mod:`~ceasefire.coverage.model`), the monitored area as H3
cells (:mod:`~ceasefire.coverage.grid`), footprints as shapely geometries
(:mod:`~ceasefire.coverage.footprints`), the shares per cell and hour
(:mod:`~ceasefire.coverage.compute`) and the daily report's section
(:func:`~ceasefire.coverage.section.report_section`). docs/coverage.md says how it is counted.
"""

from ceasefire.coverage.compute import Coverage, compute
from ceasefire.coverage.grid import RESOLUTION, MonitoredArea
from ceasefire.coverage.model import (
    KINDS,
    Patrol,
    Restriction,
    SensorStatus,
    read_line,
    read_many,
    read_record,
    record_key,
    to_dict,
)
from ceasefire.coverage.section import report_section

__all__ = [
    "KINDS",
    "RESOLUTION",
    "Coverage",
    "MonitoredArea",
    "Patrol",
    "Restriction",
    "SensorStatus",
    "compute",
    "read_line",
    "read_many",
    "read_record",
    "record_key",
    "report_section",
    "to_dict",
]
