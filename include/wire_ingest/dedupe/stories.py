"""Story grouping: versions and copies found by persisted LSH buckets, linked on wire-editing evidence."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from wire_ingest.models import Article
from wire_ingest.text import normalise_body
from wire_ingest.urls import publication_key
from wire_ingest.versions import headline_version, is_version_label, strip_headline_prefix
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

# Candidates for rewritten versions, which the body and lead bands miss. Versions of one story
# go out within a day or two, so these keys carry the publication day: an article is stored
# under its own day and looks up the day before, its day and the day after. That keeps the cost
# per article flat however long the history is (a daily template collides with yesterday's
# copy only, never with every day's).
MASKED_LEAD_BANDS, MASKED_LEAD_ROWS = 8, 3  # lead paragraph, figures masked: rewritten leads
MASKED_LEAD_OFFSET = 200
MASKED_SHINGLE_WORDS = 3
HEADLINE_OFFSET = 300  # one key per headline keyword (version prefix stripped)
MAX_HEADLINE_KEYS = 8
VERSION_WINDOW_HOURS = 48.0  # how far apart two versions of one story may be published

NEAR_DUPLICATE_JACCARD = 0.7  # whole-body resemblance: republished, lightly edited copies
CONTAINED_SHARE = 0.85  # share of the shorter body found in the longer: urgent -> writethru
MIN_CONTAINED_SHINGLES = 8  # a shorter body needs this much text to be "contained"
DIGEST_JACCARD = 0.9  # news summaries: only (nearly) identical summaries are one story
# A templated series (market closes, the yuan's parity, reverse repos, weather alerts, daily
# counts, quake reports): the same words around different figures, dates or places.
TEMPLATE_FIGURES_SHARED = 0.3  # below this share of the lead's figures in common: other news
# A rewritten version: its text, with figures masked, largely in the other version, the same
# people and places, and a headline about the same thing.
ENTITY_STEM = 5
VERSION_LEAD_ENTITIES = 0.75  # the names in one version's lead are (nearly) all in the other
VERSION_HEADLINE = 0.3  # a version from another dateline must be about the same thing
VERSION_TEXT = 0.25  # masked containment + headline similarity: some of the wording kept
VERSION_MASKED_ALONE = 0.3  # wording kept that says it is the same event without the headline
VERSION_ENTITIES = 0.5  # from another dateline: half the names of one in the other
REWRITE_MASKED_CONTAINED = 0.6  # without a version label the evidence must be stronger
REWRITE_ENTITIES = 0.7
REWRITE_HEADLINE = 0.25
REWRITE_FIGURES_SHARED = 0.5

_WORD = re.compile(r"\w+(?:[.,'/-]\w+)*")
_FIGURE = re.compile(r"\d+(?:[.,:]\d+)*")
_SENTENCE_END = re.compile(r'(?<=[.!?])["\u201d]?\s+(?=["\u201c]?[A-Z])')
_TEMPLATE_LINE = re.compile(r"^[\W_]*$")  # separators such as "- - - -": no words at all
_DIGEST_TITLE = re.compile(r"\bnews (?:summary|digest|roundup) at\b|\bnews summary\b", re.I)
_CAPITALISED = re.compile(r"\b[A-Z][\w.'\u2019-]*")
_WEEKDAYS = frozenset(
    ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
)
# Words that say nothing about which story a text is: they make neither entities nor keys.
_STOPWORD_TEXT = """a an the and or but of in on at to for from by with as into over after before about
    against between during under up down off out than then this that these those its it is are
    was were be been has have had will would can could may might not no new says said say
    amid more most over per pct percent year years day days week mln bln yuan dollars u.s
    china chinese xinhua he she they we his her their our i you also while when where who which
    what there here all some many other one two three four five six seven eight nine ten first
    second third last next mr ms dr jan feb march april may june july aug sept oct nov dec
    january february august september october november december"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split()) | _WEEKDAYS

OrderKey = tuple[str, str, int, str]


