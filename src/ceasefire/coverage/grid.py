"""The monitored area as H3 cells (resolution 7), each with its centre and its oblast.

What is the monitored area? The place "no violation recorded" is a claim about: the agreement's
demilitarised zones (its zones of kind ``dmz``: 15 km on each side of the demo line), where the
mission's cameras, sensors and patrols are meant to watch. An agreement without a DMZ is
monitored along a band of :data:`DEFAULT_BAND_M` on each side of its line. The withdrawal zones
(50 to 140 km deep) are not: a coverage share over them would be diluted to nothing by land no
sensor is meant to see, and the shares would say more about the zone's width than about the
mission. Everything is clipped to the agreement's declared area.

H3 resolution 7 cells are ~5.2 km² (edge ~1.4 km): small next to a camera's or a patrol's reach,
large enough that the demo's DMZ (~1,500 km of line, 30 km wide) is ~9,000 cells, so a month of
hours is ~6.5 million cell-hours, and only the cells some footprint reaches are computed
(:mod:`ceasefire.coverage.compute`). A cell is seen when its centre is.

Each cell's oblast is the agreement's geometry engine's (:class:`ceasefire.geo.engine.GeoEngine`:
the region of the nearest settlement), as for reports, so a cell and a report at the same place
count in the same oblast.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Final

import h3
import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from ceasefire.coverage.footprints import Plane

if TYPE_CHECKING:
    from ceasefire.agreement.model import Agreement

#: The H3 resolution of coverage cells (~5.2 km², edge ~1.4 km).
RESOLUTION: Final = 7
#: The band monitored on each side of the line when the agreement has no DMZ (m).
DEFAULT_BAND_M: Final = 15_000.0
#: The name of an oblast the engine cannot tell (no settlement near).
UNKNOWN_OBLAST: Final = "unknown"


@dataclass(eq=False)
class MonitoredArea:
    """The cells of the monitored area: H3 ids, centres in lon/lat and in ``plane``, oblasts.

    Build one with :meth:`of_agreement` (cached per agreement version) or :meth:`of_cells`.
    """

    cells: npt.NDArray[np.str_]
    lon: npt.NDArray[np.float64]
    lat: npt.NDArray[np.float64]
    oblast: npt.NDArray[np.object_]
    plane: Plane
    _locate: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.x, self.y = self.plane.xy(self.lon, self.lat)
        # Cells sorted by x, so a footprint's candidates are one searchsorted slice.
        self.by_x = np.argsort(self.x, kind="stable")
        self.sorted_x = self.x[self.by_x]
        self.index = {c: i for i, c in enumerate(self.cells.tolist())}
        # Sensors stand still: each one's oblast is asked once per place.
        self._oblasts_of: dict[tuple[float, float], str] = {}

    def __len__(self) -> int:
        return int(self.cells.size)

    @classmethod
    def of_cells(
        cls, cells: Sequence[str], oblasts: Mapping[str, str] | str = UNKNOWN_OBLAST
    ) -> MonitoredArea:
        """An area of the given H3 cells, each in ``oblasts[cell]`` (or all in one oblast)."""
        ordered = sorted(set(cells))
        centres = np.array([h3.cell_to_latlng(c) for c in ordered], float).reshape(-1, 2)
        names = np.array(
            [oblasts if isinstance(oblasts, str) else oblasts.get(c, UNKNOWN_OBLAST)
             for c in ordered],
            dtype=object,
        )  # fmt: skip
        lat, lon = centres[:, 0], centres[:, 1]
        return cls(np.array(ordered, dtype=str), lon, lat, names, _plane_of(lon, lat))

    @classmethod
    def of_agreement(cls, agreement: Agreement, band_m: float | None = None) -> MonitoredArea:
        """The monitored area of an agreement (see the module docstring)."""
        key = (agreement.id, agreement.version, agreement.line.wkb, band_m)
        cached = _CACHE.get(key)
        if cached is None:
            cached = _CACHE[key] = _of_agreement(agreement, band_m)
        return cached

    def oblast_of(self, lon: float, lat: float) -> str:
        """The oblast of a point: the engine's for an agreement's area, else the nearest
        cell's."""
        known = self._oblasts_of.get((lon, lat))
        if known is not None:
            return known
        if self._locate is not None:
            name = self._oblasts_of[(lon, lat)] = str(self._locate(lon, lat))
            return name
        if not len(self):
            return UNKNOWN_OBLAST
        x, y = self.plane.xy([lon], [lat])
        i = int(np.argmin((self.x - x[0]) ** 2 + (self.y - y[0]) ** 2))
        return str(self.oblast[i])

    def candidates(self, x0: float, y0: float, x1: float, y1: float) -> npt.NDArray[np.intp]:
        """The cells whose centres lie in the box, as indices."""
        lo = int(np.searchsorted(self.sorted_x, x0, side="left"))
        hi = int(np.searchsorted(self.sorted_x, x1, side="right"))
        idx = self.by_x[lo:hi]
        ys = self.y[idx]
        picked: npt.NDArray[np.intp] = idx[(ys >= y0) & (ys <= y1)]
        return picked

    def inside(self, geom: BaseGeometry) -> npt.NDArray[np.intp]:
        """The cells whose centres lie in ``geom`` (a geometry in :attr:`plane`) or on its edge
        (a sensor at a cell's centre sees that centre: the apex of its sector), sorted."""
        x0, y0, x1, y1 = geom.bounds
        idx = self.candidates(x0, y0, x1, y1)
        hit: npt.NDArray[np.intp] = np.sort(
            idx[shapely.intersects_xy(geom, self.x[idx], self.y[idx])]
        )
        return hit

    def polygon(self, i: int) -> list[list[float]]:
        """Cell ``i``'s boundary as a closed GeoJSON ring of ``[lon, lat]``."""
        ring = [[round(lng, 6), round(lat, 6)] for lat, lng in h3.cell_to_boundary(self.cells[i])]
        return [*ring, ring[0]]


