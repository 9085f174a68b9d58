"""Reports as fusion reads them: columns of numbers, one row per report.

Fusion compares thousands of reports at once, so it works on arrays rather than objects
(:class:`FusionInput`): the point in the geo engine's metric projection, the time window in
seconds since the epoch, the uncertainty, the group, and what the report claims as codes that
compare across inputs. :func:`fusion_columns` builds them from plain columns (the simulator, the
benchmark), :func:`fusion_input` from stored reports, after :func:`screen` has set aside the
stored rows fusion cannot read (one bad row must not stop the run for every other report).
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from ceasefire.errors import InputError, Problem
from ceasefire.fusion.config import DEFAULT_UNCERTAINTY_M, FusionConfig
from ceasefire.vocab import EVENT_TYPES, WEAPON_CLASSES

if TYPE_CHECKING:
    from ceasefire.geo.engine import GeoEngine
    from ceasefire.records import StoredReport

_log = logging.getLogger("ceasefire.fusion")

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]


@dataclass
class FusionInput:
    """Reports as columns, in the engine's metric projection (see :func:`fusion_input`).

    The content columns say what a report claims, as codes that compare across inputs: the
    event type (index in the vocabulary), weapon class (-1 when not given or ``unknown``),
    weapon model (CRC-32 of its case-folded name, -1 when not given), claimed perpetrator and the
    side of the line the report's point is on (+1 left, -1 right, 0 neither / not given).
    ``source`` names the source of a report whose kind reports an event at most once
    (:attr:`FusionConfig.single_report_sources`: a patrol, a camera...) as a CRC-32 of
    ``submitted_by/source_kind/source_name``, and is -1 for every other report.
    """

    ids: npt.NDArray[np.object_]
    x: F64
    y: F64
    t0: I64  # seconds since the epoch
    t1: I64
    uncertainty_m: F64
    region: B  # placed only to an oblast
    group: npt.NDArray[np.int16]
    etype: npt.NDArray[np.int16]
    wclass: npt.NDArray[np.int16]
    wmodel: I64
    claim: npt.NDArray[np.int8]
    side: npt.NDArray[np.int8]
    source: I64

    def __len__(self) -> int:
        return int(self.ids.size)

    def take(self, index: npt.ArrayLike) -> FusionInput:
        i = np.asarray(index)
        return FusionInput(*(getattr(self, f.name)[i] for f in fields(self)))


def fusion_columns(
    engine: GeoEngine,
    config: FusionConfig,
    *,
    ids: Sequence[str],
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    t0: npt.ArrayLike,
    t1: npt.ArrayLike,
    uncertainty_m: npt.ArrayLike,
    place_precision: Sequence[str | None],
    event_type: Sequence[str],
    weapon_class: Sequence[str | None],
    weapon_model: Sequence[str | None],
    claimed_perpetrator: Sequence[str | None],
    submitted_by: Sequence[str | None] | None = None,
    source_kind: Sequence[str | None] | None = None,
    source_name: Sequence[str | None] | None = None,
) -> FusionInput:
    """A :class:`FusionInput` from plain columns (times in seconds since the epoch).

    ``submitted_by``, ``source_kind`` and ``source_name`` say who made each report; without
    them no report is known to come from a source that reports an event once.

    Raises :class:`InputError` naming the row and field of an event type the vocabulary lacks.
    """
    n = len(ids)
    unknown = [
        Problem(f"row {i + 1}", "event_type", f"unknown event type {t!r}")
        for i, t in enumerate(event_type)
        if t not in EVENT_TYPES
    ]
    if unknown:
        raise InputError(unknown)
    x, y = engine.project(lon, lat) if n else (np.zeros(0), np.zeros(0))
    side = engine.classify_xy(x, y).side if n else np.zeros(0, np.int8)
    a = engine.agreement
    parties = {a.left_party: 1, a.right_party: -1}
    classes = {c: i for i, c in enumerate(WEAPON_CLASSES) if c != "unknown"}
    types = {t: i for i, t in enumerate(EVENT_TYPES)}
    return FusionInput(
        ids=np.array(list(ids), dtype=object),
        x=x,
        y=y,
        t0=np.asarray(t0, dtype=np.int64),
        t1=np.asarray(t1, dtype=np.int64),
        uncertainty_m=np.asarray(uncertainty_m, dtype=np.float64),
        region=np.array([p == "region" for p in place_precision], dtype=bool),
        group=config.group_codes(event_type),
        etype=np.fromiter((types[t] for t in event_type), dtype=np.int16, count=n),
        wclass=np.fromiter((classes.get(c or "", -1) for c in weapon_class), np.int16, n),
        wmodel=np.fromiter((_model_code(m) for m in weapon_model), dtype=np.int64, count=n),
        claim=np.fromiter((parties.get(c or "", 0) for c in claimed_perpetrator), np.int8, n),
        side=np.asarray(side, dtype=np.int8),
        source=_source_codes(config, n, submitted_by, source_kind, source_name),
    )


def _source_codes(
    config: FusionConfig,
    n: int,
    submitted_by: Sequence[str | None] | None,
    source_kind: Sequence[str | None] | None,
    source_name: Sequence[str | None] | None,
) -> I64:
    if source_kind is None:
        return np.full(n, -1, dtype=np.int64)
    by = submitted_by if submitted_by is not None else [None] * n
    name = source_name if source_name is not None else [None] * n
    single = frozenset(config.single_report_sources)
    return np.fromiter(
        (
            zlib.crc32(f"{b or ''}/{k}/{(m or '').strip().casefold()}".encode())
            if k in single and (m or "").strip()  # a source without a name is no one in particular
            else -1
            for b, k, m in zip(by, source_kind, name, strict=True)
        ),
        dtype=np.int64,
        count=n,
    )


def _model_code(model: str | None) -> int:
    return -1 if not model else zlib.crc32(model.strip().casefold().encode("utf-8"))


def screen(
    items: Sequence[StoredReport], engine: GeoEngine
) -> tuple[list[StoredReport], list[Problem]]:
    """The stored reports fusion can read, and a problem naming each one it cannot.

    Intake refuses what fusion cannot read, but a store may hold rows written before a check
    existed, under another agreement (a narrower area in a new version), or around intake. Such
    a row is skipped with a warning naming it rather than failing the run (and every later run)
    for the whole database: a point the agreement cannot place (:meth:`GeoEngine.placeable`) or
    an event type the vocabulary no longer has. Vectorised: one mask over all the points.
    """
    if not items:
        return [], []
    lon = np.fromiter((s.lon for s in items), dtype=np.float64, count=len(items))
    lat = np.fromiter((s.lat for s in items), dtype=np.float64, count=len(items))
    ok = engine.placeable(lon, lat)
    problems: list[Problem] = []
    for i in np.flatnonzero(~ok).tolist():
        where = f"report {items[i].report.id!r}"
        reason = engine.unplaceable_reason(float(lon[i]), float(lat[i]))
        problems.append(Problem(where, "lon/lat", f"skipped: {reason}"))
    for i, s in enumerate(items):
        if ok[i] and s.report.event_type not in EVENT_TYPES:
            ok[i] = False
            where = f"report {s.report.id!r}"
            reason = f"skipped: unknown event type {s.report.event_type!r}"
            problems.append(Problem(where, "event_type", reason))
    for p in problems:
        _log.warning("fusion: %s", p)
    if not problems:
        return list(items), []
    return [s for s, keep in zip(items, ok.tolist(), strict=True) if keep], problems


def fusion_input(
    items: Sequence[StoredReport], engine: GeoEngine, config: FusionConfig | None = None
) -> FusionInput:
    """Columns of stored reports for :func:`ceasefire.fusion.bulk.fuse` (points projected by ``engine``)."""
    config = config or FusionConfig()
    reports = [s.report for s in items]
    return fusion_columns(
        engine,
        config,
        ids=[r.id for r in reports],
        lon=[s.lon for s in items],
        lat=[s.lat for s in items],
        t0=[int(r.observed_from.timestamp()) for r in reports],
        t1=[int((r.observed_to or r.observed_from).timestamp()) for r in reports],
        uncertainty_m=[
            s.uncertainty_m
            if s.uncertainty_m is not None
            else DEFAULT_UNCERTAINTY_M.get(s.report.place_precision, 1_000.0)
            for s in items
        ],
        place_precision=[r.place_precision for r in reports],
        event_type=[r.event_type for r in reports],
        weapon_class=[r.weapon_class for r in reports],
        weapon_model=[r.weapon_model for r in reports],
        claimed_perpetrator=[r.claimed_perpetrator for r in reports],
        submitted_by=[r.submitted_by for r in reports],
        source_kind=[r.source_kind for r in reports],
        source_name=[r.source_name for r in reports],
    )


#: The dtype of each column of :class:`FusionInput` (for arrays built to hold its rows).
_DTYPES: Final[dict[str, Any]] = {
    "ids": object,
    "x": np.float64,
    "y": np.float64,
    "t0": np.int64,
    "t1": np.int64,
    "uncertainty_m": np.float64,
    "region": bool,
    "group": np.int16,
    "etype": np.int16,
    "wclass": np.int16,
    "wmodel": np.int64,
    "claim": np.int8,
    "side": np.int8,
    "source": np.int64,
}


def _grow(cols: dict[str, npt.NDArray[Any]], n: int) -> None:
    """Make room for ``n`` rows in each column, doubling (amortised O(1) appends)."""
    cap = next(iter(cols.values())).size
    if n > cap:
        cap = max(n, 2 * cap, 1024)
        for name, col in cols.items():
            cols[name] = np.zeros(cap, dtype=col.dtype)
            cols[name][: col.size] = col


def _rows(cols: dict[str, npt.NDArray[Any]], index: Sequence[int] | I64) -> FusionInput:
    """Rows ``index`` of columns held by name in :class:`FusionInput`'s field order, as a
    :class:`ceasefire.fusion.incremental.Fuser` holds the reports added to it (columns that
    :func:`_grow` replaces as they fill, so holders keep the dict, never a column)."""
    i = np.asarray(index, dtype=np.int64)
    return FusionInput(*(col[i] for col in cols.values()))
