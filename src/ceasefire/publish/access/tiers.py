"""Which tier of the daily report (:mod:`ceasefire.report.daily`) each caller reads.

Its own module because a tier is a product's audience, not a record's reader: the mission and
the mediator read every tier, a party its own and the public's, the public its own; the report
is then built for that tier from the records the other rules of :mod:`ceasefire.publish.access`
let it hold.
"""

from __future__ import annotations

from collections.abc import Sequence

from ceasefire.errors import ForbiddenError, InputError, Problem
from ceasefire.publish.access.roles import Principal

__all__ = ["report_tier", "report_tiers"]


def report_tier(principal: Principal, asked: str | None = None) -> str:
    """The tier of the daily report (:mod:`ceasefire.report.daily`) the principal reads:
    ``asked`` if it may read that one, else ForbiddenError; None, its own.

    The mission and the mediator (and admins) read every tier: theirs is ``mission``; a party
    reads its own (``party:<code>``) and the public's, never the mission's nor the other
    party's; the public reads the ``public`` tier only.
    """
    if asked is not None and asked not in ("mission", "public") and not asked.startswith("party:"):
        raise InputError(
            Problem("report", "tier", f"must be mission, party:<code> or public; got {asked!r}")
        )
    if principal.sees_all:
        own = "mission"
    elif principal.role == "party":
        own = f"party:{principal.party}"
    else:
        own = "public"
    if asked is None or asked in (own, "public"):
        return own if asked is None else asked
    if principal.sees_all and (asked == "mission" or asked.startswith("party:")):
        return asked
    raise ForbiddenError(
        f"the {principal.role} role may not read the {asked!r} daily report; it reads the "
        f"{own!r} one"
    )


def report_tiers(principal: Principal, parties: Sequence[str]) -> list[str]:
    """The tiers of the daily report the principal may read, its own first (what the web
    page offers): every tier for the mission and the mediator, its own and the public's for a
    party, the public's for the public. :func:`report_tier` is the rule; this only lists."""
    everyone = ["mission", *(f"party:{code}" for code in parties), "public"]
    own = report_tier(principal)
    readable = []
    for tier in everyone:
        try:
            report_tier(principal, tier)
        except ForbiddenError:
            continue
        readable.append(tier)
    return [own, *(t for t in readable if t != own)]
