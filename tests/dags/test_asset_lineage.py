"""Lineage: the load task declares the warehouse's articles table as an Airflow Asset."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_load_task_outlets_the_articles_asset() -> None:
    from airflow.dag_processing.dagbag import DagBag
    from airflow.sdk import AssetAlias

    dag = DagBag(dag_folder=str(ROOT / "dags")).dags["wire_ingest"]
    outlets = dag.get_task("load").outlets
    assert outlets == [AssetAlias(name="wire_warehouse.articles.updates")]
    others = [t.task_id for t in dag.tasks if t.task_id != "load" and t.outlets]
    assert others == []
