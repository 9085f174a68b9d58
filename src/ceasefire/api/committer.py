"""Group commit: single reports sent at the same time are stored in one transaction.

A report alone costs one write transaction, and on SQLite with ``synchronous=FULL`` that is an
fsync: about 2.4 ms a report on the 2-core machine, 400 reports a second whatever the rest of
the service does. Monitors in the field send one report at a time, many at once, so
:class:`GroupCommitter` lets them share: one writer thread takes every report waiting when the
store is free and stores them together (placed in one vectorized call, one transaction, one
fsync), then the next lot. Nothing is answered before its transaction has committed, so what a
caller was told is stored survives a kill.

Each report keeps the answer it would have had alone. A group that one of its reports would
refuse (an id stored with other content, a bad signature) is stored one report at a time, so
the refusal is that report's and the others go in. Two reports with the same id never share a
group: the second waits for the next one and is then ``unchanged`` or refused, as it would be
had it been sent after the first.

Callers are coroutines (:meth:`GroupCommitter.submit`): they wait on a future that the writer
resolves through their event loop, which costs far less than a worker thread per request
(measured: anyio's thread hop and a lock per waiting thread held the service to ~500 single
reports/s).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ceasefire.agreement.parties import PARTY_ID_MARK
from ceasefire.errors import CeasefireError
from ceasefire.pipeline import place_reports
from ceasefire.records import StoredReport

if TYPE_CHECKING:
    from ceasefire.geo.engine import GeoEngine
    from ceasefire.intake.report import Report
    from ceasefire.publish.access import Principal
    from ceasefire.store.facade import Store

#: The most reports one transaction takes; past a few hundred a group costs more in latency
#: (everyone waits for the slowest placement) than it saves in fsyncs.
MAX_GROUP = 512

_log = logging.getLogger("ceasefire.api.committer")


@dataclass(frozen=True)
class Stored:
    """One report's outcome: ``added`` (False: stored before with the same content) and the
    report as stored, with its point and placement facts."""

    added: bool
    stored: StoredReport


@dataclass(eq=False)
class _Waiting:
    report: Report
    entered_by: Principal
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Stored]
    outcome: Stored | BaseException | None = None


class GroupCommitter:
    """Stores single reports in shared transactions (module docs), on a writer thread of its
    own, started with the first report and stopped by :meth:`close`."""

    def __init__(self, store: Store, engine: GeoEngine, *, max_group: int = MAX_GROUP) -> None:
        if max_group < 1:
            raise ValueError(f"max_group must be at least 1, got {max_group}")
        self._store = store
        self._engine = engine
        self._parties = engine.agreement.party_codes
        self._max_group = max_group
        self._ready = threading.Condition()  # guards _waiting, _thread and _closed
        self._waiting: deque[_Waiting] = deque()
        self._thread: threading.Thread | None = None
        self._closed = False
        #: Transactions tried so far (a group, or one report of a group stored one by one).
        self.groups = 0

    async def submit(self, report: Report, entered_by: Principal) -> Stored:
        """Store ``report`` as entered by ``entered_by`` (the signed-in user), with whatever
        else is waiting, and return its outcome once the transaction committed.

        Raises what storing it alone would raise (ForbiddenError, ConflictError, InputError,
        StoreError).
        """
        loop = asyncio.get_running_loop()
        waiting = _Waiting(report, entered_by, loop, loop.create_future())
        with self._ready:
            if self._closed:
                raise RuntimeError("the group committer is closed")
            self._waiting.append(waiting)
            if self._thread is None or not self._thread.is_alive():  # first, or it died
                self._thread = threading.Thread(
                    target=self._run, name="ceasefire-group-commit", daemon=True
                )
                self._thread.start()
            self._ready.notify()
        # A cancelled caller (the client went away) does not cancel the write: the report is
        # stored all the same, as it would be had the answer been lost on the way back.
        return await asyncio.shield(waiting.future)

    def close(self) -> None:
        """Store what is waiting, then stop the writer thread."""
        with self._ready:
            self._closed = True
            self._ready.notify()
            thread = self._thread
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._waiting and not self._closed:
                    self._ready.wait()
                if not self._waiting:
                    return
                group = self._take()
            try:
                self._store_group(group)
            finally:
                _answer(group)

    def _take(self) -> list[_Waiting]:
        """The reports waiting now, oldest first, at most one per id and :data:`MAX_GROUP`;
        the rest stay waiting in their order."""
        group: list[_Waiting] = []
        ids: set[str] = set()
        left: deque[_Waiting] = deque()
        while self._waiting and len(group) < self._max_group:
            waiting = self._waiting.popleft()
            if waiting.report.id in ids:
                left.append(waiting)
            else:
                ids.add(waiting.report.id)
                group.append(waiting)
        left.extend(self._waiting)
        self._waiting = left
        return group

    def _store_group(self, group: list[_Waiting]) -> None:
        try:
            self._store_together(group)
            return
        except CeasefireError as exc:
            if len(group) > 1:  # one refused report must not refuse the others: one by one
                for waiting in group:
                    self._store_group([waiting])
                return
            error: BaseException = exc
        except Exception as exc:  # unexpected: every caller of the group gets it (a 500)
            _log.exception("storing a group of %d reports failed", len(group))
            error = exc
        for waiting in group:
            if waiting.outcome is None:
                waiting.outcome = error

    def _store_together(self, group: list[_Waiting]) -> None:
        """One transaction for the group; sets each outcome once it committed."""
        self.groups += 1
        reports = [w.report for w in group]
        placements = place_reports(self._engine, reports)
        # One transaction; each user's reports are checked and recorded as entered by them.
        by_user: dict[Principal, list[int]] = {}
        for index, waiting in enumerate(group):
            by_user.setdefault(waiting.entered_by, []).append(index)
        added: set[str] = set()
        with self._store.bulk_writer() as writer:
            for user, indices in by_user.items():
                result = writer.add(
                    [reports[i] for i in indices],
                    [placements[i] for i in indices],
                    entered_by=user,
                    parties=self._parties,
                )
                added.update(result.added_ids)
        # Stored before: under its id, or a party's under the bare id it had before party ids
        # were scoped (ceasefire.store.writing.BulkWriter).
        stored_before = [i for r in reports if r.id not in added for i in (r.id, _bare(r))]
        before = self._store.get_stored(stored_before) if stored_before else {}
        for waiting, placement in zip(group, placements, strict=True):
            report = waiting.report
            if report.id in added:
                place = report.location()
                stored = StoredReport(report, place.lon, place.lat, place.uncertainty_m, placement)
                waiting.outcome = Stored(True, stored)
            else:
                waiting.outcome = Stored(False, before.get(report.id) or before[_bare(report)])


def _bare(report: Report) -> str:
    """A party's report id without its scope (``UA:7`` -> ``7``)."""
    return report.id.removeprefix(f"{report.submitted_by}{PARTY_ID_MARK}")


def _answer(group: list[_Waiting]) -> None:
    """Resolve each caller's future in its own event loop, one wake-up per loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Waiting]] = {}
    for waiting in group:
        by_loop.setdefault(waiting.loop, []).append(waiting)
    for loop, answered in by_loop.items():
        with contextlib.suppress(RuntimeError):  # that loop closed: nobody waits for it
            loop.call_soon_threadsafe(_resolve, answered)


def _resolve(group: list[_Waiting]) -> None:
    for waiting in group:
        if waiting.future.done():
            continue
        outcome = waiting.outcome
        if isinstance(outcome, Stored):
            waiting.future.set_result(outcome)
        else:
            waiting.future.set_exception(outcome or RuntimeError("the report was not stored"))
