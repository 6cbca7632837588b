"""Alembic environment: runs on the connection `wire_ingest.warehouse.migrations.migrate` hands over."""

from __future__ import annotations

from typing import Any

from alembic import context

from wire_ingest.warehouse.migrations import VERSION_TABLE
from wire_ingest.warehouse.tables import metadata


def _run(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        # SQLite cannot ALTER most things: batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


given = context.config.attributes.get("connection")
if given is not None:
    _run(given)
else:  # the alembic CLI: `alembic -x url=sqlite:///... upgrade head`, else the default warehouse
    from wire_ingest import settings
    from wire_ingest.warehouse.engines import make_engine

    url = context.get_x_argument(as_dictionary=True).get("url") or settings.default_warehouse_url()
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()
