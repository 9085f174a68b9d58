"""Hotline messages in the store (migrations 0005 and 0007); the rules are :mod:`ceasefire.hotline.rules`.

Functions take an open connection, as :mod:`ceasefire.store.users` does; the
:class:`~ceasefire.store.facade.Store` methods ``hotline_*`` wrap them in transactions. A message is
written once and logged in the ledger in the same transaction; later only what it received is
noted on its row (first acknowledgement, first answer, highest escalation level), and each of
those is itself a logged message.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Integer,
    String,
    Table,
    Text,
    and_,
    case,
    func,
    not_,
    or_,
    select,
)
from sqlalchemy.engine import Connection

from ceasefire.errors import ConflictError, InputError, Problem
from ceasefire.hotline.rules import (
    ASKING,
    ORDERS,
    Mail,
    Message,
    Progress,
    StoredMessage,
    overall,
    owers,
    state_at,
)
from ceasefire.hotline.sending import note_reply
from ceasefire.ledger.log import Item, hotline_item
from ceasefire.store import ledger as store_ledger
from ceasefire.store.backends import Backend
from ceasefire.store.database import Database
from ceasefire.store.schema import CHUNK, UTCDateTime, metadata

messages_table = Table(
    "hotline_messages",
    metadata,
    Column("seq", Integer, primary_key=True),
    Column("message_id", String(200), nullable=False, unique=True),
    Column("thread", String(200), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("sender", String(64), nullable=False),
    Column("sent_at", UTCDateTime, nullable=False),
    Column("in_reply_to", String(200)),
    Column("incident_id", String(32)),
    Column("urgent", Boolean, nullable=False),
    Column("ack_due", UTCDateTime),
    Column("answer_due", UTCDateTime),
    Column("record", Text, nullable=False),
    Column("acknowledged_at", UTCDateTime),
    Column("answered_at", UTCDateTime),
    Column("level", Integer, nullable=False),
)
addresses_table = Table(
    "hotline_addresses",
    metadata,
    Column("address", String(64), primary_key=True),
    Column("seq", Integer, primary_key=True),
    # What this recipient has sent back and how far its silence was escalated (migration
    # 0007): one recipient's answer does not answer for another.
    Column("acknowledged_at", UTCDateTime),
    Column("answered_at", UTCDateTime),
    Column("level", Integer, nullable=False, server_default="0"),
)
outbox_table = Table(
    "hotline_outbox",
    metadata,
    Column("message_id", String(200), primary_key=True),
    Column("address", String(320), primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("sent_at", UTCDateTime),
    Column("last_error", Text),
)
cursor_table = Table(
    "hotline_cursor",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

_M = messages_table.c
_A = addresses_table.c
_O = outbox_table.c
_WAITING_KINDS = (*sorted(ASKING), "line_check")
#: The fields a sender chooses: a message sent again with the same id and these is the same
#: message (a retry), whatever time the service stamped on each try.
_CHOSEN = ("kind", "recipients", "subject", "text", "in_reply_to", "incident_id", "topic",
           "position", "reasons", "place", "window", "items")  # fmt: skip


def send(
    conn: Connection, dialect: Backend, messages: Sequence[Message], now: datetime
) -> dict[str, bool]:
    """Store messages in order and log them; by id, True if new, False if it was stored
    before (same id and the same chosen fields: a retry).

    A reply must answer a stored message addressed to its sender and fit it
    (:func:`ceasefire.hotline.sending.check_reply`); what it answers notes it (first acknowledgement,
    first answer, highest escalation level).

    Raises
    ------
    ConflictError
        An id stored with other content.
    InputError
        A reply to an unknown message, or one that does not fit it.
    ForbiddenError
        A reply from someone the message was not addressed to.
    """
    # Set-wise, not a SELECT and two INSERTs per message: a tick's thousand notifications held
    # the write lock for about 0.8 s that way (cProfile), and every single-report POST waited.
    ids = list(dict.fromkeys(m.id for m in messages))
    stored_before: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), CHUNK):
        query = select(_M.message_id, _M.record).where(
            _M.message_id.in_(ids[start : start + CHUNK])
        )
        stored_before.update((r.message_id, json.loads(r.record)) for r in conn.execute(query))
    new: dict[str, bool] = {}
    items: list[Item] = []
    waiting: list[tuple[Message, dict[str, Any]]] = []  # new messages not inserted yet
    for message in messages:
        record = message.record()
        before = stored_before.get(message.id)
        if before is not None:
            if any(before.get(k) != record.get(k) for k in _CHOSEN):
                raise ConflictError(
                    f"message id {message.id!r} is stored already with other content"
                )
            new.setdefault(message.id, False)
            continue
        if message.in_reply_to is not None:
            # A reply notes what it answers, which may be among the messages waiting: in order.
            _insert(conn, waiting)
            waiting = []
            _note_reply(conn, message)
        waiting.append((message, record))
        stored_before[message.id] = record  # the same id again later in this call is a retry
        items.append(hotline_item(record))
        new[message.id] = True
    _insert(conn, waiting)
    if items:
        store_ledger.append(conn, dialect, items, now)
    return new


def _insert(conn: Connection, messages: Sequence[tuple[Message, dict[str, Any]]]) -> None:
    """Insert new messages (with their records) and their address rows: one executemany each,
    the rows' ``seq`` numbers read back in the order given (INSERT ... RETURNING)."""
    if not messages:
        return
    rows = [
        {
            "message_id": m.id,
            "thread": m.thread,
            "kind": m.kind,
            "sender": m.sender,
            "sent_at": m.sent_at,
            "in_reply_to": m.in_reply_to,
            "incident_id": m.incident_id,
            "urgent": m.urgent,
            "ack_due": m.ack_due,
            "answer_due": m.answer_due,
            "record": json.dumps(record, ensure_ascii=False, sort_keys=True),
            "level": 0,
        }
        for m, record in messages
    ]
    statement = messages_table.insert().returning(_M.seq, sort_by_parameter_order=True)
    seqs = [int(seq) for seq in conn.execute(statement, rows).scalars()]
    conn.execute(
        addresses_table.insert(),
        [
            {"address": a, "seq": seq, "level": 0}
            for (m, _), seq in zip(messages, seqs, strict=True)
            for a in dict.fromkeys((m.sender, *m.recipients))
        ],
    )


