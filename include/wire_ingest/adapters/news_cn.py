"""Xinhua English (english.news.cn) pages: article fields, multi-page bodies, listing links."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import lxml.etree
import lxml.html

from wire_ingest import urls
from wire_ingest.adapters import generic, refusal
from wire_ingest.adapters.base import NotAnArticle, article_from_parts, html_document, page_text
from wire_ingest.models import FALLBACK, Article, ListingItem, ListingPage
from wire_ingest.text import clean_paragraphs, clean_text, decode_html, element_text

TIMEZONE = "Asia/Shanghai"  # the `.time` stamps are Beijing time
_BEIJING = ZoneInfo(TIMEZONE)

# The raw HTML names source and editor in Chinese; the page's script swaps in the English names a
# browser shows ("Source: Xinhua", "Editor: huaxia"), so a parser of raw HTML maps them itself.
SOURCE_NAMES = {"新华网": "Xinhua", "新华社": "Xinhua", "新华": "Xinhua", "xinhuanet": "Xinhua"}
EDITOR_NAMES = {"华夏": "huaxia", "王璐": "Wang Lu", "张洁": "Zhang Jie"}
_LABEL = re.compile(r"^\s*(?:Source|Editor|来源|责任编辑|编辑)\s*[:：]\s*", re.IGNORECASE)

_TITLE_XPATH = lxml.etree.XPath(
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' conBox ')]"
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' conTop ')]//h1"
)
_TIME_XPATH = lxml.etree.XPath(
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' conTop ')]"
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' time ')]"
)
_INFO = "//*[contains(concat(' ', normalize-space(@class), ' '), ' info ')]"
_SOURCE_XPATH = lxml.etree.XPath(
    _INFO + "//*[contains(concat(' ', normalize-space(@class), ' '), ' source ')]"
)
_EDITOR_XPATH = lxml.etree.XPath(
    _INFO + "//*[contains(concat(' ', normalize-space(@class), ' '), ' editor ')]"
)
_CONTENT_XPATH = lxml.etree.XPath("//*[@id='detail']//*[@id='detailContent']")
_TIMESTAMP = re.compile(r"(\d{4})-(\d{2})-(\d{2})\s+(\d{2}):(\d{2})(?::(\d{2}))?")
_PAGEBREAK_TEXT = re.compile(r"^\s*pagebreak\s*$", re.IGNORECASE)

# Listing pages: `#list .item` with the headline link in `.tit a` and the time in `.time`.
_ITEM_XPATH = lxml.etree.XPath(
    "//*[@id='list']//*[contains(concat(' ', normalize-space(@class), ' '), ' item ')]"
)
_ITEM_LINK_XPATH = lxml.etree.XPath(
    ".//*[contains(concat(' ', normalize-space(@class), ' '), ' tit ')]//a[@href]"
)
_ITEM_TIME_XPATH = lxml.etree.XPath(
    ".//*[contains(concat(' ', normalize-space(@class), ' '), ' time ')]"
)
_NEXT_XPATH = lxml.etree.XPath("//*[@id='pager']//a[@rel='next'][@href]/@href")
ARTICLE_PATH = re.compile(r"/(?P<day>\d{8})/[0-9a-f]{32}/c\.html?$")
_SECTION = re.compile(r"/([A-Za-z][\w-]*)/\d{8}/[0-9a-f]{32}/c\.html?$")


def english_name(raw: str, names: dict[str, str]) -> str:
    """`新华网` -> `Xinhua`, `Source: Xinhua` -> `Xinhua`: the name a browser shows."""
    text = _LABEL.sub("", " ".join(raw.split()))
    return names.get(text, names.get(text.lower(), text))


def beijing_time(text: str) -> str:
    """ISO 8601 with +08:00 for a `.time` stamp such as `2025-12-31 23:23:45`; "" if there is none."""
    match = _TIMESTAMP.search(text)
    if match is None:
        return ""
    year, month, day, hour, minute = (int(g) for g in match.groups()[:5])
    second = int(match.group(6) or 0)
    try:
        moment = dt.datetime(year, month, day, hour, minute, second, tzinfo=_BEIJING)
    except ValueError:
        return ""
    return moment.isoformat()


def _is_break(element: lxml.html.HtmlElement) -> bool:
    """`<img id="xinhuabreak">` or a hidden `pagebreak` marker between two pages of one article."""
    if element.tag == "img" and element.get("id") == "xinhuabreak":
        return True
    if element.xpath(".//img[@id='xinhuabreak']"):
        return True
    hidden = "display:none" in (element.get("style") or "").replace(" ", "").lower()
    return hidden and bool(_PAGEBREAK_TEXT.match(element.text_content() or ""))


def body_pages(content: lxml.html.HtmlElement) -> list[list[str]]:
    """The raw paragraph texts of each page of the article held in `span#detailContent`."""
    pages: list[list[str]] = [[]]
    for element in content.iter("p", "img", "div"):
        if _is_break(element):
            if pages[-1]:
                pages.append([])
            continue
        if element.tag == "p" and not any(a.tag == "p" for a in element.iterancestors()):
            pages[-1].append(element_text(element))
    return [page for page in pages if page] or [[]]


@dataclass(frozen=True, slots=True)
class NewsCnPage:
    """Everything the adapter reads from one english.news.cn article page."""

    title: str
    published_at: str
    source: str
    editor: str
    pages: tuple[tuple[str, ...], ...]  # raw paragraph texts per page of a multi-page article
    found_title: bool
    found_body: bool


def read_page(text: str) -> NewsCnPage:
    """The adapter's reading of a decoded article page (no cleaning of the body yet)."""
    document = html_document(text)
    titles = _TITLE_XPATH(document)
    times = _TIME_XPATH(document)
    sources = _SOURCE_XPATH(document)
    editors = _EDITOR_XPATH(document)
    contents = _CONTENT_XPATH(document)
    pages = body_pages(contents[0]) if contents else [[]]
    return NewsCnPage(
        title=clean_text(titles[0].text_content()) if titles else "",
        published_at=beijing_time(times[0].text_content()) if times else "",
        source=english_name(sources[0].text_content(), SOURCE_NAMES) if sources else "",
        editor=english_name(editors[0].text_content(), EDITOR_NAMES) if editors else "",
        pages=tuple(tuple(page) for page in pages),
        found_title=bool(titles),
        found_body=bool(contents),
    )


