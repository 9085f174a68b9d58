"""The web page's browser files: the TopoJSON decoding of the basemap, what is missing, and the
built basemap as a GIS reader reads it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyogrio
import pytest
import shapely
from shapely.geometry import shape

from ceasefire.web.assets import BASEMAP, MAPLIBRE, VENDOR, countries, missing

# Two unit squares side by side sharing their middle edge (arc 0, walked both ways), quantised
# on a grid of 1 with no shift: the left one (0..1) and the right one (1..2), as d3 winds them.
TOPOLOGY = {
    "type": "Topology",
    "transform": {"scale": [1, 1], "translate": [0, 0]},
    "arcs": [
        [[1, 0], [0, 1]],  # the shared edge, (1,0) -> (1,1)
        [[1, 1], [-1, 0], [0, -1], [1, 0]],  # left: (1,1) -> (0,1) -> (0,0) -> (1,0)
        [[1, 0], [1, 0], [0, 1], [-1, 0]],  # right: (1,0) -> (2,0) -> (2,1) -> (1,1)
    ],
    "objects": {
        "countries": {
            "type": "GeometryCollection",
            "geometries": [
                {"type": "Polygon", "arcs": [[1, 0]], "properties": {"name": "Left"}},
                {"type": "MultiPolygon", "arcs": [[[2, ~0]]], "properties": {"name": "Right"}},
                {"type": "Polygon", "arcs": [[1, 0]], "properties": {"name": "Far"}},
            ],
        }
    },
}


def test_countries_decodes_shared_arcs_both_ways_and_cuts_to_the_box() -> None:
    out = countries(TOPOLOGY, (0.0, 0.0, 2.0, 1.0))
    shapes = {f["properties"]["name"]: shape(f["geometry"]) for f in out["features"]}
    assert shapes["Left"].equals(shapely.box(0, 0, 1, 1))
    assert shapes["Right"].equals(shapely.box(1, 0, 2, 1))
    # Outer rings counter-clockwise, as GeoJSON and the map library want.
    for s in shapes.values():
        for polygon in getattr(s, "geoms", [s]):
            assert shapely.is_ccw(polygon.exterior)
    cut = countries(TOPOLOGY, (1.5, 0.0, 3.0, 1.0))
    assert [f["properties"]["name"] for f in cut["features"]] == ["Right"]
    assert shape(cut["features"][0]["geometry"]).equals(shapely.box(1.5, 0, 2, 1))


def test_missing_names_every_file_the_page_needs(tmp_path: Path) -> None:
    assert missing(tmp_path) == [*(f"maplibre/{n}" for n in MAPLIBRE), BASEMAP]
    (tmp_path / "maplibre").mkdir()
    for name in MAPLIBRE:
        (tmp_path / "maplibre" / name).write_text("x")
    assert missing(tmp_path) == [BASEMAP]


def test_the_built_basemap_reads_in_gdal_and_holds_the_region() -> None:
    if missing():
        if os.environ.get("CEASEFIRE_TEST_BROWSER", "").strip() == "require":
            pytest.fail(f"the page's files are not built ({missing()}): make web", pytrace=False)
        pytest.skip("the page's files are not built: make web")
    meta, _, geometry, values = pyogrio.raw.read(VENDOR / BASEMAP)
    names = dict(zip(meta["fields"], values, strict=True))["name"].tolist()
    assert {"Ukraine", "Russia", "Belarus", "Moldova"} <= set(names)
    ukraine = shapely.from_wkb(geometry[names.index("Ukraine")])
    assert ukraine.is_valid and ukraine.contains(shapely.Point(30.52, 50.45))  # Kyiv
    assert json.loads((VENDOR / BASEMAP).read_text())["attribution"].startswith("Natural Earth")
