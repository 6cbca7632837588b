"""The generic extractor and the fallback: broken layouts still load, flagged; runs notice jumps."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import lxml.html
import pytest
import sqlalchemy as sa

from wire_ingest import cli, landing, plan, steps, urls, workfiles
from wire_ingest.adapters import base, china_org_cn, generic
from wire_ingest.models import Article
from wire_ingest.quality import site_health
from wire_ingest.warehouse import engines, load, tables
from wiresim.generate import Site, build_site

BASE = "http://127.0.0.1:8765"
DAY = dt.date(2020, 12, 23)


@pytest.fixture(scope="module")
def site() -> Site:
    return build_site(DAY, DAY, per_day=60)


@pytest.fixture(scope="module")
def key(site: Site) -> list[dict[str, Any]]:
    return site.answer_key(BASE)


def _page(site: Site, url: str) -> bytes:
    rendered = site.render(url.removeprefix(BASE), BASE)
    assert rendered is not None
    return rendered[2]


def break_layout(html: bytes) -> bytes:
    """A site redesign: the adapter's title and body selectors find nothing any more."""
    return (
        html.replace(b'id="title"', b'id="headline"')
        .replace(b'id="container_txt"', b'id="story-text"')
        .replace(b"apDiv1", b"story-wrap")
    )


def _loadable(key: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in key if e["outcome"] == "load"]


# ---------------------------------------------------------------- the fallback path


def test_intact_pages_are_read_by_the_adapter(site: Site, key: list[dict[str, Any]]) -> None:
    for entry in _loadable(key)[:20]:
        assert (
            china_org_cn.parse_article(_page(site, entry["url"]), entry["url"]).extraction
            == "adapter"
        )


def test_broken_layout_still_loads_flagged_fallback(site: Site, key: list[dict[str, Any]]) -> None:
    wrong: list[str] = []
    entries = _loadable(key)
    for entry in entries:
        article = china_org_cn.parse_article(break_layout(_page(site, entry["url"])), entry["url"])
        assert article.extraction == "fallback", entry["url"]
        for name in ("title", "body", "dateline", "source", "canonical_url", "page_date"):
            if getattr(article, name) != entry[name]:
                wrong.append(f"{entry['url']} {name}")
        # The date line box is untouched by this redesign: its date still wins over the URL's.
        assert article.published_at == entry["published_at"]
    # The generic extractor reads a little differently from the adapter; almost all must match.
    assert len(wrong) <= 0.02 * len(entries) * 6, wrong[:5]


def test_fallback_dates_come_from_the_url_when_the_date_line_is_gone(
    site: Site, key: list[dict[str, Any]]
) -> None:
    entry = _loadable(key)[0]
    html = break_layout(_page(site, entry["url"])).replace(b'id="guild"', b'id="byline"')
    article = china_org_cn.parse_article(html, entry["url"])
    assert article.extraction == "fallback"
    assert article.published_at == f"{entry['page_date']}T00:00:00+08:00"
    assert article.source == "Xinhua"  # from the "(Xinhua) --" dateline, else the site name


def test_broken_non_article_pages_stay_refused(site: Site, key: list[dict[str, Any]]) -> None:
    refused = [e for e in key if e["reject_stage"] == "parse"]
    assert refused
    for entry in refused:
        with pytest.raises(base.NotAnArticle) as caught:
            china_org_cn.parse_article(break_layout(_page(site, entry["url"])), entry["url"])
        assert caught.value.reason in {"no_title_no_body", "soft_404", "not_an_article: no_title"}


def test_adapter_title_element_present_but_empty_is_refused_not_fallen_back(
    site: Site, key: list[dict[str, Any]]
) -> None:
    """An empty h1#title is a broken page, not a layout change: refused, never an empty title."""
    missing = [e for e in key if e["reject_reason"] == "title_missing"]
    assert missing
    with pytest.raises(base.NotAnArticle) as caught:
        china_org_cn.parse_article(_page(site, missing[0]["url"]), missing[0]["url"])
    assert caught.value.reason == "not_an_article: no_title"


