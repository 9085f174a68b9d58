"""Reconciliation: each account of an attack set beside the others and the mission's record.

An attack is the national tallies of one attacker whose windows overlap (a night's bulletin of
the party attacked, the attacker's own statement, the mission's count). For it:

- each issuer's *account*: totals per family (all weapons, drones, missiles) of every count,
  sub-counts never added (:meth:`Tally.total`), with locations, regions and casualties;
- *differences*: for each pair of issuers and each figure both publish, how far apart they are
  at the least and at the most (over their intervals); a pair whose intervals meet agrees;
- *the record*: the mission's strike incidents of the attacker in the window (:class:`Strike`,
  built by the caller from incidents it may see), counted by oblast, against each account's
  regions (named in both, only in the account, only in the record) and locations hit.

Only the latest version of each tally counts (a tally another of its issuer supersedes is left
out), and only national tallies are set against each other: a regional command's count is part
of a national one, and adding or comparing the two would count its weapons twice.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import combinations
from typing import Any, Final

from ceasefire.counts import Count
from ceasefire.tallies.model import DRONE_CLASSES, LINE_COUNTS, MISSILE_CLASSES, Tally

#: The families of an account's totals (``all``: every top line).
ACCOUNT_FAMILIES: Final[dict[str, tuple[str, ...] | None]] = {
    "all": None,
    "drones": DRONE_CLASSES,
    "missiles": MISSILE_CLASSES,
}
#: Figures of a tally outside its lines, compared as they are.
TALLY_FIGURES: Final = ("locations_hit", "locations_debris", "regions_count", "killed", "injured")


@dataclass(frozen=True)
class Strike:
    """A strike incident the mission recorded: where (oblast), when, whose."""

    incident: str
    oblast: str | None
    at: datetime
    perpetrator: str | None


@dataclass(frozen=True)
class Difference:
    """Two accounts of one figure: ``a - b`` lies in ``[least, most]`` (``None``: unbounded)."""

    figure: str
    a: str
    b: str
    a_value: Count
    b_value: Count
    least: int | None
    most: int | None

    @property
    def agrees(self) -> bool:
        return (self.least is None or self.least <= 0) and (self.most is None or self.most >= 0)

    @property
    def size(self) -> int:
        """How far apart at the least (0 when the intervals meet)."""
        if self.agrees:
            return 0
        if self.least is not None and self.least > 0:
            return self.least
        assert self.most is not None
        return -self.most

    def to_dict(self) -> dict[str, Any]:
        return {
            "figure": self.figure,
            "a": self.a,
            "b": self.b,
            "a_value": self.a_value.to_json(),
            "b_value": self.b_value.to_json(),
            "least": self.least,
            "most": self.most,
            "agrees": self.agrees,
            "size": self.size,
        }


def difference(figure: str, a: str, av: Count, b: str, bv: Count) -> Difference:
    least = None if bv.high is None else av.low - bv.high
    most = None if av.high is None else av.high - bv.low
    return Difference(figure, a, b, av, bv, least, most)


@dataclass
class Attack:
    """The accounts of one attack and how they differ (see the module docstring)."""

    attacker: str
    window_from: datetime
    window_to: datetime
    accounts: dict[str, Tally]
    others: list[Tally] = field(default_factory=list)  # more tallies of an issuer, older
    strikes: list[Strike] = field(default_factory=list)

    def figures(self, tally: Tally) -> dict[str, Count]:
        out: dict[str, Count] = {}
        for family, classes in ACCOUNT_FAMILIES.items():
            for name in LINE_COUNTS:
                if (value := tally.total(name, classes)) is not None:
                    out[f"{family}.{name}"] = value
        for name in TALLY_FIGURES:
            if (value := getattr(tally, name)) is not None:
                out[name] = value
        return out

    @property
    def differences(self) -> list[Difference]:
        out = []
        for a, b in combinations(sorted(self.accounts), 2):
            fa, fb = self.figures(self.accounts[a]), self.figures(self.accounts[b])
            for figure in (f for f in fa if f in fb):
                out.append(difference(figure, a, fa[figure], b, fb[figure]))
        return out

    def record(self) -> dict[str, Any]:
        """The mission's strikes by oblast, and each account's regions and locations against them."""
        by_oblast = Counter(s.oblast or "unknown" for s in self.strikes)
        seen = {_fold(o): o for o in by_oblast if o != "unknown"}
        out: dict[str, Any] = {
            "strikes": len(self.strikes),
            "by_oblast": dict(sorted(by_oblast.items())),
            "accounts": {},
        }
        for issuer, tally in sorted(self.accounts.items()):
            named = {_fold(r): r for r in tally.regions}
            row: dict[str, Any] = {
                "regions_in_both": sorted(named[k] for k in named if k in seen),
                "regions_only_in_account": sorted(named[k] for k in named if k not in seen),
                "regions_only_in_record": sorted(seen[k] for k in seen if k not in named),
            }
            if tally.locations_hit is not None:
                diff = difference(
                    "locations_hit", issuer, tally.locations_hit, "record",
                    Count.exact(len(self.strikes)),
                )  # fmt: skip
                row["locations_hit_against_strikes"] = diff.to_dict()
            out["accounts"][issuer] = row
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "attacker": self.attacker,
            "window_from": self.window_from.isoformat(),
            "window_to": self.window_to.isoformat(),
            "accounts": {
                issuer: {
                    "tally": t.id,
                    "scope": t.scope,
                    "figures": {k: v.to_json() for k, v in self.figures(t).items()},
                    "regions": list(t.regions),
                }
                for issuer, t in sorted(self.accounts.items())
            },
            "other_tallies": [t.id for t in self.others],
            "differences": [d.to_dict() for d in self.differences],
            "record": self.record(),
        }


def _fold(name: str) -> str:
    """A region name for comparison: case, accents and the word "oblast" set aside."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    for word in (" oblast", " region", "'s'ka"):
        plain = plain.replace(word, "")
    return " ".join(plain.replace("'", "").replace("-", " ").split())


