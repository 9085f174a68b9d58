"""A simulated night along the line of contact: true events and noisy reports of them.

The simulator exists to test fusion, geometry and the intake at realistic and at benchmark scale.
It draws *events* (what really happened) and, for each, the *reports* several kinds of source
would have filed, each with the errors typical of that kind (monitors, sensors, parties, news;
see :mod:`ceasefire.sim.sources`). Where weapons and incursions may be seen follows the
agreement's zones: a weapon sighting lies inside the withdrawal zone that bars that weapon on
its owner's side, an incursion inside the DMZ (default: the demo agreement).

Output (:func:`write_simulation`) is two JSON Lines files: reports in the interchange format
(DESIGN section 5) and a truth file holding ``{"record": "event", ...}`` lines (every true event)
and ``{"record": "link", "report_id", "event_id", "fidelity"}`` lines (every report, ``event_id``
null for a false claim). The same seed and agreement give byte-identical files; the in-memory
:func:`simulate` gives the same rows. Within a chunk of the night, reports are sorted by
``observed_from``, so the file is close to the order a live feed would arrive in.

Modules
-------
config    :class:`SimConfig` and the fixed rates and scales
theatre   the line in metres, settlements, cities, placement; the agreement's zone widths
events    weapon models and arsenals; the true events of a chunk
sources   the reports of each source kind
output    rows for the files (fast) and for memory (plain)
night     chunk planning, :func:`simulate`, :func:`write_simulation`, :class:`SimStats`
"""

from __future__ import annotations

from ceasefire.sim.config import (
    DEFAULT_MIX,
    DMZ_KM,
    EVENTS_PER_CHUNK,
    EXAGGERATION_P,
    FALSE_CLAIMS_PER_EVENT,
    FAMILIES,
    INT_MAX,
    MONITOR_SIGMA_M,
    MONITOR_SIGMA_S,
    PARTIES,
    SENSOR_MEDIAN_ERROR_M,
    SUBMITTERS,
    WITHDRAWAL_KM,
    SimConfig,
)
from ceasefire.sim.events import MODELS
from ceasefire.sim.night import SimStats, Simulation, simulate, write_simulation
from ceasefire.sim.output import FIDELITY
from ceasefire.sim.theatre import CITIES

__all__ = [
    "CITIES",
    "DEFAULT_MIX",
    "DMZ_KM",
    "EVENTS_PER_CHUNK",
    "EXAGGERATION_P",
    "FALSE_CLAIMS_PER_EVENT",
    "FAMILIES",
    "FIDELITY",
    "INT_MAX",
    "MODELS",
    "MONITOR_SIGMA_M",
    "MONITOR_SIGMA_S",
    "PARTIES",
    "SENSOR_MEDIAN_ERROR_M",
    "SUBMITTERS",
    "WITHDRAWAL_KM",
    "SimConfig",
    "SimStats",
    "Simulation",
    "simulate",
    "write_simulation",
]

# The public classes and functions say they come from here, where users import them (as httpx
# does): reprs, docs and pickles then name `ceasefire.sim`, not the private layout.
for _name in ("SimConfig", "SimStats", "Simulation", "simulate", "write_simulation"):
    globals()[_name].__module__ = __name__
del _name
