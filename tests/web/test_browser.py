"""The web page in a real browser: Debian's Chromium, headless, driven by Playwright, against a
real ``ceasefire serve`` on loopback (a copy of the demo, with live fusion on).

Every page is loaded with every request that is not to the service refused and recorded: a
page that asked a CDN, a tile or a font server for anything fails. The tests click through what
people do: sign in, filter, open an incident, acknowledge and answer on the hotline as a party,
verify as a monitor, and check what a party and the public cannot see. Screenshots of the main
pages go to ``var/screenshots/`` (``CEASEFIRE_SCREENSHOTS``), not committed, for a person to look.
The fixtures and helpers are in ``conftest.py`` and ``browsing.py``.
"""

from __future__ import annotations

import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from browsing import READY_MS, Site, ready, shot, sign_in
from playwright.sync_api import expect

from ceasefire.agreement.load import demo_agreement_path, load_agreement

pytestmark = [pytest.mark.served, pytest.mark.browser, pytest.mark.slow]


# -- what every page loads --------------------------------------------------------------------


@pytest.mark.parametrize("who", [None, "UA", "monitor"])
def test_every_page_loads_from_the_service_alone(page: Any, site: Site, who: str | None) -> None:
    if who is not None:
        sign_in(page, site, who)
    for path in ("/map", "/incidents/INC-000356", "/signin", "/hotline"):
        page.goto(f"{site.base}{path}")
        if path in ("/map", "/incidents/INC-000356") or (path == "/hotline" and who):
            ready(page)
    # The fixture fails the test on any request to another host or any script error.


# -- the map and its feed ---------------------------------------------------------------------


def test_a_party_sees_on_the_map_what_the_api_gives_it_and_filters_it(
    page: Any, site: Site
) -> None:
    start, end = site.window()
    sign_in(page, site, "UA")
    view = urllib.parse.urlencode({"until": end, "hours": 24})
    page.goto(f"{site.base}/map#{view}")
    features = site.items("UA", start, end)
    assert features, "the demo gives UA incidents in the window"
    assert ready(page) == len(features)
    shot(page, "map-UA")
    statuses = {f["properties"]["status"] for f in features}
    status = "corroborated" if "corroborated" in statuses else sorted(statuses)[0]
    page.select_option("#f-status", status)
    want = sum(f["properties"]["status"] == status for f in features)
    expect(page.locator("body")).to_have_attribute("data-shown", str(want), timeout=READY_MS)
    assert f"status={status}" in page.url
    # The URL holds the view: the same link shows the same.
    again = page.context.new_page()
    again.goto(page.url)
    assert ready(again) == want
    again.close()
    rows = page.locator("#incidents li.incident")
    assert rows.count() == min(want, 500)
    assert {rows.nth(i).get_attribute("data-status") for i in range(rows.count())} == {status}


@pytest.mark.parametrize("who", ["monitor", "UA"])
def test_the_map_opens_on_the_last_reporting_day_of_the_agreement(
    page: Any, site: Site, who: str
) -> None:
    # No window in the link: the demo's newest observation the caller may see is months old,
    # so the map opens on the reporting day (09:00 to 09:00 Kyiv time) that holds it.
    reporting = load_agreement(demo_agreement_path()).reporting
    if who == "monitor":
        starts = [f["properties"]["observed_from"] for f in site.items("monitor", *site.window())]
    else:  # a party's own newest report stands in (its incidents are not bounded cheaply)
        starts = [r["observed_from"] for r in _all(site, "/api/v1/reports?limit=1000", who)]
    newest = max(datetime.fromisoformat(t) for t in starts)
    start, end = reporting.first_shown(newest, datetime.now(UTC))
    assert (start, end) == reporting.holding(newest)
    sign_in(page, site, who)
    page.goto(f"{site.base}/map")
    shown = ready(page)
    assert shown == len(site.items(who, start.isoformat(), end.isoformat())) > 0
    got = page.evaluate("new Date(document.getElementById('until').value).toISOString()")
    assert datetime.fromisoformat(got) == end
    assert "09:00 Europe/Kyiv" in page.inner_text("fieldset.window legend")


