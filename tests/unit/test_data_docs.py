"""Data Docs per run: real GX pages, rewritten to load nothing from the network."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from pathlib import Path

import pytest

from wire_ingest.models import RunContext
from wire_ingest.quality import data_docs, validation

sys.path.insert(0, str(Path(__file__).parent))
from test_validate import ALLOWED_HOSTS, TARGET_DAY, make_article, valid_batch

RUN_ID = "scheduled__2020-12-22T16:00:00+00:00"
CDN_PAGE = """<html><head>
<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"/>
<link rel="stylesheet" href="https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css">
<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>
<script src="https://cdn.jsdelivr.net/npm/vega@5"></script>
<style>.x { background: url('https://example.com/logo.png') 0 0 no-repeat; }</style>
<link rel="shortcut icon" href="../../../../static/images/favicon.ico" type="image/x-icon"/>
</head><body><a href="https://greatexpectations.io">GX</a>
<a href="../../../../index.html">Home</a><img src="https://assets.example.com/logo-long.png?d=1">
</body></html>"""


def test_external_resources_finds_what_a_browser_would_load() -> None:
    assert data_docs.external_resources(CDN_PAGE) == [
        "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css",
        "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css",
        "https://code.jquery.com/jquery-3.7.1.min.js",
        "https://cdn.jsdelivr.net/npm/vega@5",
        "https://assets.example.com/logo-long.png?d=1",
        "https://example.com/logo.png",
    ]


def test_make_offline_points_at_vendored_files_and_keeps_plain_links() -> None:
    offline = data_docs.make_offline(CDN_PAGE, depth=2)
    assert data_docs.external_resources(offline) == []
    assert 'href="../../../static/vendor/bootstrap.min.css"' in offline
    assert 'src="../../../static/vendor/jquery.min.js"' in offline
    assert 'src="../../../static/images/logo-long.png"' in offline
    assert 'href="../../../static/vendor/wire-icons.css"' in offline
    # GX builds the site in its own layout, so its links between pages stay as GX wrote them.
    assert 'href="../../../../index.html"' in offline
    assert 'href="../../../static/images/favicon.ico"' in offline
    assert "vega" not in offline and "font-awesome" not in offline
    assert '<a href="https://greatexpectations.io">' in offline  # a link, not a resource


@pytest.mark.slow
def test_run_docs_are_real_gx_pages_that_render_offline(tmp_path: Path) -> None:
    articles = [*valid_batch(), make_article(90, source="Unknown Wire")]
    result = validation.validate_articles(
        articles, target_day=TARGET_DAY, allowed_hosts=ALLOWED_HOSTS, run_id=RUN_ID
    )
    check = validation.check_batch(result, min_rows=1, max_rows=5, max_reject_share=0.5)
    ctx = RunContext(
        run_id=RUN_ID,
        target_day=TARGET_DAY,
        feed="china_org_cn",
        base_url="http://www.china.org.cn",
        warehouse_url="sqlite://",
        work_url=(tmp_path / "work").as_uri(),
        landing_url=(tmp_path / "landing").as_uri(),
    )
    index = data_docs.build_validation_docs(ctx, result, check, root=tmp_path / "docs")
    assert index == tmp_path / "docs" / "scheduled__2020-12-22T16_00_00_00_00" / "index.html"
    run_dir = index.parent
    pages = sorted(p.relative_to(run_dir).as_posix() for p in run_dir.rglob("*.html"))
    # GX's own layout: a result's page is validations/<suite path>/<run>/<run time>/<batch>.html.
    result_page = (
        r"validations/wire_ingest/china_org_cn/{}/{}/\d{{8}}T\d{{6}}\.\d{{6}}Z/[\w-]+\.html"
    )
    run_key = "scheduled__2020-12-22T16_00_00_00_00"
    assert pages[:3] == [
        "expectations/wire_ingest/china_org_cn/articles.html",
        "expectations/wire_ingest/china_org_cn/batch.html",
        "index.html",
    ]
    assert len(pages) == 5
    assert re.fullmatch(result_page.format("articles", run_key), pages[3]), pages[3]
    assert re.fullmatch(result_page.format("batch", run_key), pages[4]), pages[4]
    for name in pages:
        page = (run_dir / name).read_text()
        assert data_docs.external_resources(page) == [], name
        assert not re.search(r"""(?:src|href)=["']https?://[^"']*(?:cdn|unpkg|jquery)""", page)
        # Every local reference resolves to a file of the site.
        for ref in re.findall(r"""(?:src|href)=["']([^"'#:]+)["']""", page):
            assert ((run_dir / name).parent / ref.split("?")[0]).resolve().is_file(), (name, ref)
    rows = (run_dir / pages[3]).read_text()
    assert "expect_column_values_to_be_in_set" in rows or "source is a known agency" in rows
    batch = (run_dir / pages[4]).read_text()
    # The band is a suite parameter: GX's wording with the run's values.
    batch_text = " ".join(re.sub(r"<[^>]+>", " ", batch).split())
    assert "greater than or equal to 1 and less than or equal to 5 rows" in batch_text
    record = json.loads((run_dir / data_docs.SUMMARY_FILE).read_text())
    assert record["run_id"] == RUN_ID
    assert record["rejected"] == 1 and record["batch_expectations"] == "failed"
    assert {p["path"]: p["success"] for p in record["pages"] if p["kind"] == "validations"} == {
        pages[3]: False,
        pages[4]: False,
    }
    assert (tmp_path / "docs" / "static" / "vendor" / "bootstrap.min.css").stat().st_size > 100_000


def test_empty_batch_builds_no_docs(tmp_path: Path) -> None:
    empty = validation.ValidationResult(passed=[], rejected=[], statistics={}, suite_name="s")
    ctx = RunContext(
        run_id="r",
        target_day=dt.date(2020, 12, 23),
        feed="china_org_cn",
        base_url="http://www.china.org.cn",
        warehouse_url="sqlite://",
        work_url=(tmp_path / "work").as_uri(),
        landing_url=(tmp_path / "landing").as_uri(),
    )
    check = validation.BatchCheck(failures=[], suite_name="b", statistics={})
    assert data_docs.build_validation_docs(ctx, empty, check, root=tmp_path) is None
