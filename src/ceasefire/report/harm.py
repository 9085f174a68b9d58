"""The daily report's strikes and harm: each attack's accounts set side by side, and the
casualties, infrastructure and people affected of the day's incidents.

Strikes come from the tallies of the checkpoint (:mod:`ceasefire.tallies`), reconciled as
everywhere else; harm is the access policy's roll-up (:meth:`ceasefire.publish.visibility.
Viewer.harm`), so a tier reads the harm it may read and no more.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from ceasefire.agreement.reporting import ReportingDay
from ceasefire.counts import Count
from ceasefire.publish.visibility import Viewer
from ceasefire.records import StoredIncident
from ceasefire.report.records import Replayed
from ceasefire.report.scope import PUBLIC_TIER, utc_text
from ceasefire.tallies.model import read_tally
from ceasefire.tallies.reconcile import Attack, reconcile

#: The families an account's figures are given for (:data:`ceasefire.tallies.reconcile.ACCOUNT_FAMILIES`).
_FAMILIES: Final = ("all", "drones", "missiles")


def _range(value: Any) -> dict[str, int | None]:
    """A count as ``{"low", "best", "high"}``: an exact number is all three; an interval
    (:class:`~ceasefire.counts.Count` JSON, ``min``/``max``) has no best (None), nor a
    high when unbounded; an estimate's missing parts are 0."""
    if value is None:
        return {"low": 0, "best": 0, "high": 0}
    if isinstance(value, int):
        return {"low": value, "best": value, "high": value}
    if "best" in value:
        return {k: int(value.get(k) or 0) for k in ("low", "best", "high")}
    low, high = value.get("low", value.get("min")), value.get("high", value.get("max"))
    return {"low": low, "best": low if low == high else None, "high": high}


def _account(attack: Attack, issuer: str) -> dict[str, Any]:
    tally = attack.accounts[issuer]
    figures = attack.figures(tally)
    row: dict[str, Any] = {"issuer": issuer, "tally": tally.id}
    for name in ("launched", "destroyed", "hit"):
        row[name] = {f: _json(figures.get(f"{f}.{name}")) for f in _FAMILIES}
    count = _json(tally.regions_count)
    row["regions"] = count if count is not None else len(tally.regions)
    return row


def _json(value: Count | None) -> int | dict[str, int | None] | None:
    """A tally's figure: a number, or an interval as ``{"low", "best": None, "high"}``."""
    if value is None:
        return None
    return value.low if value.is_exact else {"low": value.low, "best": None, "high": value.high}


def strikes_section(
    replayed: Replayed, tier: str, span: tuple[datetime, datetime]
) -> list[dict[str, Any]]:
    """Each attack whose tallies' window starts in the day: every issuer's account and the
    figures on which any two accounts do not meet. The public reads no tallies."""
    if tier == PUBLIC_TIER or not replayed.tallies:
        return []
    tallies = [read_tally(t, where="tally leaf") for t in replayed.tallies]
    out = []
    for attack in reconcile(tallies):
        if not span[0] <= attack.window_from < span[1]:
            continue
        differing: dict[str, dict[str, Any]] = {}
        for d in attack.differences:
            if d.agrees:
                continue
            values = differing.setdefault(d.figure, {})
            values[d.a], values[d.b] = _json(d.a_value), _json(d.b_value)
        out.append(
            {
                "attack": attack.attacker,
                "window": {
                    "start": utc_text(attack.window_from),
                    "end": utc_text(attack.window_to),
                },
                "accounts": [_account(attack, i) for i in sorted(attack.accounts)],
                "differences": [
                    {"field": _field(f), "values": dict(sorted(v.items()))}
                    for f, v in sorted(differing.items(), key=lambda kv: _field(kv[0]))
                ],
            }
        )
    return sorted(out, key=lambda s: (s["window"]["start"], s["attack"]))


def _field(figure: str) -> str:
    """``drones.launched`` as the contract names it: ``launched.drones``."""
    family, _, name = figure.partition(".")
    return f"{name}.{family}" if family in _FAMILIES and name else figure


def harm_section(
    viewer: Viewer, incidents: Sequence[StoredIncident], reporting: ReportingDay
) -> dict[str, Any]:
    rolled = viewer.harm(incidents, by="oblast", reporting=reporting)
    total = rolled["total"]
    shown = [v for v in viewer.incidents(incidents) if v is not None]
    utilities: dict[str | None, set[str]] = {}
    for v in shown:
        for u in (v.get("harm") or {}).get("utilities") or ():
            utilities.setdefault(v.get("oblast"), set()).add(u)
    people = []
    for group in rolled["groups"]:
        if group.get("people_affected") is None:
            continue
        without = sorted(utilities.get(group["key"], ()))
        people.append(
            {
                "oblast": group["key"],
                "what": "without " + ", ".join(without) if without else "affected",
                "count": _range(group["people_affected"]),
            }
        )
    return {
        "killed": _range(total["killed"]),
        "injured": _range(total["injured"]),
        "by_oblast": [
            {"oblast": g["key"], "killed": _range(g["killed"]), "injured": _range(g["injured"])}
            for g in rolled["groups"]
            if any(g[k].get("best") or g[k].get("high") for k in ("killed", "injured"))
        ],
        "infrastructure": [
            {"category": c, "count": n} for c, n in sorted(total["infrastructure"].items())
        ],
        "people_affected": people,
    }
