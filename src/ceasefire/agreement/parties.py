"""The parties of an agreement as intake and decisions use them: their codes, the other names
that mean them, and what each party asks of the reports in its name.

A report or a decision names a party by its code (``RU``). People write "Russia" or "russian
forces", so an agreement may list aliases per party; an alias is matched without regard to case
and surrounding spaces and stands for its code (the code itself is matched the same way, so
``ua`` is ``UA``). Anything else names no party and is refused: free text taken for a party
would make an unknown "party" held responsible that no one is ever notified of.

A party may also require that every report in its name be signed with one of its keys
(``require_signed_reports``): a party that signs all its reports makes a report forged in its
name (on the mission's intake desk, say) fail instead of standing as its word.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["PARTY_ID_MARK", "Parties", "fold", "party_code", "party_scoped_id"]


def fold(text: str) -> str:
    """The form names are matched in: surrounding spaces dropped, case folded."""
    return text.strip().casefold()


@dataclass(frozen=True)
class Parties(Collection[str]):
    """An agreement's party codes (iterating and ``in`` give the codes), the aliases that stand
    for them and the parties that require signed reports.

    Passed wherever party codes were (:meth:`ceasefire.store.facade.Store.add_reports`,
    decisions): a plain collection of codes still works there, without aliases or settings.
    """

    names: Mapping[str, str]
    #: Folded alias -> party code (:func:`fold`).
    aliases: Mapping[str, str] = field(default_factory=dict)
    #: Parties every report in whose name must be signed.
    signed_only: frozenset[str] = frozenset()

    def __contains__(self, code: object) -> bool:
        return code in self.names

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)

    def code_of(self, value: object) -> str | None:
        """The party code ``value`` names (a code, or an alias or code in any case with spaces
        around), or None when it names no party."""
        if not isinstance(value, str):
            return None
        if value in self.names:
            return value
        key = fold(value)
        for code in self.names:
            if fold(code) == key:
                return code
        return self.aliases.get(key)

    def known(self) -> str:
        """The codes, each with its aliases, for an error message: ``RU (russia), UA``."""
        out = []
        for code in sorted(self.names):
            also = sorted(a for a, c in self.aliases.items() if c == code)
            out.append(f"{code} ({', '.join(also)})" if also else code)
        return ", ".join(out) or "none"


def party_code(value: Any, parties: Collection[str]) -> str | None:
    """The code of the party ``value`` names among ``parties`` (a :class:`Parties`, or plain
    codes matched as in :meth:`Parties.code_of` without aliases); None for no party."""
    if isinstance(parties, Parties):
        return parties.code_of(value)
    return Parties({code: code for code in parties}).code_of(value)


def known_parties(parties: Collection[str]) -> str:
    """``parties`` for an error message (with their aliases when it is a :class:`Parties`)."""
    if isinstance(parties, Parties):
        return parties.known()
    return Parties({code: code for code in parties}).known()


#: Between a party's code and the id it chose, in the id its own report is stored under.
PARTY_ID_MARK = ":"


def party_scoped_id(report_id: str, submitted_by: str, source_kind: str) -> str:
    """A party's report id in the party's own id space: ``<party>:<id>`` for a report of
    source kind ``party`` (an id already so scoped kept as it is); any other report's id as
    it is.

    Report ids are idempotency keys the submitters choose, and they share one table. A party's
    own submissions are stored under the scoped id, so a party is never told "this id is
    taken" (a 409) of a report it may not read: it learns nothing of the ids the other party
    or the mission used (:meth:`ceasefire.store.writing.BulkWriter.add`). The function is pure
    and idempotent, so a resubmission scopes the same way, and a signature is taken over the
    scoped id whoever enters the report (:func:`ceasefire.intake.signing.signed_message`).
    """
    if source_kind != "party":
        return report_id
    prefix = f"{submitted_by}{PARTY_ID_MARK}"
    return report_id if report_id.startswith(prefix) else prefix + report_id
