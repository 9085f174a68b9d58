"""Users and releases in the store: who may call the service, and what the public may see.

The :class:`~ceasefire.store.facade.Store` methods ``add_user``, ``rotate_token``,
``disable_user``, ``enable_user``, ``check_token``, ``list_users``, ``release_incident`` and
``releases`` delegate here, each function taking an
open connection, as :mod:`ceasefire.store.ledger` does. Tables come from migrations 0004 and
0008.

Every user administration (add, disable, enable, token rotation) logs the user's row as a
``user`` leaf in the same transaction (:func:`ceasefire.ledger.log.user_item`), and the ledger
audit compares each row with its latest leaf: a role, party, flag or token hash edited in the
database behind the store's back is named by ``ceasefire ledger verify``.

A token is made by :func:`ceasefire.publish.access.new_token`, handed back once, and only its SHA-256
(:func:`ceasefire.publish.access.token_hash`) is stored: a stolen database gives no token.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Boolean, Column, Integer, String, Table, select
from sqlalchemy.engine import Connection

from ceasefire.errors import ConflictError, InputError, NotFoundError, Problem
from ceasefire.ledger.log import release_item, user_item
from ceasefire.publish.access import Principal, Release, new_token, token_hash
from ceasefire.records import StoredIncident
from ceasefire.store import ledger as store_ledger
from ceasefire.store.backends import Backend
from ceasefire.store.database import Database
from ceasefire.store.schema import (
    CHUNK,
    UTCDateTime,
    agreements_table,
    incidents_table,
    metadata,
    reports_table,
    violations_table,
)
from ceasefire.vocab import NOT_PARTY_CODES

users_table = Table(
    "users",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("party", String(64)),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("disabled", Boolean, nullable=False),
    Column("token_issued_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime),
    Column("change", String(16), nullable=False),
    Column("changed_at", UTCDateTime, nullable=False),
)
#: One row: a counter every user administration bumps, so a running service can tell in one
#: cheap read whether the tokens it remembers may have changed (:class:`ceasefire.api.deps.Tokens`).
users_state_table = Table(
    "users_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version", BigInteger, nullable=False),
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

#: The changes a user's ledger leaf can record (``users.change``); ``upgrade`` is a user that
#: existed before administration was logged, logged when migration 0008 ran.
CHANGES = ("add", "disable", "enable", "rotate", "upgrade")


@dataclass(frozen=True)
class User:
    """A user as listed (never with a token: only its hash is stored, and that is not shown)."""

    name: str
    role: str
    party: str | None
    created_at: datetime
    disabled: bool
    token_issued_at: datetime
    expires_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role,
            "party": self.party,
            "created_at": self.created_at.isoformat(),
            "disabled": self.disabled,
            "token_issued_at": self.token_issued_at.isoformat(),
            "expires_at": None if self.expires_at is None else self.expires_at.isoformat(),
        }


@dataclass(frozen=True)
class TokenCheck:
    """What a bearer token stands for: a principal, or why not (``refusal``: ``unknown`` for no
    user's token or a disabled user's, ``expired``). ``expires_at`` is the token's end, if any."""

    principal: Principal | None
    refusal: str | None = None
    expires_at: datetime | None = None


def known_parties(conn: Connection) -> list[str]:
    """The party codes of every agreement version stored, sorted."""
    codes: set[str] = set()
    for body in conn.execute(select(agreements_table.c.body)).scalars():
        parties = json.loads(body).get("parties") or {}
        codes.update(code for code in parties if isinstance(code, str))
    return sorted(codes)


def check_party(conn: Connection, role: str, party: str | None) -> None:
    """InputError unless ``party`` fits ``role``: a party user names a party code of the
    agreement stored; a mission role (admin, monitor, mediator) names none.

    Before any agreement is stored (a new database: tests, or `ceasefire users add` run before
    the first `ceasefire fuse` or `ceasefire demo` registers one) there is nothing to check a
    code against, and refusing would make the order of setting up a store matter for no gain:
    the code is then checked for form only. The mechanism's own addresses (``mission``,
    ``mediator``, ``sys``) and ``:`` are refused always, as the agreement refuses them as
    party codes: bound to ``mission`` a party user would read every mission report.
    """
    Principal("user", role, party)  # InputError for an unknown role, or a party on another role
    if party is None:
        return
    known = known_parties(conn)
    listing = f"; the agreement's party codes are {', '.join(known)}" if known else ""
    if not party.strip() or party != party.strip():
        reason = f"{party!r} is not a party code (blank, or spaces around it){listing}"
        raise InputError(Problem("user", "party", reason))
    if party in NOT_PARTY_CODES or ":" in party:
        reason = f"{party!r} is reserved for the mechanism, not a party code{listing}"
        raise InputError(Problem("user", "party", reason))
    if known and party not in known:
        reason = f"{party!r} is not a party code of the agreement stored{listing}"
        raise InputError(Problem("user", "party", reason))


