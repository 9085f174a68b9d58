"""Who may read and do what (DESIGN section 6): roles, tokens, and the views each role gets.

Pure policy, no I/O: the service asks these functions for every request, so the rules live in
one place that a test can walk role by role.

Roles:

- ``admin`` runs the installation; ``monitor`` works for the mission (reports, verification);
  ``mediator`` sees everything, including every party's traffic, and releases incidents;
- ``party`` is bound to one party code: it sees its own submissions, the incidents that concern
  it, and any other incident only as the public sees it (released, delayed, coarsened); never
  the mission's sensor positions or patrol routes, nor the other party's reports;
- ``public`` sees released incidents only, once the delay has passed (24 h by default), at a
  coarsened place unless released in full.

Within what a view keeps, nothing may name another submitter: an incident's ``key`` (its
anchor report's id) is shown only to the party that submitted that report; a party's incident
lists only its own ``sources``; the basis of an automatic status change (fusion names every
source in it) is dropped for a party and the public (:func:`status_change_view`); a violation's
``evidence`` (report ids) is cut to the party's own reports and dropped for the public
(:func:`violation_view`).

This module is the one home of these rules. Every surface asks it: the HTTP API and OGC API -
Features (through :class:`ceasefire.publish.visibility.Viewer`, which reads from the store what
the rules need: releases, the parties a violation holds against, which ids are the caller's own
reports), the hotline (who may name an incident, read a message, is notified) and the CLI
(speaking as a hotline address). Each question has one predicate (``may_*``); each view is
built only after its predicate said yes, so a view and a check can never disagree. The rules
take values, never the store: this package is core.

Tokens are random (256 bits) and stored only as their SHA-256: a token that high in entropy
cannot be guessed from its hash, so a slow password hash would add latency to every request and
no safety.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, Protocol

from ceasefire import vocab
from ceasefire.agreement.parties import party_code, party_scoped_id
from ceasefire.errors import ForbiddenError, InputError, Problem
from ceasefire.records import StoredIncident, StoredReport
from ceasefire.vocab import MEDIATOR, MISSION

if TYPE_CHECKING:
    from ceasefire.intake.report import Report

__all__ = [
    "ACTIONS",
    "HOTLINE_MEDIATOR",
    "HOTLINE_MISSION",
    "MISSION_SOURCE_KINDS",
    "PARTY_SOURCE_KIND",
    "PUBLIC_DELAY",
    "ROLES",
    "Addressed",
    "Principal",
    "Release",
    "address_principal",
    "check_submission",
    "concerns",
    "entered_by",
    "hotline_address",
    "hotline_scope",
    "is_released",
    "may",
    "may_act",
    "may_prove",
    "may_read_incident",
    "may_read_message",
    "may_read_report",
    "may_submit_as",
    "new_token",
    "notified_parties",
    "progress_scope",
    "reads_released_only",
    "report_ids",
    "report_scope",
    "report_tier",
    "require",
    "submission_refusal",
    "submits_as",
    "tally_refusal",
    "token_hash",
]

ROLES: Final = ("admin", "monitor", "mediator", "party", "public")

#: What each role may do (reading is decided per record by the views below).
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

#: The hotline addresses that are not parties.
HOTLINE_MISSION: Final = MISSION
HOTLINE_MEDIATOR: Final = MEDIATOR

#: How long the public waits for a released incident (DESIGN section 6).
PUBLIC_DELAY: Final = timedelta(hours=24)
#: The grid a coarsened place snaps to, in degrees: 0.1 deg is about 11 km north-south and 7 km
#: east-west at 48 N, enough to hide a firing position or a patrol's exact road.
COARSE_DEG: Final = 0.1
#: The radius a coarsened place claims at least: half the grid cell's diagonal, rounded up.
COARSE_RADIUS_M: Final = 8_000.0
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


@dataclass(frozen=True)
class Release:
    """An incident's release to the public: when, and whether its place is shown in full."""

    at: datetime
    full: bool = False


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


# -- reports ---------------------------------------------------------------------------------


def _submitted_by(report: StoredReport | Report | Mapping[str, Any]) -> Any:
    if isinstance(report, StoredReport):
        return report.report.submitted_by
    if isinstance(report, Mapping):
        return report.get("submitted_by")
    return report.submitted_by


