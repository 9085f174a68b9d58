"""The agreement drawn for a map: its lines, zones, areas of control and the settlements near them.

The web page's map draws these under the incidents, from the service itself (no tile or data
server): one GeoJSON FeatureCollection, each feature saying in ``properties.layer`` what it is
(``line``, ``party_line``, ``zone``, ``area``, ``settlement``). Zones are the polygons the
geometry engine measures against (:func:`ceasefire.agreement.model.zone_polygons`), drawn within
:data:`DRAW_TOLERANCE_DEG` (about 10 m) of them: so what the map shows as inside a zone is what
the judge holds inside it, to less than a pixel below zoom 13. The exact ones are buffers of the
line whose round ends and joins carry some 2,500 vertices each; the twelfth of them that the
simplified ones keep is what the browser tessellates and draws on every map load.

The geometry is public: it is the agreement both parties signed. Settlements come from the
gazetteer reports are placed with, the larger ones only (a label per town, not per village).
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from ceasefire.agreement.model import Agreement, zone_polygons
from ceasefire.geo.gazetteer import Gazetteer

#: Settlements of at least this many people are labelled (about 250 near the demo line).
MIN_POPULATION: Final = 10_000
#: Degrees of margin around the agreement's line for the settlements shown.
_MARGIN_DEG: Final = 1.5
#: How far a drawn zone's edge may lie from the exact one: 0.0001 degrees is 11 m of latitude and
#: 7 m of longitude at 48 N. 20,575 vertices of the demo's zones become 1,729.
DRAW_TOLERANCE_DEG: Final = 1e-4
#: Coordinates are rounded to this many decimals (~1 m): a map needs no more, the file is smaller.
_DECIMALS: Final = 5


def agreement_layers(
    agreement: Agreement, gazetteer: Gazetteer, *, min_population: int = MIN_POPULATION
) -> dict[str, Any]:
    """The agreement as GeoJSON for the map (see the module docstring)."""
    features: list[dict[str, Any]] = []

    def add(geom: BaseGeometry, layer: str, **props: Any) -> None:
        if geom.is_empty:
            return
        # Outer rings counter-clockwise (RFC 7946 section 3.1.6): map libraries fill by it.
        rounded = shapely.orient_polygons(shapely.set_precision(geom, 10**-_DECIMALS))
        features.append(
            {
                "type": "Feature",
                "geometry": mapping(rounded),
                "properties": {"layer": layer, **props},
            }
        )

    for party, area in sorted(agreement.areas.items()):
        add(area, "area", party=party, name=agreement.parties.get(party, party))
    for (zone_name, holder), geom in zone_polygons(agreement).items():
        drawn = geom.simplify(DRAW_TOLERANCE_DEG, preserve_topology=True)
        add(drawn, "zone", name=zone_name, kind=agreement.zone(zone_name).kind, party=holder)
    add(agreement.line, "line", name="line of contact")
    for party, line in sorted(agreement.party_lines.items()):
        add(line, "party_line", party=party, name=f"{party} line")
    lon0, lat0, lon1, lat1 = agreement.line.bounds
    g = gazetteer
    near = (
        (g.population >= min_population)
        & (g.lon >= lon0 - _MARGIN_DEG)
        & (g.lon <= lon1 + _MARGIN_DEG)
        & (g.lat >= lat0 - _MARGIN_DEG)
        & (g.lat <= lat1 + _MARGIN_DEG)
    )
    for i in np.flatnonzero(near).tolist():
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [
                        round(float(g.lon[i]), _DECIMALS),
                        round(float(g.lat[i]), _DECIMALS),
                    ],
                },
                "properties": {
                    "layer": "settlement",
                    "name": str(g.name[i]),
                    "population": int(g.population[i]),
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "agreement": {"id": agreement.id, "version": agreement.version, "title": agreement.title},
        "bbox": [round(v, _DECIMALS) for v in (lon0, lat0, lon1, lat1)],
        "features": features,
    }