def _note_reply(conn: Connection, reply: Message) -> None:
    """Note a reply or an escalation on what it answers (:func:`ceasefire.hotline.sending.note_reply`):
    on the row of each recipient whose progress it changes, and on the message's row what it has
    got from all of them (:func:`ceasefire.hotline.rules.overall`)."""
    row = conn.execute(
        select(_M.seq, _M.record).where(_M.message_id == reply.in_reply_to)
    ).one_or_none()
    if row is None:
        raise InputError(Problem("message", "in_reply_to", f"no message {reply.in_reply_to!r}"))
    original = Message.from_record(json.loads(row.record))
    if reply.kind == "agenda_item":
        return
    each = _progress(conn, [int(row.seq)]).get(int(row.seq), {})
    after = note_reply(original, each, reply)
    for address, p in after.items():
        if p != each.get(address, Progress()):
            conn.execute(
                addresses_table.update()
                .where(_A.seq == row.seq, _A.address == address)
                .values(acknowledged_at=p.acknowledged_at, answered_at=p.answered_at, level=p.level)
            )
    total = overall(original, after)
    conn.execute(
        messages_table.update()
        .where(_M.seq == row.seq)
        .values(
            acknowledged_at=total.acknowledged_at, answered_at=total.answered_at, level=total.level
        )
    )


def _progress(conn: Connection, seqs: Sequence[int]) -> dict[int, dict[str, Progress]]:
    """What each of these messages has got from each address on it, by ``seq``."""
    found: dict[int, dict[str, Progress]] = {}
    for start in range(0, len(seqs), CHUNK):
        rows = conn.execute(
            select(_A.seq, _A.address, _A.acknowledged_at, _A.answered_at, _A.level).where(
                _A.seq.in_(seqs[start : start + CHUNK])
            )
        )
        for r in rows:
            found.setdefault(int(r.seq), {})[r.address] = Progress(
                r.acknowledged_at, r.answered_at, int(r.level)
            )
    return found


def _stored(row: Any, now: datetime, each: Mapping[str, Progress]) -> StoredMessage:
    message = Message.from_record(json.loads(row.record))
    progress = Progress(row.acknowledged_at, row.answered_at, int(row.level))
    by_recipient = {r: each.get(r, Progress()) for r in owers(message)}
    state = state_at(message, progress, now)
    return StoredMessage(int(row.seq), message, progress, state, by_recipient, now)


def _all_stored(conn: Connection, rows: Sequence[Any], now: datetime) -> list[StoredMessage]:
    each = _progress(conn, [int(r.seq) for r in rows])
    return [_stored(r, now, each.get(int(r.seq), {})) for r in rows]


