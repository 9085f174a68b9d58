"""The hotline end to end, against a running ``ceasefire serve`` on loopback.

One service (a real child process) on a fresh SQLite database and a copy of the demo agreement
whose hotline deadlines are seconds, not minutes and hours: acknowledge within 3 s, answer
within 15 s, a line check every 6 s. Reports go in through the API, fusion runs through the CLI
beside the service, and the service's own scheduler (a tick every 0.3 s) notifies the parties,
sends line checks, escalates and e-mails an aiosmtpd server on 127.0.0.1.

The tests share the service and run in file order; each waits (with a deadline) for what it
needs. The last one SIGKILLs the service and restarts it on the same database.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from lxml import etree
from test_service_access import USERS

from backends import vector
from ceasefire import ledger
from ceasefire.agreement.load import demo_agreement_path, load_agreement
from ceasefire.agreement.model import Agreement
from ceasefire.geo.engine import GeoEngine
from ceasefire.hotline.scheduler import HotlineConfig, Scheduler
from ceasefire.store.facade import Store
from mailserver import LOOPBACK, LoopbackController, Mailbox
from served import Served

pytestmark = pytest.mark.slow

V1 = "/api/v1"
HL = f"{V1}/hotline"
ACK = timedelta(seconds=3)
ANSWER = timedelta(seconds=15)
LINE_CHECK = timedelta(seconds=6)
GRACE = ACK  # the scheduler's default: the agreement's acknowledgement time
TICK_S = 0.3
WAIT_S = 30.0  # the longest any single wait may take
MAIL = {"UA": "duty-ua@example.org", "RU": "duty-ru@example.org", "mediator": "desk@example.org"}
# Places on each side of the line, about 80 km apart (checked against the agreement below).
UA_PLACE = (37.56779, 48.73106)  # near Kramatorsk
RU_PLACE = (37.80224, 48.02300)  # near Donetsk

T = TypeVar("T")


# -- HTTP --------------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: Any
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    base: str, method: str, path: str, token: str | None, body: Any = None, raw: bytes = b""
) -> Answer:
    """One request on loopback; HTTP errors are answers too."""
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    data: bytes | None = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    elif method == "POST":
        data = raw
    request = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=20) as r:
            return Answer(r.status, r.headers, r.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return Answer(exc.code, exc.headers, exc.read())


def wait_for(what: str, probe: Callable[[], T | None], limit_s: float = WAIT_S) -> T:
    """Poll ``probe`` until it returns something (not None), at most ``limit_s`` seconds."""
    deadline = time.monotonic() + limit_s
    while True:
        found = probe()
        if found is not None:
            return found
        assert time.monotonic() < deadline, f"waited {limit_s} s for {what}"
        time.sleep(0.1)


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


# -- the world ---------------------------------------------------------------------------------


@dataclass
class World:
    """The running service and what the tests share about it."""

    tmp: Path
    db: Path
    agreement_path: Path
    agreement: Agreement
    tokens: dict[str, str]
    mailbox: Mailbox
    smtp_port: int
    server: Served | None = None
    notifications: dict[str, dict[str, Any]] = field(default_factory=dict)  # by party
    incidents: dict[str, str] = field(default_factory=dict)  # "UA"/"RU" place -> incident id
    acked_line_check: dict[str, Any] | None = None
    # The mediator's escalations as read right after the notifications showed, and when.
    early: tuple[datetime, list[dict[str, Any]]] | None = None

    def serve(self) -> Served:
        self.server = Served(
            "--db", str(self.db),
            "--agreement", str(self.agreement_path),
            "--hotline-every", str(TICK_S),
            # Incidents come from its own `ceasefire fuse` beside the service (tests/test_live.py
            # has the service fuse them itself): each tick's work is then the hotline's alone.
            "--fuse-every", "0",
            "--smtp", f"smtp://{LOOPBACK}:{self.smtp_port}",
            "--mail-from", "hotline@mission.example.org",
            *(f"--mail-to={address}={mail}" for address, mail in MAIL.items()),
        )  # fmt: skip
        return self.server

    def call(self, who: str | None, method: str, path: str, body: Any = None) -> Answer:
        assert self.server is not None
        token = None if who is None else self.tokens[who]
        return call(self.server.base, method, path, token, body)

    def get(self, who: str, path: str) -> Any:
        answer = self.call(who, "GET", path)
        assert answer.status == 200, (path, answer.status, answer.body)
        return answer.json()

    def messages(self, who: str, query: str) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = self.get(who, f"{HL}/messages?{query}")["messages"]
        return messages


def short_agreement(tmp: Path) -> Path:
    """A copy of the demo agreement's folder with hotline deadlines in seconds."""
    folder = tmp / "agreement"
    shutil.copytree(demo_agreement_path().parent, folder)
    path = folder / demo_agreement_path().name
    text = path.read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    assert set(doc["hotline"]) == {"acknowledge_within", "answer_within", "line_check_every"}
    for key, value in (("acknowledge_within", "3s"), ("answer_within", "15s"),
                       ("line_check_every", "6s")):  # fmt: skip
        text, n = re.subn(rf"(?m)^(  {key}:) \S+", rf"\1 {value}", text)
        assert n == 1, key
    path.write_text(text, encoding="utf-8")
    return path


