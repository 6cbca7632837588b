"""
### The wire DAGs: one per source declared in sources.toml, all from one factory

`wire_ingest` reads china.org.cn's Off the Wire; every other enabled source gets `wire_<name>`.
Each DAG's own page says its source, schedule, pool and settings (docs/sources.md).
"""

from __future__ import annotations

from wire_ingest.airflow.dag_factory import build_dag
from wire_ingest.sources import enabled_sources

for _source in enabled_sources():
    globals()[_source.dag] = build_dag(_source)
