"""Canonical JSON (RFC 8785, the JSON Canonicalization Scheme): one byte string per value.

A ledger leaf is the canonical JSON of a record, so two parties who hold the same record compute
the same leaf hash with any RFC 8785 implementation.

The reference implementation used here (the ``rfc8785`` package) costs about 51 µs for a
typical report, which alone would cap the ledger below its 20,000 appends/s target. The fast
path is the standard library's C JSON encoder, which already writes what RFC 8785 asks for in
the common case: keys sorted, no whitespace, strings escaped as ECMAScript's ``JSON.stringify``
does (only ``"``, ``\\`` and controls below U+0020, the latter as lowercase ``\\u00xx``), UTF-8
out. It differs only for numbers and for some non-ASCII keys, so a value is sent to the
reference implementation whenever it holds one of those:

- a float that is integral and below 2**53 is written as the integer it equals (ECMAScript
  prints ``250.0`` as ``250``); other floats keep Python's ``repr``, which is the same
  shortest round-trip digits ECMAScript prints, as long as ``1e-4 <= |x| < 1e16`` (outside that
  range ``repr`` switches to exponent notation at other thresholds than RFC 8785 section 3.2.2.3);
- a key outside ASCII: RFC 8785 sorts keys by UTF-16 code units, Python by code points, and
  the two orders part for characters above U+FFFF.

A test compares the two paths on random values.
"""

from __future__ import annotations

import json
import math
from typing import Any

import rfc8785

from ceasefire.errors import InputError, Problem

__all__ = ["canonical_json"]

_INT_EXACT = 2.0**53  # integers an IEEE double holds exactly (RFC 8785 section 3.2.2.3, I-JSON)
_ENCODE = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
).encode


class _Slow(Exception):
    """The fast path cannot vouch for this value; use the reference implementation."""


def _float(value: float) -> float | int:
    """A float as the C encoder should see it; raises :class:`_Slow` where its ``repr`` and
    ECMAScript's number-to-string part."""
    if not math.isfinite(value):
        raise _Slow
    magnitude = abs(value)
    if value.is_integer():
        if magnitude < _INT_EXACT:
            return int(value)
        raise _Slow  # repr would add ".0"; ECMAScript pads the shortest digits with zeros
    if 1e-4 <= magnitude < 1e16:
        return value
    raise _Slow


def _prepare(value: Any) -> Any:
    """``value`` with integral floats as ints; raises :class:`_Slow` where the C encoder and
    RFC 8785 would write different text.

    Dispatches on the exact type first: a ledger leaf is mostly flat strings and numbers, and
    this walk runs once per appended record (it was a third of an append's cost with
    ``isinstance`` chains, cProfile).
    """
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is float:
        return _float(value)
    if kind is int:
        if abs(value) >= _INT_EXACT:
            raise _Slow  # the reference refuses integers a double cannot hold; let it say so
        return value
    if kind is dict:
        out = {}
        for key, item in value.items():
            if type(key) is not str or not key.isascii():
                raise _Slow
            kind = type(item)
            out[key] = item if kind is str or item is None else _prepare(item)
        return out
    if kind is list or kind is tuple:
        return [_prepare(item) for item in value]
    raise _Slow  # anything else (subclasses, other types): the reference decides


def canonical_json(value: Any, *, where: str = "record") -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of a JSON value (dicts, lists, str, int, float,
    bool, None).

    Raises
    ------
    InputError
        The value has no canonical form: a NaN or infinite number, an integer beyond 2**53,
        a string that is not valid Unicode (a lone surrogate), a non-string key.
    """
    try:
        return _ENCODE(_prepare(value)).encode("utf-8")
    except _Slow:
        pass
    except (UnicodeEncodeError, ValueError) as exc:
        raise InputError(Problem(where, "", f"has no canonical JSON form: {exc}")) from None
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, UnicodeEncodeError, TypeError) as exc:
        raise InputError(Problem(where, "", f"has no canonical JSON form: {exc}")) from None
