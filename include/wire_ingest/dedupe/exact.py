"""Exact deduplication: one article per canonical URL, repeated bodies point at their first copy."""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from wire_ingest.dedupe.stories import (
    OrderKey,
    StoryAssignment,
    StoryFeatures,
    assign_stories,
    publication_order,
)
from wire_ingest.models import Article
from wire_ingest.warehouse.queries import KnownArticle, known_articles


@dataclass(frozen=True, slots=True)
class DedupeResult:
    """The articles to load (duplicates included, marked by `duplicate_of`) and what was found."""

    articles: list[Article]
    duplicates: int  # articles whose body repeats another article's (duplicate_of set)
    same_url_merged: int  # batch articles dropped because another had the same canonical_url
    stories: StoryAssignment | None = None  # story ids (set when deduped against a warehouse)
    # Stored articles whose duplicate_of changes (article_id -> the new value): an earlier copy
    # of their text arrived after them. Written in the load's transaction (load_articles).
    repoint: dict[str, str | None] = dataclasses.field(default_factory=dict)


def _preference(article: Article) -> tuple[int, str, str]:
    # Longest body wins, then the smallest url; the full record breaks any remaining tie so
    # the outcome never depends on input order.
    return (-len(article.body), article.url, json.dumps(article.to_dict(), sort_keys=True))


def merge_same_url(articles: Sequence[Article]) -> list[Article]:
    """One article per canonical_url: the one with the longest body (ties: smallest url)."""
    by_url: dict[str, list[Article]] = defaultdict(list)
    for article in articles:
        by_url[article.canonical_url].append(article)
    return [min(group, key=_preference) for _, group in sorted(by_url.items())]


def dedupe_articles(articles: Sequence[Article], known: Sequence[KnownArticle]) -> DedupeResult:
    """Merge same-URL repeats, then point every copy of a body at its first-published copy (pure).

    First published: the earliest `published_at`, then the URL (`stories.publication_order`),
    over the batch and the stored copies alike, so the loading order changes nothing. Stored
    copies that now point at the wrong copy are listed in `repoint`.
    """
    unique = merge_same_url(articles)
    batch = {a.canonical_url: a for a in unique}
    stored = [k for k in known if k.content_hash and k.canonical_url not in batch]
    copies: dict[str, list[tuple[OrderKey, str]]] = defaultdict(list)
    for k in stored:  # the batch's version of an article supersedes the stored one
        copies[k.content_hash].append(
            (publication_order(k.published_at, k.canonical_url), k.article_id)
        )
    for article in unique:
        if article.content_hash:
            copies[article.content_hash].append(
                (publication_order(article.published_at, article.canonical_url), article.article_id)
            )
    representative = {content_hash: min(group)[1] for content_hash, group in copies.items()}

    def pointer(article_id: str, content_hash: str) -> str | None:
        rep = representative.get(content_hash) if content_hash else None
        return rep if rep is not None and rep != article_id else None

    result = [
        dataclasses.replace(article, duplicate_of=pointer(article.article_id, article.content_hash))
        for article in sorted(
            unique, key=lambda a: publication_order(a.published_at, a.canonical_url)
        )
    ]
    repoint = {
        k.article_id: new
        for k in stored
        if (new := pointer(k.article_id, k.content_hash)) != k.duplicate_of
    }
    return DedupeResult(
        articles=result,
        duplicates=sum(1 for a in result if a.duplicate_of is not None),
        same_url_merged=len(articles) - len(unique),
        repoint=repoint,
    )


def dedupe_with_warehouse(
    engine: Engine,
    articles: Sequence[Article],
    known_features: Mapping[str, StoryFeatures] | None = None,
) -> DedupeResult:
    """`dedupe_articles` against the warehouse's articles that share a URL or a body hash, then
    story ids from the warehouse's LSH index (persist them with `stories.record_stories`);
    `known_features` as `stories.assign_stories` takes them."""
    known = known_articles(
        engine, (a.canonical_url for a in articles), (a.content_hash for a in articles)
    )
    exact = dedupe_articles(articles, known)
    stories = assign_stories(engine, exact.articles, known_features)
    return dataclasses.replace(exact, articles=stories.articles, stories=stories)