def report(i: int, place: tuple[float, float], **change: Any) -> dict[str, Any]:
    lon, lat = place
    row: dict[str, Any] = {
        "id": f"hl-{i}",
        "submitted_by": "mission",
        "source_kind": "patrol",
        "source_name": f"team {i}",
        "observed_from": "2026-03-10T21:00:00+00:00",
        "observed_to": "2026-03-10T21:05:00+00:00",
        "lon": lon,
        "lat": lat,
        "uncertainty_m": 300,
        "event_type": "shelling",
        "weapon_class": "artillery",
        "calibre_mm": 122,
        "count": 2,
        "notes": "Two impacts counted by the patrol from its observation post.",
    }
    row.update(change)
    return row


def fuse(world: World) -> dict[str, Any]:
    """``ceasefire fuse`` as its own process, on the database the service is using."""
    done = subprocess.run(
        [sys.executable, "-c", "from ceasefire.cli.app import main; main()", "fuse",
         "--db", str(world.db), "--agreement", str(world.agreement_path), "--json"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.fixture(scope="module")
def cap_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(vector("cap", "cap12.xsd"))))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("hotline")
    path = short_agreement(tmp)
    agreement = load_agreement(path)
    assert agreement.hotline.acknowledge_within == ACK
    assert agreement.hotline.answer_within == ANSWER
    assert agreement.hotline.line_check_every == LINE_CHECK
    engine = GeoEngine(agreement)
    for party, (lon, lat) in (("UA", UA_PLACE), ("RU", RU_PLACE)):
        assert list(engine.classify(lon, lat).party) == [party]
    db = tmp / "hotline.db"
    with Store.open(db) as store:
        tokens = {name: store.add_user(f"{name} desk", *USERS[name]) for name in USERS}
    mailbox = Mailbox()
    controller = LoopbackController(
        mailbox, hostname=LOOPBACK, port=0, server_hostname="smtp.test", ready_timeout=5.0
    )
    controller.start()
    world = World(tmp, db, path, agreement, tokens, mailbox, controller.port)
    try:
        world.serve()
        # UA answers its first line check at once (RU never answers any).
        world.acked_line_check = ack_first_line_check(world)
        # An urgent incident on UA's side (casualties), a quiet one on RU's side.
        rows = [
            report(1, UA_PLACE, killed=1, injured=2),
            report(2, RU_PLACE),
        ]
        for row in rows:
            answer = world.call("monitor", "POST", f"{V1}/reports", row)
            assert answer.status == 201, answer.body
        fused = fuse(world)
        assert fused, fused
        with Store.open(db) as store:
            stored_incidents = store.list_incidents()
            assert len(stored_incidents) == 2, stored_incidents
            for stored in stored_incidents:
                view = stored.to_dict()
                world.incidents[str(view["party"])] = stored.incident_id
        assert set(world.incidents) == {"UA", "RU"}, world.incidents

        def notified() -> dict[str, dict[str, Any]] | None:
            found = {m["id"]: m for m in world.messages("mediator", "kind=notification")}
            wanted = {p: f"sys:n.{world.incidents[p]}.{p}" for p in ("UA", "RU")}
            if all(i in found for i in wanted.values()):
                return {p: found[i] for p, i in wanted.items()}
            return None

        world.notifications = wait_for("the notifications", notified)
        world.early = (datetime.now(UTC), escalations(world))
        yield world
    finally:
        if world.server is not None:
            world.server.stop()
        controller.stop()


