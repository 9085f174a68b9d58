"""The web page's server side: sign-in and the session cookie, the form token, what each page
offers each role, and the agreement's layers. The browser tests are in test_browser.py."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pyogrio
import pytest
import shapely
from fastapi.testclient import TestClient

from backends import ROLE_USERS, copy_sqlite
from ceasefire.agreement.load import demo_agreement_path, load_agreement
from ceasefire.agreement.model import zone_polygons
from ceasefire.api.deps import CSRF_HEADER, SESSION_COOKIE
from ceasefire.publish.mapdata import DRAW_TOLERANCE_DEG
from ceasefire.store.facade import Store
from ceasefire.web.app import create_web_app
from ceasefire.web.pages import CSP

V1 = "/api/v1"
USERS = ROLE_USERS


class Site:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.tokens = {who: store.add_user(f"web-{who}", *role) for who, role in USERS.items()}
        self.app = create_web_app(store, load_agreement(demo_agreement_path()), hotline_every=None)

    def client(self) -> TestClient:
        return TestClient(self.app, base_url="http://127.0.0.1")

    def signed_in(self, who: str) -> tuple[TestClient, str]:
        """A client signed in as ``who`` through the form, and its page's form token."""
        client = self.client()
        done = client.post("/signin", data={"token": self.tokens[who]}, follow_redirects=False)
        assert done.status_code == 303, done.text
        return client, form_token(client.get("/map").text)


