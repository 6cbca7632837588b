"""The warehouse schema comes from Alembic migrations, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from wire_ingest.warehouse import engines, migrations, tables

BASE = migrations.BASE_REVISION


def _tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def _revision(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        return migrations.current_revision(conn)


def test_migrations_build_exactly_the_models_on_an_empty_database(empty_warehouse_url: str) -> None:
    engine = engines.make_engine(empty_warehouse_url)
    try:
        migrations.migrate(engine)
        assert _revision(engine) == migrations.head_revision()
        # tables.metadata and the migrations must agree: a new table or column needs a migration.
        assert migrations.compare_to_models(engine) == []
        assert {t.name for t in tables.metadata.sorted_tables} <= _tables(engine)
        assert migrations.VERSION_TABLE in _tables(engine)
        assert "alembic_version" not in _tables(engine)  # Airflow's own name stays free
        migrations.migrate(engine)  # idempotent
        migrations.migrate(engine)  # what the pipeline calls: the same migrations
        assert _revision(engine) == migrations.head_revision()
        assert migrations.compare_to_models(engine) == []
    finally:
        engine.dispose()


def test_upgrade_from_the_previous_revision_keeps_the_rows(empty_warehouse_url: str) -> None:
    engine = engines.make_engine(empty_warehouse_url)
    try:
        migrations.migrate(engine, revision=BASE)
        assert _revision(engine) == BASE
        assert migrations.compare_to_models(engine) != []  # the base lacks later additions
        now = dt.datetime(2020, 12, 23, tzinfo=dt.UTC)
        base_article = {
            "article_id": "a1",
            "feed": "china_org_cn",
            "url": "http://www.china.org.cn/world/Off_the_Wire/2020-12/23/content_1.htm",
            "canonical_url": "http://www.china.org.cn/world/Off_the_Wire/2020-12/23/content_1.htm",
            "title": "A title",
            "source": "Xinhua",
            "published_at": "2020-12-23T09:00:00+08:00",
            "published_date": dt.date(2020, 12, 23),
            "body": "A body.",
            "section": "world",
            "content_hash": "0" * 64,
            "first_seen_at": now,
            "last_seen_at": now,
            "first_run_id": "r1",
            "last_run_id": "r1",
        }
        with engine.begin() as conn:
            base_articles = sa.Table("articles", sa.MetaData(), autoload_with=conn)
            conn.execute(sa.insert(base_articles), base_article)
        migrations.migrate(engine)
        assert _revision(engine) == migrations.head_revision()
        assert migrations.compare_to_models(engine) == []
        with engine.connect() as conn:
            row = conn.execute(sa.select(tables.articles)).one()._mapping
        assert row["article_id"] == "a1" and row["title"] == "A title"
    finally:
        engine.dispose()


def test_a_warehouse_made_before_migrations_is_adopted(empty_warehouse_url: str) -> None:
    engine = engines.make_engine(empty_warehouse_url)
    try:
        migrations.migrate(engine, revision=BASE)
        with engine.begin() as conn:  # what the old create_all left: tables, no version table
            conn.execute(sa.text(f"DROP TABLE {migrations.VERSION_TABLE}"))
        migrations.migrate(engine)
        assert _revision(engine) == migrations.head_revision()
        assert migrations.compare_to_models(engine) == []
    finally:
        engine.dispose()


def test_a_warehouse_made_by_create_all_of_todays_models_is_stamped_at_head(
    empty_warehouse_url: str,
) -> None:
    engine = engines.make_engine(empty_warehouse_url)
    try:
        with engine.begin() as conn:
            tables.metadata.create_all(conn)
        migrations.migrate(engine)
        assert _revision(engine) == migrations.head_revision()
        assert migrations.compare_to_models(engine) == []
    finally:
        engine.dispose()


def test_the_stories_view_is_part_of_the_schema(empty_warehouse_url: str) -> None:
    engine = engines.make_engine(empty_warehouse_url)
    try:
        migrations.migrate(engine)
        assert "stories" in sa.inspect(engine).get_view_names()
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT COUNT(*) FROM stories")).scalar_one() == 0
    finally:
        engine.dispose()


def test_the_migrated_stories_view_is_the_one_load_py_describes() -> None:
    import importlib.util
    import re

    path = Path(migrations.__file__).parent / "versions" / "0002_fetch_state_and_stories.py"
    spec = importlib.util.spec_from_file_location("migration_0002", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def squash(sql: str) -> str:
        return re.sub(r"\s+", " ", sql).strip()

    assert squash(module.STORIES_VIEW_SELECT) == squash(tables.STORIES_VIEW_SELECT)


@pytest.mark.postgres
def test_concurrent_first_runs_migrate_once(postgres_schema_url: str) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        engine = engines.make_engine(postgres_schema_url)
        try:
            migrations.migrate(engine)
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    engine = engines.make_engine(postgres_schema_url)
    try:
        assert _revision(engine) == migrations.head_revision()
    finally:
        engine.dispose()
