"""Warehouse engines (SQLite with WAL and immediate writes, PostgreSQL) and write transactions."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Connection, Engine, make_url

IN_CHUNK = 500  # bound parameters per IN (...) query: well under every backend's limit


SQLITE_BUSY_TIMEOUT_S = 60.0


def normalise_database_url(url: str) -> sa.URL:
    """Parse a warehouse URL; plain PostgreSQL schemes get the psycopg 3 driver, the query is kept."""
    parsed = make_url(url)
    if parsed.drivername in {"postgres", "postgresql"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str) -> Engine:
    """An Engine for `sqlite:///path` (WAL, busy timeout, parent dir created) or PostgreSQL."""
    parsed = normalise_database_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _make_sqlite_engine(parsed)
    return sa.create_engine(parsed, pool_pre_ping=True)


def _make_sqlite_engine(url: sa.URL) -> Engine:
    database = url.database or ""
    in_memory = database in {"", ":memory:"} or database.startswith("file:")
    if not in_memory:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # SQLAlchemy emits BEGIN itself (below): the driver's implicit BEGIN cannot be IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
            if not in_memory:
                _enable_wal(cursor)
        finally:
            cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A write transaction takes the write lock up front: two deferred transactions that both
        # read and then write would fail with "database is locked" instead of waiting their turn.
        immediate = conn.get_execution_options().get("wire_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _enable_wal(cursor: Any) -> None:
    """Switch a SQLite file to WAL (readers do not block the writer); the mode is persistent."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    while True:
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            # Changing the mode needs the file to itself and SQLite does not wait for that
            # (no busy handler): when runs start at once on a new file, retry briefly.
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


# What a warehouse write takes: an engine (the write is its own transaction) or a connection in
# a transaction (the write commits with the rest of it: a load and what it derives, atomically).
Bind = Engine | Connection


@contextmanager
def write_transaction(bind: Bind) -> Iterator[Connection]:
    if isinstance(bind, Connection):
        if not bind.in_transaction():
            raise ValueError("write_transaction: the connection has no open transaction")
        yield bind
        return
    with bind.connect() as conn:
        conn.execution_options(wire_write=True)
        with conn.begin():
            yield conn


def dialect_insert(conn: Connection, table: sa.Table) -> Any:
    """`INSERT` with ON CONFLICT support for the connection's dialect."""
    if conn.dialect.name == "postgresql":
        return pg_dialect.insert(table)
    if conn.dialect.name == "sqlite":
        return sqlite_dialect.insert(table)
    raise NotImplementedError(f"unsupported warehouse dialect: {conn.dialect.name}")


def member_of(
    conn: Connection, column: sa.ColumnElement[Any], values: Sequence[Any]
) -> Iterator[sa.ColumnElement[bool]]:
    """`column IN values` in as few conditions as the backend allows, one query each: a single
    array parameter on PostgreSQL (`= ANY(...)`: the query text does not grow with the values),
    IN (...) lists of IN_CHUNK values elsewhere. Nothing for no values."""
    if not values:
        return
    if conn.dialect.name == "postgresql":
        # typed: psycopg sends it as an array of the column's type, so the index is used
        yield column == sa.any_(_array_parameter(values, column.type))
        return
    for chunk in chunks(values):
        yield column.in_(chunk)


def _array_parameter(values: Sequence[Any], element: Any) -> sa.ColumnElement[Any]:
    """One array parameter of the column type `element`, adapted by the driver (psycopg)."""
    # strings without the column's length: a cast to varchar(n)[] would cut longer values
    # silently (an id lookup could match a prefix, an insert would not fail as it should)
    item = sa.Text() if isinstance(element, sa.String) else element
    return sa.bindparam(None, list(values), type_=pg_dialect.ARRAY(item))


def insert_ignoring_conflicts(
    conn: Connection, table: sa.Table, rows: Sequence[dict[str, Any]]
) -> None:
    """Insert rows (all with the same keys), skipping those that conflict with a stored row:
    one INSERT ... SELECT FROM unnest(arrays) on PostgreSQL, an executemany elsewhere."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(dialect_insert(conn, table).on_conflict_do_nothing(), rows)
        return
    names = list(rows[0])
    arrays = [_array_parameter([row[name] for row in rows], table.c[name].type) for name in names]
    source = sa.func.unnest(*arrays).table_valued(*names).render_derived()
    select = sa.select(*(source.c[name] for name in names))
    conn.execute(pg_dialect.insert(table).from_select(names, select).on_conflict_do_nothing())


def chunks(values: Sequence[Any], size: int = IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
