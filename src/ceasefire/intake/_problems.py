"""How a report's field validators word a problem: the one error type pydantic carries to
:func:`ceasefire.intake.report.problems_from`, a value named as JSON names it, and a word
checked against a vocabulary (folded, with "did you mean" for a near miss)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic_core import PydanticCustomError

from ceasefire.vocab import closest_term, fold_term


def field_error(reason: str) -> PydanticCustomError:
    # The reason goes in as a context value so braces in user input are not read as a template.
    return PydanticCustomError("ceasefire", "{reason}", {"reason": reason})


def json_kind(value: Any) -> str:
    """A value as JSON names it, for problems: ``the string "3"``, ``the boolean true``."""
    if isinstance(value, bool):
        return f"the boolean {'true' if value else 'false'}"
    if isinstance(value, str):
        return f"the string {json.dumps(value, ensure_ascii=False)}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def term(
    value: str, vocabulary: tuple[str, ...], *, what: str = "value", any_of: bool = False
) -> str:
    """``value`` as the term of ``vocabulary`` it spells (``"Shelling"``, ``"SHELLING"`` ->
    ``"shelling"``), or a problem naming the near miss it most likely meant.

    The one place every vocabulary field of a report is read through (event and source kinds,
    weapon classes, precisions, harm categories), so they all fold and suggest alike.
    """
    if value in vocabulary:  # as nearly every value is: no folding
        return value
    folded = fold_term(value)
    if folded in vocabulary:
        return folded
    near = closest_term(folded, vocabulary)
    hint = f"did you mean {near!r}? " if near is not None else ""
    expected = f"expected {'any' if any_of else 'one'} of: {', '.join(vocabulary)}"
    raise field_error(f"unknown {what} {value!r}; {hint}{expected}")
