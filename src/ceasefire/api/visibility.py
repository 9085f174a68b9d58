"""What a caller may read, applied to what the store answers: the views of :mod:`ceasefire.publish.access`
over pages, records and ledger leaves.

The mission (admin, monitor, mediator) reads everything, straight from the store. For a party
or the public every row goes through a view, and paging is over the *visible* rows: a list
scans the store's rows in order, chunk by chunk, keeps what the view lets through, and stops
once it holds ``offset + limit + 1`` visible rows. So ``offset``, ``limit``, ``next`` and the
number of items all count visible rows only, and nothing about the hidden ones shows through a
page boundary. (The incidents' ``party`` filter of the store cannot stand in for the view: a
claim against a party concerns it too, and released incidents are visible to every party.)
Reports are the exception: a party's reports are filtered in SQL (``submitted_by``), so their
key paging stays exact.

Keyset pages (the OGC collections: ``after`` = the last id shown) scan the same way: a keyset
read stands in for the positional one (:func:`keyset`), starting after a row the caller saw.

What a view keeps and cuts (an incident's ``key``, a party's ``sources``, the basis of
fusion's status changes, a violation's ``evidence``) is decided in :mod:`ceasefire.publish.access`
only; this module reads what those decisions need from the store (releases, the parties a
violation holds against, which ids are the caller's own reports) and applies them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from ceasefire.publish.access import (
    Principal,
    Release,
    incident_view,
    report_view,
    status_change_view,
    violation_view,
)
from ceasefire.records import StoredIncident, StoredReport, StoredViolation
from ceasefire.store.facade import Store

T = TypeVar("T")

#: Rows read from the store per scan step when filtering a page for a party or the public.
SCAN_CHUNK = 500


@dataclass
class Viewer:
    """One caller's view of the store during one request."""

    caller: Principal
    store: Store
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    _releases: dict[str, Release] | None = None

    @property
    def sees_all(self) -> bool:
        return self.caller.sees_all

    @property
    def releases(self) -> dict[str, Release]:
        if self._releases is None:
            self._releases = self.store.releases()
        return self._releases

    # -- reports -----------------------------------------------------------------------------

    def reports(self, rows: Sequence[StoredReport]) -> list[dict[str, Any] | None]:
        """Each stored report (with its point and placement) as this caller may see it, or
        None."""
        return [report_view(self.caller, r.to_dict()) for r in rows]

    # -- incidents ---------------------------------------------------------------------------

    def incidents(self, rows: Sequence[StoredIncident]) -> list[dict[str, Any] | None]:
        """Each incident as this caller may see it, or None."""
        dicts = [r.to_dict() for r in rows]
        if self.sees_all:
            return list(dicts)
        ids = [d["id"] for d in dicts]
        against = self.store.violation_parties(ids)
        own: set[str] = set()
        party = self.caller.party
        if party is not None:
            members = {m for d in dicts for m in d.get("report_ids") or ()}
            own = self.store.reports_of(party, members)
        return [
            incident_view(
                self.caller,
                d,
                now=self.now,
                violation_parties=against.get(d["id"], set()),
                release=self.releases.get(d["id"]),
                own_reports=own,
            )
            for d in dicts
        ]

    def incident(self, row: StoredIncident) -> dict[str, Any] | None:
        return self.incidents([row])[0]

    # -- violations --------------------------------------------------------------------------

    def violations(self, rows: Sequence[StoredViolation]) -> list[dict[str, Any] | None]:
        """Each violation as this caller may see it: those of incidents it may see (for a
        party: the ones against it, or of incidents that concern it or are released)."""
        dicts = [v.to_dict() for v in rows]
        if self.sees_all:
            return list(dicts)
        found = self.store.incidents_by_id({d["incident_id"] for d in dicts})
        ids = list(found)
        views = dict(zip(ids, self.incidents([found[i] for i in ids]), strict=True))
        own: set[str] = set()
        if self.caller.party is not None:
            evidence = {e for d in dicts for e in d.get("evidence") or ()}
            own = self.store.reports_of(self.caller.party, evidence)
        return [
            violation_view(self.caller, d, views.get(d["incident_id"]), own_reports=own)
            for d in dicts
        ]

    # -- an incident's record ----------------------------------------------------------------

    def record(self, record: Mapping[str, Any], incident: Mapping[str, Any]) -> dict[str, Any]:
        """``IncidentRecord.to_dict()`` for a caller that may see the incident (``incident``
        is its view): its own member reports only, the history without fusion's source list,
        the violations through :meth:`violations`' rules."""
        if self.sees_all:
            return dict(record)
        reports = [r for r in (report_view(self.caller, x) for x in record["reports"]) if r]
        history = [self.status_change(h) for h in record["history"]]
        own: set[str] = set()
        if self.caller.party is not None:
            evidence = {e for v in record["violations"] for e in v.get("evidence") or ()}
            own = self.store.reports_of(self.caller.party, evidence)
        violations = [
            violation_view(self.caller, v, incident, own_reports=own) for v in record["violations"]
        ]
        return {
            "incident": dict(incident),
            "reports": reports,
            "history": history,
            "violations": [v for v in violations if v is not None],
        }

    def status_change(self, change: Mapping[str, Any]) -> dict[str, Any]:
        return status_change_view(self.caller, change)

    # -- ledger leaves -----------------------------------------------------------------------

    def may_prove(self, kind: str, record: Mapping[str, Any]) -> bool:
        """Whether the caller may have the inclusion bundle of a leaf, which carries the record
        whole: a report it may read; an agreement; a decision (not fusion's, whose basis names
        the sources) on an incident it may see; a violation on an incident it may see whose
        evidence is all its own reports."""
        if self.sees_all or kind == "agreement":
            return True
        if kind == "report":
            return report_view(self.caller, record) is not None
        if kind not in ("status_change", "violation"):
            return False
        if kind == "status_change" and record.get("automatic"):
            return False
        found = self.store.incidents_by_id([str(record.get("incident_id"))])
        if not found or self.incidents(list(found.values()))[0] is None:
            return False
        if kind == "violation":
            evidence = list(record.get("evidence") or ())
            party = self.caller.party
            return not evidence or (
                party is not None and self.store.reports_of(party, evidence) == set(evidence)
            )
        return True


