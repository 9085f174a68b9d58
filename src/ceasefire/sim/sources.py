"""Reports: what each kind of source files about the true events, with its typical errors.

=========  ==========================================================================
monitors   ``patrol`` / ``uav`` / ``camera``: few, accurate (tens to hundreds of m, minutes)
parties    ``party`` (RU / UA): report what hits them, town- or oblast-level places, tens of
           minutes off, sometimes exaggerate counts and casualties, a few claims are false
sensors    ``sensor`` (acoustic / seismic arrays along the line): many detections per event,
           hundreds of m to a few km off, seconds in time
news       ``osint``: late, oblast-level (or the city named), windows hours wide
=========  ==========================================================================

Each function takes the event columns and returns report columns (``ev`` is the event's row,
-1 for a false claim); :func:`_reports` puts them together in ``observed_from`` order.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt

from ceasefire.sim.config import (
    _DMZ,
    _HOUR,
    _M_PER_DEG,
    _OVER,
    _SHELL,
    _SIGHT,
    _STRIKE,
    EXAGGERATION_P,
    F64,
    INT_MAX,
    MONITOR_SIGMA_M,
    MONITOR_SIGMA_S,
    SENSOR_MEDIAN_ERROR_M,
    Cols,
    SimConfig,
)
from ceasefire.sim.theatre import _Theatre
from ceasefire.vocab import EVENT_TYPES, SOURCE_KINDS, WEAPON_CLASSES

# Monitor detection probability per family (shelling, strike, sighting, dmz, overflight): cameras
# and UAVs watch the line, patrols also visit strike sites; weapon sightings are their core work.
_MONITOR_P: Final[dict[str, tuple[float, ...]]] = {
    "camera": (0.15, 0.05, 0.10, 0.30, 0.20),
    "uav": (0.06, 0.0, 0.50, 0.50, 0.05),
    "patrol": (0.05, 0.15, 0.35, 0.20, 0.10),
}
# Probability that the party hit (or, for sightings and incursions, the other party) reports.
_PARTY_P: Final = (0.55, 0.95, 0.30, 0.50, 0.35)
# Mean number of news items per event (shelling with casualties gets more, below).
_NEWS_RATE: Final = (0.03, 1.8, 0.01, 0.03, 0.03)


def _blank(ev: Cols, idx: npt.NDArray[Any], kind: str, submitter: int) -> Cols:
    """Report columns for events ``idx`` as a perfect observer would file them."""
    m = idx.size
    r: Cols = {
        "ev": idx.astype(np.int64),
        "kind": np.full(m, SOURCE_KINDS.index(kind), np.int8),
        "sub": np.full(m, submitter, np.int8),
        "fid": np.zeros(m, np.int8),
        "place": ev["town"][idx],
        "region": np.full(m, -1, np.int64),
        "claim": ev["perp"][idx].astype(np.int64),
    }
    for k in ("etype", "wclass", "wmodel", "cal", "count", "killed", "injured"):
        r[k] = ev[k][idx].astype(np.int64)
    r["ckilled"], r["cinjured"] = ev["ckilled"][idx], ev["cinjured"][idx]
    # Harm: what was hit, how many people are without supply (plo..phi) and since when.
    r["infra"] = ev["infra"][idx].astype(np.int64)
    r["plo"] = ev["people"][idx].astype(np.int64)
    r["phi"] = r["plo"].copy()
    r["outage"] = ev["t"][idx] + ev["dur"][idx]
    r["lon"], r["lat"] = ev["lon"][idx].copy(), ev["lat"][idx].copy()
    r["t0"] = ev["t"][idx].copy()
    r["t1"] = r["t0"] + ev["dur"][idx]
    return r


def _move(r: Cols, dist: F64, rng: np.random.Generator) -> None:
    """Shift reported positions by ``dist`` metres in a random direction (local flat earth)."""
    a = rng.uniform(0, 2 * np.pi, dist.size)
    r["lat"] = np.clip(r["lat"] + dist * np.sin(a) / _M_PER_DEG, -89.0, 89.0)
    r["lon"] = r["lon"] + dist * np.cos(a) / (_M_PER_DEG * np.cos(np.radians(r["lat"])))


def _set(r: Cols, **values: Any) -> None:
    m = r["ev"].size
    for k, v in values.items():
        r[k] = np.broadcast_to(np.asarray(v), (m,)).astype(
            np.int64 if k not in ("lon", "lat") else np.float64
        )


def _null(r: Cols, mask: npt.NDArray[np.bool_], *keys: str) -> None:
    for k in keys:
        r[k] = np.where(mask, -1, r[k])


def _monitors(th: _Theatre, rng: np.random.Generator, ev: Cols, noise: float) -> list[Cols]:
    out = []
    fam = ev["fam"]
    for kind, probs in _MONITOR_P.items():
        p = np.asarray(probs)[fam]
        if kind != "patrol":  # cameras and UAVs watch the line, strike sites aside
            p = np.where((ev["dist"] > 30_000.0) & (fam != _STRIKE), 0.0, p)
        idx = np.flatnonzero(rng.random(fam.size) < p)
        r = _blank(ev, idx, kind, 0)
        m = idx.size
        sigma = MONITOR_SIGMA_M[kind] * noise
        _move(r, rng.rayleigh(max(sigma, 1e-9), m), rng)
        r["unc"] = np.full(m, max(10, round(2.5 * sigma)), np.int64)
        jitter = np.rint(rng.normal(0, MONITOR_SIGMA_S[kind] * noise, m)).astype(np.int64)
        r["t0"] = r["t0"] + jitter
        r["t1"] = r["t1"] + jitter + rng.integers(0, 120, m)
        if kind == "patrol":  # patrols log to the minute
            r["t0"], r["t1"] = r["t0"] // 60 * 60, -(-r["t1"] // 60) * 60
        precise = 0 if kind == "uav" else 1
        _set(r, pprec=precise, tprec=0 if kind != "patrol" else 1)
        seen = np.isin(fam[idx], (_SIGHT, _DMZ))
        # Fire is heard, not seen: class and model often unknown, counts approximate.
        _null(r, ~seen & (rng.random(m) < 0.5), "wmodel", "cal")
        _null(r, ~seen & (rng.random(m) < 0.15), "wclass", "wmodel", "cal")
        r["count"] = np.where(
            seen, r["count"], np.maximum(1, np.rint(r["count"] * rng.normal(1, 0.1, m)))
        ).astype(np.int64)
        if kind == "camera":  # a camera sees a flash, not a drone or a missile
            strike = fam[idx] == _STRIKE
            r["etype"] = np.where(strike, EVENT_TYPES.index("explosion"), r["etype"])
            _null(r, strike, "wclass", "wmodel", "cal")
        r["claim"] = np.where(seen | (rng.random(m) < 0.2), r["claim"], -1)  # rarely attribute
        if kind != "patrol":  # casualties come from visits to hospitals and sites
            _null(r, np.ones(m, bool), "killed", "injured", "ckilled", "cinjured", "infra")
        _null(r, np.ones(m, bool), "plo", "phi")  # the utility counts who is cut off, not they
        if kind == "uav":
            r["name"] = th.name_base["uav"] + rng.integers(0, 3, m)
        else:
            n_names = int(th.length // th.name_span[kind])
            r["name"] = th.name_base[kind] + np.clip(
                (ev["s"][idx] // th.name_span[kind]).astype(np.int64), 0, n_names
            )
        out.append(r)
    return out


def _sensors(th: _Theatre, rng: np.random.Generator, ev: Cols, noise: float) -> Cols:
    fam, dist = ev["fam"], ev["dist"]
    movement = ev["etype"] == EVENT_TYPES.index("military_movement")
    lam = np.select(
        [fam == _SHELL, fam == _STRIKE, fam == _DMZ, fam == _OVER],
        [
            0.5 + 0.3 * np.minimum(ev["count"], 30),  # each round or salvo can be picked up
            np.where(dist < 40_000.0, 1.0 * ev["count"], 0.0),
            np.where(movement, 0.3, 0.0),
            np.where(dist < 25_000.0, 0.4, 0.0),
        ],
        0.0,
    )
    idx = np.repeat(np.arange(fam.size), rng.poisson(lam))
    m = idx.size
    r = _blank(ev, idx, "sensor", 0)
    # Acoustic location errors are log-normal: median SENSOR_MEDIAN_ERROR_M, 90 % within ~2.2x.
    scale = SENSOR_MEDIAN_ERROR_M * noise
    _move(r, scale * np.exp(rng.normal(0, 0.6, m)), rng)
    r["unc"] = np.maximum(50, np.rint(2.5 * scale * np.exp(rng.normal(0, 0.2, m)))).astype(np.int64)
    t = r["t0"] + (rng.random(m) * ev["dur"][idx]).astype(np.int64)  # one round in the episode
    r["t0"] = t + np.rint(rng.normal(0, 2.0 * noise, m)).astype(np.int64)
    r["t1"] = r["t0"] + rng.integers(0, 4, m)
    _set(r, pprec=1, tprec=0, count=1, claim=-1)
    f = fam[idx]
    explosion = (f == _STRIKE) | ((f == _SHELL) & (rng.random(m) < 0.3))
    r["etype"] = np.where(explosion, EVENT_TYPES.index("explosion"), r["etype"])
    guess = (f == _SHELL) & ~explosion & (rng.random(m) < 0.6)
    # Sensors tell a tube from a rocket only sometimes, and a missile from a drone never.
    unknown = WEAPON_CLASSES.index("unknown")
    r["wclass"] = np.where((f == _SHELL) & ~guess, unknown, r["wclass"])
    r["wclass"] = np.where(f == _STRIKE, -1, r["wclass"])
    _null(r, np.ones(m, bool), "wmodel", "cal", "killed", "injured", "ckilled", "cinjured")
    _null(r, np.ones(m, bool), "infra", "plo", "phi")
    base = np.where(movement[idx], th.name_base["seismic"], th.name_base["acoustic"])
    r["name"] = base + np.clip(
        (ev["s"][idx] // 25_000.0).astype(np.int64), 0, int(th.length // 25_000.0)
    )
    return r


def _exaggerate(r: Cols, rng: np.random.Generator) -> None:
    """Some claims inflate counts and casualties (by 1.5-3x, plus a few)."""
    m = r["ev"].size
    big = rng.random(m) < EXAGGERATION_P
    f = rng.uniform(1.5, 3.0, m)
    r["fid"] = np.where(big & (r["fid"] == 0), 1, r["fid"]).astype(np.int8)
    r["count"] = np.where(big & (r["count"] >= 0), np.ceil(r["count"] * f), r["count"]).astype(
        np.int64
    )
    for k, c in (("killed", "ckilled"), ("injured", "cinjured")):
        extra = np.where(big & (r[k] >= 0), np.ceil(r[k] * (f - 1)) + rng.poisson(1.0, m), 0)
        r[k] = (r[k] + extra).astype(np.int64)
        r[c] = np.where(r[c] >= 0, r[c] + extra, r[c]).astype(np.int64)  # the extra are civilians


def _coarse_place(th: _Theatre, r: Cols, rng: np.random.Generator, region_p: float) -> None:
    """A town-level place (``near``) or the oblast (``region``), as parties report them."""
    m = r["ev"].size
    town = r["place"]
    region = rng.random(m) < region_p
    coslat = np.cos(np.radians(r["lat"]))
    d_town = np.hypot((r["lon"] - th.lon[town]) * coslat, r["lat"] - th.lat[town]) * _M_PER_DEG
    reg = th.region_of[town]
    r["lon"] = np.where(region, th.region_lon[reg], th.lon[town])
    r["lat"] = np.where(region, th.region_lat[reg], th.lat[town])
    town_unc = np.maximum(5000.0, np.ceil(1.5 * d_town / 1000.0) * 1000.0)
    reg_unc = np.maximum(30_000.0, np.ceil(th.region_radius[reg] / 1000.0) * 1000.0)
    r["unc"] = np.where(region, reg_unc, town_unc).astype(np.int64)
    r["pprec"] = np.where(region, 2, 1).astype(np.int64)
    r["region"] = np.where(region, reg, -1)
    r["place"] = np.where(region, -1, town)


def _party_window(r: Cols, rng: np.random.Generator, noise: float) -> None:
    m = r["ev"].size
    centre = r["t0"] + rng.normal(0, 900.0 * noise, m)  # tens of minutes off
    width = rng.uniform(1800.0, 5400.0, m) * min(noise, 1.0)
    t0 = np.floor((centre - width * rng.uniform(0.3, 0.7, m)) / 60.0) * 60.0
    r["t0"] = t0.astype(np.int64)
    r["t1"] = (r["t0"] + np.ceil(width / 60.0) * 60).astype(np.int64)
    r["tprec"] = np.ones(m, np.int64)


def _parties(th: _Theatre, rng: np.random.Generator, ev: Cols, noise: float) -> Cols:
    fam = ev["fam"]
    p = np.asarray(_PARTY_P)[fam]
    n_rep = (rng.random(fam.size) < p) * (1 + (rng.random(fam.size) < 0.25))  # two agencies
    idx = np.repeat(np.arange(fam.size), n_rep)
    m = idx.size
    reporter = 1 - ev["perp"][idx]  # the party hit, or the one watching the other's weapons
    r = _blank(ev, idx, "party", 0)
    r["sub"] = (1 + reporter).astype(np.int8)
    r["name"] = np.where(
        reporter == 0, th.name_base["party0"], th.name_base["party1"]
    ) + rng.integers(0, 3, m)
    _coarse_place(th, r, rng, 0.3)
    _party_window(r, rng, noise)
    _null(r, rng.random(m) < 0.15, "wclass", "wmodel", "cal")
    _null(r, rng.random(m) < 0.4, "wmodel", "cal")
    _exaggerate(r, rng)
    return r


def _news(th: _Theatre, rng: np.random.Generator, ev: Cols, noise: float) -> Cols:
    fam = ev["fam"]
    hurt = (ev["killed"] > 0) | (ev["injured"] > 0)
    lam = np.asarray(_NEWS_RATE)[fam] + np.where((fam == _SHELL) & hurt, 1.2, 0.0)
    idx = np.repeat(np.arange(fam.size), rng.poisson(lam))
    m = idx.size
    r = _blank(ev, idx, "osint", 0)
    voice = 1 - ev["perp"][idx]  # the side hit tells the story
    r["name"] = np.where(voice == 0, th.name_base["news0"], th.name_base["news1"]) + rng.integers(
        0, 4, m
    )
    city = ev["city"][idx]
    reg = th.region_of[r["place"]]
    # The news names the city struck, or else the oblast: either way 30 km or more uncertain.
    r["lon"] = np.where(city >= 0, th.lon[r["place"]], th.region_lon[reg])
    r["lat"] = np.where(city >= 0, th.lat[r["place"]], th.region_lat[reg])
    r["unc"] = np.where(
        city >= 0, 30_000, np.maximum(30_000, np.ceil(th.region_radius[reg] / 1e3) * 1e3)
    ).astype(np.int64)
    r["region"] = np.where(city >= 0, -1, reg)
    r["place"] = np.where(city >= 0, r["place"], -1)
    # "Overnight": a window of hours, opening before the event and closing hours after it.
    t = r["t0"]
    r["t0"] = (np.floor((t - rng.uniform(0, 3 * _HOUR, m) * noise) / 600) * 600).astype(np.int64)
    r["t1"] = (np.ceil((r["t1"] + rng.uniform(1, 4, m) * _HOUR * noise) / 600) * 600).astype(
        np.int64
    )
    r["t1"] = np.maximum(r["t1"], r["t0"])
    _set(r, tprec=2)
    r["pprec"] = np.where(city >= 0, 1, 2).astype(np.int64)  # a named city is town-level
    r["claim"] = np.where(rng.random(m) < 0.9, r["claim"], -1)
    # "Some 8 thousand without power": news rounds the figure outwards to whole thousands.
    known = r["plo"] >= 0
    r["plo"] = np.where(known, np.floor(0.8 * r["plo"] / 1000) * 1000, -1).astype(np.int64)
    r["phi"] = np.where(known, np.ceil(1.2 * r["phi"] / 1000) * 1000, -1).astype(np.int64)
    _null(r, rng.random(m) < 0.3, "wclass", "wmodel", "cal")
    _null(r, rng.random(m) < 0.3, "wmodel", "cal")
    _exaggerate(r, rng)
    return r


def _false_claims(
    th: _Theatre, rng: np.random.Generator, n: int, t0: int, t1: int, noise: float
) -> Cols:
    """Party claims of shelling that never happened (no true event behind them)."""
    reporter = rng.integers(0, 2, n).astype(np.int8)
    x, y = th.place(rng, reporter, 500.0 + rng.exponential(3000.0, n).clip(0, 10_000.0), 0.5)
    lon, lat = th.inv.transform(x, y)
    fake: Cols = {
        "fam": np.zeros(n, np.int8),
        "perp": (1 - reporter).astype(np.int8),
        "town": th.town(x, y, reporter),
        "lon": np.asarray(lon, dtype=np.float64),
        "lat": np.asarray(lat, dtype=np.float64),
        "t": rng.integers(t0, t1, n),
        "dur": np.zeros(n, np.int64),
        "etype": np.full(n, EVENT_TYPES.index("shelling"), np.int64),
        "wclass": rng.choice([WEAPON_CLASSES.index(c) for c in ("artillery", "mortar", "mlrs")], n),
        "wmodel": np.full(n, -1, np.int64),
        "cal": np.full(n, -1, np.int64),
        "count": rng.integers(5, 41, n),
        "killed": rng.poisson(0.3, n),
        "injured": rng.poisson(1.0, n),
    }
    fake["ckilled"], fake["cinjured"] = fake["killed"], fake["injured"]
    fake["infra"], fake["people"] = np.full(n, -1, np.int64), np.full(n, -1, np.int64)
    r = _blank(fake, np.arange(n), "party", 0)
    r["ev"] = np.full(n, -1, np.int64)
    r["sub"] = (1 + reporter).astype(np.int8)
    r["fid"] = np.full(n, 2, np.int8)
    r["name"] = np.where(
        reporter == 0, th.name_base["party0"], th.name_base["party1"]
    ) + rng.integers(0, 3, n)
    _coarse_place(th, r, rng, 0.3)
    _party_window(r, rng, noise)
    return r


def _reports(
    th: _Theatre,
    rng: np.random.Generator,
    ev: Cols,
    config: SimConfig,
    n_false: int,
    t0: int,
    t1: int,
) -> Cols:
    noise = config.noise
    parts = _monitors(th, rng, ev, noise)
    parts += [_sensors(th, rng, ev, noise), _parties(th, rng, ev, noise), _news(th, rng, ev, noise)]
    parts.append(_false_claims(th, rng, n_false, t0, t1, noise))
    r = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    for k in ("count", "killed", "injured", "ckilled", "cinjured"):
        r[k] = np.minimum(r[k], INT_MAX)
    r["cal"] = np.where(r["wclass"] < 0, -1, r["cal"])
    r["wmodel"] = np.where(r["wclass"] < 0, -1, r["wmodel"])
    r["t1"] = np.maximum(r["t1"], r["t0"])
    order = np.argsort(r["t0"], kind="stable")
    return {k: v[order] for k, v in r.items()}
