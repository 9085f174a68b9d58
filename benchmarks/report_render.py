"""Rendering the daily report (issue 20; :mod:`ceasefire.report.render`) of a big night.

Builds report data (``ceasefire-daily-report/1``) from the rendering tests' night
(``tests/data/report/night_render.json``) with ``--rows`` annex rows (default 2,000: a night of
some 2,000 reports judged to as many violations, the issue's target of <= 2 s for the whole
report), placed at random within 30 km of the demo line, and renders it as HTML and as PDF with
the demo agreement.

The HTML's peer writes the same annex rows as a plain ``string.Template`` table (each cell
escaped, no layout, no figures, no other section): what the annex alone costs at the least.
Both documents are parsed back and must hold the same rows (``same_rows``); the ratio is ours
over the peer's. The PDF has no peer here (no other PDF engine is a dependency); its line gives
the pages and bytes. ``cold_s`` is the first render in the process (it computes the agreement's
zone polygons for the map, 0.3 s for the demo's), ``best_s`` the best of three after, ``cpu_s``
the best of three in CPU seconds (steadier on a shared machine).

Usage: ``python benchmarks/report_render.py [--rows N]``. Prints one JSON line per format.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import re
import string
import time
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any

import lxml.html
import shapely

from ceasefire.agreement.load import demo_agreement_path, load_agreement
from ceasefire.report.layout import ANNEX_COLUMNS, annex_row
from ceasefire.report.render import render

NIGHT = Path(__file__).parent.parent / "tests" / "data" / "report" / "night_render.json"
_ROW = string.Template("<tr>$cells</tr>")


def big_night(rows: int, line: shapely.LineString, seed: int = 20) -> dict[str, Any]:
    """The tests' night with ``rows`` annex rows near ``line`` (fixed seed)."""
    rng = random.Random(seed)
    data = copy.deepcopy(json.loads(NIGHT.read_text(encoding="utf-8")))
    start = datetime(2026, 11, 19, 7, tzinfo=UTC)
    places = ["поблизу Вовчанська", "near Kupiansk", "Мар'їнка", "near Horlivka", "region only"]
    annex = []
    for i in range(rows):
        on = line.interpolate(rng.random(), normalized=True)
        seen = start + timedelta(seconds=rng.randrange(86_400))
        annex.append(
            {
                "incident": f"INC-{i:06d}",
                "rule": rng.choice(["fire", "fire", "armed_presence_dmz"]),
                "party": rng.choice(["RU", "UA", None]),
                "status": rng.choice(["reported", "corroborated", "verified"]),
                "start": seen.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "end": (seen + timedelta(minutes=rng.randrange(60))).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "oblast": rng.choice(["Donetsk", "Kharkiv", "Luhansk", "Zaporizhzhia"]),
                "place": rng.choice(places),
                "lon": round(on.x + rng.uniform(-0.3, 0.3), 4),
                "lat": round(on.y + rng.uniform(-0.2, 0.2), 4),
                "event_type": "shelling",
                "weapon_class": rng.choice(["artillery", "mlrs", None]),
                "count": rng.randrange(1, 30),
                "sources": rng.randrange(1, 5),
            }
        )
    data["annex"] = annex
    return data


def peer_html(data: dict[str, Any]) -> bytes:
    """The annex as a bare ``string.Template`` table (the same cell text, escaped)."""
    head = "".join(f"<th>{escape(c)}</th>" for c in ANNEX_COLUMNS)
    body = "\n".join(
        _ROW.substitute(cells="".join(f"<td>{escape(c)}</td>" for c in annex_row(r)))
        for r in data["annex"]
    )
    page = (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
        f"<table><tr>{head}</tr>\n{body}</table></body></html>"
    )
    return page.encode("utf-8")


def _rows(page: bytes, where: str) -> list[list[str]]:
    doc = lxml.html.document_fromstring(page)
    return [
        [td.text_content() for td in tr.xpath("td")] for tr in doc.xpath(where) if tr.xpath("td")
    ]


def _timed(fn: Any, *args: Any) -> tuple[float, bytes]:
    t = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t, out


def _cpu(fn: Any, *args: Any) -> float:
    """The best of three in CPU seconds of this process (steadier than the wall clock on a
    shared machine; Typst's threads count too)."""
    best = float("inf")
    for _ in range(3):
        t = time.process_time()
        fn(*args)
        best = min(best, time.process_time() - t)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2_000)
    args = parser.parse_args()
    agreement = load_agreement(demo_agreement_path())
    data = big_night(args.rows, agreement.line)

    cold, html = _timed(render, data, agreement, "html")
    best = min(_timed(render, data, agreement, "html")[0] for _ in range(3))
    peer = min(_timed(peer_html, data)[0] for _ in range(3))
    ours_rows = _rows(html, '//section[@id="annex"]//tbody/tr')
    same = ours_rows == _rows(peer_html(data), "//tr") and len(ours_rows) == args.rows
    print(
        json.dumps(
            {
                "format": "html",
                "rows": args.rows,
                "cold_s": round(cold, 3),
                "best_s": round(best, 3),
                "peer_s": round(peer, 4),
                "ratio": round(best / peer, 1),
                "cpu_s": round(_cpu(render, data, agreement, "html"), 3),
                "same_rows": same,
                "bytes": len(html),
            }
        )
    )
    pdf_cold, pdf = _timed(render, data, agreement, "pdf")
    pdf_best = min(_timed(render, data, agreement, "pdf")[0] for _ in range(3))
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf))
    print(
        json.dumps(
            {
                "format": "pdf",
                "rows": args.rows,
                "cold_s": round(pdf_cold, 3),
                "best_s": round(pdf_best, 3),
                "cpu_s": round(_cpu(render, data, agreement, "pdf"), 3),
                "pages": pages,
                "bytes": len(pdf),
            }
        )
    )


if __name__ == "__main__":
    main()
