"""The hotline as a library: rules (:mod:`ceasefire.hotline.rules`), the store on both backends
(:mod:`ceasefire.store.hotline`) and the scheduler (:mod:`ceasefire.hotline.scheduler`).

The running service (notification -> acknowledgement -> answer, escalation across a kill,
e-mail, CAP over HTTP) is tested in ``test_hotline_service.py``.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text

from backends import copy_sqlite
from ceasefire.agreement.load import demo_agreement_path, load_agreement
from ceasefire.agreement.model import HotlineDeadlines
from ceasefire.errors import ConflictError, ForbiddenError, InputError, VerificationError
from ceasefire.hotline import rules as hotline
from ceasefire.hotline import sending
from ceasefire.hotline.mail import SmtpSettings
from ceasefire.hotline.metrics import metrics
from ceasefire.hotline.rules import Message, Progress
from ceasefire.hotline.scheduler import HotlineConfig, Scheduler, metrics_of
from ceasefire.hotline.sending import Draft
from ceasefire.ledger.auditor import audit
from ceasefire.publish.access import concerns
from ceasefire.store.facade import Store
from mailserver import SmtpServer, received

RULES = HotlineDeadlines(
    acknowledge_within=timedelta(minutes=15),
    answer_within=timedelta(hours=24),
    line_check_every=timedelta(hours=6),
)
T0 = datetime(2026, 3, 10, 22, 0, tzinfo=UTC)
PARTIES = ("RU", "UA")
AGREEMENT = load_agreement(demo_agreement_path())
MIGRATIONS = Path(__file__).resolve().parents[2] / "src" / "ceasefire" / "store" / "migrations"


def query(sender: str = "UA", to: tuple[str, ...] = ("RU",), **change: object) -> Message:
    draft = Draft(kind="query", recipients=to, subject="Shots at the bridge", **change)  # type: ignore[arg-type]
    return sending.compose(draft, sender, T0, RULES, PARTIES)


# -- rules ------------------------------------------------------------------------------------


def test_deadlines_follow_the_kind_and_the_agreement() -> None:
    assert hotline.deadlines("notification", T0, RULES) == (
        T0 + timedelta(minutes=15),
        T0 + timedelta(hours=24),
    )
    assert hotline.deadlines("line_check", T0, RULES) == (T0 + timedelta(minutes=15), None)
    for kind in ("acknowledgement", "response", "agenda_item", "escalation"):
        assert hotline.deadlines(kind, T0, RULES) == (None, None)


def test_state_climbs_the_ladder_with_the_clock_and_the_replies() -> None:
    m = query()
    assert hotline.state_at(m, Progress(), T0) == "open"
    assert hotline.state_at(m, Progress(), T0 + timedelta(minutes=16)) == "overdue"
    acked = Progress(acknowledged_at=T0 + timedelta(minutes=5))
    assert hotline.state_at(m, acked, T0 + timedelta(hours=2)) == "acknowledged"
    assert hotline.state_at(m, acked, T0 + timedelta(hours=25)) == "overdue"
    assert hotline.state_at(m, Progress(level=1), T0 + timedelta(hours=1)) == "escalated"
    answered = Progress(T0, T0 + timedelta(hours=30), level=2)
    assert hotline.state_at(m, answered, T0 + timedelta(hours=31)) == "answered"
    # A reply waits for nothing: no state.
    ack = sending.reply(m, "acknowledgement", "RU", T0)
    assert hotline.state_at(ack, Progress(), T0 + timedelta(days=9)) is None


def test_escalation_levels_fall_due_at_their_times_and_once() -> None:
    m = query()
    grace = timedelta(minutes=15)
    ack_due, answer_due = m.ack_due, m.answer_due
    assert ack_due is not None and answer_due is not None
    just_before = ack_due + grace - timedelta(seconds=1)
    assert hotline.due_escalations(m, Progress(), just_before, grace) == []
    assert hotline.due_escalations(m, Progress(), ack_due + grace, grace) == [1]
    assert hotline.due_escalations(m, Progress(level=1), ack_due + grace, grace) == []
    # Acknowledged in time: no level 1, ever; level 2 when the answer is late.
    acked = Progress(acknowledged_at=T0 + timedelta(minutes=3))
    assert hotline.due_escalations(m, acked, answer_due + grace, grace) == [2]
    # A service that was down sends every level that fell due meanwhile, lowest first.
    down_until = answer_due + timedelta(days=2)
    assert hotline.due_escalations(m, Progress(), down_until, grace) == [1, 2, 3]
    answered = Progress(answered_at=T0 + timedelta(hours=1))
    assert hotline.due_escalations(m, answered, T0 + timedelta(days=5), grace) == []
    e2 = hotline.escalation(m, 2, answer_due + grace)
    assert (e2.id, e2.recipients, e2.in_reply_to, e2.level) == (
        f"sys:{m.id}.e2",
        ("mediator",),
        m.id,
        2,
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "notification"}, "kind"),
        ({"recipients": ()}, "recipients"),
        ({"recipients": ("UA", "XX")}, "recipients[1]"),
        ({"recipients": ("UA",)}, "recipients"),  # only the sender
        ({"subject": "", "text": ""}, "text"),
        ({"subject": "x" * 201}, "subject"),
        ({"id": "has space"}, "id"),
        ({"id": "ask-1\r\nBcc: all@x"}, "id"),
        ({"id": "ask\u202e1"}, "id"),
        ({"id": "ask\u200b1"}, "id"),
        ({"thread": "t-1\r\nBcc: all@x"}, "thread"),
        ({"thread": " t-1"}, "thread"),
        ({"incident_id": "INC-\u20661"}, "incident_id"),
        ({"kind": "request", "topic": "access", "place": {"lon": 37.8, "lat": 48.0}}, "topic"),
        ({"kind": "request", "topic": "prior_notification"}, "place"),
        ({"kind": "request", "topic": "prior_notification", "place": {"lon": 37.8, "lat": 48.0}}, "window"),
        ({"kind": "request", "topic": "leave"}, "topic"),
        ({"kind": "request", "topic": "prior_notification", "place": {"lon": 370, "lat": 48.0},
          "window": {"from": "2026-03-11T06:00:00+00:00", "to": "2026-03-11T08:00:00+00:00"}}, "place.lon"),
        ({"kind": "request", "topic": "prior_notification", "place": {"lon": 37.8, "lat": 48.0},
          "window": {"from": "2026-03-11T08:00:00+00:00", "to": "2026-03-11T06:00:00+00:00"}}, "window.to"),
        ({"kind": "request", "topic": "prior_notification", "place": {"lon": 37.8, "lat": 48.0},
          "window": {"from": "2026-03-11T06:00:00", "to": "2026-03-11T08:00:00+00:00"}}, "window.from"),
        ({"topic": "access"}, "topic"),
    ],
)  # fmt: skip
def test_a_bad_message_is_refused_naming_the_field(change: dict[str, object], field: str) -> None:
    fields: dict[str, object] = {"kind": "query", "recipients": ("RU",), "subject": "About 4th"}
    fields.update(change)
    with pytest.raises(InputError) as caught:
        sending.compose(Draft(**fields), "UA", T0, RULES, PARTIES)  # type: ignore[arg-type]
    assert field in [p.field for p in caught.value.problems], caught.value.problems


def test_requests_carry_their_topic_place_and_window() -> None:
    access = sending.compose(
        Draft(kind="request", recipients=("RU",), subject="Patrol to the ferry", topic="access",
              place={"lon": 37.8, "lat": 48.0, "radius_m": 2000}),
        "mission", T0, RULES, PARTIES,
    )  # fmt: skip
    assert (access.topic, access.place) == ("access", {"lon": 37.8, "lat": 48.0, "radius_m": 2000})
    assert access.thread == access.id and access.ack_due == T0 + RULES.acknowledge_within
    notice = sending.compose(
        Draft(kind="request", recipients=("RU", "mission"), subject="Engineering work",
              topic="prior_notification", place={"lon": 37.8, "lat": 48.0},
              window={"from": "2026-03-11T08:00:00+02:00", "to": "2026-03-11T12:00:00+02:00"}),
        "UA", T0, RULES, PARTIES,
    )  # fmt: skip
    assert notice.window == {"from": "2026-03-11T06:00:00+00:00", "to": "2026-03-11T10:00:00+00:00"}


def test_replies_must_fit_what_they_answer() -> None:
    m = query()
    with pytest.raises(InputError, match="reasons"):
        sending.reply(m, "response", "RU", T0, position="denied")
    with pytest.raises(InputError, match="position"):
        sending.reply(m, "response", "RU", T0, position="approved")  # a request's word
    with pytest.raises(InputError, match="no text"):
        sending.reply(m, "acknowledgement", "RU", T0, text="seen")
    answer = sending.reply(m, "response", "RU", T0, position="denied", reasons="Not ours.")
    with pytest.raises(InputError, match="asks for no reply"):
        sending.reply(answer, "acknowledgement", "UA", T0)
    check = hotline.line_check("RU", T0, RULES)
    assert sending.reply(check, "acknowledgement", "RU", T0).kind == "line_check_reply"
    # An acknowledgement is the same message each time: a retry is not a second one.
    assert (
        sending.reply(m, "acknowledgement", "RU", T0).id
        == sending.reply(m, "acknowledgement", "RU", T0 + timedelta(minutes=1)).id
    )


def test_a_line_check_made_late_gives_the_full_reply_time() -> None:
    slot = hotline.line_check_slot(
        T0 + timedelta(hours=1), AGREEMENT.effective_from, RULES.line_check_every
    )
    assert slot == T0 - timedelta(hours=4)  # periods of 6 h from the entry into force
    late = hotline.line_check("UA", slot, RULES, now=T0)
    assert late.sent_at == T0 and late.ack_due == T0 + RULES.acknowledge_within
    assert late.id == hotline.line_check("UA", slot, RULES).id


def test_metrics_give_median_and_p90_per_party_and_week() -> None:
    messages, progress = [], {}
    delays = [1, 2, 3, 4, 5, 6, 7, 8, 9, 30]
    for n, minutes in enumerate(delays):
        m = query(sender="mission", to=("RU",), id=f"q{n}")
        messages.append(m)
        progress[m.id] = Progress(acknowledged_at=T0 + timedelta(minutes=minutes))
    access = sending.compose(
        Draft(kind="request", recipients=("RU",), subject="Visit", topic="access",
              place={"lon": 37.8, "lat": 48.0}, id="acc"),
        "mission", T0, RULES, PARTIES,
    )  # fmt: skip
    denial = sending.reply(access, "response", "RU", T0, position="denied", reasons="Mines.")
    progress[access.id] = Progress(T0, T0)  # as the store notes it when the denial comes
    checks = [hotline.line_check("RU", T0 + timedelta(hours=6 * k), RULES) for k in range(3)]
    progress[checks[0].id] = Progress(acknowledged_at=T0 + timedelta(minutes=2))  # in time
    progress[checks[1].id] = Progress(acknowledged_at=T0 + timedelta(hours=6, minutes=40))  # late
    silent = query(sender="mission", to=("RU",), id="q-silent")  # never acknowledged
    messages += [access, denial, silent, *checks]
    (row,) = metrics(messages, progress, T0 + timedelta(days=2))
    assert (row["party"], row["week"]) == ("RU", "2026-W11")
    ack = row["time_to_acknowledge"]
    # The access request counts too: answered (so acknowledged) at once by the denial.
    assert ack["n"] == 11 and ack["median_min"] == statistics.median([0, *delays])
    assert ack["p90_min"] == 9  # nearest rank: the 10th of 11
    assert row["asked"] == 12 and row["unanswered"] == 11 and row["unacknowledged"] == 1
    assert (row["line_checks"], row["line_checks_missed"]) == (3, 2)
    assert (row["access_denied"], row["denial_reasons"]) == (1, ["Mines."])


# -- the store, on SQLite and PostgreSQL --------------------------------------------------------


@pytest.fixture
def hstore(db_url: str) -> Iterator[Store]:
    with Store.open(db_url) as s:
        yield s


def test_sending_is_idempotent_by_id_and_a_clash_stores_nothing(hstore: Store) -> None:
    m = query(id="ask-1")
    ((first, new),) = hstore.hotline_send([m], T0)
    assert new and first.state == "open"
    again = query(id="ask-1")  # a retry: same content
    ((second, new),) = hstore.hotline_send([again], T0 + timedelta(seconds=5))
    assert not new and second.message.sent_at == T0
    size = hstore.ledger_state().size
    with pytest.raises(ConflictError, match="ask-1"):
        hstore.hotline_send([query(id="ask-1", text="something else")], T0)
    assert hstore.ledger_state().size == size


def test_replies_move_the_state_and_everything_is_in_the_ledger(hstore: Store) -> None:
    m = query(id="ask-2")
    hstore.hotline_send([m], T0)
    with pytest.raises(ForbiddenError, match="ask-2"):  # the mission was not asked
        hstore.hotline_send([sending.reply(m, "acknowledgement", "mission", T0)], T0)
    bogus = sending.reply(m, "acknowledgement", "RU", T0)
    with pytest.raises(InputError, match="in_reply_to"):
        hstore.hotline_send([Message(**{**vars(bogus), "id": "x", "in_reply_to": "nope"})], T0)
    later = T0 + timedelta(minutes=10)
    hstore.hotline_send([sending.reply(m, "acknowledgement", "RU", later)], later)
    assert hstore.hotline_get(["UA:ask-2"], later)["UA:ask-2"].state == "acknowledged"
    answered_at = T0 + timedelta(hours=3)
    answer = sending.reply(m, "response", "RU", answered_at, position="under_investigation")
    hstore.hotline_send([answer], answered_at)
    got = hstore.hotline_get(["UA:ask-2"], T0 + timedelta(days=3))["UA:ask-2"]
    assert (got.state, got.progress.acknowledged_at, got.progress.answered_at) == (
        "answered", later, answered_at,
    )  # fmt: skip
    report = audit(hstore)
    assert report.problems == [] and report.records["hotline messages"] == 3
    entries = hstore.ledger_entries("hotline/UA:ask-2")
    assert [e.kind for e in entries] == ["hotline_message"]


def test_one_send_of_many_keeps_the_order_retries_and_replies_of_one_at_a_time(
    hstore: Store,
) -> None:
    """Messages are stored set-wise; a reply to a message earlier in the same call still notes
    it, an id twice is one message, and a message stored before is a retry."""
    hstore.hotline_send([query(id="ask-0")], T0)
    first, second = query(id="ask-5"), query(id="ask-6", to=("RU", "mission"))
    ack = sending.reply(first, "acknowledgement", "RU", T0 + timedelta(minutes=5))
    sent = hstore.hotline_send(
        [query(id="ask-0"), first, second, ack, second, query(id="ask-7")], ack.sent_at
    )
    assert [(s.message.id, new) for s, new in sent] == [
        ("UA:ask-0", False), ("UA:ask-5", True), ("UA:ask-6", True), (ack.id, True),
        ("UA:ask-6", True), ("UA:ask-7", True),
    ]  # fmt: skip
    assert sent[1][0].state == "acknowledged" and sent[2][0].state == "open"
    assert set(sent[2][0].by_recipient) == {"RU", "mission"}
    got = hstore.hotline_get(["UA:ask-5"], ack.sent_at)["UA:ask-5"]
    assert got.by_recipient["RU"].acknowledged_at == ack.sent_at
    seqs = [s.seq for s, _ in sent]
    assert seqs[1] < seqs[2] < seqs[3] < seqs[5]  # stored in the order given
    report = audit(hstore)
    assert report.problems == [] and report.records["hotline messages"] == 5


def test_the_state_filter_agrees_with_the_rules(hstore: Store) -> None:
    now = T0 + timedelta(hours=25)
    plan = {
        "open": Progress(),  # sent late enough to be in time
        "late-ack": Progress(),
        "acked": Progress(acknowledged_at=T0),
        "answered": Progress(T0, T0),
        "escalated": Progress(level=1),
    }
    sent = {"open": now - timedelta(minutes=1)}
    for name, progress in plan.items():
        at = sent.get(name, T0)
        m = sending.compose(Draft(kind="query", recipients=("RU",), subject=name, id=name),
                            "UA", at, RULES, PARTIES)  # fmt: skip
        hstore.hotline_send([m], at)
        if progress.acknowledged_at:
            hstore.hotline_send([sending.reply(m, "acknowledgement", "RU", T0)], T0)
        if progress.answered_at:
            hstore.hotline_send([sending.reply(m, "response", "RU", T0, position="accepted")], T0)
        if progress.level:
            hstore.hotline_send([hotline.escalation(m, 1, T0)], T0)
    stored = {s.message.id: s for s in hstore.hotline_messages(now, kind="query")}
    for state in hotline.STATES:
        by_sql = {s.message.id for s in hstore.hotline_messages(now, state=state)}
        by_rules = {i for i, s in stored.items() if s.state == state}
        assert by_sql == by_rules, state
    assert stored["UA:late-ack"].state == "overdue" and stored["UA:acked"].state == "overdue"
    assert {s.message.id for s in hstore.hotline_messages(now, address="RU", kind="query")} == {
        f"UA:{name}" for name in plan
    }
    assert hstore.hotline_messages(now, address="mediator", kind="query") == []


def test_an_edited_message_row_is_caught_by_the_audit(hstore: Store) -> None:
    hstore.hotline_send([query(id="ask-3")], T0)
    with hstore._engine.begin() as conn:  # behind the store's back, as an intruder would
        record = json.loads(conn.execute(text("SELECT record FROM hotline_messages")).scalar_one())
        record["text"] = "We never said that."
        conn.execute(text("UPDATE hotline_messages SET record = :r"), {"r": json.dumps(record)})
    with pytest.raises(VerificationError, match="hotline/UA:ask-3 differs from what the ledger"):
        audit(hstore)


# -- the scheduler ---------------------------------------------------------------------------


@pytest.fixture
def demo_store(night_dir: Path, tmp_path: Path) -> Iterator[Store]:
    with Store.open(copy_sqlite(night_dir / "night.db", tmp_path)) as store:
        yield store


def test_every_incident_that_concerns_a_party_is_notified_once(demo_store: Store) -> None:
    scheduler = Scheduler(demo_store, AGREEMENT, HotlineConfig(line_checks=False))
    first = scheduler.tick(T0)
    incidents = [s for s in demo_store.list_incidents() if s.merged_into is None]
    against = demo_store.violation_parties([s.incident_id for s in incidents])
    expected = {
        f"sys:n.{s.incident_id}.{party}"
        for s in incidents
        for party in PARTIES
        if concerns(s.to_dict(), party, against.get(s.incident_id, set()))
    }
    notes = demo_store.hotline_messages(T0, kind="notification", limit=None)
    assert {n.message.id for n in notes} == expected and first.notifications == len(expected)
    assert scheduler.tick(T0 + timedelta(minutes=1)).notifications == 0
    urgent = [n.message for n in notes if n.message.urgent]
    assert urgent and all(n.place is not None for n in urgent)
    assert audit(demo_store).problems == []


def test_a_tick_without_notify_leaves_the_notifications_to_live_fusion(
    demo_store: Store,
) -> None:
    """The service's ticks with live fusion on (which notifies after each of its steps): the
    line checks are made, no notification, and the bookmark stays for the one notifier."""
    scheduler = Scheduler(demo_store, AGREEMENT)
    result = scheduler.tick(T0, notify=False)
    assert result.notifications == 0 and result.line_checks == len(PARTIES)
    assert demo_store.hotline_messages(T0, kind="notification", limit=None) == []
    made, _ = scheduler.notify(T0)
    assert made > 0


def test_escalations_are_sent_once_each_even_when_ticks_are_missed(demo_store: Store) -> None:
    scheduler = Scheduler(demo_store, AGREEMENT, HotlineConfig(line_checks=False))
    scheduler.tick(T0)
    (note,) = demo_store.hotline_messages(T0, kind="notification", limit=1)
    n_notes = len(demo_store.hotline_messages(T0, kind="notification", limit=None))
    ack_due = note.message.ack_due
    assert ack_due is not None
    grace = AGREEMENT.hotline.acknowledge_within
    assert scheduler.tick(ack_due + grace - timedelta(seconds=1)).escalations == 0
    assert scheduler.tick(ack_due + grace).escalations == n_notes
    assert scheduler.tick(ack_due + grace).escalations == 0  # twice at the same time: once
    # Down for three days: levels 2 and 3 in one tick, and each top level on the agenda.
    result = scheduler.tick(T0 + timedelta(days=3))
    assert (result.escalations, result.agenda_items) == (2 * n_notes, n_notes)
    assert scheduler.tick(T0 + timedelta(days=4)).to_dict() == {k: 0 for k in result.to_dict()}
    chain = demo_store.hotline_messages(T0, thread=note.message.thread, kind="escalation")
    assert sorted(m.message.level for m in chain if m.message.in_reply_to == note.message.id) == [
        1, 2, 3,
    ]  # fmt: skip
    assert audit(demo_store).problems == []


def test_line_checks_run_each_period_and_misses_are_counted(demo_store: Store) -> None:
    scheduler = Scheduler(demo_store, AGREEMENT)
    start = T0 + timedelta(hours=1)  # inside the 18:00-24:00 period
    assert scheduler.tick(start).line_checks == 2
    assert scheduler.tick(start + timedelta(minutes=5)).line_checks == 0
    (ua_check,) = demo_store.hotline_messages(start, kind="line_check", address="UA")
    demo_store.hotline_send(
        [sending.reply(ua_check.message, "acknowledgement", "UA", start + timedelta(minutes=1))],
        start + timedelta(minutes=1),
    )
    later = start + timedelta(hours=6)
    assert scheduler.tick(later).line_checks == 2  # the next period
    # RU's missed check escalated once (level 1, its only level); replied or escalated checks
    # are no longer read at each tick.
    (ru_first,) = demo_store.hotline_messages(start, kind="line_check", address="RU", limit=1)
    assert demo_store.hotline_stored([f"{ru_first.message.id}.e1"]) == {f"{ru_first.message.id}.e1"}
    owing = demo_store.hotline_owing(later + timedelta(hours=1))
    assert {ua_check.message.id, ru_first.message.id}.isdisjoint(s.message.id for s in owing)
    rows = {r["party"]: r for r in metrics_of(demo_store, later + timedelta(hours=1))}
    assert (rows["UA"]["line_checks"], rows["UA"]["line_checks_missed"]) == (2, 1)
    assert (rows["RU"]["line_checks"], rows["RU"]["line_checks_missed"]) == (2, 2)


def test_urgent_mail_is_sent_once_and_kept_until_a_server_takes_it(
    demo_store: Store, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    down = SmtpSettings(host="127.0.0.1", port=1, sender="hotline@mission.example.org",
                        timeout_s=2.0)  # fmt: skip
    config = HotlineConfig(smtp=down, mail_to={"UA": ["duty-ua@ua.example.org"]}, line_checks=False)
    result = Scheduler(demo_store, AGREEMENT, config).tick(T0)
    owed = demo_store.hotline_outbox()
    assert result.mails_failed == len(owed) > 0 and result.mails_sent == 0
    assert all(m.last_error and "127.0.0.1:1" in m.last_error for m in owed)
    # The server is back (the service restarted with the right one): each sent once.
    config.smtp = smtp_server.settings()
    sent = Scheduler(demo_store, AGREEMENT, config).tick(T0 + timedelta(minutes=1)).mails_sent
    assert sent == len(owed) == len(smtp_server.mailbox.envelopes)
    assert Scheduler(demo_store, AGREEMENT, config).tick(T0 + timedelta(minutes=2)).mails_sent == 0
    mail = received(smtp_server.mailbox.envelopes[0])
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_content_type() == "application/cap+xml"
    assert mail["X-Ceasefire-Message"].startswith("sys:n.") and "[URGENT]" in mail["Subject"]
    # RFC 5322 section 3.6.4: a msg-id's left part is a dot-atom, which has no ':' (system and
    # caller ids do); and a file name with ':' cannot be saved on every system.
    assert re.fullmatch(r"<[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+>", mail["Message-ID"])
    assert ":" not in (attachment.get_filename() or ":")


def test_each_recipient_owes_its_own_answer_and_the_silent_one_escalates(
    hstore: Store,
) -> None:
    """A message to several parties has a state per recipient: RU's answer does not answer
    for UA, and UA's silence goes to the mediator, naming UA only."""
    draft = Draft(kind="query", recipients=("UA", "RU"), subject="Both sides", id="both")
    m = sending.compose(draft, "mission", T0, RULES, PARTIES)
    hstore.hotline_send([m], T0)
    soon = T0 + timedelta(minutes=5)
    hstore.hotline_send([sending.reply(m, "response", "RU", soon, position="accepted")], soon)
    ack_due, answer_due = m.ack_due, m.answer_due
    assert ack_due is not None and answer_due is not None
    later = ack_due + RULES.acknowledge_within
    got = hstore.hotline_get([m.id], later)[m.id]
    assert got.state == "overdue"  # not answered: UA still owes it
    assert got.of("RU").answered_at == soon and got.state_of("RU", later) == "answered"
    assert got.of("UA") == Progress() and got.state_of("UA", later) == "overdue"
    made = Scheduler(hstore, AGREEMENT).escalate(later)
    assert made == (1, 0, 0)
    (e1,) = hstore.hotline_messages(later, kind="escalation")
    assert (
        e1.message.in_reply_to == m.id and "UA" in e1.message.text and "RU" not in e1.message.text
    )
    got = hstore.hotline_get([m.id], later)[m.id]
    assert (got.of("UA").level, got.of("RU").level, got.state) == (1, 0, "escalated")
    # Each party's inbox filters on its own state.
    assert [
        s.message.id for s in hstore.hotline_messages(later, address="UA", state="escalated")
    ] == [m.id]
    assert [
        s.message.id for s in hstore.hotline_messages(later, address="RU", state="answered")
    ] == [m.id]
    assert hstore.hotline_messages(later, address="RU", state="escalated") == []
    # Level 2 and 3: UA only, RU has answered.
    end = answer_due + timedelta(days=2)
    assert Scheduler(hstore, AGREEMENT).escalate(end) == (2, 1, 0)
    got = hstore.hotline_get([m.id], end)[m.id]
    assert (got.of("UA").level, got.of("RU").level) == (3, 0)
    rows = {r["party"]: r for r in metrics_of(hstore, end)}
    assert (
        rows["UA"]["escalated"],
        rows["UA"]["unanswered"],
        rows["UA"]["time_to_answer"]["n"],
    ) == (1, 1, 0)
    assert (
        rows["RU"]["escalated"],
        rows["RU"]["unanswered"],
        rows["RU"]["time_to_answer"]["n"],
    ) == (0, 0, 1)
    # UA answers at last: now the message is answered by all.
    last = end + timedelta(hours=1)
    hstore.hotline_send(
        [sending.reply(m, "response", "UA", last, position="denied", reasons="No.")], last
    )
    assert hstore.hotline_get([m.id], last)[m.id].state == "answered"
    assert audit(hstore).problems == []


