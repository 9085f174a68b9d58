"""The review step of extraction in a real browser: a monitor pastes a hostile text, reads the
proposals with the words of each figure marked in the text (as text: nothing of it runs or
becomes an element), ticks the event and accepts it; the record holds it. Who may see the page.

The service runs in a thread of this process (not ``ceasefire serve``), so that the text's air
attack is proposed while the extraction rules are being written (tests/proposals.py: the
stand-in steps aside once the rules propose it themselves).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browsing import READY_MS, USERS, Site, need_browser, ready, shot, sign_in
from playwright.sync_api import expect

from ceasefire.agreement.load import demo_agreement_path, load_agreement
from ceasefire.extract.accepted import record_id, text_sha256
from ceasefire.store.facade import Store
from proposals import AIR_ATTACK

pytestmark = [pytest.mark.served, pytest.mark.browser, pytest.mark.slow]

#: The night's attack, then what a hostile page would hide in a text pasted from it.
HOSTILE = (
    f"{AIR_ATTACK}\n"
    '<script>window.__pwned = "script"</script>\n'
    '<img src="/no-such-image" onerror="window.__pwned = \'img\'"> said the <b>statement</b>.'
)
HOSTILE_SOURCE = "<img src=x onerror=\"window.__pwned = 'source'\">Desk"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The service with its pages on an empty store, in a thread."""
    import uvicorn

    from ceasefire.web.app import create_web_app

    need_browser()
    folder: Path = tmp_path_factory.mktemp("extract-web")
    with Store.open(str(folder / "x.db")) as store:
        tokens = {who: store.add_user(f"web-{who}", *role) for who, role in USERS.items()}
        app = create_web_app(store, load_agreement(demo_agreement_path()), hotline_every=None)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 60
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the service did not start"
            time.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        try:
            yield Site(f"http://127.0.0.1:{port}", tokens)
        finally:
            server.should_exit = True
            thread.join(timeout=20)


def test_a_hostile_text_is_shown_as_text_and_its_accepted_event_stored(
    page: Any, site: Site
) -> None:
    sign_in(page, site, "monitor", "/extract")
    ready(page)
    page.fill("#text", HOSTILE)
    page.fill("#published", "2026-02-17")
    page.fill("#source", HOSTILE_SOURCE)
    page.click("#propose")
    main = page.locator("main.extract")
    expect(main).to_have_attribute("data-proposed", "1", timeout=READY_MS)
    # The text as written, every character of it, and nothing of it an element or a script.
    assert page.locator("#source-text").text_content() == HOSTILE
    for tag in ("script", "img", "b"):
        assert main.locator(tag).count() == 0, tag
    assert page.evaluate("window.__pwned") is None
    assert HOSTILE_SOURCE in page.locator("#proposal-summary").text_content()
    # Each figure beside the words it came from, the words marked in the text.
    destroyed = page.locator("#proposals tr[data-field='destroyed.drones']")
    assert destroyed.locator("td").first.inner_text() == "100"
    assert destroyed.locator("q").inner_text() == "100 were shot down"
    mark = page.locator("#source-text mark[data-fields~='destroyed.drones']")
    assert mark.inner_text() == "100 were shot down"
    # Nothing ticked, nothing to accept; tick the event and accept it.
    assert page.locator("#accept").is_disabled()
    page.check("#event-0")
    expect(mark).to_have_class("chosen")
    page.click("#accept")
    expect(main).to_have_attribute("data-accepted", "2", timeout=READY_MS)
    rid = record_id(text_sha256(HOSTILE), 0)
    assert page.locator("#stored-list .report-id").inner_text() == rid
    assert page.locator("#stored-list .tally-id").inner_text() == f"mission/{rid}"
    report = site.api(f"/api/v1/reports/{rid}", "monitor")
    assert (report["source_kind"], report["source_name"]) == ("osint", HOSTILE_SOURCE)
    assert report["extracted"]["text_sha256"] == text_sha256(HOSTILE)
    # Accepted again: stored before, nothing new.
    page.click("#accept")
    expect(main).to_have_attribute("data-accepted", "0", timeout=READY_MS)
    assert page.evaluate("window.__pwned") is None
    shot(page, "extract", full_page=True)


def test_the_public_and_the_parties_are_sent_to_sign_in(page: Any, site: Site) -> None:
    page.goto(f"{site.base}/extract")
    assert page.url == f"{site.base}/signin?next=/extract"
    for who in ("UA", "mediator"):
        sign_in(page, site, who, "/map")
        assert page.locator("header nav a[href='/extract']").count() == 0
        page.goto(f"{site.base}/extract")
        assert page.url == f"{site.base}/signin?next=/extract"