def test_fallback_can_be_turned_off(site: Site, key: list[dict[str, Any]]) -> None:
    entry = _loadable(key)[0]
    with pytest.raises(base.NotAnArticle):
        china_org_cn.parse_article(
            break_layout(_page(site, entry["url"])), entry["url"], fallback=False
        )


# ---------------------------------------------------------------- generic extraction


ARTICLE = """<html><head><title>Ignored site title</title>
<meta property="article:published_time" content="2024-06-03T09:15:00+02:00">
<meta property="og:site_name" content="Example Times"></head><body>
<nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>Rivers rise after a week of rain</h1>
<p>Rivers across the region rose sharply on Monday after a week of heavy rain, officials said.</p>
<p>Emergency teams moved families from low-lying villages as water levels kept climbing overnight.</p>
<p>Forecasters expect the rain to ease by Wednesday, but warned that flooding could persist.</p>
</article><footer>Copyright 2024 Example Times. All rights reserved.</footer></body></html>"""


def test_generic_article_reads_title_body_date_and_site() -> None:
    article = generic.generic_article(
        ARTICLE.encode(), "https://example.com/news/rivers-rise", timezone="Europe/Berlin"
    )
    assert article.title == "Rivers rise after a week of rain"
    assert article.body.startswith("Rivers across the region rose sharply")
    assert article.body.count("\n\n") == 2 and "Copyright" not in article.body
    assert article.published_at == "2024-06-03T09:15:00+02:00"
    assert (article.extraction, article.feed, article.source) == (
        "generic",
        "generic",
        "Example Times",
    )


def test_generic_dates_fall_back_to_the_url_in_the_source_time_zone() -> None:
    meta = '<meta property="article:published_time" content="2024-06-03T09:15:00+02:00">'
    page = ARTICLE.replace(meta, "").encode()
    article = generic.generic_article(
        page,
        "https://english.news.cn/20251231/0123456789abcdef0123456789abcdef/c.html",
        timezone="Asia/Shanghai",
    )
    assert article.published_at == "2025-12-31T00:00:00+08:00"
    assert article.page_date == "2025-12-31"


@pytest.mark.parametrize(
    ("url", "day"),
    [
        (
            "http://www.china.org.cn/world/Off_the_Wire/2020-12/23/content_1.htm",
            dt.date(2020, 12, 23),
        ),
        ("https://english.news.cn/20251231/abc/c.html", dt.date(2025, 12, 31)),
        ("https://example.com/2019/11/19/opinion/x.html", dt.date(2019, 11, 19)),
        ("https://example.com/2019-11-19/x.html", dt.date(2019, 11, 19)),
        ("https://example.com/news/20191399/x.html", None),
        ("https://example.com/about.html", None),
    ],
)
def test_url_date(url: str, day: dt.date | None) -> None:
    assert urls.url_date(url) == day


def test_metadata_timestamp_sources_and_naive_times() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    ld = '<script type="application/ld+json">{"@graph":[{"datePublished":"2025-01-02 03:04:05"}]}</script>'
    document = lxml.html.document_fromstring(f"<html><head>{ld}</head><body></body></html>")
    moment = generic.metadata_timestamp(document, zone)
    assert moment is not None and moment.isoformat() == "2025-01-02T03:04:05+08:00"
    broken = lxml.html.document_fromstring(
        '<html><head><script type="application/ld+json">{oops</script>'
        '<meta name="pubdate" content="2021-05-06"></head><body></body></html>'
    )
    day_only = generic.metadata_timestamp(broken, zone)
    assert day_only is not None and day_only.isoformat() == "2021-05-06T00:00:00+08:00"


