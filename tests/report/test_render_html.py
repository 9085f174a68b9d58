"""The daily report as HTML (ceasefire.report.render_html) and the one entry point (render)."""

from __future__ import annotations

import json
from typing import Any

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from render_fixture import (
    HIDING_REASON,
    HOSTILE_PLACE,
    HOSTILE_REASON,
    demo_agreement,
    empty_night,
    night,
)

from ceasefire.canonical import canonical_json
from ceasefire.errors import InputError
from ceasefire.report.layout import HEADINGS
from ceasefire.report.render import RENDER_FORMATS, render


def _page(data: dict[str, Any]) -> Any:
    return lxml.html.document_fromstring(render(data, demo_agreement(), "html"))


def _rows(page: Any, section: str, caption: str) -> list[list[str]]:
    """The body rows (cell texts) of the table whose caption holds ``caption``, in one section."""
    tables = [
        t
        for t in page.xpath(f'//section[@id="{section}"]//table')
        if caption in t.xpath("string(caption)")
    ]
    assert len(tables) == 1, (section, caption)
    return [[td.text_content() for td in tr.xpath("td")] for tr in tables[0].xpath("tbody/tr")]


def test_sections_come_in_the_report_order() -> None:
    page = _page(night())
    assert [h.text_content() for h in page.xpath("//main/section/h2")] == list(HEADINGS)
    assert HEADINGS[0] == "Summary" and HEADINGS[-1] == "Annex" and len(HEADINGS) == 11


def test_the_header_states_cutoff_tier_and_checkpoint() -> None:
    page = _page(night())
    header = page.xpath("string(//header)")
    assert "Information as of 2026-11-20 09:00 Europe/Kyiv" in header
    assert "Tier: mission (all records)" in header
    assert "size 4,817, root q2xJc1VwZHZ3b0V4YW1wbGVSb290Rm9yVGVzdHM9PT0=" in header
    assert "Demo ceasefire agreement (demo-ceasefire, version 2)" in header
    (meta,) = page.xpath('//meta[@name="ceasefire-report"]/@content')
    assert meta == (
        "format=ceasefire-daily-report/1; date=2026-11-20; tier=mission; checkpoint-size=4817; "
        "checkpoint-root=q2xJc1VwZHZ3b0V4YW1wbGVSb290Rm9yVGVzdHM9PT0="
    )


def test_key_numbers_land_in_their_sections() -> None:
    page = _page(night())
    assert ["Violations", "7"] in _rows(page, "summary", "Key figures")
    assert ["Violations in the previous period", "4"] in _rows(page, "summary", "Key figures")
    oblasts = _rows(page, "by-oblast", "Violations by oblast")
    assert oblasts[0] == ["Donetsk", "4", "2", "+2", "81%"]
    assert oblasts[1] == ["Kharkiv", "3", "1", "+2", "62%"]
    assert _rows(page, "by-party", "Violations by party")[0] == [
        "RU (Russian Federation)",
        "4",
        "3",
        "+1",
    ]
    assert ["fire", "unspecified", "1", "1", "no change"] in _rows(page, "by-rule", "Violations")
    assert ["Dismissed", "found unfounded", "1"] in _rows(page, "verification", "Incidents")
    assert _rows(page, "zones", "Weapons")[0][:2] == ["INC-000277", "dmz"]
    assert ["launched.drones", "RU 350; UA 412"] in _rows(
        page, "strikes", "where the accounts differ"
    )
    assert ["Odesa", "without power", "48,000 (10,000–99,999)"] in _rows(page, "harm", "People")
    assert "Killed: 3 (2–5). Injured: 11." in page.xpath('string(//section[@id="harm"])')
    hotline = _rows(page, "hotline", "Hotline traffic")
    assert ["Median time to answer", "41.0 min"] in hotline
    assert ["UAV-LR-2", "jammed", "2026-11-19 23:10", "2026-11-19 23:55", "Kharkiv"] in _rows(
        page, "coverage", "Sensors not operational"
    )
    annex = _rows(page, "annex", "Every violation")
    assert [r[0] for r in annex] == [r["incident"] for r in night()["annex"]]
    assert annex[0][7:9] == ["поблизу Вовчанська", "36.940, 50.290"]
    assert annex[-1][2] == "unattributed" and annex[-1][8] == ""  # no place: no coordinates


def test_the_figures_are_inline_svg() -> None:
    page = _page(night())
    figures = page.xpath("//figure/@id")
    assert figures == ["figure-map", "figure-by_oblast", "figure-by_party"]
    markers = page.xpath('//figure[@id="figure-map"]//*[local-name()="circle"][@class="incident"]')
    assert len(markers) == 6  # the annex rows with a place
    bars = page.xpath('//figure[@id="figure-by_oblast"]//*[@class="bar-group"]')
    assert len(bars) == len(night()["violations_by_oblast"])


