"""The party fields of a report: each names a party of the agreement, by its code.

A report names a party in ``claimed_perpetrator`` (:data:`PARTY_FIELDS`): it must be a party
code of the agreement or one of its aliases (:mod:`ceasefire.agreement.parties`); an alias is
stored as its code, anything else is refused naming the report, the field and the known codes.
Free text taken for a party would make a "party" held responsible for a violation that no one
is notified of. ``submitted_by`` names who submits, and the access policy holds a party's
report to its exact code and keeps every name of a party (its aliases too) off other source
kinds (:func:`ceasefire.publish.access.submission_refusal`): provenance takes no spelling
variants.

Parsing (:mod:`ceasefire.intake.report`) knows no agreement, so this check runs where the
agreement is known and the report is stored: :meth:`ceasefire.store.writing.BulkWriter.add`,
which every way in (the API, ``ceasefire ingest``, the demo) goes through. So does
:func:`scope_ids`, which gives a party's own submissions the ids they are stored under
(``UA:<id>``, :func:`ceasefire.agreement.parties.party_scoped_id`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from ceasefire.agreement.parties import PARTY_ID_MARK, known_parties, party_code, party_scoped_id
from ceasefire.errors import InputError, Problem
from ceasefire.intake.report import MAX_ID_LENGTH, Report

__all__ = ["PARTY_FIELDS", "party_fields", "resolve_parties", "scope_ids"]

#: The report fields that always name a party (when given).
PARTY_FIELDS = ("claimed_perpetrator",)


def party_fields(
    report: Report, parties: Collection[str], where: str
) -> tuple[Report, list[Problem]]:
    """The report with each party field as its party's code, and the problems of the fields
    that name no party (the report as given when there are any)."""
    names = [f for f in PARTY_FIELDS if getattr(report, f) is not None]
    problems: list[Problem] = []
    update: dict[str, str] = {}
    for name in names:
        value = getattr(report, name)
        code = party_code(value, parties)
        if code is None:
            problems.append(
                Problem(
                    where,
                    name,
                    f"{value!r} names no party of the agreement; give a party code: "
                    f"{known_parties(parties)}",
                )
            )
        elif code != value:
            if report.signature is not None:
                # What is stored and logged must be what was signed (ceasefire.intake.signing).
                problems.append(
                    Problem(
                        where,
                        name,
                        f"{value!r} stands for {code}: a signed report names the party by its "
                        "code, as the stored report must be the one signed",
                    )
                )
            else:
                update[name] = code
    if problems:
        return report, problems
    return (report.replaced(**update) if update else report), []


def resolve_parties(
    reports: Sequence[Report], parties: Collection[str], where: Sequence[str] | None = None
) -> list[Report]:
    """Every report with its party fields as codes (:func:`party_fields`); no parties known
    (an empty collection) leaves them as they are.

    Raises
    ------
    InputError
        One problem per bad field, naming the report (``where``, else its id) and the field.
    """
    if not parties:
        return list(reports)
    out: list[Report] = []
    problems: list[Problem] = []
    for index, report in enumerate(reports):
        place = where[index] if where is not None else f"report {report.id!r}"
        resolved, found = party_fields(report, parties, place)
        out.append(resolved)
        problems.extend(found)
    if problems:
        raise InputError(problems)
    return out


def scope_ids(
    reports: Sequence[Report],
    parties: Collection[str],
    where: Sequence[str] | None = None,
    *,
    party: str | None,
) -> list[Report]:
    """The reports with the ids they are stored under, as entered by a user of ``party``
    (None: the mission): a party's own submissions get its scoped ids (:func:`party_scoped_id`,
    ``UA:<id>``); the mission's entries keep theirs.

    Call it after the submission check, so a party's reports are all in its name.

    Raises
    ------
    InputError
        A scoped id over :data:`MAX_ID_LENGTH`, or an id in a party's space (``UA:...``) on a
        report that is not that party's: taken, it would tell the party that a report it
        may not read exists.
    """
    out: list[Report] = []
    problems: list[Problem] = []
    for index, report in enumerate(reports):
        place = where[index] if where is not None else f"report {report.id!r}"
        scoped = report.id
        if party is not None:
            scoped = party_scoped_id(report.id, report.submitted_by, report.source_kind)
        owner = next((c for c in parties if scoped.startswith(f"{c}{PARTY_ID_MARK}")), None)
        if len(scoped) > MAX_ID_LENGTH:
            room = MAX_ID_LENGTH - len(report.submitted_by) - len(PARTY_ID_MARK)
            problems.append(
                Problem(
                    place,
                    "id",
                    f"at most {room} characters for a report of {report.submitted_by} (stored "
                    f"as '{report.submitted_by}{PARTY_ID_MARK}<id>'), got {len(report.id)}",
                )
            )
        elif owner is not None and (report.submitted_by, report.source_kind) != (owner, "party"):
            problems.append(
                Problem(
                    place,
                    "id",
                    f"{report.id!r} is in {owner}'s ids ('{owner}{PARTY_ID_MARK}...', for its "
                    "reports only); choose an id that does not start with a party code and "
                    f"{PARTY_ID_MARK!r}",
                )
            )
        out.append(report if scoped == report.id else report.replaced(id=scoped))
    if problems:
        raise InputError(problems)
    return out
