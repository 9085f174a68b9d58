"""Derived figures of tallies: interception and hit rates, per night, as intervals.

A rate of two intervals is itself an interval: ``part / whole`` ranges from ``part.low /
whole.high`` to ``part.high / whole.low`` (capped at 1), so "almost 400 launched, 380 shot
down" gives an interception rate of 0.95 to 1.0, not a made-up 0.95.

- ``interception``: (destroyed + suppressed) / launched, over the lines that publish launched and
  either of those;
- ``hit``: hit / launched, over the lines that publish both;
- ``not_stopped``: (launched - destroyed - suppressed - lost) / launched: what may have hit when
  the bulletin gives hits only as locations.

Each for all drones and for strike drones only (decoys left out: a decoy that is not shot down
hits nothing, so counting it lowers the hit rate of the drones that carry a warhead; the public
analyses of 2025 give 17.8 % against 30.2 % for one month). A tally whose drone line does not
tell strike drones from decoys has no strike-only figures. Missiles are a family of their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from ceasefire.counts import Count
from ceasefire.tallies.model import DRONE_CLASSES, MISSILE_CLASSES, Line, Tally

#: The families rates are given for: name -> the weapon classes of its lines.
FAMILIES: Final[dict[str, tuple[str, ...]]] = {
    "drones": DRONE_CLASSES,
    "strike_drones": ("strike_drone",),
    "missiles": MISSILE_CLASSES,
}


@dataclass(frozen=True)
class Rate:
    """A share known to lie in ``[low, high]``."""

    low: float
    high: float

    def to_json(self) -> dict[str, float]:
        return {"min": round(self.low, 4), "max": round(self.high, 4)}

    def __str__(self) -> str:
        lo, hi = 100 * self.low, 100 * self.high
        return f"{lo:.1f} %" if round(lo, 1) == round(hi, 1) else f"{lo:.1f}-{hi:.1f} %"


def ratio(part: Count | None, whole: Count | None) -> Rate | None:
    """``part / whole`` over both intervals; ``None`` when either is unknown or whole may be 0
    only."""
    if part is None or whole is None or whole.high == 0:
        return None
    low = part.low / whole.high if whole.high is not None else 0.0
    high = 1.0 if part.high is None or whole.low == 0 else min(1.0, part.high / whole.low)
    return Rate(min(low, 1.0), max(high, min(low, 1.0)))


def _lines(tally: Tally, classes: Sequence[str]) -> list[Line] | None:
    lines = [ln for ln in tally.top_lines if ln.weapon_class in classes]
    if classes == FAMILIES["strike_drones"] and any(
        ln.weapon_class == "drone" for ln in tally.top_lines
    ):
        return None  # strike drones and decoys counted together: no strike-only figure
    return lines


def _sum(lines: Iterable[Line], *names: str) -> Count | None:
    return Count.total(Count.total(ln.count(n) for n in names) for ln in lines)


def rates(tally: Tally) -> dict[str, dict[str, Rate | None]]:
    """Per family (:data:`FAMILIES`), the three rates of the module docstring."""
    out: dict[str, dict[str, Rate | None]] = {}
    for family, classes in FAMILIES.items():
        lines = _lines(tally, classes)
        if lines is None:
            out[family] = {"interception": None, "hit": None, "not_stopped": None}
            continue
        stopped = [ln for ln in lines if ln.launched and (ln.destroyed or ln.suppressed)]
        hit = [ln for ln in lines if ln.launched and ln.hit]
        out[family] = {
            "interception": ratio(
                _sum(stopped, "destroyed", "suppressed"), _sum(stopped, "launched")
            ),
            "hit": ratio(_sum(hit, "hit"), _sum(hit, "launched")),
            "not_stopped": _not_stopped(stopped),
        }
    return out


def _not_stopped(lines: Sequence[Line]) -> Rate | None:
    launched = _sum(lines, "launched")
    gone = _sum(lines, "destroyed", "suppressed", "lost")
    if launched is None or gone is None:
        return None
    # launched - gone over both intervals, never below 0.
    most = None if launched.high is None else max(0, launched.high - gone.low)
    least = 0 if gone.high is None else max(0, launched.low - gone.high)
    return ratio(Count(least, most if most is None else max(most, least)), launched)


#: The totals a series row gives per family (a chart of nights draws them as bars).
SERIES_TOTALS: Final = ("launched", "destroyed")


def series(tallies: Iterable[Tally]) -> list[dict[str, Any]]:
    """Per tally, in window order: its window, issuer, scope, launched and destroyed per family
    (:meth:`Tally.total`: sub-counts never added) and rates: the trend over nights, one
    issuer's line per night."""
    rows = []
    for t in sorted(tallies, key=lambda t: (t.window_from, t.issuer, t.id)):
        per = rates(t)
        totals = {
            name: {
                f: (c.to_json() if (c := t.total(name, classes)) else None)
                for f, classes in FAMILIES.items()
                if f != "strike_drones"
            }
            for name in SERIES_TOTALS
        }
        rows.append(
            {
                "tally": t.id,
                "issuer": t.issuer,
                "attacker": t.attacker,
                "scope": t.scope,
                "window_from": t.window_from.isoformat(),
                "window_to": t.window_to.isoformat(),
                **totals,
                "rates": {
                    f: {k: (v.to_json() if v else None) for k, v in r.items()}
                    for f, r in per.items()
                },
            }
        )
    return rows
