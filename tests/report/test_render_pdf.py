"""The daily report as PDF (ceasefire.report.render_pdf), read back by poppler's ``pdftotext``.

``CEASEFIRE_TEST_PDF=require`` (set by ``.ci/run``) makes a missing ``pdftotext`` a failure
instead of a skip.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from render_fixture import (
    HIDING_REASON,
    HOSTILE_PLACE,
    HOSTILE_REASON,
    NIGHT_PATH,
    demo_agreement,
    empty_night,
    night,
    pdf_text,
)

from ceasefire.errors import InputError
from ceasefire.report.layout import HEADINGS
from ceasefire.report.render import render


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return render(night(), demo_agreement(), "pdf")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines()]


def test_the_pdf_holds_each_section_in_order(pdf: bytes, tmp_path: Path) -> None:
    lines = _lines(pdf_text(pdf, tmp_path))
    at = [lines.index(heading) for heading in HEADINGS]
    assert at == sorted(at)
    assert pdf.startswith(b"%PDF-")
    # the figures are in, after their sections' headings (Typst keeps SVG text as text)
    figure = [i for i, line in enumerate(lines) if line.startswith("Figure ")]
    assert len(figure) == 3
    assert at[0] < figure[0] < at[1] < figure[1] < at[2] < figure[2] < at[3]
    assert "line of contact" in lines and "violation, verified" in lines and "100 km" in lines


def test_the_pdf_states_cutoff_checkpoint_tier_and_key_numbers(pdf: bytes, tmp_path: Path) -> None:
    text = pdf_text(pdf, tmp_path, layout=True)
    assert "Information as of 2026-11-20 09:00 Europe/Kyiv" in text
    assert "Tier: mission (all records)" in text
    assert "size 4,817, root q2xJc1VwZHZ3b0V4YW1wbGVSb290Rm9yVGVzdHM9PT0=" in text
    for line in (
        r"Donetsk\s+4\s+2\s+\+2\s+81%",
        r"Violations\s+7",
        r"RU \(Russian Federation\)\s+4\s+3\s+\+1",
        r"launched\.drones\s+RU 350; UA 412",
        r"Odesa\s+without power\s+48,000 \(10,000–99,999\)",
        r"Median time to answer\s+41\.0 min",
        r"UAV-LR-2\s+jammed\s+2026-11-19 23:10\s+2026-11-19 23:55\s+Kharkiv",
    ):
        assert re.search(line, text), line
    for row in night()["annex"]:
        assert row["incident"] in text


def test_the_zeros_say_whether_anyone_could_see(pdf: bytes, tmp_path: Path) -> None:
    text = " ".join(pdf_text(pdf, tmp_path, layout=True).split())
    assert "Luhansk none recorded; observed 62% of the window 1 -1 62%" in text
    assert "Zaporizhzhia none recorded; coverage unknown 0 no change unknown" in text


def test_cyrillic_place_names_render(pdf: bytes, tmp_path: Path) -> None:
    text = pdf_text(pdf, tmp_path)
    assert "поблизу Вовчанська" in text
    assert "Мар'їнка, checkpoint 3" in text


def test_hostile_strings_are_printed_not_run(pdf: bytes, tmp_path: Path) -> None:
    text = pdf_text(pdf, tmp_path, layout=True)
    # `#panic` did not stop the compile, `]` closed nothing, `#set text(size: 0pt)` hid nothing
    assert HOSTILE_REASON in text
    assert HIDING_REASON in text
    assert "restriction" in text.split(HIDING_REASON)[1].splitlines()[0]
    flat = " ".join(text.split())
    assert HOSTILE_PLACE.split()[0] in flat and "onerror=alert(1)>" in flat


def test_the_same_data_gives_the_same_bytes_here_and_in_another_process(
    pdf: bytes, tmp_path: Path
) -> None:
    assert render(night(), demo_agreement(), "pdf") == pdf
    out = tmp_path / "other.pdf"
    script = (
        "import json, sys; from pathlib import Path\n"
        "from ceasefire.agreement.load import demo_agreement_path, load_agreement\n"
        "from ceasefire.report.render import render\n"
        "data = json.loads(Path(sys.argv[1]).read_text(encoding='utf-8'))\n"
        "Path(sys.argv[2]).write_bytes("
        "render(data, load_agreement(demo_agreement_path()), 'pdf'))\n"
    )
    subprocess.run([sys.executable, "-c", script, str(NIGHT_PATH), str(out)], check=True)
    assert out.read_bytes() == pdf


def test_the_pdf_is_dated_by_the_cutoff_not_the_clock(pdf: bytes) -> None:
    assert b"2026-11-20T07:00:00" in pdf  # the XMP CreationDate
    assert b"D:20261120070000" in pdf
    later = night()
    later["cutoff"] = "2026-11-20T08:00:00Z"
    assert b"D:20261120080000" in render(later, demo_agreement(), "pdf")


def test_the_pdf_declares_the_archival_profile(pdf: bytes) -> None:
    assert re.search(rb"<pdfaid:part>2</pdfaid:part>", pdf)
    assert re.search(rb"<pdfaid:conformance>B</pdfaid:conformance>", pdf)


def test_a_changed_record_changes_the_bytes(pdf: bytes) -> None:
    changed = night()
    changed["checkpoint"]["size"] = 4818
    assert render(changed, demo_agreement(), "pdf") != pdf


def test_an_empty_day_renders_with_its_words(tmp_path: Path) -> None:
    text = " ".join(pdf_text(render(empty_night(), demo_agreement(), "pdf"), tmp_path).split())
    assert all(heading in text for heading in HEADINGS)
    assert "Violations none recorded; coverage unknown" in text
    assert "No violation recorded in the period" in text


def test_a_cutoff_that_is_not_a_time_is_refused() -> None:
    data = night()
    data["cutoff"] = "20 November, morning"
    with pytest.raises(InputError, match="cutoff: must be an ISO 8601 time in UTC"):
        render(data, demo_agreement(), "pdf")


# Typst's markup characters, quotes, brackets and a few letters (Latin and Cyrillic)
_MARKUP = st.text(alphabet="#[]{}()$*_`\"<>@=-+/\\;:~'.,0123456789 aexpnicЇяж\n", max_size=30)


@settings(max_examples=25, deadline=None)
@given(_MARKUP)
def test_any_reason_compiles_and_is_printed(value: str) -> None:
    data = night()
    data["hotline"]["access_denied"][0]["reason"] = "START" + value + "END"
    data["annex"][1]["place"] = value
    pdf = render(data, demo_agreement(), "pdf")
    with tempfile.TemporaryDirectory() as folder:
        text = pdf_text(pdf, Path(folder))
    # nothing in between was read as markup that could end the cell or hide the rest
    assert "START" in text and "END" in text
