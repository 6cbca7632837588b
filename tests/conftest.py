"""Shared database fixtures: a SQLite file, a PostgreSQL schema per test, and both as `engine`."""

from __future__ import annotations

import glob
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from pytest_postgresql import factories

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

POSTGRES_URL_ENV = "WIRE_TEST_POSTGRES_URL"
POSTGRES_NEEDED = (
    "PostgreSQL is needed for these tests: set "
    "WIRE_TEST_POSTGRES_URL=postgresql+psycopg://user@host:port/db or install PostgreSQL "
    "server binaries (apt-get install postgresql)"
)
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")

# A throwaway server on a free port; only started when a test needs PostgreSQL and no URL is set.
wire_postgresql_proc = factories.postgresql_proc(port=None)


def pg_schema_url(base_url: str, schema: str) -> str:
    """`base_url` whose connections use `schema` (psycopg's libpq `options`), for subprocesses too."""
    from sqlalchemy.engine import make_url

    if not _SCHEMA_NAME.match(schema):
        raise ValueError(f"not a plain schema name: {schema!r}")
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def _pg_ctl() -> str | None:
    found = shutil.which("pg_ctl")
    if found:
        return found
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return candidates[-1] if candidates else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Any test that reaches PostgreSQL carries the marker, so `-m "not postgres"` selects reliably.
    for item in items:
        if "postgres_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def postgres_url(request: pytest.FixtureRequest) -> str:
    """Base URL of a PostgreSQL database for tests (never skipped: fails with how to get one)."""
    import sqlalchemy as sa

    from wire_ingest.warehouse.engines import normalise_database_url

    configured = os.environ.get(POSTGRES_URL_ENV, "").strip()
    if configured:
        url = normalise_database_url(configured).render_as_string(hide_password=False)
    elif (pg_ctl := _pg_ctl()) is not None:
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            # PostgreSQL refuses to run as root: run the throwaway server as an unprivileged user.
            url = request.getfixturevalue("_root_throwaway_postgres")
        else:
            try:
                proc: Any = request.getfixturevalue("wire_postgresql_proc")
            except Exception as exc:  # ports, missing initdb, ...: say what to do
                pytest.fail(
                    f"could not start a throwaway PostgreSQL with {pg_ctl}: {exc}\n{POSTGRES_NEEDED}"
                )
            password = f":{proc.password}" if proc.password else ""
            url = f"postgresql+psycopg://{proc.user}{password}@{proc.host}:{proc.port}/{proc.maintenance_dbname}"
    else:
        pytest.fail(POSTGRES_NEEDED)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        pytest.fail(f"cannot connect to PostgreSQL at {url}: {exc.orig}\n{POSTGRES_NEEDED}")
    finally:
        engine.dispose()
    return url


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def _root_throwaway_postgres() -> Iterator[str]:
    """A throwaway server started with `runuser` as the `postgres` OS user (for root shells, CI)."""
    import pwd
    import subprocess

    pg_ctl = _pg_ctl()
    assert pg_ctl is not None
    try:
        owner = pwd.getpwnam("postgres")
    except KeyError:
        pytest.fail(
            f"found {pg_ctl}, but PostgreSQL refuses to run as root and there is no `postgres` OS "
            f"user to run it as.\n{POSTGRES_NEEDED}"
        )
    bindir = os.path.dirname(pg_ctl)
    import tempfile
    from pathlib import Path

    # not under pytest's basetemp: that folder is private to root, and the server runs as postgres
    root = Path(tempfile.mkdtemp(prefix="wire-throwaway-postgres-"))
    os.chmod(root, 0o755)
    data = root / "data"
    data.mkdir()
    os.chown(data, owner.pw_uid, owner.pw_gid)
    port = _free_port()

    def as_postgres(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["runuser", "-u", "postgres", "--", *args], capture_output=True, text=True, timeout=120
        )

    steps = [
        (f"{bindir}/initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"),
        (
            pg_ctl, "-D", str(data), "-w", "-l", str(data / "server.log"), "-o",
            f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off", "start",
        ),
    ]  # fmt: skip
    for step in steps:
        done = as_postgres(*step)
        if done.returncode != 0:
            pytest.fail(
                f"could not start a throwaway PostgreSQL: {done.stderr.strip()}\n{POSTGRES_NEEDED}"
            )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        as_postgres(pg_ctl, "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def _postgres_admin(postgres_url: str) -> Iterator[Engine]:
    import sqlalchemy as sa

    engine = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_schema(_postgres_admin: Engine) -> Iterator[str]:
    """A fresh, empty schema for one test (parallel runs on a shared database do not collide)."""
    import sqlalchemy as sa

    schema = f"wire_test_{uuid.uuid4().hex}"
    with _postgres_admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    yield schema
    with _postgres_admin.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


@pytest.fixture
def postgres_schema_url(postgres_url: str, postgres_schema: str) -> str:
    """A URL whose connections see only this test's schema."""
    return pg_schema_url(postgres_url, postgres_schema)


@pytest.fixture
def sqlite_url(tmp_path: Any) -> str:
    """A SQLite warehouse in a fresh file."""
    return f"sqlite:///{tmp_path / 'warehouse' / 'warehouse.db'}"


def _deployed(url: str) -> str:
    """Run the migrations on `url`, as deploy time does (airflow-init, `wire-ingest migrate`)."""
    from wire_ingest.warehouse.engines import make_engine
    from wire_ingest.warehouse.migrations import migrate

    warehouse = make_engine(url)
    migrate(warehouse)
    warehouse.dispose()
    return url


@pytest.fixture
def migrated_postgres_schema_url(postgres_schema_url: str) -> str:
    """A PostgreSQL schema of its own with the warehouse deployed (tasks only check the version)."""
    return _deployed(postgres_schema_url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_warehouse_url(request: pytest.FixtureRequest) -> str:
    """An empty SQLite file or PostgreSQL schema: for tests of the migrations themselves."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_schema_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse_url(request: pytest.FixtureRequest) -> str:
    """The same test on a deployed SQLite file and a deployed PostgreSQL schema."""
    fixture = "sqlite_url" if request.param == "sqlite" else "migrated_postgres_schema_url"
    url: str = request.getfixturevalue(fixture)
    return _deployed(url)


@pytest.fixture
def engine(warehouse_url: str) -> Iterator[Engine]:
    """An engine on `warehouse_url` with the warehouse tables created."""
    from wire_ingest.warehouse.engines import make_engine
    from wire_ingest.warehouse.migrations import migrate

    warehouse = make_engine(warehouse_url)
    migrate(warehouse)
    yield warehouse
    warehouse.dispose()
