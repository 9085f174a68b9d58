"""Group commit (ceasefire.api.committer): single reports sent together share a transaction, and
each keeps the answer it would have had alone. On SQLite and on PostgreSQL (db_url)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from backends import OPERATOR
from ceasefire.api.committer import GroupCommitter, Stored
from ceasefire.errors import ConflictError
from ceasefire.geo.engine import GeoEngine
from ceasefire.intake.report import Report
from ceasefire.ledger.auditor import audit
from ceasefire.store.facade import Store


def make(i: int, **change: Any) -> Report:
    row: dict[str, Any] = {
        "id": f"gc-{i}",
        "submitted_by": "mission",
        "source_kind": "patrol",
        "source_name": "team 2",
        "observed_from": "2026-03-10T21:00:00+00:00",
        "lon": 37.6 + i * 0.001,
        "lat": 48.5,
        "uncertainty_m": 150,
        "event_type": "shelling",
        "count": 2,
    }
    row.update(change)
    return Report.model_validate(row)


async def submit_all(committer: GroupCommitter, reports: list[Report]) -> list[Any]:
    """Submit all at once; each answer, or the exception it raised."""
    return await asyncio.gather(
        *(committer.submit(r, entered_by=OPERATOR) for r in reports), return_exceptions=True
    )


@pytest.fixture
def store(db_url: str) -> Any:
    with Store.open(db_url) as opened:
        yield opened


def test_reports_sent_together_share_transactions_and_all_are_stored(
    store: Store, engine: GeoEngine
) -> None:
    committer = GroupCommitter(store, engine)
    reports = [make(i) for i in range(200)]
    answers = asyncio.run(submit_all(committer, reports))
    committer.close()
    assert all(isinstance(a, Stored) and a.added for a in answers)
    assert [a.stored.report.id for a in answers] == [r.id for r in reports]
    # Each answer carries the placement the store holds for that report.
    for answer in answers[:5]:
        assert answer.stored.placement == store.get_placement(answer.stored.report.id)
        assert answer.stored.placement["party"] in ("RU", "UA")
    assert store.count_reports() == 200
    # 200 reports in far fewer transactions than reports: groups formed.
    assert committer.groups < 200
    assert store.ledger_state().size == 200
    assert audit(store).problems == []


def test_a_refused_report_does_not_refuse_the_others_of_its_group(
    store: Store, engine: GeoEngine
) -> None:
    store.add_reports([make(5)], entered_by=OPERATOR)
    committer = GroupCommitter(store, engine)
    clash = make(5, count=9)  # the stored id with other content
    reports = [make(1), make(2), clash, make(3), make(5)]
    answers = asyncio.run(submit_all(committer, reports))
    committer.close()
    assert isinstance(answers[2], ConflictError)
    assert [a.added for i, a in enumerate(answers) if i != 2] == [True, True, True, False]
    assert answers[4].stored.report == make(5)
    assert sorted(r.id for r in store.list_reports()) == ["gc-1", "gc-2", "gc-3", "gc-5"]
    assert store.get_report("gc-5").count == 2


def test_the_same_id_twice_at_once_is_one_report_then_a_repeat_or_a_conflict(
    store: Store, engine: GeoEngine
) -> None:
    committer = GroupCommitter(store, engine)
    same = asyncio.run(submit_all(committer, [make(7), make(7)]))
    assert [a.added for a in same] == [True, False]
    other = asyncio.run(submit_all(committer, [make(8), make(8, count=4)]))
    committer.close()
    assert other[0].added is True
    assert isinstance(other[1], ConflictError)
    assert store.get_report("gc-8").count == 2
    assert store.count_reports() == 2


def test_close_stores_what_waits_and_then_refuses(store: Store, engine: GeoEngine) -> None:
    committer = GroupCommitter(store, engine)

    async def go() -> None:
        pending = [
            asyncio.ensure_future(committer.submit(make(i), entered_by=OPERATOR)) for i in range(20)
        ]
        await asyncio.sleep(0)  # all twenty are waiting
        await asyncio.to_thread(committer.close)
        # close() returned after the writer stored them; the answers reach the tasks next.
        answers = await asyncio.wait_for(asyncio.gather(*pending), 60)
        assert all(answer.added for answer in answers)
        with pytest.raises(RuntimeError, match="closed"):
            await committer.submit(make(99), entered_by=OPERATOR)

    asyncio.run(go())
    assert store.count_reports() == 20


def test_callers_on_different_event_loops_get_their_own_answers(
    store: Store, engine: GeoEngine
) -> None:
    # TestClient without a `with` block runs each request on a loop of its own.
    committer = GroupCommitter(store, engine)
    first = asyncio.run(committer.submit(make(1), entered_by=OPERATOR))
    second = asyncio.run(committer.submit(make(2), entered_by=OPERATOR))
    committer.close()
    assert (first.stored.report.id, second.stored.report.id) == ("gc-1", "gc-2")


def test_max_group_is_at_least_one(store: Store, engine: GeoEngine) -> None:
    with pytest.raises(ValueError, match="max_group"):
        GroupCommitter(store, engine, max_group=0)