def may_read_report(
    principal: Principal, report: StoredReport | Report | Mapping[str, Any]
) -> bool:
    """Whether the principal may read the report: the mission every one, a party its own
    submissions, the public none (it reads incidents)."""
    if principal.sees_all:
        return True
    return principal.role == "party" and _submitted_by(report) == principal.party


def report_ids(principal: Principal, report_id: str) -> tuple[str, ...]:
    """The stored ids a report id the principal gives may name, in order: a party names its
    own reports by the id it chose or by the id they are stored under (``UA:<id>``,
    :func:`ceasefire.intake.report.party_scoped_id`), and by a bare id for one it stored before
    ids were scoped; anyone else by the stored id. Whichever of them is stored, the principal
    reads it only if :func:`may_read_report` says so (else: "no such report", as for none)."""
    if principal.party is None:
        return (report_id,)
    scoped = party_scoped_id(report_id, principal.party, PARTY_SOURCE_KIND)
    return (scoped, report_id) if scoped != report_id else (scoped,)


def report_scope(principal: Principal) -> str | None:
    """Whose reports a listing for the principal holds: None every one's (the mission), a
    party's code its own. ForbiddenError for a caller who reads no reports (the public), so a
    listing cannot fall back to every report by mistake."""
    require(principal, "read_reports", instead="read the incidents")
    return None if principal.sees_all else principal.party


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


def submits_as(principal: Principal) -> str | None:
    """The ``submitted_by`` every report of the principal must carry: a party its own code
    (DESIGN section 6); None for the mission, which enters reports for any submitter."""
    return principal.party


#: The source kind of every report a party submits: a party is one source, whatever agency of
#: it reports (:func:`ceasefire.fusion.incidents.source_key`).
PARTY_SOURCE_KIND: Final = "party"
#: The mission's own means: only mission users (admin, monitor) enter reports of these kinds.
MISSION_SOURCE_KINDS: Final = vocab.MISSION_SOURCE_KINDS


def submission_refusal(
    principal: Principal,
    submitted_by: Any,
    source_kind: Any = PARTY_SOURCE_KIND,
    parties: Collection[str] = (),
) -> tuple[str, str] | None:
    """Why the principal may not store a report with this ``submitted_by`` and
    ``source_kind``, as ``(field, reason)``; None when it may.

    - a party submits in its own name only, with the source kind ``party``;
    - the mission (admin, monitor) enters reports of its own means and news (any submitter
      that is not a party), and a party's report on the party's behalf (``submitted_by`` a
      party code of the agreement, source kind ``party``): a party's code never goes with
      another source kind, whoever sends it, as that would make one party several sources;
    - the rest submit nothing.

    ``parties`` are the agreement's party codes (empty: the mission's party rules are not
    checked, for a caller that holds no agreement).
    """
    if not may_act(principal, "submit_report"):
        return "", f"the {principal.role} role may not submit reports"
    bound = submits_as(principal)
    if bound is not None:
        if submitted_by != bound:
            return "submitted_by", f"must be {bound!r}: a party submits its own reports only"
        if source_kind != PARTY_SOURCE_KIND:
            return "source_kind", (
                f"must be {PARTY_SOURCE_KIND!r} for a party's report, got {source_kind!r}: "
                f"{', '.join(MISSION_SOURCE_KINDS)} are the mission's own means"
            )
        return None
    if not parties:
        return None
    if source_kind == PARTY_SOURCE_KIND and submitted_by not in parties:
        known = ", ".join(sorted(parties))
        return "submitted_by", (
            f"a party's report (source_kind {PARTY_SOURCE_KIND!r}) names a party of the "
            f"agreement ({known}), got {submitted_by!r}"
        )
    # A party's alias ("Ukraine") names the party as much as its code does.
    if source_kind != PARTY_SOURCE_KIND and party_code(submitted_by, parties) is not None:
        return "submitted_by", (
            f"{submitted_by!r} is a party: its reports have source_kind {PARTY_SOURCE_KIND!r}, "
            f"not {source_kind!r}"
        )
    return None


