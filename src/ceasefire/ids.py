"""The one safe character set of ids a caller chooses: report ids and hotline message ids.

An id travels further than the record it names: into log lines, e-mail headers, CAP alerts, file
names, URLs, CSV exports and the screens of the other party. So an id a submitter chooses must
read the same everywhere, and cannot carry anything a reader does not see:

- no control characters (C0, C1: CR and LF split log lines and mail headers; NUL ends C strings);
- no format characters (Unicode category Cf): zero-width spaces and joiners, the byte order mark,
  and the bidirectional embeddings, overrides and isolates that make ``abc`` display as ``cba``
  (CVE-2021-42574, "Trojan Source");
- no right-to-left letters (bidirectional class R, AL): inside an id they reorder what follows
  when displayed (Unicode Standard Annex #9);
- no separator but the plain space (U+0020): no line or paragraph separators, no no-break or
  other look-alike spaces, no surrogates, private-use or unassigned code points;
- no space at either end (``"r-1 "`` would be another id than ``"r-1"`` that looks the same);
- at most a maximum number of characters (each user of this module names its own).

What may appear inside: letters, marks, digits, punctuation and symbols of any script written
left to right, and single spaces between them (a report id such as ``UA/2026/17`` or
``patrol 4 obs 2``). Ids the hotline sends on in e-mail headers and CAP alerts take a narrower
set on top (:data:`TOKEN_CHARACTERS`, :func:`check_token`).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from ceasefire.errors import InputError, Problem

#: Unicode categories no id may hold: controls, format characters (zero-width, bidi controls),
#: surrogates, private use, unassigned, and line and paragraph separators.
_REFUSED_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
#: Bidirectional classes no id may hold: right-to-left letters and every explicit embedding,
#: override and isolate (those are format characters too; listed for the reader).
_REFUSED_BIDI: Final = frozenset(
    {"R", "AL", "RLE", "RLO", "LRE", "LRO", "PDF", "RLI", "LRI", "FSI", "PDI"}
)

#: The narrower set for ids that go into e-mail Message-IDs, attachment file names and CAP
#: identifiers (RFC 5322 dot-atom less ``/``; CAP 1.2 forbids spaces, commas, ``<`` and ``&``).
TOKEN_CHARACTERS: Final = "letters, digits and . _ : - (starting with a letter or digit)"
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*", re.ASCII)


def _describe(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def id_problem(value: object, max_length: int) -> str | None:
    """Why ``value`` is not a safe id of at most ``max_length`` characters, or None when it is.

    >>> id_problem("UA/2026/17", 200) is None
    True
    >>> id_problem("r-1\\r\\nX-Injected: 1", 200)
    'must not contain U+000D (a control character)'
    >>> id_problem("abc\\u202edcba", 200)
    'must not contain U+202E RIGHT-TO-LEFT OVERRIDE (a format character: zero-width or bidi)'
    """
    if not isinstance(value, str):
        return "must be text"
    if not value.strip(" "):
        return "must not be blank"
    if len(value) > max_length:
        return f"must be at most {max_length} characters, got {len(value)}"
    for char in value:
        if char == "\x00":  # the store's own wording for text columns (store.schema)
            return "must not contain the NUL character (U+0000)"
        category = unicodedata.category(char)
        if category in _REFUSED_CATEGORIES:
            kind = {
                "Cc": "a control character",
                "Cf": "a format character: zero-width or bidi",
                "Zl": "a line separator",
                "Zp": "a paragraph separator",
            }.get(category, "not a printable character")
            return f"must not contain {_describe(char)} ({kind})"
        if category == "Zs" and char != " ":
            return f"must not contain {_describe(char)} (only the plain space separates words)"
        if unicodedata.bidirectional(char) in _REFUSED_BIDI:
            return f"must not contain {_describe(char)} (a right-to-left character)"
    if value != value.strip(" "):
        return "must not start or end with a space"
    return None


def check_id(value: object, *, where: str, field: str, max_length: int) -> str:
    """``value`` if it is a safe id (:func:`id_problem`); else InputError naming ``where`` and
    ``field`` with the reason."""
    reason = id_problem(value, max_length)
    if reason is not None:
        raise InputError(Problem(where, field, reason))
    assert isinstance(value, str)
    return value


def token_problem(value: object, max_length: int) -> str | None:
    """Why ``value`` is not a safe id within :data:`TOKEN_CHARACTERS`, or None."""
    reason = id_problem(value, max_length)
    if reason is None and not _TOKEN.fullmatch(str(value)):
        reason = f"must be 1-{max_length} {TOKEN_CHARACTERS}"
    return reason


def check_token(value: object, *, where: str, field: str, max_length: int) -> str:
    """``value`` if it is a safe id within :data:`TOKEN_CHARACTERS`; else InputError."""
    reason = token_problem(value, max_length)
    if reason is not None:
        raise InputError(Problem(where, field, reason))
    assert isinstance(value, str)
    return value
