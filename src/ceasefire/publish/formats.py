"""Incidents and violations in the files analysts load as they are (issue 20).

The rows written are views (:class:`ceasefire.publish.visibility.Viewer`): what a caller may see,
already cut and coarsened by the one access policy; this module decides nothing about who sees
what, it lays the views out. Each kind has one flat table (:data:`INCIDENT_COLUMNS`,
:data:`VIOLATION_COLUMNS`: a violation carries its incident's time, place and harm as the caller
sees them), written as

- ``geojson`` (RFC 7946), ``gpkg`` (GeoPackage), ``kml``, ``fgb`` (FlatGeobuf): through GDAL
  (pyogrio's ``write_arrow``), Points in WGS 84;
- ``parquet``: GeoParquet 1.1.0 with pyarrow directly, a WKB ``geometry`` column and the
  ``geo`` file metadata of the spec (pyogrio's bundled GDAL has no Parquet driver);
- ``csv``: the flat table, ``lon``/``lat`` columns;
- ``acled``, ``ucdp``, ``hxl``: ACLED's 31 columns, a UCDP GED-like table and HXL-tagged CSV,
  laid out by :mod:`ceasefire.publish.codebooks`.

The mapping tables are in docs/exports.md.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol

from ceasefire.errors import InputError, Problem
from ceasefire.publish.codebooks import ACLED_ACTORS, CODEBOOK_TABLES, HXL_COLUMNS

if TYPE_CHECKING:
    from ceasefire.publish.visibility import Viewer
    from ceasefire.records import StoredIncident, StoredViolation

__all__ = [
    "EXPORT_FORMATS",
    "INCIDENT_COLUMNS",
    "KINDS",
    "VIOLATION_COLUMNS",
    "ExportFormat",
    "check_format",
    "export",
    "flat_rows",
    "write_export",
]

KINDS: Final = ("incidents", "violations")

_ESTIMATES: Final = ("count", "killed", "injured", "civilians_killed", "civilians_injured")

#: The flat incident table: name -> type (``str``, ``float``, ``int``, ``time``). Lists (zones,
#: sources) are joined with ``;``. ``sources`` is whatever the caller's view holds (a party its
#: own, the public none).
INCIDENT_COLUMNS: Final[dict[str, str]] = {
    "id": "str",
    "status": "str",
    "event_type": "str",
    "observed_from": "time",
    "observed_to": "time",
    "lon": "float",
    "lat": "float",
    "uncertainty_m": "float",
    "place_precision": "str",
    "oblast": "str",
    "party": "str",
    "side": "str",
    "distance_m": "float",
    "zones": "str",
    "weapon_class": "str",
    "weapon_model": "str",
    "calibre_mm": "float",
    **{f"{e}_{b}": "int" for e in _ESTIMATES for b in ("low", "best", "high")},
    "assessed_perpetrator": "str",
    "sources": "str",
    "updated_at": "time",
}

#: The flat violation table: the judgement, then its incident as the caller sees it.
VIOLATION_COLUMNS: Final[dict[str, str]] = {
    "seq": "int",
    "incident_id": "str",
    "rule": "str",
    "agreement_id": "str",
    "agreement_version": "int",
    "party": "str",
    "description": "str",
    "judged_at": "time",
    "superseded_at": "time",
    **{
        k: t
        for k, t in INCIDENT_COLUMNS.items()
        if k not in ("id", "party", "sources", "updated_at", "zones", "side")
    },
}


@dataclass(frozen=True)
class ExportFormat:
    """One export format: its file extension, media type (the API's answer) and title."""

    name: str
    ext: str
    media_type: str
    title: str


EXPORT_FORMATS: Final[dict[str, ExportFormat]] = {
    f.name: f
    for f in (
        ExportFormat("geojson", "geojson", "application/geo+json", "GeoJSON (RFC 7946)"),
        ExportFormat("csv", "csv", "text/csv", "CSV, lon/lat columns"),
        ExportFormat("gpkg", "gpkg", "application/geopackage+sqlite3", "GeoPackage"),
        ExportFormat("kml", "kml", "application/vnd.google-earth.kml+xml", "KML"),
        ExportFormat("fgb", "fgb", "application/octet-stream", "FlatGeobuf"),
        ExportFormat("parquet", "parquet", "application/vnd.apache.parquet", "GeoParquet 1.1"),
        ExportFormat("acled", "csv", "text/csv", "ACLED's 31-column CSV"),
        ExportFormat("ucdp", "csv", "text/csv", "UCDP GED-like CSV"),
        ExportFormat("hxl", "csv", "text/csv", "HXL-tagged CSV"),
    )
}


def check_format(
    fmt: str, kind: str = "incidents", *, where: str = "query", name: str = "format"
) -> ExportFormat:
    """The export format named ``fmt`` for rows of ``kind``; InputError naming ``name`` (the
    option or query parameter) in ``where`` otherwise."""
    if kind not in KINDS:
        raise InputError(Problem(where, "kind", f"must be one of {', '.join(KINDS)}, got {kind!r}"))
    found = EXPORT_FORMATS.get(fmt)
    if found is None:
        known = ", ".join(EXPORT_FORMATS)
        raise InputError(Problem(where, name, f"must be one of {known}, got {fmt!r}"))
    return found


# -- the flat table ---------------------------------------------------------------------------


def _joined(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple, set)):
        return ";".join(str(v) for v in value) or None
    return str(value)