@lru_cache(maxsize=1 << 14)  # a pure function the dedupe asks several times per article
def publication_order(published_at: str, canonical_url: str) -> OrderKey:
    """Sort key that puts the first-published copy first: `published_at` (in UTC), then the URL
    (page date, content id, the URL itself)."""
    try:
        moment = dt.datetime.fromisoformat(published_at)
        when = moment.astimezone(dt.UTC).isoformat() if moment.tzinfo is not None else published_at
    except (TypeError, ValueError):
        when = "~"  # an unknown time sorts after every known one
    return (when, *publication_key(canonical_url))


@dataclass(frozen=True, slots=True)
class StoryFeatures:
    """What the same-story decision looks at for one article."""

    article_id: str
    order_key: OrderKey  # earlier-published first: the story's root is its smallest key
    digest: bool  # a news summary: items of other stories, compared only with summaries
    shingles: frozenset[str]
    buckets: tuple[int, ...]  # LSH buckets this article is stored under
    bands: tuple[int, ...] = ()  # the band of each bucket (same length as buckets)
    probes: tuple[int, ...] = ()  # the buckets looked up for it (adds the day before and after)
    masked: frozenset[str] = frozenset()  # shingles of the text with figures masked
    figures: frozenset[str] = frozenset()  # figures and weekdays of the lead paragraph
    entities: frozenset[str] = frozenset()  # capitalised names in the headline and text
    lead_entities: frozenset[str] = frozenset()  # the names in the lead paragraph
    headline: frozenset[str] = frozenset()  # headline keywords, version prefix stripped
    topic: frozenset[str] = frozenset()  # headline keywords that are not names: what happened
    facts: frozenset[str] = frozenset()  # the lead's figures other than weekdays
    version_label: bool = False  # the headline says it is an urgent, LD, writethru, roundup
    city: str = ""  # the dateline's place
    published: float | None = None  # seconds since the epoch


@dataclass(frozen=True, slots=True)
class LinkDecision:
    """Whether two articles are one story, by which rule, and the signals behind it."""

    rule: str  # near_duplicate | contained | rewritten_version | rewritten_copy | "" (not linked)
    score: float  # the strength of the evidence the rule used (0..1)
    signals: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StoryLink:
    """Two articles found to be one story, and why."""

    article_id: str
    other_id: str
    reason: str  # the rule: near_duplicate | contained | rewritten_version | rewritten_copy
    score: float = 1.0
    signals: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StoryAssignment:
    """Batch articles with their story ids, and stored stories that merge into another."""

    articles: list[Article]
    relabel: dict[str, str]  # stored story_id -> the story_id it merges into
    links: list[StoryLink]
    buckets: dict[str, tuple[int, ...]]  # article_id -> LSH buckets to persist
    candidates_checked: int  # stored articles whose bodies were compared
    bands: dict[str, tuple[int, ...]] = field(default_factory=dict)  # article_id -> their bands
    # batch article_id -> its features, keyed for a later call by `features_rows`
    features: dict[str, StoryFeatures] = field(default_factory=dict)

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
    # the n-grams as n shifted views zipped together: one join per shingle, no slicing
    return frozenset(map(" ".join, zip(*(words[i:] for i in range(size)), strict=False)))


def story_text(title: str, body: str) -> list[str]:
    """The paragraphs compared: template lines (summary separators) are left out."""
    return [p for p in body.split("\n\n") if p.strip() and not _TEMPLATE_LINE.match(p)]


def mask_figures(words: Iterable[str]) -> list[str]:
    """Every figure replaced by `#`: "12 killed" and "14 killed" read the same."""
    # One substitution over the words joined by spaces: neither a word nor a figure has one.
    text = " ".join(words)
    return _FIGURE.sub("#", text).split(" ") if text else []


def figures(words: Iterable[str]) -> frozenset[str]:
    """The figures (and weekdays) a text states: what a templated series changes every day."""
    found: set[str] = set()
    for word in words:
        word = word.removesuffix("'s")  # "Monday's quake"
        if word in _WEEKDAYS:
            found.add(word)
        else:
            found.update(_FIGURE.findall(word))
    return frozenset(found)


@lru_cache(maxsize=1 << 16)  # names recur across articles: each is cleaned once
def _name(word: str) -> str:
    return word.lower().replace("\u2019", "'").removesuffix("'s").rstrip(".'-")


