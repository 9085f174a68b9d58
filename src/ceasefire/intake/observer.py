"""An observer-relative report's event: an observer's position, a bearing and a distance band
resolved to a point and the radius the event is known within (DESIGN section 2).

Its own module because it is geodesy, not validation: the report model asks it where such a
report puts its event (:meth:`ceasefire.intake.report.Report.location`) and whether an exported
``lon``/``lat`` is that point, and it knows nothing of reports.
"""

from __future__ import annotations

import numpy as np
from pyproj import Geod

#: The bearing error assumed for observer-relative reports. OSCE SMM patrols estimated direction
#: by ear or compass in 8- or 16-point terms (22.5 deg per point); +-10 deg is a half point of a
#: 16-point rose, rounded.
BEARING_ERROR_DEG = 10.0

#: The ellipsoid for geodesic work (pyproj / GeographicLib, Karney 2013).
GEOD = Geod(ellps="WGS84")


def resolve_observer(
    lon: float,
    lat: float,
    bearing_deg: float,
    distance_min_m: float,
    distance_max_m: float,
    *,
    bearing_error_deg: float = BEARING_ERROR_DEG,
) -> tuple[float, float, float]:
    """Resolve "observer position + bearing + distance band" to a point and a radius.

    The point lies on the geodesic from the observer along ``bearing_deg`` at the middle of the
    band. The radius is the farthest the event can be from that point: the band widened by
    ``bearing_error_deg`` to each side is an annular sector, and its farthest point from the
    middle is one of the sector's four corners (the squared distance
    ``r**2 + m**2 - 2*r*m*cos(phi)`` grows with ``|phi|`` and is convex in ``r``). Corners and
    distances are geodesic (pyproj.Geod on WGS 84).

    Returns
    -------
    tuple of float
        ``(lon, lat, uncertainty_m)``.

    Examples
    --------
    >>> lon, lat, radius = resolve_observer(37.8, 48.0, 90.0, 2000.0, 4000.0)
    >>> round(lon, 4), round(lat, 4), round(radius)
    (37.8402, 48.0, 1168)
    """
    middle = (distance_min_m + distance_max_m) / 2.0
    plon, plat, _ = GEOD.fwd(lon, lat, bearing_deg, middle)
    bearings = np.array([-1.0, 1.0, -1.0, 1.0]) * bearing_error_deg + bearing_deg
    distances = np.array([distance_min_m, distance_min_m, distance_max_m, distance_max_m])
    clon, clat, _ = GEOD.fwd(np.full(4, lon), np.full(4, lat), bearings, distances)
    _, _, spread = GEOD.inv(np.full(4, plon), np.full(4, plat), clon, clat)
    return float(plon), float(plat), float(np.max(spread))
