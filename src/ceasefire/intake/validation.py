"""Intake's one way in: an interchange mapping validated into a :class:`Report`, or refused with
one :class:`~ceasefire.errors.Problem` per bad field (:func:`validate_report`).

Value types depend on where a report comes from. JSON (JSON Lines, GeoJSON properties, API bodies)
has types of its own, so a value must already have its field's JSON type: ``"count": "3"``,
``"count": 3.0``, ``"count": true`` and ``"notes": 5`` are refused, not converted: in JSON they
mean a mis-mapped column or a serialiser bug on the sender's side, which converting would hide
and which the sender can fix. A CSV cell is always text, so CSV rows (``text_values=True``) are
converted to each field's type instead. Both give the same :class:`Report`, and so the same
content hash, for the same values.

Its own module because this rule is about the sender, not the report: the model
(:mod:`ceasefire.intake.report`) holds what a valid report is, and the store (bodies checked
when they came in) and the extracts (a context of their own) build it directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from ceasefire.errors import InputError
from ceasefire.intake._problems import problems_from
from ceasefire.intake.report import Report


def validate_report(
    data: Mapping[str, Any],
    *,
    where: str = "",
    now: datetime | None = None,
    text_values: bool = False,
) -> Report:
    """Validate one interchange mapping into a :class:`Report`.

    Parameters
    ----------
    data
        Field name to value; unknown keys are kept as they are, of any JSON type.
    where
        Names the source in problems, e.g. ``"reports.csv:row 7"``.
    now
        The present, for the "not in the future" check; defaults to the clock.
    text_values
        The values are text to convert to each field's type (a CSV row: ``"3"`` becomes the
        integer 3). Off, for JSON, each value must already have its field's JSON type: an
        integer field takes an integer only (not ``"3"``, ``3.0`` or ``true``), a number field
        an integer or a float (not a string or a boolean), a text field a string. Times are ISO
        8601 strings either way.

    Raises
    ------
    InputError
        One :class:`Problem` per bad field.
    """
    try:
        # Pydantic's strict mode is exactly the JSON rule (no str->number, no bool->number, no
        # float->int, int->float allowed); its lax mode is the CSV conversion we had all along.
        return Report.model_validate(
            data,
            strict=not text_values,
            context={"now": now or datetime.now(UTC), "text_values": text_values},
        )
    except ValidationError as exc:
        raise InputError(problems_from(exc, where)) from None
