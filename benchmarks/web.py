"""Benchmark of the web page, measured in the headless browser (Debian's Chromium, Playwright).

Run ``python benchmarks/web.py --quick`` (the demo night and a night of about 10,000 incidents).
Each measurement prints one JSON line. A ``ceasefire serve`` runs on loopback for each store;
every request to another host is refused (none is made).

- **Map page:** from navigation to the last layer drawn (the map's ``idle`` after the window's
  incidents are on it; ``performance.now()`` in the page), as the monitor, the median of
  ``--runs``. Beside it, the peer: the same page's one request for the same window's incidents
  (GeoJSON from the API), fetched by the browser, which the page cannot beat; ``same_answer``
  says the page shows as many incidents as the API gives. Targets: the demo <= 1 s, 10,000
  incidents <= 2 s.
- **Incident page:** navigation to every section filled, target <= 300 ms.
- **Live update:** a report POSTed (a mine in a quiet place: a new incident) until the feed
  shows one more incident without a reload, through live fusion and the change feed; target
  <= 2 s.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from ceasefire.agreement.load import demo_agreement_path, load_agreement
from ceasefire.pipeline import fuse_store, ingest_files
from ceasefire.sim import SimConfig, write_simulation
from ceasefire.sim.demo import DEMO_OPERATOR, run_demo
from ceasefire.store.facade import Store
from served import Served

CHROMIUM = "/usr/bin/chromium"
#: What the map asks of each incident, read from the page's own script (one list, no copy).
SHOWN = re.search(
    r'^const SHOWN = "([^"]+)";',
    (Path(__file__).resolve().parents[1] / "src/ceasefire/web/static/js/map.js").read_text(),
    re.M,
).group(1)  # type: ignore[union-attr]


def emit(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


def build(folder: Path, reports: int | None) -> Path:
    """The demo (``reports`` None) or a denser night of ``reports`` reports over 24 hours."""
    db = folder / "web.db"
    if reports is None:
        run_demo(str(db))
        return db
    agreement = load_agreement(demo_agreement_path())
    night = folder / "night"
    night.mkdir()
    write_simulation(
        SimConfig(seed=11, n_reports=reports, hours=24.0),
        night / "reports.jsonl",
        night / "truth.jsonl",
    )
    with Store.open(str(db)) as store:
        ingest_files(store, [night / "reports.jsonl"], agreement, entered_by=DEMO_OPERATOR)
        fuse_store(store, [agreement])
    return db


def api(base: str, token: str, path: str, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    data = None if body is None else json.dumps(body).encode()
    if data is not None:
        headers["Content-Type"] = "application/json"
    with urllib.request.urlopen(
        urllib.request.Request(base + path, data, headers), timeout=60
    ) as r:
        return json.loads(r.read())


def measure(name: str, db: Path, runs: int, live: bool) -> None:
    with Store.open(str(db)) as store:
        token = store.add_user("bench-monitor", "monitor")
    with Served("--db", str(db), "--fuse-every", "0.25", "--hotline-every", "0") as served:
        base = served.base
        extent = api(base, token, "/api/v1/ogc/collections/incidents")["extent"]["temporal"]
        end = datetime.fromisoformat(extent["interval"][0][1].replace("Z", "+00:00"))
        start = end - timedelta(hours=24)
        # The page's own request: the properties it shows.
        query = urllib.parse.urlencode(
            {
                "limit": 10_000,
                "properties": SHOWN,
                "datetime": f"{start.isoformat()}/{end.isoformat()}",
            }
        )
        items = f"/api/v1/ogc/collections/incidents/items?{query}"
        want = _count(base, token, items)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            outside: list[str] = []
            context.route(
                "**/*",
                lambda route: (
                    route.continue_()
                    if route.request.url.startswith((base + "/", "blob:", "data:"))
                    else (outside.append(route.request.url), route.abort())
                ),
            )
            page = context.new_page()
            page.goto(f"{base}/signin")
            page.fill("#token", token)
            page.click("#signin-form button[type=submit]")
            page.wait_for_url(f"{base}/map*")
            view = urllib.parse.urlencode({"until": end.isoformat(), "hours": 24})
            page_ms, fetch_ms, shown = [], [], -1
            for _ in range(runs):
                page.goto("about:blank")
                page.goto(f"{base}/map#{view}")
                page.wait_for_selector("body[data-drawn-ms]", state="attached", timeout=60_000)
                page_ms.append(float(page.get_attribute("body", "data-drawn-ms") or "nan"))
                shown = int(page.get_attribute("body", "data-shown") or "-1")
                fetch_ms.append(_fetch_ms(page, base + items))
            page_median, fetch_median = statistics.median(page_ms), statistics.median(fetch_ms)
            emit(
                benchmark=f"map page, navigation to last layer drawn ({name})",
                incidents=want,
                runs=runs,
                ours_ms=round(page_median, 1),
                peer="the browser fetching the window's incidents from the API alone",
                peer_ms=round(fetch_median, 1),
                ratio=round(page_median / fetch_median, 2),
                same_answer=shown == want,
                target_ms=1000 if want < 2000 else 2000,
                requests_elsewhere=len(outside),
            )
            first = api(base, token, items.replace("limit=10000", "limit=1"))["features"][0]["id"]
            incident_ms = []
            for _ in range(runs):
                page.goto("about:blank")
                page.goto(f"{base}/incidents/{first}")
                page.wait_for_selector("body[data-ready-ms]", state="attached", timeout=30_000)
                incident_ms.append(float(page.get_attribute("body", "data-ready-ms") or "nan"))
            emit(
                benchmark=f"incident page, navigation to every section filled ({name})",
                runs=runs,
                ours_ms=round(statistics.median(incident_ms), 1),
                target_ms=300,
            )
            if live:
                page.goto(f"{base}/map#{view}")
                page.wait_for_selector("body[data-drawn-ms]", state="attached", timeout=60_000)
                before = int(page.get_attribute("body", "data-shown") or "0")
                lags = []
                for i in range(runs):
                    seen = (end - timedelta(minutes=30 + i)).isoformat()
                    posted = time.perf_counter()
                    api(base, token, "/api/v1/reports", {
                        "id": f"bench-live-{i}", "submitted_by": "mission", "source_kind": "patrol",
                        "source_name": f"bench patrol {i}", "observed_from": seen,
                        "lon": 36.9 + 0.02 * i, "lat": 48.05, "uncertainty_m": 100, "event_type": "mine",
                    })  # fmt: skip
                    page.wait_for_selector(
                        f"body[data-shown='{before + i + 1}']", state="attached", timeout=30_000
                    )
                    lags.append((time.perf_counter() - posted) * 1000)
                emit(
                    benchmark=f"live update: POST a report -> the feed shows it ({name})",
                    runs=runs,
                    p50_ms=round(statistics.median(lags), 1),
                    max_ms=round(max(lags), 1),
                    target_ms=2000,
                )
            browser.close()


def _count(base: str, token: str, path: str) -> int:
    """The features of every page, as the map reads them (a page holds at most 10,000)."""
    n, next_path = 0, path
    while next_path:
        page = api(base, token, next_path)
        n += len(page["features"])
        link = next((x["href"] for x in page["links"] if x["rel"] == "next"), None)
        next_path = None if link is None else link.removeprefix(base)
    return n


def _fetch_ms(page: Any, url: str) -> float:
    """Milliseconds the page's own browser takes to fetch and parse ``url``."""
    took: float = page.evaluate(
        """async (url) => { const t = performance.now();
            const r = await fetch(url, {credentials: 'same-origin'}); await r.json();
            return performance.now() - t; }""",
        url,
    )
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 runs each")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument(
        "--reports", type=int, default=44_000, help="the dense night's reports (~10,000 incidents)"
    )
    args = parser.parse_args()
    runs = args.runs or (3 if args.quick else 7)
    with tempfile.TemporaryDirectory(prefix="ceasefire-web-") as tmp:
        demo = Path(tmp) / "demo"
        demo.mkdir()
        measure("demo night", build(demo, None), runs, live=True)
        dense = Path(tmp) / "dense"
        dense.mkdir()
        measure(f"{args.reports} reports in 24 h", build(dense, args.reports), runs, live=False)


if __name__ == "__main__":
    main()
