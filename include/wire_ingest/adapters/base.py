"""What every site adapter shares: the page-reader contract, NotAnArticle, building an Article."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

import lxml.etree
import lxml.html

from wire_ingest import urls
from wire_ingest.models import ADAPTER, Article
from wire_ingest.text import content_hash, decode_html


class NotAnArticle(ValueError):
    """The page holds no article: neither a title nor body paragraphs, or it is not HTML at all."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def article_from_parts(
    *,
    url: str,
    feed: str,
    title: str,
    source: str,
    published_at: str,
    dateline: str | None,
    paragraphs: Sequence[str],
    raw_ref: str | None,
    extraction: str = ADAPTER,
    section: str | None = None,
    editor: str | None = None,
) -> Article:
    """The Article for fields an adapter (or the generic extractor) read; ids and hash derived."""
    body = "\n\n".join(paragraphs)
    canonical = urls.canonical_url(url)
    page_date = urls.url_date(url)
    return Article(
        article_id=urls.article_id(canonical),
        feed=feed,
        url=url,
        canonical_url=canonical,
        title=title,
        source=source,
        published_at=published_at,
        dateline=dateline,
        body=body,
        section=urls.section_from_url(url) if section is None else section,
        content_hash=content_hash(body),
        page_date=page_date.isoformat() if page_date else "",
        raw_ref=raw_ref,
        extraction=extraction,
        editor=editor or None,
    )


class PageReader(Protocol):
    def __call__(
        self, html: bytes, url: str, *, charset: str | None = None, raw_ref: str | None = None
    ) -> Article: ...


_LOOKS_LIKE_HTML = re.compile(
    r"<\s*(?:!doctype|html|head|body|div|p|h1|title|meta)\b", re.IGNORECASE
)


_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def html_document(text: str) -> lxml.html.HtmlElement:
    # lxml refuses str input that carries an XML encoding declaration; the text is decoded already.
    text = _XML_DECLARATION.sub("", text, count=1)
    try:
        return lxml.html.document_fromstring(text)
    except lxml.etree.ParserError as exc:
        raise NotAnArticle("empty_page", f"page has no HTML content ({exc})") from exc


def page_text(html: bytes, charset: str | None = None) -> str:
    """The decoded page; NotAnArticle when it is empty or not HTML at all."""
    if not html.strip():
        raise NotAnArticle("empty_page", f"page is empty ({len(html)} bytes)")
    text = decode_html(html, charset)
    if "\x00" in text[:2048] or not _LOOKS_LIKE_HTML.search(text):
        raise NotAnArticle("not_html", "page does not look like HTML")
    return text
