"""The change feed's deletions as the store reads them (every backend): a merge, a retraction
and a superseded violation are deletions, each with the leaf text its proof is built from; the
bundles of a page verify against one checkpoint; the current violations page by number."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from test_store_incidents import RUN1, RUN2, incident, report, violation

from backends import OPERATOR
from ceasefire import ledger
from ceasefire.ledger.notes import Signer
from ceasefire.publish.access import Principal
from ceasefire.publish.visibility import Viewer
from ceasefire.store.facade import Store

MONITOR = Principal("chg-monitor", "monitor")


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """Reports r1..r5 by the mission and u1 by UA; incidents INC-000001 (r1, u1) and
    INC-000002 (r2), INC-000003 (r3) merged into INC-000001 by a second run; a violation of
    INC-000001 and one of INC-000002."""
    opened = Store.open(db_url)
    opened.add_reports(
        [report(f"r{i}") for i in range(1, 6)] + [report("u1", "UA", "UA General Staff")],
        entered_by=OPERATOR,
    )
    first = [incident("r1", ["r1", "u1"]), incident("r2", ["r2"], minutes=60),
             incident("r3", ["r3"], minutes=90)]  # fmt: skip
    opened.save_incidents(first, at=RUN1)
    opened.save_incidents(
        [incident("r1", ["r1", "u1", "r3"]), incident("r2", ["r2"], minutes=60)], at=RUN2
    )
    keys = {"r1": "INC-000001", "r2": "INC-000002"}
    opened.save_violations(
        [violation("r1"), violation("r2", evidence=("r2",))],
        incident_ids=keys, judged=list(keys.values()), agreement_id="demo",
        agreement_version=1, at=RUN2,
    )  # fmt: skip
    yield opened
    opened.close()


def test_a_merge_a_retraction_and_a_supersession_are_deletions(store: Store) -> None:
    merged = [c for c in store.changes() if c.kind == "incident" and c.merged_into]
    assert [(c.incident_id, c.merged_into) for c in merged] == [("INC-000003", "INC-000001")]
    assert merged[0].to_dict()["op"] == "delete"
    assert merged[0].to_dict()["deleted"] == {"type": "incident", "id": "INC-000003"}
    upserts = [c for c in store.changes() if c.kind == "incident" and not c.merged_into]
    assert upserts and {c.to_dict()["op"] for c in upserts} == {"upsert"}
    last = store.ledger_state().size - 1
    # INC-000002's only report withdrawn: the incident is withdrawn, its violation superseded.
    store.retract_report("r2", by=MONITOR, reason="the patrol misread the map")
    new = store.changes(last)
    assert [(c.kind, c.to_dict()["op"]) for c in new] == [
        ("retraction", "delete"),
        ("status_change", "upsert"),
        ("violation_superseded", "delete"),
    ]
    retraction, _, mark = new
    assert retraction.to_dict()["deleted"] == {"type": "report", "id": "r2"}
    assert retraction.incident_id is None and "incident_id" not in retraction.to_dict()
    seq = store.list_violations(incident_id="INC-000002", include_superseded=True)[0].seq
    assert mark.to_dict()["deleted"] == {"type": "violation", "id": seq}
    assert mark.incident_id == "INC-000002"
    # Each change's entry is its leaf as logged: proved, the bundles verify offline.
    signer = Signer.generate("chg.test/log")
    ledger.sign_checkpoint(store, signer)
    bundles = ledger.prove_entries(store, [c.entry for c in store.changes()])
    assert sorted(bundles) == [c.idx for c in store.changes()]
    for c in store.changes():
        assert ledger.verify_bundle(bundles[c.idx], signer.verifier()).size == (
            store.ledger_state().size
        )
        assert bundles[c.idx]["record"]["record"] == c.record
    assert bundles[mark.idx] == ledger.prove(store, f"#{mark.idx}")  # one way to build them
    # Entries the latest checkpoint does not cover yet have no bundle.
    store.retract_report("r4", by=MONITOR, reason="a duplicate")
    latest = store.changes(store.ledger_state().size - 2)
    assert ledger.prove_entries(store, [c.entry for c in latest]) == {}


def test_a_merge_names_the_incident_it_went_into_only_to_who_may_read_it(store: Store) -> None:
    store.release_incident("INC-000003", full=True, by="chg-test")  # the absorbed one only
    public = Viewer(Principal("chg-public", "public"), store)
    seen = [d for d in public.changes(store.changes()) if d["kind"] == "incident"]
    assert [(d["incident_id"], d["op"], d["merged_into"]) for d in seen if d["op"] == "delete"] == [
        ("INC-000003", "delete", None)
    ]
    assert {d["incident_id"] for d in seen} == {"INC-000003"}
    store.release_incident("INC-000001", full=True, by="chg-test")
    public = Viewer(Principal("chg-public", "public"), store)
    again = [d for d in public.changes(store.changes()) if d.get("merged_into")]
    assert [d["merged_into"] for d in again] == ["INC-000001"]


def test_current_violations_page_by_number_and_filter_by_their_incident(store: Store) -> None:
    store.save_incidents(
        [incident("r1", ["r1", "u1", "r3"]), incident("r2", ["r2"], minutes=60),
         incident("r4", ["r4"], minutes=120, lon=38.5, lat=47.1),
         incident("r5", ["r5"], minutes=180)], at=RUN2 + timedelta(hours=1),
    )  # fmt: skip
    keys = {"r4": "INC-000004", "r5": "INC-000005"}
    store.save_violations(
        [violation("r4"), violation("r4", rule="weapons_in_zone"), violation("r5")],
        incident_ids=keys, judged=list(keys.values()), agreement_id="demo",
        agreement_version=1, at=RUN2 + timedelta(hours=1),
    )  # fmt: skip
    current = sorted(v.seq for v in store.list_violations())
    walked: list[int] = []
    after = None
    while True:
        rows, matched = store.page_violations(limit=2, after=after)
        assert matched == len(current)
        walked += [v.seq for v in rows]
        if len(rows) < 2:
            break
        after = rows[-1].seq
    assert walked == current
    boxed, n = store.page_violations(bbox=(38.0, 47.0, 39.0, 47.5), limit=10)
    assert [v.incident_id for v in boxed] == ["INC-000004", "INC-000004"] and n == 2
    since = incident("r5", ["r5"], minutes=180).observed_from
    late, n = store.page_violations(since=since, limit=10, count=False)
    assert [v.incident_id for v in late] == ["INC-000005"] and n is None
    store.retract_report("r5", by=MONITOR, reason="withdrawn")
    assert "INC-000005" not in {v.incident_id for v in store.page_violations(limit=10)[0]}
    extent = store.violation_extent()
    assert extent[0] <= 37.6 and extent[2] == 38.5
