"""The hotline's clock: notifications, line checks, escalations and e-mail, tick by tick.

:meth:`Scheduler.tick` does everything that is due at a given time, and keeps nothing in
memory between ticks: what is due is read from the store each time, and everything the
scheduler makes has an id fixed by what it is about (``n.INC-000012.UA``, ``M.e2``,
``lc.UA.20260310T0600Z``), written in the same transaction as its bookmark. So a crash
between two ticks, or in the middle of one, loses nothing (the next tick finds it still due)
and repeats nothing (a second copy has the same id and is not stored again). The service runs
ticks in the background (:meth:`Scheduler.run`); ``ceasefire hotline tick`` runs one.

Many notifications (or escalations) to one address in one tick go out as one digest
(:func:`ceasefire.hotline.rules.digests`, from the agreement's ``digest_threshold``), written in
the same transaction as its items: the digest is what is e-mailed, the items are not.

E-mails are queued in the same transaction as their message and sent afterwards; one whose
sending was cut off by a crash, after the server took it and before the outbox noted it, is
sent again at the next tick (at least once; the Message-ID stays the same, so mail clients
show one).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any, Protocol

from ceasefire.agreement.model import Agreement
from ceasefire.errors import CeasefireError
from ceasefire.hotline import cap
from ceasefire.hotline.mail import Attachment, SmtpSettings, build_message, send
from ceasefire.hotline.metrics import metrics
from ceasefire.hotline.rules import (
    Mail,
    Message,
    StoredMessage,
    agenda_for,
    digests,
    escalation,
    escalations_due,
    line_check,
    line_check_slot,
    notification,
    utc,
)
from ceasefire.publish.access import notified_parties
from ceasefire.records import StoredIncident
from ceasefire.vocab import MEDIATOR

_log = logging.getLogger("ceasefire.hotline")

#: Incidents looked at per transaction when notifying. A digest gathers the notifications of
#: one transaction, so this bounds a digest too: a night's batch of a thousand reports from one
#: party still gives the other party one digest, a backlog of a whole war one per thousand.
NOTIFY_BATCH = 1000
#: Tries of one e-mail before it is left in the outbox as failed.
MAX_MAIL_ATTEMPTS = 10
_CURSOR = "incidents"


class HotlineStore(Protocol):
    """What the scheduler needs of a store (:class:`ceasefire.store.facade.Store` is one): the
    hotline's messages, bookmark and outbox, and the incidents it notifies about."""

    def hotline_send(
        self,
        messages: Sequence[Message],
        now: datetime,
        *,
        cursor: tuple[str, str] | None = None,
        mail: Mapping[str, Sequence[str]] | None = None,
    ) -> list[tuple[StoredMessage, bool]]: ...
    def hotline_messages(self, now: datetime, **filters: Any) -> list[StoredMessage]: ...
    def hotline_get(self, ids: Collection[str], now: datetime) -> dict[str, StoredMessage]: ...
    def hotline_owing(self, now: datetime) -> list[StoredMessage]: ...
    def hotline_stored(self, ids: Collection[str]) -> set[str]: ...
    def hotline_cursor(self, name: str) -> str | None: ...
    def hotline_changed_incidents(
        self, after: tuple[datetime, int] | None, limit: int
    ) -> list[tuple[str, datetime, int]]: ...
    def hotline_outbox(self, *, pending: bool = True, limit: int | None = None) -> list[Mail]: ...
    def hotline_mail_done(
        self, message_id: str, address: str, *, sent_at: datetime | None, error: str | None
    ) -> None: ...
    def violation_parties(self, incident_ids: Collection[str]) -> dict[str, set[str]]: ...
    def incidents_by_id(self, incident_ids: Collection[str]) -> dict[str, StoredIncident]: ...


