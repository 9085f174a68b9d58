"""The tallies page and the map's panel of the night's tallies in a real browser, on the demo:
both sides' accounts of the demo night side by side (UA's noon correction in place of its
morning bulletin, the missiles one apart), the chart of the demo's seven nights, who may see
the page, and the map's panel. The fixtures are in ``conftest.py``; a screenshot of the page
goes to ``var/screenshots/tallies.png``.
"""

from __future__ import annotations

from typing import Any

import pytest
from browsing import READY_MS, Site, ready, shot, sign_in
from playwright.sync_api import expect

pytestmark = [pytest.mark.served, pytest.mark.browser, pytest.mark.slow]

#: The demo night (the reporting day from 09:00 Kyiv time on 10 March) and its nights of tallies.
DEMO_NIGHT = "2026-03-10"
DEMO_NIGHTS = 7


def _attack(page: Any, attacker: str) -> Any:
    return page.locator(f"#attacks section.attack[data-attacker='{attacker}']")


def test_the_monitor_sees_both_accounts_of_the_demo_night_side_by_side(
    page: Any, site: Site
) -> None:
    sign_in(page, site, "monitor", "/tallies")
    ready(page)
    assert page.get_attribute("main.tallies", "data-night") == DEMO_NIGHT
    ru_attack = _attack(page, "RU")
    heads = ru_attack.locator("thead th[data-issuer]")
    assert heads.evaluate_all("ths => ths.map(th => th.dataset.issuer)") == ["RU", "UA"]
    ua = ru_attack.locator("thead th[data-issuer='UA']")
    # UA's noon correction stands for UA, said to be one, its morning bulletin set aside.
    assert "af-2026-03-11-update" in ua.inner_text()
    assert "corrected version (supersedes af-2026-03-11)" in ua.inner_text()
    [reconciled] = [
        a
        for a in site.api(
            f"/api/v1/tallies/reconcile?since={DEMO_NIGHT}T07:00:00Z&until=2026-03-11T07:00:00Z",
            "monitor",
        )["items"]
        if a["attacker"] == "RU"
    ]
    assert reconciled["accounts"]["UA"]["tally"] == "af-2026-03-11-update"
    # The missiles: RU says 30, UA 29; one apart, RU's the higher.
    missiles = ru_attack.locator("tr[data-figure='missiles.launched']")
    assert missiles.locator("td[data-issuer='RU']").inner_text() == "30"
    assert missiles.locator("td[data-issuer='UA']").inner_text() == "29"
    assert missiles.locator("td.gap").inner_text() == "1 RU higher"
    # Intervals as the API gives them: RU's "over 300 drones" has no upper bound.
    drones = ru_attack.locator("tr[data-figure='drones.launched']")
    assert drones.locator("td[data-issuer='RU']").inner_text() == "≥ 301"
    assert drones.locator("td.gap").inner_text() == "agree"
    rows = ru_attack.locator("tbody tr[data-figure]")
    assert rows.count() == len({f for a in reconciled["accounts"].values() for f in a["figures"]})
    # The mission's record beside them: its strikes by oblast, and UA's regions it lacks.
    record = ru_attack.locator(".record")
    assert f"{reconciled['record']['strikes']} strike incidents of RU" in record.inner_text()
    ua_record = record.locator("tr[data-issuer='UA']")
    strikes = reconciled["record"]["strikes"]
    assert "Cherkasy" in ua_record.inner_text()
    assert f"17 against {strikes}" in ua_record.inner_text()
    # The chart of nights: UA's account of RU's attacks, one group per night, and its numbers.
    assert page.input_value("#series") == "UA/RU"
    assert page.locator("#chart svg g.night").count() == DEMO_NIGHTS
    assert page.locator("#chart-table tbody tr").count() == DEMO_NIGHTS
    path = shot(page, "tallies", full_page=True)
    assert path.stat().st_size > 0


def test_the_night_picker_and_the_chart_choice_show_what_they_name(page: Any, site: Site) -> None:
    sign_in(page, site, "monitor", "/tallies")
    ready(page)
    with page.expect_navigation():
        page.select_option("#night", "2026-03-07")
    ready(page)
    assert "night=2026-03-07" in page.url
    attacks = page.locator("#attacks section.attack")
    assert attacks.count() == 1  # that night, UA's bulletin alone
    assert attacks.locator("thead th[data-issuer]").inner_text().startswith("UA")
    page.select_option("#series", "RU/RU")  # RU's own account: the demo night only
    expect(page.locator("#chart svg g.night")).to_have_count(1, timeout=READY_MS)


def test_the_chart_fits_a_window_800_pixels_wide(page: Any, site: Site) -> None:
    page.set_viewport_size({"width": 800, "height": 800})
    sign_in(page, site, "UA", "/tallies")
    ready(page)
    chart = page.locator("#chart")
    svg = chart.locator("svg")
    assert 0 < svg.bounding_box()["width"] <= chart.bounding_box()["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 800
    assert page.locator("#chart svg g.night").count() == DEMO_NIGHTS


def test_the_public_is_sent_to_sign_in_and_a_party_then_reads_the_page(
    page: Any, site: Site
) -> None:
    page.goto(f"{site.base}/tallies")
    assert page.url == f"{site.base}/signin?next=/tallies"
    assert page.locator("header nav a[href='/tallies']").count() == 0
    page.fill("#token", site.tokens["UA"])
    page.click("#signin-form button[type=submit]")
    page.wait_for_url(f"{site.base}/tallies")
    ready(page)
    # A party reads both accounts, its own and the other side's.
    heads = _attack(page, "RU").locator("thead th[data-issuer]")
    assert heads.evaluate_all("ths => ths.map(th => th.dataset.issuer)") == ["RU", "UA"]
    assert page.locator("header nav a[href='/tallies'][aria-current=page]").count() == 1


def test_the_maps_panel_gives_each_issuers_tallies_of_the_night_and_links_the_page(
    page: Any, site: Site
) -> None:
    sign_in(page, site, "monitor")
    ready(page)
    panel = page.locator("#tallies-panel")
    panel.locator("summary").click()
    expect(panel).to_have_attribute("data-ready", "1", timeout=READY_MS)
    lines = panel.locator("li[data-issuer]")
    assert set(lines.evaluate_all("lis => lis.map(li => li.dataset.issuer)")) == {"RU", "UA"}
    ua = panel.locator("li[data-issuer='UA'][data-attacker='RU']").inner_text()
    assert ua == (
        "UA on RU's attack: drones 396 launched, 352 destroyed; missiles 29 launched, 24 destroyed"
    )
    with page.expect_navigation():
        panel.locator("#tallies-link").click()
    ready(page)
    assert page.get_attribute("main.tallies", "data-night") == DEMO_NIGHT
