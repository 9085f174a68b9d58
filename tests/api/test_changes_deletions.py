"""The change feed's deletions and proofs: a retraction and a superseded violation are
``"op": "delete"`` changes (a merge too: tests/store/test_store_changes.py); with ``proofs=true`` each change the caller may have whole carries
its inclusion bundle in the latest signed checkpoint, checked here offline by
:func:`ceasefire.ledger.verify_bundle`; a party never meets the other party's retractions, the
public only what concerns released incidents; paging by ``since`` is exact."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from test_changes import _events
from test_service import AGREEMENT, V1, log_verifier

from backends import copy_sqlite
from ceasefire import ledger
from ceasefire.api import create_app
from ceasefire.errors import VerificationError
from ceasefire.geo.engine import GeoEngine
from ceasefire.publish.access import Principal, concerns
from ceasefire.store.facade import Store

MONITOR = Principal("chg-monitor", "monitor")


class Feed:
    """A copy of the demo behind one app, a user of each role, and the log's key to sign."""

    def __init__(self, store: Store, engine: GeoEngine, keys: Path) -> None:
        self.store = store
        self.client = TestClient(create_app(store, AGREEMENT, engine=engine))
        self.headers: dict[str, dict[str, str]] = {"public": {}}
        for name, role, party in (("monitor", "monitor", None), ("UA", "party", "UA"),
                                  ("RU", "party", "RU")):  # fmt: skip
            token = store.add_user(f"chg-{name}", role, party)
            self.headers[name] = {"Authorization": f"Bearer {token}"}
        self.signer = ledger.read_signer(keys / "log.key")

    def sign(self) -> None:
        ledger.sign_checkpoint(self.store, self.signer)

    def last(self) -> int:
        return self.store.ledger_state().size - 1

    def retract(self, role: str, report_id: str) -> None:
        r = self.client.post(
            f"{V1}/reports/{quote(report_id, safe='')}/retract",
            json={"reason": f"withdrawn by {role} in a test"},
            headers=self.headers[role],
        )
        assert r.status_code == 200, r.text

    def walk(
        self, role: str, since: int, limit: int = 500, proofs: bool = True
    ) -> tuple[list[dict[str, Any]], list[str]]:
        """Every change after ``since`` the role sees, following the cursor; every answer's text."""
        items: list[dict[str, Any]] = []
        texts: list[str] = []
        while True:
            params = {"since": since, "limit": limit, "proofs": str(proofs).lower()}
            r = self.client.get(f"{V1}/changes", params=params, headers=self.headers[role])
            assert r.status_code == 200, r.text
            texts.append(r.text)
            body = r.json()
            items += body["items"]
            if body["since"] == since:
                return items, texts
            since = body["since"]


@pytest.fixture
def feed(demo_dir: Path, tmp_path: Path, engine: GeoEngine) -> Iterator[Feed]:
    with Store.open(copy_sqlite(demo_dir / "demo.db", tmp_path)) as store:
        yield Feed(store, engine, demo_dir / "demo-keys")


def verified(change: dict[str, Any], store: Store) -> None:
    """The change's bundle verifies offline with the log's key alone, and is the change's leaf."""
    bundle = change["proof"]
    assert bundle is not None, change
    done = ledger.verify_bundle(bundle, log_verifier(store))
    assert bundle["leafIdx"] == change["idx"] and done.size == bundle["treeSize"]
    assert (bundle["record"]["kind"], bundle["record"]["id"]) == (
        change["kind"],
        change["record_id"],
    )


def _judged_incident(store: Store, party: str) -> str:
    """An incident with current violations that concerns ``party`` and not the other."""
    other = "RU" if party == "UA" else "UA"
    judged = {v.incident_id for v in store.list_violations()}
    rows = {s.incident_id: s.to_dict() for s in store.list_incidents() if s.incident_id in judged}
    against = store.violation_parties(list(rows))
    return next(
        i
        for i, d in rows.items()
        if i not in store.releases()
        and concerns(d, party, against.get(i, ()))
        and not concerns(d, other, against.get(i, ()))
    )