@pytest.mark.parametrize(
    ("title", "paragraphs", "reason"),
    [
        ("", [], "no_title_no_body"),
        ("", ["A sentence that is long enough to be running prose in any article."], "no_title"),
        (
            "Title",
            ["Short line.", "Another headline without a full stop at all here now"],
            "no_body",
        ),
        (
            "In pictures",
            ["Children play at a park in Antwerp, Belgium, Dec. 23, 2020. (Xinhua/Yue Yuewei)"],
            "no_body",
        ),
        ("Title", ["A sentence that is long enough to be running prose in any article."], None),
        ("Summary", ["BEIJING -- China said on Monday it would do a thing. (China-Thing)"], None),
        (
            "日本語",
            [
                "これは日本語の記事の本文です。十分な長さの文章がここに書かれていますので記事として扱います。"
            ],
            None,
        ),
    ],
)
def test_not_article_reason(title: str, paragraphs: list[str], reason: str | None) -> None:
    assert generic.not_article_reason(title, paragraphs) == reason


def test_generic_refuses_pages_without_an_article(site: Site, key: list[dict[str, Any]]) -> None:
    with pytest.raises(base.NotAnArticle) as caught:
        generic.generic_article(b"<html><body><p>Page not found</p></body></html>", BASE + "/x")
    assert caught.value.reason == "soft_404"
    gallery = next(e for e in key if e["kind"] == "gallery" or e["kind"] == "error_page")
    with pytest.raises(base.NotAnArticle):
        generic.generic_article(_page(site, gallery["url"]), gallery["url"])


