"""Story grouping measured against the local site's answer key over a generated month.

Pairwise precision and recall of "same story" decisions, zero merges among the near-misses the
site makes on purpose (news summaries, daily market closes, stories from one press briefing), and
the same stories whatever the loading order: day by day, days reversed and shuffled, all at once.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from wire_ingest.dedupe import exact, stories
from wire_ingest.models import Article
from wire_ingest.warehouse import engines, load, migrations, tables
from wiresim.generate import build_site, key_article

pytestmark = pytest.mark.slow

BASE = "http://127.0.0.1:8765"
MONTH = (dt.date(2021, 3, 1), dt.date(2021, 3, 30))
PER_DAY = 100
NEAR_MISS_KINDS = frozenset({"summary", "market", "briefing"})


@dataclass(frozen=True, slots=True)
class Scores:
    precision: float
    recall: float
    true_pairs: int
    found_pairs: int
    near_miss_pairs: int
    near_miss_merges: list[tuple[str, str]]


def key_articles(
    start: dt.date, end: dt.date, per_day: int
) -> list[tuple[dict[str, Any], Article]]:
    """The articles a correct parse makes of every page the key says loads, with their key entry."""
    found = []
    for entry in build_site(start, end, per_day=per_day).answer_key(BASE):
        if entry["outcome"] != "load":
            continue
        article = key_article(entry)
        found.append((entry, article))
    return found


def load_in_batches(url: str, batches: Iterable[Sequence[Article]]) -> dict[str, str]:
    """The load step's dedupe -> load -> record calls for each batch; canonical_url -> story_id."""
    return load_with_representatives(url, batches)[0]


def load_with_representatives(
    url: str, batches: Iterable[Sequence[Article]]
) -> tuple[dict[str, str], dict[str, str]]:
    """`load_in_batches`, and each story's representative canonical_url from the `stories` view."""
    engine = engines.make_engine(url)
    try:
        migrations.migrate(engine)
        for number, batch in enumerate(batches):
            result = exact.dedupe_with_warehouse(engine, batch)
            load.load_articles(engine, result.articles, run_id=f"run-{number}")
            assert result.stories is not None
            stories.record_stories(engine, result.stories)
        with engine.connect() as conn:
            query = sa.select(tables.articles.c.canonical_url, tables.articles.c.story_id)
            found = {row.canonical_url: row.story_id for row in conn.execute(query)}
            # the view has one row per story, represented by one of its own versions
            view = conn.execute(sa.text("SELECT story_id, canonical_url FROM stories")).all()
        assert len(view) == len(set(found.values()))
        assert all(found[row.canonical_url] == row.story_id for row in view)
        return found, {row.story_id: row.canonical_url for row in view}
    finally:
        engine.dispose()


def by_day(pairs: Sequence[tuple[dict[str, Any], Article]]) -> list[list[Article]]:
    days: dict[str, list[Article]] = {}
    for entry, article in pairs:
        days.setdefault(entry["page_date"], []).append(article)
    return [days[day] for day in sorted(days)]