# A word's stem as a name, or "" (not one): cached whole, so that a text's names are one C-level
# pass of cache hits over its capitalised words instead of a Python test of each.
@lru_cache(maxsize=1 << 16)
def _entity(word: str) -> str:
    name = _name(word)
    return name[:ENTITY_STEM] if len(name) > 1 and name not in _STOPWORDS else ""


@lru_cache(maxsize=1 << 16)
def _headline_keyword(word: str) -> str:
    name = _name(word)
    return name if len(name) > 2 and name not in _STOPWORDS and not _FIGURE.search(name) else ""


def entities(text: str) -> frozenset[str]:
    """Capitalised names (people, places, bodies) in the text, stopwords left out, cut to their
    first five letters so that "Israel" and "Israeli", "Indonesia" and "Indonesian" meet."""
    return frozenset(filter(None, map(_entity, _CAPITALISED.findall(text))))


def headline_keywords(title: str) -> frozenset[str]:
    """The headline's words that say what happened, without the version prefix and figures."""
    return frozenset(
        filter(None, map(_headline_keyword, _WORD.findall(strip_headline_prefix(title))))
    )


def _published(published_at: str) -> tuple[float | None, dt.date | None]:
    try:
        moment = dt.datetime.fromisoformat(published_at)
    except (TypeError, ValueError):
        return None, None
    # the wire's own date (Beijing time on the site): one story's versions share it or the next
    day = moment.date()
    return (moment.timestamp() if moment.tzinfo is not None else None), day


@cache
def _permutations() -> Any:
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED, scheme=MINHASH_SCHEME).permutations


def _signature(shingles: Iterable[str]) -> Any:
    from datasketch import MinHash

    encoded = [s.encode("utf-8") for s in shingles]  # a MinHash does not depend on order
    if not encoded:
        return None
    minhash = MinHash(
        num_perm=NUM_PERM, seed=MINHASH_SEED, scheme=MINHASH_SCHEME, permutations=_permutations()
    )
    minhash.update_batch(encoded)
    return minhash.hashvalues


def _bucket(payload: bytes, band: int) -> int:
    digest = hashlib.blake2b(payload, digest_size=8, person=b"wire-lsh%03d" % band)
    # signed 64-bit so it fits a BIGINT on every backend
    return int.from_bytes(digest.digest(), "big", signed=True)


def _band_buckets(shingles: Iterable[str], bands: int, rows: int, offset: int) -> list[int]:
    values = _signature(shingles)
    if values is None:
        return []
    return [
        _bucket(values[band * rows : (band + 1) * rows].astype("<u4").tobytes(), band + offset)
        for band in range(bands)
    ]


def _day_keys(
    payloads: Sequence[tuple[int, bytes]], day: dt.date | None
) -> tuple[list[tuple[int, int]], list[int]]:
    """(band, bucket) stored under `day`, and the buckets looked up (the day before and after)."""
    if day is None:
        return [], []
    days = [(day + dt.timedelta(days=shift)).isoformat().encode() for shift in (-1, 0, 1)]
    stored: list[tuple[int, int]] = []
    probes: list[int] = []
    for band, payload in payloads:
        before, same, after = (_bucket(payload + when, band) for when in days)
        stored.append((band, same))  # its own day's key is also one it looks up
        probes.extend((before, same, after))
    return stored, probes


