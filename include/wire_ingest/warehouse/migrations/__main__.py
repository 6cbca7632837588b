"""`python -m wire_ingest.warehouse.migrations revision "message"`: autogenerate the next migration.

Diffs `tables.metadata` against a scratch SQLite database at the current head and writes the
new revision file under versions/ (review it: views and data changes are not detected).
`python -m wire_ingest.warehouse.migrations upgrade [URL]` migrates a warehouse (default: the SQLite file).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path


def main(argv: list[str]) -> int:
    from alembic import command

    from wire_ingest import settings
    from wire_ingest.warehouse import migrations
    from wire_ingest.warehouse.engines import make_engine

    if len(argv) >= 2 and argv[0] == "revision":
        with tempfile.TemporaryDirectory() as scratch:
            engine = make_engine(f"sqlite:///{Path(scratch) / 'scratch.db'}")
            try:
                migrations.migrate(engine)
                with engine.begin() as conn:
                    config = migrations.alembic_config(conn)
                    command.revision(config, message=argv[1], autogenerate=True)
            finally:
                engine.dispose()
        return 0
    if argv and argv[0] == "upgrade":
        engine = make_engine(argv[1] if len(argv) > 1 else settings.default_warehouse_url())
        try:
            migrations.migrate(engine)
        finally:
            engine.dispose()
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
