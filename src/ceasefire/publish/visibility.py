"""The access policy applied to what the store answers: one caller's view of incidents,
reports, violations, an incident's record and ledger leaves.

:mod:`ceasefire.publish.access` decides; a :class:`Viewer` reads from the store the facts those
decisions need (the releases, the parties a violation holds against, which report ids are the
caller's own) and asks it, for every surface that reads as a caller: the HTTP API and OGC API -
Features (:mod:`ceasefire.api.visibility` pages over these views), the hotline's routes (which
incident a message may name) and the CLI speaking as a hotline address. It lives here, not in
the API, because the CLI and the hotline need the very same reads and must not import the API;
the store is passed in (:class:`Records`: the four reads it needs), never imported, as this
package is core.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar

from ceasefire.harm import rollup
from ceasefire.publish.access import (
    Principal,
    Release,
    may_prove,
    may_read_incident,
    may_read_report,
    reads_released_only,
)
from ceasefire.publish.views import incident_view, status_change_view, violation_view
from ceasefire.records import IncidentRecord, StoredIncident, StoredReport, StoredViolation

if TYPE_CHECKING:
    from ceasefire.agreement.reporting import ReportingDay


class Records(Protocol):
    """The store's reads a viewer needs (:class:`ceasefire.store.facade.Store` has them)."""

    def releases(self) -> dict[str, Release]: ...

    def violation_parties(self, incident_ids: Collection[str]) -> dict[str, set[str]]: ...

    def reports_of(self, submitted_by: str, report_ids: Collection[str]) -> set[str]: ...

    def incidents_by_id(self, incident_ids: Collection[str]) -> dict[str, StoredIncident]: ...

    def hotline_asked(self, address: str, incident_ids: Collection[str]) -> set[str]: ...
    def violations_by_seq(self, seqs: Sequence[int]) -> dict[int, StoredViolation]: ...


class Change(Protocol):
    """One entry of the change feed (:class:`ceasefire.store.changes.Change`)."""

    @property
    def kind(self) -> str: ...
    @property
    def incident_id(self) -> str | None: ...
    @property
    def violation(self) -> int | None: ...
    @property
    def report_id(self) -> str | None: ...
    @property
    def merged_into(self) -> str | None: ...
    @property
    def record(self) -> dict[str, Any]: ...
    def to_dict(self) -> dict[str, Any]: ...


