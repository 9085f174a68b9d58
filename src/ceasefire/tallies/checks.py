"""Checks that flag a tally, never reject it: the numbers as published, and what cannot be.

Each check compares intervals (:class:`~ceasefire.counts.Count`) and flags only what is wrong
*whatever* the true numbers inside them are: "almost 400 launched, 396 destroyed" is fine,
"over 50 of 40 launched" is not. A flag says how far apart the numbers are at the least
(``size``), so a reader tells a typo from an account that does not add up.

- ``conservation``: within a line, what was destroyed, suppressed, lost, hit, is still airborne
  or crossed a border cannot exceed what was launched (each weapon has one fate);
- ``subcount``: the lines that are part of another cannot add up to more than it, count by count;
- ``locations``: more locations hit than weapons that hit (each location takes at least one);
- ``regions``: more regions named than the number of regions stated;
- ``window``: a window that ends before it begins, lasts more than two days, or a tally issued
  before its window began.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from ceasefire.counts import Count
from ceasefire.tallies.model import LINE_COUNTS, OUTCOMES, Tally

#: The longest window a nightly or daily bulletin covers; longer ones (a week's summary) are
#: flagged so that they are not set against a night.
LONGEST_WINDOW: Final = timedelta(hours=48)


@dataclass(frozen=True)
class Flag:
    """One thing in a tally that cannot be as published."""

    check: str
    field: str
    message: str
    size: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "field": self.field,
            "message": self.message,
            "size": self.size,
        }


def check(tally: Tally) -> list[Flag]:
    """Every flag of ``tally``, in the order of the module docstring."""
    flags: list[Flag] = []
    for i, line in enumerate(tally.lines):
        outcomes = Count.total(line.count(n) for n in OUTCOMES)
        if (
            line.launched is not None
            and outcomes is not None
            and outcomes.surely_exceeds(line.launched)
        ):
            assert line.launched.high is not None
            flags.append(
                Flag(
                    "conservation",
                    f"lines[{i}]",
                    f"{line.label}: destroyed, suppressed, lost, hit, airborne and crossed "
                    f"add up to {outcomes}, more than the {line.launched} launched",
                    outcomes.low - line.launched.high,
                )
            )
    for i, parent in enumerate(tally.lines):
        parts = [ln for ln in tally.lines if ln.part_of == parent.label]
        for name in LINE_COUNTS if parts else ():
            whole, sub = parent.count(name), Count.total(ln.count(name) for ln in parts)
            if whole is not None and sub is not None and sub.surely_exceeds(whole):
                assert whole.high is not None
                flags.append(
                    Flag(
                        "subcount",
                        f"lines[{i}].{name}",
                        f"the parts of {parent.label} add up to {sub} {name}, more than its {whole}",
                        sub.low - whole.high,
                    )
                )
    hit = tally.total("hit")
    if (
        tally.locations_hit is not None
        and hit is not None
        and tally.locations_hit.surely_exceeds(hit)
    ):
        assert hit.high is not None
        flags.append(
            Flag(
                "locations",
                "locations_hit",
                f"{tally.locations_hit} locations hit by {hit} weapons that hit",
                tally.locations_hit.low - hit.high,
            )
        )
    if tally.regions and tally.regions_count is not None:
        named = Count.exact(len(tally.regions))
        if named.surely_exceeds(tally.regions_count):
            assert tally.regions_count.high is not None
            flags.append(
                Flag(
                    "regions",
                    "regions",
                    f"{len(tally.regions)} regions named, {tally.regions_count} stated",
                    len(tally.regions) - tally.regions_count.high,
                )
            )
    span = tally.window_to - tally.window_from
    if span <= timedelta(0):
        flags.append(Flag("window", "window_to", "the window ends before it begins"))
    elif span > LONGEST_WINDOW:
        hours = span.total_seconds() / 3600
        flags.append(Flag("window", "window_to", f"a window of {hours:.0f} h, longer than 48 h"))
    if tally.issued_at is not None and tally.issued_at < tally.window_from:
        flags.append(Flag("window", "issued_at", "issued before its window began"))
    return flags
