"""The fixtures shared by the test modules (no test module imports another's fixtures).

Backends: a test that takes ``db_url`` (or ``databases``) runs twice: ``[sqlite]`` on a file in
its ``tmp_path`` and ``[postgresql]`` on a fresh PostgreSQL + PostGIS database. Where that server
comes from, and when the PostgreSQL runs are skipped, is in ``tests/backends.py``
(``CEASEFIRE_TEST_POSTGRES``); ``-m "not postgresql"`` leaves them out.

The demo: ``ceasefire demo`` (~7 s) runs once per session (``demo_run``, ``demo_dir``); tests
read its folder and never write to it: one that changes the database works on a copy
(``backends.copy_sqlite``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

import served
from backends import (
    BACKENDS,
    ENV,
    OPERATOR,
    VECTORS_ENV,
    Databases,
    PostgresServer,
    Unavailable,
    databases_for,
    start_postgres,
    vectors_dir,
)
from ceasefire.geo.engine import GeoEngine
from mailserver import LOOPBACK, REFUSED, LoopbackController, Mailbox, SmtpServer


def pytest_report_header() -> list[str]:
    return [
        f"postgresql: {os.environ.get(ENV) or 'auto'} ({ENV})",
        f"vectors: {vectors_dir()}, {os.environ.get(VECTORS_ENV) or 'auto'} ({VECTORS_ENV})",
    ]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Tell served.py whether this test may start ``ceasefire serve`` (it is marked ``served``),
    before its fixtures are set up."""
    served.MARKED = item.get_closest_marker("served") is not None


# -- the demo, once per session --------------------------------------------------------------


@dataclass(frozen=True)
class DemoRun:
    """``ceasefire demo --db FOLDER/demo.db --json`` as run once for the session."""

    folder: Path
    exit_code: int
    output: str


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(f.relative_to(folder)): hashlib.sha256(f.read_bytes()).hexdigest()
        for f in sorted(folder.rglob("*"))
        if f.is_file()
    }


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRun]:
    """The demo scenario loaded once, through the CLI (what ``make run`` does): ``demo.db``
    (reports, incidents, violations, hotline traffic, a cosigned checkpoint), ``demo-night/``
    and ``demo-keys/`` in ``folder``. Read only: the session checks at its end that no file in
    the folder changed."""
    from ceasefire.cli.app import app

    folder = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(app, ["demo", "--db", str(folder / "demo.db"), "--json"])
    assert result.exit_code == 0, result.output
    before = _digests(folder)
    yield DemoRun(folder, result.exit_code, result.output)
    assert _digests(folder) == before, "a test wrote to the session's demo folder: use a copy"


@pytest.fixture(scope="session")
def demo_dir(demo_run: DemoRun) -> Path:
    """The session's demo folder (``demo.db``, ``demo-night/``, ``demo-keys/``): read only."""
    return demo_run.folder


@pytest.fixture(scope="session")
def night_dir(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's night ingested and fused into ``night.db``, without the demo's own hotline
    traffic (for the hotline's scheduler to start from): read only, tests work on a copy."""
    from ceasefire.agreement.load import demo_agreement_path, load_agreement
    from ceasefire.pipeline import fuse_store, ingest_files
    from ceasefire.store.facade import Store

    agreement = load_agreement(demo_agreement_path())
    folder = tmp_path_factory.mktemp("night")
    with Store.open(folder / "night.db") as store:
        ingest_files(
            store, [demo_dir / "demo-night" / "reports.jsonl"], agreement, entered_by=OPERATOR
        )
        fuse_store(store, [agreement])
    return folder


@pytest.fixture(scope="session")
def engine() -> GeoEngine:
    """The demo agreement's geometry engine (modules about another agreement define their own)."""
    from ceasefire.agreement.load import demo_agreement_path, load_agreement

    return GeoEngine(load_agreement(demo_agreement_path()))


# -- a loopback SMTP server ------------------------------------------------------------------


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A running SMTP server on loopback that refuses mail for ``REFUSED`` (tests/test_mail.py)."""
    mailbox = Mailbox(refuse=frozenset({REFUSED}))
    # server_hostname: without it aiosmtpd asks the resolver for this host's FQDN.
    controller = LoopbackController(
        mailbox, hostname=LOOPBACK, port=0, server_hostname="smtp.test", ready_timeout=5.0
    )
    controller.start()
    try:
        yield SmtpServer(mailbox, controller.port)
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's PostgreSQL server (a throwaway cluster unless told otherwise)."""
    try:
        server = start_postgres()
    except Unavailable as exc:
        if os.environ.get(ENV, "").strip() == "require":
            pytest.fail(f"{ENV}=require, but PostgreSQL cannot be used: {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL cannot be used: {exc}")
    yield server
    server.stop()


@pytest.fixture(params=BACKENDS)
def databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Databases]:
    """Fresh databases of one backend for this test, gone when it ends."""
    made = databases_for(request, request.param, tmp_path)
    yield made
    made.close()


@pytest.fixture
def db_url(databases: Databases) -> str:
    """An empty database (no schema yet): a SQLite file path or a PostgreSQL URL."""
    return databases.new()


@pytest.fixture
def pg_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty PostgreSQL + PostGIS database, for PostgreSQL-only tests."""
    made = databases_for(request, "postgresql", tmp_path)
    yield made.new()
    made.close()
