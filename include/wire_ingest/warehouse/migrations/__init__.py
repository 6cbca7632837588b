"""The warehouse schema as Alembic migrations: `migrate` at deploy time, `check_current` in tasks."""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Connection, Engine

# Not `alembic_version`: the warehouse may share a PostgreSQL database with Airflow's own tables.
VERSION_TABLE = "wire_ingest_alembic_version"
BASE_REVISION = "0001"  # the tables create_all made before migrations existed
_SCHEMA_LOCK_KEY = 7_075_238  # a PostgreSQL advisory lock: one migration at a time


def alembic_config(connection: Connection | None = None) -> Config:
    """A Config for the migrations in this package, bound to a connection when given."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent))
    config.set_main_option("version_table", VERSION_TABLE)
    config.attributes["connection"] = connection
    return config


def current_revision(connection: Connection) -> str | None:
    from alembic.migration import MigrationContext

    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


@functools.cache
def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def migrate(engine: Engine, *, revision: str = "head") -> None:
    """Bring the warehouse to `revision`: idempotent, safe from concurrent runs, SQLite and PostgreSQL.

    A warehouse made before migrations (tables, no version table) is completed as the old
    create_all did and stamped at the head; later migrations then apply as usual.
    """
    from alembic import command

    from wire_ingest.warehouse.engines import write_transaction

    with write_transaction(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_SCHEMA_LOCK_KEY)))
        current = current_revision(conn)
        if current is not None and revision == "head" and current == head_revision():
            return  # the common case: nothing to do, no DDL, no lock held for long
        config = alembic_config(conn)
        if current is None and sa.inspect(conn).has_table("articles"):
            _adopt(conn)
            command.stamp(config, "head")
            return
        command.upgrade(config, revision)


class WarehouseBehind(RuntimeError):
    """The warehouse schema is older than this code: run the migrations (deploy time)."""


def is_empty(engine: Engine) -> bool:
    """Whether the database holds no warehouse at all (no tables of ours, no version)."""
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        return not (inspector.has_table(VERSION_TABLE) or inspector.has_table("articles"))


def check_current(engine: Engine) -> None:
    """Raise WarehouseBehind unless the warehouse is at the head migration. Tasks call this;
    migrations run at deploy time (`wire-ingest migrate`, airflow-init, make install)."""
    with engine.connect() as conn:
        current = current_revision(conn)
    head = head_revision()
    if current != head:
        url = engine.url.render_as_string(hide_password=True)
        raise WarehouseBehind(
            f"the warehouse {url} is at schema revision {current or 'none'}, this code needs "
            f"{head}: run `wire-ingest migrate` (or the deployment's init) first"
        )


def _adopt(connection: Connection) -> None:
    """A warehouse made before migrations (create_all, then columns added as code grew): bring it
    to the models the way the old ensure_schema did, check it matches, so it can be stamped."""
    from wire_ingest.warehouse import tables

    tables.metadata.create_all(connection, checkfirst=True)
    for table in tables.metadata.sorted_tables:
        present = {c["name"] for c in sa.inspect(connection).get_columns(table.name)}
        for column in table.columns:
            if column.name in present:
                continue
            if not (column.nullable or column.server_default is not None):
                raise RuntimeError(f"cannot add {table.name}.{column.name}: NOT NULL, no default")
            ddl = sa.schema.CreateColumn(column).compile(dialect=connection.dialect)
            connection.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {ddl}")
        for index in table.indexes:
            index.create(connection, checkfirst=True)
    if tables.STORIES_VIEW not in sa.inspect(connection).get_view_names():
        connection.exec_driver_sql(
            f"CREATE VIEW {tables.STORIES_VIEW} AS {tables.STORIES_VIEW_SELECT}"
        )
    left = _differences(connection)
    if left:  # e.g. a constraint create_all never added to an existing table: worth knowing
        log.warning("adopted a warehouse that still differs from the models: %s", left)


def compare_to_models(engine: Engine) -> list[Any]:
    """Differences between a migrated database and `tables.metadata` (empty when they agree)."""
    with engine.connect() as conn:
        return _differences(conn)


def _differences(connection: Connection) -> list[Any]:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from wire_ingest.warehouse.tables import metadata

    context = MigrationContext.configure(
        connection,
        opts={
            "version_table": VERSION_TABLE,
            "compare_type": True,
            "render_as_batch": connection.dialect.name == "sqlite",
        },
    )
    return list(compare_metadata(context, metadata))
