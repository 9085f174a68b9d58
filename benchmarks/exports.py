"""Exports of 100,000 incidents in every format (issue 20; :mod:`ceasefire.publish.formats`).

Builds 100k incident views as the store's listing gives them (``StoredIncident.to_dict()``:
nested estimates, lists, ISO times), then for each format times ``write_export`` (views in, a
file out: flattening, the table, the writer) and reads the file back with its reader to check
the row count (``same_rows``). The peer is GeoPandas writing the same flat table, already built
as a GeoDataFrame (its construction is not timed), with the same driver (``to_file`` through
pyogrio, ``to_parquet``, ``to_csv``): the ratio is ours over the peer's. The research note
(capabilities section 5) measured GeoPandas at 1.03 s GeoPackage, 0.86 s FlatGeobuf, 0.11 s
GeoParquet, 1.30 s GeoJSON, 2.80 s KML and 0.57 s CSV for 100k events.

Usage: ``python benchmarks/exports.py [--quick]`` (``--quick``: 10,000). Prints one JSON line
per format. GeoPandas is in the ``bench`` extra; without it the peer columns are null.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pyogrio

from ceasefire.publish.formats import EXPORT_FORMATS, flat_rows, write_export
from ceasefire.vocab import EVENT_TYPES

OBLASTS = ("Donetsk", "Zaporizhzhia", "Kherson", "Kharkiv", "Dnipropetrovsk", "Luhansk")


def views(n: int, seed: int = 20) -> list[dict[str, Any]]:
    """``n`` incident views shaped as the store lists them (fixed seed)."""
    rng = random.Random(seed)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        seen = start + timedelta(seconds=rng.randrange(30 * 86400))
        killed = rng.choice([None, 0, 1, 2, 5])
        estimate = {"low": killed, "best": killed, "high": None if killed is None else killed + 1}
        none = {"low": None, "best": None, "high": None}
        out.append(
            {
                "id": f"INC-{i:07d}",
                "status": rng.choice(["reported", "corroborated", "verified"]),
                "assessed_perpetrator": rng.choice([None, "RU", "UA"]),
                "updated_at": seen.isoformat(),
                "event_type": rng.choice(EVENT_TYPES),
                "observed_from": seen.isoformat(),
                "observed_to": (seen + timedelta(minutes=rng.randrange(1, 240))).isoformat(),
                "lon": round(rng.uniform(32.0, 39.5), 6),
                "lat": round(rng.uniform(46.3, 49.8), 6),
                "uncertainty_m": rng.choice([50.0, 500.0, 5000.0]),
                "place_precision": rng.choice(["exact", "near", "region"]),
                "party": rng.choice(["RU", "UA"]),
                "side": rng.choice(["left", "right"]),
                "distance_m": rng.uniform(0, 40_000),
                "zones": rng.choice([[], ["dmz"], ["dmz", "mlrs"]]),
                "oblast": rng.choice(OBLASTS),
                "weapon_class": rng.choice([None, "artillery_100mm", "mlrs", "mortar"]),
                "weapon_model": None,
                "calibre_mm": rng.choice([None, 122.0, 152.0]),
                "count": none,
                "killed": estimate,
                "injured": none,
                "civilians_killed": none,
                "civilians_injured": none,
                "sources": ["patrol/P-12", "osint/Reuters"][: rng.randrange(1, 3)],
            }
        )
    return out


def rows_in(path: Path, fmt: str) -> int:
    """How many rows the file holds, read by its reader."""
    if fmt == "parquet":
        return int(pq.ParquetFile(path).metadata.num_rows)
    if fmt in ("geojson", "gpkg", "kml", "fgb"):
        return int(pyogrio.read_info(path, force_feature_count=True)["features"])
    with open(path, encoding="utf-8", newline="") as fh:
        return sum(1 for _ in csv.reader(fh)) - (2 if fmt == "hxl" else 1)


def peer(frame: Any, fmt: str, path: Path) -> float | None:
    """Seconds GeoPandas takes to write the same flat table in the format (None: it has none)."""
    drivers = {"geojson": "GeoJSON", "gpkg": "GPKG", "kml": "KML", "fgb": "FlatGeobuf"}
    t0 = time.perf_counter()
    if fmt in drivers:
        frame.to_file(path, driver=drivers[fmt], engine="pyogrio")
    elif fmt == "parquet":
        frame.to_parquet(path)
    else:  # the CSV tables: the flat table as CSV
        frame.drop(columns="geometry").to_csv(path, index=False)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 incidents")
    n = 10_000 if parser.parse_args().quick else 100_000
    data = views(n)
    try:
        import geopandas
        import shapely

        flat = flat_rows("incidents", data)
        frame = geopandas.GeoDataFrame(
            flat,
            geometry=shapely.points([r["lon"] for r in flat], [r["lat"] for r in flat]),
            crs="EPSG:4326",
        )
    except ImportError:
        frame = None
    with tempfile.TemporaryDirectory() as folder:
        for fmt, spec in EXPORT_FORMATS.items():
            path = Path(folder) / f"ours-{fmt}.{spec.ext}"
            t0 = time.perf_counter()
            written = write_export("incidents", data, fmt, path)
            ours = time.perf_counter() - t0
            theirs = None
            if frame is not None:
                theirs = peer(frame, fmt, Path(folder) / f"peer-{fmt}.{spec.ext}")
            line = {
                "bench": "exports",
                "format": fmt,
                "rows": written,
                "same_rows": rows_in(path, fmt) == n == written,
                "s": round(ours, 3),
                "mb": round(path.stat().st_size / 1e6, 1),
                "peer": "geopandas " + ("to_file" if fmt in ("geojson", "gpkg", "kml", "fgb")
                                        else "to_parquet" if fmt == "parquet" else "to_csv"),
                "peer_s": None if theirs is None else round(theirs, 3),
                "ratio": None if theirs is None else round(ours / theirs, 2),
            }  # fmt: skip
            print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
