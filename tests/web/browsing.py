"""What the browser tests share: the served demo they drive (:class:`Site`), signing in, waiting
for a page to be ready, and screenshots (``var/screenshots/``, ``CEASEFIRE_SCREENSHOTS``, not
committed, for a person to look). The fixtures that start the service and the browser are in
``conftest.py`` beside this file.
"""

from __future__ import annotations

import json
import os
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ceasefire.web.assets import missing

CHROMIUM = os.environ.get("CEASEFIRE_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(os.environ.get("CEASEFIRE_SCREENSHOTS", "var/screenshots"))
#: Seconds a page may take to be ready (the demo's map is ready in about 3 s on two cores).
READY_MS = 30_000
USERS = {
    "monitor": ("monitor", None),
    "mediator": ("mediator", None),
    "UA": ("party", "UA"),
    "RU": ("party", "RU"),
}


def need_browser() -> None:
    why = None
    if not Path(CHROMIUM).is_file():
        why = f"no browser at {CHROMIUM} (apt-get install chromium)"
    elif missing():
        why = f"the page's files are not built ({', '.join(missing())}): make web"
    if why is not None:
        if os.environ.get("CEASEFIRE_TEST_BROWSER", "").strip() == "require":
            pytest.fail(f"CEASEFIRE_TEST_BROWSER=require, but {why}", pytrace=False)
        pytest.skip(why)


@dataclass
class Site:
    base: str
    tokens: dict[str, str]
    #: Requests any page made to somewhere other than the service (must stay empty).
    external: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def api(self, path: str, who: str | None = None, body: Any = None) -> Any:
        headers = {"Accept": "application/json"}
        if who is not None:
            headers["Authorization"] = f"Bearer {self.tokens[who]}"
        data = None if body is None else json.dumps(body).encode()
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(f"{self.base}{path}", data=data, headers=headers)
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())

    def window(self) -> tuple[str, str]:
        """The 24 hours up to the demo's newest incident."""
        extent = self.api("/api/v1/ogc/collections/incidents", "monitor")["extent"]["temporal"]
        end = datetime.fromisoformat(extent["interval"][0][1].replace("Z", "+00:00"))
        return (end - timedelta(hours=24)).isoformat(), end.isoformat()

    def items(self, who: str | None, start: str, end: str) -> list[dict[str, Any]]:
        query = urllib.parse.urlencode({"limit": 10_000, "datetime": f"{start}/{end}"})
        found: list[dict[str, Any]] = self.api(
            f"/api/v1/ogc/collections/incidents/items?{query}", who
        )["features"]
        return found


def sign_in(page: Any, site: Site, who: str, then: str = "/map") -> None:
    page.goto(f"{site.base}/signin?next={urllib.parse.quote(then)}")
    page.fill("#token", site.tokens[who])
    page.click("#signin-form button[type=submit]")
    page.wait_for_url(f"{site.base}{then}*")


def ready(page: Any) -> int:
    page.wait_for_selector("body[data-ready='1']", state="attached", timeout=READY_MS)
    shown = page.get_attribute("body", "data-shown")
    return int(shown) if shown is not None else -1


def shot(page: Any, name: str, *, full_page: bool = False) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(800)  # the map's last tiles of vector data drawn
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
