"""Benchmark of :class:`ceasefire.geo.engine.GeoEngine` against shapely, in one process.

Run ``python benchmarks/geometry.py --quick`` (< 1 min) or without ``--quick`` (a few minutes).
Each measurement prints one JSON object on its own line::

    {"benchmark": ..., "n": ..., "ours_s": ..., "peer": ..., "peer_n": ..., "peer_s": ...,
     "speedup": ..., "same_answer": true|false, ...}

``speedup`` compares points per second (the peers are timed on fewer points when they are slow;
``n`` and ``peer_n`` say how many). ``same_answer`` means every distance agrees within 1 m on the
peer's points.

The scenario: the demo line of contact made realistic - resampled to 2,400 vertices at equal
steps (~340 m) and moved sideways by a seeded smooth wiggle (a sum of sines of 3-60 km
wavelengths, +-1.5 km, plus +-50 m noise), because a real front is not a few straight strokes -
with the demo zones (DMZ 15 km, withdrawal 50 / 70 / 140 km each side); 1M points uniformly
random within 300 km of the line (seed 2026).

Timed on one core: numpy's element-wise loops, shapely and PROJ here are single-threaded.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")  # keep any BLAS to one core: honest per-core rate
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import Transformer
from shapely.geometry import LineString

import ceasefire
from ceasefire.agreement.model import Agreement, HotlineDeadlines, Zone
from ceasefire.geo.engine import GeoEngine

F64 = npt.NDArray[np.float64]
DEMO_LINE = Path(ceasefire.__file__).parent / "data" / "demo" / "line_of_contact.geojson"
SEED = 2026


def realistic_line(n_vertices: int = 2_400, seed: int = SEED) -> LineString:
    """The demo line resampled to ``n_vertices`` and wiggled sideways (lon/lat)."""
    coords = json.loads(DEMO_LINE.read_text(encoding="utf-8"))["features"][0]["geometry"][
        "coordinates"
    ]
    ll = np.asarray(coords, dtype=np.float64)
    lat0 = np.radians(ll[:, 1].mean())
    # Work in a local equirectangular frame (km) so that "sideways" means sideways.
    kx, ky = 111.32 * np.cos(lat0), 110.57
    xy = ll * [kx, ky]
    base = LineString(xy)
    s = np.linspace(0.0, base.length, n_vertices)
    pts = shapely.get_coordinates(shapely.line_interpolate_point(base, s))
    tangent = np.gradient(pts, axis=0)
    tangent /= np.hypot(tangent[:, 0], tangent[:, 1])[:, None]
    normal = np.column_stack([-tangent[:, 1], tangent[:, 0]])
    rng = np.random.default_rng(seed)
    wave = np.zeros(n_vertices)
    for wavelength in (60.0, 31.0, 17.0, 9.0, 5.0, 3.0):
        amp = rng.uniform(0.2, 0.5) * min(1.0, wavelength / 20.0)
        wave += amp * np.sin(2 * np.pi * s / wavelength + rng.uniform(0, 2 * np.pi))
    wave = wave / np.abs(wave).max() * 1.5 + rng.normal(0.0, 0.05, n_vertices)
    wave[[0, -1]] = 0.0
    out = (pts + normal * wave[:, None]) / [kx, ky]
    return LineString(out)


def agreement(line: LineString) -> Agreement:
    def both(km: float) -> dict[str, float]:
        return {"RU": km * 1e3, "UA": km * 1e3}

    return Agreement(
        id="bench",
        version=1,
        title="benchmark",
        effective_from=datetime(2026, 3, 1, tzinfo=UTC),
        parties={"RU": "Russian Federation", "UA": "Ukraine"},
        line=line,
        left_party="RU",
        right_party="UA",
        zones=(
            Zone("dmz", "dmz", both(15)),
            Zone("artillery_100mm", "withdrawal", both(50)),
            Zone("mlrs", "withdrawal", both(70)),
            Zone("heavy_mlrs_tactical_missile", "withdrawal", both(140)),
        ),
        hotline=HotlineDeadlines(timedelta(minutes=30), timedelta(hours=24), timedelta(hours=6)),
    )


def points_near(line_xy: LineString, n: int, within_m: float, seed: int) -> tuple[F64, F64]:
    """``n`` uniformly random points within ``within_m`` of the line (rejection sampling)."""
    rng = np.random.default_rng(seed)
    area = shapely.buffer(line_xy, within_m, quad_segs=16)
    shapely.prepare(area)
    x0, y0, x1, y1 = area.bounds
    xs: list[F64] = []
    ys: list[F64] = []
    got = 0
    while got < n:
        x = rng.uniform(x0, x1, 2 * n)
        y = rng.uniform(y0, y1, 2 * n)
        keep = shapely.contains_xy(area, x, y)
        xs.append(x[keep])
        ys.append(y[keep])
        got += int(keep.sum())
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def emit(name: str, n: int, ours_s: float, peer: str, peer_n: int, peer_s: float, same: bool,
         **extra: Any) -> None:  # fmt: skip
    speedup = (peer_s / peer_n) / (ours_s / n)
    rec = {
        "benchmark": name,
        "n": n,
        "ours_s": round(ours_s, 4),
        "peer": peer,
        "peer_n": peer_n,
        "peer_s": round(peer_s, 4),
        "speedup": float(f"{speedup:.3g}"),  # 3 significant digits: the build line is << 1
        "same_answer": bool(same),
        "ours_mpts_per_s": round(n / ours_s / 1e6, 2),
        **extra,
    }
    print(json.dumps(rec), flush=True)


def strtree_distance(tree: shapely.STRtree, x: F64, y: F64) -> F64:
    idx, dist = tree.query_nearest(shapely.points(x, y), return_distance=True)
    out = np.full(x.size, np.inf)
    np.minimum.at(out, idx[0], dist)  # ties come back once per tied segment
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer peer points, fewer repeats")
    ap.add_argument("-n", type=int, default=1_000_000, help="points for our engine")
    args = ap.parse_args()
    n = args.n
    repeat = 2 if args.quick else 3
    n_tree = min(n, 200_000 if args.quick else 1_000_000)
    n_dist = min(n, 20_000 if args.quick else 200_000)

    line = realistic_line()
    engine = GeoEngine(agreement(line))
    segments = int(shapely.get_num_points(engine.line_xy)) - 1
    x, y = points_near(engine.line_xy, n, 300e3, SEED)
    inverse = Transformer.from_crs(engine.crs, "EPSG:4326", always_xy=True)
    lon, lat = inverse.transform(x, y)

    # Build cost, once per engine (grid + region raster) vs the STRtree's build.
    t = time.perf_counter()
    engine.prepare()
    build_s = time.perf_counter() - t
    seg_geoms = shapely.linestrings(
        np.stack([shapely.get_coordinates(engine.line_xy)[:-1],
                  shapely.get_coordinates(engine.line_xy)[1:]], axis=1)
    )  # fmt: skip
    tree_build_s, tree = best_of(1, lambda: shapely.STRtree(seg_geoms))
    grid = engine._ref.grid
    assert grid is not None
    emit("build (grid + region raster)", segments, build_s, "STRtree(segments)", segments,
         tree_build_s, True, leaves=grid.n_leaves,
         mean_candidates=round(grid.mean_candidates, 2))  # fmt: skip

    # Peers on projected coordinates (the same input as classify_xy).
    tree_s, tree_d = best_of(1, lambda: strtree_distance(tree, x[:n_tree], y[:n_tree]))
    pts_dist = shapely.points(x[:n_dist], y[:n_dist])
    dist_s, dist_d = best_of(1, lambda: shapely.distance(pts_dist, engine.line_xy))

    ours_s, place = best_of(repeat, lambda: engine.classify_xy(x, y))
    near_s, near = best_of(repeat, lambda: engine._ref.grid.nearest(x, y))  # type: ignore[union-attr]
    same_tree = np.abs(place.line_distance_m[:n_tree] - tree_d).max() <= 1.0
    same_dist = np.abs(place.line_distance_m[:n_dist] - dist_d).max() <= 1.0
    same_near = np.abs(near.distance[:n_tree] - tree_d).max() <= 1.0
    zones = ",".join(place.zones)
    emit("classify_xy (side+distance+zones+oblast)", n, ours_s, "STRtree.query_nearest",
         n_tree, tree_s, same_tree, zones=zones)  # fmt: skip
    emit("classify_xy (side+distance+zones+oblast)", n, ours_s, "shapely.distance",
         n_dist, dist_s, same_dist)  # fmt: skip
    emit("nearest segment only (distance+side)", n, near_s, "STRtree.query_nearest",
         n_tree, tree_s, same_near)  # fmt: skip

    # End to end from lon/lat, projection included on both sides.
    fwd = Transformer.from_crs("EPSG:4326", engine.crs, always_xy=True)

    def peer_e2e() -> F64:
        px, py = fwd.transform(lon[:n_tree], lat[:n_tree])
        return strtree_distance(tree, px, py)

    e2e_tree_s, e2e_tree_d = best_of(1, peer_e2e)
    e2e_s, place2 = best_of(repeat, lambda: engine.classify(lon, lat))
    same_e2e = np.abs(place2.line_distance_m[:n_tree] - e2e_tree_d).max() <= 1.0
    proj_s, _ = best_of(repeat, lambda: engine.project(lon, lat))
    emit("classify (lon/lat, incl. projection)", n, e2e_s, "pyproj + STRtree.query_nearest",
         n_tree, e2e_tree_s, same_e2e, projection_s=round(proj_s, 4))  # fmt: skip


if __name__ == "__main__":
    main()
