"""The daily report rendered: one entry point for every format.

``render(data, agreement, fmt)`` takes the report's data (``ceasefire-daily-report/1``, built by
:mod:`ceasefire.report.daily`) and the agreement it was judged against, and returns the bytes of
the report in ``fmt``: ``html`` (:mod:`ceasefire.report.render_html`), ``pdf``
(:mod:`ceasefire.report.render_pdf`) or ``json`` (the data's canonical JSON, RFC 8785). The same
data gives the same bytes, in every format: the report's hash is what the mission signs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ceasefire.agreement.model import Agreement
from ceasefire.canonical import canonical_json
from ceasefire.errors import InputError, Problem

__all__ = ["FORMAT", "RENDER_FORMATS", "check_data", "render"]

#: The formats :func:`render` writes.
RENDER_FORMATS: Final = ("html", "json", "pdf")
#: The data format this module renders.
FORMAT: Final = "ceasefire-daily-report/1"
#: Top-level keys and the JSON type each must have.
_SHAPE: Final[dict[str, type]] = {
    "date": str,
    "tier": str,
    "cutoff": str,
    "cutoff_local": str,
    "period": dict,
    "previous": dict,
    "agreement": dict,
    "checkpoint": dict,
    "summary": dict,
    "violations_by_oblast": list,
    "violations_by_party": list,
    "violations_by_rule": list,
    "verification": dict,
    "zones": list,
    "strikes": list,
    "harm": dict,
    "hotline": dict,
    "coverage": dict,
    "annex": list,
}
_TYPE_NAMES: Final[dict[type, str]] = {str: "a string", dict: "an object", list: "a list"}


def check_data(data: Any) -> None:
    """Raise :class:`InputError` naming every top-level key of ``data`` that is missing or of
    the wrong type, or a ``format`` other than :data:`FORMAT`."""
    if not isinstance(data, Mapping):
        raise InputError(Problem("report", "", "must be a JSON object"))
    problems = []
    if data.get("format") != FORMAT:
        problems.append(
            Problem("report", "format", f"must be {FORMAT!r}, got {data.get('format')!r}")
        )
    for key, kind in _SHAPE.items():
        if key not in data:
            problems.append(Problem("report", key, "is missing"))
        elif not isinstance(data[key], kind):
            problems.append(Problem("report", key, f"must be {_TYPE_NAMES[kind]}"))
    if problems:
        raise InputError(problems)


def render(data: dict[str, Any], agreement: Agreement, fmt: str) -> bytes:
    """The report ``data`` as ``fmt`` (``html``, ``pdf`` or ``json``) bytes.

    Raises
    ------
    InputError
        ``fmt`` is not one of :data:`RENDER_FORMATS`, or ``data`` is not a
        ``ceasefire-daily-report/1`` object (every problem named, by key).
    """
    if fmt not in RENDER_FORMATS:
        raise InputError(
            Problem("report", "format", f"unknown format {fmt!r}; choose html, json or pdf")
        )
    check_data(data)
    if fmt == "json":
        return canonical_json(data, where="report")
    # Typst, a large native module, and Jinja2 load when a document is asked for, not for JSON
    if fmt == "html":
        from ceasefire.report.render_html import render_html

        return render_html(data, agreement)
    from ceasefire.report.render_pdf import render_pdf

    return render_pdf(data, agreement)