def _expiry(at: datetime, expires_in: timedelta | None) -> datetime | None:
    if expires_in is None:
        return None
    if expires_in <= timedelta(0):
        raise InputError(Problem("user", "expires_in", "must be a positive duration"))
    return at + expires_in


def _log(conn: Connection, dialect: Backend, name: str, at: datetime) -> None:
    """Log the user's row as it now stands, in the caller's transaction, and bump the users
    version: the row and its leaf are written together or not at all."""
    row = conn.execute(select(users_table).where(_U.name == name)).one()
    store_ledger.append(conn, dialect, [user_item(dict(row._mapping))], at)
    conn.execute(
        users_state_table.update()
        .where(users_state_table.c.id == 1)
        .values(version=users_state_table.c.version + 1)
    )


def add_user(
    conn: Connection,
    dialect: Backend,
    name: str,
    role: str,
    party: str | None,
    at: datetime,
    expires_in: timedelta | None = None,
) -> str:
    """Store a user, log it, and return its new token (the only time it exists in clear)."""
    name = name.strip()
    if not name:
        raise InputError(Problem("user", "name", "must not be blank"))
    check_party(conn, role, party)
    expires_at = _expiry(at, expires_in)
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
            token_issued_at=at,
            expires_at=expires_at,
            change="add",
            changed_at=at,
        )
    )
    _log(conn, dialect, name, at)
    return token


def _user_row(conn: Connection, name: str) -> Any:
    row = conn.execute(select(users_table).where(_U.name == name)).one_or_none()
    if row is None:
        raise NotFoundError(f"no user named {name!r}")
    return row


def _new_token(
    conn: Connection,
    dialect: Backend,
    row: Any,
    change: str,
    at: datetime,
    expires_in: timedelta | None,
) -> str:
    """Give a user a new token (the old one stops working in this transaction) and log it.
    Without ``expires_in`` the new token lives as long as the old one was given to."""
    if expires_in is None and row.expires_at is not None:
        expires_in = row.expires_at - row.token_issued_at
    token = new_token()
    conn.execute(
        users_table.update()
        .where(_U.name == row.name)
        .values(
            token_hash=token_hash(token),
            token_issued_at=at,
            expires_at=_expiry(at, expires_in),
            disabled=False,
            change=change,
            changed_at=at,
        )
    )
    _log(conn, dialect, row.name, at)
    return token


def rotate_token(
    conn: Connection, dialect: Backend, name: str, at: datetime, expires_in: timedelta | None
) -> str:
    """A new token for an enabled user; the old one stops working. NotFoundError for an
    unknown name, ConflictError for a disabled user (enabling it hands out a new token)."""
    row = _user_row(conn, name)
    if row.disabled:
        raise ConflictError(f"user {name!r} is disabled; enabling it hands out a new token")
    return _new_token(conn, dialect, row, "rotate", at, expires_in)


def disable_user(conn: Connection, dialect: Backend, name: str, at: datetime) -> None:
    """Disable a user (its token stops working, for good) and log it. NotFoundError for an
    unknown name, ConflictError for one disabled already."""
    row = _user_row(conn, name)
    if row.disabled:
        raise ConflictError(f"user {name!r} is disabled already")
    conn.execute(
        users_table.update()
        .where(_U.name == name)
        .values(disabled=True, change="disable", changed_at=at)
    )
    _log(conn, dialect, name, at)