@dataclass
class HotlineConfig:
    """How the scheduler works: ``grace`` before a missed deadline escalates (None: the
    agreement's acknowledgement time), where e-mails go (hotline address -> e-mail
    addresses) and through which server (None: no e-mail), and the name alerts are sent as."""

    grace: timedelta | None = None
    smtp: SmtpSettings | None = None
    mail_to: Mapping[str, Sequence[str]] = field(default_factory=dict)
    cap_sender: str = "ceasefire.mission"
    line_checks: bool = True


@dataclass
class TickResult:
    """What one tick did."""

    notifications: int = 0
    line_checks: int = 0
    escalations: int = 0
    agenda_items: int = 0
    digests: int = 0
    mails_sent: int = 0
    mails_failed: int = 0

    def to_dict(self) -> dict[str, int]:
        return dict(vars(self))


class Scheduler:
    """Runs the hotline's clock over a store, under one agreement's deadlines."""

    def __init__(
        self, store: HotlineStore, agreement: Agreement, config: HotlineConfig | None = None
    ) -> None:
        self.store = store
        self.agreement = agreement
        self.config = config or HotlineConfig()

    @property
    def grace(self) -> timedelta:
        return self.config.grace or self.agreement.hotline.acknowledge_within

    def tick(self, now: datetime | None = None, *, notify: bool = True) -> TickResult:
        """Do what is due at ``now`` (default: the present); without ``notify``, all but the
        notifications (live fusion makes them after each of its steps:
        :class:`ceasefire.live.LiveProcess`)."""
        now = now or datetime.now(UTC)
        result = TickResult()
        notify_digests = 0
        if notify:
            result.notifications, notify_digests = self.notify(now)
        if self.config.line_checks:
            result.line_checks = self.line_checks(now)
        result.escalations, result.agenda_items, escalate_digests = self.escalate(now)
        result.digests = notify_digests + escalate_digests
        if self.config.smtp is not None:
            result.mails_sent, result.mails_failed = self.deliver(now)
        return result

    # -- notifications ---------------------------------------------------------------------

    def notify(self, now: datetime) -> tuple[int, int]:
        """Notify each party of the incidents that came to concern it since the last tick;
        returns (notifications, digests) made."""
        made = gathered = 0
        parties = list(self.agreement.parties)
        while True:
            bookmark = _parse_cursor(self.store.hotline_cursor(_CURSOR))
            changed = self.store.hotline_changed_incidents(bookmark, NOTIFY_BATCH)
            if not changed:
                return made, gathered
            ids = [incident_id for incident_id, _, _ in changed]
            incidents = self.store.incidents_by_id(ids)
            against = self.store.violation_parties(ids)
            messages = []
            for incident_id in ids:
                stored = incidents.get(incident_id)
                if stored is None:
                    continue
                # The policy names who is told: those it concerns (each of them may read it).
                told = notified_parties(stored, parties, against.get(incident_id, set()))
                if told:
                    view = stored.to_dict()
                    messages += [notification(view, p, now, self.agreement.hotline) for p in told]
            have = self.store.hotline_stored([m.id for m in messages])
            new = [m for m in messages if m.id not in have]
            _, last_at, last_seq = changed[-1]
            cursor = (_CURSOR, f"{utc(last_at)}|{last_seq}")
            sent = self._with_digests(new, now)
            self.store.hotline_send(sent, now, cursor=cursor, mail=self._mail_for(sent))
            made += len(new)
            gathered += len(sent) - len(new)
            if len(changed) < NOTIFY_BATCH:
                return made, gathered

    def _with_digests(self, messages: list[Message], now: datetime) -> list[Message]:
        """The messages and, after them, their digests (stored in the same transaction: a
        digest never names a message that is not stored, and items are never left unsent)."""
        return messages + digests(messages, self.agreement.hotline.digest_from, now)

    # -- line checks -----------------------------------------------------------------------

    def line_checks(self, now: datetime) -> int:
        """The line check of the current period for each party, once."""
        rules = self.agreement.hotline
        start = self.agreement.effective_from
        if now < start:
            return 0
        slot = line_check_slot(now, start, rules.line_check_every)
        checks = [line_check(party, slot, rules, now) for party in self.agreement.parties]
        have = self.store.hotline_stored([m.id for m in checks])
        new = [m for m in checks if m.id not in have]
        if new:
            self.store.hotline_send(new, now)
        return len(new)

    # -- escalation ------------------------------------------------------------------------

    def escalate(self, now: datetime) -> tuple[int, int, int]:
        """Escalate to the mediator what is overdue, each level once; the top level also puts
        the message on the joint meeting's agenda. Returns (escalations, agenda items,
        digests) made."""
        made: list[Message] = []
        agenda = 0
        for stored in self.store.hotline_owing(now):
            # Each recipient owes its own replies: a level names those still silent.
            due = escalations_due(stored.message, stored.by_recipient, now, self.grace)
            for level, owed in due:
                made.append(escalation(stored.message, level, now, owed))
                if level == 3:
                    made.append(agenda_for(stored.message, now))
                    agenda += 1
        if not made:
            return 0, 0, 0
        have = self.store.hotline_stored([m.id for m in made])
        new = [m for m in made if m.id not in have]
        sent = self._with_digests(new, now)
        if sent:
            self.store.hotline_send(sent, now, mail=self._mail_for(sent))
        return sum(1 for m in new if m.kind == "escalation"), agenda, len(sent) - len(new)

    # -- e-mail ----------------------------------------------------------------------------

    def _mail_for(self, messages: Sequence[Message]) -> dict[str, list[str]]:
        """E-mail addresses owed each urgent message (none without an SMTP server); a message
        in a digest is delivered by its digest's e-mail, not by one of its own."""
        if self.config.smtp is None:
            return {}
        digested = {i for m in messages for i in m.items}
        owed: dict[str, list[str]] = {}
        for m in messages:
            if not m.urgent or m.id in digested:
                continue
            addresses = [a for r in m.recipients for a in self.config.mail_to.get(r, ())]
            if addresses:
                owed[m.id] = addresses
        return owed

    def deliver(self, now: datetime) -> tuple[int, int]:
        """Send the e-mails owed; returns (sent, failed this time)."""
        settings = self.config.smtp
        if settings is None:
            return 0, 0
        pending = [m for m in self.store.hotline_outbox() if m.attempts < MAX_MAIL_ATTEMPTS]
        if not pending:
            return 0, 0
        messages = self.store.hotline_get({m.message_id for m in pending}, now)
        sent = failed = 0
        for mail in pending:
            stored = messages.get(mail.message_id)
            if stored is None:
                continue
            items = self._items(stored.message, now)
            try:
                send(settings, self.email(stored.message, [mail.address], items))
            except CeasefireError as exc:
                _log.warning("e-mail of %s to %s failed: %s", mail.message_id, mail.address, exc)
                self.store.hotline_mail_done(
                    mail.message_id, mail.address, sent_at=None, error=str(exc)
                )
                failed += 1
                continue
            self.store.hotline_mail_done(
                mail.message_id, mail.address, sent_at=datetime.now(UTC), error=None
            )
            sent += 1
        return sent, failed

    def _items(self, message: Message, now: datetime) -> list[Message]:
        """A digest's items as stored (none for any other message)."""
        if not message.items:
            return []
        found = self.store.hotline_get(message.items, now)
        return [found[i].message for i in message.items if i in found]

    def email(
        self, message: Message, to: Sequence[str], items: Sequence[Message] = ()
    ) -> EmailMessage:
        """The e-mail of a message: its text, and its CAP 1.2 alert attached (a digest's
        with the places and deadlines of its ``items``)."""
        settings = self.config.smtp
        assert settings is not None
        alert = cap.to_xml(cap_alert(message, self.config.cap_sender, items))
        domain = settings.sender.rpartition("@")[2] or "ceasefire.invalid"
        # A msg-id's left part is a dot-atom (RFC 5322 section 3.6.4), without the ':' of system
        # and caller ids; '=' is allowed there and in file names, and in no message id.
        name = message.id.replace(":", "=")
        return build_message(
            settings,
            to,
            f"[{'URGENT' if message.urgent else 'hotline'}] {message.subject}",
            f"{message.text}\n\nHotline message {message.id}, thread {message.thread}.\n",
            message_id=f"<{name}@{domain}>",
            attachments=[Attachment(f"{name}.cap.xml", alert, "application/cap+xml")],
            headers={"X-Ceasefire-Message": message.id},
        )

    def cap_alert(self, message: Message, items: Sequence[Message] = ()) -> cap.CapAlert:
        """The CAP 1.2 alert of a hotline message, addressed to its recipients."""
        return cap_alert(message, self.config.cap_sender, items)

    # -- running in the service ------------------------------------------------------------

    async def run(
        self, every_s: float, clock: Callable[[], datetime] | None = None, *, notify: bool = True
    ) -> None:  # pragma: no cover - exercised through the service tests
        """Tick every ``every_s`` seconds until cancelled (``notify``: see :meth:`tick`); a
        failed tick is logged and the next one tries again."""
        while True:
            try:
                now = clock() if clock is not None else None
                await asyncio.to_thread(self.tick, now, notify=notify)
            except Exception:
                _log.exception("hotline tick failed")
            await asyncio.sleep(every_s)