def story_features(article: Article, *, with_buckets: bool = True) -> StoryFeatures:
    """Shingles, linking signals and LSH buckets of one article (deterministic across processes).

    Stored candidates only need their signals: `with_buckets=False` skips the MinHashes.
    """
    paragraphs = story_text(article.title, article.body)
    words = _words("\n\n".join(paragraphs))
    shingles = shingle_set(words)
    lead_words = _words(paragraphs[0]) if paragraphs else []
    published, day = _published(article.published_at)
    headline = headline_keywords(article.title)
    masked = shingle_set(mask_figures(words), MASKED_SHINGLE_WORDS)
    bands: list[int] = []
    buckets: list[int] = []
    probes: list[int] = []
    if with_buckets:
        # The lead's first sentence: an urgent, its writethru and a later LD with a longer lead
        # share it even when the rest differs too much for the body bands. A whole sentence,
        # figures included, so template openings ("Gold futures slipped on ...") do not collide.
        lead_shingles = shingle_set(
            _words(first_sentence(paragraphs[0]))[:LEAD_WORDS] if paragraphs else []
        )
        for offset, found in (
            (0, _band_buckets(shingles, BODY_BANDS, BODY_ROWS, 0)),
            (
                LEAD_BAND_OFFSET,
                _band_buckets(lead_shingles, LEAD_BANDS, LEAD_ROWS, LEAD_BAND_OFFSET),
            ),
        ):
            bands.extend(offset + i for i in range(len(found)))
            buckets.extend(found)
        probes.extend(buckets)
        # Rewritten versions: the lead paragraph with figures masked, and headline keywords.
        payloads: list[tuple[int, bytes]] = []
        values = _signature(shingle_set(mask_figures(lead_words), MASKED_SHINGLE_WORDS))
        if values is not None:
            payloads.extend(
                (
                    MASKED_LEAD_OFFSET + band,
                    values[band * MASKED_LEAD_ROWS : (band + 1) * MASKED_LEAD_ROWS]
                    .astype("<u4")
                    .tobytes(),
                )
                for band in range(MASKED_LEAD_BANDS)
            )
        keys = sorted(headline, key=lambda w: (-len(w), w))[:MAX_HEADLINE_KEYS]
        payloads.extend((HEADLINE_OFFSET, ("headline:" + key).encode()) for key in keys)
        stored, looked_up = _day_keys(payloads, day)
        bands.extend(band for band, _ in stored)
        buckets.extend(bucket for _, bucket in stored)
        probes.extend(looked_up)
    version = headline_version(article.title)
    # A name never spans a line break: the text's names are the union of its paragraphs'.
    paragraph_names = [entities(p) for p in paragraphs]
    names = frozenset().union(*paragraph_names)
    lead_figures = figures(lead_words)
    return StoryFeatures(
        article_id=article.article_id,
        order_key=publication_order(article.published_at, article.canonical_url),
        digest=is_digest(article.title, article.body),
        shingles=shingles,
        buckets=tuple(buckets),
        bands=tuple(bands),
        probes=tuple(dict.fromkeys(probes)),
        masked=masked,
        figures=lead_figures,
        facts=lead_figures - _WEEKDAYS,
        topic=frozenset(w for w in headline if w[:ENTITY_STEM] not in names),
        entities=entities(strip_headline_prefix(article.title)) | names,
        lead_entities=paragraph_names[0] if paragraphs else frozenset(),
        headline=headline,
        version_label=is_version_label(version),
        city=(article.dateline or "").split(",")[0].strip().upper(),
        published=published,
    )


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)  # the union's size without building it


def containment(a: frozenset[str], b: frozenset[str]) -> float:
    """The share of the smaller set found in the other."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def _lead_in_other(a: StoryFeatures, b: StoryFeatures) -> float:
    """The share of one article's lead names found anywhere in the other (the higher way)."""
    shares = [
        len(lead & other) / len(lead)
        for lead, other in ((a.lead_entities, b.entities), (b.lead_entities, a.entities))
        if lead
    ]
    return max(shares, default=0.0)