def form_token(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([0-9a-f]*)">', html)
    assert found is not None
    return found.group(1)


@pytest.fixture
def site(demo_dir: Path, tmp_path: Path) -> Iterator[Site]:
    with Store.open(copy_sqlite(demo_dir / "demo.db", tmp_path)) as store:
        yield Site(store)


# -- signing in -----------------------------------------------------------------------------


def test_signing_in_keeps_the_token_in_an_httponly_samesite_strict_cookie(site: Site) -> None:
    client = site.client()
    done = client.post(
        "/signin", data={"token": site.tokens["UA"], "next": "/hotline"}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/hotline"
    cookie = done.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}={site.tokens['UA']};")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    page = client.get("/map").text
    assert "web-UA · party UA" in page and "Sign out" in page


@pytest.mark.parametrize("token", ["", "cf_not-a-token"])
def test_a_bad_token_is_told_plainly_and_sets_no_cookie(site: Site, token: str) -> None:
    done = site.client().post("/signin", data={"token": token}, follow_redirects=False)
    assert done.status_code == 401
    assert "set-cookie" not in done.headers
    assert 'id="signin-error"' in done.text
    assert ("enter your token" if not token else "not valid") in done.text


@pytest.mark.parametrize("target", ["//elsewhere.invalid/x", "http://elsewhere.invalid/", "map"])
def test_sign_in_never_redirects_off_the_service(site: Site, target: str) -> None:
    done = site.client().post(
        "/signin", data={"token": site.tokens["monitor"], "next": target}, follow_redirects=False
    )
    assert done.headers["location"] == "/map"


def test_a_disabled_users_cookie_is_the_public_on_pages_and_401_on_the_api(site: Site) -> None:
    client, _ = site.signed_in("RU")
    site.store.disable_user("web-RU")
    assert client.get(f"{V1}/incidents").status_code == 401
    assert "public view" in client.get("/map").text
    # The page forgot the cookie: the scripts' calls are the public's now, not 401s.
    assert client.get(f"{V1}/incidents").status_code == 200


def test_a_stale_cookie_is_forgotten_by_the_next_page(site: Site) -> None:
    client, _ = site.signed_in("UA")
    site.store.rotate_token("web-UA")
    page = client.get("/map")
    assert "public view" in page.text
    assert f'{SESSION_COOKIE}=""' in page.headers["set-cookie"]


def test_signing_in_from_another_sites_page_is_refused(site: Site) -> None:
    token = site.tokens["monitor"]
    for headers in ({"Origin": "http://elsewhere.invalid"}, {"Sec-Fetch-Site": "cross-site"}):
        refused = site.client().post("/signin", data={"token": token}, headers=headers)
        assert refused.status_code == 403 and "set-cookie" not in refused.headers
    same = {"Origin": "http://127.0.0.1", "Sec-Fetch-Site": "same-origin"}
    done = site.client().post(
        "/signin", data={"token": token}, headers=same, follow_redirects=False
    )
    assert done.status_code == 303


def test_guessing_tokens_at_the_sign_in_form_is_held_back(site: Site) -> None:
    client = site.client()
    for _ in range(20):  # Limits.bad_tokens
        assert client.post("/signin", data={"token": "cf_guess"}).status_code == 401
    held = client.post("/signin", data={"token": site.tokens["monitor"]})
    assert held.status_code == 429 and int(held.headers["retry-after"]) > 0


def test_signing_out_needs_the_pages_form_token(site: Site) -> None:
    client, token = site.signed_in("mediator")
    kept = client.post("/signout", data={"csrf": "0" * 64}, follow_redirects=False)
    assert SESSION_COOKIE not in kept.headers.get("set-cookie", "")
    assert "web-mediator" in client.get("/map").text
    gone = client.post("/signout", data={"csrf": token}, follow_redirects=False)
    assert f'{SESSION_COOKIE}=""' in gone.headers["set-cookie"]
    client.cookies.clear()
    assert "public view" in client.get("/map").text


# -- the cookie on the API ------------------------------------------------------------------


def test_the_cookie_reads_the_api_as_its_user(site: Site) -> None:
    client, _ = site.signed_in("UA")
    mine = client.get(f"{V1}/incidents", params={"limit": 10_000}).json()["items"]
    bearer = site.client().get(
        f"{V1}/incidents",
        params={"limit": 10_000},
        headers={"Authorization": f"Bearer {site.tokens['UA']}"},
    )
    public = site.client().get(f"{V1}/incidents", params={"limit": 10_000}).json()["items"]
    assert [i["id"] for i in mine] == [i["id"] for i in bearer.json()["items"]]
    assert len(mine) > len(public)


def test_a_change_made_with_the_cookie_needs_the_form_token(site: Site) -> None:
    client, token = site.signed_in("UA")
    sent = site.client().post(
        f"{V1}/hotline/messages",
        json={"kind": "query", "recipients": ["UA"], "text": "Was there firing at 03:10?"},
        headers={"Authorization": f"Bearer {site.tokens['monitor']}"},
    )
    assert sent.status_code == 201, sent.text
    target = sent.json()["id"]
    refused = client.post(f"{V1}/hotline/messages/{target}/ack")
    assert refused.status_code == 403
    assert refused.json()["error"]["problems"][0]["field"] == CSRF_HEADER
    wrong = client.post(f"{V1}/hotline/messages/{target}/ack", headers={CSRF_HEADER: "0" * 64})
    assert wrong.status_code == 403
    state = client.get(f"{V1}/hotline/messages/{target}").json()["recipients_progress"]["UA"]
    assert state["acknowledged_at"] is None  # nothing was stored by the refused calls
    done = client.post(f"{V1}/hotline/messages/{target}/ack", headers={CSRF_HEADER: token})
    assert done.status_code == 201


def test_another_sessions_form_token_does_not_do(site: Site) -> None:
    ua, _ = site.signed_in("UA")
    _, ru_token = site.signed_in("RU")
    done = ua.post(
        f"{V1}/hotline/messages/ack", json={"ids": ["x"]}, headers={CSRF_HEADER: ru_token}
    )
    assert done.status_code == 403


# -- the pages, for every role --------------------------------------------------------------


PAGES = ("/map", "/incidents/INC-000356", "/hotline", "/tallies", "/extract", "/report", "/signin")


@pytest.mark.parametrize("who", ["public", *USERS])
def test_every_page_as_every_role(site: Site, who: str) -> None:
    if who == "public":
        client, token = site.client(), ""
    else:
        client, token = site.signed_in(who)
    hotline_roles = {"admin", "monitor", "mediator", "UA", "RU"}
    tally_roles = hotline_roles  # every role but the public reads tallies
    extract_roles = {"admin", "monitor"}  # the mission's own work
    for path in PAGES:
        page = client.get(path, follow_redirects=False)
        if (
            (path == "/hotline" and who not in hotline_roles)
            or (path == "/tallies" and who not in tally_roles)
            or (path == "/extract" and who not in extract_roles)
        ):
            assert page.status_code == 303
            assert page.headers["location"] == f"/signin?next={path}"
            continue
        assert page.status_code == 200, (who, path)
        assert page.headers["content-security-policy"] == CSP
        assert page.headers["cache-control"] == "no-store"
        body = page.text
        assert form_token(body) == token
        can = json.loads(re.search(r'data-can="([^"]*)"', body).group(1).replace("&#34;", '"'))  # type: ignore[union-attr]
        assert can["set_status"] == (who in ("admin", "monitor"))
        assert can["release"] == (who in ("admin", "mediator"))
        assert can["use_hotline"] == (who in hotline_roles)
        assert ('href="/hotline"' in body) == (who in hotline_roles)
        assert ('href="/tallies"' in body) == (who in tally_roles)
        assert ('href="/extract"' in body) == (who in extract_roles)
        # The map's panel of the night's tallies, for those who may read them.
        assert ('id="tallies-panel"' in body) == (path == "/map" and who in tally_roles)
        # Only this service's own files: no script or style from anywhere else.
        for ref in re.findall(r'(?:src|href)="([^"]+)"', body):
            assert ref.startswith(("/", "#")), (who, path, ref)


TIERS = {
    "public": ["public"],
    "UA": ["party:UA", "public"],
    "RU": ["party:RU", "public"],
    "monitor": ["mission", "party:RU", "party:UA", "public"],
    "mediator": ["mission", "party:RU", "party:UA", "public"],
}


@pytest.mark.parametrize("who", list(TIERS))
def test_the_report_page_offers_the_tiers_the_policy_lets_each_role_read(
    site: Site, who: str
) -> None:
    client = site.client() if who == "public" else site.signed_in(who)[0]
    page = client.get("/report?date=2026-03-11")
    assert page.status_code == 200
    offered = re.findall(r'<option value="([^"]+)"', page.text)
    assert offered == TIERS[who]
    own = TIERS[who][0]
    frame = re.search(r'<iframe id="report-frame" sandbox [^>]*src="([^"]+)"', page.text)
    assert frame is not None
    src = frame.group(1).replace("&amp;", "&")
    assert (
        src == f"/api/v1/reports/daily?date=2026-03-11&tier={own.replace(':', '%3A')}&format=html"
    )
    # What the frame loads: the report itself, which may run and load nothing.
    framed = client.get(src)
    assert framed.status_code == 200 and "<h2" in framed.text and "Summary" in framed.text
    policy = framed.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'self'" in policy
    assert "<script" not in framed.text


def test_the_report_page_says_what_it_cannot_show(site: Site) -> None:
    client, _ = site.signed_in("UA")
    # The mission's tier is not UA's to read: said, and UA's own shown instead.
    page = client.get("/report?date=2026-03-11&tier=mission")
    assert page.status_code == 200
    assert "may not read the &#39;mission&#39; daily report" in page.text
    assert 'data-tier="party:UA"' in page.text
    page = client.get("/report?date=11.03.2026")
    assert "must be a date YYYY-MM-DD" in page.text and 'data-tier="party:UA"' in page.text


def test_the_root_is_the_map_for_a_browser_and_json_for_a_client(site: Site) -> None:
    client = site.client()
    browser = client.get("/", headers={"Accept": "text/html"}, follow_redirects=False)
    assert browser.status_code == 303 and browser.headers["location"] == "/map"
    assert client.get("/").json() == {"service": "ceasefire", "api": V1, "openapi": "/openapi.json"}


# -- the agreement's layers -----------------------------------------------------------------


def test_the_agreement_layers_read_in_gdal_and_hold_the_line_zones_and_towns(
    site: Site, tmp_path: Path
) -> None:
    got = site.client().get("/web/agreement.geojson")
    assert got.headers["content-type"] == "application/geo+json"
    path = tmp_path / "agreement.geojson"
    path.write_bytes(got.content)
    meta, _, geometry, values = pyogrio.raw.read(path)
    fields = dict(zip(meta["fields"], values, strict=True))
    layers = Counter(fields["layer"].tolist())
    agreement = load_agreement(demo_agreement_path())
    assert layers["line"] == 1
    assert layers["zone"] == sum(
        1 for z in agreement.zones for w in z.widths_m.values() if w > 0
    ) + sum(1 for z in agreement.zones if z.polygon is not None)
    assert layers["settlement"] > 100
    towns = {
        n for n, kind in zip(fields["name"], fields["layer"], strict=True) if kind == "settlement"
    }
    assert "Kramatorsk" in towns and ({"Zaporizhzhia", "Zaporizhzhya"} & towns)
    (line,) = [
        shapely.from_wkb(g) for g, k in zip(geometry, fields["layer"], strict=True) if k == "line"
    ]
    assert line.equals_exact(agreement.line, tolerance=1e-4)
    # Each zone is drawn within the tolerance of the polygon the judge measures against (the
    # drawing is simplified: the exact buffers have 12 times the vertices).
    exact = zone_polygons(agreement)
    drawn = [
        (shapely.from_wkb(g), name, party)
        for g, name, party, k in zip(
            geometry, fields["name"], fields["party"], fields["layer"], strict=True
        )
        if k == "zone"
    ]
    assert len(drawn) == len(exact)
    for geom, name, party in drawn:
        judged = exact[(name, party)]
        assert geom.is_valid
        assert shapely.hausdorff_distance(geom, judged) <= DRAW_TOLERANCE_DEG + 2e-5, (name, party)
        assert shapely.get_num_coordinates(geom) < shapely.get_num_coordinates(judged) / 4
