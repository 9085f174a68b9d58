"""How a report's field validators word a problem: the one error type pydantic carries to
:func:`ceasefire.intake.report.problems_from`, and a value named as JSON names it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic_core import PydanticCustomError


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
