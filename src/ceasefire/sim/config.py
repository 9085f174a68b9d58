"""The simulator's knobs: what night to simulate (:class:`SimConfig`) and the fixed rates.

Zone widths are not here: they come from the agreement (:mod:`ceasefire.sim.theatre`).
:data:`WITHDRAWAL_KM` and :data:`DMZ_KM` remain as the demo agreement's widths, for reference;
a test holds them equal to the demo agreement file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from ceasefire.errors import InputError, Problem

#: A table of columns: one array per field, all of one length.
Cols = dict[str, npt.NDArray[Any]]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

#: The two parties; array code 0 is RU (left of the line), 1 is UA (right).
PARTIES: Final = ("RU", "UA")
#: Who submits reports: the mission (monitors, sensors, its media desk) or a party.
SUBMITTERS: Final = ("mission", "RU", "UA")
#: Weapon-withdrawal distances from the line (km) by class, per side, in the demo agreement.
#: For reference only: the simulator reads the widths from the agreement it is given.
WITHDRAWAL_KM: Final[dict[str, float]] = {
    "artillery": 50.0,
    "mlrs": 70.0,
    "heavy_mlrs": 140.0,
    "tactical_missile": 140.0,
}
#: Half-width of the demo agreement's demilitarised zone (km) either side of the line.
DMZ_KM: Final = 15.0
#: Median location error of a sensor detection at ``noise=1`` (m).
SENSOR_MEDIAN_ERROR_M: Final = 800.0
#: Rayleigh sigma of monitor location errors at ``noise=1`` (m).
MONITOR_SIGMA_M: Final[dict[str, float]] = {"camera": 400.0, "uav": 30.0, "patrol": 250.0}
#: Standard deviation of monitor time errors at ``noise=1`` (s).
MONITOR_SIGMA_S: Final[dict[str, float]] = {"camera": 20.0, "uav": 30.0, "patrol": 120.0}
#: Share of party (and news) reports that inflate counts and casualties.
EXAGGERATION_P: Final = 0.3
#: False party claims per true event.
FALSE_CLAIMS_PER_EVENT: Final = 0.02
#: Events per generation chunk; fixed so that chunking never depends on how output is consumed.
EVENTS_PER_CHUNK: Final = 20_000
#: Counts and casualties are capped here (a sanity bound, never reached by a realistic night).
INT_MAX: Final = 9999

#: Event families and the default night: 300 shellings, 40 deep strikes, 20 weapon sightings in
#: withdrawal zones, 10 DMZ incursions, 30 drone overflights.
FAMILIES: Final = ("shelling", "strike", "sighting", "dmz", "overflight")
DEFAULT_MIX: Final = (300, 40, 20, 10, 30)
#: Array codes of the families, in the order of :data:`FAMILIES`.
_SHELL, _STRIKE, _SIGHT, _DMZ, _OVER = range(5)
_M_PER_DEG: Final = 111_195.0  # mean metres per degree of latitude (R = 6371 km)
_HOUR: Final = 3600


@dataclass(frozen=True)
class SimConfig:
    """What night to simulate.

    Parameters
    ----------
    seed
        Random seed; the same config gives byte-identical output.
    start
        Start of the night (timezone-aware; converted to UTC).
    hours
        Length of the night.
    n_events
        Number of true events; default the realistic night of :data:`DEFAULT_MIX` (400).
    n_reports
        Target number of reports (the scale knob): the night is given as many events as it takes
        to produce about this many reports (within ~1 %). Exclusive with ``n_events``.
    noise
        Scales every location and time error (0 gives exact reports, 2 twice the error).
    """

    seed: int = 7
    start: datetime = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
    hours: float = 12.0
    n_events: int | None = None
    n_reports: int | None = None
    noise: float = 1.0

    def __post_init__(self) -> None:
        problems = []
        if self.start.tzinfo is None:
            problems.append(Problem("simulation", "start", "needs a timezone (e.g. +00:00)"))
        if not (math.isfinite(self.hours) and self.hours > 0):
            problems.append(Problem("simulation", "hours", f"must be > 0, got {self.hours}"))
        if not (math.isfinite(self.noise) and self.noise >= 0):
            problems.append(Problem("simulation", "noise", f"must be >= 0, got {self.noise}"))
        for name in ("n_events", "n_reports"):
            value = getattr(self, name)
            if value is not None and value < 0:
                problems.append(Problem("simulation", name, f"must be >= 0, got {value}"))
        if self.n_events is not None and self.n_reports is not None:
            problems.append(Problem("simulation", "n_reports", "give n_events or n_reports"))
        if problems:
            raise InputError(problems)
