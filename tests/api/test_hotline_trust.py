"""The hotline cannot be gamed by a hostile party, and the views it reaches leak nothing.

Each test pins one way a party once gamed the channel through the API (a real store, the real
app): squatting the ids the mechanism would give its own messages, so that an escalation or the
other party's notification or line check was never sent; probing for hidden ids with 409s;
answering a message for another recipient; reading a released incident exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from test_service import AGREEMENT, V1
from test_service_access import World

from backends import copy_sqlite
from ceasefire.geo.engine import GeoEngine
from ceasefire.hotline import rules as hotline
from ceasefire.hotline.scheduler import Scheduler
from ceasefire.store.facade import Store

HL = f"{V1}/hotline"


@pytest.fixture
def world(demo_dir: Path, tmp_path: Path, engine: GeoEngine) -> Iterator[World]:
    with Store.open(copy_sqlite(demo_dir / "demo.db", tmp_path)) as store:
        yield World(store, engine)


def _send(w: World, role: str, **body: Any) -> Any:
    fields = {"kind": "query", "recipients": ["mission"], "subject": "Squatting", **body}
    return w.client.post(f"{HL}/messages", json=fields, headers=w.headers[role])


def _ids(w: World, role: str, **params: Any) -> dict[str, dict[str, Any]]:
    r = w.get(role, f"{HL}/messages", params={"limit": 1000, **params})
    assert r.status_code == 200, r.text
    return {m["id"]: m for m in r.json()["messages"]}


# -- 1. ids: the mechanism's cannot be taken, a caller's are its own ---------------------------


def test_a_party_cannot_squat_the_ids_of_the_mechanisms_messages(world: World) -> None:
    w = world
    now = datetime.now(UTC)
    later = now + timedelta(hours=7)  # past UA's notification's deadline, in the next period
    every = AGREEMENT.hotline.line_check_every
    slot = hotline.line_check_slot(later, AGREEMENT.effective_from, every)
    ru_check = hotline.line_check("RU", slot, AGREEMENT.hotline, later)
    asked = _send(w, "monitor", recipients=["UA"], subject="Shots at the bridge", id="ask-ua")
    assert asked.status_code == 201, asked.text
    own = hotline.Message.from_record(asked.json())
    # Everything a hostile UA can predict: the escalations and agenda item of a query it owes
    # (to keep its silence from the mediator), RU's next line check, an acknowledgement RU owes.
    ru_notes = w.store.hotline_messages(now, address="RU", kind="notification", limit=None)
    ru_note = next(m.message for m in ru_notes if m.progress.acknowledged_at is None)
    predicted = [
        hotline.escalation(own, 1, later).id,
        hotline.escalation(own, 2, later).id,
        hotline.agenda_for(own, later).id,
        ru_check.id,
        f"{ru_note.id}.ack.RU",
    ]
    for n, message_id in enumerate(predicted):
        sent = _send(w, "UA", id=message_id, text=f"squat {n}")
        assert sent.status_code == 201, sent.text
        assert sent.json()["id"] != message_id  # stored under UA's own name, not the mechanism's
    Scheduler(w.store, AGREEMENT).tick(later)
    escalations = _ids(w, "mediator", kind="escalation")
    assert any(
        e["in_reply_to"] == own.id and e["level"] == 1 and e["sender"] == "mission"
        for e in escalations.values()
    )
    checks = _ids(w, "RU", kind="line_check")
    assert any(c["id"] == ru_check.id and c["sender"] == "mission" for c in checks.values())
    acked = w.client.post(f"{HL}/messages/{ru_note.id}/ack", headers=w.headers["RU"])
    assert acked.status_code == 201, acked.text
    assert acked.json()["sender"] == "RU" and acked.json()["kind"] == "acknowledgement"


def test_a_callers_id_is_its_own_and_a_409_tells_nothing_of_others(world: World) -> None:
    w = world
    # The same id from two senders: two messages, each its sender's.
    ua = _send(w, "UA", id="q-1", text="from UA")
    ru = _send(w, "RU", id="q-1", text="from RU")
    assert ua.status_code == ru.status_code == 201, (ua.text, ru.text)
    assert ua.json()["id"] != ru.json()["id"]
    assert w.get("UA", f"{HL}/messages/{ru.json()['id']}").status_code == 404
    # A retry is a no-op; other content under one's own id is a 409.
    assert _send(w, "UA", id="q-1", text="from UA").status_code == 200
    assert _send(w, "UA", id="q-1", text="changed").status_code == 409
    # An id RU holds, or that the mechanism gave RU's notification, tells UA nothing: 201.
    hidden = w.store.hotline_messages(datetime.now(UTC), address="RU", limit=None)
    for n, m in enumerate(hidden[:3]):
        probe = _send(w, "UA", id=m.message.id, text=f"probe {n}")
        assert probe.status_code == 201, probe.text
    probe = _send(w, "UA", id="q-1", text="from RU")  # RU's content under RU's key: still UA's
    assert probe.status_code == 409 and "from RU" not in probe.text
