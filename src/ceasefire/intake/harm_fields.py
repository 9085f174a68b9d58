"""The harm fields of a report (issue 18, docs/harm.md): infrastructure and utilities as
categories, people affected as a :class:`~ceasefire.counts.Count`, and how a body stored when
infrastructure was free text is read.

The :class:`~ceasefire.intake.report.Report` model declares the fields; the rules that read
their values live here, beside each other, and word their problems as the model's do.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any, Final

from pydantic import PlainSerializer, PlainValidator, ValidationInfo

from ceasefire.counts import Count
from ceasefire.errors import InputError
from ceasefire.intake._problems import field_error as _error
from ceasefire.intake._problems import json_kind as _json_kind
from ceasefire.intake._problems import term
from ceasefire.vocab import INFRASTRUCTURE


def _people_count(value: Any, info: ValidationInfo) -> Count | None:
    """``people_affected`` as a :class:`Count`: JSON's integer or ``{"min", "max"}``; in CSV
    text also ``a-b`` (the form :meth:`Count.__str__` writes) and the JSON forms as text."""
    if isinstance(value, Count) or value is None:
        return value
    context = info.context if isinstance(info.context, Mapping) else {}
    if not context.get("text_values", True):
        if isinstance(value, bool) or not isinstance(value, int | Mapping):
            raise _error(
                f'must be a JSON integer or {{"min": a, "max": b}}, got {_json_kind(value)}'
            )
    elif isinstance(value, str):
        body = value.strip()
        low, dash, high = body.partition("-")
        if dash and low.strip().isdigit() and high.strip().isdigit():
            value = {"min": int(low), "max": int(high)}
        elif body.startswith("{"):
            try:
                value = json.loads(body)
            except ValueError:
                raise _error(f"is not a JSON object, got {value!r}") from None
        elif not body.isdigit():
            raise _error(f"must be a whole number or min-max (40000-60000), got {value!r}")
    try:
        return Count.parse(value, "people_affected")
    except InputError as exc:
        raise _error(exc.problems[0].reason) from None


def _count_json(value: Count | None) -> int | dict[str, int | None] | None:
    return None if value is None else value.to_json()


PeopleCount = Annotated[
    Count | None,
    PlainValidator(_people_count, json_schema_input_type=int | dict[str, int | None] | None),
    PlainSerializer(_count_json),
]


def categories(value: Any, vocab: tuple[str, ...]) -> tuple[str, ...] | None:
    """``infrastructure`` or ``utilities`` as categories of ``vocab``: a JSON list, one
    category, a comma-separated text or a JSON list as text (our CSV export's)."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):  # a list as our CSV export writes it (field_text)
            try:
                value = json.loads(text)
            except ValueError:
                raise _error(f"is not a JSON list, got {value!r}") from None
        else:
            value = [part for part in (p.strip() for p in text.split(",")) if part]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise _error(
            f"must be a category, a comma-separated list of them or a JSON list of them, "
            f"got {_json_kind(value)}"
        )
    value = [term(v, vocab, what="category", any_of=True) for v in value]
    # Once each, in the vocabulary's order: the same categories are the same report, in
    # whatever order and form (CSV text, JSON list) they came.
    return tuple(v for v in vocab if v in value) or None


def stored_categories(text: str) -> tuple[str, ...] | None:
    """The categories a text names, comma-separated; None when one is not a category."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    return tuple(parts) if parts and all(p in INFRASTRUCTURE for p in parts) else None


#: Words of free-text ``infrastructure`` (stored before it took categories) and the category
#: each names; the first match of a text wins, ``other`` when none does.
_LEGACY_WORDS: Final = (
    (("substation", "power", "electric", "grid", "energy", "thermal power"), "energy"),
    (("boiler", "heating", "heat"), "heating"),
    (("water", "pumping"), "water"),
    (("gas",), "gas"),
    (("rail", "station", "depot"), "rail"),
    (("port", "harbour", "grain terminal"), "port"),
    (("bridge",), "bridge"),
    (("road",), "road"),
    (("hospital", "clinic", "medical"), "medical"),
    (("school", "kindergarten"), "school"),
    (("house", "home", "apartment", "residential", "building"), "residential"),
    (("tower", "telecom", "mast"), "communications"),
    (("plant", "factory", "industrial", "warehouse"), "industrial"),
)


def legacy_categories(text: str) -> tuple[str, ...]:
    """The category of a free-text ``infrastructure`` stored before categories (one, by the
    first of :data:`_LEGACY_WORDS` its words name, else ``other``)."""
    words = text.casefold()
    for keys, category in _LEGACY_WORDS:
        if any(k in words for k in keys):
            return (category,)
    return ("other",)
