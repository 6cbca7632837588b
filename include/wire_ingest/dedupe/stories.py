"""Story grouping: near duplicates and versions found by MinHash LSH persisted in the warehouse."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from wire_ingest.models import Article
from wire_ingest.text import normalise_body
from wire_ingest.urls import publication_key
from wire_ingest.warehouse import engines, tables

SHINGLE_WORDS = 5
NUM_PERM = 64
BODY_BANDS, BODY_ROWS = 12, 5  # candidate when body Jaccard is around 0.6 or more
LEAD_BANDS, LEAD_ROWS = 4, 8  # candidate when the opening words are (nearly) the same
LEAD_WORDS = 40
MIN_SENTENCE_WORDS = 12
LEAD_BAND_OFFSET = 100  # lead bands are stored as bands 100.. in the same table
MINHASH_SEED = 20_201_223
# The persisted buckets depend on the scheme: changing it means rebuilding article_lsh_buckets.
MINHASH_SCHEME = "affine32"

NEAR_DUPLICATE_JACCARD = 0.7  # whole-body resemblance: republished, lightly edited copies
CONTAINED_SHARE = 0.85  # share of the shorter body found in the longer: urgent -> writethru
MIN_CONTAINED_SHINGLES = 8  # a shorter body needs this much text to be "contained"
DIGEST_JACCARD = 0.9  # news summaries: only (nearly) identical summaries are one story

_WORD = re.compile(r"\w+(?:[.,'/-]\w+)*")
_SENTENCE_END = re.compile(r'(?<=[.!?])["\u201d]?\s+(?=["\u201c]?[A-Z])')
_TEMPLATE_LINE = re.compile(r"^[\W_]*$")  # separators such as "- - - -": no words at all
_DIGEST_TITLE = re.compile(r"\bnews (?:summary|digest|roundup) at\b|\bnews summary\b", re.I)

OrderKey = tuple[str, int, str]


@dataclass(frozen=True, slots=True)
class StoryFeatures:
    """What the same-story decision looks at for one article."""

    article_id: str
    order_key: OrderKey  # earlier-published first: the story's root is its smallest key
    digest: bool  # a news summary: items of other stories, compared only with summaries
    shingles: frozenset[str]
    buckets: tuple[int, ...]  # LSH bucket ids (body bands, then lead bands)


@dataclass(frozen=True, slots=True)
class StoryLink:
    """Two articles found to be one story, and why."""

    article_id: str
    other_id: str
    reason: str  # near_duplicate | contained


@dataclass(frozen=True, slots=True)
class StoryAssignment:
    """Batch articles with their story ids, and stored stories that merge into another."""

    articles: list[Article]
    relabel: dict[str, str]  # stored story_id -> the story_id it merges into
    links: list[StoryLink]
    buckets: dict[str, tuple[int, ...]]  # article_id -> LSH buckets to persist
    candidates_checked: int  # stored articles whose bodies were compared

    @property
    def grouped(self) -> int:
        """Batch articles that belong to a story with another article."""
        return sum(1 for a in self.articles if a.story_id != a.article_id)


# ---------------------------------------------------------------- features (pure)


def is_digest(title: str, body: str) -> bool:
    """A news summary: a `... news summary at ...` headline, or items between separator lines."""
    if _DIGEST_TITLE.search(title or ""):
        return True
    separators = sum(1 for p in body.split("\n\n") if p.strip() and _TEMPLATE_LINE.match(p))
    return separators >= 2


def first_sentence(paragraph: str) -> str:
    """The paragraph up to the first sentence end after at least 12 words: a split after an
    abbreviation ("the U.S. Senate") does not leave a fragment that many stories share."""
    parts = _SENTENCE_END.split(paragraph.strip())
    taken: list[str] = []
    for part in parts:
        taken.append(part)
        if sum(len(p.split()) for p in taken) >= MIN_SENTENCE_WORDS:
            break
    return " ".join(taken)


def _words(text: str) -> list[str]:
    return _WORD.findall(normalise_body(text))


def shingle_set(words: Sequence[str], size: int = SHINGLE_WORDS) -> frozenset[str]:
    """Word n-grams; a text shorter than n words is one shingle."""
    if not words:
        return frozenset()
    if len(words) <= size:
        return frozenset({" ".join(words)})
    return frozenset(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))


def story_text(title: str, body: str) -> list[str]:
    """The paragraphs compared: template lines (summary separators) are left out."""
    return [p for p in body.split("\n\n") if p.strip() and not _TEMPLATE_LINE.match(p)]


@cache
def _permutations() -> Any:
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED, scheme=MINHASH_SCHEME).permutations


def _band_buckets(shingles: Iterable[str], bands: int, rows: int, offset: int) -> list[int]:
    from datasketch import MinHash

    encoded = [s.encode("utf-8") for s in shingles]  # a MinHash does not depend on order
    if not encoded:
        return []
    minhash = MinHash(
        num_perm=NUM_PERM, seed=MINHASH_SEED, scheme=MINHASH_SCHEME, permutations=_permutations()
    )
    minhash.update_batch(encoded)
    values = minhash.hashvalues
    buckets = []
    for band in range(bands):
        chunk = values[band * rows : (band + 1) * rows].astype("<u4").tobytes()
        digest = hashlib.blake2b(chunk, digest_size=8, person=b"wire-lsh%03d" % (band + offset))
        # signed 64-bit so it fits a BIGINT on every backend
        buckets.append(int.from_bytes(digest.digest(), "big", signed=True))
    return buckets


def story_features(article: Article, *, with_buckets: bool = True) -> StoryFeatures:
    """Shingles and LSH buckets of one article (deterministic across processes).

    Stored candidates only need their shingles: `with_buckets=False` skips the MinHash.
    """
    paragraphs = story_text(article.title, article.body)
    shingles = shingle_set(_words("\n\n".join(paragraphs)))
    # The lead's first sentence: an urgent, its writethru and a later LD with a longer lead
    # share it even when the rest differs too much for the body bands. A whole sentence, figures
    # included, so template openings ("Gold futures slipped on ...") do not all collide.
    lead_shingles = shingle_set(
        _words(first_sentence(paragraphs[0]))[:LEAD_WORDS] if paragraphs else []
    )
    buckets = (
        _band_buckets(shingles, BODY_BANDS, BODY_ROWS, 0)
        + _band_buckets(lead_shingles, LEAD_BANDS, LEAD_ROWS, LEAD_BAND_OFFSET)
        if with_buckets
        else []
    )
    return StoryFeatures(
        article_id=article.article_id,
        order_key=publication_key(article.canonical_url),
        digest=is_digest(article.title, article.body),
        shingles=shingles,
        buckets=tuple(buckets),
    )


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def same_story(a: StoryFeatures, b: StoryFeatures) -> str | None:
    """Why two articles are one story (`near_duplicate`, `contained`), or None. Symmetric."""
    if a.digest or b.digest:
        # Summaries share carried items and quote every story's lead: only a copy of the same
        # summary is the same story, and a summary is never a version of an ordinary story.
        both = a.digest and b.digest
        return (
            "near_duplicate" if both and jaccard(a.shingles, b.shingles) >= DIGEST_JACCARD else None
        )
    if jaccard(a.shingles, b.shingles) >= NEAR_DUPLICATE_JACCARD:
        return "near_duplicate"
    shorter, longer = sorted((a.shingles, b.shingles), key=len)
    if len(shorter) >= MIN_CONTAINED_SHINGLES and (
        len(shorter & longer) / len(shorter) >= CONTAINED_SHARE
    ):
        return "contained"
    return None


# ---------------------------------------------------------------- grouping


class _Components:
    """Union-find whose root is the member with the smallest order key (order-independent)."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.key: dict[str, OrderKey] = {}

    def add(self, node: str, key: OrderKey) -> None:
        if node not in self.parent:
            self.parent[node] = node
            self.key[node] = key

    def find(self, node: str) -> str:
        root = node
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[node] != root:
            self.parent[node], node = root, self.parent[node]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if (self.key[rb], rb) < (self.key[ra], ra):
            ra, rb = rb, ra
        self.parent[rb] = ra


