"""The demo's coverage: what the mission could see around the simulated night.

Ten sensors along the demo line (cameras looking across the line in a 100-degree sector out to
7 km, acoustic sensors hearing a ring of 8 km), 2 km back from the line, alternately on either
side; each reports its status over two reporting days from 07:00 UTC on the night's day. Two
are not working for part of the night: ``CAM-04`` is down from 20:00 to 02:00 and ``ACU-06``
jammed from 22:30 to 04:00. A patrol drives along the line on the morning of the night's day
(its track, timed, seeing 2 km either side) and plans a route for the next day; the same patrol
is turned back at a checkpoint (a restriction of movement). The hotline's denied access request
(:mod:`ceasefire.sim.demo_hotline`) adds a second restriction on its own.

Positions and times are the project's own, along its approximate demo line; no real camera
or patrol is meant.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final

from pyproj import Geod

from ceasefire.agreement.model import Agreement
from ceasefire.coverage.model import CoverageRecord, read_line

_GEOD: Final = Geod(ellps="WGS84")
#: Where along the line (its share of the length from the first vertex) each sensor stands:
#: past the state-border stretch, on the front from Kharkiv oblast to the Dnipro.
_ALONG: Final = (0.36, 0.42, 0.48, 0.54, 0.6, 0.66, 0.72, 0.78, 0.84, 0.9)
#: Sensors not working for part of the night: (sensor, status, from, to) in hours from the
#: night's start (18:00 UTC).
_OUTAGES: Final = (("CAM-04", "down", 2.0, 8.0), ("ACU-06", "jammed", 4.5, 10.0))


def _z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _on_line(agreement: Agreement, share: float) -> tuple[float, float, float]:
    """A point of the line and the line's forward azimuth there (degrees)."""
    line = agreement.line
    p = line.interpolate(share, normalized=True)
    q = line.interpolate(min(share + 0.002, 1.0), normalized=True)
    az, _, _ = _GEOD.inv(p.x, p.y, q.x, q.y)
    return float(p.x), float(p.y), float(az)


def _sensors(agreement: Agreement) -> list[dict[str, Any]]:
    out = []
    for n, share in enumerate(_ALONG, start=1):
        lon, lat, az = _on_line(agreement, share)
        side = 90.0 if n % 2 else -90.0  # right of the line, then left
        slon, slat, _ = _GEOD.fwd(lon, lat, az + side, 2_000.0)
        if n % 3 == 0:
            sid = f"ACU-{n:02d}"
            footprint: dict[str, Any] = {"shape": "ring", "range_m": 8_000.0}
        else:
            sid = f"CAM-{n:02d}"
            across = (az - side) % 360.0  # looking back across the line
            footprint = {"shape": "sector", "range_m": 7_000.0,
                         "bearing_from": round((across - 50.0) % 360.0, 1),
                         "bearing_to": round((across + 50.0) % 360.0, 1)}  # fmt: skip
        kind = "acoustic" if sid.startswith("ACU") else "camera"
        out.append({"id": sid, "kind": kind, "lon": round(slon, 5), "lat": round(slat, 5),
                    "footprint": footprint})  # fmt: skip
    return out


def demo_coverage(agreement: Agreement, night_start: datetime) -> list[CoverageRecord]:
    """The demo's sensor status, patrol and restriction records (module docstring)."""
    day = night_start.replace(hour=7, minute=0, second=0, microsecond=0)
    end = day + timedelta(days=2)
    lines: list[dict[str, Any]] = []
    for sensor in _sensors(agreement):
        cuts = [(day, "up")]
        for sid, status, a, b in _OUTAGES:
            if sid == sensor["id"]:
                cuts += [(night_start + timedelta(hours=a), status),
                         (night_start + timedelta(hours=b), "up")]  # fmt: skip
        bounds = [t for t, _ in cuts[1:]] + [end]
        for (t0, status), t1 in zip(cuts, bounds, strict=True):
            lines.append({"kind": "sensor_status", "id": f"{sensor['id']}@{_z(t0)}",
                          "sensor": sensor, "status": status, "start": _z(t0), "end": _z(t1)})  # fmt: skip
    # The morning patrol: along the line 3 km on its right, from 0.50 to 0.56 of its length.
    track = []
    for k in range(7):
        lon, lat, az = _on_line(agreement, 0.50 + 0.01 * k)
        plon, plat, _ = _GEOD.fwd(lon, lat, az + 90.0, 3_000.0)
        at = day + timedelta(hours=1, minutes=30 * k)
        track.append({"lon": round(plon, 5), "lat": round(plat, 5), "at": _z(at)})
    patrol = {"kind": "patrol", "id": "P-01", "width_m": 2_000.0, "start": track[0]["at"],
              "end": track[-1]["at"]}  # fmt: skip
    lines.append({**patrol, "mode": "actual", "route": track})
    tomorrow = [{"lon": p["lon"], "lat": p["lat"]} for p in track]
    lines.append({**patrol, "mode": "planned", "route": tomorrow,
                  "start": _z(day + timedelta(days=1, hours=1)),
                  "end": _z(day + timedelta(days=1, hours=4))})  # fmt: skip
    stop = track[-1]
    lines.append({"kind": "restriction", "id": "R-01", "at": _z(day + timedelta(hours=4, minutes=10)),
                  "lon": stop["lon"], "lat": stop["lat"], "by": "UA", "patrol": "P-01",
                  "place": "checkpoint on the road along the line (demo)",
                  "reason": "The road ahead is under fire; the patrol was turned back."})  # fmt: skip
    return [read_line(x, "demo coverage") for x in lines]
