"""Strike tallies against the store: the night's accounts reconciled as one caller sees them.

The core (:mod:`ceasefire.tallies`) takes tallies and the mission's strikes as values; this
module reads both from the store for a caller, so the CLI, the API and the web page give the
same reconciliation. The strikes are the incidents the caller may read (the one access policy,
through :class:`~ceasefire.publish.visibility.Viewer`): a party's reconciliation counts what
it may see of the mission's record, the mission's counts everything.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from ceasefire.publish.access import Principal
from ceasefire.publish.visibility import Viewer
from ceasefire.store.facade import Store
from ceasefire.tallies.reconcile import Attack, Strike, reconcile

#: The incidents a tally's weapons make: strikes by drones, missiles and aircraft, and a wave
#: of them recorded as one (``air_attack``). An ``explosion`` alone says nothing of whose.
STRIKE_TYPES: Final = ("drone_strike", "missile_strike", "air_strike", "air_attack")


def _perpetrator(view: dict[str, Any]) -> str | None:
    """Whose strike: the assessed perpetrator, else the party most sources blame (a tie: none)."""
    if view.get("assessed_perpetrator"):
        return str(view["assessed_perpetrator"])
    claims = view.get("claimed_perpetrators") or {}
    if not claims:
        return None
    top = max(claims.values())
    leaders = [p for p, n in claims.items() if n == top]
    return str(leaders[0]) if len(leaders) == 1 else None


def strikes(store: Store, viewer: Viewer, start: datetime, end: datetime) -> list[Strike]:
    """The strike incidents overlapping ``[start, end)`` that the viewer's caller may read."""
    rows = store.list_incidents(since=start, until=end, event_type=STRIKE_TYPES)
    out = []
    for view in viewer.incidents(rows):
        if view is None:
            continue
        at = datetime.fromisoformat(view["observed_from"])
        out.append(Strike(view["id"], view.get("oblast"), at, _perpetrator(view)))
    return out


def reconcile_window(
    store: Store,
    by: Principal,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    now: datetime | None = None,
) -> list[Attack]:
    """The attacks whose tallies overlap ``[start, end)`` (either end open when None), each with
    the caller's view of the mission's strikes in its window
    (:func:`ceasefire.tallies.reconcile.reconcile`)."""
    tallies = [s.tally for s in store.tallies(by=by, start=start, end=end)]
    if not tallies:
        return []
    first = min(t.window_from for t in tallies)
    last = max(t.window_to for t in tallies)
    viewer = Viewer(by, store) if now is None else Viewer(by, store, now)
    return reconcile(tallies, strikes(store, viewer, first, last))
