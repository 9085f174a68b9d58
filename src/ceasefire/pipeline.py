"""The flows into the store: intake (parse -> validate -> place against the agreement -> store)
and fusion (fuse -> summarise -> judge against the agreement -> save incidents and violations).

DESIGN section 3: every step is a library function; this module only strings them together so
that the CLI (``ceasefire ingest``, ``ceasefire fuse``), the API (report submission, group
commit) and the demo make one call.

Files are streamed: rows are read and validated a chunk at a time, each chunk is placed with one
vectorized :meth:`GeoEngine.classify` call and added to one open write transaction
(:meth:`Store.bulk_writer`), so memory stays flat for a file of millions of reports while the
ingest as a whole stays all or nothing.
"""

from __future__ import annotations

import gc
import time
from collections import Counter
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ceasefire.agreement.model import Agreement
from ceasefire.errors import InputError, Problem
from ceasefire.fusion.bulk import fuse_reports
from ceasefire.fusion.columns import screen
from ceasefire.fusion.config import FusionConfig
from ceasefire.fusion.incidents import summarise
from ceasefire.geo.engine import GeoEngine
from ceasefire.intake.files import MAX_PROBLEMS, MAX_REPORT_BYTES, check_rows, detect_format
from ceasefire.intake.mapping import ColumnMapping
from ceasefire.intake.parties import party_fields
from ceasefire.intake.report import Report
from ceasefire.judge.rules import Violation, in_force, judge
from ceasefire.judge.verification import DEFAULT_CORROBORATION, check_corroboration
from ceasefire.publish.access import Principal
from ceasefire.records import Incident
from ceasefire.store.facade import Store
from ceasefire.store.incident_saving import Judgement
from ceasefire.store.writing import BulkWriter

#: Reports validated, placed and written at a time. Memory grows with it (about 3 kB a report
#: in flight); past ~20k the per-chunk costs (one classify, one executemany) are noise.
CHUNK_SIZE = 20_000


@dataclass
class IngestResult:
    """What an ingest did: counts, and the rows skipped under ``skip_invalid``.

    ``problems`` keeps at most :data:`ceasefire.intake.files.MAX_PROBLEMS` per file; ``bad_rows``
    counts every bad row.
    """

    added: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    bad_rows: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "added": self.added,
            "unchanged": self.unchanged,
            "skipped": [vars(p) for p in self.problems],
            "bad_rows": self.bad_rows,
        }


def place_reports(engine: GeoEngine, reports: Sequence[Report]) -> list[dict[str, Any]]:
    """Geometry facts (side, distance, zones, oblast) for each report, in one vectorized call.

    Raises
    ------
    InputError
        naming each report (``report 'id'``) whose point the agreement cannot place: outside its
        declared area (:meth:`GeoEngine.placeable`). Such a report is refused, not stored: once
        stored it would stand in every fusion run.
    """
    if not reports:
        return []
    lon, lat = _points(reports)
    bad = unplaceable(engine, reports, lon, lat, [f"report {r.id!r}" for r in reports])
    if bad:
        raise InputError([problem for _, problem in bad])
    return engine.classify(lon, lat).rows()


