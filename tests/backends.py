"""The store's backends for the tests: SQLite files, and PostgreSQL + PostGIS databases on a
throwaway cluster (or on a server named by ``CEASEFIRE_TEST_POSTGRES``).

The fixtures built on this live in ``conftest.py``; tests import the helpers from here (a
module of the tests folder, on ``sys.path`` as the test modules themselves are).

``CEASEFIRE_TEST_POSTGRES`` says where the PostgreSQL half of the suite runs:

- unset or ``auto``: a cluster this session starts with ``initdb`` / ``pg_ctl`` in a temporary
  folder (as the ``postgres`` user when run as root), listening on a Unix socket only, stopped
  and deleted at the end; the postgresql parameters are skipped, with the reason, when the
  server or PostGIS is not installed;
- ``require``: the same, but a missing server or PostGIS fails those tests (``.ci/run``);
- ``off``: skip them;
- a URL (``postgresql://user@host/postgres``): a running server where the role may create
  databases and PostGIS is installed.

Each test gets a fresh database, copied from a template that has PostGIS (``CREATE DATABASE
... TEMPLATE``: about 0.1 s).

The conformance vectors (RFC 9162 proofs, signed notes, the CAP 1.2 schema) are read from
``../shared/vectors`` beside the checkout (``CEASEFIRE_TEST_VECTORS_DIR`` names another folder),
always through :func:`vector`. ``CEASEFIRE_TEST_VECTORS`` says what a missing one does: unset or
``auto``, the tests that need it are skipped, naming the path; ``require`` (``.ci/run``), they
fail.
"""

from __future__ import annotations

import atexit
import glob
import itertools
import os
import pwd
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import URL, make_url

from ceasefire.intake.report import Report
from ceasefire.publish.access import Principal
from ceasefire.store.database import database_url
from ceasefire.store.facade import Store

ENV = "CEASEFIRE_TEST_POSTGRES"

#: For ``params=``/``parametrize``: one per backend, the PostgreSQL one marked ``postgresql``.
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgresql),
]


class Unavailable(Exception):
    """PostgreSQL cannot be used here; the message says why and what to install."""


def copy_sqlite(source: Path, folder: Path) -> Path:
    """Copy an SQLite database file with its WAL and shared-memory files (when there) into
    ``folder``; returns the copy's path."""
    for suffix in ("", "-wal", "-shm"):
        part = Path(f"{source}{suffix}")
        if part.exists():
            shutil.copy(part, folder / part.name)
    return folder / source.name


def libpq_url(url: URL | str) -> str:
    """A SQLAlchemy URL as a libpq connection URI, for psycopg directly."""
    parsed = make_url(database_url(str(url))) if isinstance(url, str) else url
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


# -- the server ------------------------------------------------------------------------------


class PostgresServer:
    """A PostgreSQL server on which the tests create (and drop) their databases."""

    #: Seconds it took to start the cluster and make the template (0 for a running server).
    started_in = 0.0

    def __init__(self, admin_url: URL, cluster: Cluster | None = None) -> None:
        import psycopg

        self.admin_url = admin_url
        self.cluster = cluster
        self._names = itertools.count(1)
        self._prefix = f"cf{os.getpid()}"
        with psycopg.connect(libpq_url(admin_url), autocommit=True) as conn:
            version = conn.info.server_version
        # FILE_COPY (PostgreSQL 15+) copies the template's files instead of logging every page.
        self._strategy = " STRATEGY = FILE_COPY" if version >= 150000 else ""
        self.template = self._create(None)
        try:
            self._execute("CREATE EXTENSION IF NOT EXISTS postgis", self.template)
        except psycopg.Error as exc:
            self.stop()
            raise Unavailable(
                f"PostGIS is not installed for PostgreSQL {version // 10000} ({exc}); "
                f"apt-get install postgresql-{version // 10000}-postgis-3"
            ) from None

    def create(self, template: str | None = None) -> str:
        """A new database, a copy of ``template`` (a URL) or else of the PostGIS template: its
        URL. The template must have no open connections."""
        return self._create(make_url(template or self.template).database)

    def _create(self, source: str | None) -> str:
        name = f"{self._prefix}_{next(self._names)}"
        copy = f' TEMPLATE "{source}"{self._strategy}' if source else ""
        self._execute(f'CREATE DATABASE "{name}"{copy}')
        return self.admin_url.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        """Drop a database made by :meth:`create`, closing whatever is still connected."""
        self._execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')

    def stop(self) -> None:
        if self.cluster is not None:
            self.cluster.stop()
        else:
            self.drop(self.template)

    def _execute(self, sql: str, where: str | None = None) -> None:
        import psycopg

        target = make_url(where) if where else self.admin_url
        with psycopg.connect(libpq_url(target), autocommit=True) as conn:
            conn.execute(sql)


