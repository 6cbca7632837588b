"""Hand-written pages in the real site's templates: golden fields, refusals, date lines, the CLI."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from wire_ingest import cli, text, urls
from wire_ingest.adapters import NotAnArticle, china_org_cn, generic, refusal
from wire_ingest.models import Article

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "real_pages"
OLD_PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"
NAMES = sorted(p.name.removesuffix(".expected.json") for p in PAGES.glob("*.expected.json"))
ARTICLES = [n for n in NAMES if "article" in json.loads((PAGES / f"{n}.expected.json").read_text())]
REFUSED = [n for n in NAMES if n not in ARTICLES]


def _expected(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PAGES / f"{name}.expected.json").read_text("utf-8"))
    return data


def _page(name: str) -> bytes:
    return (PAGES / f"{name}.html").read_bytes()


def test_every_page_has_a_golden_and_every_kind_is_covered() -> None:
    assert sorted(p.name.removesuffix(".html") for p in PAGES.glob("*.html")) == NAMES
    templates = " ".join(_expected(n)["template"] for n in NAMES)
    for variant in ("standard", "sidebar", ".shtml", "page 2", "listing", "front page"):
        assert variant in templates
    refused = {_expected(n)["refused"] for n in REFUSED if "refused" in _expected(n)}
    assert refused == {
        "soft_404",
        "not_an_article: listing",
        "not_an_article: date_contradicts_url",
    }
    with_meta = [n for n in REFUSED if b'property="og:site_name"' in _page(n)]
    without_meta = [n for n in REFUSED if b"og:site_name" not in _page(n)]
    soft = [n for n in REFUSED if _expected(n)["refused"] == "soft_404"]
    assert set(soft) & set(with_meta) and set(soft) & set(without_meta)


@pytest.mark.parametrize("name", ARTICLES)
def test_real_page_gives_the_golden_fields(name: str) -> None:
    expected = _expected(name)
    want = expected["article"]
    article = china_org_cn.parse_article(_page(name), expected["url"])
    for field in ("title", "source", "published_at", "dateline", "extraction"):
        assert getattr(article, field) == want[field], field
    paragraphs = article.body.split("\n\n")
    assert len(paragraphs) == want["paragraph_count"]
    assert article.body.startswith(want["body_starts_with"])
    assert article.body.endswith(want["body_ends_with"])
    for phrase in want["body_must_not_contain"]:
        assert phrase not in article.body, phrase
    assert article.content_hash == text.content_hash(article.body)
    assert article.page_date == expected["url"].split("/Off_the_Wire/")[1][:10].replace("/", "-")


@pytest.mark.parametrize("name", REFUSED)
def test_real_non_article_page_is_refused_with_its_reason(name: str) -> None:
    expected = _expected(name)
    with pytest.raises(NotAnArticle) as caught:
        china_org_cn.parse_article(_page(name), expected["url"])
    assert caught.value.reason == expected["refused"]


@pytest.mark.parametrize("name", REFUSED)
def test_generic_extractor_refuses_them_too(name: str) -> None:
    """The generic source (and the adapter's fallback) never loads an error page or a listing."""
    with pytest.raises(NotAnArticle) as caught:
        generic.generic_article(_page(name), _expected(name)["url"], source="Xinhua")
    assert caught.value.reason != ""


@pytest.mark.parametrize("name", REFUSED)
def test_parse_command_refuses_with_exit_code_1_and_the_reason(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = _expected(name)
    code = cli.main(["parse", str(PAGES / f"{name}.html"), "--url", expected["url"]])
    captured = capsys.readouterr()
    assert (code, captured.out) == (1, "")
    reason = expected["refused"].removeprefix("not_an_article: ")
    assert captured.err == f"not an article: {reason}\n"


@pytest.mark.parametrize("name", ARTICLES)
def test_parse_command_prints_the_article(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    expected = _expected(name)
    assert cli.main(["parse", str(PAGES / f"{name}.html"), "--url", expected["url"]]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert (printed["source"], printed["published_at"]) == (
        expected["article"]["source"],
        expected["article"]["published_at"],
    )


@pytest.mark.parametrize("folder", [PAGES, OLD_PAGES])
def test_no_page_is_ever_an_article_with_an_empty_required_field(folder: Path) -> None:
    url = "http://www.china.org.cn/world/Off_the_Wire/2020-12/23/content_77042187.htm"
    for page in sorted(folder.glob("*.html")):
        try:
            article = china_org_cn.parse_article(page.read_bytes(), url)
        except NotAnArticle:
            continue
        assert article.title and article.source and article.published_at, page.name


# ---------------------------------------------------------------- date lines


@pytest.mark.parametrize(
    ("line", "source", "published_at"),
    [
        ("Xinhua, Sept. 4, 2019", "Xinhua", "2019-09-04T00:00:00+08:00"),
        ("Xinhua, Sept 4, 2019", "Xinhua", "2019-09-04T00:00:00+08:00"),
        ("Xinhua, Sep. 4, 2019", "Xinhua", "2019-09-04T00:00:00+08:00"),
        ("Xinhua, Sep 4 2019", "Xinhua", "2019-09-04T00:00:00+08:00"),
        ("Xinhua, Aug. 14, 2019", "Xinhua", "2019-08-14T00:00:00+08:00"),
        ("Xinhua, Jan. 1, 2020", "Xinhua", "2020-01-01T00:00:00+08:00"),
        ("Xinhua, Dec 23, 2020", "Xinhua", "2020-12-23T00:00:00+08:00"),
        ("Xinhua, March 4, 2019", "Xinhua", "2019-03-04T00:00:00+08:00"),
        ("Xinhua, 2019-09-04", "Xinhua", "2019-09-04T00:00:00+08:00"),
        ("Xinhua, 2019/09/04", "Xinhua", "2019-09-04T00:00:00+08:00"),
        ("Xinhua, 2019-09-04 10:32", "Xinhua", "2019-09-04T10:32:00+08:00"),
        ("Xinhua, 2019-09-04 10:32:15", "Xinhua", "2019-09-04T10:32:15+08:00"),
        ("Xinhua, September 4, 2019 10:32", "Xinhua", "2019-09-04T10:32:00+08:00"),
        ("Xinhua, Sept. 4, 2019, 18:05", "Xinhua", "2019-09-04T18:05:00+08:00"),
        ("Xinhua,\u00a0Sept.\u00a04,\u00a02019", "Xinhua", "2019-09-04T00:00:00+08:00"),
        (
            "\u00a0Xinhua\u00a0,\u00a0September\u00a004,\u00a02019\u00a0",
            "Xinhua",
            "2019-09-04T00:00:00+08:00",
        ),
        ("0 Comment(s)Print E-mail Xinhua, Sept. 4, 2019", "Xinhua", "2019-09-04T00:00:00+08:00"),
        ("Xinhua, 4 September 2019", "Xinhua", "2019-09-04T00:00:00+08:00"),  # dateutil
        ("Xinhua, Sept. 31, 2019", "", ""),  # no such day
        ("Xinhua, 2019-13-04", "", ""),
        ("Xinhua, 04/09/2019", "", ""),  # day or month first? never guessed
        (", Sept. 4, 2019", "", ""),  # no source: not a date line this parser trusts
    ],
)
def test_every_date_line_form(line: str, source: str, published_at: str) -> None:
    assert china_org_cn.source_and_published_at(line) == (source, published_at)


def _template(guild: str, *, title: str = "A headline about a real event") -> bytes:
    return (
        f'<html><body><div class="wrapper"><h1 id="title">{title}</h1>'
        f'<dl id="guild"><dd>{guild}</dd></dl><div class="apDiv1"><div id="container_txt">'
        "<p>BEIJING, Sept. 4 (Xinhua) -- A sentence of running prose that is long enough to count.</p>"
        "</div></div></div></body></html>"
    ).encode()


def test_ap_month_page_is_read_by_the_adapter() -> None:
    url = "http://www.china.org.cn/world/Off_the_Wire/2019-09/04/content_75171234.htm"
    article = china_org_cn.parse_article(_template("Xinhua, Sept. 4, 2019"), url)
    assert (article.source, article.published_at, article.extraction) == (
        "Xinhua",
        "2019-09-04T00:00:00+08:00",
        "adapter",
    )


def test_unreadable_date_line_goes_to_the_fallback_never_empty_strings() -> None:
    url = "http://www.china.org.cn/world/Off_the_Wire/2019-09/04/content_75171234.htm"
    article = china_org_cn.parse_article(_template("Xinhua, the fourth of September"), url)
    assert article.extraction == "fallback"
    assert article.source == "Xinhua"  # from the (Xinhua) dateline
    assert article.published_at == "2019-09-04T00:00:00+08:00"  # from the URL
    with pytest.raises(NotAnArticle) as caught:
        china_org_cn.parse_article(_template("Xinhua, the fourth"), url, fallback=False)
    assert caught.value.reason == "not_an_article: no_source"


def test_empty_title_element_is_refused() -> None:
    url = "http://www.china.org.cn/world/Off_the_Wire/2019-09/04/content_75171234.htm"
    with pytest.raises(NotAnArticle) as caught:
        china_org_cn.parse_article(_template("Xinhua, Sept. 4, 2019", title=" "), url)
    assert caught.value.reason == "not_an_article: no_title"


# ---------------------------------------------------------------- the refusal rules


@pytest.mark.parametrize(
    ("title", "error"),
    [
        ("Page Not Found", True),
        ("404 - Not Found", True),
        ("Error 404 - China.org.cn", True),
        ("Sorry, the page you requested has been removed", True),
        ("Content unavailable", True),
        ("Human error blamed for Jakarta plane crash", False),
        ("Lost dog found after 10 days in snow", False),
        ("Notice", False),
        ("China.org.cn", False),  # no headline, but not an error message by itself
        ("中文标题", False),
    ],
)
def test_error_titles(title: str, error: bool) -> None:
    assert (refusal.soft_404_reason(title, "x " * 200) is not None) is error


def test_a_long_story_that_mentions_a_missing_page_is_not_an_error_page() -> None:
    body = "Officials said the page you requested is not found on the old portal. " * 10
    assert refusal.soft_404_reason("Government moves portal", body) is None
    assert refusal.soft_404_reason("Government moves portal", body[:120]) is not None


def test_date_gap_allows_the_beijing_day_after_and_refuses_more() -> None:
    url = "http://www.china.org.cn/world/Off_the_Wire/2020-12/23/content_1.htm"
    assert refusal.date_gap_reason("2020-12-22T00:00:00+08:00", url) is None
    assert refusal.date_gap_reason("2020-12-24T00:00:00+08:00", url) is None
    assert refusal.date_gap_reason("2020-12-21T00:00:00+08:00", url) is not None
    assert refusal.date_gap_reason("2016-03-02T10:15:00+08:00", url) is not None
    assert refusal.date_gap_reason("2016-03-02T10:15:00+08:00", "http://x.test/a.htm") is None


def test_check_article_never_passes_empty_required_fields() -> None:
    page = china_org_cn.parse_article(
        _template("Xinhua, Sept. 4, 2019"),
        "http://www.china.org.cn/world/Off_the_Wire/2019-09/04/content_75171234.htm",
    )
    for field, reason in (
        ("title", refusal.NO_TITLE),
        ("source", refusal.NO_SOURCE),
        ("published_at", refusal.NO_DATE),
    ):
        with pytest.raises(NotAnArticle) as caught:
            refusal.check_article(dataclasses.replace(page, **{field: ""}))
        assert caught.value.reason == reason
    assert isinstance(refusal.check_article(page), Article)


# ---------------------------------------------------------------- the "Off the wire" box


def test_off_the_wire_box_links_of_the_reference_page() -> None:
    page = (OLD_PAGES / "seed-2020-12-23.html").read_bytes()
    url = "http://www.china.org.cn/world/Off_the_Wire/2020-12/23/content_77042187.htm"
    links = china_org_cn.off_the_wire_links(page, url)
    assert len(links) == 10
    assert links[0] == "http://www.china.org.cn/world/Off_the_Wire/2020-12/23/content_77041870.htm"
    # The standard template has no box; the nav's section links are never taken.
    assert china_org_cn.off_the_wire_links(_page("standard-ap-month-2019-09-04"), url) == []


def test_related_articles_keep_only_new_same_day_links_on_the_sites_host() -> None:
    import datetime as dt

    from wire_ingest import sources
    from wire_ingest.discover import related
    from wire_ingest.landing import LandedPage

    base = "http://127.0.0.1:8765"
    html = (OLD_PAGES / "seed-2020-12-23.html").read_bytes()
    local = html.replace(b"http://www.china.org.cn", base.encode())
    day_url = f"{base}/world/Off_the_Wire/2020-12/23/content_"

    def landed(body: bytes, status: int = 200) -> LandedPage:
        return LandedPage(f"{day_url}77042187.htm", status, {}, body, "", "ref", None)

    source = sources.get_source("china_org_cn")
    known = [f"{day_url}77041870.htm", f"{day_url}77041877.htm".replace("http:", "https:")]
    found = related.related_articles(
        source, dt.date(2020, 12, 23), base_url=base, pages=[landed(local)], known=known
    )
    assert len(found) == 8 and all(url.startswith(day_url) for url in found)
    # Links to the real host from a local site's page, other days, failed pages: nothing.
    assert not related.related_articles(
        source, dt.date(2020, 12, 23), base_url=base, pages=[landed(html)], known=[]
    )
    assert not related.related_articles(
        source, dt.date(2020, 12, 24), base_url=base, pages=[landed(local)], known=[]
    )
    assert not related.related_articles(
        source, dt.date(2020, 12, 23), base_url=base, pages=[landed(local, 404)], known=[]
    )


@pytest.mark.parametrize(
    "flash",
    [
        "Flight 404 landed safely in Lagos after an engine warning, the airline said.",
        "The president said the plan does not exist and called reports false.",
        "Rescuers said 12 people cannot be found after the landslide.",
    ],
)
def test_a_short_news_flash_is_no_error_page(flash: str) -> None:
    assert refusal.soft_404_reason("Urgent: news flash", flash) is None


def test_one_short_text_at_many_urls_is_a_soft_404_but_one_copy_or_a_wire_story_is_not() -> None:
    golden = _expected("notice-repeated")
    one = china_org_cn.parse_article(_page("notice-repeated"), golden["url"])
    copies = [
        china_org_cn.parse_article(_page("notice-repeated"), url)
        for url in [golden["url"], *golden["also_served_at"]]
    ]
    assert refusal.repeated_short_pages([one]) == {}
    assert refusal.repeated_short_pages(copies[:2]) == {}
    repeated = refusal.repeated_short_pages(copies)
    assert sorted(repeated) == sorted(a.url for a in copies)
    assert "'Notice' is at 3 URLs" in repeated[golden["url"]]
    # The same URL three times (http and https) is one page; a wire story has a dateline.
    same = [dataclasses.replace(one, url=one.url.replace("http:", s)) for s in ("http:", "https:")]
    assert refusal.repeated_short_pages([*same, one]) == {}
    story = china_org_cn.parse_article(
        _page("standard-nbsp-abbrev-2020-12-23"),
        _expected("standard-nbsp-abbrev-2020-12-23")["url"],
    )
    flashes = [
        dataclasses.replace(story, url=story.url.replace("80.htm", f"8{i}.htm")) for i in "123"
    ]
    assert len({urls.same_url_key(a.url) for a in flashes}) == 3
    assert refusal.repeated_short_pages(flashes) == {}