def ack_first_line_check(world: World) -> dict[str, Any]:
    """UA's first line check, answered through /ack as soon as it shows (within its 3 s)."""

    def first() -> dict[str, Any] | None:
        found = world.messages("UA", "kind=line_check")
        return found[0] if found else None

    check = wait_for("UA's first line check", first)
    answer = world.call("UA", "POST", f"{HL}/messages/{check['id']}/ack")
    assert answer.status == 201, answer.body
    reply: dict[str, Any] = answer.json()
    assert reply["kind"] == "line_check_reply" and reply["in_reply_to"] == check["id"]
    return check


# -- the tests ---------------------------------------------------------------------------------


@pytest.mark.served
def test_each_party_reads_its_notifications_and_answers_one(world: World) -> None:
    ua, ru = world.notifications["UA"], world.notifications["RU"]
    assert ua["recipients"] == ["UA"] and ru["recipients"] == ["RU"]
    assert ua["sender"] == "mission" and ua["incident_id"] == world.incidents["UA"]
    assert ua["urgent"] is True and ru["urgent"] is False  # casualties on UA's side only
    assert at(ua["ack_due"]) - at(ua["sent_at"]) == ACK
    assert at(ua["answer_due"]) - at(ua["sent_at"]) == ANSWER

    # UA's inbox: its notifications, none of RU's.
    seen = world.messages("UA", "kind=notification&limit=1000")
    ids = {m["id"] for m in seen}
    assert ua["id"] in ids and ru["id"] not in ids
    assert all(m["recipients"] == ["UA"] for m in seen), seen
    # ... and RU cannot read UA's, as if it did not exist.
    assert world.call("RU", "GET", f"{HL}/messages/{ua['id']}").status == 404
    assert world.call("RU", "POST", f"{HL}/messages/{ua['id']}/ack").status == 404
    assert world.call(None, "GET", f"{HL}/messages/{ua['id']}").status == 403

    # Acknowledge: 201, then the same again is a no-op, 200.
    first = world.call("UA", "POST", f"{HL}/messages/{ua['id']}/ack")
    assert first.status == 201, first.body
    assert first.json()["id"] == f"{ua['id']}.ack.UA"
    again = world.call("UA", "POST", f"{HL}/messages/{ua['id']}/ack")
    assert again.status == 200, again.body
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["sent_at"] == first.json()["sent_at"]
    acked = world.get("UA", f"{HL}/messages/{ua['id']}")
    assert acked["acknowledged_at"] is not None and acked["answered_at"] is None
    assert acked["state"] in ("acknowledged", "escalated", "overdue")

    # A denial without reasons is refused, naming the field; nothing is noted.
    bare = world.call("UA", "POST", f"{HL}/messages/{ua['id']}/answer", {"position": "denied"})
    assert bare.status == 422, bare.body
    problems = bare.json()["error"]["problems"]
    assert [p["field"] for p in problems] == ["reasons"], problems
    assert world.get("UA", f"{HL}/messages/{ua['id']}")["answered_at"] is None

    denial = {
        "position": "denied",
        "reasons": "No unit of ours fired in that sector during the stated window.",
    }
    answered = world.call("UA", "POST", f"{HL}/messages/{ua['id']}/answer", denial)
    assert answered.status == 201, answered.body
    response = answered.json()
    assert response["kind"] == "response" and response["in_reply_to"] == ua["id"]
    assert response["position"] == "denied" and response["reasons"] == denial["reasons"]
    assert response["recipients"] == ["mission"] and response["sender"] == "UA"
    now = world.get("UA", f"{HL}/messages/{ua['id']}")
    assert now["state"] == "answered" and now["answered_at"] is not None
    # RU sees neither the answer nor the state of UA's thread.
    assert world.call("RU", "GET", f"{HL}/messages/{response['id']}").status == 404
    ru_view = world.messages("RU", f"thread={ua['thread']}")
    assert all("RU" in (m["sender"], *m["recipients"]) for m in ru_view), ru_view
    assert response["id"] not in {m["id"] for m in ru_view}