def link_decision(a: StoryFeatures, b: StoryFeatures) -> LinkDecision:
    """Whether two articles are one story, weighing wire-editing evidence against the signs of a
    templated series; the signals are kept to explain the link. Symmetric."""
    if a.digest or b.digest:
        # Summaries share carried items and quote every story's lead: only a copy of the same
        # summary is the same story, and a summary is never a version of an ordinary story.
        similarity = jaccard(a.shingles, b.shingles)
        linked = a.digest and b.digest and similarity >= DIGEST_JACCARD
        return LinkDecision(
            "near_duplicate" if linked else "", similarity, {"digest": True, "jaccard": similarity}
        )
    # one intersection for both the resemblance and the containment of the shorter body
    shared = len(a.shingles & b.shingles)
    shorter = min(len(a.shingles), len(b.shingles))
    similarity = shared / (len(a.shingles) + len(b.shingles) - shared) if shorter else 0.0
    contained = shared / shorter if shorter else 0.0
    hours = (
        abs(a.published - b.published) / 3600
        if a.published is not None and b.published is not None
        else None
    )
    shared_figures = containment(a.figures, b.figures) if a.figures and b.figures else None
    signals: dict[str, Any] = {
        "jaccard": round(similarity, 3),
        "contained": round(contained, 3),
        "masked_contained": round(containment(a.masked, b.masked), 3),
        "entities": round(containment(a.entities, b.entities), 3),
        "lead_entities": round(_lead_in_other(a, b), 3),
        "headline": round(jaccard(a.headline, b.headline), 3),
        "topic_words_shared": len(a.topic & b.topic),
        "facts_shared": len(a.facts & b.facts),
        "figures_shared": None if shared_figures is None else round(shared_figures, 3),
        "version_label": a.version_label or b.version_label,
        "same_city": bool(a.city) and a.city == b.city,
        "hours_apart": None if hours is None else round(hours, 1),
    }
    close_in_time = hours is not None and hours <= VERSION_WINDOW_HOURS
    # A templated series: (nearly) every figure of the lead differs. A version that updates
    # its figures keeps some (the weekday, the magnitude), unless it is a labelled version from
    # the same place within hours.
    template = (
        shared_figures is not None
        and shared_figures < TEMPLATE_FIGURES_SHARED
        and not (
            signals["version_label"] and signals["same_city"] and hours is not None and hours <= 12
        )
    )
    signals["template"] = template
    if similarity >= NEAR_DUPLICATE_JACCARD and not (template and similarity < DIGEST_JACCARD):
        return LinkDecision("near_duplicate", similarity, signals)
    if template:
        return LinkDecision("", 0.0, signals)
    if shorter >= MIN_CONTAINED_SHINGLES and contained >= CONTAINED_SHARE:
        return LinkDecision("contained", contained, signals)
    if not close_in_time:
        return LinkDecision("", 0.0, signals)
    masked_contained = signals["masked_contained"]
    # what happened, not only who and where: a headline word that is not a name, or wording kept
    same_event = signals["topic_words_shared"] >= 1 or masked_contained >= VERSION_MASKED_ALONE
    # another dateline: the same names, headline and at least one figure of the lead (a toll,
    # a score, a magnitude), not only the weekday; templates about other places fail here
    same_place = signals["same_city"] or (
        signals["headline"] >= VERSION_HEADLINE
        and signals["entities"] >= VERSION_ENTITIES
        and signals["facts_shared"] >= 1
    )
    if (
        signals["version_label"]
        and signals["lead_entities"] >= VERSION_LEAD_ENTITIES
        and same_place
        and same_event
        and masked_contained + signals["headline"] >= VERSION_TEXT
    ):
        score = (masked_contained + signals["lead_entities"] + signals["headline"]) / 3
        return LinkDecision("rewritten_version", round(score, 3), signals)
    if (
        signals["same_city"]
        and masked_contained >= REWRITE_MASKED_CONTAINED
        and signals["lead_entities"] >= VERSION_LEAD_ENTITIES
        and signals["entities"] >= REWRITE_ENTITIES
        and signals["headline"] >= REWRITE_HEADLINE
        and (shared_figures is None or shared_figures >= REWRITE_FIGURES_SHARED)
    ):
        score = (masked_contained + signals["entities"] + signals["headline"]) / 3
        return LinkDecision("rewritten_copy", round(score, 3), signals)
    return LinkDecision("", 0.0, signals)


def may_link(a: StoryFeatures, b: StoryFeatures) -> bool:
    """False when `link_decision` cannot link the two, on the cheapest of its signals: most pairs
    that share a bucket (a day's templated series, a headline word) are other news, and the
    decision's other signals are most of its cost. Symmetric."""
    if a.digest or b.digest:
        return True  # the summaries' rule: link_decision's own test is as cheap
    shared = len(a.shingles & b.shingles)
    shorter = min(len(a.shingles), len(b.shingles))
    if shorter:
        # the same numbers link_decision compares for near_duplicate and contained
        if shared / (len(a.shingles) + len(b.shingles) - shared) >= NEAR_DUPLICATE_JACCARD:
            return True
        if shorter >= MIN_CONTAINED_SHINGLES and shared / shorter >= CONTAINED_SHARE:
            return True
    if a.published is None or b.published is None:
        return False
    if abs(a.published - b.published) / 3600 > VERSION_WINDOW_HOURS:
        return False
    # Both version rules need the lead's names in the other, compared after rounding to 3
    # decimals: a margin below the threshold keeps every pair the rounding could lift over it.
    return _lead_in_other(a, b) >= VERSION_LEAD_ENTITIES - 0.001