def test_a_retraction_and_a_supersession_are_deletions_whose_proofs_verify(feed: Feed) -> None:
    store = feed.store
    target = _judged_incident(store, "UA")
    reports = list(store.get_incident(target).incident.report_ids)
    standing = sorted(v.seq for v in store.list_violations(incident_id=target))
    assert reports and standing
    store.release_incident(target, full=True, by="chg-test")  # so that the public reads it
    last = feed.last()
    for rid in reports:  # every report withdrawn: the incident too, its violations superseded
        feed.retract("monitor", rid)
    feed.sign()
    items, _ = feed.walk("monitor", last)
    deletions = [c for c in items if c["op"] == "delete"]
    assert {c["report_id"] for c in deletions if c["kind"] == "retraction"} == set(reports)
    assert all(c["deleted"] == {"type": "report", "id": c["report_id"]}
               for c in deletions if c["kind"] == "retraction")  # fmt: skip
    superseded = [c for c in deletions if c["kind"] == "violation_superseded"]
    assert sorted(c["deleted"]["id"] for c in superseded) == standing
    assert {c["incident_id"] for c in superseded} == {target}
    assert all(c["op"] == "upsert" for c in items if c["kind"] == "status_change")
    for change in items:
        verified(change, store)
    # A changed record no longer verifies.
    forged = copy.deepcopy(deletions[0]["proof"])
    forged["record"]["record"]["reason"] = "it never happened"
    with pytest.raises(VerificationError, match="leafHash"):
        ledger.verify_bundle(forged, log_verifier(store))
    # The public, for whom the incident is released: the supersessions, proved (the mark says
    # no more than its violation list does), never a retraction, and no times.
    public, _ = feed.walk("public", last)
    assert [c["kind"] for c in public if c["op"] == "delete"] == ["violation_superseded"] * len(
        standing
    )
    assert all("at" not in c for c in public)
    for change in public:
        if change["kind"] == "violation_superseded":
            verified(change, store)
    # Without proofs=true no proof is carried.
    plain, _ = feed.walk("monitor", last, proofs=False)
    assert [c["idx"] for c in plain] == [c["idx"] for c in items]
    assert all("proof" not in c for c in plain)


def test_a_party_sees_its_own_retractions_never_the_others(feed: Feed) -> None:
    store = feed.store
    ua = sorted(r.id for r in store.list_reports() if r.submitted_by == "UA")
    ru = sorted(r.id for r in store.list_reports() if r.submitted_by == "RU")
    last = feed.last()
    feed.retract("UA", ua[0])
    feed.retract("RU", ru[0])
    feed.retract("monitor", ua[1])  # the mission retracts a UA report: UA is told, with why
    feed.retract("monitor", ru[1])
    feed.sign()
    seen, texts = feed.walk("UA", last)
    retracted = [c for c in seen if c["kind"] == "retraction"]
    assert [c["report_id"] for c in retracted] == [ua[0], ua[1]]
    for change in retracted:
        verified(change, store)
        assert change["proof"]["record"]["record"]["report_id"] == change["report_id"]
    blob = "".join(texts)
    assert ru[0] not in blob and ru[1] not in blob
    others, _ = feed.walk("RU", last)
    assert [c["report_id"] for c in others if c["kind"] == "retraction"] == [ru[0], ru[1]]
    assert [c for c in feed.walk("public", last)[0] if c["kind"] == "retraction"] == []
    mission = [c for c in feed.walk("monitor", last)[0] if c["kind"] == "retraction"]
    assert [c["report_id"] for c in mission] == [ua[0], ru[0], ua[1], ru[1]]
    # The inclusion route agrees with the feed: UA proves its own retraction, not RU's.
    own = feed.client.get(
        f"{V1}/ledger/proof/inclusion",
        params={"record_id": f"retraction/{ua[0]}"},
        headers=feed.headers["UA"],
    )
    assert own.status_code == 200 and own.json() == retracted[0]["proof"]
    theirs = feed.client.get(
        f"{V1}/ledger/proof/inclusion",
        params={"record_id": f"retraction/{ru[0]}"},
        headers=feed.headers["UA"],
    )
    assert theirs.status_code == 404
    # The stream pushes the very same changes, proofs included.
    r = feed.client.get(
        f"{V1}/changes/stream",
        params={"since": last, "seconds": 0.5, "proofs": "true"},
        headers=feed.headers["UA"],
    )
    assert [json.loads(e["data"]) for e in _events(r.text)] == seen


@pytest.mark.parametrize("role", ["monitor", "UA", "public"])
def test_paging_by_since_misses_nothing_and_repeats_nothing(feed: Feed, role: str) -> None:
    """Small pages, with changes logged in the middle of the walk: the walk ends with exactly
    the changes one read of everything gives, each once, in log order."""
    ua = sorted(r.id for r in feed.store.list_reports() if r.submitted_by == "UA")
    # From 60 changes before the end of the mission's feed: many pages of 7 entries each.
    since = feed.walk("monitor", -1, proofs=False)[0][-60]["idx"]
    walked: list[dict[str, Any]] = []
    cursor = since
    for step in range(10_000):
        params = {"since": cursor, "limit": 7, "proofs": "true"}
        r = feed.client.get(f"{V1}/changes", params=params, headers=feed.headers[role])
        body = r.json()
        walked += body["items"]
        if step == 3:  # new entries while the walk is under way
            feed.retract("UA", ua[0])
            feed.sign()
        if body["since"] == cursor:
            break
        cursor = body["since"]
    everything, _ = feed.walk(role, since)
    idx = [c["idx"] for c in walked]
    assert idx == sorted(set(idx))
    # The proofs of a page are against the checkpoint of its moment: compare without them.
    strip = [{k: v for k, v in c.items() if k != "proof"} for c in walked]
    assert strip == [{k: v for k, v in c.items() if k != "proof"} for c in everything]
    assert len(walked) > 7
    if role != "public":
        assert [c["report_id"] for c in walked if c["kind"] == "retraction"] == [ua[0]]
