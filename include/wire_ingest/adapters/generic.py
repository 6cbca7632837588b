"""Generic article extraction (trafilatura) for pages no site adapter can read, and its health check."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import lxml.etree
import lxml.html

from wire_ingest import urls
from wire_ingest.adapters import refusal
from wire_ingest.adapters.base import NotAnArticle, article_from_parts, page_text
from wire_ingest.models import GENERIC, Article
from wire_ingest.text import clean_paragraphs

log = logging.getLogger(__name__)


# trafilatura options of the project's extraction, chosen on the article-extraction benchmark
# (benchmarks/bench_extraction.py): comments are not the article, and precision-first
# extraction keeps share bars and related-link lists out of the body.
TRAFILATURA_OPTIONS: dict[str, Any] = {
    "include_comments": False,
    "favor_precision": True,
    "include_tables": False,
    "include_images": False,
    "include_links": False,
    # trafilatura's metadata pass (authors, categories, ...) costs a third of the time; the
    # title, site name and date are read below from the page's own metadata instead.
    "with_metadata": False,
}
# Dates only from the page's metadata and URL, never guessed from the running text.
MIN_PLAUSIBLE_YEAR = 1990
HTMLDATE_OPTIONS: dict[str, Any] = {"extensive_search": False, "original_date": True}

# A page the generic extractor accepts as an article: a title and at least one sentence of ten
# words or more that is not a photo caption. Photo galleries, listings (headlines end without a
# full stop) and error pages (short lines) fail this.
MIN_SENTENCE_WORDS = 10
# A full stop (maybe inside quotes), or a news summary item's closing slug "(Mexico-Pipeline)".
_SENTENCE_END = re.compile(r"[.!?。！？][\"'”’)」』]*$|\s\([\w.'-]+\)$")
# Chinese and Japanese write no spaces between words: there a sentence is counted in characters.
_CJK = re.compile(r"[぀-ヿ㐀-鿿]")
MIN_CJK_SENTENCE_CHARS = 30
_PHOTO_CREDIT = re.compile(
    r"\((?:Xinhua|XINHUA)/[^)]{1,80}\)\s*$|\(Photo by [^)]{1,80}/(?:Xinhua|XINHUA)\)\s*$"
)
_META_TIMESTAMP_NAMES = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "publishdate",
    "pubdate",
    "publish-date",
    "dc.date.issued",
    "dc.date",
    "date",
)
_META_XPATH = lxml.etree.XPath("//meta[@content]")
_JSON_LD_XPATH = lxml.etree.XPath("//script[@type='application/ld+json']/text()")
_TIME_XPATH = lxml.etree.XPath("//time[@datetime]/@datetime")
_AGENCY_IN_DATELINE = re.compile(r"\((Xinhua|XINHUA)\)")
_H1_XPATH = lxml.etree.XPath("//h1")
_LINK_XPATH = lxml.etree.XPath("//a[@href]")
_TITLE_TAG_XPATH = lxml.etree.XPath("//head/title")
_TITLE_SUFFIX = re.compile(r"(?:^|\s+)[-|–—:]\s+[^-|–—:]{2,60}$")
MAX_TITLE_WORDS = 40


class GenericExtractionFailed(ValueError):
    """The generic extractor found no article on the page (reason says why)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class GenericPage:
    """What the generic extractor read from a page."""

    title: str
    paragraphs: tuple[str, ...]  # raw text blocks, in page order, before Xinhua cleaning
    published_at: str  # ISO 8601 with offset, "" when neither metadata nor URL has a date
    date_origin: str  # "metadata" | "url" | ""
    site_name: str
    link_texts: frozenset[str] = frozenset()  # what the page's links say: a listing's lines


# ---------------------------------------------------------------- dates


def _aware(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def _parse_timestamp(value: str, zone: ZoneInfo) -> dt.datetime | None:
    text = value.strip()
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace(" ", "T", 1) if len(text) > 10 else text)
    except ValueError:
        return None
    if moment.year < MIN_PLAUSIBLE_YEAR:
        return None  # "0001-01-01" and the like: a CMS's empty date, not a publication date
    if len(text) <= 10:  # a date alone: the start of that day where the source publishes
        return dt.datetime(moment.year, moment.month, moment.day, tzinfo=zone)
    return _aware(moment, zone).replace(microsecond=0)