def same_story(a: StoryFeatures, b: StoryFeatures) -> str | None:
    """Why two articles are one story (the rule's name), or None. Symmetric."""
    return link_decision(a, b).rule or None


# ---------------------------------------------------------------- features handed over

# Part of every features key: change it with anything that changes what story_features returns,
# so that features computed by the code before the change are never taken for the new ones.
FEATURES_FORMAT = 1
_SET_FIELDS = frozenset(
    f.name for f in dataclasses.fields(StoryFeatures) if str(f.type).startswith("frozenset")
)
_TUPLE_FIELDS = frozenset(
    f.name for f in dataclasses.fields(StoryFeatures) if str(f.type).startswith(("tuple", "Order"))
)


def features_key(article: Article) -> str:
    """A digest of what `story_features` reads of an article: equal keys, equal features."""
    read = [
        FEATURES_FORMAT,
        article.article_id,
        article.title,
        article.body,
        article.published_at,
        article.canonical_url,
        article.dateline,
    ]
    encoded = json.dumps(read, ensure_ascii=False).encode("utf-8")
    return hashlib.blake2b(encoded, digest_size=16).hexdigest()


def features_rows(assignment: StoryAssignment) -> Iterator[dict[str, Any]]:
    """The batch's features as JSON rows for `features_from_rows`: the load step groups the
    articles the dedupe step grouped (less any validation rejected) and need not compute them
    again, which was about as much work as the rest of both steps together."""
    for article in assignment.articles:
        features = assignment.features.get(article.article_id)
        if features is None:
            continue
        row: dict[str, Any] = {"key": features_key(article)}
        for name in StoryFeatures.__slots__:
            value = getattr(features, name)
            if name in _SET_FIELDS:
                row[name] = _joined(value)
            elif name in _TUPLE_FIELDS:
                row[name] = list(value)
            else:
                row[name] = value
        yield row


def _joined(words: frozenset[str]) -> str | list[str]:
    # One string of lines for a set of words and shingles (none holds a line break or is empty):
    # a day's features are ~100,000 of them, and one string each set is far quicker to write
    # and read; a list where a member could not be told apart in lines.
    joined = "\n".join(words)
    if "" in words or joined.count("\n") != len(words) - 1:
        return sorted(words)
    return joined


def _set_of(value: str | list[str]) -> frozenset[str]:
    if isinstance(value, list):
        return frozenset(value)
    return frozenset(value.split("\n")) if value else frozenset()


