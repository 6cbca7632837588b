"""What parsed but is not an article: error and removed pages, listings, missing or contradicting fields."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Collection, Sequence

from wire_ingest import urls
from wire_ingest.adapters.base import NotAnArticle
from wire_ingest.models import ADAPTER, Article

SOFT_404 = "soft_404"
LISTING = "not_an_article: listing"
DATE_CONTRADICTS_URL = "not_an_article: date_contradicts_url"
NO_TITLE = "not_an_article: no_title"
NO_SOURCE = "not_an_article: no_source"
NO_DATE = "not_an_article: no_date"
# A required field the page did not give (site health counts these: a changed template shows here).
REQUIRED_FIELD_REASONS = frozenset({NO_TITLE, NO_SOURCE, NO_DATE})

# A title that is nothing but an error message ("Page Not Found", "404 - Not Found", "Error"):
# every word is error-page vocabulary and one says what went wrong, so "Human error" is news.
_ERROR_TITLE_WORDS = frozenset(
    [
        "http",
        "error",
        "sorry",
        "oops",
        "the",
        "a",
        "this",
        "that",
        "web",
        "webpage",
        "page",
        "file",
        "article",
        "content",
        "document",
        "story",
        "link",
        "you",
        "your",
        "requested",
        "are",
        "were",
        "looking",
        "for",
        "was",
        "is",
        "has",
        "have",
        "been",
        "not",
        "found",
        "cannot",
        "can't",
        "could",
        "be",
        "removed",
        "deleted",
        "unavailable",
        "temporarily",
        "no",
        "longer",
        "available",
        "does",
        "exist",
        "expired",
        "or",
        "moved",
        "server",
        "internal",
        "400",
        "403",
        "404",
        "410",
        "500",
        "502",
        "503",
    ]
)
_ERROR_TITLE_SIGNS = frozenset(
    [
        "error",
        "found",
        "removed",
        "deleted",
        "unavailable",
        "exist",
        "expired",
        "moved",
        "403",
        "404",
        "410",
        "500",
        "502",
        "503",
    ]
)
# Any sign word inside the lower-cased title: without one the title is no error message.
_ERROR_SIGN_TEXT = re.compile("|".join(sorted(_ERROR_TITLE_SIGNS)))
_SITE_IN_TITLE = re.compile(r"china\.org\.cn", re.IGNORECASE)
# What an error, "removed" or "not found" page says in its text: always about the page itself
# ("the page you requested", "this article has been removed"), never a bare "404" or "does not
# exist", which a short news flash may say.
_PAGE = r"(?:web\s*)?(?:page|article|content|file|document|story|news)"
_ERROR_TEXT = re.compile(
    rf"{_PAGE}\s+you\s+(?:requested|are\s+looking\s+for|were\s+looking\s+for|visited)"
    rf"|{_PAGE}\s+(?:was\s+|is\s+|has\s+been\s+)?(?:not\s+found|removed|deleted|expired"
    r"|(?:temporarily\s+)?unavailable|no\s+longer\s+(?:available|exists))"
    rf"|{_PAGE}\s+(?:cannot|could\s+not|can't|couldn't)\s+be\s+found"
    rf"|{_PAGE}\s+(?:does\s+not|doesn't)\s+exist"
    r"|\b404\s+not\s+found\b|\berror\s+404\b|\b404\s+error\b"
    r"|return\s+to\s+the\s+(?:home\s*page|front\s+page)"
    r"|页面不存在|您访问的页面|找不到该页面|已被删除",
    re.IGNORECASE,
)
# An error page says its message in a few lines; a wire story that quotes "page not found" is long.
SHORT_TEXT_WORDS = 80
# Paragraphs that are the texts of links on the page: a listing or an index, not a story.
MIN_LISTING_LINES = 3
LISTING_LINK_SHARE = 0.5
# One short text under one title at this many article URLs of a run is a template (a notice or
# error page), not a story: a wire story repeated that often is longer or carries a dateline.
MIN_REPEATED_URLS = 3
# The page date may be one day after the story's own date (Beijing time); more is a contradiction.
MAX_DATE_GAP = dt.timedelta(days=1)


def _is_error_title(title: str) -> bool:
    if not _ERROR_SIGN_TEXT.search(title.lower()):  # cheap: a headline rarely holds one
        return False
    words = re.findall(r"\w[\w']*", _SITE_IN_TITLE.sub(" ", title).lower())
    return (
        bool(words)
        and set(words) <= _ERROR_TITLE_WORDS
        and not _ERROR_TITLE_SIGNS.isdisjoint(words)
    )


# Nothing but the site's name and punctuation (the name has no overlap with itself).
_SITE_NAME_ONLY = re.compile(r"(?:\W|china\.org\.cn)*", re.IGNORECASE)


def is_site_name_only(title: str) -> bool:
    """The title is the site's name and nothing else: a front or index page, no headline."""
    return bool(title) and _SITE_NAME_ONLY.fullmatch(title) is not None


