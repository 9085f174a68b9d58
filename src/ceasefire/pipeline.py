"""The intake flow: parse -> validate -> place against the agreement -> store.

DESIGN section 3: every step is a library function; this module only strings them together so
that the CLI (and later the API) make one call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ceasefire.agreement import Agreement
from ceasefire.errors import InputError, Problem
from ceasefire.geo import GeoEngine
from ceasefire.intake import parse_file
from ceasefire.reports import Report
from ceasefire.store import Store


@dataclass
class IngestResult:
    """What an ingest did: counts, and the rows skipped under ``skip_invalid``."""

    added: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "added": self.added,
            "unchanged": self.unchanged,
            "skipped": [vars(p) for p in self.problems],
        }


def place_reports(engine: GeoEngine, reports: Sequence[Report]) -> list[dict[str, Any]]:
    """Geometry facts (side, distance, zones, oblast) for each report, in one vectorized call."""
    if not reports:
        return []
    # location() resolves observer-relative reports (observer + bearing + band) to a point.
    points = [r.location() for r in reports]
    lon = np.fromiter((p.lon for p in points), dtype=np.float64, count=len(points))
    lat = np.fromiter((p.lat for p in points), dtype=np.float64, count=len(points))
    placement = engine.classify(lon, lat)
    return [placement.row(i) for i in range(len(reports))]


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
    agreement: Agreement,
    *,
    skip_invalid: bool = False,
    progress: Any = None,
) -> IngestResult:
    """Ingest report files all-or-nothing.

    Every file is validated before anything is stored: one bad row anywhere stores nothing and
    raises :class:`InputError` listing every problem, unless ``skip_invalid`` is set, in which case
    the good rows go in and the bad ones are returned in ``problems``.
    """
    result = IngestResult(files=[str(p) for p in paths])
    task = progress.add_task("validating", total=len(paths)) if progress is not None else None
    reports: list[Report] = []
    for path in paths:
        parsed = parse_file(path, skip_invalid=skip_invalid)
        reports.extend(parsed.reports)
        result.problems.extend(parsed.problems)
        if progress is not None:
            progress.advance(task)
    if result.problems and not skip_invalid:
        raise InputError(result.problems)
    if progress is not None:
        progress.update(task, description="placing and storing", completed=0, total=1)
    result.added, result.unchanged = ingest_reports(store, reports, agreement)
    if progress is not None:
        progress.advance(task)
    return result