#: How each incident column is read from a view, worked out once (flattening is most of an
#: export's own time: 100k views, 36 columns): columns read as they are, joined lists, and
#: estimate bounds as ``(column, estimate, bound)``.
_JOINED: Final = ("zones", "sources")
_BOUNDS: Final = tuple((f"{e}_{b}", e, b) for e in _ESTIMATES for b in ("low", "best", "high"))
_PLAIN: Final = tuple(
    n for n in INCIDENT_COLUMNS if n not in _JOINED and n not in {c for c, _, _ in _BOUNDS}
)


def _flat_incident(view: Mapping[str, Any]) -> dict[str, Any]:
    row = {name: view.get(name) for name in _PLAIN}
    for name in _JOINED:
        row[name] = _joined(view.get(name))
    for name, estimate, bound in _BOUNDS:
        value = view.get(estimate)
        row[name] = value.get(bound) if value else None
    return row


def flat_rows(kind: str, views: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The rows of the flat table of ``kind`` from the caller's views: incidents
    (``Viewer.incidents``) or violations with their incident (``Viewer.violation_rows``:
    the violation's view with its incident's view under ``incident``)."""
    if kind == "incidents":
        return [_flat_incident(v) for v in views]
    out = []
    for v in views:
        incident = _flat_incident(v.get("incident") or {})
        row = {k: incident.get(k) for k in VIOLATION_COLUMNS if k in INCIDENT_COLUMNS}
        row.update({k: v.get(k) for k in VIOLATION_COLUMNS if k not in INCIDENT_COLUMNS})
        # ``party`` of a violation is whom it is held against, not the incident's side.
        row["party"] = v.get("party")
        out.append(row)
    return out


def _columns(kind: str) -> dict[str, str]:
    return INCIDENT_COLUMNS if kind == "incidents" else VIOLATION_COLUMNS


# -- GDAL and GeoParquet ----------------------------------------------------------------------

_GDAL: Final = {"geojson": "GeoJSON", "gpkg": "GPKG", "kml": "KML", "fgb": "FlatGeobuf"}

#: GeoParquet version written (https://geoparquet.org/releases/v1.1.0/).
GEOPARQUET_VERSION: Final = "1.1.0"


def _arrow_table(kind: str, rows: Sequence[Mapping[str, Any]]) -> Any:
    """The flat table as a pyarrow Table with a WKB ``geometry`` column (Points, lon/lat).

    The rows go to Arrow in one call, as a struct array (C++ reads the dicts: 0.15 s for 100k
    incidents against 0.8 s column by column in Python; measured), times as text that Arrow
    parses with their offsets to UTC. A value of another type than its column's (a body
    written by another version) takes the slower path, which converts each value.
    """
    import numpy as np
    import pyarrow as pa

    types = {"str": pa.string(), "float": pa.float64(), "int": pa.int64(), "time": pa.string()}
    columns = _columns(kind)
    try:
        table = pa.Table.from_struct_array(
            pa.array(rows, type=pa.struct([(n, types[t]) for n, t in columns.items()]))
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        table = pa.table(
            {
                name: pa.array(
                    [_coerce(r.get(name), typ) for r in rows],
                    type=types[typ],
                )
                for name, typ in columns.items()
            }
        )
    utc = pa.timestamp("us", tz="UTC")
    for i, (name, typ) in enumerate(columns.items()):
        if typ == "time":
            table = table.set_column(i, name, table.column(name).cast(utc))
    lon = np.fromiter((float(r["lon"]) for r in rows), dtype=float, count=len(rows))
    lat = np.fromiter((float(r["lat"]) for r in rows), dtype=float, count=len(rows))
    return table.append_column("geometry", _wkb_points(lon, lat))


def _schema(kind: str) -> Any:
    """The Arrow schema of the flat table of ``kind`` (:func:`_arrow_table` gives it)."""
    import pyarrow as pa

    types = {
        "str": pa.string(),
        "float": pa.float64(),
        "int": pa.int64(),
        "time": pa.timestamp("us", tz="UTC"),
    }
    fields = [(n, types[t]) for n, t in _columns(kind).items()]
    return pa.schema([*fields, ("geometry", pa.binary())])


#: A WKB Point (OGC Simple Features 1.2.1, section 8.2): byte order (1: little-endian), type
#: (1: Point), x, y. Every point is 21 bytes, so a column of them is one array's bytes.
_WKB_POINT: Final = [("order", "u1"), ("type", "<u4"), ("x", "<f8"), ("y", "<f8")]


def _wkb_points(lon: Any, lat: Any) -> Any:
    """An Arrow binary column of WKB Points, built from the coordinate arrays at once (shapely's
    points and to_wkb took 0.18 s for 100k; this a few ms)."""
    import numpy as np
    import pyarrow as pa

    n = len(lon)
    packed = np.empty(n, dtype=np.dtype(_WKB_POINT))
    packed["order"], packed["type"], packed["x"], packed["y"] = 1, 1, lon, lat
    offsets = np.arange(0, (n + 1) * packed.itemsize, packed.itemsize, dtype=np.int32)
    return pa.Array.from_buffers(
        pa.binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(packed.tobytes())]
    )


def _coerce(value: Any, typ: str) -> Any:
    """A value as its column's type wants it (the slow path of :func:`_arrow_table`)."""
    if value is None:
        return None
    if typ == "time":
        return value.isoformat() if isinstance(value, datetime) else str(value)
    if typ == "str":
        return str(value)
    return float(value) if typ == "float" else int(value)