def short_text_words(text: str) -> int:
    """The number of words of a text below SHORT_TEXT_WORDS, else SHORT_TEXT_WORDS or one more:
    a long text is not split all the way."""
    return len(text.split(None, SHORT_TEXT_WORDS))


def soft_404_reason(title: str, body: str) -> str | None:
    """`soft_404` for an error, "removed" or "not found" page served as a page, else None."""
    words = short_text_words(body)
    if title and _is_error_title(title):
        return f"the title {title!r} is an error message"
    if words < SHORT_TEXT_WORDS and _ERROR_TEXT.search(f"{title}\n{body}"):
        return f"a {words}-word text that reads as an error page"
    return None


def listing_reason(paragraphs: list[str], link_texts: Collection[str]) -> str | None:
    """Why the text blocks are a listing (most are the texts of links on the page), else None."""
    if len(paragraphs) < MIN_LISTING_LINES or not link_texts:
        return None
    linked = sum(1 for p in paragraphs if p in link_texts)
    if linked / len(paragraphs) >= LISTING_LINK_SHARE:
        return f"{linked} of {len(paragraphs)} text blocks are link texts"
    return None


def date_gap_reason(published_at: str, url: str) -> str | None:
    """Why the article's date contradicts the date in its URL (more than a day apart), else None."""
    page_day = urls.url_date(url)
    if page_day is None or not published_at:
        return None
    try:
        published_day = dt.datetime.fromisoformat(published_at).date()
    except ValueError:
        return f"published_at {published_at!r} is not a date"
    if abs(published_day - page_day) > MAX_DATE_GAP:
        return f"the page says {published_day}, its URL {page_day}"
    return None


def check_article(article: Article, *, link_texts: Collection[str] = ()) -> Article:
    """The article unchanged, or NotAnArticle with the specific reason it is none.

    Required fields must be read (never loaded as empty strings); error pages and listings are
    refused whoever read them; a date that contradicts the URL is refused when the generic
    extractor found it (the adapter's date line is checked by the validation suite's window).
    """
    for value, reason, what in (
        (article.title, NO_TITLE, "title"),
        (article.source, NO_SOURCE, "source"),
        (article.published_at, NO_DATE, "date"),
    ):
        if not value:
            raise NotAnArticle(reason, f"the page's {what} could not be read")
    fallback = article.extraction != ADAPTER
    why = None
    if fallback:  # the listing check reads paragraphs: split them only when it runs
        paragraphs = article.body.split("\n\n") if article.body else []
        why = listing_reason(paragraphs, link_texts)
    if why is not None:
        raise NotAnArticle(LISTING, f"a listing, not an article: {why}")
    why = soft_404_reason(article.title, article.body)
    if why is not None:
        raise NotAnArticle(SOFT_404, f"an error page, not an article: {why}")
    if is_site_name_only(article.title):
        raise NotAnArticle(NO_TITLE, f"the title {article.title!r} is the site's name, no headline")
    why = date_gap_reason(article.published_at, article.url) if fallback else None
    if why is not None:
        raise NotAnArticle(DATE_CONTRADICTS_URL, f"the date contradicts the URL: {why}")
    return article


def repeated_short_pages(articles: Sequence[Article]) -> dict[str, str]:
    """URL -> why, for short pages without a wire dateline whose title and text are the same at
    MIN_REPEATED_URLS or more URLs: one notice or error template served at many article URLs."""
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for article in articles:
        if article.dateline is None and short_text_words(article.body) < SHORT_TEXT_WORDS:
            groups[(article.title, article.content_hash)].append(article.url)
    repeated: dict[str, str] = {}
    for (title, _hash), page_urls in groups.items():
        distinct = {urls.same_url_key(url) for url in page_urls}
        if len(distinct) >= MIN_REPEATED_URLS:
            why = f"the same short text titled {title!r} is at {len(distinct)} URLs"
            repeated.update(dict.fromkeys(page_urls, why))
    return repeated
