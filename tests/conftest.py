"""Fixtures for running the store-level tests on every backend.

A test that takes ``db_url`` (or ``databases``) runs twice: ``[sqlite]`` on a file in its
``tmp_path`` and ``[postgresql]`` on a fresh PostgreSQL + PostGIS database. Where that server
comes from, and when the PostgreSQL runs are skipped, is in ``tests/backends.py``
(``CEASEFIRE_TEST_POSTGRES``); ``-m "not postgresql"`` leaves them out.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from backends import (
    BACKENDS,
    ENV,
    Databases,
    PostgresServer,
    Unavailable,
    databases_for,
    start_postgres,
)


def pytest_report_header() -> str:
    return f"postgresql: {os.environ.get(ENV) or 'auto'} ({ENV})"


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
