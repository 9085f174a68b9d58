"""The export tables of :mod:`ceasefire.publish.formats` without a store: every event type and
precision is mapped, bad names are refused naming what was wrong, WKB points are the standard's
bytes. (The files read back by their readers, role by role: tests/api/test_exports.py.)"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
import shapely

from ceasefire import vocab
from ceasefire.errors import InputError
from ceasefire.publish.codebooks import ACLED_EVENT_TYPES, ACLED_GEO_PRECISION, UCDP_WHERE_PREC
from ceasefire.publish.formats import check_format, flat_rows, write_export

#: One incident view as a party sees one that concerns it (its own source only).
PARTY_VIEW = {
    "id": "INC-000007",
    "status": "verified",
    "event_type": "shelling",
    "observed_from": "2026-03-10T21:15:00+02:00",
    "observed_to": "2026-03-10T19:40:00+00:00",
    "lon": 37.5283,
    "lat": 48.6197,
    "uncertainty_m": 500.0,
    "place_precision": "near",
    "oblast": "Donetsk",
    "party": "UA",
    "zones": ["dmz", "mlrs"],
    "killed": {"low": 1, "best": 2, "high": 3},
    "injured": {"low": None, "best": None, "high": None},
    "assessed_perpetrator": "RU",
    "sources": ["UA/party"],
    "updated_at": "2026-03-11T08:00:00+00:00",
}


def test_every_event_type_and_precision_has_its_acled_and_ucdp_code() -> None:
    assert set(ACLED_EVENT_TYPES) == set(vocab.EVENT_TYPES)
    precisions = {*vocab.PRECISIONS, "coarsened"}
    assert set(ACLED_GEO_PRECISION) == precisions == set(UCDP_WHERE_PREC)
    assert set(ACLED_GEO_PRECISION.values()) == {1, 2, 3}


def test_the_flat_row_spreads_estimates_and_joins_lists() -> None:
    (row,) = flat_rows("incidents", [PARTY_VIEW])
    assert (row["killed_low"], row["killed_best"], row["killed_high"]) == (1, 2, 3)
    assert row["injured_best"] is None and row["count_best"] is None
    assert (row["zones"], row["sources"]) == ("dmz;mlrs", "UA/party")
    assert row["weapon_class"] is None  # a field the view lacks is empty, not an error


def test_times_are_written_in_utc_and_points_as_standard_wkb(tmp_path: Path) -> None:
    path = tmp_path / "one.parquet"
    assert write_export("incidents", [PARTY_VIEW], "parquet", path) == 1
    (row,) = pq.read_table(path).to_pylist()
    assert row["observed_from"].isoformat() == "2026-03-10T19:15:00+00:00"
    assert row["geometry"] == shapely.to_wkb(shapely.Point(37.5283, 48.6197))


@pytest.mark.parametrize(
    ("fmt", "kind", "field"), [("shp", "incidents", "format"), ("csv", "reports", "kind")]
)
def test_a_bad_format_or_kind_is_refused_naming_it(
    tmp_path: Path, fmt: str, kind: str, field: str
) -> None:
    with pytest.raises(InputError) as caught:
        write_export(kind, [PARTY_VIEW], fmt, tmp_path / "x")
    assert caught.value.problems[0].field == field
    assert not (tmp_path / "x").exists()
    with pytest.raises(InputError, match="--format"):
        check_format("xls", where="options", name="--format")


def _views(n: int) -> list[dict[str, object]]:
    """``n`` views of :data:`PARTY_VIEW` along a diagonal, ids INC-0..."""
    return [
        {**PARTY_VIEW, "id": f"INC-{i}", "lon": 30.0 + i / 10, "lat": 45.0 + i / 20}
        for i in range(n)
    ]


@pytest.mark.parametrize("fmt", ["parquet", "gpkg", "fgb", "csv"])
def test_a_chunked_export_holds_every_row_once(tmp_path: Path, fmt: str) -> None:
    import json

    import pyogrio

    views = _views(7)
    path = tmp_path / f"x.{fmt}"
    assert write_export("incidents", iter(views), fmt, path, chunk=3) == 7
    if fmt == "parquet":
        meta = pq.ParquetFile(path).metadata
        assert meta.num_row_groups == 3  # 3 + 3 + 1
        bbox = json.loads(pq.read_table(path).schema.metadata[b"geo"])["columns"]["geometry"]
        assert bbox["bbox"] == pytest.approx([30.0, 45.0, 30.6, 45.3])
        ids = [r["id"] for r in pq.read_table(path).to_pylist()]
    elif fmt == "csv":
        ids = [line.split(",")[0] for line in path.read_text().splitlines()[1:]]
    else:
        ids = pyogrio.read_arrow(path)[1].column("id").to_pylist()
    assert sorted(ids) == sorted(v["id"] for v in views)
