"""True events: the weapons each party fields, and what really happened in one chunk of a night.

An event belongs to a family (:data:`~ceasefire.sim.config.FAMILIES`): shelling lands a few
km across the line from the gun; deep strikes hit named cities of the other side; weapon
sightings sit inside the withdrawal zone that bars that weapon on its owner's side; incursions
lie inside the DMZ; drones fly up to 40 km over the other side. Zone widths come from the
agreement (:class:`~ceasefire.sim.theatre._Bands`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from ceasefire.errors import InputError, Problem
from ceasefire.sim.config import (
    _DMZ,
    _OVER,
    _SHELL,
    _SIGHT,
    _STRIKE,
    I64,
    INT_MAX,
    PARTIES,
    Cols,
)
from ceasefire.sim.theatre import _Bands, _Theatre
from ceasefire.vocab import EVENT_TYPES, INFRASTRUCTURE, WEAPON_CLASSES

#: Weapon models: (model, weapon class, calibre in mm or None).
MODELS: Final = (
    ("2S19 Msta-S", "artillery", 152),
    ("2A65 Msta-B", "artillery", 152),
    ("D-30", "artillery", 122),
    ("2S1 Gvozdika", "artillery", 122),
    ("2B11 Sani", "mortar", 120),
    ("2B14 Podnos", "mortar", 82),
    ("BM-21 Grad", "mlrs", 122),
    ("BM-27 Uragan", "heavy_mlrs", 220),
    ("M777", "artillery", 155),
    ("2S3 Akatsiya", "artillery", 152),
    ("M119", "artillery", 105),
    ("M120", "mortar", 120),
    ("RM-70 Vampire", "mlrs", 122),
    ("Shahed-136", "long_range_drone", None),
    ("Iskander-M", "ballistic_missile", None),
    ("Kh-101", "cruise_missile", None),
    ("Kh-59", "cruise_missile", None),
    ("Liutyi", "long_range_drone", None),
    ("UJ-22 Airborne", "long_range_drone", None),
    ("Storm Shadow", "cruise_missile", None),
    ("ATACMS", "tactical_missile", None),
    ("BM-30 Smerch", "heavy_mlrs", 300),
    ("M142 HIMARS", "heavy_mlrs", 227),
    ("Tochka-U", "tactical_missile", None),
    ("T-72B3", "tank", 125),
    ("T-64BV", "tank", 125),
    ("BMP-2", "armoured_vehicle", 30),
    ("BTR-82A", "armoured_vehicle", 30),
    ("M113", "armoured_vehicle", None),
    # The vocabulary has no reconnaissance-drone class; long_range_drone is the nearest.
    ("Orlan-10", "long_range_drone", None),
    ("ZALA 421-16", "long_range_drone", None),
    ("Leleka-100", "long_range_drone", None),
    ("Furia", "long_range_drone", None),
)
_MODEL = {m[0]: i for i, m in enumerate(MODELS)}

# What each party fires, per family: (event type, weapon class, model or None, weight).
_Arsenal = tuple[tuple[str, str, str | None, float], ...]


def _arsenal(etype: str, *entries: tuple[str, float]) -> _Arsenal:
    return tuple((etype, MODELS[_MODEL[m]][1], m, w) for m, w in entries)


_PRESENCE: Final[_Arsenal] = (("armed_presence", "small_arms", None, 3.0),)
_WEAPONS: Final[dict[tuple[int, int], _Arsenal]] = {
    (_SHELL, 0): _arsenal(
        "shelling",
        *[("2S19 Msta-S", 3), ("2A65 Msta-B", 2), ("D-30", 3), ("2S1 Gvozdika", 2)],
        *[("2B11 Sani", 3), ("2B14 Podnos", 2), ("BM-21 Grad", 2), ("BM-27 Uragan", 0.5)],
    ),
    (_SHELL, 1): _arsenal(
        "shelling",
        *[("M777", 2), ("2S3 Akatsiya", 2), ("D-30", 3), ("M119", 1)],
        *[("M120", 3), ("2B14 Podnos", 2), ("BM-21 Grad", 2), ("RM-70 Vampire", 1)],
    ),
    (_STRIKE, 0): _arsenal("drone_strike", ("Shahed-136", 6))
    + _arsenal("missile_strike", ("Iskander-M", 1.5), ("Kh-101", 1), ("Kh-59", 0.5)),
    (_STRIKE, 1): _arsenal("drone_strike", ("Liutyi", 4), ("UJ-22 Airborne", 2))
    + _arsenal("missile_strike", ("Storm Shadow", 0.7), ("ATACMS", 0.5)),
    (_SIGHT, 0): _arsenal(
        "weapon_sighting",
        *[("2S19 Msta-S", 3), ("D-30", 3), ("2A65 Msta-B", 2), ("BM-21 Grad", 2)],
        *[("BM-27 Uragan", 1), ("BM-30 Smerch", 0.5), ("Tochka-U", 0.5)],
    ),
    (_SIGHT, 1): _arsenal(
        "weapon_sighting",
        *[("M777", 3), ("2S3 Akatsiya", 2), ("D-30", 3), ("BM-21 Grad", 2)],
        *[("RM-70 Vampire", 1), ("M142 HIMARS", 0.5), ("Tochka-U", 0.5)],
    ),
    (_DMZ, 0): _PRESENCE
    + _arsenal("military_movement", ("BMP-2", 1.5), ("BTR-82A", 1), ("T-72B3", 0.7)),
    (_DMZ, 1): _PRESENCE
    + _arsenal("military_movement", ("BMP-2", 1), ("M113", 1), ("T-64BV", 0.7)),
    (_OVER, 0): _arsenal("drone_overflight", ("Orlan-10", 3), ("ZALA 421-16", 2)),
    (_OVER, 1): _arsenal("drone_overflight", ("Leleka-100", 3), ("Furia", 2)),
}

# Monitor detection probability per family (shelling, strike, sighting, dmz, overflight): cameras
# and UAVs watch the line, patrols also visit strike sites; weapon sightings are their core work.


@dataclass
class _Chunk:
    seed: int
    first_event: int  # global number of the chunk's first event
    first_report: int
    events: Cols
    reports: Cols
    theatre: _Theatre
    report_ids: list[str] | None = None


def _choose(rng: np.random.Generator, arsenal: _Arsenal, m: int) -> npt.NDArray[np.intp]:
    w = np.array([a[3] for a in arsenal])
    return rng.choice(len(arsenal), size=m, p=w / w.sum())


def _calibre(model: str | None) -> int | None:
    return None if model is None else MODELS[_MODEL[model]][2]


def _barred(arsenal: _Arsenal, bands: _Bands, party: int) -> _Arsenal:
    """The part of ``arsenal`` the agreement bars near the line on ``party``'s side."""
    out = tuple(a for a in arsenal if bands.barred_m(a[1], _calibre(a[2]), party) > 0)
    if not out:
        raise InputError(
            Problem(
                "simulation",
                "agreement",
                f"no withdrawal zone bars a weapon {PARTIES[party]} fields; "
                "weapon sightings need one on each side",
            )
        )
    return out


