"""The streaming intake flow: all or nothing across chunks, skip_invalid, conflicts, progress."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from backends import OPERATOR
from ceasefire.agreement.load import demo_agreement_path, load_agreement
from ceasefire.agreement.model import Agreement
from ceasefire.errors import ConflictError, InputError, StoreError
from ceasefire.geo.engine import GeoEngine
from ceasefire.intake.report import Report
from ceasefire.pipeline import ingest_files
from ceasefire.store.facade import Store

NOW = datetime(2026, 3, 11, tzinfo=UTC)


@pytest.fixture(scope="module")
def agreement() -> Agreement:
    """The demo agreement, loaded once."""
    return load_agreement(demo_agreement_path())


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """An empty, migrated store in a fresh database (each backend)."""
    opened = Store.open(db_url)
    yield opened
    opened.close()


def report(i: int, **change: Any) -> dict[str, Any]:
    """A valid report row numbered ``i``, along the demo line near Kostiantynivka."""
    row: dict[str, Any] = {
        "id": f"p-{i}",
        "submitted_by": "mission",
        "source_kind": "patrol",
        "observed_from": "2026-03-10T21:00:00+00:00",
        "lon": 37.60 + i * 0.001,
        "lat": 48.50,
        "event_type": "shelling",
    }
    row.update(change)
    return {k: v for k, v in row.items() if v is not None}


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


class RecordingProgress:
    """Stands in for rich's Progress: records the task's total and every update."""

    def __init__(self) -> None:
        self.total: float | None = None
        self.completed: list[float] = []
        self.descriptions: list[str] = []

    def add_task(self, description: str, total: float | None = None) -> int:
        self.total = total
        return 1

    def update(
        self, task: int, *, completed: float | None = None, description: str | None = None
    ) -> None:
        if completed is not None:
            self.completed.append(completed)
        if description is not None:
            self.descriptions.append(description)


def test_a_bad_row_in_a_later_chunk_stores_nothing_and_every_problem_is_listed(
    tmp_path: Path, store: Store, agreement: Agreement
) -> None:
    rows = [report(i) for i in range(10)]
    rows[5]["lat"] = 91.5  # third chunk of two
    rows[8]["event_type"] = "picnic"  # fifth chunk: found although nothing more is written
    src = write_jsonl(tmp_path / "night.jsonl", rows)
    with pytest.raises(InputError) as caught:
        ingest_files(store, [src], agreement, chunk_size=2, now=NOW, entered_by=OPERATOR)
    assert [(p.where, p.field) for p in caught.value.problems] == [
        ("night.jsonl:row 6", "lat"),
        ("night.jsonl:row 9", "event_type"),
    ]
    assert store.count_reports() == 0


def test_a_bad_row_in_a_second_file_rolls_back_the_first(
    tmp_path: Path, store: Store, agreement: Agreement
) -> None:
    first = write_jsonl(tmp_path / "a.jsonl", [report(i) for i in range(4)])
    second = write_jsonl(tmp_path / "b.jsonl", [report(4), report(5, lon="east")])
    with pytest.raises(InputError, match=r"b\.jsonl:row 2"):
        ingest_files(store, [first, second], agreement, chunk_size=3, now=NOW, entered_by=OPERATOR)
    assert store.count_reports() == 0


def test_skip_invalid_stores_the_good_rows_of_every_chunk(
    tmp_path: Path, store: Store, agreement: Agreement
) -> None:
    rows = [report(i) for i in range(9)]
    rows[1]["lat"] = 91.5
    rows[7] = {"id": "p-7"}  # every required field missing: one row, several problems
    src = write_jsonl(tmp_path / "night.jsonl", rows)
    result = ingest_files(
        store, [src], agreement, chunk_size=3, skip_invalid=True, now=NOW, entered_by=OPERATOR
    )
    assert (result.added, result.unchanged, result.bad_rows) == (7, 0, 2)
    assert {p.where for p in result.problems} == {"night.jsonl:row 2", "night.jsonl:row 8"}
    assert store.count_reports() == 7
    assert result.to_dict()["skipped"][0]["field"] == "lat"


def test_a_conflict_in_a_later_chunk_rolls_back_the_earlier_chunks(
    tmp_path: Path, store: Store, agreement: Agreement
) -> None:
    ingest_files(
        store,
        [write_jsonl(tmp_path / "old.jsonl", [report(7)])],
        agreement,
        now=NOW,
        entered_by=OPERATOR,
    )
    rows = [report(i) for i in range(10)]
    rows[7]["event_type"] = "small_arms"  # p-7 is stored as shelling
    src = write_jsonl(tmp_path / "night.jsonl", rows)
    with pytest.raises(ConflictError, match="'p-7' already stored with different content"):
        ingest_files(
            store, [src], agreement, chunk_size=2, skip_invalid=True, now=NOW, entered_by=OPERATOR
        )
    assert store.count_reports() == 1


def test_an_id_reused_with_other_content_in_a_later_chunk_is_a_conflict(
    tmp_path: Path, store: Store, agreement: Agreement
) -> None:
    rows = [report(0), report(1), report(2), report(0, event_type="small_arms")]
    src = write_jsonl(tmp_path / "night.jsonl", rows)
    with pytest.raises(ConflictError, match="'p-0' appears twice in the batch"):
        ingest_files(store, [src], agreement, chunk_size=2, now=NOW, entered_by=OPERATOR)
    assert store.count_reports() == 0
    # Within one chunk it is a problem of the later row, as parse_file has it.
    with pytest.raises(InputError, match=r"was used with other content at night\.jsonl:row 1"):
        ingest_files(store, [src], agreement, chunk_size=10, now=NOW, entered_by=OPERATOR)


def test_exact_repeats_are_no_ops_within_and_across_chunks(
    tmp_path: Path, store: Store, agreement: Agreement
) -> None:
    rows = [report(0), report(0), report(1), report(0)]
    src = write_jsonl(tmp_path / "night.jsonl", rows)
    result = ingest_files(store, [src], agreement, chunk_size=2, now=NOW, entered_by=OPERATOR)
    # row 2 repeats row 1 in its chunk (dropped); row 4 repeats a stored report (unchanged)
    assert (result.added, result.unchanged) == (2, 1)
    again = ingest_files(store, [src], agreement, chunk_size=2, now=NOW, entered_by=OPERATOR)
    assert (again.added, again.unchanged) == (0, 3)


def test_progress_counts_rows_up_to_the_lines_in_the_files(
    tmp_path: Path, store: Store, agreement: Agreement
) -> None:
    src = write_jsonl(tmp_path / "night.jsonl", [report(i) for i in range(5)])
    bar = RecordingProgress()
    ingest_files(store, [src], agreement, chunk_size=2, progress=bar, now=NOW, entered_by=OPERATOR)
    assert bar.total == 5
    assert bar.completed == [2, 4, 5, 5]
    assert bar.descriptions == ["ingesting night.jsonl"]


def test_progress_of_a_csv_ends_at_its_line_count(
    tmp_path: Path, store: Store, agreement: Agreement
) -> None:
    src = tmp_path / "patrol.csv"
    src.write_text(
        "id,submitted_by,source_kind,observed_from,lon,lat,event_type\n"
        "c-1,mission,patrol,2026-03-10T21:00:00+00:00,37.6,48.5,shelling\n"
        "c-2,mission,patrol,2026-03-10T21:00:00+00:00,37.7,48.5,shelling",  # no last newline
        encoding="utf-8",
    )
    bar = RecordingProgress()
    result = ingest_files(store, [src], agreement, progress=bar, now=NOW, entered_by=OPERATOR)
    assert result.added == 2
    assert bar.total == 3 and bar.completed[-1] == 3


def test_observer_relative_reports_are_placed(
    tmp_path: Path, store: Store, agreement: Agreement
) -> None:
    observer = report(
        1,
        lon=None,
        lat=None,
        observer_lon=37.55,
        observer_lat=48.50,
        bearing_deg=90.0,
        distance_min_m=2000,
        distance_max_m=4000,
    )
    src = write_jsonl(tmp_path / "night.jsonl", [report(0), observer])
    ingest_files(store, [src], agreement, chunk_size=1, now=NOW, entered_by=OPERATOR)
    (stored,) = [s for s in store.list_stored() if s.report.id == "p-1"]
    assert stored.lon == pytest.approx(37.59, abs=0.01)  # 3 km east of the observer
    assert stored.placement is not None
    assert stored.placement["party"] in {"UA", "RU"}
    assert isinstance(stored.placement["distance_m"], float)


def test_placement_rows_match_placement_row(agreement: Agreement) -> None:
    engine = GeoEngine(agreement)
    rng = np.random.default_rng(3)
    placement = engine.classify(rng.uniform(37.0, 38.5, 300), rng.uniform(47.5, 49.0, 300))
    assert any(z.any() for z in placement.zones.values())  # some points are in a zone
    assert placement.rows() == [placement.row(i) for i in range(300)]


def test_a_bulk_writer_commits_only_when_its_block_ends(store: Store, db_url: str) -> None:
    reports = [Report.model_validate(report(i), context={"now": NOW}) for i in range(4)]
    with store.bulk_writer() as writer:
        assert writer.add(reports[:2], entered_by=OPERATOR).added == 2
        assert (
            writer.add(reports[1:], entered_by=OPERATOR).added == 2
        )  # p-1 was added by this writer: unchanged
        with Store.open(db_url, migrate=False) as other:
            assert other.count_reports() == 0  # not committed yet
    assert store.count_reports() == 4

    with pytest.raises(RuntimeError), store.bulk_writer() as writer:
        writer.add([Report.model_validate(report(9), context={"now": NOW})], entered_by=OPERATOR)
        raise RuntimeError("the caller failed")
    assert store.count_reports() == 4


def test_a_conflict_leaves_the_bulk_writer_usable(store: Store) -> None:
    first = Report.model_validate(report(0), context={"now": NOW})
    other = Report.model_validate(report(0, event_type="small_arms"), context={"now": NOW})
    with store.bulk_writer() as writer:
        writer.add([first], entered_by=OPERATOR)
        with pytest.raises(ConflictError, match="appears twice in the batch"):
            writer.add(
                [other], entered_by=OPERATOR
            )  # checked before anything of the batch is written
        writer.add([Report.model_validate(report(1), context={"now": NOW})], entered_by=OPERATOR)
    assert store.count_reports() == 2


def test_a_failed_insert_rolls_the_block_back_even_if_caught(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = Report.model_validate(report(0), context={"now": NOW})
    with store.bulk_writer() as writer:
        writer.add([good], entered_by=OPERATOR)
    dialect = store._dialect

    def fail(*_: object) -> None:
        raise OSError("disk full")

    with pytest.raises(StoreError, match="nothing stored"), store.bulk_writer() as writer:
        writer.add([Report.model_validate(report(1), context={"now": NOW})], entered_by=OPERATOR)
        monkeypatch.setattr(dialect, "insert_reports", fail)
        with pytest.raises(OSError):
            writer.add(
                [Report.model_validate(report(2), context={"now": NOW})], entered_by=OPERATOR
            )
    assert store.count_reports() == 1


# --- places the agreement cannot hold ------------------------------------------------------------


@pytest.mark.parametrize(
    ("lon", "lat", "case"),
    [(-37.71, 48.50, "sign typo"), (48.50, 37.60, "swapped"), (0.0, 0.0, "null island")],
)
def test_a_report_outside_the_declared_area_is_refused_naming_its_row(
    tmp_path: Path, store: Store, agreement: Agreement, lon: float, lat: float, case: str
) -> None:
    path = write_jsonl(tmp_path / "r.jsonl", [report(1), report(2, lon=lon, lat=lat)])
    with pytest.raises(InputError) as caught:
        ingest_files(store, [path], agreement, now=NOW, entered_by=OPERATOR)
    (problem,) = caught.value.problems
    assert (problem.where, problem.field) == ("r.jsonl:row 2", "lon/lat")
    assert "outside the agreement's declared area" in problem.reason
    assert store.count_reports() == 0


def test_skip_invalid_leaves_out_a_report_outside_the_area(
    tmp_path: Path, store: Store, agreement: Agreement
) -> None:
    path = write_jsonl(tmp_path / "r.jsonl", [report(1), report(2, lon=-37.71), report(3)])
    result = ingest_files(store, [path], agreement, now=NOW, skip_invalid=True, entered_by=OPERATOR)
    assert (result.added, result.bad_rows) == (2, 1)
    assert [(p.where, p.field) for p in result.problems] == [("r.jsonl:row 2", "lon/lat")]
    assert store.count_reports() == 2


def test_place_reports_refuses_a_point_outside_the_area_naming_the_report(
    agreement: Agreement,
) -> None:
    from ceasefire.intake.validation import validate_report
    from ceasefire.pipeline import place_reports

    bad = validate_report(report(7, lon=-37.71), where="api", now=NOW)
    with pytest.raises(InputError) as caught:
        place_reports(GeoEngine(agreement), [bad])
    assert [(p.where, p.field) for p in caught.value.problems] == [("report 'p-7'", "lon/lat")]
