"""The daily report page in a real browser, on the demo: the monitor reads the night's report
in its sandboxed frame (every section, the map figure), picks another tier, and downloads the
PDF the record signs; a party is offered its own tier and the public's only. The fixtures are in
``conftest.py``; a screenshot goes to ``var/screenshots/report.png``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browsing import READY_MS, Site, shot, sign_in

from ceasefire.report.layout import HEADINGS

pytestmark = [pytest.mark.served, pytest.mark.browser, pytest.mark.slow]

#: The report of the demo night: the reporting day ending at 09:00 Kyiv time on 11 March.
NIGHT = "2026-03-11"


def test_the_monitor_reads_the_nights_report_and_downloads_its_pdf(page: Any, site: Site) -> None:
    sign_in(page, site, "monitor", f"/report?date={NIGHT}")
    frame = page.frame_locator("#report-frame")
    frame.locator("h2").first.wait_for(timeout=READY_MS)
    headings = frame.locator("h2").all_inner_texts()
    assert [h for h in headings if h in HEADINGS] == list(HEADINGS)
    # The map figure: one marker per violation of the annex.
    markers = frame.locator("svg circle.incident").count()
    annex = site.api(f"/api/v1/reports/daily?date={NIGHT}&format=json", "monitor")["annex"]
    assert markers == sum(1 for row in annex if row["lon"] is not None) > 0
    shot(page, "report")
    # Another tier, chosen with the plain form.
    page.select_option("#report-tier", "party:UA")
    page.click("#report-go")
    page.wait_for_url("**tier=party%3AUA*")
    frame.locator("h2").first.wait_for(timeout=READY_MS)
    assert "Tier: party UA" in frame.locator("body").inner_text()
    # The PDF link gives the bytes the API gives for the same query.
    with page.expect_download() as got:
        page.click("#report-pdf")
    assert Path(got.value.path()).read_bytes().startswith(b"%PDF-")


def test_a_party_is_offered_its_own_tier_and_the_publics(page: Any, site: Site) -> None:
    sign_in(page, site, "RU", f"/report?date={NIGHT}")
    options = page.locator("#report-tier option").evaluate_all("os => os.map(o => o.value)")
    assert options == ["party:RU", "public"]
    frame = page.frame_locator("#report-frame")
    frame.locator("h2").first.wait_for(timeout=READY_MS)
    assert "Tier: party RU" in frame.locator("body").inner_text()