def _pairs(groups: Iterable[int]) -> int:
    return sum(n * (n - 1) // 2 for n in groups)


def is_near_miss(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """A pair the site made to look alike: summaries with anything, markets or briefings alike."""
    if "summary" in (a["kind"], b["kind"]):
        return True
    return a["kind"] == b["kind"] and a["kind"] in NEAR_MISS_KINDS


def score(pairs: Sequence[tuple[dict[str, Any], Article]], found: dict[str, str]) -> Scores:
    entries = sorted((entry for entry, _ in pairs), key=lambda e: e["canonical_url"])
    key_groups = Counter(e["story_id"] for e in entries)
    found_groups = Counter(found[e["canonical_url"]] for e in entries)
    both_groups = Counter((e["story_id"], found[e["canonical_url"]]) for e in entries)
    true_pairs, found_pairs = _pairs(key_groups.values()), _pairs(found_groups.values())
    both = _pairs(both_groups.values())
    near = [e for e in entries if e["kind"] in NEAR_MISS_KINDS]
    near_miss_pairs = 0
    near_miss_merges: list[tuple[str, str]] = []
    for a in near:
        for b in entries:
            if a["canonical_url"] == b["canonical_url"] or a["story_id"] == b["story_id"]:
                continue
            if b["kind"] in NEAR_MISS_KINDS and b["canonical_url"] < a["canonical_url"]:
                continue  # each pair of two near-miss pages once
            if is_near_miss(a, b):
                near_miss_pairs += 1
                if found[a["canonical_url"]] == found[b["canonical_url"]]:
                    near_miss_merges.append((a["url"], b["url"]))
    return Scores(
        precision=both / found_pairs if found_pairs else 1.0,
        recall=both / true_pairs if true_pairs else 1.0,
        true_pairs=true_pairs,
        found_pairs=found_pairs,
        near_miss_pairs=near_miss_pairs,
        near_miss_merges=near_miss_merges,
    )


def partition(found: dict[str, str]) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for url, story_id in found.items():
        groups.setdefault(story_id, set()).add(url)
    return {frozenset(group) for group in groups.values()}


@pytest.fixture(scope="module")
def month() -> list[tuple[dict[str, Any], Article]]:
    return key_articles(*MONTH, PER_DAY)


@pytest.fixture(scope="module")
def loaded_month(
    month: list[tuple[dict[str, Any], Article]], tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, str], dict[str, str]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('dedupe') / 'day-by-day.db'}"
    return load_with_representatives(url, by_day(month))


@pytest.fixture(scope="module")
def day_by_day(loaded_month: tuple[dict[str, str], dict[str, str]]) -> dict[str, str]:
    return loaded_month[0]


def test_the_latest_fullest_version_represents_its_story(
    month: list[tuple[dict[str, Any], Article]],
    loaded_month: tuple[dict[str, str], dict[str, str]],
) -> None:
    found, representative = loaded_month
    kind = {entry["canonical_url"]: entry["kind"] for entry, _ in month}
    members: dict[str, set[str]] = {}
    for url, story_id in found.items():
        members.setdefault(story_id, set()).add(kind[url])
    checked = 0
    for story_id, kinds in members.items():
        if "urgent" in kinds:
            expected = "update" if "update" in kinds else "writethru"
            assert kind[representative[story_id]] == expected, story_id
            checked += 1
    assert checked >= 20


def test_month_day_by_day_matches_the_key(
    month: list[tuple[dict[str, Any], Article]], day_by_day: dict[str, str]
) -> None:
    scores = score(month, day_by_day)
    print(f"\nSQLite, {len(month)} articles over 30 days: {scores}")
    kinds = {entry["kind"] for entry, _ in month}
    assert {"urgent", "writethru", "update", "summary", "market", "briefing"} <= kinds
    assert scores.true_pairs >= 200 and scores.near_miss_pairs >= 1_000
    assert scores.precision >= 0.99
    assert scores.recall >= 0.95
    assert scores.near_miss_merges == []


def test_any_loading_order_gives_the_same_stories(
    month: list[tuple[dict[str, Any], Article]],
    day_by_day: dict[str, str],
    tmp_path: Any,
) -> None:
    rng = random.Random(4)
    days = by_day(month)
    rng.shuffle(days)
    for day in days:
        rng.shuffle(day)
    shuffled_days = load_in_batches(f"sqlite:///{tmp_path / 'shuffled.db'}", days)
    everything = [article for _, article in month]
    rng.shuffle(everything)
    at_once = load_in_batches(f"sqlite:///{tmp_path / 'at-once.db'}", [everything])
    # The same groups and the same ids (a story is named after its earliest version).
    assert shuffled_days == day_by_day
    assert at_once == day_by_day
    assert len(partition(day_by_day)) < len(day_by_day)


@pytest.mark.postgres
def test_postgres_groups_like_sqlite(migrated_postgres_schema_url: str, tmp_path: Any) -> None:
    pairs = key_articles(MONTH[0], MONTH[0] + dt.timedelta(days=6), 80)
    on_postgres = load_in_batches(migrated_postgres_schema_url, by_day(pairs))
    on_sqlite = load_in_batches(f"sqlite:///{tmp_path / 'week.db'}", by_day(pairs))
    assert on_postgres == on_sqlite
    scores = score(pairs, on_postgres)
    print(f"\nPostgreSQL, {len(pairs)} articles over 7 days: {scores}")
    assert scores.precision >= 0.99 and scores.recall >= 0.95
    assert scores.near_miss_merges == []
