"""The incident: what really happened, as best the reports tell, and its verification status.

An :class:`Incident` is a cluster of reports (made by :mod:`ceasefire.fusion.bulk`) with the fused
facts a monitor acts on: a time window, a place with its own uncertainty, the event type, counts
as low / best / high (duplicate reports of one shelling are not summed), casualties and harm
(infrastructure hit, people affected) combined per source, never summed across reports
(:mod:`ceasefire.harm`), the member reports and how many independent sources stand behind them. Geometry facts (side of the line,
distance, zones, oblast) are filled in by :func:`ceasefire.pipeline.fuse_store` through
:class:`ceasefire.geo.engine.GeoEngine`.

The verification ladder (DESIGN section 2)::

    reported -> corroborated (>= N independent sources) -> verified (a monitor confirms)
             \\-> disputed | unfounded

``reported`` and ``corroborated`` follow the evidence automatically; ``verified``, ``disputed``
and ``unfounded`` are decisions by a person, recorded with who, when and why
(:mod:`ceasefire.judge.verification`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from datetime import UTC
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from ceasefire.fusion.config import DEFAULT_UNCERTAINTY_M, FusionConfig
from ceasefire.harm import combine
from ceasefire.intake.report import Report
from ceasefire.records import Estimate, Incident
from ceasefire.vocab import EVENT_TYPES

if TYPE_CHECKING:
    from ceasefire.geo.engine import GeoEngine
    from ceasefire.records import StoredReport

# --- fused facts from member reports -------------------------------------------------------------

#: Event types that say least about what happened; a more specific member type wins over them.
_VAGUE_TYPES: Final = ("explosion", "other")
_PRECISION_RANK: Final = {"exact": 0, "near": 1, "region": 2, None: 3}


def source_key(report: Report, parties: Collection[str] = ()) -> str:
    """The independent source a report comes from: one organisation per source kind.

    A party is one source however many of its agencies report and whatever source kind its
    reports claim (DESIGN section 6): every report of a party (``submitted_by`` one of
    ``parties``, or source kind ``party``) is ``<party>/party``, so a party's reports never
    corroborate each other. The mission's sensors are one source, its patrols another; every
    news outlet is its own.
    """
    if report.submitted_by in parties or report.source_kind == "party":
        return f"{report.submitted_by}/party"
    if report.source_kind == "osint":
        return f"osint/{report.source_name or report.submitted_by}"
    return f"{report.submitted_by}/{report.source_kind}"


def summarise(
    items: Sequence[StoredReport],
    members: Sequence[npt.NDArray[np.int64]],
    anchor: npt.NDArray[np.bool_],
    engine: GeoEngine,
    config: FusionConfig,
    ambiguous: npt.NDArray[np.bool_] | None = None,
) -> list[Incident]:
    """The fused :class:`Incident` of each group of member indices into ``items``.

    ``anchor`` and ``ambiguous`` are :class:`ceasefire.fusion.bulk.Partition`'s masks over
    ``items``; an incident all of whose members are ambiguous is :attr:`Incident.ambiguous`.

    Place: the inverse-variance weighted mean of the anchors (the reports that placed it), its
    uncertainty the combined standard error widened by the anchors' own scatter; an incident of
    coarse reports only takes the most precise member's place. Counts: low / median / high over
    the members that state them (duplicates of one shelling are not summed); sensor counts (one
    detection each) are used only when no other source gives a count. Casualties and harm: each
    source's latest figure, then low / median / high over the sources (:func:`ceasefire.harm.combine`).
    """
    if not members:
        return []
    n = len(members)
    x = np.zeros(n)
    y = np.zeros(n)
    unc = np.zeros(n)
    lon_all = np.fromiter((s.lon for s in items), dtype=np.float64, count=len(items))
    lat_all = np.fromiter((s.lat for s in items), dtype=np.float64, count=len(items))
    px, py = engine.project(lon_all, lat_all) if len(items) else (np.zeros(0), np.zeros(0))
    u_all = np.array(
        [s.uncertainty_m if s.uncertainty_m is not None else np.nan for s in items], dtype=float
    )
    for k, m in enumerate(members):
        placed = m[anchor[m]]
        if placed.size:
            u = np.nan_to_num(u_all[placed], nan=1000.0).clip(50.0)
            w = 1.0 / u**2
            x[k] = float(np.sum(w * px[placed]) / w.sum())
            y[k] = float(np.sum(w * py[placed]) / w.sum())
            spread2 = float(np.sum(w * ((px[placed] - x[k]) ** 2 + (py[placed] - y[k]) ** 2)))
            unc[k] = float(np.sqrt(1.0 / w.sum() + spread2 / w.sum()))
        else:
            best = min(m.tolist(), key=lambda i: (_unc(items[i]), items[i].report.id))
            x[k], y[k], unc[k] = px[best], py[best], _unc(items[best])
    lon, lat = engine.unproject(x, y)
    place = engine.classify_xy(x, y)
    parties = frozenset(engine.agreement.parties)
    groups = config.group_names
    codes = config.group_codes([items[int(m[0])].report.event_type for m in members])
    out = []
    for k, m in enumerate(members):
        reports = [items[int(i)].report for i in m]
        keys = [source_key(r, parties) for r in reports]
        harm = combine(reports, keys)
        firm = [items[int(i)].report for i in m[anchor[m]]]
        row = place.row(k)
        out.append(
            Incident(
                key=min(reports, key=lambda r: (r.observed_from, r.id)).id,
                event_type=_event_type(reports),
                group=groups[int(codes[k])],
                # In UTC: the same instant whatever offset its report gave, so a listing read
                # from the store's (UTC) columns and one read from the bodies agree.
                observed_from=min(r.observed_from for r in (firm or reports)).astimezone(UTC),
                observed_to=max(
                    (r.observed_to or r.observed_from) for r in (firm or reports)
                ).astimezone(UTC),
                lon=float(lon[k]),
                lat=float(lat[k]),
                uncertainty_m=round(float(unc[k]), 1),
                place_precision=_place_precision(firm or reports),
                report_ids=tuple(r.id for r in reports),
                anchor_ids=tuple(r.id for r in firm),
                sources=tuple(sorted(set(keys))),
                source_kinds=tuple(sorted({r.source_kind for r in reports})),
                submitters=tuple(sorted({r.submitted_by for r in reports})),
                weapon_class=_mode(
                    [r.weapon_class for r in reports if r.weapon_class != "unknown"]
                ),
                weapon_model=_mode([r.weapon_model for r in reports]),
                calibre_mm=_mode([r.calibre_mm for r in reports]),
                count=_estimate(
                    [r.count for r in reports if r.source_kind != "sensor"]
                    or [r.count for r in reports]
                ),
                killed=harm.killed,
                injured=harm.injured,
                civilians_killed=harm.civilians_killed,
                civilians_injured=harm.civilians_injured,
                # Counted by source, not by report: one party saying it ten times is one claim
                # (the judge asks whether more than the accuser says it: judge.rules._party).
                claimed_perpetrators=dict(
                    sorted(
                        Counter(
                            claim
                            for _, claim in {
                                (key, r.claimed_perpetrator)
                                for key, r in zip(keys, reports, strict=True)
                                if r.claimed_perpetrator
                            }
                        ).items()
                    )
                ),
                party=row["party"],
                side="left" if row["side"] > 0 else "right" if row["side"] < 0 else "outside",
                distance_m=row["distance_m"],
                line_distance_m=row["line_distance_m"],
                zones=tuple(row["zones"]),
                oblast=row["oblast"],
                ambiguous=ambiguous is not None and bool(ambiguous[m].all()),
                harm=harm.harm,
            )
        )
    return out


def _unc(item: StoredReport) -> float:
    if item.uncertainty_m is not None:
        return float(item.uncertainty_m)
    return DEFAULT_UNCERTAINTY_M.get(item.report.place_precision, 1_000.0)


def _event_type(reports: Sequence[Report]) -> str:
    votes = Counter(r.event_type for r in reports if r.event_type not in _VAGUE_TYPES)
    if not votes:
        votes = Counter(r.event_type for r in reports)
    # Most votes; ties go to the type listed first in the vocabulary (fire before the rest).
    return min(votes, key=lambda t: (-votes[t], EVENT_TYPES.index(t)))


def _place_precision(reports: Sequence[Report]) -> str:
    best = min((r.place_precision for r in reports), key=lambda p: _PRECISION_RANK.get(p, 3))
    return best or "near"


def _mode(values: Sequence[Any]) -> Any:
    votes = Counter(v for v in values if v is not None)
    if not votes:
        return None
    top = max(votes.values())
    return next(v for v in values if v is not None and votes[v] == top)  # first among the top


def _estimate(values: Sequence[int | None]) -> Estimate:
    known = sorted(v for v in values if v is not None)
    if not known:
        return Estimate()
    return Estimate(low=known[0], best=int(np.median(known) + 0.5), high=known[-1])