_COLUMNS = (_M.seq, _M.record, _M.acknowledged_at, _M.answered_at, _M.level)


def _read(conn: Connection, ids: Sequence[str], now: datetime) -> dict[str, StoredMessage]:
    found: dict[str, StoredMessage] = {}
    for start in range(0, len(ids), CHUNK):
        rows = conn.execute(
            select(*_COLUMNS, _M.message_id).where(_M.message_id.in_(ids[start : start + CHUNK]))
        ).all()
        found.update({s.message.id: s for s in _all_stored(conn, rows, now)})
    return found


def get_messages(conn: Connection, ids: Collection[str], now: datetime) -> dict[str, StoredMessage]:
    """The stored messages of these ids (unknown ids are left out)."""
    return _read(conn, list(ids), now)


def state_clause(state: str, now: datetime, progress: Any = None) -> ColumnElement[bool]:
    """Rows whose :func:`ceasefire.hotline.rules.state_at` is ``state`` at ``now``, in SQL;
    of what the message got from all its recipients, or with ``progress`` (the columns of
    one recipient's row of ``hotline_addresses``) from that one."""
    p = progress if progress is not None else _M
    waits = _M.kind.in_(_WAITING_KINDS)
    answered = or_(
        p.answered_at.is_not(None),
        and_(_M.kind == "line_check", p.acknowledged_at.is_not(None)),
    )
    ack_late = and_(p.acknowledged_at.is_(None), _M.ack_due.is_not(None), _M.ack_due < now)
    answer_late = and_(_M.answer_due.is_not(None), _M.answer_due < now)
    late = or_(ack_late, answer_late)
    owing = and_(waits, not_(answered))
    clauses = {
        "answered": and_(waits, answered),
        "escalated": and_(owing, p.level > 0),
        "overdue": and_(owing, p.level == 0, late),
        "acknowledged": and_(owing, p.level == 0, not_(late), p.acknowledged_at.is_not(None)),
        "open": and_(owing, p.level == 0, not_(late), p.acknowledged_at.is_(None)),
    }
    return clauses[state]


def _owed_first(address: str | None) -> list[Any]:
    """The ``ORDER BY`` of an inbox that shows what is owed first: the messages the address
    still owes a reply (its own state open, acknowledged, overdue or escalated; for the
    mission's and mediator's view, any recipient's) by the deadline it faces next (the
    acknowledgement's until it acknowledged, then the answer's; overdue ones come first as
    their deadlines are the earliest), then all the rest newest first."""
    p: Any = _A if address is not None else _M
    answered = or_(
        p.answered_at.is_not(None),
        and_(_M.kind == "line_check", p.acknowledged_at.is_not(None)),
    )
    owed = and_(_M.kind.in_(_WAITING_KINDS), not_(answered))
    if address is not None:
        owed = and_(owed, _M.sender != address)
    due = case((p.acknowledged_at.is_(None), _M.ack_due), else_=_M.answer_due)
    return [
        case((owed, 0), else_=1),
        case((owed, due), else_=None),
        case((owed, _M.seq), else_=-_M.seq),
    ]


def list_messages(
    conn: Connection,
    now: datetime,
    *,
    address: str | None = None,
    thread: str | None = None,
    kind: str | None = None,
    state: str | None = None,
    incident_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    after: int | None = None,
    limit: int | None = 100,
    order: str = "stored",
    offset: int | None = None,
) -> list[StoredMessage]:
    """Messages filtered, in the order they were stored or (``order="owed"``) what the address
    owes first (:func:`_owed_first`); ``address`` keeps those it sent or received (None: all
    of them, the mission's and the mediator's view). ``after`` is the ``seq`` of the last
    message of the previous page (stored order); ``offset`` skips that many (owed order,
    whose keys change as replies arrive, so a keyset over them would skip or repeat rows
    just as an offset may)."""
    if order not in ORDERS:
        raise InputError(Problem("query", "order", f"must be one of {', '.join(ORDERS)}"))
    query = select(*_COLUMNS)
    query = query.order_by(*_owed_first(address)) if order == "owed" else query.order_by(_M.seq)
    if address is not None:
        query = query.join(addresses_table, and_(_A.seq == _M.seq, _A.address == address))
    if thread is not None:
        query = query.where(_M.thread == thread)
    if kind is not None:
        query = query.where(_M.kind == kind)
    if state is not None and address is not None:
        # An address's inbox: what it was sent in its own state (its own replies only), what
        # it sent in the state all its recipients give it.
        query = query.where(
            or_(
                and_(_M.sender == address, state_clause(state, now)),
                and_(_M.sender != address, state_clause(state, now, _A)),
            )
        )
    elif state is not None:
        query = query.where(state_clause(state, now))
    if incident_id is not None:
        query = query.where(_M.incident_id == incident_id)
    if since is not None:
        query = query.where(_M.sent_at >= since)
    if until is not None:
        query = query.where(_M.sent_at < until)
    if after is not None:
        query = query.where(_M.seq > after)
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return _all_stored(conn, conn.execute(query).all(), now)