def _json_ld_dates(document: lxml.html.HtmlElement) -> list[str]:
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            value = node.get("datePublished")
            if isinstance(value, str):
                found.append(value)
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    for script in _JSON_LD_XPATH(document):
        try:
            walk(json.loads(script))
        except ValueError:
            continue  # broken JSON-LD is common; other metadata may still have the date
    return found


def metadata_timestamp(document: lxml.html.HtmlElement, zone: ZoneInfo) -> dt.datetime | None:
    """The publication time the page's metadata states (meta tags, JSON-LD, <time>), if any."""
    by_name: dict[str, str] = {}
    for meta in _META_XPATH(document):
        name = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        if name in _META_TIMESTAMP_NAMES and name not in by_name:
            by_name[name] = meta.get("content", "")
    candidates = [by_name[name] for name in _META_TIMESTAMP_NAMES if name in by_name]
    candidates += _json_ld_dates(document)
    candidates += [str(value) for value in _TIME_XPATH(document)]
    for candidate in candidates:
        moment = _parse_timestamp(candidate, zone)
        if moment is not None:
            return moment
    return None


def _htmldate(text: str, url: str) -> str | None:
    from htmldate import find_date  # trafilatura's own date finder

    try:
        found = find_date(text, url=url or None, **HTMLDATE_OPTIONS)
    except ValueError:
        return None
    return str(found) if found else None


def published_at_for(
    document: lxml.html.HtmlElement, text: str, url: str, zone: ZoneInfo
) -> tuple[str, str]:
    """(ISO published_at, where it came from): metadata time, else metadata date, else URL date."""
    moment = metadata_timestamp(document, zone)
    if moment is not None:
        return moment.isoformat(), "metadata"
    extracted_date = _htmldate(text, url)
    if extracted_date:
        parsed = _parse_timestamp(extracted_date[:10], zone)
        if parsed is not None:
            return parsed.isoformat(), "metadata"
    day = urls.url_date(url)
    if day is not None:
        return dt.datetime(day.year, day.month, day.day, tzinfo=zone).isoformat(), "url"
    return "", ""


# ---------------------------------------------------------------- extraction


def _trafilatura_document(
    text: str, url: str, options: dict[str, Any] | None = None, *, balanced_retry: bool = True
) -> Any:
    """trafilatura's reading of the page: the options first, then its balanced mode if that is
    empty (`balanced_retry`)."""
    import trafilatura  # ~0.4 s to import: only pages that need it pay

    chosen = {**TRAFILATURA_OPTIONS, **(options or {})}
    attempts = [chosen]
    if balanced_retry and (chosen.get("favor_precision") or chosen.get("favor_recall")):
        attempts.append({**chosen, "favor_precision": False, "favor_recall": False})
    extracted: Any = None
    for attempt in attempts:
        extracted = trafilatura.bare_extraction(text, url=url or None, **attempt)
        if extracted is not None and (extracted.text or "").strip():
            break
    return extracted


def extract_page(
    text: str,
    url: str,
    *,
    timezone: str = "UTC",
    options: dict[str, Any] | None = None,
    balanced_retry: bool = True,
) -> GenericPage:
    """Title, text blocks, date and site name of a decoded HTML page, by the generic extractor."""
    zone = ZoneInfo(timezone)
    try:
        document = lxml.html.document_fromstring(re.sub(r"^\s*<\?xml[^>]*\?>", "", text, count=1))
    except lxml.etree.ParserError as exc:
        raise GenericExtractionFailed("empty_page", f"page has no HTML content ({exc})") from exc
    extracted = _trafilatura_document(text, url, options, balanced_retry=balanced_retry)
    if extracted is None:
        raise GenericExtractionFailed("no_text", "the generic extractor found no main text")
    title = page_title(document)
    blocks = [" ".join(line.split()) for line in (extracted.text or "").splitlines()]
    blocks = [block for block in blocks if block]
    if blocks and title and blocks[0] == title:
        blocks.pop(0)  # trafilatura keeps the article's own headline as its first line
    published_at, origin = published_at_for(document, text, url, zone)
    return GenericPage(
        title=title,
        paragraphs=tuple(blocks),
        published_at=published_at,
        date_origin=origin,
        site_name=_meta(document, "og:site_name", "application-name"),
        link_texts=frozenset(
            " ".join(link.text_content().split()) for link in _LINK_XPATH(document)
        ),
    )


def _meta(document: lxml.html.HtmlElement, *names: str) -> str:
    for meta in _META_XPATH(document):
        name = (meta.get("property") or meta.get("name") or "").lower()
        if name in names:
            value = " ".join(meta.get("content", "").split())
            if value:
                return value
    return ""


