"""The validate step's batch gate: a day outside the band fails the run readably; docs still built."""

from __future__ import annotations

import json
import logging
import re
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from wire_ingest import plan, steps, workfiles
from wire_ingest.models import Rejection
from wire_ingest.quality import data_docs, report, validation
from wire_ingest.warehouse import engines, tables

sys.path.insert(0, str(Path(__file__).parent))
from test_validate import TARGET_DAY, make_article


@pytest.mark.slow
def test_too_many_articles_for_a_day_fail_the_run_readably(
    tmp_path: Path,
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    monkeypatch.setenv("WIRE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("WIRE_MAX_DAY_ARTICLES", "4")
    ctx = plan.plan_run(
        run_id="band-run",
        target_day=TARGET_DAY,
        base_url="http://www.china.org.cn",
        warehouse_url=sqlite_url,
        landing_url=(tmp_path / "landing").as_uri(),
    )
    deduped = tmp_path / "deduped.jsonl"
    rows = [make_article(n) for n in range(6)] + [make_article(9, source="Unknown Wire")]
    deduped.write_text("".join(json.dumps(a.to_dict()) + "\n" for a in rows))

    with pytest.raises(validation.BatchValidationError) as raised:
        steps.validate_step(ctx, str(deduped))
    assert str(raised.value) == (
        "run band-run: the batch failed 1 of its expectations: "
        "expect_table_row_count_to_be_between: expected 1 to 4 articles for the day, saw 7"
    )
    # One summary line for the step; GX's own logging stays quiet.
    summaries = [r.getMessage() for r in caplog.records if r.name == "wire_ingest.steps"]
    assert [m for m in summaries if m.startswith("validate:")] == [
        f"validate: 6 passed, 1 rejected; batch expectations failed (1); data docs "
        f"{data_docs.run_dir('band-run', root=tmp_path / 'data' / 'data_docs') / 'index.html'}"
    ]
    assert [r.getMessage() for r in caplog.records if r.name.startswith("great_exp")] == []

    engine = engines.make_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            run = conn.execute(sa.select(tables.ingest_runs)).one()._mapping
            rejects = conn.execute(sa.select(tables.article_rejects)).all()
    finally:
        engine.dispose()
    assert run["status"] == "failed" and "expected 1 to 4 articles" in run["message"]
    assert [r.url for r in rejects] == [rows[-1].url]  # the row-level reject is kept

    # The failed run has its Data Docs, saying which batch expectation failed.
    run_dir = data_docs.run_dir("band-run", root=tmp_path / "data" / "data_docs")
    record = json.loads((run_dir / data_docs.SUMMARY_FILE).read_text())
    assert record["batch_expectations"] == "failed" and record["rejected_rows"] == 1
    (batch_path,) = [
        p["path"]
        for p in record["pages"]
        if p["kind"] == "validations" and p["suite_name"] == "wire_ingest.china_org_cn.batch"
    ]
    batch_page = (run_dir / batch_path).read_text()
    # The band is a suite parameter: GX's wording with the run's values.
    batch_text = " ".join(re.sub(r"<[^>]+>", " ", batch_page).split())
    assert "greater than or equal to 1 and less than or equal to 4 rows" in batch_text
    assert data_docs.external_resources(batch_page) == []

    # Without batch checks (a replay), the same rows pass the gate.
    monkeypatch.setenv("WIRE_MAX_DAY_ARTICLES", "4")
    assert steps.validate_step(ctx, str(deduped), batch_checks=False)["count"] == 6


def _page_text(page: Path) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", page.read_text(), flags=re.DOTALL)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.mark.slow
@pytest.mark.parametrize("articles", [7, 0], ids=["too-many-rows", "empty-day"])
def test_a_failed_batch_has_data_docs_with_the_tabs_counts(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch, articles: int
) -> None:
    """Whether the batch's rows failed the band or the site served nothing for the day (a day
    the local site does not serve), the failed run has Data Docs named by feed and day, and the
    counts they show are the Data quality tab's, parse rejects included."""
    monkeypatch.setenv("WIRE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("WIRE_MIN_DAY_ARTICLES", "1")
    monkeypatch.setenv("WIRE_MAX_DAY_ARTICLES", "4")
    run_id = f"failed-{articles}"
    ctx = plan.plan_run(
        run_id=run_id,
        target_day=TARGET_DAY,
        base_url="http://www.china.org.cn",
        warehouse_url=sqlite_url,
        landing_url=(tmp_path / "landing").as_uri(),
    )
    # What the earlier stages left: their counts and one page that did not parse.
    workfiles.save_counts(ctx, "discover", {"discovered": articles + 2})
    workfiles.save_counts(ctx, "fetch", {"fetched": articles + 1, "not_modified": 1})
    workfiles.save_counts(ctx, "parse", {"parsed": articles, "parse_failed": 1})
    workfiles.save_rejects(
        ctx,
        "parse",
        [Rejection(feed=ctx.feed, url="http://www.china.org.cn/x.htm", stage="parse",
                   reason="no_body", message="no body")],
    )  # fmt: skip
    rows = [make_article(n) for n in range(articles - 1)]
    rows += [make_article(9, source="Unknown Wire")] if articles else []
    deduped = tmp_path / "deduped.jsonl"
    deduped.write_text("".join(json.dumps(a.to_dict()) + "\n" for a in rows))

    with pytest.raises(validation.BatchValidationError, match="expect_table_row_count"):
        steps.validate_step(ctx, str(deduped))

    engine = engines.make_engine(sqlite_url)
    try:
        (run,) = report.build_report(engine, docs_root=tmp_path / "data" / "data_docs").runs
    finally:
        engine.dispose()
    assert run.status == "failed" and run.docs_path is not None  # the tab links them
    assert run.counts == {
        "discovered": articles + 2,
        "fetched": articles + 1,
        "not modified": 1,
        "parsed": articles,
        "duplicates": 0,
        "rejected": 2 if articles else 1,  # the parse reject and the row GX rejected
        "loaded": 0,
    }
    folder = (tmp_path / "data" / "data_docs" / run.docs_path).parent
    record = json.loads((folder / data_docs.SUMMARY_FILE).read_text())
    assert record["counts"] == run.counts
    index = _page_text(folder / "index.html")
    assert "Data Docs | china_org_cn 2020-12-23" in index
    results = [p for p in record["pages"] if p["kind"] == "validations"]
    assert len(results) == (2 if articles else 1)  # an empty day has only the batch's result
    for result in results:
        assert result["success"] is False
        text = _page_text(folder / result["path"])
        assert "Data asset: china_org_cn 2020-12-23" in text
        shown = dict(
            re.findall(
                r"\b(discovered|fetched|not modified|parsed|duplicates|"
                r"rejected|loaded) (\d+)\b",
                text.split("Batch Kwargs", 1)[1],
            )
        )
        assert {k: int(v) for k, v in shown.items()} == run.counts, result["path"]
    for page in folder.rglob("*.html"):
        assert "newsletter" not in page.read_text(), page
