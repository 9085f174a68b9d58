"""Who is asking and what its role may do: the five roles, the actions each may take, the
:class:`Principal` a request speaks as, and its bearer token.

Its own module because every other rule of :mod:`ceasefire.publish.access` starts here: a
principal's role and party decide each view and predicate, and :func:`require` is the one
refusal of an action (403, in one wording).

Tokens are random (256 bits) and stored only as their SHA-256: a token that high in entropy
cannot be guessed from its hash, so a slow password hash would add latency to every request and
no safety.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from ceasefire.errors import ForbiddenError, InputError, Problem

__all__ = [
    "ACTIONS",
    "ROLES",
    "Principal",
    "may",
    "may_act",
    "new_token",
    "require",
    "token_hash",
]

ROLES: Final = ("admin", "monitor", "mediator", "party", "public")

#: What each role may do (reading is decided per record by the other modules' predicates).
ACTIONS: Final[Mapping[str, frozenset[str]]] = {
    "submit_report": frozenset({"admin", "monitor", "party"}),
    "retract_report": frozenset({"admin", "monitor", "party"}),
    "set_status": frozenset({"admin", "monitor"}),
    "release": frozenset({"admin", "mediator"}),
    "upload_agreement": frozenset({"admin", "mediator"}),
    "cosign": frozenset({"party", "mediator"}),
    "manage_users": frozenset({"admin"}),
    "read_all": frozenset({"admin", "monitor", "mediator"}),
    "read_reports": frozenset({"admin", "monitor", "mediator", "party"}),
    "use_hotline": frozenset({"admin", "monitor", "mediator", "party"}),
    "submit_tally": frozenset({"admin", "monitor", "party"}),
    "read_tallies": frozenset({"admin", "monitor", "mediator", "party"}),
    # What the mission could see (sensor status and footprints, patrol routes and tracks,
    # restrictions of its movement): the mission records it, the mediator reads it too. A
    # party never sees sensor positions or patrol routes (DESIGN section 6); the daily report's
    # coverage section (shares per oblast, no positions) is how a party learns of it.
    "submit_coverage": frozenset({"admin", "monitor"}),
    "read_coverage": frozenset({"admin", "monitor", "mediator"}),
    # Proposing records from news text and accepting them as the mission's osint reports and
    # tallies: the mission's own work (a party must not make the mission's osint reports).
    "extract": frozenset({"admin", "monitor"}),
}

#: How a refusal of each action reads ("the public role may not ...").
_DOING: Final[Mapping[str, str]] = {
    "submit_report": "submit reports",
    "retract_report": "retract reports",
    "set_status": "decide an incident's status",
    "release": "release incidents",
    "cosign": "post cosignatures",
    "read_reports": "read reports",
    "use_hotline": "use the hotline",
    "submit_tally": "enter strike tallies",
    "read_tallies": "read strike tallies",
    "submit_coverage": "enter sensor status, patrols or restrictions (the mission's own records)",
    "read_coverage": "read sensor positions, patrol routes or coverage (the mission's own records)",
    "extract": "extract records from text (the mission's own work)",
}

_TOKEN_PREFIX: Final = "cf_"


@dataclass(frozen=True)
class Principal:
    """Who is asking: a name, a role, and for a party its party code."""

    name: str
    role: str
    party: str | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise InputError(Problem("user", "role", f"must be one of {', '.join(ROLES)}"))
        if (self.role == "party") != (self.party is not None):
            raise InputError(
                Problem("user", "party", "a party user names its party; no other role does")
            )

    @property
    def sees_all(self) -> bool:
        return self.role in ACTIONS["read_all"]


def new_token() -> str:
    """A fresh bearer token, shown once to its user; only :func:`token_hash` is stored."""
    return _TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The stored form of a token (hex SHA-256)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def may_act(principal: Principal, action: str) -> bool:
    """Whether the principal's role may do ``action`` (a key of :data:`ACTIONS`)."""
    try:
        return principal.role in ACTIONS[action]
    except KeyError:
        raise ValueError(f"unknown action {action!r}") from None


#: The name older callers use for :func:`may_act`.
may = may_act


def require(principal: Principal, action: str, *, instead: str | None = None) -> None:
    """ForbiddenError (403) unless the principal may do ``action`` (:func:`may_act`);
    ``instead`` says what it may do instead."""
    if not may_act(principal, action):
        doing = _DOING.get(action, action.replace("_", " "))
        hint = f"; {instead}" if instead else ""
        raise ForbiddenError(f"the {principal.role} role may not {doing}{hint}")
