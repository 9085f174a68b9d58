"""Retracted reports (migration 0010): withdrawn by their submitter or by the mission, with a
reason, and logged.

A retraction keeps the report and its leaf (history keeps what was said) and takes it out of
everything that counts: listings and counts leave it out unless asked for history, fusion never
sees it again, and it leaves its incident at once. An incident whose last report is retracted is
``withdrawn`` (an automatic, logged status change) and its standing violations are superseded,
so no count holds a party responsible on withdrawn evidence. A correction is a new report that
``corrects`` an earlier one of the same submitter: storing it retracts the earlier one in the
same transaction (:meth:`ceasefire.store.writing.BulkWriter.add`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ceasefire.errors import ConflictError, InputError, NotFoundError, Problem
from ceasefire.judge.verification import FUSION_ACTOR
from ceasefire.ledger.log import retraction_item, superseded_item
from ceasefire.publish.access import Principal, may_retract, report_ids, require
from ceasefire.records import StatusChange
from ceasefire.store import ledger as store_ledger
from ceasefire.store.backends import Backend
from ceasefire.store.database import Database
from ceasefire.store.rows import log_status_changes, require_aware
from ceasefire.store.schema import (
    incident_reports_table,
    incidents_table,
    reports_table,
    retractions_table,
    violations_table,
)
from ceasefire.vocab import WITHDRAWN

_T = retractions_table.c
_M = incident_reports_table.c
_I = incidents_table.c
_V = violations_table.c

#: The longest reason kept: a retraction says why in a sentence or a paragraph, not a file.
MAX_REASON = 2_000


@dataclass(frozen=True)
class Retraction:
    """A report's retraction as stored and logged."""

    report_id: str
    retracted_at: datetime
    by: str
    role: str
    party: str | None
    reason: str
    corrected_by: str | None = None
    #: The incident the report left, and whether that left it withdrawn (no report at all).
    left_incident: str | None = None
    withdrawn: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "report_id": self.report_id,
            "retracted_at": self.retracted_at.isoformat(),
            "by": {"name": self.by, "role": self.role, "party": self.party},
            "reason": self.reason,
            "corrected_by": self.corrected_by,
            "left_incident": self.left_incident,
            "withdrawn": self.withdrawn,
        }


def check_reason(reason: Any) -> str:
    """The reason, stripped; InputError naming ``reason`` when it is missing or too long."""
    if not isinstance(reason, str) or not reason.strip():
        raise InputError(Problem("retraction", "reason", "must say why the report is withdrawn"))
    if len(reason) > MAX_REASON:
        raise InputError(
            Problem("retraction", "reason", f"at most {MAX_REASON} characters, got {len(reason)}")
        )
    return reason.strip()


def retract(
    conn: Connection,
    dialect: Backend,
    report_id: str,
    *,
    by: Principal,
    reason: str,
    at: datetime,
    corrected_by: str | None = None,
) -> Retraction:
    """Retract a stored report in the caller's write transaction (see the module docstring).

    Raises
    ------
    NotFoundError
        No such report, or one the caller may not retract and may not read (a party asking
        about another's report is told what it would be told of a missing one).
    ForbiddenError
        A caller who retracts nothing (the mediator, the public).
    ConflictError
        The report was retracted already.
    InputError
        No reason, or one too long.
    """
    require_aware(at, "at")
    reason = check_reason(reason)
    require(by, "retract_report")  # the mediator and the public: 403, whatever the id
    # A party names its report by the id it chose (stored as ``UA:<id>``) or the stored one.
    c = reports_table.c
    names = report_ids(by, report_id)
    found = {
        r.report_id: r.submitted_by
        for r in conn.execute(select(c.report_id, c.submitted_by).where(c.report_id.in_(names)))
    }
    stored = next((n for n in names if n in found and may_retract(by, found[n])), None)
    if stored is None:
        raise NotFoundError(f"no stored report with id {report_id!r}")
    report_id = stored
    before = conn.execute(
        select(_T.retracted_at, _T.by_name).where(_T.report_id == report_id)
    ).one_or_none()
    if before is not None:
        raise ConflictError(
            f"report {report_id!r} was retracted already, at {before.retracted_at.isoformat()}"
        )
    values = {
        "report_id": report_id,
        "retracted_at": at,
        "by_name": by.name,
        "by_role": by.role,
        "by_party": by.party,
        "reason": reason,
        "corrected_by": corrected_by,
    }
    conn.execute(retractions_table.insert().values(**values))
    store_ledger.append(conn, dialect, [retraction_item(values)], at)
    left, withdrawn = _leave_incident(conn, dialect, report_id, at)
    return Retraction(
        report_id, at, by.name, by.role, by.party, reason, corrected_by, left, withdrawn
    )


def _leave_incident(
    conn: Connection, dialect: Backend, report_id: str, at: datetime
) -> tuple[str | None, bool]:
    """Take the report out of its incident; withdraw the incident if no report is left."""
    incident_id = conn.execute(
        select(_M.incident_id).where(_M.report_id == report_id)
    ).scalar_one_or_none()
    if incident_id is None:
        return None, False
    conn.execute(incident_reports_table.delete().where(_M.report_id == report_id))
    if conn.execute(select(_M.report_id).where(_M.incident_id == incident_id).limit(1)).first():
        return incident_id, False  # the next fusion run sums up the reports that are left
    status = conn.execute(select(_I.status).where(_I.incident_id == incident_id)).scalar_one()
    conn.execute(
        incidents_table.update()
        .where(_I.incident_id == incident_id)
        .values(status=WITHDRAWN, updated_at=at)
    )
    change = StatusChange(
        incident_id,
        status,
        WITHDRAWN,
        FUSION_ACTOR,
        at,
        f"every report of it was retracted (the last: {report_id})",
        automatic=True,
    )
    log_status_changes(conn, dialect, [change], at)
    standing = list(
        conn.execute(
            select(_V.seq).where(_V.incident_id == incident_id, _V.superseded_at.is_(None))
        ).scalars()
    )
    if standing:
        conn.execute(violations_table.update().where(_V.seq.in_(standing)).values(superseded_at=at))
        store_ledger.append(conn, dialect, [superseded_item(s, at) for s in sorted(standing)], at)
    return incident_id, True


def retracted_ids(conn: Connection) -> set[str]:
    """Every retracted report's id."""
    return set(conn.execute(select(_T.report_id)).scalars())


class RetractionsArea(Database):
    """Retracting reports (part of :class:`~ceasefire.store.facade.Store`)."""

    def retract_report(
        self,
        report_id: str,
        *,
        by: Principal,
        reason: str,
        at: datetime | None = None,
    ) -> Retraction:
        """Retract a stored report as ``by`` with ``reason`` (see :func:`retract`)."""
        with self._errors(), self._write() as conn:
            return retract(
                conn, self._dialect, report_id, by=by, reason=reason, at=at or datetime.now(UTC)
            )

    def retraction(self, report_id: str) -> Retraction | None:
        """The report's retraction, or None while it stands."""
        with self._errors(), self.read() as conn:
            r = conn.execute(
                select(retractions_table).where(_T.report_id == report_id)
            ).one_or_none()
        if r is None:
            return None
        return Retraction(
            r.report_id, r.retracted_at, r.by_name, r.by_role, r.by_party, r.reason,
            r.corrected_by,
        )  # fmt: skip
