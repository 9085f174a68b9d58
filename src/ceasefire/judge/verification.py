"""The verification ladder: which status an incident may take, and who may give it.

DESIGN section 2::

    reported -> corroborated (>= N independent sources) -> verified (a monitor confirms)
             \\-> disputed | unfounded

``reported`` and ``corroborated`` follow the evidence: fusion sets them from the number of
independent sources (:func:`automatic_status`). ``verified``, ``disputed`` and ``unfounded`` are
decisions by a person, always with a basis, checked by :func:`check_change` before the store
records them. Every change, automatic or decided, is a :class:`StatusChange` in the incident's
append-only history: who, when, from what to what, and why.

The four-eyes rule: nobody verifies an incident whose only evidence is their own report. A
monitor who filed the only patrol report of a shelling cannot also confirm it; a second source
or a second monitor must. Disputing or declaring unfounded one's own report stays allowed (it
can only lower the incident's standing). Who filed a report is the signed-in user who entered
it (recorded by the store), not a name the report gives itself: free text would let a monitor
verify a report filed under another name, and let a hostile party block a verification by
naming the monitor in its own reports.

Pure: values in, values out or an error; no store, no clock.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, Final

from ceasefire.agreement.parties import known_parties
from ceasefire.errors import ForbiddenError, InputError, Problem
from ceasefire.vocab import DECIDED_STATUSES, STATUSES

__all__ = [
    "DEFAULT_CORROBORATION",
    "FUSION_ACTOR",
    "PERPETRATOR_BASES",
    "automatic_status",
    "check_change",
    "check_corroboration",
    "standing",
]

#: Independent sources it takes to call an incident corroborated. Two is the OSCE SMM's practice
#: of reporting an event as confirmed only when seen or heard by more than one source.
DEFAULT_CORROBORATION: Final = 2

#: What an assessed perpetrator may rest on: the direction the fire came from (acoustic bearing,
#: observed launch), crater analysis (the fuze furrow and splash pattern point back along the
#: trajectory), a party's own claim, imagery, or another basis stated in the decision's text.
PERPETRATOR_BASES: Final = ("direction_of_fire", "crater_analysis", "claim", "imagery", "other")

#: The actor recorded for changes made by fusion.
FUSION_ACTOR: Final = "fusion"


def automatic_status(n_sources: int, corroboration: int = DEFAULT_CORROBORATION) -> str:
    """The status the evidence alone gives: ``corroborated`` from ``corroboration`` sources on.

    Examples
    --------
    >>> automatic_status(1), automatic_status(2), automatic_status(2, corroboration=3)
    ('reported', 'corroborated', 'reported')

    Raises
    ------
    InputError
        when ``corroboration`` is below 1 (field ``corroboration``).
    """
    check_corroboration(corroboration)
    return "corroborated" if n_sources >= corroboration else "reported"


def check_corroboration(corroboration: int) -> None:
    """Refuse a corroboration threshold below one source (field ``corroboration``)."""
    if isinstance(corroboration, bool) or not isinstance(corroboration, int) or corroboration < 1:
        raise InputError(
            Problem(
                "fusion", "corroboration", f"must be a whole number >= 1, got {corroboration!r}"
            )
        )


def _same_person(a: str | None, b: str) -> bool:
    return a is not None and a.strip().casefold() == b


def check_change(
    *,
    incident_id: str,
    current: str | None,
    new: str,
    actor: str,
    basis: str,
    authors: Sequence[Sequence[str | None]],
    parties: Collection[str],
    assessed_perpetrator: str | None = None,
    perpetrator_basis: str | None = None,
) -> None:
    """Check a decided status change before it is recorded; return None or raise.

    Parameters
    ----------
    incident_id
        The incident, for the messages.
    current
        Its status now (None if it has none yet).
    new
        The status asked for: one of :data:`ceasefire.vocab.DECIDED_STATUSES`. Setting the
        same decided status again (with a new basis) is allowed; it is recorded again.
    actor
        Who decides (a monitor's name or account).
    basis
        Why, in words: what was seen, checked or found.
    authors
        Who entered each member report: the user name the store recorded when it was stored
        (a one-name tuple). A report stored before enterers were recorded gives the names it
        carries instead, ``(submitted_by, source_name)``.
    parties
        The party codes a perpetrator may be (the agreement's parties).
    assessed_perpetrator, perpetrator_basis
        The party assessed to be responsible and what that rests on (one of
        :data:`PERPETRATOR_BASES`); both or neither.

    Raises
    ------
    InputError
        Every problem with the request, each naming its field (``status``, ``actor``, ``basis``,
        ``assessed_perpetrator``, ``perpetrator_basis``).
    ForbiddenError
        Four eyes: ``new`` is ``verified`` and the actor authored every member report (the actor
        is one of its ``authors``, ignoring case and surrounding blanks).
    """
    if current is not None and current not in STATUSES:
        raise ValueError(f"incident {incident_id} has an unknown stored status {current!r}")
    problems: list[Problem] = []

    def problem(name: str, reason: str) -> None:
        problems.append(Problem(incident_id, name, reason))

    if new not in STATUSES:
        problem("status", f"unknown status {new!r}; one of {', '.join(DECIDED_STATUSES)}")
    elif new not in DECIDED_STATUSES:
        problem(
            "status",
            f"{new!r} follows the evidence and is set by fusion; a person sets one of "
            f"{', '.join(DECIDED_STATUSES)}",
        )
    if not actor or not actor.strip():
        problem("actor", "must name who decides")
    if not basis or not basis.strip():
        problem("basis", "must say why (what was seen, checked or found)")
    if assessed_perpetrator is not None:
        if assessed_perpetrator not in parties:
            problem(
                "assessed_perpetrator",
                f"unknown party {assessed_perpetrator!r}; known: {known_parties(parties)}",
            )
        if new == "unfounded":
            problem("assessed_perpetrator", "an unfounded incident has no perpetrator")
        if perpetrator_basis is None or not perpetrator_basis.strip():
            problem(
                "perpetrator_basis",
                f"required with a perpetrator: one of {', '.join(PERPETRATOR_BASES)}",
            )
        elif perpetrator_basis not in PERPETRATOR_BASES:
            problem(
                "perpetrator_basis",
                f"unknown basis {perpetrator_basis!r}; one of {', '.join(PERPETRATOR_BASES)}",
            )
    elif perpetrator_basis is not None:
        problem("perpetrator_basis", "given without an assessed perpetrator")
    if problems:
        raise InputError(problems)

    if new == "verified" and authors:
        me = actor.strip().casefold()
        own = [any(_same_person(name, me) for name in names) for names in authors]
        if all(own):
            raise ForbiddenError(
                f"{actor.strip()} may not verify incident {incident_id}: its only evidence is "
                f"their own report ({len(own)} member report(s), all by them). Four eyes: "
                "another monitor must verify it, or another source corroborate it."
            )


def standing(history: Iterable[Mapping[str, Any]]) -> tuple[str | None, str | None, str | None]:
    """What an incident's status history, oldest first, leaves standing: ``(status, assessed
    perpetrator, its basis)``.

    The status is the last change's; the assessment is the last decision's (a decision states
    the whole assessment, so one without a perpetrator clears it), fusion's changes never touch
    it. The store writes these on the incident's row as it records each change; the ledger audit
    recomputes them from the logged changes with this one rule.

    >>> standing([
    ...     {"to_status": "reported", "automatic": True},
    ...     {"to_status": "verified", "automatic": False,
    ...      "assessed_perpetrator": "RU", "perpetrator_basis": "crater_analysis"},
    ...     {"to_status": "verified", "automatic": True},
    ... ])
    ('verified', 'RU', 'crater_analysis')
    """
    status: str | None = None
    assessed: tuple[str | None, str | None] = (None, None)
    for change in history:
        status = change["to_status"]
        if not change["automatic"]:
            assessed = (change.get("assessed_perpetrator"), change.get("perpetrator_basis"))
    return status, *assessed
