"""Do the parties' areas of control meet along the line of contact?

The line is the areas' common boundary: just left of it should be the left party's area and
only that, just right of it the right party's. :func:`area_warnings` probes both sides of every
stretch of the line (densified to ~1 km, in a transverse Mercator centred on it) at
:data:`ceasefire.geo.engine.NEAR_LINE_M`-like offset and reports, per party, how much of the line
has a gap (the party's own side is in no area of its) or an overlap (the other party's area
reaches across). Warnings, not errors: an agreement may leave a stretch unassigned on purpose.
"""

from __future__ import annotations

import numpy as np
import shapely
from pyproj import Transformer

from ceasefire.agreement.geofiles import fmt_lonlat
from ceasefire.agreement.model import Agreement, local_crs
from ceasefire.errors import Problem

#: How far either side of the line the areas are probed (m): beyond the engine's NEAR_LINE_M
#: (500 m), where the areas, not the line, decide a point's side.
PROBE_M = 600.0
_STEP_DEG = 0.01  # ~1 km stretches


def area_warnings(agreement: Agreement) -> list[Problem]:
    """Where the areas of control leave a gap or overlap along the line (empty: they meet)."""
    a = agreement
    if not a.areas:
        return []
    crs = local_crs(a)
    to_m = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    to_deg = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    ll = shapely.get_coordinates(shapely.segmentize(a.line, _STEP_DEG))
    x, y = to_m.transform(ll[:, 0], ll[:, 1])
    dx, dy = np.diff(x), np.diff(y)
    length = np.hypot(dx, dy)
    keep = length > 0
    mx, my = ((x[:-1] + x[1:]) / 2)[keep], ((y[:-1] + y[1:]) / 2)[keep]
    nx, ny = (-dy / np.where(keep, length, 1.0))[keep], (dx / np.where(keep, length, 1.0))[keep]
    km = length[keep] / 1000.0
    where = str(a.source) if a.source is not None else a.id
    out: list[Problem] = []
    for sign, party, other in (
        (1.0, a.left_party, a.right_party),
        (-1.0, a.right_party, a.left_party),
    ):
        lon, lat = to_deg.transform(mx + sign * PROBE_M * nx, my + sign * PROBE_M * ny)
        own = a.areas.get(party)
        theirs = a.areas.get(other)
        if own is None or theirs is None:
            continue
        gap = ~shapely.intersects_xy(own, lon, lat)
        over = shapely.intersects_xy(theirs, lon, lat)
        for mask, what in ((gap, "leaves a gap"), (over, f"overlaps {other}'s area")):
            if mask.any():
                i = int(np.argmax(mask))
                out.append(
                    Problem(
                        where,
                        f"areas_of_control.{party}",
                        f"{what} along the line of contact on {party}'s side: "
                        f"{km[mask].sum():.0f} km of the line, the first near "
                        f"{fmt_lonlat(float(lon[i]), float(lat[i]))}",
                    )
                )
    return out
