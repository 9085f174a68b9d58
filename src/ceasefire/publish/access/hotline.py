"""Who speaks on the hotline and reads what of it: the address a caller speaks as, whose
traffic it reads, which messages and replies, and which parties are notified of an incident.

Its own module because the hotline speaks in addresses (a party code, ``mediator``,
``mission``), not roles: these rules map a principal onto its address and back (the CLI speaks
as an address, :func:`address_principal`, to be shown what the API shows that caller) and
decide from a message's sender and recipients.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, Final, Protocol

from ceasefire.errors import ForbiddenError
from ceasefire.publish.access.incidents import concerns
from ceasefire.publish.access.roles import Principal, may_act
from ceasefire.records import StoredIncident
from ceasefire.vocab import MEDIATOR, MISSION

__all__ = [
    "HOTLINE_MEDIATOR",
    "HOTLINE_MISSION",
    "Addressed",
    "address_principal",
    "hotline_address",
    "hotline_scope",
    "may_read_message",
    "notified_parties",
    "progress_scope",
]

#: The hotline addresses that are not parties.
HOTLINE_MISSION: Final = MISSION
HOTLINE_MEDIATOR: Final = MEDIATOR


class Addressed(Protocol):
    """What the hotline rules need of a message: who sent it and to whom
    (:class:`ceasefire.hotline.rules.Message`)."""

    @property
    def sender(self) -> str: ...

    @property
    def recipients(self) -> Sequence[str]: ...


def hotline_address(principal: Principal) -> str | None:
    """The hotline address the principal speaks as: a party its code, the mediator
    ``mediator``, admins and monitors ``mission``; None for the public, which has no part in
    the hotline."""
    if not may_act(principal, "use_hotline"):
        return None
    if principal.role == "party":
        return principal.party
    return HOTLINE_MEDIATOR if principal.role == "mediator" else HOTLINE_MISSION


def address_principal(address: str, parties: Collection[str]) -> Principal | None:
    """Who an operator speaks as on the CLI with a hotline address (``--as``): a party code
    is that party, ``mediator`` the mediator, ``mission`` a monitor; None for an address
    that is none of these. The CLI then sees what the API shows that caller."""
    if address in parties:
        return Principal(f"hotline:{address}", "party", address)
    if address == HOTLINE_MEDIATOR:
        return Principal(f"hotline:{address}", "mediator")
    if address == HOTLINE_MISSION:
        return Principal(f"hotline:{address}", "monitor")
    return None


def hotline_scope(principal: Principal) -> str | None:
    """Whose hotline traffic the principal reads: a party its own (its code), the mission and
    the mediator all of it (None). ForbiddenError for the public, so that a caller who has no
    part cannot fall through to everything."""
    if not may_act(principal, "use_hotline"):
        raise ForbiddenError("the public has no part in the hotline")
    return principal.party if principal.role == "party" else None


def _participants(message: Addressed | Mapping[str, Any]) -> tuple[Any, Collection[Any]]:
    if isinstance(message, Mapping):
        return message.get("sender"), tuple(message.get("recipients") or ())
    return message.sender, message.recipients


def may_read_message(principal: Principal, message: Addressed | Mapping[str, Any]) -> bool:
    """Whether the principal may read a hotline message (or its record, as logged): the
    mission and the mediator every one, a party the ones it sent or that are addressed to it,
    the public none."""
    if not may_act(principal, "use_hotline"):
        return False
    if principal.role != "party":
        return True
    sender, recipients = _participants(message)
    return sender == principal.party or principal.party in recipients


def progress_scope(principal: Principal, message: Addressed | Mapping[str, Any]) -> str | None:
    """Whose replies to a message the principal is shown (it may read the message,
    :func:`may_read_message`): all of them (None) for the mission, the mediator and the
    sender; a party it was sent to, its own only, as the other recipients' replies are not
    addressed to it (nor whether, or when, they answered)."""
    if principal.role != "party":
        return None
    sender, _ = _participants(message)
    return None if sender == principal.party else principal.party


def notified_parties(
    incident: StoredIncident, parties: Iterable[str], violation_parties: Collection[str]
) -> list[str]:
    """The parties the hotline notifies of an incident: those it concerns. Each of them may
    read it (:func:`ceasefire.publish.access.incidents.may_read_incident`); a release alone notifies nobody."""
    return [p for p in parties if concerns(incident, p, violation_parties)]
