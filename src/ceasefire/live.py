"""Live fusion: the service turns reports into incidents and violations as they arrive.

A :class:`LiveFusion` keeps a :class:`ceasefire.fusion.incremental.Fuser` over every standing
report of a store. Each :meth:`LiveFusion.step` takes in the reports stored since the last one
(through the API, ``ceasefire ingest`` or another process: it reads the store, not a queue),
adds them to the fuser, and saves the incidents they touched with their judgements, as a bulk
``ceasefire fuse`` would (:func:`ceasefire.pipeline.save_fused`); the hotline scheduler then
notifies at its next tick, from the incidents that changed.

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

from ceasefire.agreement.model import Agreement
from ceasefire.fusion.bulk import Partition
from ceasefire.fusion.columns import fusion_input, screen
from ceasefire.fusion.config import FusionConfig
from ceasefire.fusion.incidents import summarise
from ceasefire.fusion.incremental import Fuser
from ceasefire.geo.engine import GeoEngine
from ceasefire.judge.verification import DEFAULT_CORROBORATION
from ceasefire.pipeline import FuseResult, save_fused
from ceasefire.records import StoredReport
from ceasefire.store.facade import Store

I64 = npt.NDArray[np.int64]

_log = logging.getLogger(__name__)

#: Reports taken in per step at most: a burst is fused in slices, each saved on its own.
STEP_REPORTS = 5_000
#: Recent reports kept as read, so a step does not read and parse again the reports it has
#: just taken in (their incidents are the ones it saves); older members are read from the store.
RECENT = 50_000


@dataclass
class StepResult:
    """What one step did: reports taken in, incidents saved, whether it started over."""

    reports: int = 0
    incidents: int = 0
    restarted: bool = False
    seconds: float = 0.0


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
    ) -> None:
        self.store = store
        self.agreements = list(agreements)
        self.config = config or FusionConfig()
        self.corroboration = corroboration
        newest = max(self.agreements, key=lambda a: (a.effective_from, a.version))
        self.engine = engine if engine is not None else GeoEngine(newest)
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
        saved as ``ceasefire fuse`` saves them. Returns (reports, incidents)."""
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
        saved = self._save(np.arange(len(items), dtype=np.int64), self._first, part, now, known)
        self._recent = {}
        self._remember(items[-RECENT:])
        self._seq, self._retractions = top, gone
        self._fuser = fuser  # last: status() says started once all of the above holds
        return len(items), saved

    def step(self, now: datetime | None = None) -> StepResult:
        """Take in the reports stored since the last step and save what they changed."""
        started = time.perf_counter()
        now = now or datetime.now(UTC)
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
        if not arrived_kept:
            return StepResult()
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
        saved = self._save(members, first, part, now, self._recent)
        return StepResult(len(arrived_kept), saved, False, time.perf_counter() - started)

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
        now: datetime,
        known: dict[str, StoredReport],
    ) -> int:
        """Sum up and save the incidents of ``members`` (whole components); reports not in
        ``known`` (those already read) are read from the store."""
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
        save_fused(
            self.store,
            incidents,
            self.agreements,
            FuseResult(),
            now=now,
            corroboration=self.corroboration,
        )
        return len(incidents)

    def run(self, every: float, alive: Callable[[], bool] = lambda: True) -> None:
        """Step every ``every`` seconds while ``alive()`` says so; a failed step is logged and
        the next one starts over from the store, never ending the loop."""
        while alive():
            try:
                self.step()
            except Exception:  # the service must keep fusing after a bad moment
                _log.exception("live fusion: a step failed; starting over")
                self._fuser = None
            time.sleep(every)


class LiveProcess:
    """Live fusion in a process of its own, beside the service: fusion's CPU (a few ms a
    report) then never holds up a request, which a thread of the service's own process would
    (one interpreter lock). It opens the store by its URL, as any other process can, and ends
    when told to or when the service's process is gone (a SIGKILLed service leaves no fuser
    behind). :meth:`status` reads what it last reported through shared memory."""

    def __init__(self, url: str, agreements: Sequence[Agreement], every: float) -> None:
        context = multiprocessing.get_context("spawn")  # the service runs threads: never fork
        # Plain shared words, no locks: one writer each, and no semaphores left for the
        # resource tracker to complain of when the service stops.
        self._started = context.Value("b", 0, lock=False)
        self._through = context.Value("q", 0, lock=False)
        self._stop = context.Value("b", 0, lock=False)
        self._process = context.Process(
            target=_fuse_in_process,
            args=(url, list(agreements), every, os.getpid(), self._stop, self._started,
                  self._through),
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
        live.run(every, alive)