class Cluster:
    """A throwaway PostgreSQL cluster in a temporary folder, on a Unix socket only."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.folder = Path(tempfile.mkdtemp(prefix="cf-pg-", dir="/tmp"))
        self.data = self.folder / "data"
        self.user: str | None = None
        if os.geteuid() == 0:
            # The server refuses to run as root: it runs as the postgres system user.
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                shutil.rmtree(self.folder)
                raise Unavailable("running as root and there is no postgres user") from None
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
            self.user = "postgres"
        self._running = False
        # Stopped even if the session dies before its fixtures are torn down.
        atexit.register(self.stop)
        try:
            self._run(
                "initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust",
                "-E", "UTF8", "--no-locale", "--no-sync",
            )  # fmt: skip
            # Durability is not under test here (the server's own); fsync off makes the cluster
            # fast on any disk. Unix socket only: no port to collide with another run.
            options = (
                f"-c listen_addresses='' -k {self.folder} -p 5432 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
            )
            self._running = True
            self._run(
                "pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"),
                "-o", options, "-w", "-t", "60", "start",
            )  # fmt: skip
        except BaseException:
            self.stop()
            raise
        self.url = URL.create(
            "postgresql+psycopg",
            username="postgres",
            database="postgres",
            query={"host": str(self.folder), "port": "5432"},
        )

    def stop(self) -> None:
        """Stop the server (at once: nothing in it is kept) and delete its folder; idempotent."""
        try:
            if self._running:
                self._running = False
                self._run(
                    "pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False
                )
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def _run(self, program: str, *args: str, check: bool = True) -> None:
        done = subprocess.run(
            [str(self.bindir / program), *args],
            user=self.user,
            group=self.user,
            extra_groups=[] if self.user else None,
            cwd=self.folder,
            capture_output=True,
            text=True,
        )
        if check and done.returncode != 0:
            log = self.folder / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(
                f"{program} failed ({done.returncode}): {done.stderr.strip()}\n{tail}"
            )


def postgres_bindir() -> Path:
    """The folder of the newest installed PostgreSQL server programs (Debian keeps them in
    /usr/lib/postgresql/N/bin, off PATH)."""
    found: list[Path] = []
    on_path = shutil.which("pg_ctl")
    if on_path:
        found.append(Path(on_path).resolve().parent)
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    found += sorted(
        (Path(v) for v in versions),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    for bindir in found:
        if all((bindir / name).exists() for name in ("initdb", "pg_ctl", "postgres")):
            return bindir
    raise Unavailable(
        "the PostgreSQL server is not installed (apt-get install postgresql "
        "postgresql-15-postgis-3), or set CEASEFIRE_TEST_POSTGRES to a server's URL"
    )


def start_postgres() -> PostgresServer:
    """The server the session's PostgreSQL tests use (see the module docstring)."""
    setting = os.environ.get(ENV, "auto").strip()
    if setting == "off":
        raise Unavailable(f"{ENV}=off")
    if "://" in setting:
        return PostgresServer(make_url(database_url(setting)))
    started = time.perf_counter()
    cluster = Cluster(postgres_bindir())
    try:
        server = PostgresServer(cluster.url, cluster)
    except BaseException:
        cluster.stop()
        raise
    server.started_in = time.perf_counter() - started
    return server


