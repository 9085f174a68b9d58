"""A night, end to end: plan the chunks, generate them, return them in memory or stream them.

Generation runs in chunks of :data:`~ceasefire.sim.config.EVENTS_PER_CHUNK` events, each a
consecutive slice of the night drawn from its own random stream ``(seed, chunk)``; chunking
depends on the config alone, so the in-memory :func:`simulate` and the streamed
:func:`write_simulation` give the same rows and the same seed and agreement give
byte-identical files.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from shapely.geometry import LineString

from ceasefire.agreement.model import Agreement
from ceasefire.sim.config import (
    _HOUR,
    DEFAULT_MIX,
    EVENTS_PER_CHUNK,
    FALSE_CLAIMS_PER_EVENT,
    I64,
    SimConfig,
)
from ceasefire.sim.events import _check_bands, _Chunk, _make_events
from ceasefire.sim.output import (
    _event_dicts,
    _event_lines,
    _link_dicts,
    _link_lines,
    _report_dicts,
    _report_lines,
)
from ceasefire.sim.sources import _reports
from ceasefire.sim.theatre import _Bands, _setup, _Theatre
from ceasefire.vocab import EVENT_TYPES, SOURCE_KINDS


@dataclass(frozen=True)
class SimStats:
    """What a simulation produced."""

    reports: int
    events: int
    false_claims: int
    seconds: float
    by_source: dict[str, int] = field(default_factory=dict)
    by_event_type: dict[str, int] = field(default_factory=dict)
    reports_path: str | None = None
    truth_path: str | None = None

    @property
    def reports_per_second(self) -> float:
        return self.reports / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**vars(self), "reports_per_second": round(self.reports_per_second)}

    def summary(self) -> str:
        """A few lines for a terminal."""
        lines = [
            f"{self.reports:,} reports of {self.events:,} events "
            f"({self.false_claims:,} false claims) in {self.seconds:.1f} s "
            f"({self.reports_per_second:,.0f} reports/s)",
            "reports by source: " + ", ".join(f"{k} {v:,}" for k, v in self.by_source.items()),
            "events by type:    " + ", ".join(f"{k} {v:,}" for k, v in self.by_event_type.items()),
        ]
        if self.reports_path:
            lines.append(f"wrote {self.reports_path} and {self.truth_path}")
        return "\n".join(lines)


@dataclass(frozen=True)
class Simulation:
    """A night in memory: the rows of both files, as dicts, in file order."""

    config: SimConfig
    events: list[dict[str, Any]]  # the truth file's event records (without "record")
    reports: list[dict[str, Any]]  # the reports file
    links: list[dict[str, Any]]  # the truth file's link records (without "record")
    stats: SimStats


def simulate(
    config: SimConfig | None = None,
    line: LineString | None = None,
    agreement: Agreement | None = None,
) -> Simulation:
    """Simulate a night in memory (for tests and small runs).

    Parameters
    ----------
    config
        The night; default :class:`SimConfig()`.
    line
        Line of contact (lon/lat, RU on the left walking it); default the agreement's line.
    agreement
        Where the zones reach: weapon sightings fall inside the withdrawal zone that bars the
        weapon on its owner's side, incursions inside the DMZ, each width measured from the
        line. Default the demo agreement (:func:`ceasefire.agreement.load.demo_agreement_path`).

    Raises
    ------
    InputError
        for a line of fewer than two points, or an agreement the simulator cannot play out:
        sides other than RU left and UA right, no DMZ band on a side, or no withdrawal zone
        barring a weapon a party fields.
    """
    config = config or SimConfig()
    started = time.perf_counter()
    th, bands = _prepare(line, agreement)
    events: list[dict[str, Any]] = []
    reports: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    counter = _Counter()
    for chunk in _chunks(config, th, bands):
        events += _event_dicts(chunk)
        reports += _report_dicts(chunk)
        links += _link_dicts(chunk)
        counter.add(chunk)
    stats = counter.stats(time.perf_counter() - started)
    return Simulation(config, events, reports, links, stats)


def write_simulation(
    config: SimConfig,
    reports_path: str | Path,
    truth_path: str | Path,
    *,
    line: LineString | None = None,
    agreement: Agreement | None = None,
    progress: Any = None,
) -> SimStats:
    """Write a night as JSON Lines, chunk by chunk (memory stays bounded at any size).

    Parameters
    ----------
    config
        The night.
    reports_path, truth_path
        Output files (replaced when the run completes).
    line
        Line of contact (lon/lat); default the agreement's line.
    agreement
        Where the zones reach (see :func:`simulate`); default the demo agreement.
    progress
        A ``rich.progress.Progress`` (or anything with ``add_task`` / ``advance``), or None.
    """
    started = time.perf_counter()
    th, bands = _prepare(line, agreement)  # refuse a bad line or agreement before any file opens
    counter = _Counter()
    reports_path, truth_path = Path(reports_path), Path(truth_path)
    tmp_r, tmp_t = (
        reports_path.with_name(reports_path.name + ".part"),
        truth_path.with_name(truth_path.name + ".part"),
    )
    task = None
    with (
        tmp_r.open("w", encoding="utf-8", newline="\n") as fr,
        tmp_t.open("w", encoding="utf-8", newline="\n") as ft,
    ):
        chunks = _chunks(config, th, bands)
        if progress is not None:
            task = progress.add_task("simulating", total=_chunk_count(config, th, bands))
        for chunk in chunks:
            fr.write(_report_lines(chunk))
            ft.write(_event_lines(chunk))
            ft.write(_link_lines(chunk))
            counter.add(chunk)
            if progress is not None:
                progress.advance(task)
    tmp_r.replace(reports_path)
    tmp_t.replace(truth_path)
    return counter.stats(time.perf_counter() - started, str(reports_path), str(truth_path))


def _prepare(line: LineString | None, agreement: Agreement | None) -> tuple[_Theatre, _Bands]:
    th, bands = _setup(line, agreement)
    _check_bands(bands)
    return th, bands


def _plan(config: SimConfig, th: _Theatre, bands: _Bands) -> int:
    """Number of events in the night."""
    if config.n_events is not None:
        return config.n_events
    if config.n_reports is not None:
        return round(config.n_reports / _reports_per_event(th, bands))
    return sum(DEFAULT_MIX)


def _chunk_count(config: SimConfig, th: _Theatre, bands: _Bands) -> int:
    return max(1, math.ceil(_plan(config, th, bands) / EVENTS_PER_CHUNK))


@lru_cache(maxsize=4)
def _reports_per_event(th: _Theatre, bands: _Bands) -> float:
    """Mean reports per event of the default mix, from a fixed pilot chunk (deterministic)."""
    rng = np.random.default_rng([0, 2**32 - 1])
    events = _make_events(th, bands, rng, _allocate(EVENTS_PER_CHUNK), 0, 12 * _HOUR)
    reports = _reports(th, rng, events, SimConfig(), 0, 0, 12 * _HOUR)
    return len(reports["ev"]) / EVENTS_PER_CHUNK


def _allocate(n: int, shares: tuple[float, ...] = DEFAULT_MIX) -> I64:
    """Split ``n`` by ``shares`` (largest remainder): exact, and each part within 1 of its share."""
    w = np.asarray(shares, dtype=np.float64)
    raw = n * w / w.sum()
    out: I64 = np.floor(raw).astype(np.int64)
    out[np.argsort(out - raw, kind="stable")[: n - int(out.sum())]] += 1
    return out


def _chunks(config: SimConfig, th: _Theatre, bands: _Bands) -> Iterator[_Chunk]:
    n = _plan(config, th, bands)
    k_all = max(1, math.ceil(n / EVENTS_PER_CHUNK))
    t_start = int(config.start.astimezone(UTC).timestamp())
    span = round(config.hours * _HOUR)
    first_report = 0
    for k in range(k_all):
        lo, hi = n * k // k_all, n * (k + 1) // k_all
        t0, t1 = t_start + span * k // k_all, t_start + span * (k + 1) // k_all
        rng = np.random.default_rng([config.seed, k])  # one stream per chunk: chunks independent
        events = _make_events(th, bands, rng, _allocate(hi - lo), t0, max(t1, t0 + 1))
        n_false = math.floor(hi * FALSE_CLAIMS_PER_EVENT) - math.floor(lo * FALSE_CLAIMS_PER_EVENT)
        reports = _reports(th, rng, events, config, n_false, t0, max(t1, t0 + 1))
        yield _Chunk(config.seed, lo, first_report, events, reports, th)
        first_report += len(reports["ev"])


class _Counter:
    """Running totals over chunks, for :class:`SimStats`."""

    def __init__(self) -> None:
        self.reports = self.events = self.false = 0
        self.by_source = np.zeros(len(SOURCE_KINDS), np.int64)
        self.by_event = np.zeros(len(EVENT_TYPES), np.int64)

    def add(self, chunk: _Chunk) -> None:
        r, e = chunk.reports, chunk.events
        self.reports += r["ev"].size
        self.events += e["t"].size
        self.false += int(np.count_nonzero(r["ev"] < 0))
        self.by_source += np.bincount(r["kind"], minlength=len(SOURCE_KINDS))
        self.by_event += np.bincount(e["etype"], minlength=len(EVENT_TYPES))

    def stats(
        self, seconds: float, reports: str | None = None, truth: str | None = None
    ) -> SimStats:
        def named(names: tuple[str, ...], counts: I64) -> dict[str, int]:
            pairs = sorted(zip(names, counts.tolist(), strict=True), key=lambda p: -p[1])
            return {k: v for k, v in pairs if v}

        return SimStats(
            reports=self.reports,
            events=self.events,
            false_claims=self.false,
            seconds=seconds,
            by_source=named(SOURCE_KINDS, self.by_source),
            by_event_type=named(EVENT_TYPES, self.by_event),
            reports_path=reports,
            truth_path=truth,
        )
