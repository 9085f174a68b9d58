"""The hotline at wartime volume over HTTP (issue 16, section 3): a party acknowledges many
messages in one call, all or none; its inbox shows what it owes first; a digest reads and
alerts like any message it may read (a real store with the demo's traffic, the real app)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from test_service import AGREEMENT, V1, assert_error
from test_service_access import World

from backends import OPERATOR, copy_sqlite
from ceasefire.geo.engine import GeoEngine
from ceasefire.pipeline import fuse_store, ingest_files
from ceasefire.store.facade import Store

HL = f"{V1}/hotline"
CAP = {"c": "urn:oasis:names:tc:emergency:cap:1.2"}


@pytest.fixture
def world(demo_dir: Path, tmp_path: Path, engine: GeoEngine) -> Iterator[World]:
    with Store.open(copy_sqlite(demo_dir / "demo.db", tmp_path)) as store:
        yield World(store, engine)


@pytest.fixture
def night(demo_dir: Path, tmp_path: Path, engine: GeoEngine) -> Iterator[World]:
    """The demo's night ingested and fused into a fresh store, the service's scheduler ticked
    once: every notification of the night open."""
    with Store.open(tmp_path / "night.db") as store:
        ingest_files(
            store, [demo_dir / "demo-night" / "reports.jsonl"], AGREEMENT, entered_by=OPERATOR
        )
        fuse_store(store, [AGREEMENT])
        yield World(store, engine)


def test_the_issues_example_one_digest_and_one_call_for_hundreds(night: World) -> None:
    """Issue 16: a batch of reports left a party with hundreds of notifications, each due in
    15 minutes and acknowledged by as many calls. Now: one digest, one call."""
    w = night
    notes = _open_notes(w, "UA")
    assert len(notes) >= 200
    digests = w.get("UA", f"{HL}/messages", params={"kind": "digest"}).json()["messages"]
    assert len(digests) == 1 and set(digests[0]["items"]) == set(notes)
    r = _ack(w, "UA", notes)
    assert r.status_code == 201, r.text
    assert r.json()["acknowledged"] == len(notes) and _open_notes(w, "UA") == []
    owed = w.get("UA", f"{HL}/messages", params={"order": "owed", "limit": 5}).json()
    # What UA still owes first: the tick's line check; then its notifications, acknowledged,
    # by their answer deadlines.
    assert [m["kind"] for m in owed["messages"]] == ["line_check", *["notification"] * 4]
    assert [m["state"] for m in owed["messages"]] == ["open", *["acknowledged"] * 4]


def _open_notes(w: World, party: str) -> list[str]:
    found = w.store.hotline_messages(
        datetime.now(UTC), address=party, kind="notification", limit=None
    )
    return [s.message.id for s in found if s.of(party).acknowledged_at is None]


def _ack(w: World, role: str, ids: list[Any]) -> Any:
    return w.client.post(f"{HL}/messages/ack", json={"ids": ids}, headers=w.headers[role])


def test_a_party_acknowledges_many_messages_in_one_call(world: World) -> None:
    w = world
    ids = _open_notes(w, "UA")
    assert len(ids) >= 2
    size = w.store.ledger_state().size
    r = _ack(w, "UA", ids)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["acknowledged"] == len(ids)
    assert [m["id"] for m in body["messages"]] == ids
    assert all(m["acknowledged_at"] for m in body["messages"])
    # Each acknowledgement logged on its own, as one call per message would have.
    assert w.store.ledger_state().size == size + len(ids)
    for message_id in ids:
        (entry,) = w.store.ledger_entries(f"hotline/{message_id}.ack.UA")
        assert entry.kind == "hotline_message"
    assert _open_notes(w, "UA") == []
    # Again: nothing new, 200.
    again = _ack(w, "UA", ids)
    assert again.status_code == 200 and again.json()["acknowledged"] == 0


def test_bulk_acknowledgement_is_all_or_none_and_names_the_id_that_fails(world: World) -> None:
    w = world
    ua = _open_notes(w, "UA")[:3]
    ru = _open_notes(w, "RU")[0]
    size = w.store.ledger_state().size
    # RU's notification is one UA may not read: refused as missing, named, and nothing stored.
    error = assert_error(_ack(w, "UA", [*ua, ru]), 404)
    assert ru in error["message"] and f"ids[{len(ua)}]" in error["message"]
    # The same answer as an id that does not exist at all: nothing tells them apart.
    missing = assert_error(_ack(w, "UA", [*ua, "sys:n.INC-999999.RU"]), 404)
    assert error["message"].replace(ru, "X") == missing["message"].replace(
        "sys:n.INC-999999.RU", "X"
    )
    # A message UA sent itself: it may read it, but nobody asked UA to acknowledge it.
    sent = w.client.post(
        f"{HL}/messages",
        json={"kind": "query", "recipients": ["RU"], "subject": "Ours", "id": "q-bulk"},
        headers=w.headers["UA"],
    )
    assert sent.status_code == 201
    assert "UA:q-bulk" in assert_error(_ack(w, "UA", [ua[0], "UA:q-bulk"]), 403)["message"]
    # A digest asks for no reply: its items are what is acknowledged.
    digests = w.store.hotline_messages(datetime.now(UTC), address="UA", kind="digest")
    assert digests, "the demo's night gives UA a digest"
    bad = assert_error(_ack(w, "UA", [ua[0], digests[0].message.id]), 422)
    assert bad["problems"][0]["field"] == "ids[1]"
    # Bad ids are named before anything is looked up.
    bad = assert_error(_ack(w, "UA", [ua[0], "bad\nid"]), 422)
    assert bad["problems"][0]["field"] == "ids[1]"
    assert_error(_ack(w, "UA", []), 422)
    assert_error(_ack(w, "UA", "sys:n.x"), 422)
    # Nothing of any of these was stored.
    assert w.store.ledger_state().size == size + 1  # UA's own query only
    assert _open_notes(w, "UA")[:3] == ua


def test_the_inbox_in_owed_order_puts_the_nearest_deadline_first(world: World) -> None:
    w = world
    first = w.get("UA", f"{HL}/messages", params={"order": "owed", "limit": 50})
    assert first.status_code == 200, first.text
    page = first.json()["messages"]
    owed = [m for m in page if m["state"] not in ("answered", None) and m["sender"] != "UA"]
    assert owed and page[: len(owed)] == owed  # everything owed before anything else

    def next_due(m: dict[str, Any]) -> str:
        return str(m["answer_due"] if m["acknowledged_at"] else m["ack_due"])

    dues = [datetime.fromisoformat(next_due(m)) for m in owed]
    assert dues == sorted(dues)
    # Paging walks the same order.
    second = w.client.get(first.json()["next"], headers=w.headers["UA"])
    assert second.status_code == 200
    whole = w.get("UA", f"{HL}/messages", params={"order": "owed", "limit": 100}).json()
    assert [m["id"] for m in page + second.json()["messages"]] == [
        m["id"] for m in whole["messages"]
    ]
    # The stored order stays the default, and each order pages its own way.
    assert_error(w.get("UA", f"{HL}/messages?order=oldest"), 422)
    assert_error(w.get("UA", f"{HL}/messages?order=owed&after=3"), 422)
    assert_error(w.get("UA", f"{HL}/messages?offset=3"), 422)


def test_a_digest_reads_and_alerts_only_for_its_party(world: World) -> None:
    w = world
    (digest, *_) = w.store.hotline_messages(datetime.now(UTC), address="UA", kind="digest")
    d = digest.message
    got = w.get("UA", f"{HL}/messages/{d.id}")
    assert got.status_code == 200 and got.json()["items"] == list(d.items)
    assert got.json()["state"] is None
    assert_error(w.get("RU", f"{HL}/messages/{d.id}"), 404)
    alert = w.get("UA", f"{HL}/messages/{d.id}/cap")
    assert alert.status_code == 200
    xml = etree.fromstring(alert.content)
    items = xml.xpath("//c:parameter[c:valueName='item']/c:value/text()", namespaces=CAP)
    assert items == list(d.items)
