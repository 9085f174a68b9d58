"""What people send on the hotline: drafts checked and composed into messages, and replies.

A party's liaison officer, the mission or the mediator writes a :class:`Draft` (a query, a
request, an agenda item) or answers a message; :func:`compose` and :func:`reply` check it against
the rules of :mod:`ceasefire.hotline.rules` and give the :class:`~ceasefire.hotline.rules.Message`
to store. Pure: no store, no clock (the caller passes ``now``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from ceasefire.errors import ForbiddenError, InputError, NotFoundError, Problem
from ceasefire.ids import check_id, check_token, id_problem, token_problem
from ceasefire.vocab import MEDIATOR, MISSION

if TYPE_CHECKING:  # the agreement module loads shapely and PROJ; the CLI imports this one
    from ceasefire.agreement.model import HotlineDeadlines


from ceasefire.hotline.rules import (
    ASKING,
    POSITIONS,
    REQUEST_TOPICS,
    SENDABLE,
    Message,
    Progress,
    caller_id,
    deadlines,
    owers,
    owes_at_level,
    system_id,
    utc,
)


@dataclass(frozen=True)
class Draft:
    """A message as a person writes it (the API body, the CLI's options), before the hotline
    gives it a thread, deadlines and a time."""

    kind: str
    recipients: tuple[str, ...] = ()
    subject: str = ""
    text: str = ""
    in_reply_to: str | None = None
    thread: str | None = None
    incident_id: str | None = None
    topic: str | None = None
    position: str | None = None
    reasons: str | None = None
    place: Mapping[str, float] | None = None
    window: Mapping[str, str] | None = None
    id: str | None = None


MAX_TEXT: Final = 20_000
MAX_SUBJECT: Final = 200


def check_text(value: Any, name: str, limit: int, *, where: str = "message") -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(Problem(where, name, "must be text"))
    if len(value) > limit:
        raise InputError(Problem(where, name, f"must be at most {limit} characters"))
    if "\x00" in value:
        raise InputError(Problem(where, name, "must not contain the NUL character"))
    return value


def check_reply(original: Message, kind: str, position: str | None, reasons: str | None) -> None:
    """Refuse a reply that does not fit what it answers (InputError naming the field)."""
    if kind == "line_check_reply":
        if original.kind != "line_check":
            raise InputError(
                Problem("message", "in_reply_to", "a line check reply answers a line check")
            )
        return
    if original.kind not in ASKING:
        raise InputError(
            Problem(
                "message",
                "in_reply_to",
                f"{original.kind} {original.id} asks for no reply (only "
                f"{', '.join(sorted(ASKING))} do)",
            )
        )
    if kind == "acknowledgement":
        if position is not None or reasons is not None:
            raise InputError(
                Problem("message", "position", "an acknowledgement states no position")
            )
        return
    allowed = POSITIONS[original.kind]
    if position not in allowed:
        raise InputError(
            Problem(
                "message", "position", f"must be one of {', '.join(allowed)} for a {original.kind}"
            )
        )
    if position == "denied" and not (reasons or "").strip():
        raise InputError(Problem("message", "reasons", "a denial must give its reasons"))


def note_reply(
    original: Message, each: Mapping[str, Progress], reply: Message
) -> dict[str, Progress]:
    """What each recipient of ``original`` has sent back once ``reply`` (a reply to it, or an
    escalation about it) is stored, from ``each`` (recipient -> :class:`Progress` before).

    The one rule for both the store, which notes a reply as it arrives, and the ledger audit,
    which replays every logged message to recompute the notes the store holds: an escalation
    raises the level of the recipients still owing at its level (as the scheduler found them,
    :func:`ceasefire.hotline.rules.owes_at_level`); a reply notes its sender's first
    acknowledgement and first answer, never anyone else's.

    Raises
    ------
    ForbiddenError
        A reply from someone ``original`` was not sent to.
    InputError
        A reply that does not fit ``original`` (:func:`check_reply`).
    """
    out = dict(each)
    if reply.kind == "agenda_item":
        return out
    if reply.kind == "escalation":
        level = reply.level or 0
        for r in owers(original):
            p = out.get(r, Progress())
            if owes_at_level(original, p, level):
                out[r] = Progress(p.acknowledged_at, p.answered_at, level)
        return out
    if reply.sender not in original.recipients:
        raise ForbiddenError(
            f"{reply.sender} may not reply to {original.id}: it was sent to "
            f"{', '.join(original.recipients)}"
        )
    check_reply(original, reply.kind, reply.position, reply.reasons)
    mine = out.get(reply.sender, Progress())
    acked = mine.acknowledged_at or reply.sent_at
    answered = mine.answered_at or (reply.sent_at if reply.kind == "response" else None)
    out[reply.sender] = Progress(acked, answered, mine.level)
    return out


#: The longest id a sender may choose (its idempotency key, as a report's ``id``), stored under
#: the sender's address (:func:`ceasefire.hotline.rules.caller_id`). Its characters are the safe
#: set of :mod:`ceasefire.ids` within :data:`ceasefire.ids.TOKEN_CHARACTERS`: the id goes into
#: e-mail Message-IDs, attachment names and CAP identifiers (:mod:`ceasefire.hotline.scheduler`).
MAX_KEY = 128
#: The longest message id a caller may name (a caller key under the longest address, a system
#: id), and the longest thread; both are stored in columns of 200 characters.
MAX_MESSAGE_ID = 200


def new_id() -> str:
    return "m." + secrets.token_hex(8)


def compose(
    draft: Draft, sender: str, now: datetime, rules: HotlineDeadlines, parties: Sequence[str]
) -> Message:
    """A message a person sends (a query, a request or an agenda item), checked, with its
    thread and deadlines. InputError names each field that is wrong."""
    problems: list[Problem] = []

    def bad(name: str, reason: str) -> None:
        problems.append(Problem("message", name, reason))

    if draft.kind not in SENDABLE:
        bad(
            "kind", f"must be one of {', '.join(sorted(SENDABLE))} (replies go to /ack and /answer)"
        )
    known = (*parties, MISSION, MEDIATOR)
    recipients = tuple(dict.fromkeys(draft.recipients))
    if not recipients:
        bad("recipients", f"must name at least one of {', '.join(known)}")
    for n, r in enumerate(recipients):
        if r not in known:
            bad(f"recipients[{n}]", f"{r!r} is not one of {', '.join(known)}")
    if recipients == (sender,):
        bad("recipients", "must name someone other than the sender")
    if draft.id is not None and (reason := token_problem(draft.id, MAX_KEY)) is not None:
        bad("id", reason)
    subject = check_text(draft.subject, "subject", MAX_SUBJECT)
    text = check_text(draft.text, "text", MAX_TEXT)
    # Threads and incident ids are ids too (the safe set); the store's columns hold a thread of
    # up to 200 characters, an incident id of up to 32.
    for name, value, limit in (
        ("thread", draft.thread, MAX_MESSAGE_ID),
        ("incident_id", draft.incident_id, 32),
    ):
        if value is not None and (reason := id_problem(value, limit)) is not None:
            bad(name, reason)
    if not subject.strip() and not text.strip():
        bad("text", "a message needs a subject or a text")
    if draft.kind == "request":
        if draft.topic not in REQUEST_TOPICS:
            bad("topic", f"a request's topic must be one of {', '.join(REQUEST_TOPICS)}")
        if draft.topic == "access" and sender != MISSION:
            bad("topic", "access requests are the mission's (monitors asking to go to a place)")
        if draft.topic == "prior_notification" and sender in (MISSION, MEDIATOR):
            bad("topic", "prior notifications are a party's (of its own activity)")
        if draft.place is None:
            bad("place", "a request names a place: {lon, lat, radius_m}")
        if draft.topic == "prior_notification" and draft.window is None:
            bad("window", "a prior notification gives the activity's window: {from, to}")
    elif draft.topic is not None:
        bad("topic", "only a request has a topic")
    place = _place(draft.place, bad)
    window = _window(draft.window, bad)
    if problems:
        raise InputError(problems)
    kind = draft.kind
    ack_due, answer_due = deadlines(kind, now, rules) if kind != "agenda_item" else (None, None)
    message_id = caller_id(sender, draft.id) if draft.id is not None else new_id()
    return Message(
        id=message_id,
        thread=draft.thread or draft.incident_id or message_id,
        kind=kind,
        sender=sender,
        recipients=recipients,
        sent_at=now,
        subject=subject,
        text=text,
        incident_id=draft.incident_id,
        topic=draft.topic,
        ack_due=ack_due,
        answer_due=answer_due,
        place=place,
        window=window,
    )


def _place(value: Any, bad: Any) -> dict[str, float] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        bad("place", "must be an object {lon, lat, radius_m}")
        return None
    out: dict[str, float] = {}
    for key, low, high in (("lon", -180, 180), ("lat", -90, 90), ("radius_m", 0, 1_000_000)):
        v = value.get(key, 0.0 if key == "radius_m" else None)
        if isinstance(v, bool) or not isinstance(v, int | float) or not low <= v <= high:
            bad(f"place.{key}", f"must be a number from {low} to {high}")
            continue
        out[key] = float(v)
    extra = set(value) - {"lon", "lat", "radius_m"}
    if extra:
        bad("place", f"unknown field(s): {', '.join(sorted(map(str, extra)))}")
    return out


def _window(value: Any, bad: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or set(value) != {"from", "to"}:
        bad("window", "must be an object {from, to} of ISO 8601 times with an offset")
        return None
    times = {}
    for key in ("from", "to"):
        try:
            moment = datetime.fromisoformat(str(value[key]))
        except ValueError:
            bad(f"window.{key}", "must be an ISO 8601 time, e.g. 2026-03-10T18:00:00+00:00")
            continue
        if moment.tzinfo is None:
            bad(f"window.{key}", "must carry an offset, e.g. +00:00")
            continue
        times[key] = moment
    if len(times) == 2 and times["to"] < times["from"]:
        bad("window.to", "must not be before window.from")
    return {k: utc(v) for k, v in times.items()} if len(times) == 2 else None


def reply(
    original: Message,
    kind: str,
    sender: str,
    now: datetime,
    *,
    position: str | None = None,
    reasons: str | None = None,
    text: str = "",
    message_id: str | None = None,
) -> Message:
    """The reply of ``sender`` to ``original``: an ``acknowledgement`` (for a line check its
    ``line_check_reply``) or a ``response`` stating a position. The store checks it answers a
    message addressed to the sender (:func:`ceasefire.store.hotline.send`)."""
    if kind == "acknowledgement" and original.kind == "line_check":
        kind = "line_check_reply"
    text = check_text(text, "text", MAX_TEXT)
    reasons = check_text(reasons, "reasons", MAX_TEXT) or None
    if message_id is not None:
        check_token(message_id, where="message", field="id", max_length=MAX_KEY)
    check_reply(original, kind, position, reasons)
    if kind != "response" and text:
        # An acknowledgement says "received" and nothing else, so that sending it twice is the
        # same message (its id is fixed by what it acknowledges and who): a retry is a no-op.
        raise InputError(Problem("message", "text", "an acknowledgement carries no text"))
    if message_id is not None:
        message_id = caller_id(sender, message_id)
    elif kind == "response":
        message_id = new_id()
    else:
        message_id = system_id(f"{original.id}.ack.{sender}")
    label = {"acknowledgement": "Received", "line_check_reply": "Line check answered",
             "response": f"Position: {(position or '').replace('_', ' ')}"}[kind]  # fmt: skip
    return Message(
        id=message_id,
        thread=original.thread,
        kind=kind,
        sender=sender,
        recipients=(original.sender,),
        sent_at=now,
        subject=f"{label}: {original.subject}"[:MAX_SUBJECT],
        text=text,
        in_reply_to=original.id,
        incident_id=original.incident_id,
        position=position,
        reasons=reasons,
    )


#: The most messages one call acknowledges: a digest of a whole notifying transaction
#: (:data:`ceasefire.hotline.scheduler.NOTIFY_BATCH` incidents) fits in one call.
MAX_BULK = 2000


def check_ids(ids: object, *, where: str, field: str) -> list[str]:
    """The message ids of one bulk call, each a safe id, without repeats (in their order);
    InputError naming ``field[n]`` for the first bad one, or the list if it is empty or too
    long."""
    if not isinstance(ids, list | tuple) or not ids:
        raise InputError(Problem(where, field, "must name at least one message id"))
    if len(ids) > MAX_BULK:
        raise InputError(Problem(where, field, f"must name at most {MAX_BULK} message ids"))
    for n, value in enumerate(ids):
        check_id(value, where=where, field=f"{field}[{n}]", max_length=MAX_MESSAGE_ID)
    return list(dict.fromkeys(ids))


def acknowledgements(
    ids: Sequence[str],
    found: Mapping[str, Message],
    sender: str,
    now: datetime,
    readable: Callable[[Message], bool],
    *,
    where: str = "body",
    field: str = "ids",
) -> list[Message]:
    """The acknowledgements (line check replies) of ``sender`` to each of ``ids``, all or none:
    each is the one :func:`reply` makes, so each is logged on its own and acknowledging again
    is a no-op. ``found`` holds the stored messages by id and ``readable`` says which the
    sender may read (the access policy's :func:`~ceasefire.publish.access.may_read_message`).
    Each error names the first id that fails and its place in the list (``field[n]``).

    Raises
    ------
    NotFoundError
        An id not stored, or one the sender may not read (as if it did not exist).
    ForbiddenError
        A message the sender may read but was not sent to (its own).
    InputError
        A message that asks for no reply (a reply, a digest, ...).
    """
    out = []
    for n, message_id in enumerate(ids):
        original = found.get(message_id)
        if original is None or not readable(original):
            raise NotFoundError(
                f"no message {message_id!r} ({field}[{n}]); nothing was acknowledged"
            )
        if sender not in original.recipients:
            raise ForbiddenError(
                f"{sender} may not acknowledge {message_id!r} ({field}[{n}]): it was sent to "
                f"{', '.join(original.recipients)}; nothing was acknowledged"
            )
        try:
            out.append(reply(original, "acknowledgement", sender, now))
        except InputError as exc:
            raise InputError(
                [Problem(where, f"{field}[{n}]", f"{message_id}: {p.reason}") for p in exc.problems]
            ) from None
    return out