def may_submit_as(
    principal: Principal,
    submitted_by: Any,
    source_kind: Any = PARTY_SOURCE_KIND,
    parties: Collection[str] = (),
) -> bool:
    """Whether the principal may store a report with this ``submitted_by`` and ``source_kind``
    (:func:`submission_refusal`)."""
    return submission_refusal(principal, submitted_by, source_kind, parties) is None


def check_submission(
    principal: Principal,
    report: StoredReport | Report | Mapping[str, Any],
    parties: Collection[str] = (),
    *,
    where: str = "",
) -> None:
    """ForbiddenError (403) naming ``where`` and the field unless the principal may store
    ``report`` (:func:`submission_refusal`). Asked of the parsed report that is stored, never
    of another reading of the input."""
    if isinstance(report, StoredReport):
        report = report.report
    kind = report.get("source_kind") if isinstance(report, Mapping) else report.source_kind
    refusal = submission_refusal(principal, _submitted_by(report), kind, parties)
    if refusal is not None:
        field, reason = refusal
        place = f"{where}: " if where else ""
        named = f"{field}: " if field else ""
        raise ForbiddenError(f"{place}{named}{reason}; nothing was stored")


def tally_refusal(
    principal: Principal, issuer: Any, parties: Collection[str] = ()
) -> tuple[str, str] | None:
    """Why the principal may not store a strike tally of ``issuer``, as ``(field, reason)``;
    None when it may.

    A party enters its own account only (``issuer`` its code): what the other party or the
    mission counted is theirs to state. The mission (admin, monitor) enters its own tallies
    (``issuer`` ``mission``) and transcribes a party's published bulletin (``issuer`` a party code
    of the agreement), recorded as entered on that party's behalf. Tallies are read by every role
    but the public: both accounts of a night are set side by side for each party and the
    mediator (:mod:`ceasefire.tallies.reconcile`).
    """
    if not may_act(principal, "submit_tally"):
        return "", f"the {principal.role} role may not enter strike tallies"
    bound = submits_as(principal)
    if bound is not None:
        if issuer != bound:
            return "issuer", f"must be {bound!r}: a party enters its own tallies only"
        return None
    if parties and issuer != MISSION and issuer not in parties:
        known = ", ".join(sorted(parties))
        return (
            "issuer",
            f"must be {MISSION!r} or a party of the agreement ({known}), got {issuer!r}",
        )
    return None


def may_retract(principal: Principal, submitted_by: Any) -> bool:
    """Whether the principal may retract a stored report with this ``submitted_by``: a party
    its own reports (a correction is its own retraction and a new report), the mission (admin,
    monitor) any report, with a reason it states; the rest none. A party asking about another's
    report is told there is none (:func:`may_read_report`), so the answer leaks nothing."""
    if not may_act(principal, "retract_report"):
        return False
    bound = submits_as(principal)
    return bound is None or submitted_by == bound


def entered_by(principal: Principal) -> dict[str, str | None]:
    """Who entered a report, as stored beside it and logged in its ledger leaf: the signed-in
    user's name, role and party (None for a mission user)."""
    return {"name": principal.name, "role": principal.role, "party": principal.party}


# -- incidents -------------------------------------------------------------------------------


def concerns(
    incident: StoredIncident | Mapping[str, Any], party: str, violation_parties: Collection[str]
) -> bool:
    """Whether an incident concerns a party: on its side of the line, assessed to be its doing,
    claimed against it by a report, or with a violation held against it.

    ``incident`` is the stored incident or its mapping (``StoredIncident.to_dict()``)."""
    if isinstance(incident, StoredIncident):
        side = incident.incident.party
        assessed = incident.assessed_perpetrator
        claimed: Collection[str] = incident.incident.claimed_perpetrators
    else:
        side = incident.get("party")
        assessed = incident.get("assessed_perpetrator")
        claimed = incident.get("claimed_perpetrators") or {}
    return side == party or assessed == party or party in claimed or party in violation_parties


def is_released(release: Release | None, now: datetime) -> bool:
    """Whether a release has taken effect at ``now`` (one dated later is not yet a release)."""
    return release is not None and release.at <= now


