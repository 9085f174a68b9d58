"""A monitor's decisions on incidents: status changes with their basis and the assessed
perpetrator, under the four-eyes rule (:func:`ceasefire.judge.verification.check_change`).

Each decision is a row of ``status_changes`` and a ledger leaf, written in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ceasefire.agreement.parties import Parties, party_code
from ceasefire.errors import ConflictError, NotFoundError
from ceasefire.judge.verification import check_change
from ceasefire.records import (
    StatusChange,
)
from ceasefire.store.backends import Backend
from ceasefire.store.database import Database
from ceasefire.store.rows import log_status_changes, require_aware
from ceasefire.store.schema import (
    agreements_table,
    incident_reports_table,
    incidents_table,
    reports_table,
    status_changes_table,
)
from ceasefire.vocab import WITHDRAWN

_I = incidents_table.c
_M = incident_reports_table.c
_H = status_changes_table.c
_A = agreements_table.c


# -- decisions --------------------------------------------------------------------------------


def _authors(conn: Connection, incident_id: str) -> list[tuple[str | None, ...]]:
    """Who entered each member report (the signed-in user the store recorded): the four-eyes
    check's input. A report stored before enterers were recorded (migration 0006) gives
    ``(submitted_by, source_name)``, the names it carries, instead."""
    c = reports_table.c
    query = (
        select(c.entered_by, c.submitted_by, c.body)
        .join(incident_reports_table, _M.report_id == c.report_id)
        .where(_M.incident_id == incident_id)
    )
    # source_name has no column of its own; the body is the report's interchange JSON.
    return [
        (r.entered_by,)
        if r.entered_by is not None
        else (r.submitted_by, json.loads(r.body).get("source_name"))
        for r in conn.execute(query)
    ]


def known_parties(conn: Connection) -> Parties:
    """The parties of every registered agreement version, with their aliases."""
    names: dict[str, str] = {}
    aliases: dict[str, str] = {}
    for body in conn.execute(select(_A.body)).scalars():
        described = json.loads(body)
        names.update(described.get("parties") or {})
        aliases.update(described.get("party_aliases") or {})
    return Parties(names, aliases)


def set_status(
    conn: Connection,
    dialect: Backend,
    incident_id: str,
    *,
    status: str,
    actor: str,
    basis: str,
    at: datetime,
    assessed_perpetrator: str | None,
    perpetrator_basis: str | None,
    parties: Collection[str] | None,
) -> StatusChange:
    require_aware(at, "at")
    row = conn.execute(
        select(_I.status, _I.merged_into).where(_I.incident_id == incident_id)
    ).one_or_none()
    if row is None:
        raise NotFoundError(f"no incident with id {incident_id!r}")
    if row.merged_into is not None:
        raise ConflictError(
            f"incident {incident_id} was merged into {row.merged_into}; decide on that one"
        )
    if row.status == WITHDRAWN:
        raise ConflictError(
            f"incident {incident_id} was withdrawn: every report of it was retracted"
        )
    known = known_parties(conn) if parties is None else parties
    if assessed_perpetrator is not None:
        # An alias of a party ("Russia") is recorded as its code; anything else is refused
        # by check_change, with the known codes.
        assessed_perpetrator = party_code(assessed_perpetrator, known) or assessed_perpetrator
    check_change(
        incident_id=incident_id,
        current=row.status,
        new=status,
        actor=actor,
        basis=basis,
        authors=_authors(conn, incident_id),
        parties=known,
        assessed_perpetrator=assessed_perpetrator,
        perpetrator_basis=perpetrator_basis,
    )
    change = StatusChange(
        incident_id=incident_id,
        from_status=row.status,
        to_status=status,
        actor=actor.strip(),
        at=at,
        basis=basis.strip(),
        assessed_perpetrator=assessed_perpetrator,
        perpetrator_basis=perpetrator_basis,
        automatic=False,
    )
    # A decision states the whole assessment: no perpetrator given means none is assessed.
    conn.execute(
        incidents_table.update()
        .where(_I.incident_id == incident_id)
        .values(
            status=status,
            assessed_perpetrator=assessed_perpetrator,
            assessed_basis=perpetrator_basis,
            updated_at=at,
        )
    )
    log_status_changes(conn, dialect, [change], at)
    return change


class DecisionsArea(Database):
    """Status decisions on incidents (part of :class:`~ceasefire.store.facade.Store`)."""

    def set_status(
        self,
        incident_id: str,
        *,
        status: str,
        actor: str,
        basis: str,
        at: datetime,
        assessed_perpetrator: str | None = None,
        perpetrator_basis: str | None = None,
        parties: Collection[str] | None = None,
    ) -> StatusChange:
        """Record a person's decision on an incident: its status, and the perpetrator assessed.

        Checked by :func:`ceasefire.judge.verification.check_change` (including the four-eyes rule
        against the authors of the member reports); the incident and its history are written in
        one transaction, or nothing is. A decision states the whole assessment: without
        ``assessed_perpetrator`` none is assessed.

        Parameters
        ----------
        status
            ``verified``, ``disputed`` or ``unfounded``.
        actor, basis
            Who decides, and why.
        at
            When (aware).
        assessed_perpetrator, perpetrator_basis
            The party responsible and what that rests on (both or neither).
        parties
            The parties a perpetrator may be (codes, or :attr:`Agreement.party_codes` with
            its aliases, an alias recorded as its code); by default those of the registered
            agreements.

        Raises
        ------
        NotFoundError
            No such incident.
        ConflictError
            The incident was merged into another (named in the message).
        InputError
            A bad status, a blank actor or basis, an unknown party or basis.
        ForbiddenError
            The actor would verify an incident whose only evidence is their own report.
        """

        with self._errors(), self._write() as conn:
            return set_status(
                conn,
                self._dialect,
                incident_id,
                status=status,
                actor=actor,
                basis=basis,
                at=at,
                assessed_perpetrator=assessed_perpetrator,
                perpetrator_basis=perpetrator_basis,
                parties=parties,
            )
