"""The parser against every page of the local wire site, graded by the site's answer key."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from typing import Any

import pytest
import requests

from wire_ingest import urls
from wire_ingest.adapters import base, china_org_cn
from wire_ingest.models import Article
from wiresim.generate import Site, build_site
from wiresim.server import RunningSite

BASE_URL = "http://127.0.0.1:8765"
FIELDS = (
    "title",
    "source",
    "published_at",
    "dateline",
    "body",
    "canonical_url",
    "page_date",
    "section",
)

# Both templates (standard 2019, sidebar late 2020), the 2025 leak and .shtml switch, and 2026.
DAY_RANGES = {
    "2019-standard": (dt.date(2019, 1, 20), dt.date(2019, 1, 22)),
    "2020-seed-days": (dt.date(2020, 12, 22), dt.date(2020, 12, 24)),
    "2025-shtml-switch": (dt.date(2025, 4, 18), dt.date(2025, 4, 21)),
    "2026": (dt.date(2026, 1, 1), dt.date(2026, 1, 2)),
}


def _page(site: Site, url: str) -> bytes:
    rendered = site.render(url.removeprefix(BASE_URL), BASE_URL)
    assert rendered is not None, f"the site does not serve {url}"
    status, _headers, body = rendered
    assert status == 200
    return body


@pytest.fixture(scope="module", params=sorted(DAY_RANGES))
def graded_site(
    request: pytest.FixtureRequest,
) -> tuple[list[dict[str, Any]], dict[str, Article | str]]:
    """(answer key, url -> parsed Article or the NotAnArticle reason) for one range of days."""
    start, end = DAY_RANGES[request.param]
    site = build_site(start, end)
    key = site.answer_key(BASE_URL)
    parsed: dict[str, Article | str] = {}
    for entry in key:
        try:
            parsed[entry["url"]] = china_org_cn.parse_article(
                _page(site, entry["url"]), entry["url"]
            )
        except base.NotAnArticle as exc:
            parsed[entry["url"]] = exc.reason
    return key, parsed


def test_key_covers_every_kind_of_page(
    graded_site: tuple[list[dict[str, Any]], dict[str, Article | str]],
) -> None:
    key, _parsed = graded_site
    stages = {entry["reject_stage"] for entry in key}
    assert {None, "parse", "validate"} <= stages
    assert len(key) >= 100


def test_articles_match_the_answer_key_exactly(
    graded_site: tuple[list[dict[str, Any]], dict[str, Article | str]],
) -> None:
    key, parsed = graded_site
    wrong: list[str] = []
    graded = 0
    for entry in key:
        if entry["reject_stage"] == "parse":
            continue  # graded below
        article = parsed[entry["url"]]
        if not isinstance(article, Article):
            wrong.append(f"{entry['url']}: not an article ({article})")
            continue
        graded += 1
        for name in FIELDS:
            if getattr(article, name) != entry[name]:
                wrong.append(
                    f"{entry['url']} {name}: got {getattr(article, name)!r:.200} want {entry[name]!r:.200}"
                )
        if article.article_id != urls.article_id(entry["canonical_url"]):
            wrong.append(f"{entry['url']}: article_id")
    assert not wrong, f"{len(wrong)} mismatches, first ones:\n" + "\n".join(wrong[:10])
    assert graded >= 0.9 * len(key)


def test_pages_the_key_rejects_at_parse_are_not_articles(
    graded_site: tuple[list[dict[str, Any]], dict[str, Article | str]],
) -> None:
    key, parsed = graded_site
    refused = {
        entry["url"]: parsed[entry["url"]] for entry in key if entry["reject_stage"] == "parse"
    }
    assert refused, "the key should include pages that are not articles"
    # error pages say so; galleries hold no article; an empty h1#title is refused, not loaded
    assert set(refused.values()) <= {"no_title_no_body", "soft_404", "not_an_article: no_title"}
    others = [entry["url"] for entry in key if entry["reject_stage"] != "parse"]
    assert all(isinstance(parsed[url], Article) for url in others)


def test_content_hash_groups_exactly_the_keys_duplicates(
    graded_site: tuple[list[dict[str, Any]], dict[str, Article | str]],
) -> None:
    key, parsed = graded_site
    articles = {url: a for url, a in parsed.items() if isinstance(a, Article)}
    original_of = {
        entry["url"]: entry["duplicate_of_url"]
        for entry in key
        if entry["duplicate_of_url"] in articles and entry["url"] in articles
    }
    assert original_of, "the key should include duplicate bodies"
    for url, original in original_of.items():
        assert articles[url].content_hash == articles[original].content_hash, url
    # No false duplicates: one hash per original story.
    originals_by_hash: dict[str, set[str]] = {}
    for url, article in articles.items():
        originals_by_hash.setdefault(article.content_hash, set()).add(original_of.get(url, url))
    collisions = {h: urls_ for h, urls_ in originals_by_hash.items() if len(urls_) > 1}
    assert not collisions


def _header_charset(content_type: str) -> str | None:
    message = EmailMessage()
    message["Content-Type"] = content_type
    return message.get_content_charset()


def test_pages_served_over_http_parse_as_the_key_says(
    wire_site: RunningSite, wire_site_key: list[dict[str, Any]]
) -> None:
    """The bytes and charset header as a fetcher sees them, through the shared served site."""
    wrong: list[str] = []
    for entry in wire_site_key:
        # One connection per page: a kept-alive connection to this server waits ~40 ms per request.
        response = requests.get(entry["url"], timeout=10)
        assert response.status_code == 200, entry["url"]
        charset = _header_charset(response.headers["Content-Type"])
        try:
            article = china_org_cn.parse_article(response.content, entry["url"], charset=charset)
        except base.NotAnArticle:
            if entry["reject_stage"] != "parse":
                wrong.append(f"{entry['url']}: not an article")
            continue
        if entry["reject_stage"] == "parse":
            wrong.append(f"{entry['url']}: parsed a page the key says is not an article")
            continue
        wrong += [
            f"{entry['url']} {name}" for name in FIELDS if getattr(article, name) != entry[name]
        ]
    assert not wrong, f"{len(wrong)} mismatches, first ones:\n" + "\n".join(wrong[:10])
