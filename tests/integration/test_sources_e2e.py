"""Both declared wires over real HTTP into one warehouse: the shared Xinhua copy is one story."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from wire_ingest import plan, sources, steps
from wire_ingest.warehouse import engines, tables
from wiresim.newscn import NewsCnSite
from wiresim.server import RunningSite, start_in_thread

DAY = dt.date(2020, 12, 23)


@pytest.fixture(scope="module")
def news_cn_site() -> Iterator[RunningSite]:
    with start_in_thread(NewsCnSite(DAY, DAY, per_day=120)) as running:
        yield running


@pytest.fixture(scope="module")
def china_site(news_cn_site: RunningSite) -> Iterator[RunningSite]:
    site = news_cn_site.site
    assert isinstance(site, NewsCnSite)
    with start_in_thread(site.wire) as running:  # the very copy the news.cn stories came from
        yield running


@pytest.mark.slow
@pytest.mark.parametrize(
    "warehouse", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_both_wires_load_and_shared_stories_link_across_sources(
    warehouse: str,
    news_cn_site: RunningSite,
    china_site: RunningSite,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    monkeypatch.setenv("WIRE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WIRE_MAX_RPS", "0")  # the local sites: no politeness delay needed
    url = (
        f"sqlite:///{tmp_path / 'warehouse.db'}"
        if warehouse == "sqlite"
        else request.getfixturevalue("migrated_postgres_schema_url")
    )
    ctx = plan.plan_run(
        run_id="china", target_day=DAY, base_url=china_site.base_url, warehouse_url=url
    )
    china = steps.run_day(ctx)
    xinhua_en = sources.get_source("xinhua_en")
    xinhua = steps.run_day(
        plan.plan_run(
            run_id="xinhua",
            target_day=DAY,
            feed=xinhua_en.name,
            base_url=news_cn_site.base_url,
            warehouse_url=url,
        )
    )
    key = news_cn_site.answer_key()
    day_key = [e for e in key if e["page_date"] == DAY.isoformat()]
    assert china["status"] == xinhua["status"] == "success"
    assert xinhua["discovered"] == xinhua["loaded"] == len(day_key)
    assert xinhua["fallback"] == 0 and xinhua["parse_failed"] == 0

    engine = engines.make_engine(url)
    try:
        with engine.connect() as conn:
            rows = {
                r.url: r
                for r in conn.execute(
                    sa.select(
                        tables.articles.c.url,
                        tables.articles.c.article_id,
                        tables.articles.c.duplicate_of,
                        tables.articles.c.extraction,
                        tables.articles.c.title,
                        tables.articles.c.published_at,
                        tables.articles.c.editor,
                    ).where(tables.articles.c.feed == "xinhua_en")
                )
            }
            china_editors = set(
                conn.execute(
                    sa.select(tables.articles.c.editor).where(
                        tables.articles.c.feed == "china_org_cn"
                    )
                ).scalars()
            )
            china_ids = {
                r.url: r.article_id
                for r in conn.execute(
                    sa.select(tables.articles.c.url, tables.articles.c.article_id).where(
                        tables.articles.c.feed == "china_org_cn"
                    )
                )
            }
            run = conn.execute(
                sa.select(tables.ingest_runs).where(tables.ingest_runs.c.run_id == "xinhua")
            ).one()
    finally:
        engine.dispose()
    assert run.dag_id == "wire_xinhua_en" and run.feed == "xinhua_en"
    assert china_editors == {None}  # china.org.cn pages name no editor
    for entry in day_key:
        row = rows[entry["url"]]
        assert (row.title, row.published_at, row.extraction, row.editor) == (
            entry["title"],
            entry["published_at"],
            "adapter",
            entry["editor"],  # the page's editor is kept, not dropped
        )
        shared = entry["shared_with_url"]
        if shared is None:
            assert row.duplicate_of is None, entry["url"]
        else:
            # the china.org.cn copy loaded first: the news.cn page points at it
            china_url = shared.replace(news_cn_site.base_url, china_site.base_url)
            assert row.duplicate_of == china_ids[china_url], entry["url"]
    assert sum(1 for e in day_key if e["shared_with_url"]) >= 20


class _NewsCnDisallowingPage2(NewsCnSite):
    """news.cn whose robots.txt forbids the listing's second page."""

    def _render(self, path: str, base: str) -> Any:
        if path == "/robots.txt":
            body = b"User-agent: *\nDisallow: /list/latestnews_2.htm\n"
            return 200, {"Content-Type": "text/plain; charset=utf-8"}, body
        return super()._render(path, base)


def test_a_declared_source_asks_robots_txt_for_every_listing_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WIRE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WIRE_MAX_RPS", "0")
    older = DAY - dt.timedelta(days=1)  # below the whole newer day: past the first listing page
    with start_in_thread(_NewsCnDisallowingPage2(older, DAY, per_day=60)) as site:
        ctx = plan.plan_run(
            run_id="robots",
            target_day=older,
            base_url=site.base_url,
            warehouse_url=f"sqlite:///{tmp_path / 'warehouse.db'}",
            feed="xinhua_en",
        )
        with pytest.raises(RuntimeError, match=r"disallowed by robots\.txt"):
            steps.discover_step(ctx)
        asked = [path for _method, path, _status in site.request_log]
    assert asked[0] == "/robots.txt" and "/list/latestnews.htm" in asked
    assert "/list/latestnews_2.htm" not in asked


def test_a_declared_sources_listing_walk_takes_the_shared_per_host_slots(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, news_cn_site: RunningSite
) -> None:
    """The listing pages of a declared source count against the per-host limit that every
    process shares through the warehouse, as its article fetches do."""
    monkeypatch.setenv("WIRE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WIRE_MAX_RPS", "50")
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    ctx = plan.plan_run(
        run_id="slots",
        target_day=DAY,
        base_url=news_cn_site.base_url,
        warehouse_url=url,
        feed="xinhua_en",
    )
    source = sources.get_source("xinhua_en")
    fast = dataclasses.replace(source.fetch_settings(), max_requests_per_second=50)
    found = steps.discover_step(ctx, fetch_settings=fast)
    assert found["count"] > 0
    engine = engines.make_engine(url)
    try:
        with engine.connect() as conn:
            hosts = conn.execute(sa.select(tables.host_rate_slots.c.host)).scalars().all()
    finally:
        engine.dispose()
    assert hosts == [news_cn_site.base_url.removeprefix("http://").split(":")[0]]
