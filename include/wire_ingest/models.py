"""Frozen dataclasses that are the contracts between the pipeline's stages."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal, Self


class _Record:
    """JSON-ready dicts in and out; unknown keys are ignored so older stage files still load."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in data.items() if k in names})


Stage = Literal["discover", "fetch", "parse", "dedupe", "validate", "load"]


@dataclass(frozen=True, slots=True)
class ListingItem:
    """One article link found on a listing page."""

    url: str
    title: str
    page_date: str  # YYYY-MM-DD taken from the article URL's path (the page's date)
    listing_page: int  # 1 = newest listing page


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The outcome of fetching one URL; the body itself lives in the landing area."""

    url: str
    final_url: str
    status: int | None  # HTTP status, None when no response was received
    ok: bool
    error: str | None = None  # one-line reason when not ok
    attempts: int = 1
    content_type: str | None = None
    charset: str | None = None
    fetched_at: str = ""  # ISO 8601 UTC
    raw_ref: str | None = (
        None  # where the raw record is kept, e.g. "file:///.../x.warc.gz#<record-id>"
    )


@dataclass(frozen=True, slots=True)
class Article(_Record):
    """A parsed article: the row shape of the warehouse's `articles` table (minus bookkeeping)."""

    article_id: str  # stable: derived from canonical_url
    feed: str  # the pipeline's source id, e.g. "china_org_cn"
    url: str
    canonical_url: str
    title: str
    source: str  # agency named on the page, e.g. "Xinhua"
    published_at: str  # ISO 8601 with offset, e.g. "2020-12-23T00:00:00+08:00"
    dateline: str | None  # place before "(Xinhua) --", e.g. "BEIJING"
    body: str  # paragraphs joined by a blank line, no dateline prefix, no Enditem, no boilerplate
    section: str  # e.g. "world", "china"
    content_hash: str  # sha256 hex of the normalised body
    page_date: str = ""  # YYYY-MM-DD from the URL path
    raw_ref: str | None = None
    duplicate_of: str | None = None  # article_id of the article this one repeats (set by dedupe)
    extraction: str = "adapter"  # what read the page: adapter | fallback | generic (extract.py)
    story_id: str | None = None  # article_id of the story's earliest version (set by dedupe)
    editor: str | None = None  # the editor the page names, where the site shows one (news.cn)


@dataclass(frozen=True, slots=True)
class Rejection(_Record):
    """A URL or article that did not make it into `articles`, with the reason why."""

    feed: str
    url: str
    stage: Stage
    reason: str  # short machine-readable code, e.g. "http_error", "not_an_article", "expectation_failed"
    message: str  # one human-readable line
    article_id: str | None = None
    details: dict[str, Any] = field(
        default_factory=dict
    )  # e.g. failed expectations with observed values
    raw_ref: str | None = None


@dataclass(frozen=True, slots=True)
class RunContext:
    """What every stage needs to know about the run it belongs to."""

    run_id: str
    target_day: dt.date
    feed: str
    base_url: str
    warehouse_url: str
    work_url: str  # the run's stage files in the landing store (workfiles), never a local disk
    landing_url: str  # root of the raw landing area (file://... or s3://...)


@dataclass(frozen=True, slots=True)
class FailureKind:
    """What a failed fetch means: a short reason code, and whether trying again could help."""

    reason: str
    permanent: bool


@dataclass(frozen=True, slots=True)
class FetchOutcome:
    """A landed fetch result plus the validators to store for next time."""

    result: FetchResult
    etag: str | None = None
    last_modified: str | None = None
    failure: FailureKind | None = None  # set by the fetcher for a failed result


@dataclass(frozen=True, slots=True)
class ListingPage:
    """What one listing page offers: article links and the way to the next (older) page."""

    items: list[ListingItem]
    next_url: str | None
    page_number: int
    next_is_guess: bool = False  # next_url derived from the node_N_K naming, not from a link


# What extracted an article (Article.extraction): the site's adapter, the generic extractor
# standing in for an adapter that found no title or body, or the generic extractor of a source
# declared without an adapter.
ADAPTER = "adapter"
FALLBACK = "fallback"
GENERIC = "generic"
EXTRACTION_METHODS = (ADAPTER, FALLBACK, GENERIC)
