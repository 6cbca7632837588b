"""The china.org.cn adapter: Off the Wire article pages and section listings (DOM per docs/sources.md)."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from urllib.parse import urldefrag, urljoin, urlsplit
from zoneinfo import ZoneInfo

import lxml.etree
import lxml.html
from lxml.etree import ParserError

from wire_ingest import urls
from wire_ingest.adapters import generic
from wire_ingest.adapters.base import NotAnArticle, article_from_parts, html_document, page_text
from wire_ingest.models import FALLBACK, Article, ListingItem, ListingPage
from wire_ingest.text import clean_paragraphs, clean_text, element_text

# ---------------------------------------------------------------- decoding


# ---------------------------------------------------------------- text helpers


# ---------------------------------------------------------------- source and date line

_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
# Noise that shares the `#guild > dd` box with the source line. The counter's digits are left
# alone: "2019 0 Comment(s)" must keep its year, and a stray "0" never reaches the source.
_GUILD_NOISE = re.compile(
    r"Comments?(?:\(s\))?|\bPrint\b|\bE-?mail\b|Bookmark and Share|Adjust font size:?",
    re.IGNORECASE,
)
_SOURCE_DATE = re.compile(
    r"(?P<source>[^\n,]*?)\s*,\s*(?P<month>"
    + "|".join(_MONTHS)
    + r")\s+(?P<day>\d{1,2})\s*,\s*(?P<year>\d{4})\b",
    re.IGNORECASE,
)
TIMEZONE = "Asia/Shanghai"  # page dates and the date line are Beijing time
_SITE_TZ = ZoneInfo(TIMEZONE)


def source_and_published_at(guild_text: str) -> tuple[str, str]:
    """(source, ISO published_at) from the date line's text, or ("", "") when there is no date line.

    The text's chunks are separated by newlines where the page had element boundaries, so a
    comment counter or a link never runs into the source name.
    """
    text = _GUILD_NOISE.sub("\n", guild_text)
    for match in _SOURCE_DATE.finditer(text):
        try:
            day = dt.date(int(match["year"]), _MONTHS[match["month"].lower()], int(match["day"]))
        except ValueError:
            continue  # "February 30": not a date line
        published = dt.datetime(day.year, day.month, day.day, tzinfo=_SITE_TZ)
        return clean_text(match["source"]), published.isoformat()
    return "", ""


# ---------------------------------------------------------------- body


# ---------------------------------------------------------------- exact-duplicate hash


# ---------------------------------------------------------------- the page

_TITLE_XPATH = lxml.etree.XPath("//h1[@id='title']")
_GUILD_TEXT_XPATH = lxml.etree.XPath("//*[@id='guild']/dd//text()[not(ancestor::*[@id='pinglun'])]")
_BODY_XPATH = lxml.etree.XPath(
    "//div[contains(concat(' ', normalize-space(@class), ' '), ' apDiv1 ')]//div[@id='container_txt']//p"
)
_ANY_BODY_XPATH = lxml.etree.XPath("//div[@id='container_txt']//p")


def parse_article(
    html: bytes,
    url: str,
    *,
    feed: str = "china_org_cn",
    charset: str | None = None,
    raw_ref: str | None = None,
    fallback: bool = True,
) -> Article:
    """An Article from one china.org.cn article page; NotAnArticle when it holds none.

    When the page has no h1#title or no body container at all (the layout changed), the generic
    extractor fills in what is missing and the article is marked extraction="fallback".
    """
    text = page_text(html, charset)
    document = html_document(text)

    titles = _TITLE_XPATH(document)
    title = clean_text(titles[0].text_content()) if titles else ""
    source, published_at = source_and_published_at("\n".join(_GUILD_TEXT_XPATH(document)))
    paragraph_elements = _BODY_XPATH(document) or _ANY_BODY_XPATH(document)
    raw_paragraphs = [element_text(p) for p in paragraph_elements]
    if fallback and not (titles and paragraph_elements):
        try:
            return generic.generic_from_text(
                text,
                url,
                feed=feed,
                raw_ref=raw_ref,
                timezone=TIMEZONE,
                extraction=FALLBACK,
                title=title,
                source=source,
                published_at=published_at,
                raw_paragraphs=raw_paragraphs,
            )
        except generic.GenericExtractionFailed:
            pass  # no article there either: what the adapter found (if anything) stands
    dateline, paragraphs = clean_paragraphs(raw_paragraphs)
    if not title and not paragraphs:
        raise NotAnArticle("no_title_no_body", "page has neither an h1#title nor body paragraphs")
    return article_from_parts(
        url=url,
        feed=feed,
        title=title,
        source=source,
        published_at=published_at,
        dateline=dateline,
        paragraphs=paragraphs,
        raw_ref=raw_ref,
    )


# ---------------------------------------------------------------- section listings


# /<section>/Off_the_Wire/YYYY-MM/DD/content_N[_K].htm|.html|.shtml; the path carries the page date.
ARTICLE_PATH = re.compile(
    r"^/(?P<section>[^/]+)/Off_the_Wire/(?P<year>\d{4})-(?P<month>\d{2})/(?P<day>\d{2})"
    r"/content_\d+(?:_\d+)?\.s?html?$"
)


_CLASS_COLUMNS1 = "contains(concat(' ', normalize-space(@class), ' '), ' columns1 ')"


ITEM_LINKS_XPATH = f"//*[{_CLASS_COLUMNS1}]/ul/li/a[@href]"


PAGINATION_XPATH = f"//*[{_CLASS_COLUMNS1}]/*[@id='autopage']/center"


def article_page_date(url: str) -> str | None:
    """The YYYY-MM-DD in an Off the Wire article URL's path, or None if it is not one."""
    match = ARTICLE_PATH.match(urlsplit(url).path)
    if match is None:
        return None
    try:
        day = dt.date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError:
        return None
    return day.isoformat()


def _int_text(element: lxml.html.HtmlElement) -> int | None:
    text = element.text_content().strip()
    return int(text) if text.isdigit() else None


def parse_listing(html: bytes, page_url: str) -> ListingPage:
    """Article links and next-page URL of one listing page (DOM per the shared wire-site notes)."""
    named_page = urls.listing_page_number(page_url)
    try:
        document = lxml.html.document_fromstring(html)
    except (ParserError, ValueError):
        return ListingPage(items=[], next_url=None, page_number=named_page or 1)

    pagination = document.xpath(PAGINATION_XPATH)
    current: int | None = None
    numbered_links: dict[int, str] = {}
    for center in pagination[:1]:
        for span in center.xpath(".//span"):
            current = current or _int_text(span)
        for link in center.xpath(".//a[@href]"):
            number = _int_text(link)
            if number is not None:
                numbered_links.setdefault(number, urljoin(page_url, link.get("href")))
    page_number = current or named_page or 1

    items: list[ListingItem] = []
    seen: set[str] = set()
    for link in document.xpath(ITEM_LINKS_XPATH):
        url, _fragment = urldefrag(urljoin(page_url, link.get("href").strip()))
        page_date = article_page_date(url)
        if page_date is None or urls.same_url_key(url) in seen:
            continue
        seen.add(urls.same_url_key(url))
        title = " ".join(link.text_content().split())
        items.append(
            ListingItem(url=url, title=title, page_date=page_date, listing_page=page_number)
        )

    if pagination:
        return ListingPage(items, numbered_links.get(page_number + 1), page_number)
    guess = urls.listing_page_url(page_url, (named_page or 1) + 1) if named_page else None
    return ListingPage(items, guess, page_number, next_is_guess=True)