# -- databases for a test --------------------------------------------------------------------


class Databases:
    """Fresh databases of one backend for one test (or module); all gone at :meth:`close`.

    A database is named by what :meth:`Store.open` takes: a file path (SQLite) or a URL.
    """

    def __init__(self, backend: str, folder: Path, server: PostgresServer | None) -> None:
        self.backend = backend
        self._folder = folder
        self._server = server
        self._made: list[str] = []
        self._count = itertools.count(1)

    def new(self, name: str = "store.db") -> str:
        """An empty database (no schema yet)."""
        if self._server is None:
            path = self._folder / name
            while path.exists():
                path = self._folder / f"{next(self._count)}-{name}"
            return str(path)
        url = self._server.create()
        self._made.append(url)
        return url

    def copy(self, where: str) -> str:
        """A copy of a database no one is connected to (close its stores first)."""
        if self._server is None:
            target = self.new(Path(where).name)
            shutil.copy(where, target)
            return target
        url = self._server.create(template=where)
        self._made.append(url)
        return url

    def drop(self, where: str) -> None:
        """Delete one database made here now, rather than at :meth:`close`."""
        if self._server is None:
            Path(where).unlink(missing_ok=True)
        elif where in self._made:
            self._server.drop(where)
            self._made.remove(where)

    def close(self) -> None:
        if self._server is not None:
            for url in self._made:
                self._server.drop(url)
        self._made.clear()


def databases_for(request: pytest.FixtureRequest, backend: str, folder: Path) -> Databases:
    """:class:`Databases` of ``backend`` (the session's PostgreSQL server when it is one)."""
    server = request.getfixturevalue("postgres_server") if backend == "postgresql" else None
    return Databases(backend, folder, server)


# -- looking past the store ------------------------------------------------------------------


def backend_of(store: Store) -> str:
    return store._engine.dialect.name


def where_of(store: Store) -> str:
    """What names the store's database on a command line (``--db``): its file or URL."""
    url = store._engine.url
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return url.render_as_string(hide_password=False)


def copy_of(store: Store, databases: Databases) -> str:
    """A copy of the store's database as it is now (its connections are closed first; the
    store reconnects when next used)."""
    store._engine.dispose()
    return databases.copy(where_of(store))


class Raw:
    """A DB-API connection to a store's database, past the store: to look at rows as stored or
    to tamper with them. ``?`` placeholders on both backends."""

    def __init__(self, conn: Any, backend: str) -> None:
        self.conn = conn
        self.backend = backend

    def _sql(self, sql: str) -> str:
        return sql if self.backend == "sqlite" else sql.replace("?", "%s")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        if self.backend == "sqlite" or params:
            return self.conn.execute(self._sql(sql), params)
        return self.conn.execute(sql)  # psycopg: several statements need no parameters

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if self.backend == "sqlite":
            self.conn.executemany(sql, rows)
        else:
            self.conn.cursor().executemany(self._sql(sql), rows)

    def executescript(self, script: str) -> None:
        if self.backend == "sqlite":
            self.conn.executescript(script)
        else:
            self.conn.execute(script)

    def tables(self) -> set[str]:
        """The names of the tables (and on SQLite its other schema objects)."""
        if self.backend == "sqlite":
            query = "SELECT name FROM sqlite_master"
        else:
            query = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        return {name for (name,) in self.execute(query)}


@contextmanager
def raw(database: Store | str) -> Iterator[Raw]:
    """A :class:`Raw` connection to a store's database (or one named by its file or URL),
    committed when the block ends."""
    url = database._engine.url if isinstance(database, Store) else make_url(database_url(database))
    backend = url.get_backend_name()
    if backend == "sqlite":
        conn: Any = sqlite3.connect(str(url.database))
    else:
        import psycopg

        conn = psycopg.connect(libpq_url(url))
    try:
        yield Raw(conn, backend)
        conn.commit()
    finally:
        conn.close()