def visible_page(
    fetch: Callable[[int, int], Sequence[T]],
    view: Callable[[Sequence[T]], Iterable[dict[str, Any] | None]],
    offset: int,
    limit: int,
    chunk: int | None = None,
) -> tuple[list[dict[str, Any]], bool]:
    """``limit`` visible rows after skipping ``offset`` visible ones, and whether more follow.

    ``fetch(offset, limit)`` reads the store's rows in their order; ``view`` maps them to what
    the caller may see (None: hidden). The scan reads ``chunk`` rows at a time (at most
    :data:`SCAN_CHUNK`) and stops at ``offset + limit + 1`` visible rows.
    """
    step = SCAN_CHUNK if chunk is None else max(1, min(chunk, SCAN_CHUNK))
    wanted = offset + limit + 1
    kept: list[dict[str, Any]] = []
    at = 0
    while len(kept) < wanted:
        rows = fetch(at, step)
        kept.extend(v for v in view(rows) if v is not None)
        if len(rows) < step:
            break
        at += step
    page = kept[offset : offset + limit]
    return page, len(kept) > offset + limit


def listed_page(
    sees_all: bool,
    fetch: Callable[[int, int], Sequence[Any]],
    view: Callable[[Sequence[Any]], Iterable[dict[str, Any] | None]],
    offset: int,
    limit: int,
    chunk: int | None = None,
) -> tuple[list[dict[str, Any]], bool]:
    """A page of a listing: straight from the store for a caller who sees everything (one
    read of ``limit + 1`` rows), else through the caller's view (:func:`visible_page`, reading
    ``chunk`` rows at a time)."""
    if sees_all:
        rows = fetch(offset, limit + 1)
        return [r.to_dict() for r in rows[:limit]], len(rows) > limit
    return visible_page(fetch, view, offset, limit, chunk)


def keyset(
    read: Callable[[str | None, int], Sequence[T]], key: Callable[[T], str], after: str | None
) -> Callable[[int, int], Sequence[T]]:
    """A ``fetch(offset, limit)`` for :func:`visible_page` and :func:`listed_page` over a
    keyset read: ``read(after, limit)`` answers ``limit`` rows after the row whose key is
    ``after`` (None: from the start), and ``key`` names a row.

    The scans read chunk after chunk, each starting where the one before ended, so each
    position asked for is the end of a chunk already read; the next read starts after that
    chunk's last row (a keyset walk, stable while rows are added, unlike an offset)."""
    cursors: dict[int, str | None] = {0: after}

    def fetch(at: int, limit: int) -> Sequence[T]:
        if at not in cursors:  # a scan that skips ahead: not what the pagers do
            raise ValueError(f"keyset fetch at {at} before the rows up to it were read")
        rows = read(cursors[at], limit)
        if rows:
            cursors[at + len(rows)] = key(rows[-1])
        return rows

    return fetch