def _check_bands(bands: _Bands) -> None:
    """Refuse zones that leave a party no weapon to be sighted (before any output is opened)."""
    for party in (0, 1):
        _barred(_WEAPONS[(_SIGHT, party)], bands, party)


def _make_events(
    th: _Theatre, bands: _Bands, rng: np.random.Generator, counts: I64, t0: int, t1: int
) -> Cols:
    fam = np.repeat(np.arange(5, dtype=np.int8), counts)
    n = fam.size
    u = rng.random(n)
    perp = np.where(fam == _STRIKE, u >= 0.8, np.where(fam == _OVER, u >= 0.6, u >= 0.62))
    perp = perp.astype(np.int8)
    own = (fam == _SIGHT) | (fam == _DMZ)  # weapons and incursions: the holder's own side
    side = np.where(own, perp, 1 - perp).astype(np.int8)
    ev: Cols = {
        "fam": fam,
        "perp": perp,
        "side": side,
        "etype": np.zeros(n, np.int8),
        "wclass": np.full(n, -1, np.int8),
        "wmodel": np.full(n, -1, np.int16),
        "cal": np.full(n, -1, np.int64),
    }
    reach = np.zeros(n)  # how far from the line a sighted weapon is barred (m)
    for (f, p), arsenal in _WEAPONS.items():
        if f == _SIGHT:  # only what the agreement bars near the line is a violation
            arsenal = _barred(arsenal, bands, p)
        sel = np.flatnonzero((fam == f) & (perp == p))
        pick = _choose(rng, arsenal, sel.size)
        if f == _SIGHT:
            widths = [bands.barred_m(a[1], _calibre(a[2]), p) for a in arsenal]
            reach[sel] = np.array(widths)[pick]
        ev["etype"][sel] = np.array([EVENT_TYPES.index(a[0]) for a in arsenal])[pick]
        ev["wclass"][sel] = np.array([WEAPON_CLASSES.index(a[1]) for a in arsenal])[pick]
        models = [-1 if a[2] is None else _MODEL[a[2]] for a in arsenal]
        ev["wmodel"][sel] = np.array(models)[pick]
        cals = [_calibre(a[2]) or -1 for a in arsenal]
        ev["cal"][sel] = np.array(cals)[pick]
    wclass = np.array(WEAPON_CLASSES)[ev["wclass"]]

    # Where: shelling lands a few km across the line from the gun; weapons sit inside the zone
    # that bars them on their owner's side; incursions inside the DMZ; drones fly up to 40 km
    # over the other side. Sightings keep 2 km from the line and 1 km from the zone's edge, and
    # incursions 300 m and 500 m, or a quarter of a narrower zone: inside with a margin for the
    # projection (< 0.2 %, 140 m at 70 km).
    d = np.where(fam == _SHELL, np.minimum(300.0 + rng.exponential(2500.0, n), 12_000.0), 0.0)
    lo, margin = np.minimum(2000.0, reach / 4), np.minimum(1000.0, reach / 4)
    d = np.where(fam == _SIGHT, lo + rng.random(n) * (reach - lo - margin), d)
    dmz = np.asarray(bands.dmz_m)[side]
    lo, margin = np.minimum(300.0, dmz / 4), np.minimum(500.0, dmz / 4)
    d = np.where(fam == _DMZ, rng.uniform(lo, dmz - margin, n), d)
    d = np.where(fam == _OVER, rng.uniform(500.0, 40_000.0, n), d)
    x, y = np.zeros(n), np.zeros(n)
    for f, hot in ((_SHELL, 0.5), (_SIGHT, 0.0), (_DMZ, 0.2), (_OVER, 0.2)):
        sel = np.flatnonzero(fam == f)
        x[sel], y[sel] = th.place(rng, side[sel], d[sel], hot)
    sel = np.flatnonzero(fam == _STRIKE)
    city = np.full(n, -1, np.int64)
    for p in (0, 1):  # a party strikes the other's cities
        mine = sel[perp[sel] == p]
        cand = np.flatnonzero(th.city_side != p)
        w = th.city_weight[cand]
        city[mine] = cand[rng.choice(cand.size, size=mine.size, p=w / w.sum())]
    c = city[sel]
    r = np.minimum(np.abs(rng.normal(0, 1, sel.size)), 3.0) * th.city_sigma[c]
    a = rng.uniform(0, 2 * np.pi, sel.size)
    x[sel] = th.xy[th.city[c], 0] + r * np.cos(a)
    y[sel] = th.xy[th.city[c], 1] + r * np.sin(a)
    side[sel] = th.city_side[c]
    ev["lon"], ev["lat"] = (np.asarray(v, dtype=np.float64) for v in th.inv.transform(x, y))
    _, ev["dist"], ev["s"] = th.side_of(x, y)
    ev["town"] = th.town(x, y, side)
    ev["town"][sel] = th.city[c]
    ev["region"] = th.region_of[ev["town"]]
    ev["city"] = city

    # When, how many, who was hurt.
    ev["t"] = rng.integers(t0, t1, n)
    dur = np.exp(rng.normal(np.log(240.0), 1.0, n)).clip(20, 3600)  # shelling episodes
    dur = np.where(fam == _STRIKE, rng.uniform(10, 600, n), dur)
    dur = np.where(fam == _SIGHT, rng.uniform(60, 900, n), dur)
    dur = np.where(fam == _DMZ, rng.uniform(600, 3600, n), dur)
    dur = np.where(fam == _OVER, rng.uniform(120, 1800, n), dur)
    ev["dur"] = dur.astype(np.int64)
    tube = rng.geometric(0.12, n)
    rockets = rng.integers(6, 41, n)
    count = np.where(np.isin(wclass, ("mlrs", "heavy_mlrs")), rockets, tube)
    missile = np.isin(wclass, ("cruise_missile", "ballistic_missile", "tactical_missile"))
    count = np.where(
        fam == _STRIKE, np.where(missile, rng.geometric(0.6, n), rng.geometric(0.35, n)), count
    )
    count = np.where(fam == _SIGHT, rng.integers(1, 7, n), count)
    people = ev["etype"] == EVENT_TYPES.index("armed_presence")
    count = np.where(
        fam == _DMZ, np.where(people, rng.integers(3, 25, n), rng.integers(1, 6, n)), count
    )
    count = np.where(fam == _OVER, 1 + (rng.random(n) < 0.2), count)
    ev["count"] = np.minimum(count, INT_MAX).astype(np.int64)
    kinetic = (fam == _SHELL) | (fam == _STRIKE)
    killed = np.where(fam == _STRIKE, rng.poisson(0.6, n), rng.poisson(0.04, n))
    injured = np.where(fam == _STRIKE, rng.poisson(2.5, n), rng.poisson(0.2, n))
    civ_share = np.where(fam == _STRIKE, 0.9, 0.6)
    ev["killed"] = np.where(kinetic, killed, -1)
    ev["injured"] = np.where(kinetic, injured, -1)
    ev["ckilled"] = np.where(kinetic, rng.binomial(killed, civ_share), -1)
    ev["cinjured"] = np.where(kinetic, rng.binomial(injured, civ_share), -1)
    _harm(ev, fam, rng)
    order = np.argsort(ev["t"], kind="stable")
    return {k: v[order] for k, v in ev.items()}