def current(tallies: Iterable[Tally]) -> list[Tally]:
    """The tallies no later version of the same issuer supersedes."""
    tallies = list(tallies)
    replaced = {(t.issuer, t.supersedes) for t in tallies if t.supersedes}
    return [t for t in tallies if (t.issuer, t.id) not in replaced]


def reconcile(tallies: Iterable[Tally], strikes: Sequence[Strike] = ()) -> list[Attack]:
    """The attacks among ``tallies`` (current national versions, grouped by attacker and
    overlapping windows), each with the strikes of its attacker inside its window."""
    national = sorted(
        (t for t in current(tallies) if t.scope == "national"),
        key=lambda t: (t.attacker, t.window_from, t.window_to, t.id),
    )
    attacks: list[Attack] = []
    for t in national:
        last = attacks[-1] if attacks else None
        if last is not None and last.attacker == t.attacker and t.window_from < last.window_to:
            last.window_to = max(last.window_to, t.window_to)
            held = last.accounts.get(t.issuer)
            if held is None:
                last.accounts[t.issuer] = t
            elif _later(t, held):
                last.others.append(held)
                last.accounts[t.issuer] = t
            else:
                last.others.append(t)
        else:
            attacks.append(Attack(t.attacker, t.window_from, t.window_to, {t.issuer: t}))
    for attack in attacks:
        attack.strikes = [
            s
            for s in strikes
            if attack.window_from <= s.at < attack.window_to and s.perpetrator == attack.attacker
        ]
    return attacks


def _later(a: Tally, b: Tally) -> bool:
    """Whether ``a`` was issued after ``b`` (unknown issue times count as earliest; ids break ties)."""
    floor = datetime.min.replace(tzinfo=a.window_from.tzinfo)
    return (a.issued_at or floor, a.id) > (b.issued_at or floor, b.id)
