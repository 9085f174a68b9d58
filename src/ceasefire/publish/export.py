"""Exports in the formats analysts' tools already read.

- GeoJSON (RFC 7946): a FeatureCollection of Points, lon/lat in WGS 84, the report's fields and
  its placement facts as properties. GDAL/QGIS read it as is.
- CSV: the interchange columns of DESIGN section 5 first, in that order, then every other field
  sorted; lists and objects as JSON text. Read back by ``ceasefire ingest`` and by GDAL's CSV
  driver (``X_POSSIBLE_NAMES=lon``, ``Y_POSSIBLE_NAMES=lat``).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from typing import Any, Protocol, TextIO

from ceasefire.errors import InputError, Problem
from ceasefire.intake.report import field_text

#: Interchange field names (DESIGN section 5), in the order CSV columns are written.
INTERCHANGE_FIELDS = (
    "id",
    "submitted_by",
    "source_kind",
    "source_name",
    "observed_from",
    "observed_to",
    "lon",
    "lat",
    "uncertainty_m",
    "event_type",
    "weapon_class",
    "weapon_model",
    "calibre_mm",
    "count",
    "claimed_perpetrator",
    "killed",
    "injured",
    "notes",
)
FORMATS = ("geojson", "csv")


class _HasDict(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


def _rows(items: Iterable[_HasDict | Mapping[str, Any]]) -> Iterable[dict[str, Any]]:
    for item in items:
        yield dict(item) if isinstance(item, Mapping) else item.to_dict()


def write_geojson(items: Iterable[_HasDict | Mapping[str, Any]], fh: TextIO) -> int:
    """Write a GeoJSON FeatureCollection, one feature per line so big exports stream."""
    n = 0
    fh.write('{"type": "FeatureCollection", "features": [\n')
    for row in _rows(items):
        lon, lat = row.pop("lon"), row.pop("lat")
        feature = {
            "type": "Feature",
            "id": row["id"],
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": row,
        }
        fh.write((",\n" if n else "") + json.dumps(feature, ensure_ascii=False, default=str))
        n += 1
    fh.write("\n]}\n")
    return n


def _cell(value: Any) -> str:
    return "" if value is None else field_text(value)


def write_csv(items: Iterable[_HasDict | Mapping[str, Any]], fh: TextIO) -> int:
    """Write CSV with the interchange columns first, then every other field (sorted)."""
    rows = list(_rows(items))
    extra = sorted({k for r in rows for k in r} - set(INTERCHANGE_FIELDS))
    columns = [*INTERCHANGE_FIELDS, *extra]
    writer = csv.writer(fh, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow([_cell(r.get(c)) for c in columns])
    return len(rows)


def write_reports(items: Iterable[_HasDict | Mapping[str, Any]], fh: TextIO, fmt: str) -> int:
    """Write reports in ``fmt`` (one of :data:`FORMATS`); returns how many were written."""
    if fmt == "geojson":
        return write_geojson(items, fh)
    if fmt == "csv":
        return write_csv(items, fh)
    raise InputError(Problem("command line", "format", f"must be one of {FORMATS}, got {fmt!r}"))