def _all(site: Site, url: str, who: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    next_url: str | None = url
    while next_url:
        page = site.api(next_url, who)
        out += page["items"]
        next_url = page.get("next")
    return out


def test_the_public_sees_only_released_incidents(page: Any, site: Site) -> None:
    start, end = site.window()
    page.goto(f"{site.base}/map#{urllib.parse.urlencode({'until': end, 'hours': 24})}")
    public = site.items(None, start, end)
    everything = site.items("monitor", start, end)
    assert ready(page) == len(public) < len(everything)
    # The latest signed checkpoint, fetched beside the incidents.
    expect(page.locator("#checkpoint-note")).to_have_count(1, timeout=READY_MS)
    shot(page, "map-public")


def test_a_new_incident_appears_in_the_feed_without_a_reload(page: Any, site: Site) -> None:
    _, end = site.window()
    sign_in(page, site, "monitor")
    page.goto(f"{site.base}/map#{urllib.parse.urlencode({'until': end, 'hours': 24})}")
    before = ready(page)
    seen = (datetime.fromisoformat(end) - timedelta(hours=2)).isoformat()
    report = {
        "id": "web-live-1", "submitted_by": "mission", "source_kind": "patrol",
        "source_name": "patrol web", "observed_from": seen, "lon": 37.05, "lat": 47.95,
        "uncertainty_m": 100, "event_type": "mine",
    }  # fmt: skip
    site.api("/api/v1/reports", "monitor", report)
    expect(page.locator("body")).to_have_attribute("data-shown", str(before + 1), timeout=20_000)


# -- an incident ----------------------------------------------------------------------------


def test_an_incident_opens_from_the_feed_with_its_facts(page: Any, site: Site) -> None:
    _, end = site.window()
    sign_in(page, site, "monitor")
    page.goto(f"{site.base}/map#{urllib.parse.urlencode({'until': end, 'hours': 24})}")
    ready(page)
    first = page.locator("#incidents li.incident a").first
    incident = first.inner_text()
    first.click()
    page.wait_for_url(f"**/incidents/{incident}")
    ready(page)
    record = site.api(f"/api/v1/incidents/{incident}", "monitor")
    assert incident in page.inner_text("#title")
    assert page.inner_text("#status") == record["incident"]["status"]
    assert page.locator("#members table tr").count() == len(record["reports"]) + 1
    assert page.locator("#proof-link").count() == 1
    shot(page, "incident-monitor")


def test_a_monitor_verifies_an_incident_from_its_page(page: Any, site: Site) -> None:
    start, end = site.window()
    candidates = [
        f["properties"]["id"]
        for f in site.items("monitor", start, end)
        if f["properties"]["status"] == "corroborated"
    ]
    incident = candidates[-1]
    sign_in(page, site, "monitor", f"/incidents/{incident}")
    ready(page)
    page.select_option("#status-form select[name=status]", "verified")
    page.fill("#status-form input[name=basis]", "Patrol saw the craters; two sources agree.")
    page.select_option("#status-form select[name=assessed_perpetrator]", "RU")
    page.select_option("#status-form select[name=perpetrator_basis]", "crater_analysis")
    page.click("#status-form button[type=submit]")
    expect(page.locator("#status")).to_have_text("verified", timeout=READY_MS)
    stored = site.api(f"/api/v1/incidents/{incident}", "monitor")["incident"]
    assert (stored["status"], stored["assessed_perpetrator"]) == ("verified", "RU")
    assert stored["assessed_basis"] == "crater_analysis"
    expect(page.locator("#facts")).to_contain_text("RU: crater_analysis", timeout=READY_MS)


def test_the_mediator_releases_an_incident_and_the_public_reads_it_coarsened(
    page: Any, browser: Any, site: Site
) -> None:
    start, end = site.window()
    public = {f["properties"]["id"] for f in site.items(None, start, end)}
    incident = next(
        f["properties"]["id"]
        for f in site.items("monitor", start, end)
        if f["properties"]["id"] not in public
    )
    stored = site.api(f"/api/v1/incidents/{incident}", "monitor")["incident"]
    sign_in(page, site, "mediator", f"/incidents/{incident}")
    ready(page)
    assert page.locator("#decide").is_hidden()  # deciding is the monitors'
    page.click("#release-form button[type=submit]")
    expect(page.locator("#notice")).to_have_text("Released to the public.", timeout=READY_MS)
    # The public, in a browser of its own (no cookie): the incident, at a coarsened place.
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        anyone = context.new_page()
        anyone.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith((site.base + "/", "blob:", "data:"))
                else route.abort()
            ),
        )
        anyone.goto(f"{site.base}/incidents/{incident}")
        ready(anyone)
        place = anyone.locator("#facts").inner_text()
        assert "coarsened" in place
        assert f"{stored['lat']:.4f}, {stored['lon']:.4f}" not in place
        assert anyone.locator("#decide").is_hidden() and anyone.locator("#release").is_hidden()
        assert "Sources" not in place  # who reported it is not the public's
    finally:
        context.close()


