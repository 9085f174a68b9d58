"""Exports of incidents and violations (issue 20): each format read back by its real reader
(GDAL through pyogrio, pyarrow, the csv module), the values round trip, and each caller's file
holds what its API listing shows, no more (:mod:`ceasefire.publish.formats`)."""

from __future__ import annotations

import csv
import json
import re
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pyogrio
import pytest
from test_service import V1, assert_error
from test_service_access import World, walk
from typer.testing import CliRunner

from backends import copy_sqlite, system_tool
from ceasefire.cli.app import app as cli_app
from ceasefire.geo.engine import GeoEngine
from ceasefire.publish.codebooks import (
    ACLED_ACTORS,
    ACLED_COLUMNS,
    HXL_COLUMNS,
    UCDP_COLUMNS,
    UNIDENTIFIED,
)
from ceasefire.store.facade import Store

GDAL_FORMATS = {"geojson": "GeoJSON", "gpkg": "GPKG", "kml": "KML", "fgb": "FlatGeobuf"}


@pytest.fixture(scope="module")
def world(
    demo_dir: Path, tmp_path_factory: pytest.TempPathFactory, engine: GeoEngine
) -> Iterator[World]:
    # Read only here: one world for the module (building it scans the demo's hotline).
    db = copy_sqlite(demo_dir / "demo.db", tmp_path_factory.mktemp("exports"))
    with Store.open(db) as store:
        w = World(store, engine)
        w.db = str(db)  # type: ignore[attr-defined]
        yield w


def _download(w: World, role: str, kind: str, fmt: str, folder: Path, query: str = "") -> Path:
    r = w.get(role, f"{V1}/{kind}/export?format={fmt}{query}")
    assert r.status_code == 200, r.text
    assert "attachment" in r.headers["content-disposition"]
    path = folder / f"{role}-{kind}.{fmt}"
    path.write_bytes(r.content)
    return path


def _listing(w: World, role: str, kind: str) -> list[dict[str, Any]]:
    return walk(w, role, f"{V1}/{kind}?limit=1000")[0]


def _read_gdal(path: Path) -> dict[str, dict[str, Any]]:
    """Each feature by id, read by GDAL: its fields and its point."""
    info = pyogrio.read_info(path)
    assert info["geometry_type"] in ("Point", "Unknown")  # KML declares no layer type
    meta, table = pyogrio.read_arrow(path)
    geometry = meta["geometry_name"] or "wkb_geometry"
    import shapely

    rows = table.to_pylist()
    out = {}
    for row in rows:
        point = shapely.from_wkb(row.pop(geometry))
        row["_xy"] = (point.x, point.y)
        # KML: the placemark's <name> is the id (LIBKML reads the <Placemark id> into "id").
        out[str(row["Name"] if "Name" in row else row["id"])] = row
    return out


@pytest.mark.parametrize("fmt", sorted(GDAL_FORMATS))
def test_incidents_read_back_by_gdal_hold_the_listings_values(
    world: World, tmp_path: Path, fmt: str
) -> None:
    listed = {d["id"]: d for d in _listing(world, "admin", "incidents")}
    path = _download(world, "admin", "incidents", fmt, tmp_path)
    assert pyogrio.read_info(path)["driver"] in (GDAL_FORMATS[fmt], "LIBKML")
    got = _read_gdal(path)
    assert set(got) == set(listed)
    for incident_id, row in got.items():
        want = listed[incident_id]
        # RFC 7946 GeoJSON keeps 7 decimals (~1 cm), GDAL's default there.
        assert row["_xy"] == pytest.approx((want["lon"], want["lat"]), abs=1e-7)
        killed = row["killed_best"]
        assert (None if killed in (None, "") else int(killed)) == want["killed"]["best"]
        assert row["event_type"] == want["event_type"]
        seen = row["observed_from"]
        if isinstance(seen, str):  # KML keeps fields as text
            seen = datetime.fromisoformat(seen.replace("Z", "+00:00"))
        seen = seen if seen.tzinfo else seen.replace(tzinfo=UTC)
        assert seen == datetime.fromisoformat(want["observed_from"])


