"""The hotline at wartime volume (issue 16, section 3): digests, bulk acknowledgement, what is
owed first, and the metrics under both.

The issue's example, at a smaller scale: the demo's night (about 350 notifications to each
party in one tick, where the issue saw 792) gives each party one digest, and each party
acknowledges all of its notifications in one call.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree

from backends import copy_sqlite, vector
from ceasefire.agreement.load import demo_agreement_path, load_agreement
from ceasefire.agreement.model import Agreement, HotlineDeadlines
from ceasefire.errors import ForbiddenError, InputError, NotFoundError
from ceasefire.hotline import cap, sending
from ceasefire.hotline import rules as hotline
from ceasefire.hotline.metrics import metrics
from ceasefire.hotline.rules import Message
from ceasefire.hotline.scheduler import HotlineConfig, Scheduler, cap_alert, metrics_of
from ceasefire.hotline.sending import Draft
from ceasefire.ledger.auditor import audit
from ceasefire.publish.access import address_principal, may_read_message
from ceasefire.store.facade import Store
from mailserver import SmtpServer, received

AGREEMENT = load_agreement(demo_agreement_path())
RULES = AGREEMENT.hotline
T0 = datetime(2026, 3, 10, 22, 0, tzinfo=UTC)
PARTIES = ("RU", "UA")
NO_CHECKS = HotlineConfig(line_checks=False)


def _with_threshold(threshold: int | None) -> Agreement:
    return dataclasses.replace(
        AGREEMENT, hotline=dataclasses.replace(RULES, digest_threshold=threshold)
    )


def _readable(address: str) -> object:
    principal = address_principal(address, PARTIES)
    assert principal is not None
    return lambda m: may_read_message(principal, m)


@pytest.fixture(scope="module")
def cap_schema() -> etree.XMLSchema:
    """The OASIS CAP 1.2 schema, from the conformance vectors (backends.vector)."""
    return etree.XMLSchema(etree.parse(str(vector("cap", "cap12.xsd"))))


@pytest.fixture
def night(night_dir: Path, tmp_path: Path) -> Iterator[Store]:
    with Store.open(copy_sqlite(night_dir / "night.db", tmp_path)) as store:
        yield store


def _notes(store: Store, party: str) -> list[Message]:
    found = store.hotline_messages(T0, address=party, kind="notification", limit=None)
    return [s.message for s in found]


# -- digests ----------------------------------------------------------------------------------


def test_a_night_gives_each_party_one_digest_and_one_call_acknowledges_it_all(
    night: Store,
) -> None:
    result = Scheduler(night, AGREEMENT, NO_CHECKS).tick(T0)
    assert result.digests == 2
    for party in PARTIES:
        notes = _notes(night, party)
        assert len(notes) >= 200  # a few hundred, not a handful
        (digest,) = night.hotline_messages(T0, address=party, kind="digest", limit=None)
        d = digest.message
        # One delivery naming every notification of the tick; it waits for nothing itself.
        assert d.recipients == (party,) and d.sender == "mission" and digest.state is None
        assert set(d.items) == {n.id for n in notes} and len(d.items) == len(notes)
        assert d.id == f"{d.items[0]}.digest" and d.urgent == any(n.urgent for n in notes)
        assert all(n.id in d.text for n in notes)
    # A second tick makes nothing again (the digest's id is fixed by its first item).
    assert Scheduler(night, AGREEMENT, NO_CHECKS).tick(T0 + timedelta(minutes=1)).digests == 0
    # UA acknowledges its whole digest in one call, ten minutes in: each still its own
    # logged acknowledgement, and each notification acknowledged on its own.
    ua = _notes(night, "UA")
    at = T0 + timedelta(minutes=10)
    found = {m.id: m for m in ua}
    acks = sending.acknowledgements([m.id for m in ua], found, "UA", at, _readable("UA"))
    done = night.hotline_send(acks, at)
    assert len(done) == len(ua) and all(new for _, new in done)
    got = night.hotline_get([m.id for m in ua], at)
    assert {s.state for s in got.values()} == {"acknowledged"}
    assert {s.of("UA").acknowledged_at for s in got.values()} == {at}
    for m in (ua[0], ua[-1]):
        (entry,) = night.ledger_entries(f"hotline/{m.id}.ack.UA")
        assert entry.kind == "hotline_message"
    # The same call again is a no-op.
    again = sending.acknowledgements([m.id for m in ua], found, "UA", at, _readable("UA"))
    assert not any(new for _, new in night.hotline_send(again, at + timedelta(minutes=1)))
    assert audit(night).problems == []


def test_the_agreement_sets_the_threshold_and_below_it_no_digest(night: Store) -> None:
    first = Scheduler(night, _with_threshold(100_000), NO_CHECKS).tick(T0)
    assert first.notifications > 0 and first.digests == 0
    assert night.hotline_messages(T0, kind="digest", limit=None) == []
    # The rule itself: threshold reached per address, not over all addresses together.
    notes = _notes(night, "UA")[:3] + _notes(night, "RU")[:2]
    made = hotline.digests(notes, 3, T0)
    assert [(d.recipients, len(d.items)) for d in made] == [(("UA",), 3)]
    assert hotline.digests(notes, 4, T0) == []


def test_escalations_of_a_silent_party_reach_the_mediator_as_one_digest(night: Store) -> None:
    scheduler = Scheduler(night, AGREEMENT, NO_CHECKS)
    scheduler.tick(T0)
    ru = _notes(night, "RU")
    ua = _notes(night, "UA")
    at = T0 + timedelta(minutes=5)
    found = {m.id: m for m in ua}
    night.hotline_send(sending.acknowledgements(list(found), found, "UA", at, _readable("UA")), at)
    late = T0 + RULES.acknowledge_within + scheduler.grace
    result = scheduler.tick(late)
    # Each silent notification escalates on its own (the ladder is per message), but the
    # mediator gets them as one digest; UA, which acknowledged, is not escalated.
    assert result.escalations == len(ru) and result.digests == 1
    (digest,) = night.hotline_messages(late, address="mediator", kind="digest", limit=None)
    assert set(digest.message.items) == {f"{m.id}.e1" for m in ru}
    assert audit(night).problems == []


def test_a_digest_is_one_email_with_one_cap_alert_for_all_its_items(
    night: Store, smtp_server: SmtpServer, cap_schema: etree.XMLSchema
) -> None:
    config = HotlineConfig(
        smtp=smtp_server.settings(),
        mail_to={"UA": ["duty-ua@ua.example.org"], "RU": ["duty-ru@ru.example.org"]},
        line_checks=False,
    )
    result = Scheduler(night, AGREEMENT, config).tick(T0)
    # Without digests each urgent notification was an e-mail of its own; now one per party.
    assert result.mails_sent == len(smtp_server.mailbox.envelopes) == 2
    for envelope in smtp_server.mailbox.envelopes:
        mail = received(envelope)
        assert mail["X-Ceasefire-Message"].endswith(".digest")
        (party,) = [p for p in PARTIES if f"duty-{p.lower()}@" in envelope.rcpt_tos[0]]
        (digest,) = night.hotline_messages(T0, address=party, kind="digest", limit=None)
        (attachment,) = list(mail.iter_attachments())
        alert = etree.fromstring(attachment.get_content())
        cap_schema.assertValid(alert)
        ns = {"c": "urn:oasis:names:tc:emergency:cap:1.2"}
        items = alert.xpath("//c:parameter[c:valueName='item']/c:value/text()", namespaces=ns)
        assert items == list(digest.message.items)
        areas = alert.xpath("//c:area/c:areaDesc/text()", namespaces=ns)
        assert areas == list(digest.message.items)  # each incident's place, named by its item
    assert night.hotline_outbox() == []


def test_a_digest_alone_makes_a_valid_cap_alert() -> None:
    notes = [
        hotline.notification(
            {"id": f"INC-{n:06d}", "lon": 37.8, "lat": 48.0, "event_type": "shelling"},
            "UA",
            T0,
            RULES,
        )
        for n in range(3)
    ]
    (digest,) = hotline.digests(notes, 2, T0)
    alert = cap_alert(digest, "ceasefire.mission", notes)
    assert [a.description for a in alert.areas] == [n.id for n in notes]
    assert cap.to_xml(alert)  # checks every field on the way


# -- bulk acknowledgement: all or none, each error names the id --------------------------------


def test_bulk_acknowledgement_is_all_or_none_naming_the_id_that_fails(night: Store) -> None:
    Scheduler(night, AGREEMENT, NO_CHECKS).tick(T0)
    ua, ru = _notes(night, "UA")[:3], _notes(night, "RU")[:1]
    own = sending.compose(
        Draft(kind="query", recipients=("RU",), subject="Ours", id="q-1"), "UA", T0, RULES,
        PARTIES,
    )  # fmt: skip
    night.hotline_send([own], T0)
    (digest,) = night.hotline_messages(T0, address="UA", kind="digest", limit=None)
    found = {m.id: m for m in (*ua, *ru, own, digest.message)}
    size = night.ledger_state().size
    ok = [m.id for m in ua]

    def acks(ids: list[str]) -> list[Message]:
        return sending.acknowledgements(ids, found, "UA", T0, _readable("UA"))

    # Another party's notification answers as one that does not exist, named with its place.
    with pytest.raises(NotFoundError, match=rf"no message '{ru[0].id}' \(ids\[3\]\)"):
        acks([*ok, ru[0].id])
    with pytest.raises(NotFoundError, match=r"'sys:n.nothing' \(ids\[0\]\)"):
        acks(["sys:n.nothing", *ok])
    # Its own query: it may read it, but it was not sent to it.
    with pytest.raises(ForbiddenError, match=r"UA:q-1' \(ids\[1\]\)"):
        acks([ok[0], own.id])
    # A digest waits for nothing: its items are what is acknowledged.
    with pytest.raises(InputError, match=r"ids\[2\]") as bad:
        acks([*ok[:2], digest.message.id])
    assert bad.value.problems[0].field == "ids[2]"
    assert night.ledger_state().size == size
    assert all(s.state == "open" for s in night.hotline_get(ok, T0).values())
    # The ids themselves are checked first, each named.
    with pytest.raises(InputError, match="at least one"):
        sending.check_ids([], where="body", field="ids")
    with pytest.raises(InputError) as bad:
        sending.check_ids(["ok", "bad\nid"], where="body", field="ids")
    assert bad.value.problems[0].field == "ids[1]"
    with pytest.raises(InputError, match="at most"):
        sending.check_ids(["x"] * (sending.MAX_BULK + 1), where="body", field="ids")
    assert sending.check_ids(["a", "b", "a"], where="body", field="ids") == ["a", "b"]


# -- the inbox: what is owed first -------------------------------------------------------------


def test_the_inbox_shows_what_is_owed_first_by_deadline(db_url: str) -> None:
    with Store.open(db_url) as store:
        sent: dict[str, Message] = {}
        for name, minutes in (("early", 0), ("late", 30), ("acked", 10), ("answered", 20),
                              ("newest", 40), ("middle", 15)):  # fmt: skip
            at = T0 + timedelta(minutes=minutes)
            m = sending.compose(Draft(kind="query", recipients=("RU",), subject=name, id=name),
                                "UA", at, RULES, PARTIES)  # fmt: skip
            store.hotline_send([m], at)
            sent[name] = m
        at = T0 + timedelta(minutes=41)
        store.hotline_send([sending.reply(sent["acked"], "acknowledgement", "RU", at)], at)
        answer = sending.reply(sent["answered"], "response", "RU", at, position="accepted")
        store.hotline_send([answer], at)
        ru_own = sending.compose(Draft(kind="query", recipients=("UA",), subject="mine",
                                       id="mine"), "RU", at, RULES, PARTIES)  # fmt: skip
        store.hotline_send([ru_own], at)
        now = T0 + timedelta(hours=1)
        inbox = store.hotline_messages(now, address="RU", order="owed", limit=None)
        ids = [s.message.id for s in inbox]
        # Owed: by the deadline RU faces next (overdue ones first, their deadlines passed):
        # early, middle, late, newest by their acknowledgement deadlines; acked by its answer's.
        owed = ["UA:early", "UA:middle", "UA:late", "UA:newest", "UA:acked"]
        assert ids[:5] == owed
        assert [inbox[0].state_of("RU", now), inbox[4].state_of("RU", now)] == [
            "overdue", "acknowledged",
        ]  # fmt: skip
        # Then the rest, newest first: RU's own query (it owes nothing on it), RU's replies,
        # the answered query.
        rest = ids[5:]
        assert rest[0] == "RU:mine" and rest[-1] == "UA:answered"
        seqs = [s.seq for s in inbox[5:]]
        assert seqs == sorted(seqs, reverse=True)
        # Paging by offset walks the same order.
        pages = [
            store.hotline_messages(now, address="RU", order="owed", limit=3, offset=o)
            for o in range(0, len(ids), 3)
        ]
        assert [s.message.id for p in pages for s in p] == ids
        # The mission's view (everything) owes by the message as a whole: UA owes RU's query,
        # due at 56 minutes, before RU's answer to UA:acked is due a day on.
        everything = store.hotline_messages(now, order="owed", limit=None)
        assert [s.message.id for s in everything][:6] == [*owed[:4], "RU:mine", "UA:acked"]
        with pytest.raises(InputError, match="order"):
            store.hotline_messages(now, order="oldest")


# -- metrics under digests and bulk acknowledgement ---------------------------------------------


def test_metrics_rate_each_message_under_digests_and_bulk_acknowledgement(night: Store) -> None:
    Scheduler(night, AGREEMENT, NO_CHECKS).tick(T0)
    ua, ru = _notes(night, "UA"), _notes(night, "RU")
    # UA acknowledges half in one call at 5 min and the rest in another at 12 min; RU
    # acknowledges nothing.
    half = len(ua) // 2
    for chunk, minutes in ((ua[:half], 5), (ua[half:], 12)):
        at = T0 + timedelta(minutes=minutes)
        found = {m.id: m for m in chunk}
        night.hotline_send(
            sending.acknowledgements(list(found), found, "UA", at, _readable("UA")), at
        )
    now = T0 + timedelta(hours=1)
    rows = {r["party"]: r for r in metrics_of(night, now)}
    # Every notification is one asked message (the digest is not one), acknowledged in its
    # own time: a bulk call does not count once, nor at the time of the first in it.
    assert rows["UA"]["asked"] == len(ua) and rows["RU"]["asked"] == len(ru)
    ack = rows["UA"]["time_to_acknowledge"]
    assert ack["n"] == len(ua) and ack["p90_min"] == 12.0
    # The median of half at 5 and half (or one more) at 12 minutes.
    assert ack["median_min"] == (8.5 if len(ua) % 2 == 0 else 12.0)
    assert rows["UA"]["unacknowledged"] == 0
    # RU is overdue on every one of its notifications, each counted.
    assert rows["RU"]["unacknowledged"] == len(ru)
    assert rows["RU"]["time_to_acknowledge"]["n"] == 0
    # Escalations and their digest do not change what is counted, only the escalated count.
    Scheduler(night, AGREEMENT, NO_CHECKS).tick(now)
    later = {r["party"]: r for r in metrics_of(night, now)}
    assert later["RU"]["escalated"] == len(ru) and later["UA"]["escalated"] == 0
    assert later["RU"]["asked"] == len(ru)
    # The pure function agrees when handed the digest too: it is no asked message.
    stored = night.hotline_messages(now, limit=None)
    direct = metrics([s.message for s in stored], {s.message.id: s.by_recipient for s in stored},
                     now)  # fmt: skip
    assert direct == metrics_of(night, now)


# -- the agreement's setting ----------------------------------------------------------------------


def test_the_digest_threshold_is_optional_and_checked(tmp_path: Path) -> None:
    from ceasefire.agreement.load import check_agreement

    assert RULES.digest_threshold is None and RULES.digest_from == 20
    # Unset, the agreement's registered body is what it was before the key existed.
    assert "digest_threshold" not in AGREEMENT.to_dict()["hotline"]
    demo = demo_agreement_path().parent
    for name in ("areas_of_control.geojson", "line_of_contact.geojson"):
        (tmp_path / name).write_bytes((demo / name).read_bytes())
    text = demo_agreement_path().read_text()
    path = tmp_path / "agreement.yaml"
    for value, problem in (("5", None), ("1", "at least 2"), ("'many'", "whole number"),
                           ("true", "whole number"), ("2.5", "whole number")):  # fmt: skip
        source = text.replace(
            "  line_check_every: PT6H", f"  line_check_every: PT6H\n  digest_threshold: {value}"
        )
        assert source != text
        path.write_text(source)
        problems = check_agreement(path)
        if problem is None:
            assert problems == []
            loaded = load_agreement(path)
            assert isinstance(loaded.hotline, HotlineDeadlines)
            assert loaded.hotline.digest_from == 5
            assert loaded.to_dict()["hotline"]["digest_threshold"] == 5
        else:
            assert [p.field for p in problems] == ["hotline.digest_threshold"]
            assert problem in problems[0].reason