def _ended(incident: StoredIncident | Mapping[str, Any]) -> datetime | None:
    if isinstance(incident, StoredIncident):
        return incident.incident.observed_to
    ended = incident.get("observed_to")
    return datetime.fromisoformat(ended) if isinstance(ended, str) else ended


def may_read_incident(
    principal: Principal,
    incident: StoredIncident | Mapping[str, Any],
    *,
    now: datetime,
    release: Release | None = None,
    violation_parties: Collection[str] = (),
    delay: timedelta = PUBLIC_DELAY,
    asked: bool = False,
) -> bool:
    """Whether the principal may read the incident (and so name it, e.g. in a hotline message,
    and read what hangs on it: its violations, its decisions).

    - the mission: every incident;
    - a party: the incidents that concern it (:func:`concerns`), the ones it is asked about
      on the hotline (``asked``: a message addressed to it names the incident), and the others
      once the public reads them (a release gives the other party no more than it gives the
      public);
    - the public: released incidents whose window ended ``delay`` ago.

    ``release`` is the incident's release (None: not released), ``violation_parties`` the
    parties its current violations hold against.
    """
    if principal.sees_all:
        return True
    party = principal.party or ""  # set for every party principal (__post_init__)
    if principal.role == "party" and (asked or concerns(incident, party, violation_parties)):
        return True
    return _public(incident, now=now, release=release, delay=delay)


def _public(
    incident: StoredIncident | Mapping[str, Any],
    *,
    now: datetime,
    release: Release | None,
    delay: timedelta,
) -> bool:
    """Whether the incident is public at ``now``: released, and its window ended ``delay``
    ago. Anyone it does not concern (the public, the other party) reads it only then."""
    ended = _ended(incident)
    return is_released(release, now) and ended is not None and ended + delay <= now


def reads_released_only(principal: Principal) -> bool:
    """Whether every incident the principal may read is a released one (the public), so a
    reader may start from the releases instead of scanning every incident."""
    return not principal.sees_all and principal.role != "party"


def notified_parties(
    incident: StoredIncident, parties: Iterable[str], violation_parties: Collection[str]
) -> list[str]:
    """The parties the hotline notifies of an incident: those it concerns. Each of them may
    read it (:func:`may_read_incident`); a release alone notifies nobody."""
    return [p for p in parties if concerns(incident, p, violation_parties)]


# -- the hotline -----------------------------------------------------------------------------


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


# -- ledger proofs ---------------------------------------------------------------------------


def may_prove(
    principal: Principal,
    kind: str,
    record: Mapping[str, Any],
    *,
    incident: Mapping[str, Any] | None = None,
    own_reports: Collection[str] = (),
) -> bool:
    """Whether the principal may have the inclusion bundle of a ledger leaf of ``kind``.

    A bundle carries its record whole (no view can cut it), so it is given only where the
    principal's views would show the record whole:

    - an agreement: to anyone;
    - a report: one it may read (:func:`may_read_report`);
    - a hotline message: one it may read (:func:`may_read_message`);
    - a status change: a person's decision (not fusion's, whose basis names every source) on
      an incident it may read (``incident``: its view of the record's incident, None hidden);
    - a violation: on an incident it may read, whose evidence is all its own reports
      (``own_reports``), at a place it is shown in full (a coarsened view rounds the facts'
      distances; the record does not);
    - a violation's superseded mark (its number and when): on an incident it may read, whose
      violations it sees (the mark says no more than ``/violations?include_superseded``);
    - a retraction: of one of its own reports (``own_reports``), which it may read; the mission
      retracts a party's report with a reason the party is owed;
    - anything else (releases, incidents, users, keys): the mission only.
    """
    if principal.sees_all or kind == "agreement":
        return True
    if kind == "report":
        return may_read_report(principal, record)
    if kind == "hotline_message":
        return may_read_message(principal, record)
    if kind == "retraction":
        return principal.role == "party" and record.get("report_id") in set(own_reports)
    if kind not in ("status_change", "violation", "violation_superseded") or incident is None:
        return False
    if kind == "violation_superseded":
        return True
    if kind == "status_change":
        return not record.get("automatic")
    evidence = set(record.get("evidence") or ())
    return evidence <= set(own_reports) and incident.get("place_precision") != "coarsened"
