"""Site health of a run: signs that the site changed under its adapter (fallback share)."""

from __future__ import annotations

import os
from dataclasses import dataclass


def fallback_share_threshold() -> float:
    """How many points above its usual share a run's fallback share may rise before it warns."""
    return float(os.environ.get("WIRE_FALLBACK_JUMP", "").strip() or "0.1")


@dataclass(frozen=True, slots=True)
class FallbackCheck:
    """A run's fallback share against the share of the feed's previous runs."""

    fallback: int
    parsed: int
    baseline: float  # share in the previous runs (0.0 when there are none)

    @property
    def share(self) -> float:
        return self.fallback / self.parsed if self.parsed else 0.0

    @property
    def jumped(self) -> bool:
        return self.fallback > 0 and self.share - self.baseline >= fallback_share_threshold()

    def message(self) -> str:
        return (
            f"fallback extraction for {self.fallback} of {self.parsed} articles "
            f"({self.share:.0%}, previous runs {self.baseline:.0%}): "
            "the site's layout may have changed, check its adapter"
        )


def previous_fallback_share(warehouse_url: str, feed: str, *, runs: int = 7) -> float:
    """Share of fallback extractions over the feed's last successful runs in the warehouse."""
    import sqlalchemy as sa

    from wire_ingest.warehouse.engines import make_engine
    from wire_ingest.warehouse.tables import ingest_runs as table

    query = (
        sa.select(table.c.fallback, table.c.parsed)
        .where(table.c.feed == feed, table.c.status == "success")
        .order_by(table.c.finished_at.desc().nulls_last())
        .limit(runs)
    )
    engine = make_engine(warehouse_url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table(table.name, schema=table.schema):
                return 0.0  # a new warehouse: no history yet (and a read creates nothing)
            rows = conn.execute(query).all()
    finally:
        engine.dispose()
    parsed = sum(row.parsed for row in rows)
    return sum(row.fallback for row in rows) / parsed if parsed else 0.0