def enable_user(
    conn: Connection, dialect: Backend, name: str, at: datetime, expires_in: timedelta | None
) -> str:
    """Enable a disabled user with a new token, and log it.

    The old token never comes back: a user is disabled because its token leaked or its holder
    left, and whoever re-enables it must hand the user something anyway, so that is where a
    new token is made. NotFoundError for an unknown name, ConflictError for an enabled user.
    """
    row = _user_row(conn, name)
    if not row.disabled:
        raise ConflictError(f"user {name!r} is enabled already (rotate its token instead)")
    return _new_token(conn, dialect, row, "enable", at, expires_in)


def check_token(conn: Connection, token: str, now: datetime) -> TokenCheck:
    """What a token stands for at ``now`` (:class:`TokenCheck`)."""
    row = conn.execute(
        select(_U.name, _U.role, _U.party, _U.disabled, _U.expires_at).where(
            _U.token_hash == token_hash(token)
        )
    ).one_or_none()
    if row is None or row.disabled:
        return TokenCheck(None, "unknown")
    if row.expires_at is not None and row.expires_at <= now:
        return TokenCheck(None, "expired", row.expires_at)
    return TokenCheck(Principal(row.name, row.role, row.party), None, row.expires_at)


def users_version(conn: Connection) -> int:
    return int(
        conn.execute(
            select(users_state_table.c.version).where(users_state_table.c.id == 1)
        ).scalar_one()
    )


def list_users(conn: Connection) -> list[User]:
    rows = conn.execute(select(users_table).order_by(_U.name))
    return [
        User(
            r.name,
            r.role,
            r.party,
            r.created_at,
            bool(r.disabled),
            r.token_issued_at,
            r.expires_at,
        )
        for r in rows
    ]


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

    #: User administrations through this object (a service's token cache in the same process
    #: sees them at once, without a query; :class:`ceasefire.api.deps.Tokens`).
    users_changes: int = 0

    @contextmanager
    def _administer(self) -> Iterator[Connection]:
        """A write transaction that changes users: counted in :attr:`users_changes` after it
        commits (and after a failure too: a needless cache refresh costs one lookup)."""
        try:
            with self._errors(), self._write() as conn:
                yield conn
        finally:
            self.users_changes += 1

    def add_user(
        self,
        name: str,
        role: str,
        party: str | None = None,
        *,
        expires_in: timedelta | None = None,
    ) -> str:
        """Add a user and log it; returns its bearer token, shown this once (only its hash is
        stored). ``party`` is a party code of the agreement stored (see :func:`check_party`);
        the token stops working ``expires_in`` from now, when given."""

        with self._administer() as conn:
            return add_user(conn, self._dialect, name, role, party, datetime.now(UTC), expires_in)

    def principal_for_token(self, token: str) -> Principal | None:
        """Who a bearer token stands for; None for an unknown or expired token or a disabled
        user."""

        return self.check_token(token).principal

    def check_token(self, token: str) -> TokenCheck:
        """Who a bearer token stands for now, or why it stands for no one."""

        with self._errors(), self._engine.connect() as conn:
            return check_token(conn, token, datetime.now(UTC))

    def users_version(self) -> int:
        """A number that changes with every user administration (a service's token cache
        compares it, :class:`ceasefire.api.deps.Tokens`)."""

        with self._errors(), self._engine.connect() as conn:
            return users_version(conn)

    def rotate_token(self, name: str, *, expires_in: timedelta | None = None) -> str:
        """Give a user a new bearer token, shown this once; the old one stops working. Without
        ``expires_in`` the new token lives as long as the old one was given to. NotFoundError
        for an unknown name, ConflictError for a disabled user."""

        with self._administer() as conn:
            return rotate_token(conn, self._dialect, name, datetime.now(UTC), expires_in)

    def disable_user(self, name: str) -> None:
        """Disable a user: its token stops working for good (enabling hands out a new one). A
        running service notices at its next look at :meth:`users_version` (see
        :data:`ceasefire.api.deps.USERS_CHECK_S`). NotFoundError for an unknown name."""

        with self._administer() as conn:
            disable_user(conn, self._dialect, name, datetime.now(UTC))

    def enable_user(self, name: str, *, expires_in: timedelta | None = None) -> str:
        """Enable a disabled user; returns its new bearer token, shown this once (the old one
        never works again). NotFoundError for an unknown name, ConflictError for an enabled
        user."""

        with self._administer() as conn:
            return enable_user(conn, self._dialect, name, datetime.now(UTC), expires_in)

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