#: What a strike that hits something hits (categories of ceasefire.vocab.INFRASTRUCTURE) and how
#: often: the grid most of all in a winter campaign, then homes. Energy, heating and water leave
#: people without supply (``people``: how many; log-normal, median 8,000, a city district, and
#: 9 in 10 under 20,000).
_HIT: Final = (("energy", 0.35), ("residential", 0.3), ("heating", 0.1), ("water", 0.08),
               ("rail", 0.07), ("port", 0.05), ("industrial", 0.05))  # fmt: skip
_SUPPLY: Final = ("energy", "heating", "water")
#: The share of strikes that hit something of :data:`_HIT`.
_HIT_P: Final = 0.45


def _harm(ev: Cols, fam: npt.NDArray[np.int8], rng: np.random.Generator) -> None:
    """``infra`` (a category code, -1 none) and ``people`` (affected, -1 none) of each event.

    Drawn from a stream of their own (``spawn`` draws nothing from ``rng``), so every other
    column is what the same seed gave before harm was simulated."""
    (own,) = rng.spawn(1)
    n = fam.size
    hit = (fam == _STRIKE) & (own.random(n) < _HIT_P)
    weights = np.array([w for _, w in _HIT])
    codes = np.array([INFRASTRUCTURE.index(c) for c, _ in _HIT], dtype=np.int64)
    infra = codes[own.choice(len(_HIT), size=n, p=weights / weights.sum())]
    ev["infra"] = np.where(hit, infra, -1).astype(np.int64)
    supply = np.isin(ev["infra"], [INFRASTRUCTURE.index(c) for c in _SUPPLY])
    people = np.rint(np.exp(own.normal(np.log(8_000.0), 0.7, n)) / 100) * 100
    ev["people"] = np.where(supply, np.maximum(people, 100), -1).astype(np.int64)
