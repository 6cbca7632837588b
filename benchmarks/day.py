"""One day of the pipeline in this process with each stage timed, and the environment it needs."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

STAGES = ("discover", "fetch", "parse", "dedupe", "validate", "load")
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextlib.contextmanager
def environment(**values: str) -> Iterator[None]:
    """Set environment variables for the block, then put the old values back."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, old in saved.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old


def unlimited_fetch_settings() -> Any:
    """The project's fetch settings with the rate limit off (our own local site)."""
    from wire_ingest import settings

    return dataclasses.replace(settings.FetchSettings.from_env(), max_requests_per_second=0)


def timed_day(
    *, base_url: str, day: dt.date, warehouse_url: str, data_dir: Path, run_id: str | None = None
) -> dict[str, Any]:
    """Run every stage of `day` in this process: {"seconds": {stage: s}, "summary": counts}."""
    from wire_ingest import plan, steps

    fetch_settings = unlimited_fetch_settings()
    seconds: dict[str, float] = {}
    with environment(WIRE_DATA_DIR=str(data_dir), WIRE_MAX_RPS="0"):
        ctx = plan.plan_run(
            run_id=run_id or f"bench_{uuid.uuid4().hex[:12]}",
            target_day=day,
            base_url=base_url,
            warehouse_url=warehouse_url,
            landing_url=(data_dir / "landing").as_uri(),
        )

        def stage(name: str, call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
            began = time.perf_counter()
            result = call()
            seconds[name] = time.perf_counter() - began
            return result

        found = stage("discover", lambda: steps.discover_step(ctx, fetch_settings=fetch_settings))
        fetched = stage(
            "fetch", lambda: steps.fetch_step(ctx, found["path"], fetch_settings=fetch_settings)
        )
        parsed = stage("parse", lambda: steps.parse_step(ctx, fetched["path"]))
        deduped = stage("dedupe", lambda: steps.dedupe_step(ctx, parsed["path"]))
        validated = stage("validate", lambda: steps.validate_step(ctx, deduped["path"]))
        summary = stage("load", lambda: steps.load_step(ctx, validated["path"]))
    return {"seconds": seconds, "summary": summary}


def postgres_base_url() -> str:
    return (
        os.environ.get("WIRE_BENCH_POSTGRES_URL")
        or os.environ.get("WIRE_TEST_POSTGRES_URL")
        or DEFAULT_POSTGRES_URL
    )


@contextlib.contextmanager
def postgres_schema() -> Iterator[str]:
    """A throwaway warehouse schema on the benchmark's PostgreSQL, migrated as deploy time does;
    yields a URL whose connections use it."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    from wire_ingest.warehouse import engines, migrations

    base = postgres_base_url()
    schema = f"wire_bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        warehouse = engines.make_engine(url.render_as_string(hide_password=False))
        migrations.migrate(warehouse)  # tasks only check the schema version
        warehouse.dispose()
        yield url.render_as_string(hide_password=False)
    finally:
        with contextlib.suppress(Exception), admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