_CACHE: dict[tuple[Any, ...], MonitoredArea] = {}


def _plane_of(lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]) -> Plane:
    if not lon.size:
        return Plane(0.0, 0.0)
    return Plane(float((lon.min() + lon.max()) / 2), float((lat.min() + lat.max()) / 2))


def monitored_polygon(agreement: Agreement, band_m: float | None = None) -> BaseGeometry:
    """The monitored area in lon/lat: the DMZ zones, else a band of the line."""
    from ceasefire.agreement.model import Zone, zone_polygons

    a = agreement
    dmz = tuple(z for z in a.zones if z.kind == "dmz")
    if band_m is not None or not dmz:
        width = DEFAULT_BAND_M if band_m is None else band_m
        dmz = (
            Zone(
                name="monitored", kind="dmz", widths_m={a.left_party: width, a.right_party: width}
            ),
        )
    # Only these zones' polygons: the withdrawal zones' would cost three times as much.
    return shapely.union_all(list(zone_polygons(replace(a, zones=dmz)).values()))


def _of_agreement(agreement: Agreement, band_m: float | None) -> MonitoredArea:
    from ceasefire.geo.engine import GeoEngine

    area = monitored_polygon(agreement, band_m)
    cells = sorted(h3.geo_to_cells(area, RESOLUTION)) if not area.is_empty else []
    centres = np.array([h3.cell_to_latlng(c) for c in cells], float).reshape(-1, 2)
    lat, lon = centres[:, 0], centres[:, 1]
    engine = GeoEngine(agreement)
    oblast = engine.classify(lon, lat).oblast if lon.size else np.array([], dtype=object)

    def locate(x: float, y: float) -> str:
        return str(engine.classify([x], [y]).oblast[0])

    c = agreement.line.centroid
    return MonitoredArea(np.array(cells, dtype=str), lon, lat, oblast, Plane(c.x, c.y), locate)
