"""The store: migrations, idempotent all-or-nothing writes, queries, durability under SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import func, select

from backends import OPERATOR, head_revision, raw
from ceasefire import ledger
from ceasefire.errors import ConflictError, CorruptStoreError, InputError, NotFoundError, StoreError
from ceasefire.intake.report import Report
from ceasefire.intake.validation import validate_report
from ceasefire.store import backends as store_backends
from ceasefire.store.database import _MIGRATIONS, ENV_URL, database_url
from ceasefire.store.facade import Store
from ceasefire.store.schema import reports_table

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def make_report(index: int, **changes: Any) -> Report:
    """A valid report numbered ``index``, a minute apart, spread over eastern Ukraine."""
    data: dict[str, Any] = {
        "id": f"r-{index}",
        "submitted_by": "smm" if index % 2 else "ua",
        "source_kind": "patrol" if index % 3 else "party",
        "observed_from": (NOW - timedelta(minutes=index)).isoformat(),
        "lon": 36.0 + (index * 0.0137) % 3.0,
        "lat": 47.0 + (index * 0.0071) % 2.0,
        "event_type": "shelling" if index % 4 else "small_arms",
        "extra_note": f"n{index}",
    }
    data.update(changes)
    return Report.model_validate(
        {k: v for k, v in data.items() if v is not None}, context={"now": NOW}
    )


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """An empty, migrated store in a fresh database (each backend)."""
    opened = Store.open(db_url)
    yield opened
    opened.close()


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}


def test_migration_creates_the_schema_in_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "new.db"  # missing directories are made
    with Store.open(f"sqlite:///{path}", migrate=False) as bare:
        assert bare.schema_revision() is None
        bare.init()
        assert bare.schema_revision() == head_revision()
        bare.init()  # up to date: a no-op
    assert {"reports", "reports_rtree", "alembic_version", "reports_rtree_delete"} <= tables(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


@pytest.mark.postgresql
def test_migration_adds_postgis_points_with_gist_indexes(pg_url: str) -> None:
    db_url = pg_url
    libpq = "postgresql://" + db_url.split("://", 1)[1]  # libpq's spelling picks psycopg too
    assert database_url(libpq).startswith("postgresql+psycopg://")
    with Store.open(libpq, migrate=False) as bare:
        assert bare.schema_revision() is None
        bare.init()
        assert bare.schema_revision() == head_revision()
        bare.init()  # up to date: a no-op
        bare.add_reports([make_report(1, lon=36.25, lat=47.5)], entered_by=OPERATOR)
    with raw(db_url) as conn:
        columns = conn.execute(
            "SELECT f_table_name, type, srid FROM geometry_columns ORDER BY 1"
        ).fetchall()
        assert columns == [("incidents", "POINT", 4326), ("reports", "POINT", 4326)]
        indexes = dict(
            conn.execute("SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE '%geom'")
        )
        assert "USING gist (geom)" in indexes["ix_reports_geom"]
        assert "USING gist (geom)" in indexes["ix_incidents_geom"]
        # The generated point is the row's lon/lat, and follows an update of them.
        point = "SELECT ST_X(geom), ST_Y(geom) FROM reports WHERE report_id = 'r-1'"
        assert conn.execute(point).fetchone() == (36.25, 47.5)
        conn.execute("UPDATE reports SET lon = 36.5 WHERE report_id = 'r-1'")
        assert conn.execute(point).fetchone() == (36.5, 47.5)
    # The store's box filter is one the GiST index can answer (on a table this small the
    # planner would rather scan, so scans are priced out for the question).
    with Store.open(db_url) as store:
        clause = store._dialect.bbox_clause((36.0, 47.0, 37.0, 48.0))
        query = select(func.count()).select_from(reports_table).where(clause)
        with store._engine.connect() as conn:
            sql = str(query.compile(conn, compile_kwargs={"literal_binds": True}))
            conn.exec_driver_sql("SET enable_seqscan = off")
            plan = " ".join(line for (line,) in conn.exec_driver_sql("EXPLAIN " + sql))
        assert "ix_reports_geom" in plan and "Seq Scan" not in plan, plan
        assert store.count_reports(bbox=(36.0, 47.0, 37.0, 48.0)) == 1


def test_migrations_go_down_and_up_again(db_url: str) -> None:
    Store.open(db_url).close()
    with Store.open(db_url, migrate=False) as opened, opened._write() as conn:
        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    with raw(db_url) as conn:
        assert not {"reports", "reports_rtree", "incidents", "users"} & conn.tables()
    with Store.open(db_url) as again:
        assert again.schema_revision() == head_revision()
        again.add_reports([make_report(1)], entered_by=OPERATOR)
        assert again.count_reports(bbox=(30.0, 40.0, 40.0, 50.0)) == 1


def test_a_database_of_an_older_version_is_upgraded_not_called_damaged(db_url: str) -> None:
    Store.open(db_url).close()
    with Store.open(db_url, migrate=False) as opened, opened._write() as conn:
        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        config.attributes["connection"] = conn
        command.downgrade(config, "-1")  # as the previous version left it
    with pytest.raises(StoreError, match="older than this version's") as refused:
        Store.open(db_url, migrate=False, create=False)  # read only: names the migration
    assert not isinstance(refused.value, CorruptStoreError)
    with Store.open(db_url, create=False) as upgraded:
        assert upgraded.schema_revision() == head_revision()


def test_a_database_from_a_newer_version_is_refused(db_url: str) -> None:
    Store.open(db_url).close()
    with raw(db_url) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(StoreError, match="cannot upgrade the database schema"):
        Store.open(db_url)


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are not the tables you are looking for\n" * 100)
    with pytest.raises(StoreError, match="not a database"):
        Store.open(path)


def test_the_url_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_URL, raising=False)
    with pytest.raises(StoreError, match=ENV_URL):
        Store.open()
    monkeypatch.setenv(ENV_URL, f"sqlite:///{tmp_path / 'env.db'}")
    with Store.open() as opened:
        opened.add_reports([make_report(1)], entered_by=OPERATOR)
    assert (tmp_path / "env.db").exists()


def test_round_trip_keeps_unknown_fields_and_offsets(store: Store) -> None:
    report = make_report(1, observed_from="2026-03-01T10:00:00+02:00", nested={"a": [1, 2.5, None]})
    store.add_reports([report], entered_by=OPERATOR)
    back = store.get_report("r-1")
    assert back == report
    assert back.to_dict() == report.to_dict()
    assert back.to_dict()["observed_from"] == "2026-03-01T10:00:00+02:00"
    assert back.to_dict()["nested"] == {"a": [1, 2.5, None]}
    with pytest.raises(NotFoundError):
        store.get_report("r-404")


def test_the_latest_start_is_the_newest_observation_begun_of_a_submitter(store: Store) -> None:
    assert store.latest_start() is None and store.latest_start("incidents") is None
    # r-1 ("smm") began last; r-7 began earlier but its window runs to NOW: an extent's end
    # would be r-7's, the latest start is r-1's.
    store.add_reports(
        [make_report(i) for i in range(1, 6)] + [make_report(7, observed_to=NOW.isoformat())],
        entered_by=OPERATOR,
    )
    assert store.latest_start() == NOW - timedelta(minutes=1)
    assert store.latest_start(submitted_by="ua") == NOW - timedelta(minutes=2)
    assert store.latest_start(submitted_by="nobody") is None
    assert store.extent()[5] == NOW


def test_same_id_same_content_is_a_no_op(store: Store) -> None:
    first = store.add_reports([make_report(i) for i in range(5)], entered_by=OPERATOR)
    assert (first.added, first.unchanged) == (5, 0)
    again = store.add_reports([make_report(i) for i in range(3, 7)], entered_by=OPERATOR)
    assert again.added_ids == ("r-5", "r-6") and set(again.unchanged_ids) == {"r-3", "r-4"}
    assert store.count_reports() == 7
    repeat = store.add_reports([make_report(9), make_report(9)], entered_by=OPERATOR)
    assert repeat.added_ids == ("r-9",) and repeat.unchanged_ids == ("r-9",)


def test_same_id_other_content_refuses_the_whole_batch(store: Store) -> None:
    store.add_reports([make_report(1)], entered_by=OPERATOR)
    batch = [make_report(2), make_report(1, lat=48.5), make_report(3)]
    with pytest.raises(ConflictError, match="'r-1' already stored with different content"):
        store.add_reports(batch, entered_by=OPERATOR)
    assert store.count_reports() == 1  # neither r-2 nor r-3 went in
    assert store.get_report("r-1") == make_report(1)
    with pytest.raises(ConflictError, match="'r-4' appears twice"):
        store.add_reports([make_report(4), make_report(4, count=2)], entered_by=OPERATOR)
    assert store.count_reports() == 1


def test_a_second_writer_waits_its_turn_then_gives_up(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_backends, "LOCK_WAIT_S", 0.5)  # 10 s in use
    with Store.open(db_url) as first, Store.open(db_url) as second:
        with first.bulk_writer() as writer:
            writer.add([make_report(1)], entered_by=OPERATOR)
            assert second.count_reports() == 0  # readers never wait, and see only commits
            started = time.perf_counter()
            with pytest.raises(StoreError, match="stayed locked by another writer through 4 tries"):
                second.add_reports([make_report(2)], entered_by=OPERATOR)
            assert time.perf_counter() - started >= 2.0  # it waited: four waits of 0.5 s
        second.add_reports([make_report(2)], entered_by=OPERATOR)
        assert {r.id for r in second.list_reports()} == {"r-1", "r-2"}


def test_a_nul_character_in_an_id_is_refused_by_the_report_itself() -> None:
    # An id takes the ids' safe characters only (ceasefire.ids), checked before any store.
    with pytest.raises(InputError, match="id: must not contain the NUL character"):
        validate_report({**make_report(1).to_dict(), "id": "a\x00b"}, now=NOW)


@pytest.mark.parametrize("field", ["submitted_by"])
def test_a_nul_character_is_bad_input_on_every_backend(store: Store, field: str) -> None:
    # PostgreSQL text cannot hold U+0000; both backends refuse it alike, before writing.
    with pytest.raises(InputError, match=f"{field}: must not contain the NUL character"):
        store.add_reports(
            [make_report(1), make_report(2, **{field: "a\x00b"})], entered_by=OPERATOR
        )
    assert store.count_reports() == 0
    store.add_reports(
        [make_report(3, notes="a\x00b")], entered_by=OPERATOR
    )  # in the JSON body it is escaped
    assert store.get_report("r-3").notes == "a\x00b"


def test_bbox_query_matches_a_brute_force_filter(store: Store) -> None:
    rng = np.random.default_rng(42)
    n = 3000
    lons, lats = rng.uniform(22.0, 40.0, n), rng.uniform(44.0, 52.5, n)
    reports = [make_report(i, lon=float(lons[i]), lat=float(lats[i])) for i in range(n)]
    store.add_reports(reports, entered_by=OPERATOR)
    boxes = [(float(a), float(b), float(a + w), float(b + h))
             for a, b, w, h in zip(rng.uniform(22, 38, 25), rng.uniform(44, 51, 25),
                                   rng.uniform(0.01, 4, 25), rng.uniform(0.01, 3, 25), strict=True)]  # fmt: skip
    # Boxes whose edges pass exactly through points: R*Tree's 32-bit rounding must not lose them.
    boxes += [
        (float(lons[i]), float(lats[i]), float(lons[i]) + 1, float(lats[i]) + 1) for i in range(5)
    ]
    boxes += [
        (float(lons[i]) - 1, float(lats[i]) - 1, float(lons[i]), float(lats[i]))
        for i in range(5, 10)
    ]
    for box in boxes:
        inside = (lons >= box[0]) & (lons <= box[2]) & (lats >= box[1]) & (lats <= box[3])
        expected = {f"r-{i}" for i in np.flatnonzero(inside)}
        assert {r.id for r in store.list_reports(bbox=box)} == expected
        assert store.count_reports(bbox=box) == len(expected)
    with pytest.raises(InputError, match="bbox"):
        store.list_reports(bbox=(30.0, 50.0, 29.0, 51.0))


def test_filters_and_paging(store: Store) -> None:
    reports = [make_report(i) for i in range(40)]
    reports.append(make_report(100, observed_to=(NOW - timedelta(minutes=20)).isoformat()))
    store.add_reports(reports, entered_by=OPERATOR)

    def ids(**filters: Any) -> set[str]:
        return {r.id for r in store.list_reports(**filters)}

    assert ids(event_type="small_arms") == {r.id for r in reports if r.event_type == "small_arms"}
    assert ids(source_kind=["party"], submitted_by="ua") == {
        r.id for r in reports if r.source_kind == "party" and r.submitted_by == "ua"
    }
    # The window of r-100 runs from NOW-100min to NOW-20min, so it overlaps [NOW-30min, NOW-25min).
    window = ids(since=NOW - timedelta(minutes=30), until=NOW - timedelta(minutes=25))
    assert window == {"r-30", "r-29", "r-28", "r-27", "r-26", "r-100"}
    assert (
        store.count_reports(since=NOW - timedelta(minutes=30), until=NOW - timedelta(minutes=25))
        == 6
    )
    with pytest.raises(InputError, match="UTC offset"):
        store.list_reports(since=datetime(2026, 3, 1))

    ordered = [r.id for r in store.list_reports()]
    assert ordered[0] == "r-100" and ordered[-1] == "r-0"  # oldest observation first
    assert [r.id for r in store.list_reports(limit=5, offset=5)] == ordered[5:10]
    paged: list[str] = []
    after: str | None = None
    while page := store.list_reports(limit=7, after=after):
        paged += [r.id for r in page]
        after = page[-1].id
    assert paged == ordered
    with pytest.raises(NotFoundError):
        store.list_reports(after="r-404")


def test_placements_are_stored_when_given(store: Store) -> None:
    # The shape the geo step gives (GeoEngine placement rows).
    facts = {
        "party": "ua", "side": 1, "distance_m": 1250.0, "line_distance_m": 1250.0,
        "zones": {"dmz": True, "artillery_50km": True}, "oblast": "Donetsk", "oblast_precision": "nearest",
    }  # fmt: skip
    result = store.add_reports(
        [make_report(1), make_report(2)], placements=[facts, None], entered_by=OPERATOR
    )
    assert (result.added, result.unchanged) == (2, 0)
    assert store.get_placement("r-1") == facts
    assert store.get_placement("r-2") is None
    with raw(store) as conn:
        row = conn.execute("SELECT party, side, oblast, zones FROM reports WHERE report_id = 'r-1'")
        assert row.fetchone() == ("ua", "1", "Donetsk", '{"artillery_50km": true, "dmz": true}')
    with pytest.raises(NotFoundError):
        store.get_placement("r-404")
    with pytest.raises(ValueError, match="placements for"):
        store.add_reports([make_report(3)], placements=[], entered_by=OPERATOR)


def test_observer_relative_reports_are_indexed_at_their_resolved_point(store: Store) -> None:
    report = make_report(
        1, lon=None, lat=None, observer_lon=37.75, observer_lat=48.1, bearing_deg=90.0,
        distance_min_m=2000.0, distance_max_m=4000.0,
    )  # fmt: skip
    store.add_reports([report], entered_by=OPERATOR)
    place = report.location()
    near = (place.lon - 0.001, place.lat - 0.001, place.lon + 0.001, place.lat + 0.001)
    assert [r.id for r in store.list_reports(bbox=near)] == ["r-1"]
    assert store.count_reports(bbox=(37.74, 48.09, 37.76, 48.11)) == 0  # not at the observer


def test_a_large_batch_goes_in_whole(store: Store) -> None:
    # How fast is measured in benchmarks/api.py, not asserted here: a shared machine's load
    # would make a time limit fail for no fault of the code.
    reports = [make_report(i) for i in range(20_000)]
    result = store.add_reports(reports, entered_by=OPERATOR)
    assert result.added == 20_000 and store.count_reports() == 20_000


CHILD = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime, timedelta
    from ceasefire.intake.report import Report
    from ceasefire.publish.access import Principal
    from ceasefire.store.facade import Store

    OPERATOR = Principal("test intake", "admin")
    store = Store.open(sys.argv[1])
    size = int(sys.argv[2])
    insert = store._dialect.insert_reports

    def tell(conn, rows):
        # Says when the batch's rows are written but not yet committed (the kill's target).
        insert(conn, rows)
        print("inserted", flush=True)

    store._dialect.insert_reports = tell
    start = datetime(2026, 3, 1, tzinfo=UTC)
    for batch in range(1000):
        reports = [
            Report.model_validate({
                "id": f"b{batch}-{i}", "submitted_by": f"batch-{batch}", "source_kind": "sensor",
                "observed_from": (start + timedelta(seconds=i)).isoformat(),
                "lon": 36 + i % 997 / 400, "lat": 47 + i % 991 / 600, "event_type": "explosion",
            }, context={"check_future": False})
            for i in range(size)
        ]
        print("writing", batch, flush=True)
        store.add_reports(reports, entered_by=OPERATOR)
        print("committed", batch, flush=True)
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("when", ["inside_transaction", "after_0.0s", "after_0.2s", "after_0.5s"])
def test_a_killed_ingest_loses_no_acknowledged_batch(db_url: str, when: str) -> None:
    """SIGKILL a child mid-ingest: acknowledged batches are all there, the one under way all or none.

    ``inside_transaction`` kills right after the batch's rows are inserted and before COMMIT (the
    child says when); the others kill at set times after the third batch starts.
    """
    path = db_url
    size = 4000
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, path, str(size)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    committed = -1
    try:
        for line in child.stdout:
            word, *number = line.split()
            if word == "committed":
                committed = int(number[0])
            if committed >= 1 and word == (
                "inserted" if when == "inside_transaction" else "writing"
            ):
                break  # two batches acknowledged, the third under way
        if when != "inside_transaction":
            time.sleep(float(when.removeprefix("after_").removesuffix("s")))
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
        # Whatever the child acknowledged before it died is still in the pipe: count it too.
        for line in child.stdout:
            word, *number = line.split()
            if word == "committed":
                committed = int(number[0])
        child.stdout.close()
    assert committed >= 1

    with Store.open(path) as reopened:
        total = reopened.count_reports()
        assert total % size == 0, "a batch was half written"
        for batch in range(committed + 1):
            assert reopened.count_reports(submitted_by=f"batch-{batch}") == size
        assert total in (size * (committed + 1), size * (committed + 2))
        if when == "inside_transaction":
            assert total == size * (committed + 1), "an uncommitted batch survived"
        assert reopened.count_reports(bbox=(-180.0, -90.0, 180.0, 90.0)) == total
        # The log holds exactly the stored reports: a leaf went in with its report, or neither.
        assert reopened.ledger_state().size == total
        assert ledger.audit(reopened).records["reports"] == total
    with raw(path) as conn:
        if conn.backend == "sqlite":
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            (indexed,) = conn.execute("SELECT count(*) FROM reports_rtree").fetchone()
        else:
            (indexed,) = conn.execute("SELECT count(geom) FROM reports").fetchone()
        assert indexed == total


# -- opening without creating -----------------------------------------------------------------


def test_opening_without_create_refuses_a_missing_file_and_writes_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "monitoring.db"
    with pytest.raises(StoreError, match="no database at"):
        Store.open(missing, create=False)
    assert not missing.exists() and not missing.parent.exists()


def test_opening_without_create_refuses_an_empty_database(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    with pytest.raises(StoreError, match="holds no ceasefire store"):
        Store.open(empty, create=False)
    assert empty.stat().st_size == 0  # no schema was written into it


def test_opening_without_create_reads_an_existing_store(tmp_path: Path) -> None:
    path = tmp_path / "kept.db"
    with Store.open(path) as made:
        made.add_reports([make_report(1)], entered_by=OPERATOR)
    with Store.open(path, create=False) as again:
        assert again.count_reports() == 1


def test_upgrading_logs_the_incidents_stored_before(db_url: str) -> None:
    """Revision 0009 puts incidents in the ledger: one stored by an older version (no leaf)
    gets a leaf, as it stands, when the store is upgraded."""
    Store.open(db_url, migrate=False).close()
    with Store.open(db_url, migrate=False) as opened, opened._write() as conn:
        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        config.attributes["connection"] = conn
        command.upgrade(config, "0007")
    body = '{"key": "r-1", "report_ids": ["r-1"], "event_type": "shelling"}'
    with raw(db_url) as conn:
        conn.execute(
            "INSERT INTO incidents (seq, incident_id, event_type, group_name, observed_from, "
            "observed_to, lon, lat, n_reports, n_sources, status, body, created_at, updated_at) "
            "VALUES (1, 'INC-000001', 'shelling', 'fire', '2026-11-20 22:00:00', "
            "'2026-11-20 22:00:00', 36.2, 47.6, 1, 1, 'reported', ?, '2026-11-20 22:00:00', "
            "'2026-11-20 22:00:00')",
            (body,),
        )
    with Store.open(db_url) as upgraded:
        assert upgraded.schema_revision() == head_revision()
        (entry,) = upgraded.ledger_entries("incident/INC-000001")
    record = json.loads(entry.body)["record"]
    assert record == {"incident_id": "INC-000001", "body": json.loads(body), "merged_into": None}