def page_title(document: lxml.html.HtmlElement) -> str:
    """The headline: the page's h1, else og:title, else <title> without its " - Site" suffix."""
    for heading in _H1_XPATH(document):
        text = " ".join(heading.text_content().split())
        if text and len(text.split()) <= MAX_TITLE_WORDS:
            return text
    declared = _meta(document, "og:title", "twitter:title")
    if declared:
        return declared
    tags = _TITLE_TAG_XPATH(document)
    text = " ".join(tags[0].text_content().split()) if tags else ""
    return _TITLE_SUFFIX.sub("", text)


def body_text(paragraphs: Sequence[str]) -> str:
    """The body as the benchmark and the warehouse see it: paragraphs separated by a blank line."""
    return "\n\n".join(paragraphs)


def _long_enough(paragraph: str) -> bool:
    if len(paragraph.split()) >= MIN_SENTENCE_WORDS:
        return True
    return len(paragraph) >= MIN_CJK_SENTENCE_CHARS and bool(_CJK.search(paragraph))


def not_article_reason(title: str, paragraphs: Sequence[str]) -> str | None:
    """Why a generic extraction is no article (None when it is one): title and running prose."""
    prose = [p for p in paragraphs if not _PHOTO_CREDIT.search(p)]
    has_sentence = any(_SENTENCE_END.search(p) and _long_enough(p) for p in prose)
    if not title and not has_sentence:
        return "no_title_no_body"
    if not title:
        return "no_title"
    if not has_sentence:
        return "no_body"
    return None


def agency_in(paragraphs: Sequence[str]) -> str:
    """The agency a Xinhua dateline names in the first paragraph ("Xinhua"), else ""."""
    if paragraphs and _AGENCY_IN_DATELINE.search(paragraphs[0][:200]):
        return "Xinhua"
    return ""


# ---------------------------------------------------------------- run health


def generic_from_text(
    text: str,
    url: str,
    *,
    feed: str,
    raw_ref: str | None = None,
    timezone: str = "UTC",
    extraction: str = GENERIC,
    title: str = "",
    source: str = "",
    published_at: str = "",
    raw_paragraphs: Sequence[str] = (),
    options: dict[str, Any] | None = None,
    balanced_retry: bool = True,
) -> Article:
    """An Article by the generic extractor; fields an adapter did find (given here) are kept.

    Raises GenericExtractionFailed when the page does not read as an article, NotAnArticle when
    it reads as an error page, a listing or a page whose date contradicts its URL.
    """
    page = extract_page(
        text, url, timezone=timezone, options=options, balanced_retry=balanced_retry
    )
    raw = list(raw_paragraphs) or list(page.paragraphs)
    title = title or page.title
    dateline, paragraphs = clean_paragraphs(raw)
    reason = not_article_reason(title, paragraphs)
    if reason is not None:
        why = refusal.soft_404_reason(title or page.title, body_text(paragraphs))
        if why is not None:  # say what it is: an error page, not just "no article found"
            raise NotAnArticle(refusal.SOFT_404, f"an error page, not an article: {why}")
        raise GenericExtractionFailed(reason, f"the generic extractor found no article ({reason})")
    article = article_from_parts(
        url=url,
        feed=feed,
        title=title,
        source=source or agency_in(raw) or page.site_name or urls.host_of(url),
        published_at=published_at or page.published_at,
        dateline=dateline,
        paragraphs=paragraphs,
        raw_ref=raw_ref,
        extraction=extraction,
    )
    return refusal.check_article(article, link_texts=page.link_texts)


def generic_article(
    html: bytes,
    url: str,
    *,
    feed: str = "generic",
    charset: str | None = None,
    raw_ref: str | None = None,
    timezone: str = "UTC",
    source: str = "",
    options: dict[str, Any] | None = None,
    balanced_retry: bool = True,
) -> Article:
    """An Article from any article page by the generic extractor; NotAnArticle when it finds none
    (or finds an error page, a listing, a date that contradicts the URL)."""
    text = page_text(html, charset)
    try:
        return generic_from_text(
            text,
            url,
            feed=feed,
            raw_ref=raw_ref,
            timezone=timezone,
            source=source,
            options=options,
            balanced_retry=balanced_retry,
        )
    except GenericExtractionFailed as exc:
        raise NotAnArticle(exc.reason, str(exc)) from exc
