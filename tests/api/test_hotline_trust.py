"""The hotline cannot be gamed by a hostile party, and the views it reaches leak nothing.

Each test pins one way a party once gamed the channel through the API (a real store, the real
app): squatting the ids the mechanism would give its own messages, so that an escalation or the
other party's notification or line check was never sent; probing for hidden ids with 409s;
answering a message for another recipient; reading a released incident exactly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from test_service import AGREEMENT, V1
from test_service_access import World

from backends import copy_sqlite
from ceasefire import ledger
from ceasefire.geo.engine import GeoEngine
from ceasefire.hotline import rules as hotline
from ceasefire.hotline.scheduler import Scheduler
from ceasefire.publish import access, views
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


def test_ids_squatted_before_the_sys_namespace_do_not_block_the_mechanism(world: World) -> None:
    """A store from before the ``sys:`` namespace may hold a party's messages under the bare ids
    the mechanism then used (``lc.RU.<slot>``, ``n.<incident>.RU``), stored as the old service
    let any caller name them. After the upgrade they block nothing: RU still gets its line
    check, and the squatter's message stays the squatter's query."""
    w = world
    later = datetime.now(UTC) + timedelta(hours=7)
    every = AGREEMENT.hotline.line_check_every
    slot = hotline.line_check_slot(later, AGREEMENT.effective_from, every)
    check = hotline.line_check("RU", slot, AGREEMENT.hotline, later)
    old_id = check.id.removeprefix(hotline.SYSTEM_PREFIX)
    assert old_id.startswith("lc.RU.")
    squat = hotline.Message(
        id=old_id,
        thread=old_id,
        kind="query",
        sender="UA",
        recipients=("mission",),
        sent_at=later - timedelta(hours=1),
        subject="squatted before the upgrade",
    )
    w.store.hotline_send([squat], later - timedelta(hours=1))  # as the old service stored it
    Scheduler(w.store, AGREEMENT).tick(later)
    got = w.store.hotline_get([check.id, old_id], later)
    assert got[check.id].message.sender == "mission" and got[check.id].message.recipients == ("RU",)
    assert got[old_id].message.sender == "UA" and got[old_id].message.kind == "query"
    ledger.audit(w.store)


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


def test_ids_outside_the_safe_characters_are_refused_naming_the_field(world: World) -> None:
    w = world
    for bad in ("q-1\r\nBcc: everyone", "q\u202e1-q", "q-\u200b1", " q-1"):
        sent = _send(w, "UA", id=bad)
        assert sent.status_code == 422, sent.text
        assert [p["field"] for p in sent.json()["error"]["problems"]] == ["id"]
    for bad in ("UA:q\r\n1", "UA:q\u20661", "UA:q\u00a01"):
        for path in ("", "/ack", "/cap"):
            method = w.client.post if path == "/ack" else w.client.get
            r = method(f"{HL}/messages/{quote(bad, safe=':')}{path}", headers=w.headers["UA"])
            assert r.status_code == 422, (bad, path, r.text)
            (problem,) = r.json()["error"]["problems"]
            assert (problem["where"], problem["field"]) == ("path", "message_id")
            assert "\r" not in r.text and bad not in r.text  # not echoed back as it came


# -- 5. incident views tell no one who else reported -------------------------------------------

#: Fields of an incident that would tell who reported it or what kind of source did.
_WHO_REPORTED = ("source_kinds", "n_sources", "claimed_perpetrators", "sources", "submitters",
                 "report_ids", "anchor_ids", "key")  # fmt: skip


def _incident_views(w: World, role: str) -> list[dict[str, Any]]:
    """Every incident the role reads, through every surface: the list, each incident, its
    record and the OGC features (properties as they are, lists as JSON text)."""
    listed = w.get(role, f"{V1}/incidents", params={"limit": 1000})
    assert listed.status_code == 200, listed.text
    views: list[dict[str, Any]] = list(listed.json()["items"])
    for item in listed.json()["items"]:
        one = w.get(role, f"{V1}/incidents/{item['id']}")
        assert one.status_code == 200, one.text
        body = one.json()
        views.append(body.get("incident", body))
    ogc = w.get(role, f"{V1}/ogc/collections/incidents/items", params={"limit": 1000})
    assert ogc.status_code == 200, ogc.text
    for feature in ogc.json()["features"]:
        props = dict(feature["properties"])
        for name in ("source_kinds", "sources", "submitters", "report_ids", "anchor_ids",
                     "claimed_perpetrators"):  # fmt: skip
            if isinstance(props.get(name), str):
                props[name] = json.loads(props[name])
        views.append(props)
    return views


@pytest.mark.parametrize("role", ["UA", "RU", "public"])
def test_no_view_of_an_incident_tells_who_else_reported_it(world: World, role: str) -> None:
    w = world
    w.client.post(f"{V1}/incidents/{w.ru_only}/release", headers=w.headers["mediator"])
    views = _incident_views(w, role)
    assert views
    party = role if role != "public" else None
    own = w.ids.get(role, set())
    whole = {i: s for i, s in w.incidents.items()}
    # There was something to hide: incidents with other sources than the reader's.
    assert any(
        [s for s in whole[v["id"]]["sources"] if not s.startswith(f"{party}/")] for v in views
    )
    for view in views:
        assert "n_sources" not in view and "claimed_perpetrators" not in view, sorted(view)
        assert set(view.get("report_ids") or ()) <= own
        assert set(view.get("anchor_ids") or ()) <= own
        assert set(view.get("submitters") or ()) <= {party}
        assert all(s.startswith(f"{party}/") for s in view.get("sources") or ())
        mine = {
            s.split("/", 1)[1] for s in whole[view["id"]]["sources"] if s.startswith(f"{party}/")
        }
        assert set(view.get("source_kinds") or ()) <= mine, (view.get("source_kinds"), mine)


# -- 4. a released incident reaches the other party as it reaches the public -------------------


def test_a_released_incident_reaches_the_other_party_coarsened_like_the_public(
    world: World,
) -> None:
    w = world
    target = w.ru_only  # concerns RU, not UA
    released = w.client.post(f"{V1}/incidents/{target}/release", headers=w.headers["mediator"])
    assert released.status_code == 200, released.text
    public = w.get("public", f"{V1}/incidents/{target}").json()["incident"]
    ua = w.get("UA", f"{V1}/incidents/{target}").json()["incident"]
    exact = w.incidents[target]
    assert public["place_precision"] == ua["place_precision"] == "coarsened"
    for name in ("lon", "lat", "uncertainty_m", "distance_m", "line_distance_m"):
        assert ua.get(name) == public.get(name), name
    assert (ua["lon"], ua["lat"]) != (exact["lon"], exact["lat"])
    # RU, whom it concerns, reads it exactly; and a box around the exact place finds it for
    # RU, never for UA (a shrinking box would otherwise find the exact place).
    assert w.get("RU", f"{V1}/incidents/{target}").json()["incident"]["lon"] == exact["lon"]
    x, y = exact["lon"], exact["lat"]
    box = f"{x - 0.001},{y - 0.001},{x + 0.001},{y + 0.001}"
    url = f"{V1}/ogc/collections/incidents/items"
    for role, found in (("RU", True), ("UA", False)):
        got = w.get(role, url, params={"bbox": box, "limit": 1000})
        assert got.status_code == 200, got.text
        assert (target in {f["id"] for f in got.json()["features"]}) is found, role


def test_a_released_incident_reaches_the_other_party_only_after_the_public_delay() -> None:
    incident = {"id": "INC-1", "party": "RU", "lon": 37.8, "lat": 48.0, "uncertainty_m": 50.0,
                "observed_from": "2026-03-10T21:00:00+00:00",
                "observed_to": "2026-03-10T22:00:00+00:00", "report_ids": ["r1"]}  # fmt: skip
    ended = datetime(2026, 3, 10, 22, tzinfo=UTC)
    release = access.Release(ended)
    ua = access.Principal("ua", "party", "UA")
    early, late = ended + timedelta(hours=1), ended + access.PUBLIC_DELAY
    assert views.incident_view(ua, incident, now=early, release=release) is None
    assert not access.may_read_incident(ua, incident, now=early, release=release)
    view = views.incident_view(ua, incident, now=late, release=release)
    public = views.incident_view(access.Principal("p", "public"), incident, now=late,
                                  release=release)  # fmt: skip
    assert view == public and view is not None and view["place_precision"] == "coarsened"
    # RU, whom it concerns, reads it at once and exactly.
    ru = views.incident_view(access.Principal("ru", "party", "RU"), incident, now=early)
    assert ru is not None and ru["lon"] == 37.8


def test_a_violation_of_an_incident_shown_coarsened_to_a_party_has_rounded_facts() -> None:
    ua = access.Principal("ua", "party", "UA")
    violation = {"rule": "fire", "party": "RU", "evidence": ["r1", "u1"],
                 "facts": {"distance_m": 12_345.0, "line_distance_m": 2_222.0}}  # fmt: skip
    coarse = {"id": "INC-1", "place_precision": "coarsened"}
    view = views.violation_view(ua, violation, coarse, own_reports={"u1"})
    assert view is not None
    assert view["facts"] == {"distance_m": 10_000.0, "line_distance_m": 0.0}
    assert (view["evidence"], view["other_evidence"]) == (["u1"], 1)


# -- 2. a state per recipient ------------------------------------------------------------------


def test_one_partys_answer_does_not_answer_for_the_other_nor_show_to_it(world: World) -> None:
    w = world
    asked = _send(w, "monitor", recipients=["UA", "RU"], subject="Both sides", id="both")
    assert asked.status_code == 201, asked.text
    mid = asked.json()["id"]
    answer = {"position": "accepted"}
    done = w.client.post(f"{HL}/messages/{mid}/answer", json=answer, headers=w.headers["RU"])
    assert done.status_code == 201, done.text
    ru = w.get("RU", f"{HL}/messages/{mid}").json()
    ua = w.get("UA", f"{HL}/messages/{mid}").json()
    mission = w.get("monitor", f"{HL}/messages/{mid}").json()
    assert ru["state"] == "answered" and ru["answered_at"] is not None
    assert ua["state"] == "open" and ua["answered_at"] is None and ua["acknowledged_at"] is None
    assert set(ua["recipients_progress"]) == {"UA"} and set(ru["recipients_progress"]) == {"RU"}
    assert mission["state"] == "open" and set(mission["recipients_progress"]) == {"UA", "RU"}
    assert mission["recipients_progress"]["RU"]["state"] == "answered"
    # The inbox and its state filter agree, for each party its own.
    assert mid in _ids(w, "RU", state="answered", thread=mid)
    assert mid not in _ids(w, "UA", state="answered", thread=mid)
    assert _ids(w, "UA", thread=mid)[mid]["state"] == "open"
    assert set(_ids(w, "UA", thread=mid)[mid]["recipients_progress"]) == {"UA"}


# -- 3. proofs of one's own traffic; the incident one is asked about ---------------------------


def _prove(w: World, role: str, message_id: str) -> Any:
    params = {"record_id": f"hotline/{message_id}"}
    return w.get(role, f"{V1}/ledger/proof/inclusion", params=params)


def test_a_party_proves_every_message_it_sent_or_received(world: World, demo_dir: Path) -> None:
    w = world
    asked = _send(w, "UA", recipients=["RU", "mission"], subject="Who fired?", id="who")
    mid = asked.json()["id"]
    acked = w.client.post(f"{HL}/messages/{mid}/ack", headers=w.headers["RU"]).json()["id"]
    answer = {"position": "denied", "reasons": "Not us.", "id": "not-us"}
    answered = w.client.post(f"{HL}/messages/{mid}/answer", json=answer, headers=w.headers["RU"])
    to_ua = _send(w, "monitor", recipients=["UA"], subject="Seen this?", id="seen").json()["id"]
    own_ack = w.client.post(f"{HL}/messages/{to_ua}/ack", headers=w.headers["UA"]).json()["id"]
    ledger.sign_checkpoint(w.store, ledger.read_signer(demo_dir / "demo-keys" / "log.key"))
    mine = [mid, acked, answered.json()["id"], to_ua, own_ack]
    for message_id in mine:
        proof = _prove(w, "UA", message_id)
        assert proof.status_code == 200, (message_id, proof.text)
        assert proof.json()["record"]["record"]["id"] == message_id
    # Every message in UA's inbox, of every kind.
    for message_id in list(_ids(w, "UA"))[:200]:
        assert _prove(w, "UA", message_id).status_code == 200, message_id
    for message_id in (to_ua, own_ack):  # RU was not on them
        assert _prove(w, "RU", message_id).status_code == 404


def test_a_party_reads_the_shared_view_of_an_incident_it_is_asked_about(world: World) -> None:
    w = world
    target = w.ua_only  # concerns UA, not RU; not released
    assert w.get("RU", f"{V1}/incidents/{target}").status_code == 404
    sent = _send(w, "monitor", recipients=["RU"], subject="Your units?", incident_id=target)
    assert sent.status_code == 201, sent.text
    shared = w.get("RU", f"{V1}/incidents/{target}")
    assert shared.status_code == 200, shared.text
    view = shared.json()["incident"]
    exact = w.incidents[target]
    assert view["place_precision"] == "coarsened" and view["lon"] != exact["lon"]
    assert not set(view) & {"report_ids", "sources", "submitters", "source_kinds", "n_sources",
                            "claimed_perpetrators", "key"}  # fmt: skip
    # RU may now name it in its own messages on the thread; UA's view is unchanged.
    reply = _send(w, "RU", recipients=["mission"], subject="About it", incident_id=target)
    assert reply.status_code == 201, reply.text
    assert w.get("UA", f"{V1}/incidents/{target}").json()["incident"]["lon"] == exact["lon"]
    # Being asked about one incident opens no other.
    others = [i for i, d in w.incidents.items() if i != target and d.get("party") == "UA"
              and i not in w.visible_to("RU")]  # fmt: skip
    assert others and all(w.get("RU", f"{V1}/incidents/{i}").status_code == 404 for i in others)
