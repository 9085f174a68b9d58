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
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ceasefire.ledger.log import (
    Entry,
    Item,
    LedgerState,
    StoredCheckpoint,
    agreement_item,
    entered,
    incident_item,
    patrol_item,
    release_item,
    report_item,
    restriction_item,
    retraction_item,
    sensor_status_item,
    status_item,
    submitter_key_item,
    superseded_item,
    tally_item,
    user_item,
    violation_item,
)
from ceasefire.store import ledger as store_ledger
from ceasefire.store.database import Database
from ceasefire.store.derived import DERIVED, Finding
from ceasefire.store.hotline import messages_table
from ceasefire.store.ledger import submitter_keys_table
from ceasefire.store.schema import (
    agreements_table,
    incidents_table,
    patrols_table,
    reports_table,
    restrictions_table,
    retractions_table,
    sensor_status_table,
    status_changes_table,
    tallies_table,
    violations_table,
)
from ceasefire.store.users import releases_table, users_table


def _reports(conn: Connection) -> Iterator[Item]:
    c = reports_table.c
    query = select(c.report_id, c.body, c.entered_by, c.entered_role, c.entered_party,
                   c.placement, c.placement_logged)  # fmt: skip
    for r in conn.execute(query):
        # The placement is part of the leaf when the row says it was logged; flipping that flag
        # changes the leaf either way, so it cannot hide an edited placement.
        placed = _mapping(r.placement or "null") if r.placement_logged else None
        yield report_item(r.report_id, _mapping(r.body), entered(dict(r._mapping)), placed)


def _retractions(conn: Connection) -> Iterator[Item]:
    for r in conn.execute(select(retractions_table)):
        yield retraction_item(dict(r._mapping))


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


def _incidents(conn: Connection) -> Iterator[Item]:
    c = incidents_table.c
    for r in conn.execute(select(c.incident_id, c.body, c.merged_into)):
        yield incident_item(r.incident_id, _mapping(r.body), r.merged_into)


def _mapping(body: str) -> dict[str, Any]:
    """A stored JSON body as its mapping; a body that is not a JSON object (edited behind the
    store's back) as ``{"unreadable": <its text>}``, which no leaf holds: the audit then names
    the entry of the record rather than failing on it."""
    try:
        value = json.loads(body)
    except ValueError:
        return {"unreadable": body}
    return value if isinstance(value, dict) else {"unreadable": body}


def _users(conn: Connection) -> Iterator[Item]:
    for r in conn.execute(select(users_table)):
        yield user_item(dict(r._mapping))


def _submitter_keys(conn: Connection) -> Iterator[Item]:
    for r in conn.execute(select(submitter_keys_table)):
        yield submitter_key_item(dict(r._mapping))


def _hotline_messages(conn: Connection) -> Iterator[Item]:
    for r in conn.execute(select(messages_table.c.message_id, messages_table.c.record)):
        # The leaf's id is the message's; the row's own id column stands in when the record is
        # unreadable, so the audit still names the message's entry.
        yield "hotline_message", f"hotline/{r.message_id}", _mapping(r.record)


def _tallies(conn: Connection) -> Iterator[Item]:
    for r in conn.execute(select(tallies_table)):
        yield tally_item(dict(r._mapping))


def _sensor_status(conn: Connection) -> Iterator[Item]:
    for r in conn.execute(select(sensor_status_table)):
        yield sensor_status_item(dict(r._mapping))


def _patrols(conn: Connection) -> Iterator[Item]:
    for r in conn.execute(select(patrols_table)):
        yield patrol_item(dict(r._mapping))


def _restrictions(conn: Connection) -> Iterator[Item]:
    for r in conn.execute(select(restrictions_table)):
        yield restriction_item(dict(r._mapping))


#: Logged table (as the audit names it) -> its rows as the leaves they were logged as.
LOGGED: dict[str, Callable[[Connection], Iterator[Item]]] = {
    "reports": _reports,
    "retractions": _retractions,
    "status changes": _status_changes,
    "violations": _violations,
    "incidents": _incidents,
    "agreements": _agreements,
    "releases": _releases,
    "hotline messages": _hotline_messages,
    "users": _users,
    "submitter keys": _submitter_keys,
    "tallies": _tallies,
    "sensor status": _sensor_status,
    "patrols": _patrols,
    "restrictions": _restrictions,
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

    def derived(self) -> Iterator[tuple[str, Finding]]:
        for name, findings in DERIVED.items():
            for finding in findings(self._conn):
                yield name, finding


class AuditArea(Database):
    """The audit's consistent view of the store (part of :class:`~ceasefire.store.facade.Store`)."""

    @contextmanager
    def ledger_view(self) -> Iterator[LedgerView]:
        """The log and every logged table in one read transaction: a consistent view for the
        audit's long scan, whatever writers do meanwhile."""
        with self.read() as conn:
            yield LedgerView(conn)
