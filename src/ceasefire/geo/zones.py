"""What each zone of an agreement holds: its area and the settlements (and people) inside it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from ceasefire.agreement.model import Agreement, ZoneKind, area_km2, zone_polygons
from ceasefire.geo.gazetteer import Gazetteer


@dataclass(frozen=True)
class ZoneSummary:
    """A zone on one party's side: its area and the settlements in it, largest first."""

    zone: str
    party: str | None
    area_km2: float
    settlements: tuple[tuple[str, int], ...]
    kind: ZoneKind = "other"

    @property
    def population(self) -> int:
        """Total population of the settlements inside (GeoNames figures)."""
        return sum(p for _, p in self.settlements)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form, as ``ceasefire agreement zones --json`` prints it."""
        return {
            "zone": self.zone,
            "kind": self.kind,
            "party": self.party,
            "area_km2": round(self.area_km2, 1),
            "population": self.population,
            "settlements": [{"name": n, "population": p} for n, p in self.settlements],
        }


def zone_summaries(agreement: Agreement, gazetteer: Gazetteer) -> list[ZoneSummary]:
    """Area (km², geodesic) and settlements inside each zone polygon, in agreement order.

    Settlements are the gazetteer's points; one on a zone's boundary is counted in it.
    """
    kinds = {z.name: z.kind for z in agreement.zones}
    out: list[ZoneSummary] = []
    for (name, party), geom in zone_polygons(agreement).items():
        shapely.prepare(geom)
        inside = np.flatnonzero(shapely.intersects_xy(geom, gazetteer.lon, gazetteer.lat))
        inside = inside[np.argsort(-gazetteer.population[inside], kind="stable")]
        people = tuple((str(gazetteer.name[i]), int(gazetteer.population[i])) for i in inside)
        out.append(ZoneSummary(name, party, area_km2(geom), people, kinds[name]))
    return out


# --- summary ----------------------------------------------------------------------------------
