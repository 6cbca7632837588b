"""Exact deduplication: one article per canonical URL, repeated bodies point at one representative."""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from wire_ingest.dedupe.stories import StoryAssignment, assign_stories
from wire_ingest.models import Article
from wire_ingest.urls import publication_key
from wire_ingest.warehouse.queries import KnownArticle, known_articles


@dataclass(frozen=True, slots=True)
class DedupeResult:
    """The articles to load (duplicates included, marked by `duplicate_of`) and what was found."""

    articles: list[Article]
    duplicates: int  # articles whose body repeats another article's (duplicate_of set)
    same_url_merged: int  # batch articles dropped because another had the same canonical_url
    stories: StoryAssignment | None = None  # story ids (set when deduped against a warehouse)


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


def _warehouse_representatives(
    known: Sequence[KnownArticle], batch: dict[str, Article]
) -> dict[str, str]:
    """content_hash -> article_id of the warehouse article that stands for that body."""
    # The batch's version of an article supersedes the stored one.
    current_hash = {k.article_id: k.content_hash for k in known}
    current_hash.update({a.article_id: a.content_hash for a in batch.values()})
    candidates: dict[str, set[str]] = defaultdict(set)
    for k in known:
        if not k.content_hash or k.canonical_url in batch:
            continue
        root = k.duplicate_of or k.article_id
        if current_hash.get(root, k.content_hash) != k.content_hash:
            root = k.article_id  # a stale pointer: the representative's body has changed since
        candidates[k.content_hash].add(root)
    # Several stored roots for one body only arise from concurrent runs; pick one stably.
    return {content_hash: min(roots) for content_hash, roots in candidates.items()}


def dedupe_articles(articles: Sequence[Article], known: Sequence[KnownArticle]) -> DedupeResult:
    """Merge same-URL repeats, then point every repeated body at its representative (pure)."""
    unique = merge_same_url(articles)
    batch = {a.canonical_url: a for a in unique}
    stored_rep = _warehouse_representatives(known, batch)

    by_hash: dict[str, list[Article]] = defaultdict(list)
    for article in unique:
        if article.content_hash:
            by_hash[article.content_hash].append(article)
    representative: dict[str, str] = {}
    for content_hash, group in by_hash.items():
        if content_hash in stored_rep:
            representative[content_hash] = stored_rep[content_hash]
        else:
            # the first published copy represents the body
            representative[content_hash] = min(
                group, key=lambda a: publication_key(a.canonical_url)
            ).article_id

    result: list[Article] = []
    for article in sorted(unique, key=lambda a: publication_key(a.canonical_url)):
        rep = representative.get(article.content_hash) if article.content_hash else None
        duplicate_of = rep if rep is not None and rep != article.article_id else None
        result.append(dataclasses.replace(article, duplicate_of=duplicate_of))
    return DedupeResult(
        articles=result,
        duplicates=sum(1 for a in result if a.duplicate_of is not None),
        same_url_merged=len(articles) - len(unique),
    )


def dedupe_with_warehouse(engine: Engine, articles: Sequence[Article]) -> DedupeResult:
    """`dedupe_articles` against the warehouse's articles that share a URL or a body hash, then
    story ids from the warehouse's LSH index (persist them with `stories.record_stories`)."""
    known = known_articles(
        engine, (a.canonical_url for a in articles), (a.content_hash for a in articles)
    )
    exact = dedupe_articles(articles, known)
    stories = assign_stories(engine, exact.articles)
    return dataclasses.replace(exact, articles=stories.articles, stories=stories)
