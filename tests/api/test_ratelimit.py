"""Rate limits of the service: 429 for an address that keeps sending bad tokens (before its
token is looked up) and for a token over its request rate; bounded memory whatever a flood
sends."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient
from test_service import AGREEMENT, V1, assert_error
from typer.testing import CliRunner

from ceasefire.api import Limits, create_app
from ceasefire.api.deps import Tokens
from ceasefire.api.ratelimit import BadTokens, TokenRates, client_key
from ceasefire.cli.app import app as cli_app
from ceasefire.geo.engine import GeoEngine
from ceasefire.store.facade import Store


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "rates.db") as s:
        yield s


def app_with(store: Store, engine: GeoEngine, limits: Limits, clock: Clock) -> FastAPI:
    app = create_app(store, AGREEMENT, engine=engine, limits=limits)
    tokens = Tokens(store, clock=clock, limits=limits)
    app.state.service = dataclasses.replace(app.state.service, tokens=tokens)
    return app


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_repeated_bad_tokens_from_an_address_get_429_before_any_lookup(
    store: Store, engine: GeoEngine
) -> None:
    clock = Clock()
    app = app_with(store, engine, Limits(bad_tokens=3, bad_token_window_s=60), clock)
    guesser = TestClient(app, client=("203.0.113.7", 4000))
    good = store.add_user("obs", "monitor")
    for n in range(3):
        assert_error(guesser.get(f"{V1}/reports", headers=bearer(f"cf_guess-{n}")), 401)
    r = guesser.get(f"{V1}/reports", headers=bearer("cf_guess-4"))
    error = assert_error(r, 429, "too_many_requests")
    assert r.headers["retry-after"] == "60" and "bad tokens" in error["message"]
    # Closed to tokens, even a good one (it is not looked up), until the window ends.
    assert_error(guesser.get(f"{V1}/reports", headers=bearer(good)), 429)
    assert guesser.get(V1).status_code == 200  # what the public sees stays open
    other = TestClient(app, client=("198.51.100.2", 4000))
    assert other.get(f"{V1}/reports", headers=bearer(good)).status_code == 200
    clock.now = 45.0
    assert guesser.get(f"{V1}/reports", headers=bearer(good)).headers["retry-after"] == "15"
    clock.now = 60.0
    assert guesser.get(f"{V1}/reports", headers=bearer(good)).status_code == 200
    assert_error(guesser.get(f"{V1}/reports", headers=bearer("cf_guess-5")), 401)


def test_a_token_over_its_rate_gets_429_with_retry_after(store: Store, engine: GeoEngine) -> None:
    clock = Clock()
    app = app_with(store, engine, Limits(token_rate=0.5, token_burst=3), clock)
    client = TestClient(app)
    busy, calm = store.add_user("busy", "monitor"), store.add_user("calm", "monitor")
    for _ in range(3):
        assert client.get(f"{V1}/reports", headers=bearer(busy)).status_code == 200
    r = client.get(f"{V1}/reports", headers=bearer(busy))
    error = assert_error(r, 429, "too_many_requests")
    assert r.headers["retry-after"] == "2" and "this token" in error["message"]
    assert client.get(f"{V1}/reports", headers=bearer(calm)).status_code == 200
    clock.now = 2.0  # one request's worth back at 0.5 a second
    assert client.get(f"{V1}/reports", headers=bearer(busy)).status_code == 200
    assert_error(client.get(f"{V1}/reports", headers=bearer(busy)), 429)


def test_the_default_limits_leave_ordinary_use_alone(store: Store, engine: GeoEngine) -> None:
    client = TestClient(create_app(store, AGREEMENT, engine=engine))
    token = store.add_user("obs", "monitor")
    for _ in range(300):
        assert client.get(f"{V1}/reports?limit=1", headers=bearer(token)).status_code == 200
    limits = Limits()
    assert limits.token_rate >= 100 and limits.token_burst >= 1_000 and limits.bad_tokens > 5


def test_a_flood_of_addresses_and_tokens_keeps_memory_bounded() -> None:
    clock = Clock()
    bad = BadTokens(limit=3, window_s=60, size=100, clock=clock)
    rates = TokenRates(rate=1, burst=1, size=100, clock=clock)
    for n in range(10_000):
        bad.failed(client_key(f"10.{n // 65536}.{n // 256 % 256}.{n % 256}"))
        rates.take(f"token-{n}")
    assert len(bad._seen) == 100 and len(rates._buckets) == 100


def test_an_ipv6_host_is_counted_by_its_64() -> None:
    assert (
        client_key("2001:db8:1:2::1") == client_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    )
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("192.0.2.1") == "192.0.2.1" and client_key(None) == "?"


def test_serve_refuses_a_limit_out_of_range(tmp_path: Path) -> None:
    done = CliRunner().invoke(
        cli_app, ["serve", "--db", str(tmp_path / "x.db"), "--token-burst", "0"]
    )
    assert done.exit_code == 1 and "--token-burst" in done.output
