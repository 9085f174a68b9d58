"""The rendering tests' fixture: a hand-written report of one night and the demo agreement.

``tests/data/report/night_render.json`` follows ``ceasefire-daily-report/1`` (docs/report.md)
with made-up figures: a Cyrillic place name, a zero with known coverage and one without, a row
without a place, and hostile strings (HTML ``</script><b>x``, Typst ``#panic("x")`` and ``]``)
in the reasons and a place.
"""

from __future__ import annotations

import copy
import json
import subprocess
from functools import cache
from pathlib import Path
from typing import Any, Final

from backends import system_tool
from ceasefire.agreement.load import demo_agreement_path, load_agreement
from ceasefire.agreement.model import Agreement

NIGHT_PATH: Final = Path(__file__).parent.parent / "data" / "report" / "night_render.json"
#: The reason a hostile party gave for denying access (both markup languages at once).
HOSTILE_REASON: Final = '#panic("x") ] </script><b>x'
#: A restriction's reason that would hide the text after it if Typst read it as markup.
HIDING_REASON: Final = "mines on the road ]] #set text(size: 0pt)"
HOSTILE_PLACE: Final = "<img src=x onerror=alert(1)>"


@cache
def _night() -> dict[str, Any]:
    return json.loads(NIGHT_PATH.read_text(encoding="utf-8"))


def night() -> dict[str, Any]:
    """A fresh copy of the fixture's report data (tests may change it)."""
    return copy.deepcopy(_night())


@cache
def demo_agreement() -> Agreement:
    """The demo agreement (the line, the DMZ and the withdrawal zones the map draws)."""
    return load_agreement(demo_agreement_path())


def empty_night() -> dict[str, Any]:
    """The fixture with nothing recorded: every list empty, every count 0, coverage unknown."""
    data = night()
    for key in ("violations_by_party", "violations_by_rule", "zones", "strikes", "annex"):
        data[key] = []
    data["violations_by_oblast"] = []
    data["summary"] = {
        "lines": [],
        **dict.fromkeys(("reports", "incidents", "violations", "previous_violations"), 0),
        **dict.fromkeys(("verified", "corroborated", "reported"), 0),
    }
    data["verification"] = dict.fromkeys(("verified", "corroborated", "reported", "dismissed"), 0)
    zero = {"low": 0, "best": 0, "high": 0}
    data["harm"] = {
        "killed": zero,
        "injured": zero,
        "by_oblast": [],
        "infrastructure": [],
        "people_affected": [],
    }
    data["hotline"] = {
        **dict.fromkeys(("notifications", "acknowledged", "answered", "overdue", "escalations"), 0),
        "median_minutes_to_acknowledge": None,
        "median_minutes_to_answer": None,
        "access_denied": [],
    }
    data["coverage"] = {"by_oblast": [], "sensors_down": [], "restrictions": []}
    return data


def pdftotext() -> str:
    """Poppler's ``pdftotext``; ``.ci/run`` installs it and sets ``CEASEFIRE_TEST_PDF=require``,
    which makes its absence a failure."""
    return system_tool("pdftotext", "poppler-utils", "CEASEFIRE_TEST_PDF")


def pdf_text(pdf: bytes, tmp_path: Path, *, layout: bool = False) -> str:
    """The text of ``pdf`` as ``pdftotext`` reads it."""
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    args = [pdftotext(), *(["-layout"] if layout else []), "-enc", "UTF-8", str(path), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout
