"""Coverage records in the store: the mission's only, stored once, every row logged (each backend)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from backends import raw
from ceasefire import ledger
from ceasefire.coverage import read_line, to_dict
from ceasefire.errors import ConflictError, ForbiddenError, InputError
from ceasefire.publish.access import Principal
from ceasefire.store.facade import Store

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
DAY = datetime(2026, 11, 20, tzinfo=UTC)
MONITOR = Principal("monitor-3", "monitor")
MEDIATOR = Principal("mediator-1", "mediator")
UA = Principal("ua-liaison", "party", "UA")
PUBLIC = Principal("anyone", "public")
PARTIES = ("RU", "UA")


def at(hours: float) -> str:
    return (DAY + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def status(rid: str = "s1", state: str = "up", **over: Any) -> dict[str, Any]:
    return {"kind": "sensor_status", "id": rid, "status": state, "start": at(6), "end": at(12),
            "sensor": {"id": "CAM-07", "kind": "camera", "lon": 37.5, "lat": 48.5,
                       "footprint": {"shape": "ring", "range_m": 3000.0}}, **over}  # fmt: skip


PATROL = {"kind": "patrol", "id": "P-4", "mode": "actual", "width_m": 500.0,
          "start": at(8), "end": at(9),
          "route": [{"lon": 37.5, "lat": 48.5, "at": at(8)}, {"lon": 37.6, "lat": 48.5, "at": at(9)}]}  # fmt: skip
PLAN = {
    **PATROL,
    "mode": "planned",
    "route": [{"lon": 37.5, "lat": 48.5}, {"lon": 37.6, "lat": 48.5}],
}
RESTRICTION = {"kind": "restriction", "id": "r1", "at": at(9.5), "lon": 37.55, "lat": 48.5,
               "by": "RU", "reason": "mines not cleared", "patrol": "P-4"}  # fmt: skip


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store.open(db_url) as opened:
        yield opened


def test_the_mission_stores_each_kind_logged_with_who_entered_it(store: Store) -> None:
    records = [read_line(x) for x in (status(), PATROL, PLAN, RESTRICTION)]
    added = store.add_coverage(records, by=MONITOR, parties=PARTIES, at=NOW)
    assert added.stored == ("sensor_status/s1", "patrol/P-4/actual", "patrol/P-4/planned",
                            "restriction/r1")  # fmt: skip
    (entry,) = store.ledger_entries("sensor/s1")
    assert entry.kind == "sensor_status"
    assert '"entered_by":{"name":"monitor-3","party":null,"role":"monitor"}' in entry.body
    assert '"CAM-07"' in entry.body
    assert [e.kind for e in store.ledger_entries("patrol/P-4/planned")] == ["patrol"]
    assert [e.kind for e in store.ledger_entries("restriction/r1")] == ["restriction"]
    leaves = store.coverage_leaves(by=MEDIATOR, start=DAY, end=DAY + timedelta(days=1))
    assert [k for k, _ in leaves] == ["sensor_status", "patrol", "patrol", "restriction"]
    assert leaves[0][1]["sensor_status"] == to_dict(records[0])
    assert store.coverage_records(by=MONITOR, start=DAY, end=DAY + timedelta(days=1)) == records
    ledger.audit(store)


def test_the_window_selects_what_overlaps_it(store: Store) -> None:
    store.add_coverage([read_line(x) for x in (status(), RESTRICTION)], by=MONITOR, at=NOW)
    late = store.coverage_leaves(by=MONITOR, start=DAY + timedelta(hours=10),
                                 end=DAY + timedelta(hours=11))  # fmt: skip
    assert [k for k, _ in late] == ["sensor_status"]
    after = store.coverage_leaves(by=MONITOR, start=DAY + timedelta(hours=12), end=NOW)
    assert after == []


def test_storing_again_changes_nothing_and_other_content_conflicts(store: Store) -> None:
    store.add_coverage([read_line(status())], by=MONITOR, at=NOW)
    again = store.add_coverage([read_line(status())], by=MONITOR, at=NOW)
    assert again == type(again)((), ("sensor_status/s1",))
    with pytest.raises(ConflictError, match="other content"):
        store.add_coverage([read_line(status("s2")), read_line(status(state="down"))],
                           by=MONITOR, at=NOW)  # fmt: skip
    # All or nothing: s2 of the refused batch is not stored either.
    assert [r.id for r in store.coverage_records(by=MONITOR, start=DAY, end=NOW)] == ["s1"]
    with pytest.raises(InputError, match="given twice"):
        store.add_coverage([read_line(status("s3")), read_line(status("s3"))], by=MONITOR, at=NOW)


def test_a_restriction_names_a_party_of_the_agreement(store: Store) -> None:
    with pytest.raises(InputError) as caught:
        store.add_coverage([read_line({**RESTRICTION, "by": "XX"})], by=MONITOR,
                           parties=PARTIES, at=NOW)  # fmt: skip
    assert caught.value.problems[0].field == "by"
    assert store.coverage_records(by=MONITOR, start=DAY, end=NOW) == []


@pytest.mark.parametrize("who", [UA, PUBLIC])
def test_a_party_and_the_public_neither_write_nor_read(store: Store, who: Principal) -> None:
    store.add_coverage([read_line(status())], by=MONITOR, at=NOW)
    with pytest.raises(ForbiddenError, match="may not enter sensor status"):
        store.add_coverage([read_line(status("s9"))], by=who, at=NOW)
    with pytest.raises(ForbiddenError, match="may not read sensor positions"):
        store.coverage_leaves(by=who, start=DAY, end=NOW)
    with pytest.raises(ForbiddenError):
        store.add_coverage([read_line(status("s9"))], by=MEDIATOR, at=NOW)


@pytest.mark.parametrize(
    ("table", "record_id", "edit"),
    [
        ("sensor_status", "sensor/s1", "UPDATE sensor_status SET body = replace(body, '3000.0', '30000.0')"),
        ("patrols", "patrol/P-4/actual", "UPDATE patrols SET body = replace(body, '500.0', '5000.0')"),
        ("restrictions", "restriction/r1", "UPDATE restrictions SET entered_by = 'someone-else'"),
    ],
)  # fmt: skip
def test_an_edited_coverage_row_fails_the_audit(
    store: Store, table: str, record_id: str, edit: str
) -> None:
    store.add_coverage([read_line(x) for x in (status(), PATROL, RESTRICTION)], by=MONITOR, at=NOW)
    ledger.audit(store)
    (entry,) = store.ledger_entries(record_id)
    with raw(store) as conn:
        conn.execute(edit)
    with pytest.raises(Exception) as caught:
        ledger.audit(store)
    assert f"first bad entry: {entry.idx}" in str(caught.value)
