"""The browser tests' fixtures: a copy of the demo served with live fusion on (one per test
module), Debian's Chromium driven by Playwright, and a page that refuses and records every request
to another host and every script error, failing its test on any."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browsing import CHROMIUM, SHOTS, USERS, Site, need_browser

from backends import copy_sqlite
from ceasefire.store.facade import Store
from served import Served


@pytest.fixture(scope="session")
def fresh_screenshots() -> None:
    """Last run's screenshots gone: those in the folder are this run's."""
    if SHOTS.exists():
        shutil.rmtree(SHOTS)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, demo_dir: Path) -> Iterator[Site]:
    need_browser()
    folder = tmp_path_factory.mktemp("web")
    db = copy_sqlite(demo_dir / "demo.db", folder)
    with Store.open(db) as store:
        tokens = {who: store.add_user(f"web-{who}", *role) for who, role in USERS.items()}
    with Served("--db", str(db), "--fuse-every", "0.25", "--hotline-every", "1") as served:
        yield Site(served.base, tokens)


@pytest.fixture(scope="module")
def browser(site: Site, fresh_screenshots: None) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright  # the browser's driver, imported when used

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, site: Site) -> Iterator[Any]:
    site.external.clear()
    site.errors.clear()
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()

    def only_the_service(route: Any) -> None:
        url = route.request.url
        if url.startswith((site.base + "/", "blob:", "data:")):
            route.continue_()
        else:
            site.external.append(url)
            route.abort()

    page.route("**/*", only_the_service)
    page.on("pageerror", lambda error: site.errors.append(str(error)))
    yield page
    context.close()
    assert site.external == [], f"pages asked other hosts: {site.external}"
    assert site.errors == [], f"scripts failed: {site.errors}"