def group_stories(
    batch: Sequence[StoryFeatures],
    stored: Sequence[StoryFeatures],
    stored_story: dict[str, str],
    story_roots: dict[str, OrderKey],
) -> tuple[dict[str, str], dict[str, str], list[StoryLink]]:
    """(batch article -> story id, stored story -> merged story id, links) (pure).

    `stored` are candidate articles already in the warehouse, `stored_story` their story ids and
    `story_roots` the order key of each stored story's root. A story's id is the article id of
    its earliest-published member, so any loading order gives the same ids.
    """
    components = _Components()
    for story_id, key in story_roots.items():
        components.add("story:" + story_id, key)
    for features in batch:
        components.add(features.article_id, features.order_key)

    def node_of_stored(article_id: str) -> str:
        return "story:" + stored_story[article_id]

    by_bucket: dict[int, list[StoryFeatures]] = defaultdict(list)
    for features in [*batch, *stored]:
        for bucket in features.buckets:
            by_bucket[bucket].append(features)
    batch_ids = {f.article_id for f in batch}
    links: dict[tuple[str, str], str] = {}
    for members in by_bucket.values():
        for i, a in enumerate(members):
            if a.article_id not in batch_ids:
                continue
            for b in members[:i] + members[i + 1 :]:
                pair = (min(a.article_id, b.article_id), max(a.article_id, b.article_id))
                if pair in links or a.article_id == b.article_id:
                    continue
                reason = same_story(a, b)
                links[pair] = reason or ""
                if reason:
                    other = (
                        b.article_id if b.article_id in batch_ids else node_of_stored(b.article_id)
                    )
                    components.union(a.article_id, other)

    def story_of(node: str) -> str:
        root = components.find(node)
        return root.removeprefix("story:")

    assigned = {f.article_id: story_of(f.article_id) for f in batch}
    relabel = {
        story_id: story_of("story:" + story_id)
        for story_id in story_roots
        if story_of("story:" + story_id) != story_id
    }
    found = [StoryLink(a, b, reason) for (a, b), reason in sorted(links.items()) if reason]
    return assigned, relabel, found


