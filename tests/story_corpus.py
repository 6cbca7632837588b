"""The hand-written story corpus (tests/fixtures/stories): articles by day and their ground truth."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wire_ingest import text, urls
from wire_ingest.models import Article

CORPUS_DIR = Path(__file__).parent / "fixtures" / "stories"
# day4 was written after the linker's rules were fixed and scored once, unchanged: a held-out day
DAY_FILES = ("day1.json", "day2.json", "day3.json", "day4.json")

# The cosmetic differences a republished copy may have; the exact dedupe must see through them.
_CURLY = str.maketrans({"“": '"', "”": '"', "’": "'"})


def _variant(paragraphs: list[str], variant: str) -> list[str]:
    if variant == "enditem":
        return [*paragraphs[:-1], paragraphs[-1] + " Enditem"]
    if variant == "quotes":  # straight quotes where the first copy has curly ones, and back
        return [
            p.translate(_CURLY) if "“" in p else p.replace("'", "’").replace('"', "“")
            for p in paragraphs
        ]
    if variant == "spacing":
        return [p.replace(", ", ",  ").replace(". ", ".   ") for p in paragraphs]
    if variant == "dash":
        return [p.replace("--", "—", 1) for p in paragraphs]
    if variant:
        raise ValueError(f"unknown variant {variant!r}")
    return paragraphs


@dataclass(frozen=True, slots=True)
class CorpusArticle:
    """One article of the corpus and what the ground truth says about it."""

    key: str
    day: int  # 0, 1, 2: the file it comes from
    story: str
    copy_root: str  # the key of the first copy of its text (its own key when it is the first)
    series: str | None
    not_with: tuple[str, ...]
    article: Article


def _article(entry: Mapping[str, Any], paragraphs: list[str]) -> Article:
    raw_dateline, first = text.split_dateline(paragraphs[0])
    body = "\n\n".join([first.strip(), *paragraphs[1:]])
    canonical = urls.canonical_url(entry["url"])
    return Article(
        article_id=urls.article_id(canonical),
        feed="china_org_cn",
        url=entry["url"],
        canonical_url=canonical,
        title=entry["headline"],
        source="Xinhua",
        published_at=entry["published_at"],
        dateline=raw_dateline.split(",")[0] if raw_dateline else None,
        body=text.strip_trailer(body),
        section=entry["section"],
        content_hash=text.content_hash(body),
        page_date=entry["url"].split("/Off_the_Wire/")[1][:10].replace("/", "-"),
    )


def load_corpus(directory: Path = CORPUS_DIR) -> list[CorpusArticle]:
    """Every article of the corpus, day by day in file order."""
    entries: dict[str, tuple[int, dict[str, Any]]] = {}
    for day, name in enumerate(DAY_FILES):
        for entry in json.loads((directory / name).read_text(encoding="utf-8")):
            if entry["id"] in entries:
                raise ValueError(f"duplicate corpus id {entry['id']}")
            entries[entry["id"]] = (day, entry)

    def paragraphs_of(key: str) -> tuple[str, list[str]]:
        entry = entries[key][1]
        if "copy_of" in entry:
            root, paragraphs = paragraphs_of(entry["copy_of"])
            return root, _variant(paragraphs, entry.get("variant", ""))
        return key, list(entry["body"])

    found = []
    for key, (day, entry) in entries.items():
        root, paragraphs = paragraphs_of(key)
        found.append(
            CorpusArticle(
                key=key,
                day=day,
                story=entry["story"],
                copy_root=root,
                series=entry.get("series"),
                not_with=tuple(entry.get("not_with", ())),
                article=_article(entry, paragraphs),
            )
        )
    return found


def by_day(corpus: Sequence[CorpusArticle]) -> list[list[Article]]:
    days: dict[int, list[Article]] = {}
    for item in corpus:
        days.setdefault(item.day, []).append(item.article)
    return [days[day] for day in sorted(days)]


def must_not_merge(corpus: Sequence[CorpusArticle]) -> set[tuple[str, str]]:
    """Pairs of keys that must stay in different stories: one series' different stories, and
    the `not_with` partners."""
    story = {item.key: item.story for item in corpus}
    pairs: set[tuple[str, str]] = set()
    by_series: dict[str, list[str]] = {}
    for item in corpus:
        if item.series:
            by_series.setdefault(item.series, []).append(item.key)
        for other in item.not_with:
            pairs.add((min(item.key, other), max(item.key, other)))
    for keys in by_series.values():
        for a, b in itertools.combinations(sorted(keys), 2):
            if story[a] != story[b]:
                pairs.add((a, b))
    return pairs


@dataclass(frozen=True, slots=True)
class PairScores:
    """Pairwise precision and recall of one grouping against the truth."""

    precision: float
    recall: float
    true_pairs: int
    found_pairs: int
    missed: list[tuple[str, str]]
    wrong: list[tuple[str, str]]


def pair_scores(truth: Mapping[str, str], found: Mapping[str, str]) -> PairScores:
    """`truth` and `found` map each key to a group label; every pair of keys is one decision."""
    keys = sorted(truth)
    true_pairs = {(a, b) for a, b in itertools.combinations(keys, 2) if truth[a] == truth[b]}
    found_pairs = {(a, b) for a, b in itertools.combinations(keys, 2) if found[a] == found[b]}
    both = true_pairs & found_pairs
    return PairScores(
        precision=len(both) / len(found_pairs) if found_pairs else 1.0,
        recall=len(both) / len(true_pairs) if true_pairs else 1.0,
        true_pairs=len(true_pairs),
        found_pairs=len(found_pairs),
        missed=sorted(true_pairs - found_pairs),
        wrong=sorted(found_pairs - true_pairs),
    )


def keys_by_article_id(corpus: Iterable[CorpusArticle]) -> dict[str, str]:
    return {item.article.article_id: item.key for item in corpus}
