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
from wire_ingest.adapters import generic, refusal
from wire_ingest.adapters.base import NotAnArticle, article_from_parts, html_document, page_text
from wire_ingest.models import FALLBACK, Article, ListingItem, ListingPage
from wire_ingest.text import clean_paragraphs, clean_text, decode_html, element_text

# ---------------------------------------------------------------- decoding


# ---------------------------------------------------------------- text helpers


# ---------------------------------------------------------------- source and date line

_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
# AP style (Xinhua copy: "Sept. 4") and plain three-letter abbreviations, with or without a dot.
_MONTHS.update({name.lower(): number for number, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_MONTH_TOKEN = "|".join(sorted(_MONTHS, key=len, reverse=True))  # "september" before "sept"
# Noise that shares the `#guild > dd` box with the source line. The counter's digits are left
# alone: "2019 0 Comment(s)" must keep its year, and a stray "0" never reaches the source.
_GUILD_NOISE = re.compile(
    r"Comments?(?:\(s\))?|\bPrint\b|\bE-?mail\b|Bookmark and Share|Adjust font size:?",
    re.IGNORECASE,
)
# The site's own forms first: "Xinhua, January 21, 2019", "Xinhua,December 23, 2020",
# "Xinhua, Sept. 4, 2019", "Xinhua, Sep 4 2019", "Xinhua, 2019-09-04", each maybe with a time.
_SOURCE_DATE = re.compile(
    r"(?P<source>[^\n,]*?)\s*,\s*(?:"
    r"(?P<month>" + _MONTH_TOKEN + r")(?![a-z])\.?\s*(?P<day>\d{1,2})(?:st|nd|rd|th)?\s*,?\s*"
    r"(?P<year>\d{4})"
    r"|(?P<iso_year>\d{4})[-/.](?P<iso_month>\d{1,2})[-/.](?P<iso_day>\d{1,2})"
    r")(?!\d)(?:\s*,?\s*(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?(?!\d))?",
    re.IGNORECASE,
)
_HAS_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_HAS_MONTH_NAME = re.compile(r"[A-Za-z]{3,}")
TIMEZONE = "Asia/Shanghai"  # page dates and the date line are Beijing time
_SITE_TZ = ZoneInfo(TIMEZONE)


def _site_pattern(text: str) -> tuple[str, dt.datetime] | None:
    for match in _SOURCE_DATE.finditer(text):
        if match["month"]:
            year, month, day = (
                int(match["year"]),
                _MONTHS[match["month"].lower()],
                int(match["day"]),
            )
        else:
            year, month, day = (int(match[g]) for g in ("iso_year", "iso_month", "iso_day"))
        hour, minute, second = (int(match[g] or 0) for g in ("hour", "minute", "second"))
        try:
            published = dt.datetime(year, month, day, hour, minute, second, tzinfo=_SITE_TZ)
        except ValueError:
            continue  # "February 30" or "25:00": not a date line
        return clean_text(match["source"]), published
    return None


def _dateutil_form(text: str) -> tuple[str, dt.datetime] | None:
    """Forms the site's patterns do not know ("Xinhua, 4 September 2019"): dateutil reads the date
    after the first comma, but only a date with a year and a month name (never "04/09/2019")."""
    from dateutil import parser as date_parser

    for line in text.splitlines():
        source, comma, rest = line.partition(",")
        rest = rest.strip()
        if not comma or not _HAS_YEAR.search(rest) or not _HAS_MONTH_NAME.search(rest):
            continue
        try:
            moment = date_parser.parse(rest, default=dt.datetime(1900, 1, 1))
        except (ValueError, OverflowError):
            continue
        if moment.year < 1990:
            continue
        return clean_text(source), moment.replace(tzinfo=moment.tzinfo or _SITE_TZ)
    return None


def source_and_published_at(guild_text: str) -> tuple[str, str]:
    """(source, ISO published_at) from the date line's text, or ("", "") when there is no date line.

    The text's chunks are separated by newlines where the page had element boundaries, so a
    comment counter or a link never runs into the source name.
    """
    text = _GUILD_NOISE.sub("\n", guild_text)
    found = _site_pattern(text) or _dateutil_form(text)
    if found is None or not found[0]:
        return "", ""
    source, published = found
    return source, published.isoformat()


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
    """An Article from one china.org.cn article page; NotAnArticle (with the reason) when it holds
    none: an error or removed page, a listing, a page whose title, source or date is unreadable.

    When the page has no h1#title, no body container or no date line the site's patterns read
    (the layout changed), the generic extractor fills in what is missing and the article is
    marked extraction="fallback". An h1#title that is there but empty is a broken page, refused.
    """
    text = page_text(html, charset)
    document = html_document(text)

    titles = _TITLE_XPATH(document)
    title = clean_text(titles[0].text_content()) if titles else ""
    source, published_at = source_and_published_at("\n".join(_GUILD_TEXT_XPATH(document)))
    paragraph_elements = _BODY_XPATH(document) or _ANY_BODY_XPATH(document)
    raw_paragraphs = [element_text(p) for p in paragraph_elements]
    if not titles and not paragraph_elements:
        # The listing template's own parts: a story is never laid out like this.
        listed = len(document.xpath(ITEM_LINKS_XPATH))
        if listed or document.xpath(PAGINATION_XPATH):
            raise NotAnArticle(
                refusal.LISTING, f"a section listing ({listed} listed links), not an article"
            )
    if titles and not title:
        raise NotAnArticle(refusal.NO_TITLE, "the page's h1#title is empty")
    if fallback and not (titles and paragraph_elements and published_at):
        try:
            article = generic.generic_from_text(
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
        except generic.GenericExtractionFailed as exc:
            if not title and not any(map(clean_text, raw_paragraphs)):
                raise NotAnArticle(
                    "no_title_no_body",
                    f"page has neither an h1#title nor body paragraphs, nor does the generic "
                    f"extractor find an article ({exc.reason})",
                ) from exc
            raise NotAnArticle(exc.reason, str(exc)) from exc
        return article  # generic_from_text checked it
    dateline, paragraphs = clean_paragraphs(raw_paragraphs)
    if not title and not paragraphs:
        raise NotAnArticle("no_title_no_body", "page has neither an h1#title nor body paragraphs")
    if not paragraphs:
        raise NotAnArticle("no_body", "the page's body container holds no text")
    article = article_from_parts(
        url=url,
        feed=feed,
        title=title,
        source=source,
        published_at=published_at,
        dateline=dateline,
        paragraphs=paragraphs,
        raw_ref=raw_ref,
    )
    return refusal.check_article(article)


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


# ---------------------------------------------------------------- "Off the wire" box

# The box is known by its heading's text (the reference page's sidebar), not by a class name.
_OFF_THE_WIRE_LINKS_XPATH = lxml.etree.XPath(
    "//*[self::h2 or self::h3 or self::h4 or self::div or self::span or self::strong]"
    "[translate(normalize-space(text()), 'OFTHEWIR', 'ofthewir') = 'off the wire']"
    "/..//a[@href]"
)


def off_the_wire_links(html: bytes, page_url: str) -> list[str]:
    """The article links of an article page's "Off the wire" box (other wire stories), in order."""
    try:
        document = html_document(decode_html(html))
    except NotAnArticle:
        return []
    found: dict[str, str] = {}
    for link in _OFF_THE_WIRE_LINKS_XPATH(document):
        url, _fragment = urldefrag(urljoin(page_url, link.get("href", "").strip()))
        if article_page_date(url) is not None:
            found.setdefault(urls.same_url_key(url), url)
    return list(found.values())
