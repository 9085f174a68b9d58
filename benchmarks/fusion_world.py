"""A second generator of reports, written apart from :mod:`ceasefire.sim`, to judge fusion on data
it was not tuned to.

The simulator and fusion grew up together, so fusion's defaults fit its noise. This world shares
nothing with it but the vocabulary: a straight line of contact (y = 0, the left party at y > 0)
in projected metres, its own event mix and its own sources, each with an identity and its own
noise model:

- location errors that are heavy-tailed: a share ``tail`` of reports is off by a Student-t
  (3 degrees of freedom) multiple of its stated uncertainty, not a Gaussian one;
- a clock offset per source (sd ``skew_s``): every report of a camera is late by the same amount;
- duplicated submissions (share ``duplicates``): the same report filed twice under two ids;
- bursts (share ``bursts`` of events): several events of one kind within a few km and minutes;
- distinct kinds of fire close together (share ``mixed``): a small-arms exchange minutes before
  or after a shelling of the same place;
- parties that place some reports within a few km (share ``party_close``), so they are precise
  enough to anchor; no oblast-level reports.

Each source reports an event at most once (a sensor array hears an episode once), apart from
duplicated submissions. :func:`world` returns plain columns (:class:`World`) and the true event
of each report; ``benchmarks/fusion.py`` turns them into fusion columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

T_START = 1_773_000_000  # seconds since the epoch: a night in March 2026

# Event kinds: (event type, share, mean distance from the line in m, own side?, duration s).
_KINDS: tuple[tuple[str, float, float, bool, float], ...] = (
    ("shelling", 0.50, 3_000.0, False, 360.0),
    ("small_arms", 0.15, 600.0, False, 300.0),
    ("drone_strike", 0.08, 25_000.0, False, 60.0),
    ("missile_strike", 0.04, 40_000.0, False, 30.0),
    ("weapon_sighting", 0.08, 15_000.0, True, 1_800.0),
    ("armed_presence", 0.06, 4_000.0, True, 1_200.0),
    ("military_movement", 0.04, 6_000.0, True, 900.0),
    ("drone_overflight", 0.05, 12_000.0, False, 600.0),
)
_FIRE = ("shelling", "small_arms", "drone_strike", "missile_strike")


@dataclass(frozen=True)
class WorldConfig:
    """One setting of the world."""

    seed: int = 1
    hours: float = 24.0
    length_km: float = 400.0
    events_per_hour: float = 15.0
    noise: float = 1.0
    tail: float = 0.08
    skew_s: float = 60.0
    duplicates: float = 0.03
    bursts: float = 0.15
    mixed: float = 0.1
    party_close: float = 0.4
    sensor_spacing_km: float = 20.0


@dataclass
class World:
    """Reports as plain columns, and the true event of each (a false claim is its own)."""

    ids: list[str]
    x: F64
    y: F64
    t0: I64
    t1: I64
    u: F64
    event_type: list[str]
    source_kind: list[str]
    source_name: list[str]
    submitted_by: list[str]
    claim: list[str | None]
    truth: list[str]
    fire_events: int


def _events(c: WorldConfig, rng: np.random.Generator) -> dict[str, Any]:
    n0 = rng.poisson(c.events_per_hour * c.hours)
    share = np.array([k[1] for k in _KINDS])
    kind = rng.choice(len(_KINDS), n0, p=share / share.sum())
    x = rng.uniform(0, c.length_km * 1_000.0, n0)
    t = rng.uniform(0, c.hours * 3_600.0, n0)
    perp = rng.integers(0, 2, n0)  # 0: the left party (y > 0), 1: the right
    # Bursts: a few more events of the same kind within a few km and half an hour.
    burst = np.flatnonzero(rng.random(n0) < c.bursts)
    extra = rng.integers(1, 4, burst.size)
    src = np.repeat(burst, extra)
    kind = np.concatenate([kind, kind[src]])
    x = np.concatenate([x, x[src] + rng.normal(0, 2_500.0, src.size)])
    t = np.concatenate([t, t[src] + rng.uniform(-1_800.0, 1_800.0, src.size)])
    perp = np.concatenate([perp, perp[src]])
    # Mixed fire: a small-arms exchange 2-10 minutes from a shelling, within a few hundred metres.
    shell = np.flatnonzero(kind == 0)
    pick = shell[rng.random(shell.size) < c.mixed]
    mixed_y = np.zeros(pick.size)
    kind = np.concatenate([kind, np.full(pick.size, 1)])
    x = np.concatenate([x, x[pick] + rng.normal(0, 300.0, pick.size)])
    dt = rng.uniform(120.0, 600.0, pick.size) * rng.choice([-1, 1], pick.size)
    t = np.concatenate([t, t[pick] + dt])
    perp = np.concatenate([perp, perp[pick]])
    n = kind.size
    far = np.array([k[2] for k in _KINDS])[kind]
    own = np.array([k[3] for k in _KINDS])[kind]
    side = np.where(own, perp, 1 - perp)  # where it happens: 0 left (y > 0), 1 right
    dist = rng.exponential(far) + 100.0
    y = np.where(side == 0, dist, -dist)
    y[n - pick.size :] = y[pick] + mixed_y + rng.normal(0, 300.0, pick.size)
    dur = rng.exponential(np.array([k[4] for k in _KINDS])[kind]) + 30.0
    return {"kind": kind, "x": x, "y": y, "t": t, "dur": dur, "perp": perp, "n": n}


class _Out:
    def __init__(self) -> None:
        self.cols: dict[str, list[Any]] = {
            k: [] for k in ("x", "y", "t0", "t1", "u", "type", "kind", "name", "by", "claim", "ev")
        }

    def add(self, **cols: Any) -> None:
        m = len(cols["ev"])
        for k, v in cols.items():
            arr = np.broadcast_to(np.asarray(v, dtype=object), (m,))
            self.cols[k].extend(arr.tolist())


def _error(rng: np.random.Generator, u: F64, noise: float, tail: float) -> tuple[F64, F64]:
    """Location errors for stated uncertainties ``u`` (about a 95 % radius): Gaussian, except a
    share ``tail`` drawn from a Student-t with 3 degrees of freedom (heavy tails)."""
    m = u.size
    sigma = u / 2.45 * noise
    heavy = rng.random(m) < tail
    scale = np.where(heavy, np.abs(rng.standard_t(3, m)) * 1.5 + 1.0, 1.0)
    return rng.normal(0, 1, m) * sigma * scale, rng.normal(0, 1, m) * sigma * scale


def world(c: WorldConfig) -> World:
    """Generate one setting (the same config gives the same world)."""
    rng = np.random.default_rng([c.seed, 20_261_205])
    ev = _events(c, rng)
    n = ev["n"]
    kind, ex, ey, et, dur = ev["kind"], ev["x"], ev["y"], ev["t"], ev["dur"]
    etype = np.array([k[0] for k in _KINDS], dtype=object)[kind]
    fire = np.isin(etype, _FIRE)
    out = _Out()
    parties = ("RU", "UA")

    def window(idx: I64, skew: F64, before: F64, after: F64) -> tuple[I64, I64]:
        t0 = T_START + et[idx] + skew - before
        t1 = T_START + et[idx] + dur[idx] + skew + after
        return np.rint(t0).astype(np.int64), np.rint(np.maximum(t1, t0)).astype(np.int64)

    # Sensor arrays every sensor_spacing_km along both sides: fire within 15 km, heard once.
    spacing = c.sensor_spacing_km * 1_000.0
    ax = np.arange(0.0, c.length_km * 1_000.0 + 1, spacing)
    arrays = [(x, s) for x in ax for s in (4_000.0, -4_000.0)]
    for k, (sx, sy) in enumerate(arrays):
        u_stated = float(rng.uniform(1_000.0, 3_000.0))
        skew = float(rng.normal(0, c.skew_s / 4))
        d = np.hypot(ex - sx, ey - sy)
        p = np.where(etype == "small_arms", 0.35 * (d < 6_000.0), 0.55 * (d < 15_000.0))
        idx = np.flatnonzero(fire & (rng.random(n) < p))
        m = idx.size
        u = np.full(m, u_stated) * np.exp(rng.normal(0, 0.15, m))
        dx, dy = _error(rng, u, c.noise, c.tail)
        t = T_START + et[idx] + rng.random(m) * dur[idx] + skew + rng.normal(0, 3.0, m) * c.noise
        t0 = np.rint(t).astype(np.int64)
        kinds = etype[idx]
        heard = np.where(
            kinds == "small_arms",
            "small_arms",
            np.where((kinds == "shelling") & (rng.random(m) < 0.5), "shelling", "explosion"),
        )
        out.add(
            x=ex[idx] + dx,
            y=ey[idx] + dy,
            t0=t0,
            t1=t0 + rng.integers(0, 6, m),
            u=np.rint(u),
            type=heard,
            kind="sensor",
            name=f"array {k}",
            by="mission",
            claim=None,
            ev=idx,
        )
    # Cameras every 15 km on the line: what happens within 8 km, strikes seen as explosions.
    for k, cx in enumerate(np.arange(0.0, c.length_km * 1_000.0 + 1, 15_000.0)):
        skew = float(rng.normal(0, c.skew_s))
        d = np.hypot(ex - cx, ey)
        watch = ~np.isin(etype, ("weapon_sighting",)) & (d < 8_000.0)
        idx = np.flatnonzero(watch & (rng.random(n) < 0.3))
        m = idx.size
        dx, dy = _error(rng, np.full(m, 800.0), c.noise, c.tail)
        t0, t1 = window(idx, skew, np.zeros(m), rng.uniform(0, 90, m))
        seen = np.where(
            np.isin(etype[idx], ("drone_strike", "missile_strike")), "explosion", etype[idx]
        )
        out.add(
            x=ex[idx] + dx,
            y=ey[idx] + dy,
            t0=t0,
            t1=t1,
            u=800.0,
            type=seen,
            kind="camera",
            name=f"camera {k}",
            by="mission",
            claim=None,
            ev=idx,
        )
    # Patrols: one per 40 km sector, more likely to see weapons and presence than fire.
    for k, px in enumerate(np.arange(0.0, c.length_km * 1_000.0, 40_000.0)):
        skew = float(rng.normal(0, c.skew_s))
        inside = (ex >= px) & (ex < px + 40_000.0)
        p = np.where(fire, 0.12, 0.4)
        idx = np.flatnonzero(inside & (rng.random(n) < p))
        m = idx.size
        u = rng.uniform(250.0, 600.0, m)
        dx, dy = _error(rng, u, c.noise, c.tail)
        t0, t1 = window(idx, skew, rng.uniform(0, 300, m), rng.uniform(0, 600, m))
        t0, t1 = t0 // 300 * 300, -(-t1 // 300) * 300  # patrol logs to five minutes
        out.add(
            x=ex[idx] + dx,
            y=ey[idx] + dy,
            t0=t0,
            t1=t1,
            u=np.rint(u),
            type=etype[idx],
            kind="patrol",
            name=f"patrol {k}",
            by="mission",
            claim=None,
            ev=idx,
        )
    # Parties: the side hit (or watching) reports; some within a few km, most to a town.
    for party in (0, 1):
        watching = ev["perp"] != party  # the party hit, or watching the other's weapons
        for agency in range(3):
            skew = float(rng.normal(0, c.skew_s * 3))
            idx = np.flatnonzero(watching & (rng.random(n) < 0.25))
            m = idx.size
            close = rng.random(m) < c.party_close
            u = np.where(
                close, rng.choice([2_000.0, 3_000.0, 4_000.0], m), rng.uniform(6e3, 15e3, m)
            )
            dx, dy = _error(rng, np.where(close, u, u / 2), c.noise, c.tail)
            centre = rng.normal(0, 600.0 * c.noise, m) + skew
            width = rng.uniform(1_200.0, 3_600.0, m)
            t0, t1 = window(idx, centre, width / 2, width / 2 - dur[idx])
            said = etype[idx].copy()
            swap = (rng.random(m) < 0.05) & np.isin(said, ("shelling", "small_arms"))
            said[swap] = np.where(said[swap] == "shelling", "small_arms", "shelling")
            out.add(
                x=ex[idx] + dx,
                y=ey[idx] + dy,
                t0=t0,
                t1=np.maximum(t1, t0 + 600),
                u=np.rint(u),
                type=said,
                kind="party",
                name=f"{parties[party]} agency {agency}",
                by=parties[party],
                claim=parties[1 - party],
                ev=idx,
            )
    # False claims: shelling that never happened, by a party, to a town.
    n_false = rng.poisson(0.03 * n)
    fx = rng.uniform(0, c.length_km * 1_000.0, n_false)
    who = rng.integers(0, 2, n_false)
    fy = np.where(who == 0, 1, -1) * rng.exponential(3_000.0, n_false)
    ft = T_START + rng.uniform(0, c.hours * 3_600.0, n_false)
    fu = np.full(n_false, 8_000.0)
    out.add(
        x=fx,
        y=fy,
        t0=ft.astype(np.int64),
        t1=ft.astype(np.int64) + 1_800,
        u=fu,
        type="shelling",
        kind="party",
        name=np.array([f"{parties[w]} agency 0" for w in who.tolist()], dtype=object),
        by=np.array(parties, dtype=object)[who],
        claim=np.array(parties, dtype=object)[1 - who],
        ev=-1 - np.arange(n_false),
    )
    cols = out.cols
    m = len(cols["ev"])
    dup = np.flatnonzero(rng.random(m) < c.duplicates)
    order = np.concatenate([np.arange(m), dup])
    ids = [f"w{c.seed}-{i:06d}" for i in range(order.size)]
    ev_of = np.asarray(cols["ev"], dtype=np.int64)[order]
    truth = [f"e{e}" if e >= 0 else f"false{e}" for e in ev_of.tolist()]

    def take(name: str) -> list[Any]:
        values = cols[name]
        return [values[i] for i in order.tolist()]

    return World(
        ids=ids,
        x=np.asarray(take("x"), dtype=np.float64),
        y=np.asarray(take("y"), dtype=np.float64),
        t0=np.asarray(take("t0"), dtype=np.int64),
        t1=np.asarray(take("t1"), dtype=np.int64),
        u=np.asarray(take("u"), dtype=np.float64),
        event_type=take("type"),
        source_kind=take("kind"),
        source_name=take("name"),
        submitted_by=take("by"),
        claim=take("claim"),
        truth=truth,
        fire_events=int(fire.sum()),
    )