def _geo_metadata(bbox: Sequence[float] | None) -> dict[str, Any]:
    """The GeoParquet ``geo`` file metadata: one WKB Point column, CRS left out (the spec's
    default, OGC:CRS84, lon/lat in WGS 84), and the bbox of the points (None: no rows)."""
    column: dict[str, Any] = {"encoding": "WKB", "geometry_types": ["Point"]}
    if bbox is not None:
        column["bbox"] = list(bbox)
    return {
        "version": GEOPARQUET_VERSION,
        "primary_column": "geometry",
        "columns": {"geometry": column},
    }


def _write_parquet(kind: str, chunks: Iterable[list[dict[str, Any]]], path: Path) -> None:
    """Each chunk a row group, so a big export never holds more than one chunk's table; the
    ``geo`` metadata, with the bbox of every chunk, is added to the footer at the end."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    box: list[float] | None = None
    # No ARROW:schema in the footer: pyarrow then reads the footer's key-value metadata (the
    # spec's place for "geo", added last with the bbox) as the schema's, as other readers do.
    writer = pq.ParquetWriter(path, _schema(kind), compression="zstd", store_schema=False)
    with writer:
        for rows in chunks:
            table = _arrow_table(kind, rows)
            writer.write_table(table)
            lon, lat = pc.min_max(table.column("lon")), pc.min_max(table.column("lat"))
            here = [lon["min"].as_py(), lat["min"].as_py(), lon["max"].as_py(), lat["max"].as_py()]
            box = here if box is None else [
                min(box[0], here[0]), min(box[1], here[1]),
                max(box[2], here[2]), max(box[3], here[3]),
            ]  # fmt: skip
        writer.add_key_value_metadata({"geo": json.dumps(_geo_metadata(box))})


def _write_gdal(kind: str, chunks: Iterable[list[dict[str, Any]]], path: Path, fmt: str) -> None:
    """GDAL pulls the chunks' tables as one Arrow stream, so a big export never holds more than
    one chunk's table."""
    import pyarrow as pa
    import pyogrio

    options: dict[str, Any] = {}
    if fmt == "geojson":
        options["layer_options"] = {"RFC7946": "YES"}
    if fmt == "kml":
        # Each placemark's <name> is the row's id, so Google Earth and QGIS label them.
        options["dataset_options"] = {"NameField": "id" if kind == "incidents" else "incident_id"}
    path.unlink(missing_ok=True)  # GPKG and FlatGeobuf would add a layer to / refuse a file
    batches = (b for rows in chunks for b in _arrow_table(kind, rows).to_batches())
    pyogrio.write_arrow(
        pa.RecordBatchReader.from_batches(_schema(kind), batches),
        path,
        layer=kind,
        driver=_GDAL[fmt],
        geometry_name="geometry",
        geometry_type="Point",
        crs="EPSG:4326",
        **options,
    )


