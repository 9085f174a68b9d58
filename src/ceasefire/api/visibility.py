"""What a caller may read, applied to what the store answers: the views of :mod:`ceasefire.access`
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

Beyond the views of :mod:`ceasefire.access`, the service cuts what the views keep but would
name another submitter: an incident's ``key`` (its anchor report's id) is shown only to the
party that submitted that report; a party's incident view lists only its own ``sources``; the basis of
an automatic status change (fusion names every source in it) is left out for a party and the
public; a violation's ``evidence`` (report ids) is cut to the party's own reports, and dropped
for the public.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from ceasefire.access import Principal, Release, incident_view, report_view
from ceasefire.store import Store, StoredIncident, StoredViolation

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
        out: list[dict[str, Any] | None] = []
        for d in dicts:
            view = incident_view(
                self.caller,
                d,
                now=self.now,
                violation_parties=against.get(d["id"], set()),
                release=self.releases.get(d["id"]),
                own_reports=own,
            )
            if view is not None:
                # ``key`` is the incident's anchor report id: shown only if it is the caller's.
                if view.get("key") not in own:
                    view.pop("key", None)
                if party is not None:
                    view["sources"] = [
                        s for s in view.get("sources") or () if s.split("/", 1)[0] == party
                    ]
            out.append(view)
        return out

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
        return [self._violation(d, views.get(d["incident_id"]), own) for d in dicts]

    def _violation(
        self, v: dict[str, Any], incident: Mapping[str, Any] | None, own: set[str]
    ) -> dict[str, Any] | None:
        if incident is None:
            return None
        view = dict(v)
        evidence = list(v.get("evidence") or ())
        if self.caller.party is not None:
            view["evidence"] = [e for e in evidence if e in own]
            view["other_evidence"] = len(evidence) - len(view["evidence"])
            return view
        view.pop("evidence", None)
        view["n_evidence"] = len(evidence)
        if incident.get("place_precision") == "coarsened":
            facts = dict(view.get("facts") or {})
            for derived in ("distance_m", "line_distance_m"):
                if facts.get(derived) is not None:
                    facts[derived] = round(float(facts[derived]) / 5000.0) * 5000.0
            view["facts"] = facts
        return view

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
        violations = [self._violation(v, incident, own) for v in record["violations"]]
        return {
            "incident": dict(incident),
            "reports": reports,
            "history": history,
            "violations": [v for v in violations if v is not None],
        }

    def status_change(self, change: Mapping[str, Any]) -> dict[str, Any]:
        view = dict(change)
        if not self.sees_all and view.get("automatic"):
            view["basis"] = None  # fusion's basis names every source of the incident
        return view

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
) -> tuple[list[dict[str, Any]], bool]:
    """``limit`` visible rows after skipping ``offset`` visible ones, and whether more follow.

    ``fetch(offset, limit)`` reads the store's rows in their order; ``view`` maps them to what
    the caller may see (None: hidden). The scan stops at ``offset + limit + 1`` visible rows.
    """
    wanted = offset + limit + 1
    kept: list[dict[str, Any]] = []
    at = 0
    while len(kept) < wanted:
        rows = fetch(at, SCAN_CHUNK)
        kept.extend(v for v in view(rows) if v is not None)
        if len(rows) < SCAN_CHUNK:
            break
        at += SCAN_CHUNK
    page = kept[offset : offset + limit]
    return page, len(kept) > offset + limit


def listed_page(
    sees_all: bool,
    fetch: Callable[[int, int], Sequence[Any]],
    view: Callable[[Sequence[Any]], Iterable[dict[str, Any] | None]],
    offset: int,
    limit: int,
) -> tuple[list[dict[str, Any]], bool]:
    """A page of a listing: straight from the store for a caller who sees everything (one
    read of ``limit + 1`` rows), else through the caller's view (:func:`visible_page`)."""
    if sees_all:
        rows = fetch(offset, limit + 1)
        return [r.to_dict() for r in rows[:limit]], len(rows) > limit
    return visible_page(fetch, view, offset, limit)