@dataclass
class Viewer:
    """One caller's view of the store during one request (or one CLI command)."""

    caller: Principal
    store: Records
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

    def _own(self, report_ids: Collection[str]) -> set[str]:
        """Which of ``report_ids`` are the caller's own submissions (a party's; else none)."""
        party = self.caller.party
        if party is None or not report_ids:
            return set()
        return self.store.reports_of(party, report_ids)

    # -- reports -----------------------------------------------------------------------------

    def may_read_report(self, report: StoredReport) -> bool:
        return may_read_report(self.caller, report)

    def reports(self, rows: Sequence[StoredReport]) -> list[dict[str, Any] | None]:
        """Each stored report (with its point and placement) as this caller may see it, or
        None."""
        return [r.to_dict() if may_read_report(self.caller, r) else None for r in rows]

    # -- incidents ---------------------------------------------------------------------------

    def _asked(self, incident_ids: Collection[str]) -> set[str]:
        """Which of these incidents a hotline message addressed to the caller (a party) names."""
        party = self.caller.party
        if party is None or not incident_ids:
            return set()
        return self.store.hotline_asked(party, incident_ids)

    def may_read_incident(self, row: StoredIncident) -> bool:
        """Whether the caller may read this stored incident (:func:`access.may_read_incident`)."""
        if self.sees_all:
            return True
        against = self.store.violation_parties([row.incident_id])
        return may_read_incident(
            self.caller,
            row,
            now=self.now,
            release=self.releases.get(row.incident_id),
            violation_parties=against.get(row.incident_id, set()),
            asked=row.incident_id in self._asked([row.incident_id]),
        )

    def visible_incident(self, incident_id: str) -> StoredIncident | None:
        """The stored incident of this id if the caller may read it; None when it does not
        exist or is hidden, alike (whether a hidden one exists must not show)."""
        row = self.store.incidents_by_id([incident_id]).get(incident_id)
        return row if row is not None and self.may_read_incident(row) else None

    def incidents(self, rows: Sequence[StoredIncident]) -> list[dict[str, Any] | None]:
        """Each incident as this caller may see it, or None."""
        dicts = [r.to_dict() for r in rows]
        if self.sees_all:
            return list(dicts)
        ids = [d["id"] for d in dicts]
        against = self.store.violation_parties(ids)
        own = self._own({m for d in dicts for m in d.get("report_ids") or ()})
        asked = self._asked(ids)
        return [
            incident_view(
                self.caller,
                d,
                now=self.now,
                violation_parties=against.get(d["id"], set()),
                release=self.releases.get(d["id"]),
                own_reports=own,
                asked=d["id"] in asked,
            )
            for d in dicts
        ]

    def released_incidents(self) -> list[dict[str, Any]]:
        """The released incidents (not merged away) as this caller may see them: what the
        public reads of them all. Few, read by id, so what they span is exact and cheap."""
        if not self.releases:
            return []
        rows = self.store.incidents_by_id(list(self.releases)).values()
        return [v for v in self.incidents([r for r in rows if r.merged_into is None]) if v]

    def incident(self, row: StoredIncident) -> dict[str, Any] | None:
        return self.incidents([row])[0]

    def harm(
        self, rows: Sequence[StoredIncident], *, by: str, reporting: ReportingDay
    ) -> dict[str, Any]:
        """The harm roll-up (:func:`ceasefire.harm.rollup`) of the incidents among ``rows``
        this caller may see, as it sees them: a party's of the incidents that concern it and
        the released ones, the public's of the released ones only."""
        return rollup(
            [v for v in self.incidents(rows) if v is not None], by=by, reporting=reporting
        )

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
        own = self._own({e for d in dicts for e in d.get("evidence") or ()})
        return [
            violation_view(self.caller, d, views.get(d["incident_id"]), own_reports=own)
            for d in dicts
        ]

    def violation_rows(self, rows: Sequence[StoredViolation]) -> list[dict[str, Any] | None]:
        """Each violation as this caller may see it (:meth:`violations`), with the caller's
        view of its incident under ``incident`` (its time, place and harm, coarsened where the
        caller sees it so): what an export lays out in one row."""
        found = self.store.incidents_by_id({v.incident_id for v in rows})
        ids = list(found)
        seen = dict(zip(ids, self.incidents([found[i] for i in ids]), strict=True))
        out: list[dict[str, Any] | None] = []
        for view in self.violations(rows):
            incident = None if view is None else seen.get(view["incident_id"])
            out.append(None if view is None or incident is None else {**view, "incident": incident})
        return out

    # -- an incident's record ----------------------------------------------------------------

    def record(self, record: IncidentRecord) -> dict[str, Any] | None:
        """The incident's record (``IncidentRecord.to_dict()``) as this caller may see it, or
        None when it may not see the incident: its own member reports only, the history
        without fusion's source list, the violations through :func:`~ceasefire.publish.views.violation_view`."""
        whole = record.to_dict()
        if self.sees_all:
            return whole
        incident = self.incident(record.incident)
        if incident is None:
            return None
        reports = [r.to_dict() for r in record.reports if may_read_report(self.caller, r)]
        history = [status_change_view(self.caller, h) for h in whole["history"]]
        own = self._own({e for v in record.violations for e in v.evidence})
        violations = [
            violation_view(self.caller, v, incident, own_reports=own) for v in whole["violations"]
        ]
        return {
            "incident": incident,
            "reports": reports,
            "history": history,
            "violations": [v for v in violations if v is not None],
        }

    def status_change(self, change: Mapping[str, Any]) -> dict[str, Any]:
        return status_change_view(self.caller, change)

    # -- ledger leaves -----------------------------------------------------------------------

    def may_prove(self, kind: str, record: Mapping[str, Any]) -> bool:
        """Whether the caller may have the inclusion bundle of a leaf (:func:`access.may_prove`),
        given its view of the record's incident and which of the evidence is its own."""
        if self.sees_all:
            return True
        incident = None
        own: set[str] = set()
        if kind in ("status_change", "violation", "violation_superseded"):
            of = record.get("incident_id")
            if kind == "violation_superseded":  # the mark names its violation only
                judged = self.store.violations_by_seq([int(record.get("seq") or 0)])
                of = next((v.incident_id for v in judged.values()), None)
            found = self.store.incidents_by_id([str(of)])
            incident = self.incidents(list(found.values()))[0] if found else None
            own = self._own(list(record.get("evidence") or ()))
        elif kind == "retraction":
            own = self._own([str(record.get("report_id"))])
        return may_prove(self.caller, kind, record, incident=incident, own_reports=own)

    # -- the change feed ---------------------------------------------------------------------

    def changes(self, items: Sequence[Change]) -> list[dict[str, Any]]:
        """The changes of the feed this caller may see, as dicts (:meth:`changes_provable`)."""
        return [d for d, _ in self.changes_provable(items)]

    def changes_provable(self, items: Sequence[Change]) -> list[tuple[dict[str, Any], bool]]:
        """The changes of the feed this caller may see, as dicts, each with whether the caller
        may have its inclusion bundle (:func:`access.may_prove`, given its views).

        A change about an incident is seen when the caller may read the incident, one about a
        violation (judged or superseded) when it sees that violation, a retraction when it may
        read the retracted report (a party its own: the other party's reports, and so their
        retractions, never show). A merge names the incident it went into only when the caller
        may read that one too. The public, which sees incidents late and coarsened, is not told
        when each change was logged."""
        if self.sees_all:
            return [(c.to_dict(), True) for c in items]
        about = {c.incident_id for c in items if c.incident_id is not None}
        found = self.store.incidents_by_id(about | {c.merged_into for c in items if c.merged_into})
        rows = list(found.values())
        views = {r.incident_id: v for r, v in zip(rows, self.incidents(rows), strict=True) if v}
        seqs = sorted({c.violation for c in items if c.violation is not None})
        stored = self.store.violations_by_seq(seqs)
        kept = list(stored.values())
        judged = {v.seq for v, view in zip(kept, self.violations(kept), strict=True) if view}
        named = {c.report_id for c in items if c.report_id is not None}
        named |= {e for c in items if c.kind == "violation" for e in c.record.get("evidence", ())}
        own = self._own(named)
        late = reads_released_only(self.caller)
        out = []
        for c in items:
            if c.kind == "retraction":
                if c.report_id not in own:
                    continue
            elif c.incident_id not in views or (
                c.violation is not None and c.violation not in judged
            ):
                continue
            d = c.to_dict()
            if c.merged_into is not None and c.merged_into not in views:
                d["merged_into"] = None  # whether the other incident exists must not show
            if late:
                d.pop("at", None)
            view = None if c.incident_id is None else views.get(c.incident_id)
            provable = may_prove(self.caller, c.kind, c.record, incident=view, own_reports=own)
            out.append((d, provable))
        return out


T = TypeVar("T")

#: Rows read from the store per step of an export (:func:`each_visible`).
EXPORT_CHUNK: Final = 5_000


def each_visible(
    fetch: Callable[[int, int], Sequence[T]],
    view: Callable[[Sequence[T]], Iterable[dict[str, Any] | None]],
    chunk: int = EXPORT_CHUNK,
) -> Iterator[dict[str, Any]]:
    """Every row the caller may see, in the store's order: ``fetch(offset, limit)`` reads the
    store ``chunk`` rows at a time, ``view`` (a :class:`Viewer` method) keeps what the caller
    may see. An export reads this way so that a big one never holds the store's rows at once."""
    at = 0
    while True:
        rows = fetch(at, chunk)
        yield from (v for v in view(rows) if v is not None)
        if len(rows) < chunk:
            return
        at += chunk
