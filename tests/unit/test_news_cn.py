"""The Xinhua English adapter against the local english.news.cn copy and its answer key."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from wire_ingest import adapters, cli, sources
from wire_ingest.adapters import base, china_org_cn, news_cn
from wiresim.newscn import LISTING_PATH, NewsCnSite

BASE = "http://127.0.0.1:8766"
FIELDS = ("title", "source", "published_at", "dateline", "body", "canonical_url", "page_date")


@pytest.fixture(scope="module")
def site() -> NewsCnSite:
    return NewsCnSite(dt.date(2020, 12, 22), dt.date(2020, 12, 23), per_day=120)


@pytest.fixture(scope="module")
def key(site: NewsCnSite) -> list[dict[str, Any]]:
    return site.answer_key(BASE)


def _page(site: NewsCnSite, url: str) -> bytes:
    rendered = site.render(url.removeprefix(BASE), BASE)
    assert rendered is not None and rendered[0] == 200
    return rendered[2]


def test_key_has_multi_page_and_shared_stories(key: list[dict[str, Any]]) -> None:
    assert len(key) >= 60
    assert any(e["pages"] > 1 for e in key) and any(e["pages"] == 1 for e in key)
    assert any(e["shared_with_url"] for e in key) and any(not e["shared_with_url"] for e in key)


def test_adapter_matches_the_answer_key_exactly(
    site: NewsCnSite, key: list[dict[str, Any]]
) -> None:
    wrong: list[str] = []
    for entry in key:
        html = _page(site, entry["url"])
        article = news_cn.parse_article(html, entry["url"])
        page = news_cn.read_page(html.decode())
        wrong += [
            f"{entry['url']} {name}: {getattr(article, name)!r:.80} != {entry[name]!r:.80}"
            for name in FIELDS
            if getattr(article, name) != entry[name]
        ]
        if page.editor != entry["editor"] or article.editor != (entry["editor"] or None):
            wrong.append(f"{entry['url']} editor {article.editor!r} != {entry['editor']!r}")
        if len(page.pages) != entry["pages"]:
            wrong.append(f"{entry['url']} pages {len(page.pages)} != {entry['pages']}")
        assert (article.extraction, article.feed, article.section) == (
            "adapter",
            "xinhua_en",
            "news",
        )
    assert not wrong, "\n".join(wrong[:10])


def test_raw_html_chinese_labels_map_to_what_a_browser_shows() -> None:
    assert news_cn.english_name("新华网", news_cn.SOURCE_NAMES) == "Xinhua"
    assert news_cn.english_name("来源：新华网", news_cn.SOURCE_NAMES) == "Xinhua"
    assert news_cn.english_name("Source: Xinhua", news_cn.SOURCE_NAMES) == "Xinhua"
    assert news_cn.english_name("华夏", news_cn.EDITOR_NAMES) == "huaxia"
    assert news_cn.english_name("责任编辑：华夏", news_cn.EDITOR_NAMES) == "huaxia"
    assert news_cn.english_name("Editor: Liu Jun", news_cn.EDITOR_NAMES) == "Liu Jun"


def test_time_is_beijing_time_with_offset() -> None:
    assert news_cn.beijing_time("2025-12-31 23:23:45") == "2025-12-31T23:23:45+08:00"
    assert news_cn.beijing_time(" 2025-01-02 08:05 ") == "2025-01-02T08:05:00+08:00"
    assert news_cn.beijing_time("2025-02-30 10:00:00") == ""
    assert news_cn.beijing_time("yesterday") == ""


def test_multi_page_article_is_split_at_either_marker() -> None:
    for marker in (
        '<p><img id="xinhuabreak" src="b.gif"/></p>',
        '<p style="display: none">pagebreak</p>',
    ):
        content = lxml.html.fragment_fromstring(
            f'<span id="detailContent"><p>One.</p><p>Two.</p>{marker}<p>Three.</p></span>'
        )
        assert news_cn.body_pages(content) == [["One.", "Two."], ["Three."]]


def test_listing_pages_chain_and_date_their_items(site: NewsCnSite) -> None:
    url: str | None = BASE + LISTING_PATH
    seen: list[str] = []
    number = 1
    while url is not None:
        listing = news_cn.parse_listing(_page(site, url), url, page_number=number)
        assert listing.items and all(i.listing_page == number for i in listing.items)
        seen += [item.url for item in listing.items]
        url, number = listing.next_url, number + 1
    assert sorted(seen) == sorted(BASE + a.path for a in site.pages)
    first = news_cn.parse_listing(_page(site, BASE + LISTING_PATH), BASE + LISTING_PATH)
    assert first.items[0].page_date == f"{site.newest_first[0].published_at:%Y-%m-%d}"


def test_broken_layout_falls_back_and_keeps_what_the_adapter_found(
    site: NewsCnSite, key: list[dict[str, Any]]
) -> None:
    entry = next(e for e in key if e["pages"] > 1)
    html = _page(site, entry["url"]).replace(b'id="detailContent"', b'id="article-body"')
    article = news_cn.parse_article(html, entry["url"])
    assert article.extraction == "fallback"
    assert (article.title, article.published_at, article.source, article.section) == (
        entry["title"],
        entry["published_at"],
        "Xinhua",
        "news",
    )
    assert article.body.split("\n\n")[-1] == entry["body"].split("\n\n")[-1]
    assert "pagebreak" not in article.body


def test_not_an_article_page_is_refused(site: NewsCnSite) -> None:
    with pytest.raises(base.NotAnArticle) as caught:
        news_cn.parse_article(_page(site, BASE + LISTING_PATH), BASE + LISTING_PATH)
    assert caught.value.reason == "no_title_no_body"


def test_same_copy_on_both_sources_has_one_content_hash(
    site: NewsCnSite, key: list[dict[str, Any]]
) -> None:
    wire_base = "http://127.0.0.1:8765"
    wire = {e["url"]: e for e in site.wire.answer_key(wire_base)}
    shared = [e for e in key if e["shared_with_url"]]
    for entry in shared:
        ours = news_cn.parse_article(_page(site, entry["url"]), entry["url"])
        theirs_url = entry["shared_with_url"].replace(BASE, wire_base)
        rendered = site.wire.render(theirs_url.removeprefix(wire_base), wire_base)
        assert rendered is not None
        theirs = china_org_cn.parse_article(rendered[2], theirs_url)
        assert ours.content_hash == theirs.content_hash, entry["url"]
        assert ours.body == wire[theirs_url]["body"]


def test_reader_for_feed_uses_the_declared_adapter(
    site: NewsCnSite, key: list[dict[str, Any]]
) -> None:
    entry = key[0]
    article = adapters.reader_for_source(sources.get_source("xinhua_en"))(
        _page(site, entry["url"]), entry["url"]
    )
    assert (article.feed, article.title) == ("xinhua_en", entry["title"])
    with pytest.raises(ValueError, match="unknown adapter"):
        adapters.page_reader("nope", feed="x")


def test_cli_reads_a_saved_page_with_the_sources_adapter(
    site: NewsCnSite,
    key: list[dict[str, Any]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    entry = next(e for e in key if e["pages"] > 1)
    page = tmp_path / "c.html"
    page.write_bytes(_page(site, entry["url"]))
    assert cli.main(["parse", str(page), "--url", entry["url"], "--source", "xinhua_en"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert (printed["feed"], printed["body"], printed["extraction"]) == (
        "xinhua_en",
        entry["body"],
        "adapter",
    )
