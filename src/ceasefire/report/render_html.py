"""The daily report as one standalone HTML document.

Everything is in the file: the style inline, the figures as inline SVG (:mod:`ceasefire.report.
figures`), no script, no font, nothing fetched; so the report opens the same on an air-gapped
machine and can be archived as it is. The text comes from :mod:`ceasefire.report.layout`, shared
with the PDF; the Jinja2 template escapes every value of it (names and reasons come from the
parties, and one of them may be hostile), and only the figures, which escape their own text,
go in as markup.

The document states what it was built from in a ``<meta name="ceasefire-report">`` whose
content is ``key=value`` pairs separated by ``; ``: ``format``, ``date``, ``tier``,
``checkpoint-size`` and ``checkpoint-root`` (base64, as the checkpoint note writes it).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import jinja2
from markupsafe import Markup

from ceasefire.agreement.model import Agreement
from ceasefire.report.figures import figures
from ceasefire.report.layout import header, sections


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("ceasefire.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("report.html.j2")


def meta_content(data: Mapping[str, Any]) -> str:
    """The ``ceasefire-report`` meta tag's content (see the module docstring)."""
    cp = data.get("checkpoint") or {}
    pairs = (
        ("format", data.get("format", "")),
        ("date", data.get("date", "")),
        ("tier", data.get("tier", "")),
        ("checkpoint-size", cp.get("size", "")),
        ("checkpoint-root", cp.get("root", "")),
    )
    return "; ".join(f"{k}={v}" for k, v in pairs)


def render_html(data: Mapping[str, Any], agreement: Agreement) -> bytes:
    """The report ``data`` (``ceasefire-daily-report/1``) as a UTF-8 HTML document."""
    svgs = figures(data, agreement)
    page = _template().render(
        meta=meta_content(data),
        header=header(data),
        sections=sections(data, agreement, tuple(svgs)),
        # the figures escape every text they take from the data (figures.text)
        svgs={name: Markup(svg) for name, svg in svgs.items()},
    )
    return page.encode("utf-8")
