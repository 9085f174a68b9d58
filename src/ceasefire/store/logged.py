"""Every logged table, in one registry, and the one read transaction the ledger audit runs in.

Each kind of record the store logs (a row written together with its ledger leaf) is listed once
in :data:`LOGGED`: the name the audit reports it under, and how its rows become the leaves they
were logged as. A new logged record kind is one line here; the audit
(:func:`ceasefire.ledger.auditor.audit`) reads whatever this registry yields and needs no edit.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ceasefire.ledger.log import (
    Entry,
    Item,
    LedgerState,
    StoredCheckpoint,
    agreement_item,
    entered,
    hotline_item,
    release_item,
    report_item,
    status_item,
    submitter_key_item,
    superseded_item,
    user_item,
    violation_item,
)
from ceasefire.store import ledger as store_ledger
from ceasefire.store.database import Database
from ceasefire.store.hotline import messages_table
from ceasefire.store.ledger import submitter_keys_table
from ceasefire.store.schema import (
    agreements_table,
    reports_table,
    status_changes_table,
    violations_table,
)
from ceasefire.store.users import releases_table, users_table


def _reports(conn: Connection) -> Iterator[Item]:
    c = reports_table.c
    query = select(c.report_id, c.body, c.entered_by, c.entered_role, c.entered_party)
    for r in conn.execute(query):
        yield report_item(r.report_id, r.body, entered(dict(r._mapping)))


def _status_changes(conn: Connection) -> Iterator[Item]:
    for r in conn.execute(select(status_changes_table)):
        yield status_item(int(r.seq), dict(r._mapping))


def _violations(conn: Connection) -> Iterator[Item]:
    for r in conn.execute(select(violations_table)):
        yield violation_item(int(r.seq), dict(r._mapping))
        if r.superseded_at is not None:
            yield superseded_item(int(r.seq), r.superseded_at)


def _agreements(conn: Connection) -> Iterator[Item]:
    for r in conn.execute(select(agreements_table)):
        yield agreement_item(dict(r._mapping))


def _releases(conn: Connection) -> Iterator[Item]:
    for r in conn.execute(select(releases_table)):
        yield release_item(dict(r._mapping))


def _users(conn: Connection) -> Iterator[Item]:
    for r in conn.execute(select(users_table)):
        yield user_item(dict(r._mapping))


def _submitter_keys(conn: Connection) -> Iterator[Item]:
    for r in conn.execute(select(submitter_keys_table)):
        yield submitter_key_item(dict(r._mapping))


def _hotline_messages(conn: Connection) -> Iterator[Item]:
    for r in conn.execute(select(messages_table.c.record)):
        yield hotline_item(json.loads(r.record))


#: Logged table (as the audit names it) -> its rows as the leaves they were logged as.
LOGGED: dict[str, Callable[[Connection], Iterator[Item]]] = {
    "reports": _reports,
    "status changes": _status_changes,
    "violations": _violations,
    "agreements": _agreements,
    "releases": _releases,
    "hotline messages": _hotline_messages,
    "users": _users,
    "submitter keys": _submitter_keys,
}


@dataclass(frozen=True)
class LedgerView:
    """The log and the logged tables as one read transaction sees them (the audit's input)."""

    _conn: Connection

    def state(self) -> LedgerState:
        return store_ledger.state(self._conn)

    def entries(self) -> Iterator[Entry]:
        return store_ledger.iter_entries(self._conn)

    def nodes(self) -> Iterator[tuple[int, int, bytes]]:
        return store_ledger.iter_nodes(self._conn)

    def checkpoints(self) -> Iterator[StoredCheckpoint]:
        return store_ledger.checkpoints(self._conn)

    def logged_rows(self) -> Iterator[tuple[str, Item]]:
        for table, rows in LOGGED.items():
            for item in rows(self._conn):
                yield table, item


class AuditArea(Database):
    """The audit's consistent view of the store (part of :class:`~ceasefire.store.facade.Store`)."""

    @contextmanager
    def ledger_view(self) -> Iterator[LedgerView]:
        """The log and every logged table in one read transaction: a consistent view for the
        audit's long scan, whatever writers do meanwhile."""
        with self.read() as conn:
            yield LedgerView(conn)