def owing(conn: Connection, now: datetime) -> list[StoredMessage]:
    """Messages still waiting for a reply whose first deadline has passed, below the top
    escalation level: what the scheduler looks at for escalations."""
    past = or_(
        and_(_M.ack_due.is_not(None), _M.ack_due <= now),
        and_(_M.answer_due.is_not(None), _M.answer_due <= now),
    )
    # A line check is done once replied to or escalated (level 1 is its only one): without
    # this, every line check ever sent would be read again at every tick.
    done_check = and_(_M.kind == "line_check", or_(_M.acknowledged_at.is_not(None), _M.level >= 1))
    query = (
        select(*_COLUMNS)
        .where(
            _M.answered_at.is_(None),
            _M.kind.in_(_WAITING_KINDS),
            _M.level < 3,
            past,
            not_(done_check),
        )
        .order_by(_M.seq)
    )
    return [s for s in _all_stored(conn, conn.execute(query).all(), now) if s.state != "answered"]


def notified(conn: Connection, ids: Collection[str]) -> set[str]:
    """Which of these message ids are stored."""
    found: set[str] = set()
    wanted = list(ids)
    for start in range(0, len(wanted), CHUNK):
        found.update(
            conn.execute(
                select(_M.message_id).where(_M.message_id.in_(wanted[start : start + CHUNK]))
            ).scalars()
        )
    return found


def asked_about(conn: Connection, address: str, incident_ids: Collection[str]) -> set[str]:
    """Which of these incidents a message addressed to ``address`` (not sent by it) names."""
    found: set[str] = set()
    wanted = list(incident_ids)
    for start in range(0, len(wanted), CHUNK):
        query = (
            select(_M.incident_id)
            .join(addresses_table, and_(_A.seq == _M.seq, _A.address == address))
            .where(_M.sender != address, _M.incident_id.in_(wanted[start : start + CHUNK]))
            .distinct()
        )
        found.update(conn.execute(query).scalars())
    return found


# -- the scheduler's bookmarks and the e-mail outbox -------------------------------------------


def get_cursor(conn: Connection, name: str) -> str | None:
    return conn.execute(select(cursor_table.c.value).where(cursor_table.c.name == name)).scalar()


def set_cursor(conn: Connection, name: str, value: str) -> None:
    done = conn.execute(
        cursor_table.update().where(cursor_table.c.name == name).values(value=value)
    )
    if done.rowcount == 0:
        conn.execute(cursor_table.insert().values(name=name, value=value))


def queue_mail(conn: Connection, message_id: str, addresses: Sequence[str], at: datetime) -> int:
    """Owe an e-mail of a message to each address (once: queued again it is not repeated)."""
    have = set(conn.execute(select(_O.address).where(_O.message_id == message_id)).scalars())
    rows = [
        {"message_id": message_id, "address": a, "created_at": at, "attempts": 0}
        for a in dict.fromkeys(addresses)
        if a not in have
    ]
    if rows:
        conn.execute(outbox_table.insert(), rows)
    return len(rows)


def outbox(conn: Connection, *, pending: bool = True, limit: int | None = None) -> list[Mail]:
    query = select(_O.message_id, _O.address, _O.attempts, _O.sent_at, _O.last_error).order_by(
        _O.created_at, _O.message_id, _O.address
    )
    if pending:
        query = query.where(_O.sent_at.is_(None))
    if limit is not None:
        query = query.limit(limit)
    return [Mail(r.message_id, r.address, int(r.attempts), r.sent_at, r.last_error)
            for r in conn.execute(query)]  # fmt: skip


def mark_mail(
    conn: Connection, message_id: str, address: str, *, sent_at: datetime | None, error: str | None
) -> None:
    where = and_(_O.message_id == message_id, _O.address == address)
    conn.execute(
        outbox_table.update()
        .where(where)
        .values(attempts=_O.attempts + 1, sent_at=sent_at, last_error=error)
    )


def count_messages(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(messages_table)).scalar_one())