# -- CSV tables -------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _write_table(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]], tags: Sequence[str] = ()
) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        if tags:
            writer.writerow(tags)
        for row in rows:
            writer.writerow([_text(v) for v in row])


def _plain_csv(kind: str, rows: Iterable[Mapping[str, Any]]) -> tuple[list[str], Any]:
    names = list(_columns(kind))
    return names, ([r.get(n) for n in names] for r in rows)


#: Views flattened and written per step (:func:`write_export`): a row group of GeoParquet, a
#: batch of the Arrow stream GDAL reads.
WRITE_CHUNK: Final = 10_000

# -- the one entry point ----------------------------------------------------------------------


def write_export(
    kind: str,
    views: Iterable[Mapping[str, Any]],
    fmt: str,
    path: Path,
    *,
    actors: Mapping[str, str] = ACLED_ACTORS,
    chunk: int = WRITE_CHUNK,
) -> int:
    """Write the caller's views of ``kind`` (incidents or violations) to ``path`` in ``fmt``
    (:data:`EXPORT_FORMATS`); returns how many rows were written. ``actors`` names the parties
    in the ACLED, UCDP and HXL tables. The views are consumed ``chunk`` at a time: a big
    export holds one chunk's rows and table, never all of them."""
    check_format(fmt, kind)
    path = Path(path)
    written = 0

    def chunks() -> Iterator[list[dict[str, Any]]]:
        nonlocal written
        it = iter(views)
        while batch := list(islice(it, chunk)):
            rows = flat_rows(kind, batch)
            written += len(rows)
            yield rows

    if fmt == "parquet":
        _write_parquet(kind, chunks(), path)
    elif fmt in _GDAL:
        _write_gdal(kind, chunks(), path, fmt)
    else:
        rows = (r for batch in chunks() for r in batch)
        if fmt == "csv":
            names, body = _plain_csv(kind, rows)
            _write_table(path, names, body)
        else:
            header, make = CODEBOOK_TABLES[fmt]
            tags = [HXL_COLUMNS[c] for c in header] if fmt == "hxl" else ()
            _write_table(path, header, make(kind, rows, actors), tags)
    return written


class Listings(Protocol):
    """The store's listings an export reads (:class:`ceasefire.store.facade.Store` has them)."""

    def list_incidents(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[StoredIncident]: ...

    def list_violations(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[StoredViolation]: ...


def export(
    store: Listings,
    viewer: Viewer,
    kind: str,
    fmt: str,
    path: Path,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> int:
    """Write what ``viewer``'s caller may see of ``kind`` observed in ``[since, until)`` to
    ``path`` in ``fmt``; returns how many rows. The one export of the CLI and the API: both
    read the store chunk by chunk through the caller's views
    (:func:`ceasefire.publish.visibility.each_visible`), so a party's file holds what its API
    listing shows, and the public's only released incidents."""
    from ceasefire.publish.visibility import each_visible

    check_format(fmt, kind)
    views: Iterable[Mapping[str, Any]]
    if kind == "incidents":
        views = each_visible(
            lambda at, n: store.list_incidents(since=since, until=until, limit=n, offset=at),
            viewer.incidents,
        )
    else:
        views = each_visible(
            lambda at, n: store.list_violations(since=since, until=until, limit=n, offset=at),
            viewer.violation_rows,
        )
    return write_export(kind, views, fmt, path)