def test_migration_0007_gives_each_recipient_its_own_replies(db_url: str) -> None:
    """Rows written before 0007 (an answer from one recipient marked the message answered)
    are filled in from the stored replies: the other recipient still owes it."""
    draft = Draft(kind="query", recipients=("UA", "RU"), subject="Both sides", id="old")
    m = sending.compose(draft, "mission", T0, RULES, PARTIES)
    answer = sending.reply(m, "response", "RU", T0 + timedelta(minutes=5), position="accepted")
    with Store.open(db_url) as store:
        store.hotline_send([m], T0)
        store.hotline_send([answer], answer.sent_at)
        with store._write() as conn:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = conn
            command.downgrade(config, "0005")
            # As 0005 left it: the first answer from anyone answered the message.
            conn.execute(
                text("UPDATE hotline_messages SET acknowledged_at = :t, answered_at = :t "
                     "WHERE message_id = :id"),
                {"t": answer.sent_at, "id": m.id},
            )  # fmt: skip
    with Store.open(db_url) as store:
        got = store.hotline_get([m.id], T0 + timedelta(hours=1))[m.id]
        assert got.of("RU").answered_at == answer.sent_at and got.of("UA") == Progress()
        assert got.progress == Progress() and got.state == "overdue"
        assert audit(store).problems == []