def parse_article(
    html: bytes,
    url: str,
    *,
    feed: str = "xinhua_en",
    charset: str | None = None,
    raw_ref: str | None = None,
    fallback: bool = True,
) -> Article:
    """An Article from an english.news.cn page (all its pages); NotAnArticle when it holds none."""
    text = page_text(html, charset)
    page = read_page(text)
    raw_paragraphs = [p for part in page.pages for p in part]
    source = page.source or "Xinhua"
    if fallback and not (page.found_title and page.found_body):
        try:
            article = generic.generic_from_text(
                text,
                url,
                feed=feed,
                raw_ref=raw_ref,
                timezone=TIMEZONE,
                extraction=FALLBACK,
                title=page.title,
                source=source,
                published_at=page.published_at,
                raw_paragraphs=raw_paragraphs,
            )
            return dataclasses.replace(
                article, section=section_from_url(url), editor=page.editor or None
            )
        except generic.GenericExtractionFailed:
            pass  # what the adapter found (if anything) stands
    dateline, paragraphs = clean_paragraphs(raw_paragraphs)
    if not page.title and not paragraphs:
        raise NotAnArticle(
            "no_title_no_body", "page has neither a .conTop h1 nor #detailContent paragraphs"
        )
    article = article_from_parts(
        url=url,
        feed=feed,
        title=page.title,
        source=source,
        published_at=page.published_at,
        dateline=dateline,
        paragraphs=paragraphs,
        raw_ref=raw_ref,
        section=section_from_url(url),
        editor=page.editor,
    )
    return refusal.check_article(article)  # never a row with an empty title or date


def section_from_url(url: str) -> str:
    """`world` for /world/20251231/<hex>/c.html; `news` when the path has no section folder."""
    match = _SECTION.search(url.split("?", 1)[0])
    return match.group(1).lower() if match else "news"


def article_page_date(url: str) -> str | None:
    """YYYY-MM-DD from `/YYYYMMDD/<hex>/c.html`, None for other URLs."""
    match = ARTICLE_PATH.search(url.split("?", 1)[0])
    if match is None:
        return None
    day = urls.url_date(url)
    return day.isoformat() if day else None


def parse_listing(html: bytes, page_url: str, *, page_number: int = 1) -> ListingPage:
    """Article links of a `list/latestnews.htm`-style page (`#list .item .tit a`, `.time`)."""
    document = html_document(decode_html(html))
    items: list[ListingItem] = []
    for item in _ITEM_XPATH(document):
        links = _ITEM_LINK_XPATH(item)
        if not links:
            continue
        url = urls.canonical_url(urljoin(page_url, links[0].get("href", "")))
        page_date = article_page_date(url)
        if page_date is None:
            continue  # a link to a section or a special page, not an article
        items.append(
            ListingItem(
                url=url,
                title=clean_text(links[0].text_content()),
                page_date=page_date,
                listing_page=page_number,
            )
        )
    next_links = _NEXT_XPATH(document)
    next_url = urljoin(page_url, str(next_links[0])) if next_links else None
    return ListingPage(items, next_url, page_number)