def _points(reports: Sequence[Report]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    # location() resolves observer-relative reports (observer + bearing + band) to a point.
    points = [r.location() for r in reports]
    lon = np.fromiter((p.lon for p in points), dtype=np.float64, count=len(points))
    lat = np.fromiter((p.lat for p in points), dtype=np.float64, count=len(points))
    return lon, lat


def unplaceable(
    engine: GeoEngine,
    reports: Sequence[Report],
    lon: np.ndarray[Any, Any],
    lat: np.ndarray[Any, Any],
    wheres: Sequence[str],
) -> list[tuple[int, Problem]]:
    """(index, problem) of each report whose point ``engine`` cannot place, else ``[]``.

    The field named is the one the point came from: ``lon/lat``, or ``observer_lon/observer_lat``
    for a report placed from its observer.
    """
    bad = np.flatnonzero(~engine.placeable(lon, lat))
    out = []
    for i in bad.tolist():
        r = reports[i]
        fld = "lon/lat" if r.lon is not None else "observer_lon/observer_lat"
        reason = engine.unplaceable_reason(float(lon[i]), float(lat[i]))
        out.append((i, Problem(wheres[i], fld, reason)))
    return out


def ingest_reports(
    store: Store,
    reports: Sequence[Report],
    agreement: Agreement | GeoEngine,
    *,
    entered_by: Principal,
) -> tuple[int, int]:
    """Place and store ``reports`` in one transaction as ``entered_by`` (the signed-in user,
    who must be allowed to store each: :func:`ceasefire.publish.access.check_submission`);
    returns (added, unchanged)."""
    engine = agreement if isinstance(agreement, GeoEngine) else GeoEngine(agreement)
    result = store.add_reports(
        reports,
        place_reports(engine, reports),
        entered_by=entered_by,
        parties=engine.agreement.party_codes,
    )
    return result.added, result.unchanged


def ingest_files(
    store: Store,
    paths: Sequence[Path],
    agreement: Agreement | GeoEngine,
    *,
    entered_by: Principal,
    skip_invalid: bool = False,
    progress: Any = None,
    chunk_size: int = CHUNK_SIZE,
    now: datetime | None = None,
    max_report_bytes: int = MAX_REPORT_BYTES,
    format: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    mapping: ColumnMapping | None = None,
) -> IngestResult:
    """Ingest report files all or nothing, streaming them a chunk at a time.

    Every chunk is validated, placed and added to one write transaction that is committed only
    when every file has been read. One bad row anywhere stores nothing: the rest is still read
    and validated (not placed or written) and :class:`InputError` lists every problem found.
    With ``skip_invalid`` the good rows go in and the bad ones are returned in ``problems``.

    Parameters
    ----------
    paths
        JSON Lines, CSV or GeoJSON files (format from the extension).
    agreement
        The agreement the reports are placed against (or a :class:`GeoEngine` of it).
    entered_by
        Who stores them (the signed-in user; the CLI's local operator). Every report read must
        be one it may store (:func:`ceasefire.publish.access.check_submission`), else nothing
        is stored, ``skip_invalid`` or not; it is recorded beside each report and in its leaf.
    skip_invalid
        Store the good rows and list the bad ones instead of storing nothing.
    progress
        A :class:`rich.progress.Progress` (or anything with its ``add_task`` and ``update``):
        one task counting rows, its total the number of lines in the files.
    chunk_size
        Reports validated, placed and written at a time (memory grows with it).
    now
        The present, for the "not in the future" check (one value for the whole ingest).
    max_report_bytes
        The largest one report may be (its line, or its Feature's JSON); a larger one is a
        problem of its row, named by file and row.
    format, delimiter, encoding, mapping
        How every file is read, over what its name and first bytes say
        (:func:`ceasefire.intake.files.iter_rows`).

    Raises
    ------
    InputError
        A bad row (without ``skip_invalid``) or a file that cannot be read as a whole.
    ForbiddenError
        ``entered_by`` may not store a report read (it names the row); nothing is stored.
    ConflictError
        An id stored, or repeated in another chunk or file of this ingest, with other content.
        Repeats within one chunk are row problems, as in :func:`ceasefire.intake.files.parse_file`.
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
    engine = agreement if isinstance(agreement, GeoEngine) else GeoEngine(agreement)
    parties = engine.agreement.party_codes
    now = now or datetime.now(UTC)
    result = IngestResult(files=[str(p) for p in paths])
    for path in paths:
        detect_format(path, format)  # an unknown extension fails before the write lock is taken
    reading = {"format": format, "delimiter": delimiter, "encoding": encoding, "mapping": mapping}
    lines = _count_lines(paths, format) if progress is not None else []
    task = None
    if progress is not None:
        known = [n for n in lines if n is not None]
        task = progress.add_task(
            "ingesting", total=sum(known) if len(known) == len(lines) else None
        )
    with _young_collections_only(), store.bulk_writer() as writer:
        done = 0
        for index, path in enumerate(paths):
            if progress is not None:
                progress.update(task, description=f"ingesting {Path(path).name}")
            file_problems = 0
            rows = 0
            for chunk in _chunks(path, chunk_size, now, max_report_bytes, reading):
                _refuse_unplaceable(engine, chunk)
                if parties:
                    _refuse_unknown_parties(parties, chunk)
                result.bad_rows += chunk.bad_rows
                kept = chunk.problems[: max(MAX_PROBLEMS - file_problems, 0)]
                file_problems += len(chunk.problems)
                result.problems.extend(kept)
                if chunk.reports and (skip_invalid or not result.bad_rows):
                    _write(writer, engine, chunk, result, entered_by, parties)
                # else: doomed; keep validating so every problem is listed, but write no more.
                rows += chunk.rows
                gc.collect(1)  # cycles made by this chunk (tracebacks of bad rows)
                if progress is not None:
                    progress.update(task, completed=done + rows)
            if progress is not None:
                # Lines, not rows, are the total: header and blank lines are done with the file.
                done += lines[index] or rows
                progress.update(task, completed=done)
        if result.bad_rows and not skip_invalid:
            raise InputError(result.problems)  # inside the block: everything rolls back
    return result


@contextmanager
def _young_collections_only() -> Iterator[None]:
    """Automatic garbage collection off; the ingest collects the young generations per chunk.

    Every chunk promotes ~1M objects, and the automatic full collections they set off walk the
    whole heap: about 15% of the ingest time (measured, 100k reports). Process-wide while it lasts.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass
class _Chunk:
    reports: list[Report]
    problems: list[Problem]
    rows: int  # rows read, good or bad
    bad_rows: int
    wheres: list[str] = field(default_factory=list)  # of each report, e.g. ``r.jsonl:row 2``


def _refuse_unplaceable(engine: GeoEngine, chunk: _Chunk) -> None:
    """Move the reports the agreement cannot place out of ``chunk``, into its problems.

    A valid row whose point is outside the agreement's declared area is as bad as a row with
    a malformed field: it fails the ingest (or is skipped under ``skip_invalid``), by its row.
    """
    if not chunk.reports:
        return
    lon, lat = _points(chunk.reports)
    _drop(chunk, unplaceable(engine, chunk.reports, lon, lat, chunk.wheres))


def _refuse_unknown_parties(parties: Collection[str], chunk: _Chunk) -> None:
    """Move the reports whose party fields name no party out of ``chunk``, into its problems,
    so they are listed by row (and skipped under ``skip_invalid``) like any bad field; the
    store checks them again, on what it stores (:mod:`ceasefire.intake.parties`)."""
    bad: list[tuple[int, Problem]] = []
    for i, (report, where) in enumerate(zip(chunk.reports, chunk.wheres, strict=True)):
        resolved, problems = party_fields(report, parties, where)
        chunk.reports[i] = resolved
        bad.extend((i, p) for p in problems)
    _drop(chunk, bad)


def _drop(chunk: _Chunk, bad: list[tuple[int, Problem]]) -> None:
    """Move the reports at the indices of ``bad`` out of ``chunk``, their problems in."""
    if not bad:
        return
    gone = {i for i, _ in bad}
    chunk.reports = [r for i, r in enumerate(chunk.reports) if i not in gone]
    chunk.wheres = [w for i, w in enumerate(chunk.wheres) if i not in gone]
    chunk.problems.extend(problem for _, problem in bad)
    chunk.problems.sort(key=lambda p: _row_number(p.where))
    chunk.bad_rows += len(gone)


def _row_number(where: str) -> int:
    """The row of a problem's ``where`` (``name:row 12``, ``name:feature 12`` -> 12), to keep
    the problems in file order."""
    tail = where.rpartition(" ")[2]
    return int(tail) if tail.isdigit() else 0


def _write(
    writer: BulkWriter,
    engine: GeoEngine,
    chunk: _Chunk,
    result: IngestResult,
    entered_by: Principal,
    parties: Collection[str],
) -> None:
    """Place one chunk and add it to the open transaction, counting into ``result``."""
    reports = chunk.reports
    added = writer.add(
        reports,
        place_reports(engine, reports),
        entered_by=entered_by,
        parties=parties,
        where=chunk.wheres,
    )
    result.added += added.added
    result.unchanged += added.unchanged


def _chunks(
    path: Path, size: int, now: datetime, max_report_bytes: int, reading: Mapping[str, Any]
) -> Iterator[_Chunk]:
    """Validated reports of ``path``, ``size`` rows at a time, with the problems of the bad rows.

    An id repeated within a chunk follows :func:`ceasefire.intake.files.parse_file`: an exact repeat is
    dropped, one with other content is a problem of the later row. Across chunks the store's
    check (in the same transaction) decides, so memory does not grow with the file.
    """
    chunk = _Chunk([], [], 0, 0)
    rows = check_rows(path, now=now, window=size, max_report_bytes=max_report_bytes, **reading)
    for row in rows:
        chunk.rows += 1
        if row.report is not None:
            chunk.reports.append(row.report)
            chunk.wheres.append(row.where)
        if row.problems:
            chunk.bad_rows += 1
            chunk.problems.extend(row.problems)
        if chunk.rows >= size:
            yield chunk
            chunk = _Chunk([], [], 0, 0)
    if chunk.rows:
        yield chunk


def _count_lines(paths: Sequence[Path], format: str | None = None) -> list[int | None]:
    """Lines in each file, for the progress total (a row is a line in JSON Lines and CSV).

    Counting newlines in 1 MiB blocks reads a 570 MB file in about 0.5 s (measured, warm cache).
    None for a GeoJSON document (its rows are features, not lines) or a file that cannot be read
    (:func:`ceasefire.intake.files.iter_rows` reports that, with the file's name).
    """
    counts: list[int | None] = []
    for path in paths:
        if detect_format(Path(path), format) == "geojson":
            counts.append(None)
            continue
        total = 0
        try:
            with Path(path).open("rb") as handle:
                last = b"\n"
                while block := handle.read(1 << 20):
                    total += block.count(b"\n")
                    last = block[-1:]
        except OSError:
            counts.append(None)
            continue
        counts.append(total + (last != b"\n"))  # a last line without its newline
    return counts


# --- fusion, judgement, status -------------------------------------------------------------------


@dataclass
class FuseResult:
    """What a fusion run did: incidents made or kept, violations found, statuses."""

    reports: int = 0
    incidents: int = 0
    created: int = 0
    updated: int = 0
    merged: int = 0
    unchanged: int = 0
    violations: int = 0
    violations_added: int = 0
    violations_superseded: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_rule: dict[str, int] = field(default_factory=dict)
    agreements: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: Stored reports left out of this run, each named with why (:func:`screen`).
    skipped: list[Problem] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out = dict(vars(self))
        out["skipped"] = [vars(p) for p in self.skipped]
        return out

    def render(self) -> str:
        lines = [
            f"fused {self.reports} reports into {self.incidents} incidents "
            f"({self.created} new, {self.updated} updated, {self.merged} merged, "
            f"{self.unchanged} unchanged) in {self.seconds:.1f} s",
            f"judged under: {', '.join(self.agreements)}",
            f"violations: {self.violations} ({self.violations_added} new, "
            f"{self.violations_superseded} superseded)",
        ]
        lines += [f"  {rule:<34} {n:>6}" for rule, n in self.by_rule.items()]
        lines.append("incidents by status:")
        lines += [f"  {status:<34} {n:>6}" for status, n in self.by_status.items()]
        if self.skipped:
            lines.append(f"skipped {len(self.skipped)} stored report(s) fusion cannot read:")
            lines += [f"  {p}" for p in self.skipped]
        return "\n".join(lines)


def fuse_store(
    store: Store,
    agreements: Sequence[Agreement],
    *,
    config: FusionConfig | None = None,
    corroboration: int = DEFAULT_CORROBORATION,
    now: datetime | None = None,
    progress: Any = None,
) -> FuseResult:
    """Fuse every stored report into incidents, judge them, and save both.

    The same functions in bulk that a live feed runs one report at a time: the partition does
    not depend on the order reports arrived in (:mod:`ceasefire.fusion.bulk`). Geometry facts of the
    incidents come from the newest agreement version; each incident is judged under the version
    in force at its time (:func:`ceasefire.judge.rules.judge`). Earlier judgements are kept, marked
    superseded where the new run differs.
    """
    if not agreements:
        raise InputError(Problem("fuse", "agreement", "at least one agreement version is needed"))
    check_corroboration(corroboration)
    started = time.perf_counter()
    now = now or datetime.now(UTC)
    config = config or FusionConfig()
    newest = max(agreements, key=lambda a: (a.effective_from, a.version))
    engine = GeoEngine(newest)
    task = progress.add_task("fusing", total=5) if progress is not None else None

    def step() -> None:
        if progress is not None:
            progress.advance(task)

    items, skipped = screen(store.list_stored(), engine)
    step()
    part = fuse_reports(items, engine, config)
    incidents = summarise(items, part.members(), part.anchor, engine, config, part.ambiguous)
    step()
    result = FuseResult(
        reports=len(items),
        incidents=len(incidents),
        agreements=[f"{a.id} v{a.version}" for a in agreements],
        skipped=skipped,
    )
    violations = save_fused(
        store, incidents, agreements, result, now=now, corroboration=corroboration, step=step
    )
    result.violations = len(violations)
    result.by_rule = dict(Counter(v.rule for v in violations).most_common())
    current = store.list_incidents()
    result.by_status = dict(Counter(s.status for s in current).most_common())
    result.seconds = time.perf_counter() - started
    return result


def save_fused(
    store: Store,
    incidents: Sequence[Incident],
    agreements: Sequence[Agreement],
    result: FuseResult,
    *,
    now: datetime,
    corroboration: int = DEFAULT_CORROBORATION,
    step: Any = None,
) -> list[Violation]:
    """Save fused incidents and judge them: the one way fusion's results reach the store,
    for a bulk run (:func:`fuse_store`) and for the service's live fusion
    (:class:`ceasefire.live.LiveFusion`), which passes only the incidents its new reports
    touched, a few at a time (each stored incident it touches whole). Each incident is judged
    under the version in force at its time; the earlier judgements of the incidents judged are
    kept, marked superseded where the new ones differ. Incidents and judgements are saved in
    one transaction (:meth:`Store.save_judged`); the judging is done before it, so the write
    lock is held for the writes only. Counts go into ``result``; returns the violations
    found."""
    for a in agreements:
        store.register_agreement(a)
    # Judged before the write transaction, as if nobody had assessed a perpetrator: inside it,
    # only the incidents a monitor did assess (rare) are judged again, once their ids are known.
    found = judge(incidents, agreements)
    in_force = in_force_index(agreements, incidents)
    if step is not None:
        step()
    final: list[Violation] = []

    def judgements(assessed: Mapping[str, str]) -> list[Judgement]:
        final[:] = _assessed_again(incidents, agreements, found, assessed) if assessed else found
        return [
            Judgement(
                a.id,
                a.version,
                [v for v in final if (v.agreement_id, v.agreement_version) == (a.id, a.version)],
                [inc.key for inc, v in zip(incidents, in_force, strict=True) if v == index],
            )
            for index, a in enumerate(agreements)
        ]

    saved, judged = store.save_judged(incidents, judgements, at=now, corroboration=corroboration)
    if step is not None:
        step()
    result.created += saved.created
    result.updated += saved.updated
    result.merged += saved.merged
    result.unchanged += saved.unchanged
    for res in judged:
        result.violations_added += res.added
        result.violations_superseded += res.superseded
    return final


def _assessed_again(
    incidents: Sequence[Incident],
    agreements: Sequence[Agreement],
    found: Sequence[Violation],
    assessed: Mapping[str, str],
) -> list[Violation]:
    """``found`` with the violations of the incidents in ``assessed`` judged again under the
    monitors' assessment, in incident order (:func:`ceasefire.judge.rules.judge` judges each
    incident on its own, so the others' stand)."""
    mine = [inc for inc in incidents if inc.key in assessed]
    again = judge(mine, agreements, assessed=dict(assessed))
    by_key: dict[str, list[Violation]] = {}
    for v in [*(v for v in found if v.incident_key not in assessed), *again]:
        by_key.setdefault(v.incident_key, []).append(v)
    return [v for inc in incidents for v in by_key.get(inc.key, ())]


def in_force_index(agreements: Sequence[Agreement], incidents: Sequence[Incident]) -> list[int]:
    """Index into ``agreements`` of the version in force at each incident (-1: none yet)."""
    return [int(i) for i in in_force(agreements, [inc.observed_from for inc in incidents])]
