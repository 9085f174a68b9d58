"""Who may read, store and retract a report, and enter a strike tally: a party its own (in its
own name, as one source), the mission any, the public none.

Its own module because these rules share one notion, the ``submitted_by`` a principal is bound
to (:func:`submits_as`): what a party may read of the reports is what it may store and retract.
Tallies follow the same binding (a party enters its own account only).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any, Final

from ceasefire import vocab
from ceasefire.agreement.parties import party_code, party_scoped_id
from ceasefire.errors import ForbiddenError
from ceasefire.publish.access.roles import Principal, may_act, require
from ceasefire.records import StoredReport
from ceasefire.vocab import MISSION

if TYPE_CHECKING:
    from ceasefire.intake.report import Report

__all__ = [
    "MISSION_SOURCE_KINDS",
    "PARTY_SOURCE_KIND",
    "check_submission",
    "entered_by",
    "may_read_report",
    "may_retract",
    "may_submit_as",
    "report_ids",
    "report_scope",
    "submission_refusal",
    "submits_as",
    "tally_refusal",
]


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
