"""The one error tree of ceasefire.

Every failure the library reports on purpose is a :class:`CeasefireError`; the CLI and the API
each catch that one class in one place: the CLI prints one clear message, the API answers with
the one error shape (:mod:`ceasefire.api.errors`).

::

    CeasefireError
    ├── InputError            bad input: names the source (file, row) and the field
    ├── AgreementError        an agreement file that does not hold together (lists every problem)
    ├── ConflictError         a record that clashes with what is stored (same id, other content)
    ├── DeliveryError         a message not handed on: an SMTP server refused it or was not reached
    ├── ForbiddenError        the actor may not do this (four eyes: nobody verifies their own report)
    ├── NotFoundError         asked for something that is not there
    ├── StoreError            the database cannot be used as asked (missing schema, bad URL)
    │   └── CorruptStoreError a damaged database: refused when opened, no writes accepted
    └── VerificationError     a proof, signature or checkpoint does not verify (expected vs computed)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class CeasefireError(Exception):
    """Base of every error ceasefire raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one piece of input.

    ``where`` names the source (a file, ``file:row``, a zone name); ``field`` the field
    (dotted for nested values); ``reason`` says what is wrong in words a user can act on.
    """

    where: str
    field: str
    reason: str

    def __str__(self) -> str:
        place = self.where or "input"
        return f"{place}: {self.field}: {self.reason}" if self.field else f"{place}: {self.reason}"


class InputError(CeasefireError):
    """Input that cannot be accepted. Carries every :class:`Problem` found, first one first."""

    def __init__(self, problems: Sequence[Problem] | Problem) -> None:
        self.problems: tuple[Problem, ...] = (
            (problems,) if isinstance(problems, Problem) else tuple(problems)
        )
        if not self.problems:
            raise ValueError("InputError needs at least one problem")
        first = str(self.problems[0])
        more = len(self.problems) - 1
        super().__init__(first if not more else f"{first} (and {more} more problem(s))")


class AgreementError(InputError):
    """An agreement file that is not valid; ``problems`` lists everything found."""


class ConflictError(CeasefireError):
    """A record clashes with one already stored (for example the same id with other content)."""


class DeliveryError(CeasefireError):
    """A message could not be handed on: an SMTP server refused it or could not be reached.

    The message names the server (``host:port``) and the reason, so an operator can tell a
    wrong address from a server that is down.
    """


class ForbiddenError(CeasefireError):
    """The actor may not do this, whatever the input: for example verifying an incident whose
    only evidence is the actor's own report (the four-eyes rule). The API answers 403."""


class NotFoundError(CeasefireError):
    """The thing asked for does not exist."""


class StoreError(CeasefireError):
    """The store cannot do what was asked (no schema yet, unsupported URL, ...)."""


class CorruptStoreError(StoreError):
    """The database is damaged (pages overwritten, a table of the schema missing or rebuilt
    without its columns): it is refused when opened and takes no writes. The message names
    neither its path nor anything read from it."""


class VerificationError(CeasefireError):
    """A Merkle proof, a signature, a checkpoint or the log itself does not verify.

    ``expected`` and ``computed`` hold the two values that disagree when there are two (for
    example the root a checkpoint commits to and the root the proof leads to); ``entry`` names
    the first bad log entry when one can be named.
    """

    def __init__(
        self,
        message: str,
        *,
        expected: str | None = None,
        computed: str | None = None,
        entry: int | None = None,
    ) -> None:
        self.expected = expected
        self.computed = computed
        self.entry = entry
        super().__init__(message)
