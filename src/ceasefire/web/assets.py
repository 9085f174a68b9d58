"""The browser files the web page serves from the package: built once at set-up, never fetched.

``make web`` (a step of ``make run`` and ``make test``) installs the npm packages named in
``package.json`` with ``npm ci`` (the versions of ``package-lock.json``), then runs
``python -m ceasefire.web.assets node_modules``, which puts into ``web/static/vendor/``:

- the map library, MapLibre GL JS (its ES modules, style sheet and licence);
- the basemap: Natural Earth's country outlines (the ``world-atlas`` package, TopoJSON at 1:50m)
  turned into GeoJSON and cut to the region around the line (:data:`BASEMAP_BBOX`).

Nothing of it is committed (``.gitignore``), and the service answers a page whose assets are
missing with a message saying to run ``make web`` (:func:`missing`). Labels need no font server:
MapLibre draws them with the browser's own fonts when a style names no ``glyphs``.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any, Final

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, box, mapping

STATIC: Final = Path(__file__).parent / "static"
VENDOR: Final = STATIC / "vendor"
#: MapLibre's files the page loads: the module imports the worker beside it.
MAPLIBRE: Final = ("maplibre-gl.mjs", "maplibre-gl-worker.mjs", "maplibre-gl.css")
BASEMAP: Final = "basemap.json"
#: West, south, east, north (degrees) of the basemap: Ukraine, its neighbours and the Black Sea.
BASEMAP_BBOX: Final = (18.0, 40.0, 50.0, 58.0)
#: Degrees the outlines are simplified to (~500 m): enough for a map of the line's region.
_SIMPLIFY_DEG: Final = 0.005


def missing(out: Path = VENDOR) -> list[str]:
    """The asset files that are not there (empty when the page can be served)."""
    wanted = [f"maplibre/{name}" for name in MAPLIBRE] + [BASEMAP]
    return [name for name in wanted if not (out / name).is_file()]


def build(node_modules: Path, out: Path = VENDOR) -> list[Path]:
    """Copy MapLibre and write the basemap from ``node_modules``; returns the files written."""
    lib = node_modules / "maplibre-gl"
    written = []
    (out / "maplibre").mkdir(parents=True, exist_ok=True)
    for name in (*MAPLIBRE, "LICENSE.txt"):
        source = lib / "dist" / name if name != "LICENSE.txt" else lib / name
        if not source.is_file():
            raise FileNotFoundError(f"{source}: missing; run `npm ci` first")
        written.append(Path(shutil.copy2(source, out / "maplibre" / name)))
    topo = json.loads((node_modules / "world-atlas" / "countries-50m.json").read_text("utf-8"))
    basemap = out / BASEMAP
    basemap.write_text(json.dumps(countries(topo, BASEMAP_BBOX), separators=(",", ":")), "utf-8")
    written.append(basemap)
    return written


def countries(topo: dict[str, Any], bbox: tuple[float, float, float, float]) -> dict[str, Any]:
    """The ``countries`` object of a TopoJSON topology as GeoJSON, cut to ``bbox``.

    TopoJSON stores shared borders once as *arcs*, quantised and delta-encoded; a ring lists
    arc indices (``~i`` for arc ``i`` walked backwards) and each arc after the first repeats
    the point the previous one ended on.
    """
    scale, shift = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        q = np.cumsum(np.asarray(arc, dtype=np.float64), axis=0)
        arcs.append(q * scale + shift)

    def ring(indices: list[int]) -> np.ndarray[Any, Any]:
        parts = [arcs[i] if i >= 0 else arcs[~i][::-1] for i in indices]
        return np.concatenate([parts[0], *(p[1:] for p in parts[1:])])

    clip = box(*bbox)
    features = []
    for g in topo["objects"]["countries"]["geometries"]:
        if g["type"] == "Polygon":
            polygons = [g["arcs"]]
        elif g["type"] == "MultiPolygon":
            polygons = g["arcs"]
        else:
            continue
        shape = MultiPolygon(
            [Polygon(ring(rings[0]), [ring(r) for r in rings[1:]]) for rings in polygons]
        )
        if not shape.intersects(clip):
            continue
        cut = shapely.make_valid(shape).intersection(clip).simplify(_SIMPLIFY_DEG)
        if cut.is_empty:
            continue
        # TopoJSON (d3) winds outer rings clockwise; GeoJSON (RFC 7946 section 3.1.6), and the
        # map library, counter-clockwise: else a country is drawn as a hole. Last, as snapping
        # to the grid may wind rings again.
        cut = shapely.orient_polygons(shapely.set_precision(cut, 1e-4))
        features.append(
            {
                "type": "Feature",
                "geometry": mapping(cut),
                "properties": {"name": g.get("properties", {}).get("name", "")},
            }
        )
    return {
        "type": "FeatureCollection",
        "attribution": "Natural Earth (public domain), through the world-atlas package",
        "features": features,
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m ceasefire.web.assets NODE_MODULES", file=sys.stderr)
        return 2
    for path in build(Path(args[0])):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
