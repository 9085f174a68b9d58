"""The demo agreement's areas of control: APPROXIMATE, HAND-DRAWN, FOR DEMONSTRATION ONLY.

Each party's area of control is the land (and coastal sea) it holds; the line of contact is
their common boundary. The demo's areas are cut from one coarse outline of the theatre - Ukraine
in its 1991 borders (Crimea included) and the part of Russia west of 41.5 E and south of 53 N -
by a path that runs along the Ukraine-Russia state border from the Belarus tripoint to the line's
first vertex, then along the demo line of contact (its vertices exactly), then from the line's
last vertex out through the Dnipro-Bug estuary mouth (between Ochakiv and the Kinburn spit) to
the open sea. The piece holding Kyiv is Ukrainian-held; the rest (Crimea, the occupied areas
east and south of the line, the Sea of Azov, western Russia) Russian-held.

Sources: the land borders with Belarus, Poland, Slovakia, Hungary, Romania and Moldova follow
Natural Earth 1:110m Admin 0 (public domain) rounded to 0.01 degree; the coasts are drawn by hand
about 10-25 km offshore so that coastal cities and roughly the 12-mile territorial sea fall
inside (UNCLOS art. 3). Nothing is downloaded: run ``python -m ceasefire.sim.areas`` to rewrite
``data/demo/areas_of_control.geojson`` from this file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Final

import shapely
from shapely.geometry import LineString, MultiPolygon, Polygon, mapping
from shapely.geometry.base import BaseGeometry
from shapely.ops import split

#: The theatre's outline, clockwise from the Belarus-Russia-Ukraine tripoint (lon, lat).
THEATRE: Final[tuple[tuple[float, float], ...]] = (
    (31.79, 52.10),  # tripoint Belarus / Russia / Ukraine
    (31.56, 52.45),  # Russia-Belarus border, coarse, to the theatre's northern edge
    (31.60, 52.80),
    (31.90, 53.00),
    (41.50, 53.00),  # theatre edge (the demo's declared area)
    (41.50, 44.00),
    (39.30, 44.00),  # Black Sea coast of Krasnodar krai, offshore
    (38.95, 44.05),
    (37.95, 44.45),
    (37.60, 44.55),
    (37.10, 44.80),
    (36.50, 45.05),  # Kerch Strait, south entrance
    (35.40, 44.88),  # Crimea, south coast offshore (Feodosia, Sudak, Alushta, Yalta)
    (34.95, 44.72),
    (34.40, 44.55),
    (34.05, 44.33),
    (33.35, 44.25),
    (33.25, 44.60),  # west of Sevastopol
    (33.15, 45.05),
    (32.30, 45.30),  # Cape Tarkhankut
    (31.90, 45.85),  # Karkinit Bay, Tendra spit
    (31.20, 46.10),
    (30.55, 45.90),  # off Zatoka
    (29.95, 45.30),
    (29.75, 45.12),  # Danube delta
    (29.15, 45.30),  # the Danube upstream, south of Izmail (Romanian bank beyond)
    (28.55, 45.25),
    (28.23, 45.49),  # Moldova, Natural Earth 1:110m from here on
    (28.49, 45.60),
    (28.66, 45.94),
    (28.93, 46.26),
    (28.86, 46.44),
    (29.07, 46.52),
    (29.17, 46.38),
    (29.76, 46.35),
    (30.02, 46.42),
    (29.84, 46.53),
    (29.91, 46.67),
    (29.56, 46.93),
    (29.42, 47.35),
    (29.05, 47.51),
    (29.12, 47.85),
    (28.67, 48.12),
    (28.26, 48.16),
    (27.52, 48.47),
    (26.86, 48.37),
    (26.62, 48.22),
    (26.20, 48.22),  # Romania
    (25.95, 47.99),
    (25.21, 47.89),
    (24.87, 47.74),
    (24.40, 47.98),
    (23.76, 47.99),
    (23.14, 48.10),
    (22.71, 47.88),  # Hungary
    (22.64, 48.15),
    (22.09, 48.42),  # Slovakia
    (22.28, 48.83),
    (22.56, 49.09),  # Poland
    (22.78, 49.03),
    (22.52, 49.48),
    (23.43, 50.31),
    (23.92, 50.42),
    (24.03, 50.71),
    (23.53, 51.58),  # Belarus
    (24.01, 51.62),
    (24.55, 51.89),
    (25.33, 51.91),
    (26.34, 51.83),
    (27.45, 51.59),
    (28.24, 51.57),
    (28.62, 51.43),
    (28.99, 51.60),
    (29.25, 51.37),
    (30.16, 51.42),
    (30.56, 51.32),
    (30.62, 51.82),
    (30.93, 52.04),
)

#: The Ukraine-Russia state border from the tripoint to the demo line's first vertex.
BORDER_TO_LINE: Final[tuple[tuple[float, float], ...]] = (
    (31.79, 52.10),
    (32.16, 52.06),
    (32.41, 52.29),
    (32.72, 52.24),
    (33.75, 52.34),
)

#: From the line's last vertex out of the estuary, between Ochakiv and the Kinburn spit.
TO_SEA: Final[tuple[tuple[float, float], ...]] = ((31.48, 46.57), (31.30, 46.40), (31.05, 45.90))

#: A place each piece is told by: the piece holding it is that party's.
HOME: Final = {"UA": (30.52, 50.45)}  # Kyiv


def demo_areas(line: LineString) -> dict[str, BaseGeometry]:
    """``{"UA": ..., "RU": ...}``: the theatre outline cut along ``line`` (see the module)."""
    cut = LineString([*BORDER_TO_LINE, *line.coords, *TO_SEA])
    pieces = list(split(Polygon(THEATRE), cut).geoms)
    kyiv = shapely.Point(HOME["UA"])
    ua = [p for p in pieces if p.contains(kyiv)]
    ru = [p for p in pieces if not p.contains(kyiv)]
    if len(ua) != 1 or not ru:
        raise ValueError(f"the cut made {len(pieces)} pieces, {len(ua)} holding Kyiv")
    merged = shapely.union_all(ru)
    if isinstance(merged, MultiPolygon) and len(merged.geoms) == 1:
        merged = merged.geoms[0]
    return {"UA": ua[0], "RU": merged}


def feature_collection(areas: dict[str, BaseGeometry]) -> dict[str, Any]:
    """The areas as a GeoJSON FeatureCollection, one feature per party (property ``party``)."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "party": party,
                    "note": "approximate, hand-drawn, for demonstration only",
                },
                "geometry": mapping(shapely.set_precision(geom, 1e-6)),
            }
            for party, geom in areas.items()
        ],
    }


def main(folder: Path) -> None:
    """Rewrite ``areas_of_control.geojson`` beside the demo line in ``folder``."""
    src = json.loads((folder / "line_of_contact.geojson").read_text(encoding="utf-8"))
    geometry = src["features"][0]["geometry"] if "features" in src else src
    areas = demo_areas(LineString(geometry["coordinates"]))
    text = json.dumps(feature_collection(areas), indent=None, separators=(",", ":"))
    (folder / "areas_of_control.geojson").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover - a maintainer's tool
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parents[1] / "data" / "demo")