def test_a_monitor_cannot_verify_an_incident_of_its_own_report_and_is_told_why(
    page: Any, site: Site
) -> None:
    _, end = site.window()
    seen = (datetime.fromisoformat(end) - timedelta(hours=3)).isoformat()
    report = {
        "id": "web-own-1", "submitted_by": "mission", "source_kind": "patrol",
        "source_name": "patrol web own", "observed_from": seen, "lon": 35.2, "lat": 47.3,
        "uncertainty_m": 100, "event_type": "weapon_sighting", "weapon_class": "artillery",
    }  # fmt: skip
    site.api("/api/v1/reports", "monitor", report)
    incident = _incident_of(site, "web-own-1", seen)
    sign_in(page, site, "monitor", f"/incidents/{incident}")
    ready(page)
    before = page.inner_text("#status")
    page.select_option("#status-form select[name=status]", "verified")
    page.fill("#status-form input[name=basis]", "I saw it myself.")
    page.click("#status-form button[type=submit]")
    # Four eyes: the library refuses, and the page says so in the API's own words.
    expect(page.locator("#notice")).to_have_class("error", timeout=READY_MS)
    assert "Four eyes" in page.inner_text("#notice")
    assert site.api(f"/api/v1/incidents/{incident}", "monitor")["incident"]["status"] == before