def cap_alert(message: Message, sender: str, items: Sequence[Message] = ()) -> cap.CapAlert:
    """A CAP 1.2 alert for an urgent hotline message: scope Private, to its recipients. A
    digest's alert carries each of its ``items`` (the stored messages it names): its id and
    deadline as parameters, its place as an area, so that one alert stands for all of them."""
    parameters = [("hotline_message", message.id), ("thread", message.thread)]
    if message.incident_id:
        parameters.append(("incident", message.incident_id))
    if message.ack_due is not None:
        parameters.append(("acknowledge_by", cap.cap_time(message.ack_due)))
    if message.answer_due is not None:
        parameters.append(("answer_by", cap.cap_time(message.answer_due)))
    areas: tuple[cap.CapArea, ...] = ()
    if message.place is not None:
        areas = (
            cap.CapArea(
                message.thread,
                float(message.place["lon"]),
                float(message.place["lat"]),
                float(message.place.get("radius_m") or 0.0) or None,
            ),
        )
    for item in items:
        parameters.append(("item", item.id))
        if item.ack_due is not None:
            parameters.append(("item_acknowledge_by", f"{item.id} {cap.cap_time(item.ack_due)}"))
        if item.place is not None:
            areas += (
                cap.CapArea(
                    item.id,
                    float(item.place["lon"]),
                    float(item.place["lat"]),
                    float(item.place.get("radius_m") or 0.0) or None,
                ),
            )
    return cap.CapAlert(
        identifier=message.id.replace(" ", "_"),
        sender=sender,
        sent=message.sent_at,
        addresses=message.recipients,
        event=f"ceasefire {message.kind}",
        urgency="Immediate" if message.urgent else "Expected",
        severity="Severe" if message.urgent else "Moderate",
        certainty="Likely",
        headline=message.subject[:160],
        description=message.text,
        parameters=tuple(parameters),
        areas=areas,
        sender_name="ceasefire monitoring mission",
    )


def metrics_of(store: HotlineStore, now: datetime) -> list[dict[str, Any]]:
    """The hotline metrics of everything stored (:func:`ceasefire.hotline.metrics.metrics`)."""
    stored = store.hotline_messages(now, limit=None)
    return metrics([s.message for s in stored], {s.message.id: s.by_recipient for s in stored}, now)


def _parse_cursor(value: str | None) -> tuple[datetime, int] | None:
    if not value:
        return None
    at, _, seq = value.rpartition("|")
    return datetime.fromisoformat(at), int(seq)


__all__ = ["MEDIATOR", "HotlineConfig", "Scheduler", "TickResult", "cap_alert", "metrics_of"]
