"""How a problem with a field is worded, both where a validator raises it and where it is read.

A report's validators raise one of two error types of ours: :func:`field_error` for the field
being validated, :func:`cross_field_error` for a problem that names its field itself (a check
across fields, a value nested in an unknown field). :func:`problems_from` turns a pydantic
``ValidationError`` (those two and pydantic's own errors) into :class:`~ceasefire.errors.Problem`
values naming the field and what was wrong with the value; API bodies, coverage records and
extracts word their errors through it too. Both ends are here so what is raised and what is
read cannot drift apart. Beside them: a value named as JSON names it, and a word checked
against a vocabulary (folded, with "did you mean" for a near miss).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

from ceasefire.errors import Problem
from ceasefire.vocab import closest_term, fold_term

_CROSS = "ceasefire_field"  # error type of cross-field checks; its ctx names the field


def field_error(reason: str) -> PydanticCustomError:
    # The reason goes in as a context value so braces in user input are not read as a template.
    return PydanticCustomError("ceasefire", "{reason}", {"reason": reason})


def cross_field_error(field: str, reason: str) -> PydanticCustomError:
    """A problem with ``field``, raised by a check that is not that field's own validator."""
    return PydanticCustomError(_CROSS, "{reason}", {"field": field, "reason": reason})


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


def problems_from(exc: ValidationError, where: str) -> list[Problem]:
    """Turn pydantic's errors into :class:`Problem` values with user-facing wording."""
    problems = []
    for err in exc.errors(include_url=False):
        ctx = err.get("ctx") or {}
        loc = [str(part) for part in err["loc"]]
        if loc[:1] == ["extra"]:
            loc = loc[1:]  # unknown fields are named as the submitter named them
        field = str(ctx["field"]) if err["type"] == _CROSS else ".".join(loc)
        problems.append(Problem(where, field, _reason(err)))
    return problems


def _reason(err: Any) -> str:
    kind, msg = err["type"], str(err["msg"])
    if kind in ("ceasefire", _CROSS):
        return msg
    if kind == "missing":
        return "is required"
    if kind == "finite_number":
        return f"must be a finite number, got {err['input']!r}"
    if kind in _JSON_TYPES:
        # Only raised when the value has the wrong JSON type (text that fails to parse as a
        # number is *_parsing), so the reason names both types, as the submitter wrote them.
        value = err["input"]
        reason = f"must be {_JSON_TYPES[kind]}, got {json_kind(value)}"
        if kind == "int_type" and isinstance(value, float) and value.is_integer():
            reason += f" (write {int(value)})"
        return reason
    msg = msg.removeprefix("Value error, ").replace("Input should be", "must be")
    return f"{msg}, got {err['input']!r}"


#: Pydantic's wrong-type errors and the JSON type each field wants.
_JSON_TYPES = {
    "int_type": "a JSON integer",
    "float_type": "a JSON number",
    "string_type": "a JSON string",
    "bool_type": "a JSON boolean",
}