@pytest.mark.served
def test_the_urgent_notification_as_a_cap_alert(world: World, cap_schema: etree.XMLSchema) -> None:
    ua = world.notifications["UA"]
    answer = world.call("UA", "GET", f"{HL}/messages/{ua['id']}/cap")
    assert answer.status == 200, answer.body
    assert answer.headers["Content-Type"].startswith("application/cap+xml")
    document = etree.fromstring(answer.body)
    assert cap_schema.validate(document), cap_schema.error_log
    ns = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
    assert document.findtext("cap:identifier", namespaces=ns) == ua["id"]
    assert document.findtext("cap:scope", namespaces=ns) == "Private"
    assert document.findtext("cap:addresses", namespaces=ns) == "UA"
    assert document.findtext("cap:info/cap:urgency", namespaces=ns) == "Immediate"
    # RU may not have UA's alert either.
    assert world.call("RU", "GET", f"{HL}/messages/{ua['id']}/cap").status == 404


@pytest.mark.served
def test_the_urgent_notification_arrives_by_email(
    world: World, cap_schema: etree.XMLSchema
) -> None:
    ua, ru = world.notifications["UA"], world.notifications["RU"]

    def mail_of(message_id: str) -> list[EmailMessage] | None:
        got = []
        for envelope in list(world.mailbox.envelopes):
            parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            if parsed["X-Ceasefire-Message"] == message_id:
                assert envelope.rcpt_tos == [MAIL["UA"]], envelope.rcpt_tos
                assert envelope.mail_from == "hotline@mission.example.org"
                got.append(parsed)
        return got or None

    [mail] = wait_for("the e-mail of the urgent notification", lambda: mail_of(ua["id"]))
    assert mail["Subject"].startswith("[URGENT] ")
    assert mail["Message-ID"] == f"<{ua['id'].replace(':', '=')}@mission.example.org>"
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_filename() == f"{ua['id'].replace(':', '=')}.cap.xml"
    assert attachment.get_content_type() == "application/cap+xml"
    xml = attachment.get_payload(decode=True)
    assert isinstance(xml, bytes)
    assert cap_schema.validate(etree.fromstring(xml)), cap_schema.error_log
    # The quiet notification to RU is not e-mailed; nothing went to RU's duty officer.
    assert mail_of(ru["id"]) is None
    assert all(MAIL["RU"] not in e.rcpt_tos for e in world.mailbox.envelopes)


@pytest.mark.served
def test_line_checks_are_counted_and_missed(world: World) -> None:
    checked = world.acked_line_check
    assert checked is not None
    back = world.get("UA", f"{HL}/messages/{checked['id']}")
    assert back["state"] == "answered"
    assert at(back["acknowledged_at"]) <= at(back["ack_due"])
    assert at(back["ack_due"]) - at(back["sent_at"]) == ACK

    # RU never answers: once its first line check's 3 s have passed, it is missed.
    ru_checks = wait_for("RU's line check", lambda: world.messages("RU", "kind=line_check") or None)
    due = at(ru_checks[0]["ack_due"])
    wait_for(
        "RU's reply time to pass", lambda: datetime.now(UTC) > due + timedelta(seconds=0.5) or None
    )

    rows = world.get("mediator", f"{HL}/metrics")["metrics"]
    totals: dict[str, Counter[str]] = {}
    for row in rows:
        totals.setdefault(row["party"], Counter()).update(
            {k: row[k] for k in ("line_checks", "line_checks_missed")}
        )
    assert set(totals) == {"UA", "RU"}, rows
    assert totals["RU"]["line_checks"] >= 1
    assert totals["RU"]["line_checks_missed"] >= 1
    assert totals["UA"]["line_checks"] >= 1
    # The one UA answered in time is not missed.
    assert totals["UA"]["line_checks_missed"] <= totals["UA"]["line_checks"] - 1, rows
    # A party reads its own rows only.
    own = world.get("RU", f"{HL}/metrics")["metrics"]
    assert own and {r["party"] for r in own} == {"RU"}
    assert world.call("RU", "GET", f"{HL}/metrics?party=UA").status == 403


