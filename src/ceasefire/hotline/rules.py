"""The hotline: how the parties' militaries talk to one another through the mechanism.

Pure rules, no I/O (the store is :mod:`ceasefire.store.hotline`, the clock-driven work
:mod:`ceasefire.hotline.scheduler`). Modelled on the channels that worked before: the Korean
Military Armistice Commission's direct line (messages, line checks twice a day, access
requests), the JCCC in Donbas and UNIFIL's tripartite meetings.

Addresses: a party's code (``UA``, ``RU``), ``mission`` (the monitors who run the channel) and
``mediator``. Kinds:

- ``notification``: the mission tells a party of an incident that concerns it (on its side of
  the line, assessed or claimed to be its doing, or a violation held against it); created by
  the scheduler, one per incident and party;
- ``query`` and ``request`` (``topic`` ``access``: monitors ask to go to a place;
  ``prior_notification``: a party announces an activity near the line): ask for an answer;
- ``acknowledgement``: "received", to one of the above;
- ``response``: a stated position (``accepted``, ``denied`` with reasons, ``under_investigation``;
  to a request ``approved`` or ``denied`` with reasons);
- ``line_check`` (mission to party, every ``line_check_every``) and its ``line_check_reply``;
- ``agenda_item``: a point for the next joint meeting;
- ``escalation``: the mission tells the mediator that a party missed a deadline;
- ``digest``: one delivery of many notifications (or escalations) made for one address in one
  scheduler tick (:func:`digests`); it names them in ``items`` and waits for nothing: each item
  is still its own message, acknowledged, answered, escalated and measured on its own.

Every message is immutable once sent and goes into the ledger. What a message is waiting for
follows from its kind and the agreement's deadlines (:func:`deadlines`); its state (``open``,
``acknowledged``, ``answered``, ``overdue``, ``escalated``) from the replies it got and the
clock (:func:`state_at`), for each recipient apart (:func:`owers`: one recipient's answer does
not answer for another) and for the message as a whole (:func:`overall`). Escalation goes up in levels (:func:`due_escalations`), each level
once: 1 when the acknowledgement is ``grace`` late, 2 when the answer is ``grace`` late, 3 when
the answer is a whole answer period late, which also puts it on the joint meeting's agenda.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from ceasefire.harm import describe
from ceasefire.vocab import MEDIATOR, MISSION, SYSTEM

if TYPE_CHECKING:  # the agreement module loads shapely and PROJ; the CLI imports this one
    from ceasefire.agreement.model import HotlineDeadlines


#: Kinds that wait for replies: an acknowledgement and an answer (a line check: its reply).
ASKING: Final = frozenset({"notification", "query", "request"})
REPLIES: Final = frozenset({"acknowledgement", "response", "line_check_reply"})
KINDS: Final = (
    "notification",
    "acknowledgement",
    "response",
    "query",
    "request",
    "line_check",
    "line_check_reply",
    "agenda_item",
    "escalation",
    "digest",
)
#: What people may send themselves; the rest the mechanism makes (the scheduler).
SENDABLE: Final = frozenset({"query", "request", "agenda_item"})
REQUEST_TOPICS: Final = ("access", "prior_notification")
#: Positions a response may state, by the kind it answers.
POSITIONS: Final[Mapping[str, tuple[str, ...]]] = {
    "notification": ("accepted", "denied", "under_investigation"),
    "query": ("accepted", "denied", "under_investigation"),
    "request": ("approved", "denied"),
}
STATES: Final = ("open", "acknowledged", "answered", "overdue", "escalated")
#: Orders of an inbox: as stored (pages by position), or what the reader still owes first, by
#: the deadline it faces next, then the rest newest first (:func:`ceasefire.store.hotline.list_messages`).
ORDERS: Final = ("stored", "owed")
#: The ids the mechanism gives the messages it makes (notifications, line checks, escalations,
#: agenda items, acknowledgements) start with this. No caller can write one: an id a caller
#: chooses is kept under its own address (:func:`caller_id`), and ``sys`` is no address (the
#: agreement refuses it as a party code). So a party cannot take the id of a message the
#: mechanism owes someone and keep it from being sent, and a clash (409) only ever concerns
#: the caller's own ids.
SYSTEM_PREFIX: Final = f"{SYSTEM}:"
#: The highest escalation level; it also puts the message on the joint meeting's agenda.
TOP_LEVEL: Final = 3
#: How many report-level casualties make a notification urgent (e-mail and CAP as well).
URGENT_CASUALTIES: Final = 1
#: A strike this far behind the line (on the party's own side) is urgent too: past the reach
#: of the tube artillery the withdrawal zones are drawn around.
URGENT_DEPTH_M: Final = 50_000.0


@dataclass(frozen=True)
class Message:
    """One hotline message as sent. ``ack_due`` and ``answer_due`` are the deadlines it sets
    (None: it waits for nothing); ``level`` is an escalation's level."""

    id: str
    thread: str
    kind: str
    sender: str
    recipients: tuple[str, ...]
    sent_at: datetime
    subject: str = ""
    text: str = ""
    in_reply_to: str | None = None
    incident_id: str | None = None
    topic: str | None = None
    position: str | None = None
    reasons: str | None = None
    ack_due: datetime | None = None
    answer_due: datetime | None = None
    level: int | None = None
    urgent: bool = False
    place: Mapping[str, float] | None = None
    window: Mapping[str, str] | None = None
    #: A digest's messages, by id (empty for every other kind).
    items: tuple[str, ...] = ()

    def record(self) -> dict[str, Any]:
        """The message as logged in the ledger and shown by the API (times in UTC ISO 8601).
        ``items`` only when there are some: every record logged before digests existed stays
        the record the message gives."""
        return {
            "id": self.id,
            "thread": self.thread,
            "kind": self.kind,
            "sender": self.sender,
            "recipients": list(self.recipients),
            "sent_at": utc(self.sent_at),
            "subject": self.subject,
            "text": self.text,
            "in_reply_to": self.in_reply_to,
            "incident_id": self.incident_id,
            "topic": self.topic,
            "position": self.position,
            "reasons": self.reasons,
            "ack_due": None if self.ack_due is None else utc(self.ack_due),
            "answer_due": None if self.answer_due is None else utc(self.answer_due),
            "level": self.level,
            "urgent": self.urgent,
            "place": None if self.place is None else dict(self.place),
            "window": None if self.window is None else dict(self.window),
            **({"items": list(self.items)} if self.items else {}),
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Message:
        def time(key: str) -> datetime | None:
            value = record.get(key)
            return None if value is None else datetime.fromisoformat(value)

        sent = time("sent_at")
        assert sent is not None
        return cls(
            id=record["id"],
            thread=record["thread"],
            kind=record["kind"],
            sender=record["sender"],
            recipients=tuple(record["recipients"]),
            sent_at=sent,
            subject=record.get("subject") or "",
            text=record.get("text") or "",
            in_reply_to=record.get("in_reply_to"),
            incident_id=record.get("incident_id"),
            topic=record.get("topic"),
            position=record.get("position"),
            reasons=record.get("reasons"),
            ack_due=time("ack_due"),
            answer_due=time("answer_due"),
            level=record.get("level"),
            urgent=bool(record.get("urgent")),
            place=record.get("place"),
            window=record.get("window"),
            items=tuple(record.get("items") or ()),
        )


def utc(moment: datetime) -> str:
    """A time as the hotline writes it: UTC, ISO 8601, whole microseconds, ``+00:00``."""
    if moment.tzinfo is None:
        raise ValueError("hotline times must be timezone-aware")
    return moment.astimezone(UTC).isoformat()


def system_id(name: str) -> str:
    """The id of a message the mechanism makes, fixed by what it is about (``name``); an id
    built on another system id is not prefixed twice (``sys:n.INC-000012.UA.e1``)."""
    return name if name.startswith(SYSTEM_PREFIX) else SYSTEM_PREFIX + name


def caller_id(sender: str, key: str) -> str:
    """The id of a message whose sender chose ``key`` (its idempotency key): scoped to the
    sender, so the same key from two senders names two messages."""
    return f"{sender}:{key}"


def deadlines(
    kind: str, sent_at: datetime, rules: HotlineDeadlines
) -> tuple[datetime | None, datetime | None]:
    """The (acknowledge by, answer by) deadlines a message of ``kind`` sets under the
    agreement's hotline rules: asking kinds both; a line check a reply within the
    acknowledgement time; the rest none."""
    if kind in ASKING:
        return sent_at + rules.acknowledge_within, sent_at + rules.answer_within
    if kind == "line_check":
        return sent_at + rules.acknowledge_within, None
    return None, None


@dataclass(frozen=True)
class Progress:
    """What a message that waits for replies has got so far from one recipient (times of the
    first of each), or from all of them (:func:`overall`)."""

    acknowledged_at: datetime | None = None
    answered_at: datetime | None = None
    level: int = 0  # the highest escalation level sent


def owers(message: Message) -> tuple[str, ...]:
    """The recipients a message waits on, each for its own replies (none for a message that
    waits for nothing). One recipient's answer does not answer for another."""
    if message.kind not in ASKING and message.kind != "line_check":
        return ()
    return tuple(r for r in message.recipients if r != message.sender)


def overall(message: Message, by_recipient: Mapping[str, Progress]) -> Progress:
    """What the message has got from all the recipients it waits on: acknowledged (answered)
    once every one has acknowledged (answered), at the last of them; its level the highest
    any was escalated to."""
    each = [by_recipient.get(r, Progress()) for r in owers(message)] or [Progress()]

    def last(times: list[datetime | None]) -> datetime | None:
        return None if any(t is None for t in times) else max(t for t in times if t is not None)

    return Progress(
        last([p.acknowledged_at for p in each]),
        last([p.answered_at for p in each]),
        max(p.level for p in each),
    )


def owes_at_level(message: Message, progress: Progress, level: int) -> bool:
    """Whether a recipient with ``progress`` is owed at escalation ``level`` (not yet escalated
    to it): level 1 while it has not acknowledged, the others while it has not answered (a line
    check: replied to)."""
    if progress.level >= level or progress.answered_at is not None:
        return False
    if level == 1 or message.kind == "line_check":
        return progress.acknowledged_at is None
    return True


def state_at(message: Message, progress: Progress, now: datetime) -> str | None:
    """The message's state at ``now``, or None for a message that waits for nothing (a reply,
    an agenda item, an escalation): ``answered`` once answered (a line check: replied to), else
    ``escalated`` once escalated, ``overdue`` once a deadline it waits on has passed,
    ``acknowledged``, or ``open``."""
    if message.kind not in ASKING and message.kind != "line_check":
        return None
    if progress.answered_at is not None:
        return "answered"
    if message.kind == "line_check" and progress.acknowledged_at is not None:
        return "answered"
    if progress.level > 0:
        return "escalated"
    acked = progress.acknowledged_at is not None
    if (not acked and message.ack_due is not None and now > message.ack_due) or (
        message.answer_due is not None and now > message.answer_due
    ):
        return "overdue"
    return "acknowledged" if acked else "open"


def escalation_times(message: Message, grace: timedelta) -> dict[int, datetime]:
    """When each escalation level falls due if the message is not answered by then: level 1 at
    the acknowledgement deadline plus ``grace``, 2 at the answer deadline plus ``grace``, 3 a
    whole answer period after the answer deadline."""
    times: dict[int, datetime] = {}
    if message.ack_due is not None:
        times[1] = message.ack_due + grace
    if message.answer_due is not None:
        times[2] = message.answer_due + grace
        times[3] = message.answer_due + (message.answer_due - message.sent_at)
    return times


def due_escalations(
    message: Message, progress: Progress, now: datetime, grace: timedelta
) -> list[int]:
    """The escalation levels due at ``now`` and not sent yet, lowest first. Level 1 is only due
    while the message is unacknowledged; none is due once it is answered."""
    if state_at(message, progress, now) in ("answered", None):
        return []
    due = []
    for level, at in sorted(escalation_times(message, grace).items()):
        if level <= progress.level or now < at:
            continue
        if level == 1 and progress.acknowledged_at is not None:
            continue
        due.append(level)
    return due


def escalations_due(
    message: Message, by_recipient: Mapping[str, Progress], now: datetime, grace: timedelta
) -> list[tuple[int, tuple[str, ...]]]:
    """The escalation levels due at ``now`` for any recipient, lowest first, each with the
    recipients it is about (:func:`due_escalations` of each one's own progress)."""
    due: dict[int, list[str]] = {}
    for r in owers(message):
        for level in due_escalations(message, by_recipient.get(r, Progress()), now, grace):
            due.setdefault(level, []).append(r)
    return [(level, tuple(names)) for level, names in sorted(due.items())]


def escalation(
    message: Message, level: int, now: datetime, owed: Sequence[str] | None = None
) -> Message:
    """The escalation of ``message`` at ``level`` to the mediator about the recipients that
    ``owed`` it (default: every one it waits on). Its id is fixed by the message and level,
    so it is made once whatever restarts in between."""
    missing = {
        1: "no acknowledgement",
        2: "no answer",
        3: "still no answer after a second answer period",
    }[level]
    late = message.ack_due if level == 1 else message.answer_due
    owed = ", ".join(owed if owed is not None else owers(message)) or ", ".join(message.recipients)
    return Message(
        id=system_id(f"{message.id}.e{level}"),
        thread=message.thread,
        kind="escalation",
        sender=MISSION,
        recipients=(MEDIATOR,),
        sent_at=now,
        subject=f"Escalation level {level}: {message.subject}"[:200],
        text=f"{owed}: {missing} to {message.kind} {message.id} (due {utc(late) if late else '-'}).",
        in_reply_to=message.id,
        incident_id=message.incident_id,
        level=level,
        urgent=message.urgent,
    )


def agenda_for(message: Message, now: datetime) -> Message:
    """The agenda item that a top-level escalation puts before the next joint meeting."""
    return Message(
        id=system_id(f"{message.id}.agenda"),
        thread=message.thread,
        kind="agenda_item",
        sender=MISSION,
        recipients=tuple(dict.fromkeys((*message.recipients, message.sender, MEDIATOR))),
        sent_at=now,
        subject=f"Unanswered {message.kind}: {message.subject}"[:200],
        text=f"{message.kind.capitalize()} {message.id} has had no answer since "
        f"{utc(message.sent_at)}.",
        in_reply_to=message.id,
        incident_id=message.incident_id,
    )


#: What a digest gathers: the messages the scheduler makes in bulk, each to one address.
DIGESTED: Final = frozenset({"notification", "escalation"})


def digests(messages: Sequence[Message], threshold: int, now: datetime) -> list[Message]:
    """One digest for each address that ``messages`` (made in one tick) send ``threshold`` or
    more notifications or escalations to, naming them in ``items`` (in their order).

    Why a digest is a delivery and not a message that waits: each item keeps its own id,
    deadlines and replies, so a party acknowledges and answers each incident as before (one
    call for many, ``POST /hotline/messages/ack``); the escalation ladder, the states, the
    metrics and the ledger audit's replay of replies see exactly the messages they saw
    without digests. What the digest changes is what is pushed at the duty officer: one
    e-mail with one CAP alert instead of hundreds. Its id is fixed by its first item, which
    is new in this tick only, so a tick run again makes the same digest or none."""
    by_address: dict[str, list[Message]] = {}
    for m in messages:
        if m.kind in DIGESTED and len(m.recipients) == 1:
            by_address.setdefault(m.recipients[0], []).append(m)
    out = []
    for address, items in by_address.items():
        if len(items) < threshold:
            continue
        counts = {k: sum(1 for m in items if m.kind == k) for k in sorted(DIGESTED)}
        what = ", ".join(f"{n} {k}s" for k, n in counts.items() if n)
        urgent = sum(1 for m in items if m.urgent)
        dues = [m.ack_due for m in items if m.ack_due is not None]
        lines = [f"{m.id}: {m.subject}" + (" [URGENT]" if m.urgent else "") for m in items]
        head = f"{what} for {address}" + (f", {urgent} urgent" if urgent else "")
        if dues:
            head += f"; acknowledge each by {utc(min(dues))} at the earliest"
        out.append(
            Message(
                id=system_id(f"{items[0].id}.digest"),
                thread=f"digest/{address}",
                kind="digest",
                sender=MISSION,
                recipients=(address,),
                sent_at=now,
                subject=f"Digest: {head}"[:200],
                text=head + ".\n" + "\n".join(lines),
                urgent=urgent > 0,
                items=tuple(m.id for m in items),
            )
        )
    return out


def figure(value: Any) -> int:
    """A count as an incident holds it: a number, or a range ``{low, best, high}`` (its best
    estimate); 0 when unknown."""
    if isinstance(value, Mapping):
        value = value.get("best")
    return int(value or 0)


def is_urgent(incident: Mapping[str, Any], party: str) -> bool:
    """An incident is urgent for a party when people were killed or injured, or when it struck
    deep behind the line on the party's own side (:data:`URGENT_DEPTH_M`)."""
    harmed = figure(incident.get("killed")) + figure(incident.get("injured"))
    if harmed >= URGENT_CASUALTIES:
        return True
    distance = incident.get("distance_m")
    return (
        incident.get("party") == party
        and distance is not None
        and float(distance) >= URGENT_DEPTH_M
    )


def notification(
    incident: Mapping[str, Any], party: str, now: datetime, rules: HotlineDeadlines
) -> Message:
    """The notification to ``party`` of an incident that concerns it (``StoredIncident``'s
    mapping); one per incident and party, by its id."""
    incident_id = str(incident["id"])
    ack_due, answer_due = deadlines("notification", now, rules)
    kind = str(incident.get("event_type") or "incident").replace("_", " ")
    where = incident.get("oblast") or "unknown region"
    distance = incident.get("distance_m")
    side = incident.get("party")
    place = f"{where}"
    if distance is not None and side:
        place += f", {float(distance) / 1000:.1f} km on the {side} side of the line"
    harm = describe(incident)
    subject = f"{incident_id}: {kind} in {where}"
    text = (
        f"The mission records {kind} ({incident_id}), observed {incident.get('observed_from')} "
        f"to {incident.get('observed_to')}, at {place}; status {incident.get('status')}."
    )
    if harm:
        text += f" Harm reported: {harm}."
    text += (
        f" Acknowledge by {utc(ack_due) if ack_due else '-'} and state your position by "
        f"{utc(answer_due) if answer_due else '-'}."
    )
    return Message(
        id=system_id(f"n.{incident_id}.{party}"),
        thread=incident_id,
        kind="notification",
        sender=MISSION,
        recipients=(party,),
        sent_at=now,
        subject=subject[:200],
        text=text,
        incident_id=incident_id,
        ack_due=ack_due,
        answer_due=answer_due,
        urgent=is_urgent(incident, party),
        place={
            "lon": float(incident["lon"]),
            "lat": float(incident["lat"]),
            "radius_m": float(incident.get("uncertainty_m") or 0.0),
        },
    )


def line_check_slot(now: datetime, start: datetime, every: timedelta) -> datetime:
    """The start of the line-check period ``now`` falls in (periods of ``every`` from
    ``start``, the agreement's entry into force)."""
    periods = math.floor((now - start) / every)
    return start + periods * every


def line_check(
    party: str, slot: datetime, rules: HotlineDeadlines, now: datetime | None = None
) -> Message:
    """The line check of ``party`` for the period starting at ``slot`` (one per period, by
    id), sent at ``now`` (default: the period's start): a check made late, after the service
    was down, gives the party its full reply time from when it is really sent."""
    sent = max(slot, now) if now is not None else slot
    ack_due, _ = deadlines("line_check", sent, rules)
    # Seconds only when the period does not start on a whole minute (periods shorter than a
    # minute, as in tests): each period must have its own id, and minute ids stay as they are.
    whole = not (slot.second or slot.microsecond)
    stamp = slot.astimezone(UTC).strftime("%Y%m%dT%H%MZ" if whole else "%Y%m%dT%H%M%SZ")
    return Message(
        id=system_id(f"lc.{party}.{stamp}"),
        thread=f"line-check/{party}",
        kind="line_check",
        sender=MISSION,
        recipients=(party,),
        sent_at=sent,
        subject=f"Line check {stamp}",
        text=f"Line check: reply by {utc(ack_due) if ack_due else '-'}.",
        ack_due=ack_due,
    )


def missed_line_check(message: Message, progress: Progress, now: datetime) -> bool:
    """A line check is missed when no reply came by its deadline (a late reply still misses)."""
    due = message.ack_due
    replied = progress.acknowledged_at
    if due is None:
        return False
    return (replied is None and now > due) or (replied is not None and replied > due)


# -- messages as stored ------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredMessage:
    """A message as stored: its position in the store (``seq``, for paging), what it has
    received so far from all its recipients (``progress``, :func:`overall`) and from each
    (``by_recipient``), and its state at the time it was read (``at``)."""

    seq: int
    message: Message
    progress: Progress
    state: str | None
    by_recipient: Mapping[str, Progress] = field(default_factory=dict)
    at: datetime | None = None

    def of(self, recipient: str) -> Progress:
        """What the message has got from one recipient."""
        return self.by_recipient.get(recipient, Progress())

    def state_of(self, recipient: str, now: datetime) -> str | None:
        """The message's state for one recipient: its own replies and escalations only."""
        return state_at(self.message, self.of(recipient), now)

    def to_dict(self, scope: str | None = None) -> dict[str, Any]:
        """The message with its state: overall and per recipient (``recipients_progress``);
        with ``scope`` a recipient's, its own only (:func:`ceasefire.publish.access.progress_scope`),
        so that a party sees neither whether another recipient answered nor when."""
        out = self.message.record()

        def described(p: Progress, state: str | None) -> dict[str, Any]:
            return {
                "state": state,
                "acknowledged_at": None
                if p.acknowledged_at is None
                else p.acknowledged_at.isoformat(),
                "answered_at": None if p.answered_at is None else p.answered_at.isoformat(),
                "escalation_level": p.level,
            }

        now = self.at
        if scope is not None and scope in owers(self.message):
            mine = self.of(scope)
            state = state_at(self.message, mine, now) if now is not None else self.state
            out.update(described(mine, state))
            out["recipients_progress"] = {scope: described(mine, state)}
            return out
        out.update(described(self.progress, self.state))
        out["recipients_progress"] = {
            r: described(
                self.of(r), None if now is None else state_at(self.message, self.of(r), now)
            )
            for r in owers(self.message)
        }
        return out


@dataclass(frozen=True)
class Mail:
    """An e-mail owed: which message, to which address, tried how often."""

    message_id: str
    address: str
    attempts: int
    sent_at: datetime | None
    last_error: str | None