def test_geoparquet_has_the_specs_geo_metadata_and_round_trips(
    world: World, tmp_path: Path
) -> None:
    import shapely

    listed = {d["id"]: d for d in _listing(world, "admin", "incidents")}
    table = pq.read_table(_download(world, "admin", "incidents", "parquet", tmp_path))
    geo = json.loads(table.schema.metadata[b"geo"])
    assert geo["version"] == "1.1.0" and geo["primary_column"] == "geometry"
    column = geo["columns"]["geometry"]
    assert column["encoding"] == "WKB" and column["geometry_types"] == ["Point"]
    lons = [d["lon"] for d in listed.values()]
    lats = [d["lat"] for d in listed.values()]
    assert column["bbox"] == pytest.approx([min(lons), min(lats), max(lons), max(lats)])
    rows = table.to_pylist()
    assert {r["id"] for r in rows} == set(listed)
    for r in rows:
        want = listed[r["id"]]
        point = shapely.from_wkb(r["geometry"])
        assert (point.x, point.y) == (want["lon"], want["lat"])
        assert r["killed_best"] == want["killed"]["best"]
        assert r["observed_from"] == datetime.fromisoformat(want["observed_from"])


def _csv(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def test_acled_csv_has_its_31_columns_in_order_and_our_values(world: World, tmp_path: Path) -> None:
    listed = {d["id"]: d for d in _listing(world, "admin", "incidents")}
    rows = _csv(_download(world, "admin", "incidents", "acled", tmp_path))
    assert tuple(rows[0]) == ACLED_COLUMNS and len(rows[0]) == 31
    body = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert {r["event_id_cnty"] for r in body} == set(listed)
    for r in body:
        want = listed[r["event_id_cnty"]]
        assert r["event_date"] == want["observed_from"][:10]
        assert (float(r["longitude"]), float(r["latitude"])) == (want["lon"], want["lat"])
        assert int(r["fatalities"]) == (want["killed"]["best"] or 0)
        assert r["geo_precision"] in {"1", "2", "3"}
        assert r["event_type"] in {
            "Battles",
            "Explosions/Remote violence",
            "Strategic developments",
        }
        if want["event_type"] == "shelling":
            assert r["sub_event_type"] == "Shelling/artillery/missile attack"
        perpetrator = want["assessed_perpetrator"]
        if perpetrator is None:
            assert (r["actor1"], r["inter1"]) == (UNIDENTIFIED, "3")
        else:
            assert (r["actor1"], r["inter1"]) == (ACLED_ACTORS[perpetrator], "1")
        if want["party"] and want["party"] != perpetrator:  # the forces of the side hit
            assert r["actor2"] == ACLED_ACTORS[want["party"]]
            assert r["interaction"] == ("11" if perpetrator else "13")
        else:
            assert r["actor2"] == "" and r["interaction"] in ("10", "30")


def test_ucdp_table_carries_low_best_high(world: World, tmp_path: Path) -> None:
    listed = {d["id"]: d for d in _listing(world, "admin", "incidents")}
    rows = _csv(_download(world, "admin", "incidents", "ucdp", tmp_path))
    assert tuple(rows[0]) == UCDP_COLUMNS
    for r in (dict(zip(rows[0], r, strict=True)) for r in rows[1:]):
        killed = listed[r["id"]]["killed"]
        for bound in ("low", "best", "high"):
            assert r[bound] == ("" if killed[bound] is None else str(killed[bound]))


def test_hxl_csv_has_the_hashtag_row_second(world: World, tmp_path: Path) -> None:
    rows = _csv(_download(world, "admin", "violations", "hxl", tmp_path))
    assert rows[0] == list(HXL_COLUMNS)
    assert rows[1] == list(HXL_COLUMNS.values())
    assert rows[1][:2] == ["#event+code", "#date+occurred"]
    assert len(rows) - 2 == len(_listing(world, "admin", "violations"))


@pytest.mark.parametrize("role", ["UA", "RU", "public"])
@pytest.mark.parametrize("kind", ["incidents", "violations"])
def test_a_callers_export_holds_what_its_listing_shows(
    world: World, tmp_path: Path, role: str, kind: str
) -> None:
    listed = _listing(world, role, kind)
    rows = _csv(_download(world, role, kind, "csv", tmp_path))
    body = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    if kind == "incidents":
        assert sorted(r["id"] for r in body) == sorted(d["id"] for d in listed)
        by_id = {d["id"]: d for d in listed}
        for r in body:  # the place as the caller is shown it (coarsened for the public)
            want = by_id[r["id"]]
            assert (float(r["lon"]), float(r["lat"])) == (want["lon"], want["lat"])
            assert r["sources"] == ";".join(want.get("sources") or ())
    else:
        assert sorted(int(r["seq"]) for r in body) == sorted(d["seq"] for d in listed)
    everything = len(_listing(world, "admin", kind))
    assert len(body) < everything
    if role == "public" and kind == "incidents":
        assert {r["id"] for r in body} <= world.released


def test_the_public_export_is_coarsened_and_names_no_source(world: World, tmp_path: Path) -> None:
    rows = _csv(_download(world, "public", "incidents", "acled", tmp_path))
    body = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert body, "the demo releases incidents"
    assert {r["source"] for r in body} == {"Ceasefire monitoring mission"}
    coarse = [r for r in body if r["event_id_cnty"] != world.released_full]
    assert all(r["geo_precision"] == "2" for r in coarse)


def test_since_and_until_narrow_an_export(world: World, tmp_path: Path) -> None:
    listed = sorted(_listing(world, "admin", "incidents"), key=lambda d: d["observed_from"])
    middle = listed[len(listed) // 2]["observed_from"].replace("+00:00", "Z")
    rows = _csv(_download(world, "admin", "incidents", "csv", tmp_path, f"&since={middle}"))
    assert 0 < len(rows) - 1 < len(listed)
    # A window that overlaps [since, ...) is kept, as the listing keeps it.
    assert all(r[rows[0].index("observed_to")] >= middle[:19] for r in rows[1:])
    since = middle.replace("Z", "+00:00")
    assert len(rows) - 1 == len(
        walk(world, "admin", f"{V1}/incidents?limit=1000&since={since.replace('+', '%2B')}")[0]
    )


def test_a_bad_format_is_refused_naming_the_parameter(world: World) -> None:
    error = assert_error(world.get("admin", f"{V1}/incidents/export?format=shp"), 422)
    assert error["problems"][0]["field"] == "format"
    assert "gpkg" in error["problems"][0]["reason"]
    error = assert_error(world.get("admin", f"{V1}/violations/export?format=csv&since=x"), 422)
    assert error["problems"][0]["field"] == "since"


def test_the_cli_exports_what_the_api_shows_the_same_reader(world: World, tmp_path: Path) -> None:
    db = world.db  # type: ignore[attr-defined]
    runner = CliRunner()
    out = tmp_path / "ua.fgb"
    result = runner.invoke(
        cli_app,
        ["export", "incidents", "--format", "fgb", "--out", str(out), "--as", "UA", "--db", db],
    )
    assert result.exit_code == 0, result.output
    assert set(_read_gdal(out)) == {d["id"] for d in _listing(world, "UA", "incidents")}
    bad = runner.invoke(
        cli_app, ["export", "violations", "--format", "shp", "--out", str(out), "--db", db]
    )
    assert bad.exit_code != 0 and "--format" in bad.output
    bad = runner.invoke(
        cli_app,
        ["export", "violations", "--format", "csv", "--out", str(out), "--as", "XX", "--db", db],
    )
    assert bad.exit_code != 0 and "--as" in bad.output
    args = ["export", "incidents", "--format", "csv", "--out", str(out), "--bbox", "1,2,3,4"]
    bad = runner.invoke(cli_app, [*args, "--db", db])
    assert bad.exit_code != 0 and "--bbox" in bad.output and "filters reports" in bad.output
    public = tmp_path / "public.parquet"
    args = ["export", "incidents", "--format", "parquet", "--out", str(public), "--as", "public"]
    assert runner.invoke(cli_app, [*args, "--db", db]).exit_code == 0
    ids = {r["id"] for r in pq.read_table(public).to_pylist()}
    assert ids == {d["id"] for d in _listing(world, "public", "incidents")}
    # A user of the store reads as its role and party.
    args = ["export", "violations", "--format", "csv", "--out", str(out), "--as", "user-RU"]
    assert runner.invoke(cli_app, [*args, "--db", db]).exit_code == 0
    seqs = {int(r[0]) for r in _csv(out)[1:]}
    assert seqs == {d["seq"] for d in _listing(world, "RU", "violations")}


def test_our_acled_csv_reads_back_through_ingest_profile_acled(
    world: World, tmp_path: Path
) -> None:
    """The project's own ACLED reader takes the file as ACLED's: same ids, points, fatalities
    and perpetrators, and each event type back as ACLED's word maps it."""
    from ceasefire.intake.files import read_reports
    from ceasefire.intake.profiles import ACLED_SUB_EVENTS, profile
    from ceasefire.publish.codebooks import ACLED_EVENT_TYPES

    listed = {d["id"]: d for d in _listing(world, "admin", "incidents")}
    path = _download(world, "admin", "incidents", "acled", tmp_path)
    # The demo's incidents end before now; the reader's "not in the future" needs no help.
    reports = {r.id: r for r in read_reports(path, format="csv", mapping=profile("acled"))}
    assert set(reports) == set(listed)
    for incident_id, r in reports.items():
        want = listed[incident_id]
        assert (r.lon, r.lat) == (want["lon"], want["lat"])
        assert r.killed == (want["killed"]["best"] or 0)
        sub = ACLED_EVENT_TYPES[want["event_type"]][1].lower()
        assert r.event_type == ACLED_SUB_EVENTS.get(sub, ACLED_SUB_EVENTS["*"])
        assert r.claimed_perpetrator == want["assessed_perpetrator"]


@pytest.mark.parametrize("role", ["admin", "public"])
def test_violations_carry_their_incident_as_the_caller_sees_it(
    world: World, tmp_path: Path, role: str
) -> None:
    import shapely

    incidents = {d["id"]: d for d in _listing(world, role, "incidents")}
    listed = {d["seq"]: d for d in _listing(world, role, "violations")}
    meta, table = pyogrio.read_arrow(_download(world, role, "violations", "gpkg", tmp_path))
    rows = table.to_pylist()
    assert sorted(r["seq"] for r in rows) == sorted(listed)
    for r in rows:
        want = listed[r["seq"]]
        assert (r["rule"], r["party"]) == (want["rule"], want["party"])
        incident = incidents[r["incident_id"]]  # the public: released, coarsened
        point = shapely.from_wkb(r[meta["geometry_name"]])
        assert (point.x, point.y) == (incident["lon"], incident["lat"])
        assert r["place_precision"] == incident["place_precision"]


@pytest.mark.parametrize("fmt", ["gpkg", "fgb", "parquet", "acled"])
def test_an_export_of_nothing_is_a_readable_empty_file(
    world: World, tmp_path: Path, fmt: str
) -> None:
    path = _download(world, "UA", "violations", fmt, tmp_path, "&since=2099-01-01T00:00:00Z")
    if fmt == "parquet":
        assert pq.read_table(path).num_rows == 0
    elif fmt == "acled":
        assert _csv(path) == [list(ACLED_COLUMNS)]
    else:
        assert pyogrio.read_info(path, force_feature_count=True)["features"] == 0
        assert "rule" in pyogrio.read_info(path)["fields"]


def _system_ogrinfo() -> str:
    """Debian's ``ogrinfo`` (another GDAL than pyogrio's bundled one); ``.ci/run`` installs it
    and sets ``CEASEFIRE_TEST_GDAL=require``, which makes its absence a failure."""
    return system_tool("ogrinfo", "gdal-bin", "CEASEFIRE_TEST_GDAL")


@pytest.mark.parametrize("fmt", sorted(GDAL_FORMATS))
def test_ogrinfo_reads_each_gdal_export(world: World, tmp_path: Path, fmt: str) -> None:
    ogrinfo = _system_ogrinfo()
    path = _download(world, "RU", "violations", fmt, tmp_path)
    done = subprocess.run(
        [ogrinfo, "-ro", "-so", "-al", str(path)], capture_output=True, text=True, check=True
    )
    count = re.search(r"Feature Count: (\d+)", done.stdout)
    assert count is not None, done.stdout
    assert int(count.group(1)) == len(_listing(world, "RU", "violations"))
    assert re.search(r"^rule: String", done.stdout, re.M), done.stdout