def test_zeros_say_whether_anyone_could_see() -> None:
    oblasts = _rows(_page(night()), "by-oblast", "Violations by oblast")
    assert oblasts[2][:2] == ["Luhansk", "none recorded; observed 62% of the window"]
    assert oblasts[3][:2] == ["Zaporizhzhia", "none recorded; coverage unknown"]
    assert all(row[1] != "0" for row in oblasts)


def test_an_empty_day_renders_every_section_with_its_words() -> None:
    page = _page(empty_night())
    assert [h.text_content() for h in page.xpath("//main/section/h2")] == list(HEADINGS)
    assert ["Violations", "none recorded; coverage unknown"] in _rows(page, "summary", "Key")
    text = page.text_content()
    assert "Every violation of the period: No violation recorded in the period" in text
    assert "Coverage unknown: no sensor status or patrol track in the period." in text
    assert "No strike tally for an attack in the period." in text
    assert ["Median time to acknowledge", "none acknowledged"] in _rows(page, "hotline", "Hot")
    # the map is drawn (the agreement), with no marker; no chart of nothing
    assert len(page.xpath('//figure[@id="figure-map"]//*[local-name()="path"]')) > 3
    assert page.xpath('//*[local-name()="circle"][@class="incident"]') == []
    assert page.xpath('//figure[@id="figure-by_oblast"]') == []


def test_hostile_strings_come_out_as_text() -> None:
    raw = render(night(), demo_agreement(), "html")
    page = lxml.html.document_fromstring(raw)
    # nothing the parties wrote became an element
    assert page.xpath("//script | //b | //img") == []
    assert [r[3] for r in _rows(page, "hotline", "Access requests")] == [HOSTILE_REASON]
    reasons = [r[4] for r in _rows(page, "coverage", "Restrictions")]
    assert reasons == [HIDING_REASON, HOSTILE_REASON]
    assert HOSTILE_PLACE in [r[7] for r in _rows(page, "annex", "Every")]
    assert b"&lt;/script&gt;&lt;b&gt;x" in raw
    # also in the map's tooltips
    titles = page.xpath('//*[local-name()="circle"]/*[local-name()="title"]/text()')
    assert "INC-000270 " + HOSTILE_PLACE in titles


def test_the_page_fetches_nothing() -> None:
    raw = render(night(), demo_agreement(), "html")
    page = lxml.html.document_fromstring(raw)
    assert page.xpath("//script | //link | //iframe | //object | //embed | //img") == []
    assert page.xpath("//@src | //@href | //@srcset") == []
    assert b"url(" not in raw and b"@import" not in raw
    assert raw.replace(b'xmlns="http://www.w3.org/2000/svg"', b"").count(b"http") == 0
    assert raw.startswith(b"<!DOCTYPE html>")


def test_the_same_data_gives_the_same_bytes() -> None:
    first = render(night(), demo_agreement(), "html")
    assert render(night(), demo_agreement(), "html") == first
    changed = night()
    changed["annex"][0]["count"] = 15
    assert render(changed, demo_agreement(), "html") != first


def test_json_is_the_canonical_form_of_the_data() -> None:
    out = render(night(), demo_agreement(), "json")
    assert out == canonical_json(night())
    assert json.loads(out) == night()


@pytest.mark.parametrize("fmt", ["docx", "HTML", "", "pdf "])
def test_an_unknown_format_is_refused_by_name(fmt: str) -> None:
    with pytest.raises(InputError, match=r"format: unknown format .*choose html, json or pdf"):
        render(night(), demo_agreement(), fmt)
    assert RENDER_FORMATS == ("html", "json", "pdf")


def test_data_of_another_shape_is_refused_naming_each_key() -> None:
    data = night()
    del data["annex"]
    data["hotline"] = []
    data["format"] = "ceasefire-daily-report/0"
    with pytest.raises(InputError) as caught:
        render(data, demo_agreement(), "html")
    problems = {(p.field, p.reason) for p in caught.value.problems}
    assert problems == {
        ("format", "must be 'ceasefire-daily-report/1', got 'ceasefire-daily-report/0'"),
        ("annex", "is missing"),
        ("hotline", "must be an object"),
    }
    with pytest.raises(InputError, match="must be a JSON object"):
        render([], demo_agreement(), "pdf")  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_any_place_or_reason_is_shown_as_written(value: str) -> None:
    data = night()
    data["annex"][0]["place"] = value
    data["hotline"]["access_denied"][0]["reason"] = value
    page = _page(data)
    assert page.xpath("//script | //b | //img") == []
    # HTML parsers drop NUL and fold CR LF / CR into LF; everything else comes back as it went in
    expected = value.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
    cells = [r[3] for r in _rows(page, "hotline", "Access requests")]
    assert [c.replace("\ufffd", "") for c in cells] == [expected.replace("\ufffd", "")]
