"""The DAG's manual-run params wired through the pipeline: `max_pages` and `dry_run`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from wire_ingest import plan, settings, steps, workfiles
from wire_ingest.warehouse import engines, tables
from wiresim.generate import build_site
from wiresim.server import start_in_thread

DAY = dt.date(2020, 12, 23)


@pytest.fixture
def ctx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("WIRE_DATA_DIR", str(tmp_path))
    site = build_site(DAY, DAY, seed=7, per_day=40)
    with start_in_thread(site) as running:
        yield plan.plan_run(
            run_id="manual__params",
            target_day=DAY,
            base_url=running.base_url,
            warehouse_url=f"sqlite:///{tmp_path / 'warehouse.db'}",
        )


def test_max_pages_keeps_only_the_newest_pages(ctx) -> None:  # type: ignore[no-untyped-def]
    fast = settings.FetchSettings(max_requests_per_second=0)
    everything = steps.discover_step(ctx, fetch_settings=fast)
    capped = steps.discover_step(ctx, fetch_settings=fast, max_pages=5)
    assert everything["count"] > 5
    assert capped["count"] == 5
    first_lines = workfiles.read_text(everything["path"]).splitlines()[:5]
    assert workfiles.read_text(capped["path"]).splitlines() == first_lines


def test_dry_run_writes_nothing_to_the_warehouse(ctx) -> None:  # type: ignore[no-untyped-def]
    fast = settings.FetchSettings(max_requests_per_second=0)
    discovered = steps.discover_step(ctx, fetch_settings=fast, max_pages=10)
    fetched = steps.fetch_step(ctx, discovered["path"], fetch_settings=fast)
    parsed = steps.parse_step(ctx, fetched["path"])
    deduped = steps.dedupe_step(ctx, parsed["path"])
    summary = steps.load_step(ctx, deduped["path"], dry_run=True)  # validated rows stand-in
    assert summary["status"] == "dry_run"
    assert summary["would_load"] == deduped["count"] > 0
    assert summary["loaded"] == 0
    engine = engines.make_engine(ctx.warehouse_url)
    try:
        with engine.connect() as conn:
            assert (
                conn.execute(sa.select(sa.func.count()).select_from(tables.articles)).scalar() == 0
            )
            assert (
                conn.execute(sa.select(sa.func.count()).select_from(tables.ingest_runs)).scalar()
                == 0
            )
    finally:
        engine.dispose()


def test_parse_dedupe_step_is_parse_then_dedupe(ctx) -> None:  # type: ignore[no-untyped-def]
    """The DAGs' `parse_dedupe` task: both stages' files and counts, both stages' seconds."""
    fast = settings.FetchSettings(max_requests_per_second=0)
    discovered = steps.discover_step(ctx, fetch_settings=fast)
    fetched = steps.fetch_step(ctx, discovered["path"], fetch_settings=fast)
    one_task = steps.parse_dedupe_step(ctx, fetched["path"])
    one_task_rows = workfiles.read_text(one_task["path"])
    parsed = steps.parse_step(ctx, fetched["path"])
    deduped = steps.dedupe_step(ctx, parsed["path"])
    assert one_task["path"] == deduped["path"] and one_task["parsed_path"] == parsed["path"]
    assert one_task["parsed"] == parsed["count"] == discovered["count"]
    assert one_task["count"] == deduped["count"] > 0
    assert one_task_rows == workfiles.read_text(deduped["path"])
    assert 0 < one_task["dedupe_seconds"] < one_task["step_seconds"]
    counts = workfiles.load_counts(ctx)
    assert counts["parsed"] == parsed["count"] and "duplicates" in counts