def test_cli_parses_any_page_with_source_generic(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "page.html"
    page.write_text(ARTICLE)
    assert (
        cli.main(
            ["parse", str(page), "--url", "https://example.com/2024/06/03/x", "--source", "generic"]
        )
        == 0
    )
    printed = json.loads(capsys.readouterr().out)
    assert (printed["extraction"], printed["title"]) == (
        "generic",
        "Rivers rise after a week of rain",
    )
    assert cli.main(["parse", str(page), "--url", "https://example.com/x", "--source", "nope"]) == 2
    assert "no source 'nope'" in capsys.readouterr().err


# ---------------------------------------------------------------- run health


def _health(fallback: int, parsed: int, baseline: float, **counts: int) -> Any:
    return site_health.assess(
        {"parsed": parsed, "fallback": fallback, **counts},
        baseline_fallback=baseline,
        trailing=[],
    )


def test_fallback_share_jumps_against_the_baseline(monkeypatch: pytest.MonkeyPatch) -> None:
    def jumped(*args: Any) -> bool:
        return [s.symptom for s in _health(*args).signals] == [site_health.ADAPTER_MISSES]

    assert jumped(30, 100, 0.02)
    assert not jumped(5, 100, 0.02)
    assert not jumped(30, 100, 0.25)  # usual for this feed
    assert not jumped(0, 0, 0.0)
    assert not jumped(3, 5, 0.0)  # a re-run of 304s parsed five pages: no share to judge by
    monkeypatch.setenv("WIRE_FALLBACK_JUMP", "0.5")
    assert not jumped(30, 100, 0.0)
    monkeypatch.delenv("WIRE_FALLBACK_JUMP")
    (signal,) = _health(30, 100, 0.02).signals
    assert "30 of 100 articles (30%, previous runs 2%)" in str(signal)
    assert str(signal).startswith("site_drift adapter_misses: ")


def test_site_health_empty_fields_and_volume_against_the_trailing_median() -> None:
    empty = _health(0, 60, 0.0, parse_failed=40, empty_required=30)
    assert [s.symptom for s in empty.signals] == [site_health.EMPTY_FIELDS]
    assert empty.empty_share == 0.3 and empty.to_dict()["empty_share"] == 0.3

    def volume(discovered: int, trailing: list[int], **extra: int) -> list[str]:
        counts = {"discovered": discovered, "listing_pages": 4, "listing_links": 200, **extra}
        health = site_health.assess(counts, baseline_fallback=0.0, trailing=trailing)
        return [s.symptom for s in health.signals]

    assert volume(3000, [240, 250, 230]) == [site_health.VOLUME]
    assert volume(40, [240, 250, 230]) == [site_health.VOLUME]
    assert volume(400, [240, 250, 230]) == []
    assert volume(3000, [240, 250]) == []  # too little history to judge by
    assert volume(3000, [240, 250, 230], listing_pages=0) == []  # a reprocess: nothing walked
    assert volume(3000, [240, 250, 230], trial_max_pages=5) == []
    health = site_health.assess(
        {"discovered": 240, "listing_pages": 4, "listing_links": 200},
        baseline_fallback=0.0,
        trailing=[240, 250, 230],
    )
    assert health.links_per_listing_page == 50 and health.trailing_median == 240
    later = site_health.assess(
        {"discovered": 240, "listing_pages": 3, "listing_pages_without_links": 1},
        baseline_fallback=0.0,
        trailing=[],
    )
    assert [s.symptom for s in later.signals] == [site_health.LISTING_NO_LINKS]
    assert "the day may be incomplete" in str(later.signals[0])


def _land(ctx: Any, pages: list[tuple[str, bytes]]) -> str:
    with landing.LandingWriter(
        ctx.landing_url, ctx.feed, ctx.target_day, "articles", "r"
    ) as writer:
        for url, body in pages:
            writer.write_response(
                url,
                200,
                "OK",
                {"Content-Type": "text/html; charset=utf-8"},
                body,
                "2020-12-23T01:00:00+00:00",
                {},
            )
        return writer.url


def test_a_run_whose_layout_broke_counts_and_reports_the_fallback(
    site: Site,
    key: list[dict[str, Any]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("WIRE_DATA_DIR", str(tmp_path))
    warehouse = f"sqlite:///{tmp_path / 'warehouse.db'}"
    entries = _loadable(key)
    # Yesterday's run: the adapter read everything.
    before = plan.plan_run(run_id="before", target_day=DAY, warehouse_url=warehouse)
    steps.parse_step(
        before, _land(before, [(e["url"], _page(site, e["url"])) for e in entries[:10]])
    )
    steps.record_rejects_and_run(before, status="success")
    # Today: a third of the pages come in the new layout.
    ctx = plan.plan_run(run_id="after", target_day=DAY, warehouse_url=warehouse)
    pages = [
        (e["url"], break_layout(_page(site, e["url"])) if i % 3 == 0 else _page(site, e["url"]))
        for i, e in enumerate(entries[:30])
    ]
    with caplog.at_level(logging.WARNING, logger="wire_ingest.steps"):
        parsed = steps.parse_step(ctx, _land(ctx, pages))
    assert any("site_drift adapter_misses" in r.getMessage() for r in caplog.records)
    assert any("layout may have changed" in r.getMessage() for r in caplog.records)
    rows = [
        Article.from_dict(json.loads(line))
        for line in (workfiles.read_text(parsed["path"]) or "").splitlines()
    ]
    assert sum(a.extraction == "fallback" for a in rows) == 10
    summary = steps.record_rejects_and_run(ctx, status="success")
    assert summary["fallback"] == 10
    engine = engines.make_engine(warehouse)
    try:
        load.load_articles(engine, rows, run_id="after")
        with engine.connect() as conn:
            run = conn.execute(
                sa.select(
                    tables.ingest_runs.c.fallback,
                    tables.ingest_runs.c.message,
                    tables.ingest_runs.c.site_health,
                ).where(tables.ingest_runs.c.run_id == "after")
            ).one()
            stored = dict(
                conn.execute(
                    sa.select(tables.articles.c.extraction, sa.func.count()).group_by(
                        tables.articles.c.extraction
                    )
                ).all()
            )
    finally:
        engine.dispose()
    assert run.fallback == 10 and "fallback extraction for 10 of 30" in run.message
    assert (run.site_health["adapter"], run.site_health["fallback"]) == (20, 10)
    assert [s["symptom"] for s in run.site_health["signals"]] == ["adapter_misses"]
    assert stored == {"adapter": 20, "fallback": 10}


def test_extraction_survives_the_stage_files() -> None:
    article = generic.generic_article(ARTICLE.encode(), "https://example.com/a")
    assert Article.from_dict(json.loads(json.dumps(article.to_dict()))) == article
    assert dataclasses.replace(article, extraction="fallback").extraction == "fallback"