# ---------------------------------------------------------------- warehouse


def _lookup_buckets(conn: Connection, buckets: Iterable[int]) -> dict[str, set[int]]:
    """Stored article_id -> the given buckets it is in (indexed lookups by bucket)."""
    table = tables.article_lsh_buckets
    found: dict[str, set[int]] = defaultdict(set)
    values = sorted(set(buckets))
    for start in range(0, len(values), engines.IN_CHUNK):
        chunk = values[start : start + engines.IN_CHUNK]
        query = sa.select(table.c.article_id, table.c.bucket).where(table.c.bucket.in_(chunk))
        for article_id, bucket in conn.execute(query):
            found[article_id].add(bucket)
    return found


def _fetch_articles(conn: Connection, ids: Iterable[str]) -> list[Any]:
    a = tables.articles
    columns = (a.c.article_id, a.c.canonical_url, a.c.title, a.c.body, a.c.story_id)
    rows: list[Any] = []
    values = sorted(set(ids))
    for start in range(0, len(values), engines.IN_CHUNK):
        chunk = values[start : start + engines.IN_CHUNK]
        rows.extend(conn.execute(sa.select(*columns).where(a.c.article_id.in_(chunk))))
    return rows


def assign_stories(engine: Engine, articles: Sequence[Article]) -> StoryAssignment:
    """Give every batch article its story_id, matching the batch and the warehouse's LSH index."""
    batch = [story_features(a) for a in articles]
    batch_ids = {f.article_id for f in batch}
    with engine.connect() as conn:
        matched = _lookup_buckets(conn, (b for f in batch for b in f.buckets))
        rows = _fetch_articles(conn, set(matched) - batch_ids)
        stored: list[StoryFeatures] = []
        stored_story: dict[str, str] = {}
        for row in rows:
            article = Article(
                article_id=row.article_id,
                feed="",
                url=row.canonical_url,
                canonical_url=row.canonical_url,
                title=row.title,
                source="",
                published_at="",
                dateline=None,
                body=row.body,
                section="",
                content_hash="",
            )
            features = story_features(article, with_buckets=False)
            # where the lookup found it is all the grouping needs of its buckets
            stored.append(dataclasses.replace(features, buckets=tuple(matched[row.article_id])))
            stored_story[row.article_id] = row.story_id or row.article_id
        # Each stored story's root (its id is the root's article id) gives its order key.
        story_ids = set(stored_story.values())
        roots = {r.article_id: r.canonical_url for r in _fetch_articles(conn, story_ids)}
    story_roots = {
        story_id: publication_key(roots[story_id]) if story_id in roots else ("", 0, story_id)
        for story_id in story_ids
    }
    assigned, relabel, links = group_stories(batch, stored, stored_story, story_roots)
    return StoryAssignment(
        articles=[dataclasses.replace(a, story_id=assigned[a.article_id]) for a in articles],
        relabel=relabel,
        links=links,
        buckets={f.article_id: f.buckets for f in batch},
        candidates_checked=len(stored),
    )


def record_stories(engine: engines.Bind, assignment: StoryAssignment) -> None:
    """Persist the batch's LSH buckets and merge stored stories (run after the articles load)."""
    table = tables.article_lsh_buckets
    loaded = sorted(a.article_id for a in assignment.articles)
    rows = [
        {"bucket": bucket, "band": band, "article_id": article_id}
        for article_id in loaded
        for band, bucket in enumerate(assignment.buckets.get(article_id, ()))
    ]
    with engines.write_transaction(engine) as conn:
        for start in range(0, len(loaded), engines.IN_CHUNK):
            chunk = loaded[start : start + engines.IN_CHUNK]
            conn.execute(sa.delete(table).where(table.c.article_id.in_(chunk)))
        if rows:
            conn.execute(engines.dialect_insert(conn, table).on_conflict_do_nothing(), rows)
        merges: dict[str, list[str]] = defaultdict(list)
        for old, new in assignment.relabel.items():
            merges[new].append(old)
        for new, olds in sorted(merges.items()):
            story_id = tables.articles.c.story_id
            in_story = sa.or_(
                story_id.in_(sorted(olds)),
                # rows loaded before story ids existed stand for themselves
                sa.and_(story_id.is_(None), tables.articles.c.article_id.in_(sorted(olds))),
            )
            conn.execute(sa.update(tables.articles).where(in_story).values(story_id=new))
