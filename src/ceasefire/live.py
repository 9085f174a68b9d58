"""Live fusion: the service turns reports into incidents and violations as they arrive.

A :class:`LiveFusion` keeps a :class:`ceasefire.fusion.incremental.Fuser` over every standing
report of a store. Each :meth:`LiveFusion.step` takes in the reports stored since the last one
(through the API, ``ceasefire ingest`` or another process: it reads the store, not a queue),
adds them to the fuser, and saves the incidents they touched with their judgements, as a bulk
``ceasefire fuse`` would (:func:`ceasefire.pipeline.save_fused`); in the service the hotline's
notifications follow at once (:class:`LiveProcess`).

A step's saves are short write transactions of about :data:`SAVE_INCIDENTS` incidents each,
every one of them whole (an incident with its members, ledger leaves and violations; the
incidents linked through a stored one together): the store's single write lock is never held
long, so the single-report POSTs waiting for it are not held up, and a kill between two of
them leaves a store that verifies, whose remaining reports the restart fuses.

Restart-safe by construction: :meth:`LiveFusion.start` fuses the whole store in one bulk pass
and saves every incident as ``ceasefire fuse`` does, so whatever a kill interrupted (reports
stored, not yet fused or judged) is fused then, and the fuser holds that very partition. A retraction takes a report
out of the set, which a fuser cannot do one report at a time: the next step starts again from
the store (rare, and as costly as one ``ceasefire fuse``).

Which incidents a step touched: each report's component is named by its first report (the
fuser's numbering is by arrival), and a report whose component changed, every report of the
component it left, and the new reports make the incidents saved. A stored incident is then
always covered whole, as :meth:`ceasefire.store.facade.Store.save_incidents` requires. Members
are summed up in the order bulk fusion uses (time, then arrival), so the bodies are the ones a
bulk run gives.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ceasefire.agreement.model import Agreement
from ceasefire.fusion.bulk import Partition
from ceasefire.fusion.columns import fusion_input, screen
from ceasefire.fusion.config import FusionConfig
from ceasefire.fusion.incidents import summarise
from ceasefire.fusion.incremental import Fuser
from ceasefire.geo.engine import GeoEngine
from ceasefire.hotline.scheduler import HotlineConfig, Scheduler
from ceasefire.judge.verification import DEFAULT_CORROBORATION
from ceasefire.pipeline import FuseResult, save_fused
from ceasefire.records import StoredReport
from ceasefire.store.facade import Store

I64 = npt.NDArray[np.int64]

_log = logging.getLogger(__name__)

#: Reports taken in per step at most: a burst is fused in slices, one step after the other,
#: so a step stays short and the reports behind it wait for one slice, not for the whole
#: burst. Its notifications are one write transaction (their digests need that): 300 keeps
#: it near 30 ms. Measured beside 1,000 single-report POSTs/s, three runs each: POST p99 58,
#: 67, 103 ms with 300; 88, 121, 213 ms with 1,000.
STEP_REPORTS = 300
#: Incidents saved per write transaction (more when the incidents linked through a stored one
#: are more): the write lock is never held long, and a single-report POST waiting for it gets
#: it within a few milliseconds (100 new incidents: about 15 ms of lock, measured).
SAVE_INCIDENTS = 100
#: Recent reports kept as read, so a step does not read and parse again the reports it has
#: just taken in (their incidents are the ones it saves); older members are read from the store.
RECENT = 50_000


@dataclass
class StepResult:
    """What one step did: reports taken in, incidents saved, whether it started over, and
    whether reports stored before it began are left for the next (a backlog)."""

    reports: int = 0
    incidents: int = 0
    restarted: bool = False
    seconds: float = 0.0
    behind: bool = False


def _linked(new: I64, old: I64) -> I64:
    """For pairs (new component, old component) of the same report, a label per pair that is
    the same for new components linked through an old one (one held both's reports): those
    must be saved together, as the store takes a stored incident whole or not at all.
    Components are named by report index in both partitions, so one name space serves both."""
    names, index = np.unique(np.concatenate([new, old]), return_inverse=True)
    graph = coo_matrix(
        (np.ones(new.size, dtype=np.int8), (index[: new.size], index[new.size :])),
        shape=(names.size, names.size),
    )
    _, labels = connected_components(graph, directed=False)
    return np.asarray(labels[index[: new.size]], dtype=np.int64)


def _first_of_component(part: Partition) -> I64:
    """For each report, the index of the first report of its incident: a name for the
    component that does not change when other components merge or grow."""
    n = part.labels.size
    first = np.full(part.n_incidents, n, dtype=np.int64)
    np.minimum.at(first, part.labels, np.arange(n, dtype=np.int64))
    return first[part.labels]


class LiveFusion:
    """Fusion kept up to date with a store as reports arrive (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        agreements: Sequence[Agreement],
        *,
        config: FusionConfig | None = None,
        corroboration: int = DEFAULT_CORROBORATION,
        engine: GeoEngine | None = None,
        on_saved: Callable[[int], object] | None = None,
        save_incidents: int = SAVE_INCIDENTS,
    ) -> None:
        if save_incidents < 1:
            raise ValueError(f"save_incidents must be at least 1, got {save_incidents}")
        self.store = store
        #: Called after each write transaction of incidents commits, with how many it saved.
        self.on_saved = on_saved
        self.save_incidents = save_incidents
        self.agreements = list(agreements)
        self.config = config or FusionConfig()
        self.corroboration = corroboration
        #: The version in force last: fusion places incidents against it.
        self.newest = max(self.agreements, key=lambda a: (a.effective_from, a.version))
        self.engine = engine if engine is not None else GeoEngine(self.newest)
        self._fuser: Fuser | None = None
        self._ids: list[str] = []
        self._seqs: list[int] = []
        self._first: I64 = np.zeros(0, dtype=np.int64)
        self._ambiguous: npt.NDArray[np.bool_] = np.zeros(0, dtype=bool)
        self._seq = 0
        self._retractions = -1
        self._recent: dict[str, StoredReport] = {}

    def status(self) -> dict[str, Any]:
        """Whether the fuser has started (the whole store fused once) and the number of the
        last stored report it has taken in."""
        return {"live": True, "started": self._fuser is not None, "reports_through": self._seq}

    def start(self, now: datetime | None = None) -> tuple[int, int]:
        """Fuse the whole store and start the fuser from it (at start-up, and after a
        retraction): one bulk pass, whose partition the fuser holds and whose incidents are
        saved as ``ceasefire fuse`` saves them, though a few at a time as a step saves them
        (the service takes reports meanwhile). Returns (reports, incidents)."""
        now = now or datetime.now(UTC)
        top, gone = self.store.report_marks()
        taken = [(seq, s) for seq, s in self.store.stored_since(0, limit=top + 1) if seq <= top]
        items, _ = screen([s for _, s in taken], self.engine)
        kept = {id(s) for s in items}
        taken = [(seq, s) for seq, s in taken if id(s) in kept]
        fuser = Fuser.from_bulk(fusion_input(items, self.engine, self.config), self.config)
        self._ids = [s.report.id for _, s in taken]
        self._seqs = [seq for seq, _ in taken]
        part = fuser.partition()
        self._first = _first_of_component(part)
        self._ambiguous = part.ambiguous
        known = {s.report.id: s for s in items}
        # Which stored incident holds each report: those linked through one are saved together.
        holding = self.store.incidents_holding(self._ids)
        names = {iid: len(items) + k for k, iid in enumerate(dict.fromkeys(holding.values()))}
        held = [i for i, rid in enumerate(self._ids) if rid in holding]
        links = (
            np.asarray(held, dtype=np.int64),
            np.asarray([names[holding[self._ids[i]]] for i in held], dtype=np.int64),
        )
        everything = np.arange(len(items), dtype=np.int64)
        saved = self._save(everything, self._first, part, now, known, links)
        self._recent = {}
        self._remember(items[-RECENT:])
        self._seq, self._retractions = top, gone
        self._fuser = fuser  # last: status() says started once all of the above holds
        return len(items), saved

    def step(self, now: datetime | None = None) -> StepResult:
        """Take in the reports stored since the last step (at most :data:`STEP_REPORTS`) and
        save what they changed, :attr:`save_incidents` incidents a transaction; ``now`` stamps
        every save (default: the time of each)."""
        started = time.perf_counter()
        top, gone = self.store.report_marks()
        if self._fuser is None or gone != self._retractions:
            reports, incidents = self.start(now)
            return StepResult(reports, incidents, True, time.perf_counter() - started)
        if top <= self._seq:
            return StepResult()
        arrived = self.store.stored_since(self._seq, limit=STEP_REPORTS)
        if not arrived:
            return StepResult()
        items, _ = screen([s for _, s in arrived], self.engine)
        kept = {id(s) for s in items}
        arrived_kept = [(seq, s) for seq, s in arrived if id(s) in kept]
        self._seq = arrived[-1][0]
        behind = self._seq < top
        if not arrived_kept:
            return StepResult(behind=behind)
        n_old = len(self._ids)
        self._fuser.add(fusion_input(items, self.engine, self.config))
        self._ids += [s.report.id for _, s in arrived_kept]
        self._seqs += [seq for seq, _ in arrived_kept]
        self._remember([s for _, s in arrived_kept])
        part = self._fuser.partition()
        first = _first_of_component(part)
        old = self._first
        # A report changes its incident when its component does, or when it becomes (or stops
        # being) ambiguous in the same component: the incident's body says so.
        flipped = part.ambiguous[:n_old] != self._ambiguous
        changed = np.concatenate(
            [np.flatnonzero((first[:n_old] != old) | flipped), np.arange(n_old, first.size)]
        )
        left = np.unique(old[changed[changed < n_old]])
        also = np.flatnonzero(np.isin(old, left)) if left.size else np.zeros(0, np.int64)
        touched = np.unique(first[np.concatenate([changed, also])])
        members = np.flatnonzero(np.isin(first, touched))
        self._first = first
        self._ambiguous = part.ambiguous
        before = members[members < n_old]
        saved = self._save(members, first, part, now, self._recent, (before, old[before]))
        seconds = time.perf_counter() - started
        return StepResult(len(arrived_kept), saved, False, seconds, behind)

    def _remember(self, items: Sequence[StoredReport]) -> None:
        for item in items:
            self._recent[item.report.id] = item
        while len(self._recent) > RECENT:  # oldest first: dicts keep insertion order
            del self._recent[next(iter(self._recent))]

    def _save(
        self,
        members: I64,
        first: I64,
        part: Partition,
        now: datetime | None,
        known: dict[str, StoredReport],
        links: tuple[I64, I64],
    ) -> int:
        """Sum up and save the incidents of ``members`` (whole components); reports not in
        ``known`` (those already read) are read from the store. They are saved a few at a
        time (:meth:`_batches`; ``links``: the members in a stored incident and its name),
        all the reading and summing up done first."""
        ids = [self._ids[i] for i in members.tolist()]
        stored = {i: known[i] for i in ids if i in known}
        missing = [i for i in ids if i not in stored]
        if missing:
            stored.update(self.store.get_stored(missing))
        if len(stored) != len(set(ids)):
            # A report went (retracted between two reads): start over from the store.
            self._fuser = None
            return 0
        # Bulk order: by time, then by arrival; each incident's members in that order.
        order = sorted(
            members.tolist(),
            key=lambda i: (stored[self._ids[i]].report.observed_from, self._seqs[i]),
        )
        items: list[StoredReport] = [stored[self._ids[i]] for i in order]
        index = np.asarray(order, dtype=np.int64)
        groups: dict[int, list[int]] = {}
        for local, component in enumerate(first[index].tolist()):
            groups.setdefault(component, []).append(local)
        member_lists = [np.asarray(g, dtype=np.int64) for g in groups.values()]
        incidents = summarise(
            items, member_lists, part.anchor[index], self.engine, self.config,
            part.ambiguous[index],
        )  # fmt: skip
        for n, batch in enumerate(self._batches(list(groups), first, *links)):
            if n:  # the lock free a moment between two saves: the POSTs waiting take it then
                time.sleep(self.store.turn_pause_s)
            save_fused(
                self.store,
                [incidents[k] for k in batch],
                self.agreements,
                FuseResult(),
                # A time of its own for each transaction: the hotline reads changed incidents
                # by (updated_at, seq), so a later save must not sort before an earlier one.
                now=now or datetime.now(UTC),
                corroboration=self.corroboration,
            )
            if self.on_saved is not None:
                self.on_saved(len(batch))
        return len(incidents)

    def _batches(
        self, components: list[int], first: I64, held: I64, stored: I64
    ) -> list[list[int]]:
        """The incidents (by position in ``components``, their names) in the transactions
        they are saved in: about :attr:`save_incidents` each, and incidents linked through a
        stored one (``held``: the members in a stored incident, ``stored``: its name) always
        in the same one, as the store takes a stored incident whole or not at all (a merge or
        a split of it is saved at once)."""
        links = _linked(first[held], stored)
        label = dict(zip(first[held].tolist(), links.tolist(), strict=True))
        together: dict[int, list[int]] = {}
        for k, component in enumerate(components):
            # New reports only: linked to nothing stored, a label of its own.
            together.setdefault(label.get(component, -1 - k), []).append(k)
        batches: list[list[int]] = []
        current: list[int] = []
        for group in together.values():
            if current and len(current) + len(group) > self.save_incidents:
                batches.append(sorted(current))
                current = []
            current += group
        if current:
            batches.append(sorted(current))
        return batches

    def run(
        self,
        every: float,
        alive: Callable[[], bool] = lambda: True,
        then: Callable[[], object] | None = None,
    ) -> None:
        """Step every ``every`` seconds while ``alive()`` says so, and at once while a backlog
        is left (a burst is fused in steps of :data:`STEP_REPORTS` one after the other),
        calling ``then()`` after each step (the hotline's notifications, at once rather than
        at its next tick); a failed step is logged and the next one starts over from the
        store, never ending the loop."""
        while alive():
            behind = False
            try:
                behind = self.step().behind
            except Exception:  # the service must keep fusing after a bad moment
                _log.exception("live fusion: a step failed; starting over")
                self._fuser = None
            if then is not None:
                try:
                    then()
                except Exception:  # logged; tried again after the next step
                    _log.exception("live fusion: what follows a step failed")
            if not behind:
                time.sleep(every)


class LiveProcess:
    """Live fusion in a process of its own, beside the service: fusion's CPU (a few ms a
    report) then never holds up a request, which a thread of the service's own process would
    (one interpreter lock). It opens the store by its URL, as any other process can, and ends
    when told to or when the service's process is gone (a SIGKILLed service leaves no fuser
    behind). :meth:`status` reads what it last reported through shared memory.

    With ``hotline`` it also makes the hotline's notifications after each step
    (:meth:`ceasefire.hotline.scheduler.Scheduler.notify` under the newest agreement), so an
    incident's parties are told as soon as it is saved rather than at the next tick; the
    service's ticks then leave notifying to it (one notifier: two would gather different
    digests of the same notifications)."""

    def __init__(
        self,
        url: str,
        agreements: Sequence[Agreement],
        every: float,
        hotline: HotlineConfig | None = None,
    ) -> None:
        context = multiprocessing.get_context("spawn")  # the service runs threads: never fork
        # Plain shared words, no locks: one writer each, and no semaphores left for the
        # resource tracker to complain of when the service stops.
        self._started = context.Value("b", 0, lock=False)
        self._through = context.Value("q", 0, lock=False)
        self._stop = context.Value("b", 0, lock=False)
        self._process = context.Process(
            target=_fuse_in_process,
            args=(url, list(agreements), every, hotline, os.getpid(), self._stop,
                  self._started, self._through),
            name="ceasefire-live-fusion",
            daemon=True,
        )  # fmt: skip

    def start(self) -> None:
        self._process.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.value = 1
        self._process.join(timeout)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(5)

    def status(self) -> dict[str, Any]:
        return {
            "live": True,
            "started": bool(self._started.value),
            "reports_through": int(self._through.value),
        }


def _fuse_in_process(
    url: str,
    agreements: list[Agreement],
    every: float,
    hotline: HotlineConfig | None,
    parent: int,
    stop: Any,
    started: Any,
    through: Any,
) -> None:
    """The body of :class:`LiveProcess`: fuse until told to stop or orphaned."""
    from ceasefire.store.facade import Store

    def alive() -> bool:
        status = live.status()
        started.value, through.value = int(status["started"]), status["reports_through"]
        return not stop.value and os.getppid() == parent

    with Store.open(url, create=False) as store:
        live = LiveFusion(store, agreements)
        scheduler = None if hotline is None else Scheduler(store, live.newest, hotline)

        def notify() -> None:
            if scheduler is not None:
                scheduler.notify(datetime.now(UTC))

        live.run(every, alive, notify)