def changed_incidents(
    conn: Connection, after: tuple[datetime, int] | None, limit: int
) -> list[tuple[str, datetime, int]]:
    """Incidents (not merged away) changed after the bookmark ``(updated_at, seq)``, oldest
    change first: ``(incident_id, updated_at, seq)``."""
    from ceasefire.store.schema import incidents_table

    i = incidents_table.c
    query = (
        select(i.incident_id, i.updated_at, i.seq)
        .where(i.merged_into.is_(None))
        .order_by(i.updated_at, i.seq)
        .limit(limit)
    )
    if after is not None:
        at, seq = after
        query = query.where(or_(i.updated_at > at, and_(i.updated_at == at, i.seq > seq)))
    return [(r.incident_id, r.updated_at, int(r.seq)) for r in conn.execute(query)]


class HotlineArea(Database):
    """Hotline messages, the scheduler's bookmarks and the e-mail outbox (part of :class:`~ceasefire.store.facade.Store`)."""

    def hotline_send(
        self,
        messages: Sequence[Message],
        now: datetime,
        *,
        cursor: tuple[str, str] | None = None,
        mail: Mapping[str, Sequence[str]] | None = None,
    ) -> list[tuple[StoredMessage, bool]]:
        """Store and log hotline messages (:class:`ceasefire.hotline.rules.Message`) in one
        transaction, with ``(StoredMessage, new)`` for each (as read just after the commit);
        ``cursor`` (name, value) moves a
        scheduler bookmark and ``mail`` (message id -> addresses) queues e-mails in the same
        transaction (see :func:`ceasefire.store.hotline.send` for the rules)."""

        with self._errors(), self._write() as conn:
            new = send(conn, self._dialect, messages, now)
            if cursor is not None:
                set_cursor(conn, *cursor)
            for message_id, addresses in (mail or {}).items():
                queue_mail(conn, message_id, addresses, now)
        # Read back once all are in (a reply later in the list changes an earlier one's
        # state), after the commit: the write lock is held for the writes only.
        with self._errors(), self._engine.connect() as conn:
            stored = _read(conn, [m.id for m in messages], now)
        return [(stored[m.id], new[m.id]) for m in messages]

    def hotline_messages(self, now: datetime, **filters: Any) -> list[StoredMessage]:
        """Stored hotline messages, filtered (:func:`ceasefire.store.hotline.list_messages`)."""

        with self._errors(), self._engine.connect() as conn:
            return list_messages(conn, now, **filters)

    def hotline_get(self, ids: Collection[str], now: datetime) -> dict[str, StoredMessage]:
        """The stored hotline messages of these ids, by id (unknown ids are left out)."""

        with self._errors(), self._engine.connect() as conn:
            return get_messages(conn, ids, now)

    def hotline_owing(self, now: datetime) -> list[StoredMessage]:
        """Messages past a deadline and still owed a reply (the scheduler's escalation work)."""

        with self._errors(), self._engine.connect() as conn:
            return owing(conn, now)

    def hotline_stored(self, ids: Collection[str]) -> set[str]:
        """Which of these hotline message ids are stored."""

        with self._errors(), self._engine.connect() as conn:
            return notified(conn, ids)

    def hotline_asked(self, address: str, incident_ids: Collection[str]) -> set[str]:
        """Which of these incidents a hotline message addressed to ``address`` names."""

        with self._errors(), self._engine.connect() as conn:
            return asked_about(conn, address, incident_ids)

    def hotline_cursor(self, name: str) -> str | None:
        """A scheduler bookmark (None before the first)."""

        with self._errors(), self._engine.connect() as conn:
            return get_cursor(conn, name)

    def hotline_changed_incidents(
        self, after: tuple[datetime, int] | None, limit: int
    ) -> list[tuple[str, datetime, int]]:
        """Incidents changed after a bookmark (:func:`ceasefire.store.hotline.changed_incidents`)."""

        with self._errors(), self._engine.connect() as conn:
            return changed_incidents(conn, after, limit)

    def hotline_outbox(self, *, pending: bool = True, limit: int | None = None) -> list[Mail]:
        """E-mails owed (or all of them), oldest first."""

        with self._errors(), self._engine.connect() as conn:
            return outbox(conn, pending=pending, limit=limit)

    def hotline_mail_done(
        self, message_id: str, address: str, *, sent_at: datetime | None, error: str | None
    ) -> None:
        """Note one try of an owed e-mail: sent (``sent_at``) or failed (``error``)."""

        with self._errors(), self._write() as conn:
            mark_mail(conn, message_id, address, sent_at=sent_at, error=error)
