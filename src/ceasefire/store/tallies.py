"""Strike tallies (migration 0012): stored as given, one row per version, each logged.

An issuer chooses its tallies' ids; the key is issuer and id, so one party cannot take or shadow
the other's ids. Storing is all-or-nothing per call and idempotent: a tally stored again with
the same content is left as it is; with other content it is a :class:`ConflictError` (a
correction is a new tally that names the one it ``supersedes``). A tally may be superseded once,
by a later one of its own issuer: a second correction of the same version would fork the
account, and naming another issuer's tally would let one party retire the other's numbers.
Who may store a tally of which issuer is :func:`ceasefire.publish.access.tally_refusal`.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.engine import Connection

from ceasefire.errors import ConflictError, ForbiddenError, InputError, NotFoundError, Problem
from ceasefire.ledger.log import tally_item
from ceasefire.publish.access import Principal, require, tally_refusal
from ceasefire.store import ledger as store_ledger
from ceasefire.store.backends import Backend
from ceasefire.store.database import Database
from ceasefire.store.rows import require_aware
from ceasefire.store.schema import BODY_JSON, tallies_table
from ceasefire.tallies.checks import Flag, check
from ceasefire.tallies.model import Tally, read_tally

_T = tallies_table.c


@dataclass(frozen=True)
class StoredTally:
    """A tally as stored: the tally, who entered it and when, and the version that replaced it."""

    tally: Tally
    entered_at: datetime
    entered_by: str
    entered_role: str
    entered_party: str | None
    superseded_by: str | None = None

    @property
    def flags(self) -> list[Flag]:
        return check(self.tally)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tally": self.tally.to_dict(),
            "entered": {
                "at": self.entered_at.isoformat(),
                "by": self.entered_by,
                "role": self.entered_role,
                "party": self.entered_party,
            },
            "superseded_by": self.superseded_by,
            "flags": [f.to_dict() for f in self.flags],
        }


@dataclass(frozen=True)
class TalliesAdded:
    """What one call stored: the tallies new to the store, and those it held already."""

    stored: tuple[str, ...]
    unchanged: tuple[str, ...]


def _body(tally: Tally) -> str:
    return str(BODY_JSON(tally.to_dict()))


def _check_may(by: Principal, tallies: Sequence[Tally], parties: Collection[str]) -> None:
    require(by, "submit_tally")
    problems = []
    for t in tallies:
        refusal = tally_refusal(by, t.issuer, parties)
        if refusal is not None:
            problems.append(Problem(f"tally {t.id!r}", *refusal))
    if problems and by.party is not None:
        # A party naming another issuer is refused like any other act it may not do.
        raise ForbiddenError(str(problems[0]))
    if problems:
        raise InputError(problems)


def add_tallies(
    conn: Connection,
    dialect: Backend,
    tallies: Sequence[Tally],
    *,
    by: Principal,
    at: datetime,
    parties: Collection[str] = (),
) -> TalliesAdded:
    """Store ``tallies`` in the caller's write transaction (see the module docstring)."""
    require_aware(at, "at")
    _check_may(by, tallies, parties)
    keys = [(t.issuer, t.id) for t in tallies]
    if len(set(keys)) != len(keys):
        twice = next(k for k in keys if keys.count(k) > 1)
        raise InputError(Problem(f"tally {twice[1]!r}", "id", "given twice in one batch"))
    held = _held(conn, {t.issuer for t in tallies})
    stored, unchanged, rows = [], [], []
    taken = {(issuer, s): tid for (issuer, tid), (_, s) in held.items() if s}
    for t in tallies:
        body = _body(t)
        before = held.get((t.issuer, t.id))
        if before is not None:
            if before[0] != body:
                raise ConflictError(
                    f"tally {t.id!r} of {t.issuer} is stored with other content; a correction "
                    "is a new tally that names it in 'supersedes'"
                )
            unchanged.append(t.id)
            continue
        if t.supersedes is not None:
            if (t.issuer, t.supersedes) not in held and t.supersedes not in {
                x.id for x in tallies if x.issuer == t.issuer
            }:
                raise InputError(
                    Problem(
                        f"tally {t.id!r}",
                        "supersedes",
                        f"names no tally of {t.issuer}: {t.supersedes!r}",
                    )
                )
            other = taken.get((t.issuer, t.supersedes))
            if other is not None:
                raise ConflictError(
                    f"tally {t.supersedes!r} of {t.issuer} is superseded already, by {other!r}"
                )
            taken[(t.issuer, t.supersedes)] = t.id
        row = {
            "issuer": t.issuer,
            "tally_id": t.id,
            "attacker": t.attacker,
            "scope": t.scope,
            "window_from": t.window_from,
            "window_to": t.window_to,
            "issued_at": t.issued_at,
            "supersedes": t.supersedes,
            "body": body,
            "entered_at": at,
            "entered_by": by.name,
            "entered_role": by.role,
            "entered_party": by.party,
        }
        rows.append(row)
        held[(t.issuer, t.id)] = (body, t.supersedes)
        stored.append(t.id)
    if rows:
        conn.execute(tallies_table.insert(), rows)
        store_ledger.append(conn, dialect, [tally_item(r) for r in rows], at)
    return TalliesAdded(tuple(stored), tuple(unchanged))


