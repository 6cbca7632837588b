"""The reject-share gate judges the day (loaded + this batch + open rejects), not the run's slice."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from wire_ingest import plan, steps
from wire_ingest.models import Article, RunContext
from wire_ingest.quality import validation
from wire_ingest.warehouse import engines, load, tables

sys.path.insert(0, str(Path(__file__).parent))
from test_validate import TARGET_DAY, make_article

pytestmark = pytest.mark.slow


def _ctx(tmp_path: Path, url: str, run_id: str) -> RunContext:
    return plan.plan_run(
        run_id=run_id,
        target_day=TARGET_DAY,
        base_url="http://www.china.org.cn",
        warehouse_url=url,
        landing_url=(tmp_path / "landing").as_uri(),
    )


def _validate(tmp_path: Path, url: str, run_id: str, batch: list[Article]) -> dict:
    ctx = _ctx(tmp_path, url, run_id)
    deduped = tmp_path / f"{run_id}.jsonl"
    deduped.write_text("".join(json.dumps(a.to_dict()) + "\n" for a in batch))
    return steps.validate_step(ctx, str(deduped))


def _bad(n: int) -> Article:
    return make_article(n, source="Unknown Wire")


def test_a_rerun_that_recovers_a_page_passes_on_the_days_share(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WIRE_DATA_DIR", str(tmp_path / "data"))
    # Run 1: 20 good articles loaded, 2 rejected every time (9%): passes and loads.
    first = [make_article(n) for n in range(20)] + [_bad(90), _bad(91)]
    validated = _validate(tmp_path, sqlite_url, "run-1", first)
    steps.load_step(_ctx(tmp_path, sqlite_url, "run-1"), validated["path"])
    # Run 2 re-fetches one recovered page and the two bad ones (the rest answered 304):
    # 2 of 3 in the run's slice (67%), but 2 of 23 for the day.
    second = [make_article(50), _bad(90), _bad(91)]
    validated = _validate(tmp_path, sqlite_url, "run-2", second)
    summary = steps.load_step(_ctx(tmp_path, sqlite_url, "run-2"), validated["path"])
    assert summary["status"] == "success"
    engine = engines.make_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            assert (
                conn.execute(sa.select(sa.func.count()).select_from(tables.articles)).scalar() == 21
            )
            rejects = conn.execute(sa.select(tables.article_rejects.c.url)).scalars().all()
    finally:
        engine.dispose()
    assert sorted(rejects) == sorted([_bad(90).url, _bad(91).url])


def test_a_run_that_makes_the_day_worse_still_fails(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WIRE_DATA_DIR", str(tmp_path / "data"))
    validated = _validate(tmp_path, sqlite_url, "run-1", [make_article(n) for n in range(4)])
    steps.load_step(_ctx(tmp_path, sqlite_url, "run-1"), validated["path"])
    with pytest.raises(validation.BatchValidationError, match="2 of 6 articles"):
        _validate(tmp_path, sqlite_url, "run-2", [_bad(90), _bad(91)])


def test_a_run_is_not_failed_by_rows_an_earlier_run_judged(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WIRE_DATA_DIR", str(tmp_path / "data"))
    # An earlier successful run left the day at 3 of 10 rejected (a looser limit then).
    monkeypatch.setenv("WIRE_MAX_REJECT_SHARE", "0.5")
    batch = [make_article(n) for n in range(7)] + [_bad(90), _bad(91), _bad(92)]
    validated = _validate(tmp_path, sqlite_url, "run-1", batch)
    steps.load_step(_ctx(tmp_path, sqlite_url, "run-1"), validated["path"])
    monkeypatch.setenv("WIRE_MAX_REJECT_SHARE", "0.2")
    # A re-run that finds nothing new (every page 304) or recovers one is not blocked.
    assert _validate(tmp_path, sqlite_url, "run-2", [])["count"] == 0
    assert _validate(tmp_path, sqlite_url, "run-3", [make_article(90)])["count"] == 1


def test_loaded_articles_count_once_when_the_batch_judges_them_again(sqlite_url: str) -> None:
    from wire_ingest.warehouse import queries

    engine = engines.make_engine(sqlite_url)
    try:
        from wire_ingest.warehouse import migrations

        migrations.migrate(engine)
        load.load_articles(engine, [make_article(n) for n in range(3)], run_id="r")
        held = queries.day_holdings(
            engine, "china_org_cn", TARGET_DAY, batch_urls=[make_article(0).url]
        )
    finally:
        engine.dispose()
    assert (held.loaded, held.open_rejects, held.judged_share) == (2, 0, 0.0)