def escalations(world: World) -> list[dict[str, Any]]:
    return world.messages("mediator", "kind=escalation&limit=1000")


@pytest.mark.served
def test_silence_escalates_on_time_and_once_across_a_kill(world: World) -> None:
    ru = world.notifications["RU"]
    level_1_due = at(ru["ack_due"]) + GRACE
    level_2_due = at(ru["answer_due"]) + GRACE
    e1_id, e2_id = f"{ru['id']}.e1", f"{ru['id']}.e2"

    def mine(level: int) -> list[dict[str, Any]]:
        return [
            m for m in escalations(world) if m["in_reply_to"] == ru["id"] and m["level"] == level
        ]

    # Before its time there was no escalation: read as soon as the notification showed.
    assert world.early is not None
    read_at, early = world.early
    assert read_at < level_1_due - timedelta(seconds=1), "read too late to tell"
    assert [m for m in early if m["in_reply_to"] == ru["id"]] == []
    [e1] = wait_for("level 1", lambda: mine(1) or None)
    assert e1["id"] == e1_id and e1["kind"] == "escalation"
    assert e1["sender"] == "mission" and e1["recipients"] == ["mediator"]
    assert e1["incident_id"] == ru["incident_id"]
    assert level_1_due <= at(e1["sent_at"]) < level_1_due + timedelta(seconds=10)
    state = world.get("mediator", f"{HL}/messages/{ru['id']}")
    assert state["escalation_level"] == 1 and state["state"] == "escalated"
    # RU's own view of its notification says so too, but RU may not read the escalation.
    assert world.get("RU", f"{HL}/messages/{ru['id']}")["escalation_level"] == 1
    assert world.call("RU", "GET", f"{HL}/messages/{e1_id}").status == 404
    assert mine(2) == [], "the test is too slow: level 2 came before the kill"

    # Kill the service; level 2 falls due while it is down.
    assert world.server is not None
    world.server.kill()
    killed_at = datetime.now(UTC)
    assert killed_at < level_2_due
    time.sleep(max(0.0, (level_2_due - datetime.now(UTC)).total_seconds()) + 0.5)
    with Store.open(world.db) as store:
        stored = store.hotline_get([e1_id, e2_id], datetime.now(UTC))
        assert set(stored) == {e1_id}  # nothing made it while down

    world.serve()
    [e2] = wait_for("level 2 after the restart", lambda: mine(2) or None)
    assert e2["id"] == e2_id and e2["recipients"] == ["mediator"]
    assert at(e2["sent_at"]) >= max(level_2_due, killed_at)
    # A few more ticks: still one of each level, level 1 untouched.
    time.sleep(5 * TICK_S)
    counts = Counter((m["in_reply_to"], m["level"]) for m in escalations(world))
    assert counts[(ru["id"], 1)] == 1, counts
    assert counts[(ru["id"], 2)] == 1, counts
    assert all(n == 1 for n in counts.values()), counts
    assert mine(1) == [e1]
    assert world.get("mediator", f"{HL}/messages/{ru['id']}")["escalation_level"] >= 2

    world.server.stop()
    with Store.open(world.db) as store:
        audit = ledger.audit(store)
        assert audit.problems == []
        all_messages = store.hotline_messages(datetime.now(UTC), limit=None)
    assert audit.records.get("hotline messages") == len(all_messages), audit.records
    ids = [m.message.id for m in all_messages]
    assert len(ids) == len(set(ids))
    assert ids.count(e1_id) == ids.count(e2_id) == 1


def test_every_line_check_period_gets_its_own_check(tmp_path: Path) -> None:
    """The scheduler sends a line check per party in each period, here every 6 s: periods
    shorter than a minute get ids of their own (they once shared the minute's)."""
    agreement = load_agreement(short_agreement(tmp_path))
    start = datetime(2026, 3, 10, 6, 0, 1, tzinfo=UTC)
    with Store.open(tmp_path / "line-checks.db") as store:
        scheduler = Scheduler(store, agreement, HotlineConfig())
        made = [scheduler.tick(start + k * LINE_CHECK).line_checks for k in range(3)]
        ids = {m.message.id for m in store.hotline_messages(start, kind="line_check", limit=None)}
    assert made == [2, 2, 2], (made, sorted(ids))
