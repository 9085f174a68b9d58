"""The report's figures (ceasefire.report.figures): SVG text that parses, one marker per placed
violation where the projection puts it, a scale bar that measures, the same text every time."""

from __future__ import annotations

import math
import re
from typing import Any

import lxml.etree
from pyproj import Geod
from render_fixture import HOSTILE_PLACE, demo_agreement, night

from ceasefire.report.figures import bars_svg, figures, map_svg

SVG = "{http://www.w3.org/2000/svg}"


def _svg(text: str) -> Any:
    return lxml.etree.fromstring(text.encode("utf-8"))


def _markers(root: Any) -> dict[str, tuple[float, float]]:
    return {
        c.get("data-incident"): (float(c.get("cx")), float(c.get("cy")))
        for c in root.iter(f"{SVG}circle")
        if c.get("class") == "incident"
    }


def test_the_map_has_one_marker_per_annex_row_with_a_place() -> None:
    data = night()
    root = _svg(map_svg(data, demo_agreement()))
    placed = [r for r in data["annex"] if r["lon"] is not None]
    assert len(placed) == len(data["annex"]) - 1 == 6
    markers = [c for c in root.iter(f"{SVG}circle") if c.get("class") == "incident"]
    assert [(c.get("data-incident"), c.get("data-lon"), c.get("data-lat")) for c in markers] == [
        (r["incident"], f"{r['lon']:.5f}", f"{r['lat']:.5f}") for r in placed
    ]
    # the hostile place is the tooltip's text, not markup
    titles = [c.findtext(f"{SVG}title") for c in markers]
    assert f"INC-000270 {HOSTILE_PLACE}" in titles


def test_markers_sit_where_the_projection_puts_them() -> None:
    data = night()
    root = _svg(map_svg(data, demo_agreement()))
    at = _markers(root)
    (frame,) = [r for r in root.iter(f"{SVG}rect")][:1]
    x0, y0 = float(frame.get("x")), float(frame.get("y"))
    x1, y1 = x0 + float(frame.get("width")), y0 + float(frame.get("height"))
    assert all(x0 < x < x1 and y0 < y < y1 for x, y in at.values())
    placed = {r["incident"]: r for r in data["annex"] if r["lon"] is not None}
    by_lon = sorted(placed, key=lambda i: placed[i]["lon"])
    by_lat = sorted(placed, key=lambda i: -placed[i]["lat"])
    assert sorted(at, key=lambda i: at[i][0]) == by_lon  # east is right
    assert sorted(at, key=lambda i: at[i][1]) == by_lat  # north is up


def test_the_scale_bar_measures_the_map() -> None:
    root = _svg(map_svg(night(), demo_agreement()))
    (bar,) = [g for g in root.iter(f"{SVG}g") if g.get("class") == "scale-bar"]
    km = int(re.fullmatch(r"(\d+) km", bar.findtext(f"{SVG}text") or "")[1])  # type: ignore[index]
    xs = [float(v) for v in re.findall(r"[ML]([\d.]+) ", bar.find(f"{SVG}path").get("d"))]
    px_per_km = (max(xs) - min(xs)) / km
    # two violations near the middle of the map, 26 km apart on the ground
    at = _markers(root)
    (ax, ay), (bx, by) = at["INC-000281"], at["INC-000284"]
    _, _, metres = Geod(ellps="WGS84").inv(37.75, 48.14, 38.05, 48.30)
    drawn_km = math.hypot(bx - ax, by - ay) / px_per_km
    assert abs(drawn_km - metres / 1000) / (metres / 1000) < 0.05
    assert km in (50, 100, 200)  # a round length, about a quarter of a 6-degree-wide map


def test_the_map_draws_every_zone_and_the_line() -> None:
    agreement = demo_agreement()
    root = _svg(map_svg(night(), agreement))
    paths = list(root.iter(f"{SVG}path"))
    zones = {p.get("data-zone") for p in paths if p.get("class") == "zone"}
    assert zones == {z.name for z in agreement.zones}
    (line,) = [p for p in paths if p.get("class") == "line"]
    assert line.get("d").count("L") >= len(agreement.line.coords) // 2
    legend = [t.text for g in root.iter(f"{SVG}g") if g.get("class") == "legend" for t in g]
    assert "line of contact" in legend and "dmz" in legend and "violation, verified" in legend


def test_the_map_fits_violations_beyond_the_line() -> None:
    data = night()
    data["annex"][0].update(lon=30.72, lat=46.48)  # Odesa, south-west of the whole line
    at = _markers(_svg(map_svg(data, demo_agreement())))
    assert min(at.values(), key=lambda p: p[0]) == at["INC-000261"]
    assert max(at.values(), key=lambda p: p[1]) == at["INC-000261"]


def test_figures_are_the_same_text_every_time() -> None:
    first = figures(night(), demo_agreement())
    assert sorted(first) == ["by_oblast", "by_party", "map"]
    assert figures(night(), demo_agreement()) == first
    for svg in first.values():
        _svg(svg)
        numbers = re.findall(r' (?:x|y|cx|cy|width|height)="([^"]*)"', svg)
        assert numbers and all(re.fullmatch(r"-?\d+(\.\d)?", n) for n in numbers)


def test_the_bar_chart_sets_now_against_before() -> None:
    rows = [("Donetsk", 4, 2), ("</text><script>x</script>", 0, 1), ("Харків", 3, 0)]
    root = _svg(bars_svg("Violations by oblast", rows))
    groups = [g for g in root.iter(f"{SVG}g") if g.get("class") == "bar-group"]
    assert [g.findtext(f"{SVG}text") for g in groups] == [r[0] for r in rows]
    widths = [[float(r.get("width")) for r in g.iter(f"{SVG}rect")] for g in groups]
    assert widths[0][0] == max(w for pair in widths for w in pair)  # 4 is the largest
    assert widths[0][0] == 2 * widths[0][1] and widths[1][0] == 0.0 and widths[2][1] == 0.0
    assert list(root.iter(f"{SVG}script")) == []


def test_text_the_xml_cannot_hold_is_replaced_not_fatal() -> None:
    data = night()
    data["annex"][0]["place"] = "a\x00b\x1bc"
    data["violations_by_oblast"][0]["oblast"] = "Don\x0cetsk"
    for svg in figures(data, demo_agreement()).values():
        _svg(svg)


def test_a_place_that_is_not_a_number_gets_no_marker() -> None:
    data = night()
    data["annex"][0].update(lon="36.94; DROP", lat=50.29)
    data["annex"][1].update(lon=float("nan"), lat=49.71)
    data["annex"][2].update(lon=200.0, lat=49.9)
    at = _markers(_svg(map_svg(data, demo_agreement())))
    assert sorted(at) == ["INC-000277", "INC-000281", "INC-000284"]
