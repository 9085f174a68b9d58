"""Users and releases in the store: who may call the service, and what the public may see.

The :class:`~ceasefire.store.facade.Store` methods ``add_user``, ``principal_for_token``,
``list_users``, ``release_incident`` and ``releases`` delegate here, each function taking an
open connection, as :mod:`ceasefire.store.ledger` does. Tables come from migration 0004.

A token is made by :func:`ceasefire.publish.access.new_token`, handed back once, and only its SHA-256
(:func:`ceasefire.publish.access.token_hash`) is stored: a stolen database gives no token.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Boolean, Column, String, Table, select
from sqlalchemy.engine import Connection

from ceasefire.errors import ConflictError, InputError, NotFoundError, Problem
from ceasefire.ledger.log import release_item
from ceasefire.publish.access import Principal, Release, new_token, token_hash
from ceasefire.records import StoredIncident
from ceasefire.store import ledger as store_ledger
from ceasefire.store.backends import Backend
from ceasefire.store.database import Database
from ceasefire.store.schema import (
    CHUNK,
    UTCDateTime,
    incidents_table,
    metadata,
    reports_table,
    violations_table,
)

users_table = Table(
    "users",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("party", String(64)),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("disabled", Boolean, nullable=False),
)
releases_table = Table(
    "incident_releases",
    metadata,
    Column("incident_id", String(32), primary_key=True),
    Column("released_at", UTCDateTime, nullable=False),
    Column("full", Boolean, nullable=False),
    Column("released_by", String(200), nullable=False),
)

_U = users_table.c
_R = releases_table.c
_V = violations_table.c


@dataclass(frozen=True)
class User:
    """A user as listed (never with a token: only its hash is stored, and that is not shown)."""

    name: str
    role: str
    party: str | None
    created_at: datetime
    disabled: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role,
            "party": self.party,
            "created_at": self.created_at.isoformat(),
            "disabled": self.disabled,
        }


def add_user(conn: Connection, name: str, role: str, party: str | None, at: datetime) -> str:
    """Store a user and return its new token (the only time it exists in clear)."""
    name = name.strip()
    if not name:
        raise InputError(Problem("user", "name", "must not be blank"))
    Principal(name, role, party)  # InputError for an unknown role or a party mismatch
    if conn.execute(select(_U.name).where(_U.name == name)).first() is not None:
        raise ConflictError(f"a user named {name!r} exists already")
    token = new_token()
    conn.execute(
        users_table.insert().values(
            name=name,
            role=role,
            party=party,
            token_hash=token_hash(token),
            created_at=at,
            disabled=False,
        )
    )
    return token


def principal_for_token(conn: Connection, token: str) -> Principal | None:
    """The principal a token stands for, or None for an unknown token or a disabled user."""
    row = conn.execute(
        select(_U.name, _U.role, _U.party, _U.disabled).where(_U.token_hash == token_hash(token))
    ).one_or_none()
    if row is None or row.disabled:
        return None
    return Principal(row.name, row.role, row.party)


def set_disabled(conn: Connection, name: str, disabled: bool) -> None:
    """Disable a user (its token stops working) or enable it again. NotFoundError for an
    unknown name."""
    done = conn.execute(users_table.update().where(_U.name == name).values(disabled=disabled))
    if done.rowcount == 0:
        raise NotFoundError(f"no user named {name!r}")


def list_users(conn: Connection) -> list[User]:
    rows = conn.execute(
        select(_U.name, _U.role, _U.party, _U.created_at, _U.disabled).order_by(_U.name)
    )
    return [User(r.name, r.role, r.party, r.created_at, bool(r.disabled)) for r in rows]


def release_incident(
    conn: Connection, dialect: Backend, incident_id: str, full: bool, by: str, at: datetime
) -> Release:
    """Release an incident to the public (again: a later release replaces the earlier one, e.g.
    to show the place in full), and log it in the ledger in the same transaction: what the
    public was shown, and when, is part of the shared record. NotFoundError for an unknown
    incident."""
    known = conn.execute(
        select(incidents_table.c.incident_id).where(incidents_table.c.incident_id == incident_id)
    ).first()
    if known is None:
        raise NotFoundError(f"no incident with id {incident_id!r}")
    values = {"released_at": at, "full": full, "released_by": by}
    done = conn.execute(releases_table.update().where(_R.incident_id == incident_id), values)
    if done.rowcount == 0:
        conn.execute(releases_table.insert().values(incident_id=incident_id, **values))
    item = release_item({"incident_id": incident_id, **values})
    store_ledger.append(conn, dialect, [item], at)
    return Release(at, full)


def releases(conn: Connection) -> dict[str, Release]:
    """Every release, by incident id."""
    rows = conn.execute(select(_R.incident_id, _R.released_at, _R.full))
    return {r.incident_id: Release(r.released_at, bool(r.full)) for r in rows}


# -- what the views need, in bulk (one query per page, not per row) ---------------------------


def violation_parties(conn: Connection, incident_ids: Collection[str]) -> dict[str, set[str]]:
    """The parties each incident has a current violation against (as the store's ``party``
    filter of incidents counts them)."""
    found: dict[str, set[str]] = {}
    ids = list(incident_ids)
    for start in range(0, len(ids), CHUNK):
        rows = conn.execute(
            select(_V.incident_id, _V.party).where(
                _V.incident_id.in_(ids[start : start + CHUNK]),
                _V.superseded_at.is_(None),
                _V.party.is_not(None),
            )
        )
        for r in rows:
            found.setdefault(r.incident_id, set()).add(r.party)
    return found


def reports_of(conn: Connection, submitted_by: str, report_ids: Collection[str]) -> set[str]:
    """Which of ``report_ids`` were submitted by ``submitted_by``."""
    found: set[str] = set()
    ids = list(report_ids)
    for start in range(0, len(ids), CHUNK):
        found.update(
            conn.execute(
                select(reports_table.c.report_id).where(
                    reports_table.c.report_id.in_(ids[start : start + CHUNK]),
                    reports_table.c.submitted_by == submitted_by,
                )
            ).scalars()
        )
    return found


def incidents_by_id(conn: Connection, incident_ids: Collection[str]) -> dict[str, StoredIncident]:
    """The stored incidents of these ids (unknown ids are left out)."""
    from ceasefire.store.incidents import _INCIDENT_COLUMNS, _stored_incident

    found: dict[str, StoredIncident] = {}
    ids = list(incident_ids)
    for start in range(0, len(ids), CHUNK):
        rows = conn.execute(
            select(*_INCIDENT_COLUMNS).where(
                incidents_table.c.incident_id.in_(ids[start : start + CHUNK])
            )
        )
        for row in rows:
            found[row.incident_id] = _stored_incident(row)
    return found


class UsersArea(Database):
    """Users, releases, and what the access views need in bulk (part of :class:`~ceasefire.store.facade.Store`)."""

    def add_user(self, name: str, role: str, party: str | None = None) -> str:
        """Add a user; returns its bearer token, shown this once (only its hash is stored)."""

        with self._errors(), self._write() as conn:
            return add_user(conn, name, role, party, datetime.now(UTC))

    def principal_for_token(self, token: str) -> Principal | None:
        """Who a bearer token stands for; None for an unknown token or a disabled user."""

        with self._errors(), self._engine.connect() as conn:
            return principal_for_token(conn, token)

    def set_user_disabled(self, name: str, disabled: bool = True) -> None:
        """Disable a user, so that its token stops working (``disabled=False`` enables it
        again). A running service notices within :data:`ceasefire.api.deps.TOKEN_TTL_S`
        seconds. NotFoundError for an unknown name."""

        with self._errors(), self._write() as conn:
            set_disabled(conn, name, disabled)

    def list_users(self) -> list[User]:
        """Every user, by name (never a token)."""

        with self._errors(), self._engine.connect() as conn:
            return list_users(conn)

    def release_incident(
        self, incident_id: str, *, full: bool = False, by: str, at: datetime | None = None
    ) -> Release:
        """Release an incident to the public (coarsened unless ``full``). NotFoundError for an
        unknown incident; releasing again replaces the earlier release."""

        with self._errors(), self._write() as conn:
            return release_incident(
                conn, self._dialect, incident_id, full, by, at or datetime.now(UTC)
            )

    def releases(self) -> dict[str, Release]:
        """Every incident released to the public, by id."""

        with self._errors(), self._engine.connect() as conn:
            return releases(conn)

    def violation_parties(self, incident_ids: Collection[str]) -> dict[str, set[str]]:
        """The parties each incident has a current violation against."""

        with self._errors(), self._engine.connect() as conn:
            return violation_parties(conn, incident_ids)

    def reports_of(self, submitted_by: str, report_ids: Collection[str]) -> set[str]:
        """Which of ``report_ids`` were submitted by ``submitted_by``."""

        with self._errors(), self._engine.connect() as conn:
            return reports_of(conn, submitted_by, report_ids)

    def incidents_by_id(self, incident_ids: Collection[str]) -> dict[str, StoredIncident]:
        """The stored incidents of these ids, by id (unknown ids are left out)."""

        with self._errors(), self._engine.connect() as conn:
            return incidents_by_id(conn, incident_ids)