def _held(
    conn: Connection, issuers: Collection[str]
) -> dict[tuple[str, str], tuple[str, str | None]]:
    query = select(_T.issuer, _T.tally_id, _T.body, _T.supersedes).where(
        _T.issuer.in_(sorted(issuers))
    )
    return {(r.issuer, r.tally_id): (r.body, r.supersedes) for r in conn.execute(query)}


def _stored(rows: Sequence[Any], superseded: dict[tuple[str, str], str]) -> list[StoredTally]:
    return [
        StoredTally(
            read_tally(json.loads(r.body), where=f"stored tally {r.tally_id!r}"),
            r.entered_at,
            r.entered_by,
            r.entered_role,
            r.entered_party,
            superseded.get((r.issuer, r.tally_id)),
        )
        for r in rows
    ]


class TalliesArea(Database):
    """Strike tallies (part of :class:`~ceasefire.store.facade.Store`)."""

    def add_tallies(
        self,
        tallies: Sequence[Tally],
        *,
        by: Principal,
        parties: Collection[str] = (),
        at: datetime | None = None,
    ) -> TalliesAdded:
        """Store tallies as ``by`` (all or nothing; see :func:`add_tallies`)."""
        with self._errors(), self._write() as conn:
            return add_tallies(
                conn, self._dialect, tallies, by=by, at=at or datetime.now(UTC), parties=parties
            )

    def tallies(
        self,
        *,
        by: Principal,
        issuer: str | None = None,
        attacker: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        current_only: bool = False,
    ) -> list[StoredTally]:
        """Tallies whose window overlaps ``[start, end)``, by window then issuer; with
        ``current_only``, the versions no later one supersedes."""
        require(by, "read_tallies")
        where = []
        if issuer is not None:
            where.append(_T.issuer == issuer)
        if attacker is not None:
            where.append(_T.attacker == attacker)
        if start is not None:
            require_aware(start, "start")
            where.append(_T.window_to > start)
        if end is not None:
            require_aware(end, "end")
            where.append(_T.window_from < end)
        with self._errors(), self.read() as conn:
            rows = list(
                conn.execute(
                    select(tallies_table)
                    .where(and_(True, *where))
                    .order_by(_T.window_from, _T.issuer, _T.tally_id)
                )
            )
            superseded = self._superseded(conn, {r.issuer for r in rows})
        out = _stored(rows, superseded)
        if current_only:
            out = [s for s in out if s.superseded_by is None]
        return out

    def tally(self, issuer: str, tally_id: str, *, by: Principal) -> StoredTally:
        """One tally version (NotFoundError when there is none)."""
        require(by, "read_tallies")
        with self._errors(), self.read() as conn:
            rows = list(
                conn.execute(
                    select(tallies_table).where(_T.issuer == issuer, _T.tally_id == tally_id)
                )
            )
            if not rows:
                raise NotFoundError(f"no tally {tally_id!r} of {issuer!r}")
            return _stored(rows, self._superseded(conn, {issuer}))[0]

    @staticmethod
    def _superseded(conn: Connection, issuers: Collection[str]) -> dict[tuple[str, str], str]:
        query = select(_T.issuer, _T.tally_id, _T.supersedes).where(
            _T.issuer.in_(sorted(issuers)), _T.supersedes.is_not(None)
        )
        return {(r.issuer, r.supersedes): r.tally_id for r in conn.execute(query)}
