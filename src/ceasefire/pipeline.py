"""The intake flow: parse -> validate -> place against the agreement -> store.

DESIGN section 3: every step is a library function; this module only strings them together so
that the CLI (and later the API) make one call.

Files are streamed: rows are read and validated a chunk at a time, each chunk is placed with one
vectorized :meth:`GeoEngine.classify` call and added to one open write transaction
(:meth:`Store.bulk_writer`), so memory stays flat for a file of millions of reports while the
ingest as a whole stays all or nothing.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ceasefire.agreement import Agreement
from ceasefire.errors import InputError, Problem
from ceasefire.geo import GeoEngine
from ceasefire.intake import MAX_PROBLEMS, check_rows, detect_format
from ceasefire.reports import Report
from ceasefire.store import BulkWriter, Store

#: Reports validated, placed and written at a time. Memory grows with it (about 3 kB a report
#: in flight); past ~20k the per-chunk costs (one classify, one executemany) are noise.
CHUNK_SIZE = 20_000


@dataclass
class IngestResult:
    """What an ingest did: counts, and the rows skipped under ``skip_invalid``.

    ``problems`` keeps at most :data:`ceasefire.intake.MAX_PROBLEMS` per file; ``bad_rows``
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
    """Geometry facts (side, distance, zones, oblast) for each report, in one vectorized call."""
    if not reports:
        return []
    # location() resolves observer-relative reports (observer + bearing + band) to a point.
    points = [r.location() for r in reports]
    lon = np.fromiter((p.lon for p in points), dtype=np.float64, count=len(points))
    lat = np.fromiter((p.lat for p in points), dtype=np.float64, count=len(points))
    return engine.classify(lon, lat).rows()


def ingest_reports(
    store: Store, reports: Sequence[Report], agreement: Agreement | GeoEngine
) -> tuple[int, int]:
    """Place and store ``reports`` in one transaction; returns (added, unchanged)."""
    engine = agreement if isinstance(agreement, GeoEngine) else GeoEngine(agreement)
    result = store.add_reports(reports, place_reports(engine, reports))
    return result.added, result.unchanged


def ingest_files(
    store: Store,
    paths: Sequence[Path],
    agreement: Agreement | GeoEngine,
    *,
    skip_invalid: bool = False,
    progress: Any = None,
    chunk_size: int = CHUNK_SIZE,
    now: datetime | None = None,
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
    skip_invalid
        Store the good rows and list the bad ones instead of storing nothing.
    progress
        A :class:`rich.progress.Progress` (or anything with its ``add_task`` and ``update``):
        one task counting rows, its total the number of lines in the files.
    chunk_size
        Reports validated, placed and written at a time (memory grows with it).
    now
        The present, for the "not in the future" check (one value for the whole ingest).

    Raises
    ------
    InputError
        A bad row (without ``skip_invalid``) or a file that cannot be read as a whole.
    ConflictError
        An id stored, or repeated in another chunk or file of this ingest, with other content.
        Repeats within one chunk are row problems, as in :func:`ceasefire.intake.parse_file`.
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
    engine = agreement if isinstance(agreement, GeoEngine) else GeoEngine(agreement)
    now = now or datetime.now(UTC)
    result = IngestResult(files=[str(p) for p in paths])
    for path in paths:
        detect_format(path)  # an unknown extension fails before the (long) write lock is taken
    lines = _count_lines(paths) if progress is not None else []
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
            for chunk in _chunks(path, chunk_size, now):
                result.bad_rows += chunk.bad_rows
                kept = chunk.problems[: max(MAX_PROBLEMS - file_problems, 0)]
                file_problems += len(chunk.problems)
                result.problems.extend(kept)
                if chunk.reports and (skip_invalid or not result.bad_rows):
                    _write(writer, engine, chunk.reports, result)
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


def _write(
    writer: BulkWriter, engine: GeoEngine, reports: list[Report], result: IngestResult
) -> None:
    """Place one chunk and add it to the open transaction, counting into ``result``."""
    added = writer.add(reports, place_reports(engine, reports))
    result.added += added.added
    result.unchanged += added.unchanged


def _chunks(path: Path, size: int, now: datetime) -> Iterator[_Chunk]:
    """Validated reports of ``path``, ``size`` rows at a time, with the problems of the bad rows.

    An id repeated within a chunk follows :func:`ceasefire.intake.parse_file`: an exact repeat is
    dropped, one with other content is a problem of the later row. Across chunks the store's
    check (in the same transaction) decides, so memory does not grow with the file.
    """
    chunk = _Chunk([], [], 0, 0)
    for row in check_rows(path, now=now, window=size):
        chunk.rows += 1
        if row.report is not None:
            chunk.reports.append(row.report)
        if row.problems:
            chunk.bad_rows += 1
            chunk.problems.extend(row.problems)
        if chunk.rows >= size:
            yield chunk
            chunk = _Chunk([], [], 0, 0)
    if chunk.rows:
        yield chunk


def _count_lines(paths: Sequence[Path]) -> list[int | None]:
    """Lines in each file, for the progress total (a row is a line in JSON Lines and CSV).

    Counting newlines in 1 MiB blocks reads a 570 MB file in about 0.5 s (measured, warm cache).
    None for a GeoJSON document (its rows are features, not lines) or a file that cannot be read
    (:func:`ceasefire.intake.iter_rows` reports that, with the file's name).
    """
    counts: list[int | None] = []
    for path in paths:
        if detect_format(Path(path)) == "geojson":
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
