"""Lasting incident ids: which stored incident each newly fused incident continues.

Fusion regroups reports every time it runs; a monitor, a party or a court needs ``INC-000042`` to
name the same event next week. :func:`reconcile` matches the new partition to the stored
incidents it touches and decides, without touching the store:

- **Identity.** Each fused incident takes the stored id that holds most of its member reports, one
  stored id going to at most one incident: the one holding most of its reports. Claims are
  granted greedily, largest overlap first; ties go to the older id (lower ``seq``), then to the
  larger incident, then to the smaller key, so the outcome never depends on input order. In a
  split the larger part keeps the id; an incident that takes no stored id is new and gets a fresh
  one, in time order (``observed_from``, then key).
- **Merges.** A stored incident left with no members was absorbed: it is kept, marked
  ``merged_into`` the id that took most of its reports (ties: the older id), and its history says
  so. Nothing is ever deleted.
- **Status.** ``reported`` and ``corroborated`` follow the number of independent sources
  (:func:`ceasefire.judge.verification.automatic_status`); a status a person decided (verified,
  disputed, unfounded) is never changed by fusion. Every change is a history entry with actor
  ``fusion``.
- **Unchanged.** A kept incident whose content (:func:`ceasefire.records.incident_json`) and
  status are as stored is left alone: no write, no history.

The store reads the touched incidents (:class:`Held`), calls :func:`reconcile` and writes the
:class:`Plan` in the same transaction (:func:`ceasefire.store.incidents.save_incidents`). The input
must cover each held incident whole; the store checks that against its rows before it calls.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from ceasefire.errors import InputError, Problem
from ceasefire.judge.verification import FUSION_ACTOR, automatic_status, check_corroboration
from ceasefire.records import Incident, StatusChange, incident_json
from ceasefire.vocab import AUTOMATIC_STATUSES

__all__ = [
    "INCIDENT_DIGITS",
    "INCIDENT_PREFIX",
    "Create",
    "Held",
    "Merge",
    "Plan",
    "Update",
    "check_partition",
    "incident_id_for",
    "reconcile",
]

#: Lasting incident ids: the prefix and the zero-padded width of the counter.
INCIDENT_PREFIX: Final = "INC-"
INCIDENT_DIGITS: Final = 6


def incident_id_for(seq: int) -> str:
    """The lasting id of the incident numbered ``seq``: ``INC-000042``.

    >>> incident_id_for(42)
    'INC-000042'
    """
    return f"{INCIDENT_PREFIX}{seq:0{INCIDENT_DIGITS}d}"


@dataclass(frozen=True)
class Held:
    """A stored incident the new partition touches, as the store read it."""

    incident_id: str
    #: Its number: ids are handed out in ``seq`` order, so a lower one is older.
    seq: int
    status: str
    #: Its content as stored (:func:`ceasefire.records.incident_json`).
    body: str
    #: Its member reports (the new partition covers every one).
    report_ids: tuple[str, ...]


@dataclass(frozen=True)
class Create:
    """A new incident: ``incoming[index]`` under a fresh id."""

    index: int
    seq: int
    incident_id: str
    status: str
    body: str


@dataclass(frozen=True)
class Update:
    """A kept id whose content or status changes: it now holds ``incoming[index]``."""

    index: int
    incident_id: str
    status: str
    body: str


@dataclass(frozen=True)
class Merge:
    """A stored incident left with no members: absorbed ``into`` the id that took most of them."""

    incident_id: str
    into: str


@dataclass(frozen=True)
class Plan:
    """What saving a partition changes, in the order the store writes it."""

    #: The lasting id of each incoming incident, by position.
    ids: tuple[str, ...]
    #: New incidents, in the order of their fresh ids (time order).
    creates: tuple[Create, ...]
    #: Kept ids with new content or a new status, in the order their ids were granted.
    updates: tuple[Update, ...]
    #: Kept ids left exactly as stored.
    unchanged: tuple[str, ...]
    #: Stored incidents absorbed by others, by id.
    merges: tuple[Merge, ...]
    #: Reports whose incident changes and the id each now belongs to, in input order.
    moves: tuple[tuple[str, str], ...]
    #: The moved reports that had a stored incident (their old membership ends).
    left: tuple[str, ...]
    #: Status history entries to append: creates, then updates, then merges.
    history: tuple[StatusChange, ...]


def check_partition(incidents: Sequence[Incident]) -> dict[str, int]:
    """Report id -> position of its incident; refuses keys or reports that appear twice, an
    incident without members and naive times (:class:`InputError`)."""
    owner: dict[str, int] = {}
    keys: dict[str, int] = {}
    for index, incident in enumerate(incidents):
        where = f"incident {incident.key}"
        if keys.setdefault(incident.key, index) != index:
            raise InputError(Problem(where, "key", "appears twice in the input"))
        if not incident.report_ids:
            raise InputError(Problem(where, "report_ids", "an incident needs a member report"))
        for name in ("observed_from", "observed_to"):
            if getattr(incident, name).tzinfo is None:
                raise InputError(Problem(where, name, "must carry a UTC offset"))
        for report_id in incident.report_ids:
            first = owner.setdefault(report_id, index)
            if first != index:
                raise InputError(
                    Problem(
                        where,
                        "report_ids",
                        f"report {report_id!r} is also a member of incident "
                        f"{incidents[first].key}: a report belongs to one incident",
                    )
                )
    return owner


def reconcile(
    held: Sequence[Held],
    incoming: Sequence[Incident],
    *,
    last_seq: int,
    corroboration: int,
    at: datetime,
) -> Plan:
    """Match a new partition to the stored incidents it touches (see the module docstring).

    Parameters
    ----------
    held
        The stored live incidents that hold any report of ``incoming``, each covered whole.
    incoming
        Fusion's partition of the reports it covers.
    last_seq
        The highest ``seq`` given so far; fresh ids count on from it.
    corroboration
        Independent sources it takes to call an incident corroborated.
    at
        The time of this run, for the history.

    Raises
    ------
    InputError
        A bad partition (:func:`check_partition`), a held report the input does not cover,
        ``corroboration`` below 1.
    """
    check_corroboration(corroboration)
    owner = check_partition(incoming)
    stored = {h.incident_id: h for h in held}
    before: dict[str, str] = {}  # report id -> the held incident that has it now
    for h in held:
        for report_id in h.report_ids:
            if report_id not in owner:
                raise InputError(
                    Problem(
                        "incidents",
                        "report_ids",
                        f"stored incident {h.incident_id} also holds report {report_id!r}, "
                        "which the input does not cover",
                    )
                )
            before[report_id] = h.incident_id

    # Each fused incident takes the stored id holding most of its reports; a stored id goes to
    # one incident only, the one holding most of its reports (greedy, largest overlaps first).
    claims: list[tuple[int, int, int, str, int, str]] = []
    for index, incident in enumerate(incoming):
        overlap = Counter(before[r] for r in incident.report_ids if r in before)
        claims.extend(
            (-n, stored[iid].seq, -len(incident.report_ids), incident.key, index, iid)
            for iid, n in overlap.items()
        )
    claims.sort()
    assigned: dict[int, str] = {}
    taken: set[str] = set()
    for *_, index, iid in claims:
        if index not in assigned and iid not in taken:
            assigned[index] = iid
            taken.add(iid)

    # Fresh ids for new clusters, in time order.
    fresh = sorted(
        (i for i in range(len(incoming)) if i not in assigned),
        key=lambda i: (incoming[i].observed_from, incoming[i].key),
    )
    ids: dict[int, str] = dict(assigned)
    creates: list[Create] = []
    history: list[StatusChange] = []
    for offset, index in enumerate(fresh, start=1):
        seq = last_seq + offset
        iid = incident_id_for(seq)
        ids[index] = iid
        incident = incoming[index]
        status = automatic_status(len(incident.sources), corroboration)
        creates.append(Create(index, seq, iid, status, incident_json(incident)))
        history.append(
            StatusChange(
                iid, None, status, FUSION_ACTOR, at, _sources_text(incident), automatic=True
            )
        )

    updates: list[Update] = []
    unchanged: list[str] = []
    for index, iid in assigned.items():
        incident = incoming[index]
        old = stored[iid]
        body = incident_json(incident)
        status = old.status
        if status in AUTOMATIC_STATUSES:  # decided statuses are never changed by fusion
            status = automatic_status(len(incident.sources), corroboration)
        if body == old.body and status == old.status:
            unchanged.append(iid)
            continue
        updates.append(Update(index, iid, status, body))
        if status != old.status:
            history.append(
                StatusChange(
                    iid,
                    old.status,
                    status,
                    FUSION_ACTOR,
                    at,
                    _sources_text(incident),
                    automatic=True,
                )
            )

    # Stored incidents left without members were absorbed: into the id that took most of them.
    merges: list[Merge] = []
    gone = sorted({iid for iid in before.values() if iid not in taken})
    if gone:
        went: dict[str, Counter[str]] = defaultdict(Counter)
        for report_id, old_iid in before.items():
            if old_iid not in taken:
                went[old_iid][ids[owner[report_id]]] += 1
        for iid in gone:
            # Every incident that took one of its reports holds a stored id (a fused incident
            # overlapping an untaken stored id would have taken it), so ``stored`` knows it.
            target = min(went[iid].items(), key=lambda kv: (-kv[1], stored[kv[0]].seq))[0]
            merges.append(Merge(iid, target))
            status = stored[iid].status
            history.append(
                StatusChange(
                    iid, status, status, FUSION_ACTOR, at, f"merged into {target}", automatic=True
                )
            )

    moves = tuple((r, ids[i]) for r, i in owner.items() if before.get(r) != ids[i])
    return Plan(
        ids=tuple(ids[i] for i in range(len(incoming))),
        creates=tuple(creates),
        updates=tuple(updates),
        unchanged=tuple(unchanged),
        merges=tuple(merges),
        moves=moves,
        left=tuple(r for r, _ in moves if r in before),
        history=tuple(history),
    )


def _sources_text(incident: Incident) -> str:
    n = len(incident.sources)
    return f"{n} independent source{'s' if n != 1 else ''}: {', '.join(incident.sources)}"
