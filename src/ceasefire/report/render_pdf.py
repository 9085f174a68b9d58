"""The daily report as a PDF, compiled in process by Typst.

The same data gives the same bytes on any machine: Typst draws only with the fonts it embeds
(``ignore_system_fonts``; Libertinus Serif and DejaVu Sans Mono, Cyrillic included), and the
document's date is the report's cutoff instead of the clock (``timestamp``). It is PDF/A-2b,
the archival profile (fonts embedded, colours and metadata declared): a published report is kept
for as long as the record it was built from. The text is the
layout the HTML draws (:mod:`ceasefire.report.layout`) and the figures are the same SVGs.

Nothing of the data is pasted into Typst markup: the layout goes in as JSON through
``sys.inputs`` and the template (``templates/report.typ``) reads it with ``json`` and places
each value as a string, which Typst sets as text; a reason such as ``#panic("x")`` or ``]``
is printed as written, never run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from datetime import datetime
from functools import cache
from importlib.resources import files
from typing import Any

import typst

from ceasefire.agreement.model import Agreement
from ceasefire.errors import InputError, Problem
from ceasefire.report.figures import figures
from ceasefire.report.layout import header, sections


@cache
def _source() -> bytes:
    return files("ceasefire.report").joinpath("templates/report.typ").read_bytes()


def cutoff_epoch(data: Mapping[str, Any]) -> int:
    """The report's cutoff in seconds since 1970 (the PDF's creation date)."""
    cutoff = data.get("cutoff")
    try:
        moment = datetime.fromisoformat(str(cutoff).replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InputError(
            Problem("report", "cutoff", f"must be an ISO 8601 time in UTC, got {cutoff!r}")
        )
    return int(moment.timestamp())


def typst_inputs(data: Mapping[str, Any], agreement: Agreement) -> dict[str, str]:
    """What the template reads from ``sys.inputs``: ``view`` (the layout as JSON) and one
    ``figure-NAME`` per figure (SVG text)."""
    svgs = figures(data, agreement)
    view = {
        "header": asdict(header(data)),
        "sections": [asdict(s) for s in sections(data, agreement, tuple(svgs))],
    }
    inputs = {"view": json.dumps(view, ensure_ascii=False, sort_keys=True)}
    inputs.update({f"figure-{name}": svg for name, svg in svgs.items()})
    return inputs


def render_pdf(data: Mapping[str, Any], agreement: Agreement) -> bytes:
    """The report ``data`` (``ceasefire-daily-report/1``) as PDF bytes."""
    timestamp = cutoff_epoch(data)
    pdf = typst.compile(
        _source(),
        format="pdf",
        ignore_system_fonts=True,
        sys_inputs=typst_inputs(data, agreement),
        timestamp=timestamp,
        pdf_standards="a-2b",
    )
    assert isinstance(pdf, bytes)  # one document, no output path: Typst returns its bytes
    return pdf