# -- the conformance vectors -----------------------------------------------------------------

VECTORS_ENV = "CEASEFIRE_TEST_VECTORS"
VECTORS_DIR_ENV = "CEASEFIRE_TEST_VECTORS_DIR"
#: Shared by the sibling projects beside this checkout; never copied into this repository.
SHARED_VECTORS = Path(__file__).resolve().parents[1].parent / "shared" / "vectors"


def vectors_dir() -> Path:
    """The conformance vectors' folder (which may be missing: :func:`vector` says what then)."""
    return Path(os.environ.get(VECTORS_DIR_ENV) or SHARED_VECTORS)


def vector(*parts: str) -> Path:
    """A file or folder of the conformance vectors (``vector("cap", "cap12.xsd")``), from a
    test or a fixture. When it is missing the test is skipped with the path, or under
    ``CEASEFIRE_TEST_VECTORS=require`` fails with it."""
    path = vectors_dir().joinpath(*parts)
    if not path.exists():
        reason = f"the conformance vectors are not there: {path} is missing"
        if not vectors_dir().is_dir():
            reason += f" (no folder {vectors_dir()}: put ../shared beside the checkout or set {VECTORS_DIR_ENV})"
        if os.environ.get(VECTORS_ENV, "").strip() == "require":
            pytest.fail(f"{VECTORS_ENV}=require, but {reason}", pytrace=False)
        pytest.skip(reason)
    return path


def system_tool(name: str, package: str, env: str) -> str:
    """The path of the program ``name`` (from the Debian package ``package``). When it is not
    installed the test is skipped, or under ``env=require`` (``.ci/run`` sets it) fails."""
    found = shutil.which(name)
    if found is None:
        reason = f"{name} (Debian's {package}) is not installed"
        if os.environ.get(env, "").strip() == "require":
            pytest.fail(f"{reason}, and {env}=require", pytrace=False)
        pytest.skip(reason)
    return found


#: Who enters the reports the tests store directly (the store records it with each): the
#: mission's intake, an admin. Tests of who may store what use their own principals.
OPERATOR = Principal("test intake", "admin")


def head_revision() -> str:
    """The newest schema revision the migrations know (what a store opened today is at)."""
    from alembic.script import ScriptDirectory

    from ceasefire.store.database import _MIGRATIONS

    head = ScriptDirectory(str(_MIGRATIONS)).get_current_head()
    assert head is not None
    return head


def huliaipole_report(i: int, now: datetime, **changes: Any) -> Report:
    """Shelling near Huliaipole, two reports to a place and time from two organisations (a UA
    report and a mission patrol's), half an hour and a few km apart from the next pair, before
    ``now``: the small store of the ledger, tamper and retraction tests."""
    data: dict[str, Any] = {
        "id": f"rep-{i:03d}",
        "submitted_by": "mission" if i % 2 else "UA",
        "source_kind": "patrol" if i % 2 else "party",
        "observed_from": (now - timedelta(minutes=30 * (i // 2))).isoformat(),
        "lon": 36.27 + 0.05 * (i // 2),
        "lat": 47.66 - 0.01 * (i // 2),
        "uncertainty_m": 250.0,
        "event_type": "shelling",
        "weapon_class": "artillery",
        "count": 4 + i % 3,
    }
    data.update(changes)
    return Report.model_validate(data, context={"now": now})


#: A user of every role that signs in, both parties: name -> (role, party), for the tests that
#: walk the service as each of them (the API's role matrix, the web pages).
ROLE_USERS: dict[str, tuple[str, str | None]] = {
    "admin": ("admin", None),
    "monitor": ("monitor", None),
    "mediator": ("mediator", None),
    "UA": ("party", "UA"),
    "RU": ("party", "RU"),
}
