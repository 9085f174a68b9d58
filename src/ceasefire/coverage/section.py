"""The daily report's ``coverage`` section from ledger leaves (the report contract's object).

:func:`report_section` takes the ``(kind, record)`` pairs of the leaves of a checkpoint (any
kinds; it reads ``sensor_status``, ``patrol``, ``restriction`` and ``hotline_message``) and
returns::

    {"by_oblast": [{"oblast", "observed"}],
     "sensors_down": [{"sensor", "status", "start", "end", "oblast"}],
     "restrictions": [{"at", "place", "oblast", "by", "reason", "source"}]}

No sensor position or patrol route is in it: a sensor is named by its id and oblast, a
restriction by the place the mission gave (else its coordinates to ~10 m: the place where the
mission was stopped is the mission's own account, not a secret of a sensor).

The hotline's denied access requests count as restrictions (``source`` ``hotline``): a
``response`` whose ``position`` is ``denied`` to a ``request`` of ``topic`` ``access``, at the
time of the denial, by its sender, for its ``reasons``, at the request's ``place``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from ceasefire.coverage.compute import Coverage, compute
from ceasefire.coverage.grid import RESOLUTION, MonitoredArea
from ceasefire.coverage.model import Patrol, Restriction, SensorStatus, read_record

if TYPE_CHECKING:
    from ceasefire.agreement.model import Agreement

#: The leaf kinds the section reads.
SECTION_KINDS = ("sensor_status", "patrol", "restriction", "hotline_message")


def utc_z(moment: datetime) -> str:
    """A time as the report writes it: UTC, seconds, ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _place_text(lon: float, lat: float) -> str:
    return f"{abs(lat):.4f} {'N' if lat >= 0 else 'S'}, {abs(lon):.4f} {'E' if lon >= 0 else 'W'}"


def body_of(kind: str, record: Mapping[str, Any]) -> Mapping[str, Any]:
    """A coverage record as given, from its leaf's record (``{kind: body, "entered_by", ...}``)
    or the body itself."""
    inner = record.get(kind)
    return inner if isinstance(inner, Mapping) else record


def records_of(
    records: Iterable[tuple[str, Mapping[str, Any]]],
) -> tuple[list[SensorStatus], list[Patrol], list[Restriction], list[Mapping[str, Any]]]:
    """The coverage records and hotline messages among leaves, each once (the last leaf of an
    id wins; coverage records are never edited, so there is one)."""
    statuses: dict[str, SensorStatus] = {}
    patrols: dict[str, Patrol] = {}
    restrictions: dict[str, Restriction] = {}
    messages: dict[str, Mapping[str, Any]] = {}
    for kind, record in records:
        if kind == "hotline_message":
            messages[str(record.get("id"))] = record
            continue
        if kind not in ("sensor_status", "patrol", "restriction"):
            continue
        r = read_record(kind, body_of(kind, record), f"{kind} leaf")
        if isinstance(r, SensorStatus):
            statuses[r.id] = r
        elif isinstance(r, Patrol):
            patrols[f"{r.id}/{r.mode}"] = r
        else:
            restrictions[r.id] = r
    return (
        list(statuses.values()),
        list(patrols.values()),
        list(restrictions.values()),
        list(messages.values()),
    )


def denied_access(messages: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The hotline's denied access requests: ``{"at", "by", "reason", "lon", "lat"}`` each."""
    by_id = {str(m.get("id")): m for m in messages}
    out = []
    for m in by_id.values():
        if m.get("kind") != "response" or m.get("position") != "denied":
            continue
        asked = by_id.get(str(m.get("in_reply_to")))
        if asked is None or asked.get("kind") != "request" or asked.get("topic") != "access":
            continue
        place = asked.get("place") or {}
        out.append(
            {
                "at": datetime.fromisoformat(str(m["sent_at"])),
                "by": str(m.get("sender")),
                "reason": str(m.get("reasons") or ""),
                "lon": place.get("lon"),
                "lat": place.get("lat"),
                "request": asked.get("id"),
            }
        )
    return out


def report_section(
    records: Iterable[tuple[str, Mapping[str, Any]]],
    start: datetime,
    end: datetime,
    areas: Agreement | MonitoredArea,
) -> dict[str, Any]:
    """The report contract's ``coverage`` object for ``[start, end)`` (module docstring).

    ``areas`` is the agreement (its monitored area and oblasts:
    :meth:`MonitoredArea.of_agreement`, cached per version) or a :class:`MonitoredArea`.
    ``by_oblast`` lists every oblast of the monitored area, by name, with the share of the
    window its cells were seen (4 places); ``sensors_down`` the down and jammed intervals that
    overlap the window, clipped to it, by start then sensor; ``restrictions`` those of the window,
    the mission's and the hotline's, by time.
    """
    area = areas if isinstance(areas, MonitoredArea) else MonitoredArea.of_agreement(areas)
    statuses, patrols, restrictions, messages = records_of(records)
    coverage = compute(area, statuses, patrols, start, end)
    by_oblast = [
        {"oblast": name, "observed": round(share, 4)}
        for name, share in sorted(coverage.by_oblast().items())
    ]
    down = []
    for s in statuses:
        if s.status == "up" or s.end <= start or s.start >= end:
            continue
        down.append(
            {
                "sensor": s.sensor.id,
                "status": s.status,
                "start": utc_z(max(s.start, start)),
                "end": utc_z(min(s.end, end)),
                "oblast": area.oblast_of(s.sensor.lon, s.sensor.lat),
            }
        )
    down.sort(key=lambda d: (d["start"], d["sensor"], d["end"], d["status"]))
    out_r: list[dict[str, Any]] = []
    for r in restrictions:
        if start <= r.at < end:
            out_r.append(
                {
                    "at": utc_z(r.at),
                    "place": r.place or _place_text(r.lon, r.lat),
                    "oblast": area.oblast_of(r.lon, r.lat),
                    "by": r.by,
                    "reason": r.reason,
                    "source": "restriction",
                }
            )
    for d in denied_access(messages):
        if not start <= d["at"] < end:
            continue
        known = d["lon"] is not None and d["lat"] is not None
        out_r.append(
            {
                "at": utc_z(d["at"]),
                "place": _place_text(d["lon"], d["lat"]) if known else "",
                "oblast": area.oblast_of(d["lon"], d["lat"]) if known else None,
                "by": d["by"],
                "reason": d["reason"],
                "source": "hotline",
            }
        )
    out_r.sort(key=lambda r: (r["at"], r["by"], r["source"], r["place"], r["reason"]))
    return {"by_oblast": by_oblast, "sensors_down": down, "restrictions": out_r}


def cells_geojson(coverage: Coverage) -> dict[str, Any]:
    """Every cell of the monitored area as a GeoJSON feature (RFC 7946): its H3 polygon, its
    oblast and the share of the window it was seen (``observed``, 4 places; 0 for a cell no
    working sensor or patrol reached, which is the point of showing it)."""
    area = coverage.area
    observed = np.zeros(len(area))
    observed[coverage.cells] = coverage.cell_shares()
    features = [
        {
            "type": "Feature",
            "id": str(area.cells[i]),
            "geometry": {"type": "Polygon", "coordinates": [area.polygon(i)]},
            "properties": {
                "cell": str(area.cells[i]),
                "oblast": str(area.oblast[i]),
                "observed": round(float(observed[i]), 4),
            },
        }
        for i in range(len(area))
    ]
    return {
        "type": "FeatureCollection",
        "start": utc_z(coverage.start),
        "end": utc_z(coverage.end),
        "resolution": RESOLUTION,
        "features": features,
    }