def features_from_rows(rows: Iterable[dict[str, Any]]) -> dict[str, StoryFeatures]:
    """`features_key` -> features, from `features_rows`' rows (JSON keeps ints and floats exact)."""
    found: dict[str, StoryFeatures] = {}
    for row in rows:
        values: dict[str, Any] = {
            name: _set_of(value)
            if name in _SET_FIELDS
            else tuple(value)
            if name in _TUPLE_FIELDS
            else value
            for name, value in row.items()
            if name != "key"
        }
        found[row["key"]] = StoryFeatures(**values)
    return found


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
    """(batch article -> story id, stored story -> merged story id, links with why) (pure).

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
    compared: set[tuple[str, str]] = set()
    decisions: dict[tuple[str, str], LinkDecision] = {}  # the linked pairs
    for a in batch:
        # a batch article meets every article stored under a bucket it looks up; the relation
        # is symmetric (same band, or publication days at most one apart). Those it meets in
        # the order first met, each once: a day's common headline word meets many in many keys.
        met = {
            b.article_id: b for bucket in a.probes or a.buckets for b in by_bucket.get(bucket, ())
        }
        met.pop(a.article_id, None)
        for b_id, b in met.items():
            pair = (a.article_id, b_id) if a.article_id < b_id else (b_id, a.article_id)
            if pair in compared:
                continue
            compared.add(pair)
            if not may_link(a, b):
                continue
            first, second = (a, b) if a.article_id == pair[0] else (b, a)
            decision = link_decision(first, second)
            if decision.rule:
                decisions[pair] = decision
                other = b_id if b_id in batch_ids else node_of_stored(b_id)
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
    found = [StoryLink(a, b, d.rule, d.score, d.signals) for (a, b), d in sorted(decisions.items())]
    return assigned, relabel, found


# ---------------------------------------------------------------- warehouse


def _lookup_buckets(conn: Connection, buckets: Iterable[int]) -> dict[str, set[int]]:
    """Stored article_id -> the given buckets it is in (indexed lookups by bucket)."""
    table = tables.article_lsh_buckets
    found: dict[str, set[int]] = defaultdict(set)
    for condition in engines.member_of(conn, table.c.bucket, sorted(set(buckets))):
        query = sa.select(table.c.article_id, table.c.bucket).where(condition)
        for article_id, bucket in conn.execute(query):
            found[article_id].add(bucket)
    return found


_STORED_COLUMNS = (
    "article_id",
    "canonical_url",
    "title",
    "body",
    "story_id",
    "published_at",
    "dateline",
)


def _fetch_articles(
    conn: Connection, ids: Iterable[str], columns: Sequence[str] = _STORED_COLUMNS
) -> list[Any]:
    a = tables.articles
    rows: list[Any] = []
    for condition in engines.member_of(conn, a.c.article_id, sorted(set(ids))):
        rows.extend(conn.execute(sa.select(*(a.c[name] for name in columns)).where(condition)))
    return rows


def assign_stories(
    engine: Engine,
    articles: Sequence[Article],
    known: Mapping[str, StoryFeatures] | None = None,
) -> StoryAssignment:
    """Give every batch article its story_id, matching the batch and the warehouse's LSH index.

    `known`: features by `features_key` (`features_from_rows`), taken instead of computing them.
    """
    known = known or {}
    batch = [known.get(features_key(a)) or story_features(a) for a in articles]
    batch_ids = {f.article_id for f in batch}
    with engine.connect() as conn:
        matched = _lookup_buckets(conn, (b for f in batch for b in f.probes))
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
                published_at=row.published_at,
                dateline=row.dateline,
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
        roots = {
            r.article_id: publication_order(r.published_at, r.canonical_url)
            for r in _fetch_articles(
                conn, story_ids, ("article_id", "published_at", "canonical_url")
            )
        }
    story_roots = {story_id: roots.get(story_id, ("", "", 0, story_id)) for story_id in story_ids}
    assigned, relabel, links = group_stories(batch, stored, stored_story, story_roots)
    return StoryAssignment(
        articles=[dataclasses.replace(a, story_id=assigned[a.article_id]) for a in articles],
        relabel=relabel,
        links=links,
        buckets={f.article_id: f.buckets for f in batch},
        candidates_checked=len(stored),
        bands={f.article_id: f.bands for f in batch},
        features={f.article_id: f for f in batch},
    )


def record_stories(engine: engines.Bind, assignment: StoryAssignment) -> None:
    """Persist the batch's LSH buckets and links, and merge stored stories (after the load)."""
    table = tables.article_lsh_buckets
    loaded = sorted(a.article_id for a in assignment.articles)
    rows: list[dict[str, Any]] = []
    for article_id in loaded:
        buckets = assignment.buckets.get(article_id, ())
        bands = assignment.bands.get(article_id) or tuple(range(len(buckets)))
        rows.extend(
            {"bucket": bucket, "band": band, "article_id": article_id}
            for band, bucket in zip(bands, buckets, strict=True)
        )
    links = tables.story_links
    link_rows = [
        {
            "article_id": link.article_id,
            "linked_id": link.other_id,
            "rule": link.reason,
            "score": float(link.score),
            "signals": link.signals,
        }
        for link in assignment.links
    ]
    with engines.write_transaction(engine) as conn:
        for condition in engines.member_of(conn, table.c.article_id, loaded):
            conn.execute(sa.delete(table).where(condition))
        engines.insert_ignoring_conflicts(conn, table, rows)
        if link_rows:
            insert = engines.dialect_insert(conn, links)
            conn.execute(
                insert.on_conflict_do_update(
                    index_elements=["article_id", "linked_id"],
                    set_={name: insert.excluded[name] for name in ("rule", "score", "signals")},
                ),
                link_rows,
            )
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