def _incident_of(site: Site, report_id: str, seen: str) -> str:
    """The incident live fusion put ``report_id`` in (waiting for it, bounded)."""
    at = datetime.fromisoformat(seen)
    window = urllib.parse.urlencode(
        {
            "since": (at - timedelta(hours=1)).isoformat(),
            "until": (at + timedelta(hours=1)).isoformat(),
            "limit": 10_000,
        }
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for incident in site.api(f"/api/v1/incidents?{window}", "monitor")["items"]:
            if report_id in incident["report_ids"]:
                return str(incident["id"])
        time.sleep(0.25)
    raise AssertionError(f"{report_id} was not fused within 30 s")


def test_a_party_cannot_open_an_incident_it_may_not_see(page: Any, site: Site) -> None:
    start, end = site.window()
    ua = {f["properties"]["id"] for f in site.items("UA", start, end)}
    hidden = next(
        f["properties"]["id"]
        for f in site.items("monitor", start, end)
        if f["properties"]["id"] not in ua
    )
    sign_in(page, site, "UA", f"/incidents/{hidden}")
    ready(page)
    assert "that you may see" in page.inner_text("#title")
    assert page.locator("#members table").count() == 0
    assert page.locator("#decide").is_hidden()


# -- the hotline ----------------------------------------------------------------------------


def test_a_party_acknowledges_and_answers_on_the_hotline(page: Any, site: Site) -> None:
    sent = site.api(
        "/api/v1/hotline/messages",
        "monitor",
        {"kind": "query", "recipients": ["UA"], "text": "Did your unit fire near Orikhiv?"},
    )
    sign_in(page, site, "UA", "/hotline")
    ready(page)
    row = page.locator(f"#inbox tr[data-id='{sent['id']}']")
    assert row.get_attribute("data-state") == "open"
    row.locator("input[type=checkbox]").check()
    page.click("#ack-selected")
    expect(page.locator("#notice")).to_have_text("Acknowledged 1 message.", timeout=READY_MS)
    mine = site.api(f"/api/v1/hotline/messages/{sent['id']}", "UA")["recipients_progress"]["UA"]
    assert mine["acknowledged_at"] is not None
    page.locator(f"#inbox tr[data-id='{sent['id']}'] button.answer").click()
    page.select_option("#answer-form select[name=position]", "under_investigation")
    page.fill("#answer-form input[name=reasons]", "Checking with the brigade.")
    page.click("#answer-form button[type=submit]")
    expect(page.locator("#notice")).to_contain_text("Answered", timeout=READY_MS)
    thread = site.api(f"/api/v1/hotline/messages?thread={urllib.parse.quote(sent['thread'])}", "UA")
    assert [m["position"] for m in thread["messages"] if m["kind"] == "response"] == [
        "under_investigation"
    ]
    page.evaluate("window.scrollTo(0, 0)")  # the inbox's head: what is owed in time
    shot(page, "hotline-UA")


def test_a_party_answers_a_line_check_from_its_inbox(page: Any, site: Site) -> None:
    # The service's scheduler sends each party a line check when one is due (the demo's last
    # is months old): acknowledging it from the inbox is the line check's reply.
    deadline = time.monotonic() + 30
    check = None
    while check is None and time.monotonic() < deadline:
        owed = site.api("/api/v1/hotline/messages?kind=line_check&state=open&limit=5", "RU")
        check = next(iter(owed["messages"]), None)
        time.sleep(0.5)
    assert check is not None, "no open line check for RU"
    sign_in(page, site, "RU", "/hotline")
    ready(page)
    # Owed in time, so above the months-old overdue traffic of the demo, not pages down.
    rows = page.locator("#inbox tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.id || r.className)"
    )
    assert rows[0] == "section" and check["id"] in rows[1 : rows.index("section", 1)]
    row = page.locator(f"#inbox tr[data-id='{check['id']}']")
    assert row.get_attribute("data-state") == "open"
    row.locator("button.ack").click()
    expect(page.locator("#notice")).to_have_text("Acknowledged 1 message.", timeout=READY_MS)
    thread = site.api(
        f"/api/v1/hotline/messages?thread={urllib.parse.quote(check['thread'])}", "RU"
    )
    assert "line_check_reply" in [m["kind"] for m in thread["messages"]]


def test_a_party_sends_a_prior_notification_from_its_inbox(page: Any, site: Site) -> None:
    sign_in(page, site, "UA", "/hotline")
    ready(page)
    form = page.locator("#send-form")
    form.locator("select[name=kind]").select_option("request")
    form.locator("input[name=recipients]").fill("RU, mission")
    form.locator("input[name=subject]").fill("Engineering work near Kupiansk")
    form.locator("input[name=text]").fill("Clearing mines on the road, 06:00-10:00 UTC.")
    form.locator("select[name=topic]").select_option("prior_notification")
    form.locator("input[name=lon]").fill("37.61")
    form.locator("input[name=lat]").fill("49.71")
    form.locator("input[name=radius_m]").fill("2000")
    form.locator("input[name=to]").fill("2026-12-24T10:00")
    # No start: the library's error, naming the field, and nothing sent.
    form.locator("button[type=submit]").click()
    expect(page.locator("#notice")).to_contain_text("window.from", timeout=READY_MS)
    form.locator("input[name=from]").fill("2026-12-24T06:00")
    form.locator("button[type=submit]").click()
    expect(page.locator("#notice")).to_contain_text("Sent", timeout=READY_MS)
    sent_id = page.locator("#notice").inner_text().removeprefix("Sent ").rstrip(".")
    sent = site.api(f"/api/v1/hotline/messages/{urllib.parse.quote(sent_id)}", "UA")
    assert (sent["kind"], sent["topic"], sent["sender"]) == ("request", "prior_notification", "UA")
    assert sorted(sent["recipients"]) == ["RU", "mission"]
    assert sent["place"] == {"lon": 37.61, "lat": 49.71, "radius_m": 2000.0}
    assert sent["window"] == {
        "from": "2026-12-24T06:00:00+00:00",
        "to": "2026-12-24T10:00:00+00:00",
    }
    # RU owes its acknowledgement in time: the first section of its inbox.
    in_time = site.api("/api/v1/hotline/messages?order=owed&state=open&limit=100", "RU")
    assert sent_id in [m["id"] for m in in_time["messages"]]


def test_the_other_party_never_sees_that_exchange(page: Any, site: Site) -> None:
    sign_in(page, site, "RU", "/hotline")
    ready(page)
    ids = page.locator("#inbox tbody tr[data-id]").evaluate_all(
        "rows => rows.map(r => r.dataset.id)"
    )
    in_time = site.api("/api/v1/hotline/messages?order=owed&state=open&limit=100", "RU")
    first = [m["id"] for m in in_time["messages"] if "RU" in m["recipients"]]
    listed = site.api("/api/v1/hotline/messages?order=owed&limit=100", "RU")["messages"]
    assert ids == first + [m["id"] for m in listed if m["id"] not in first]
    assert all("RU" in m["recipients"] or m["sender"] == "RU" for m in listed)
