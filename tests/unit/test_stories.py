"""Story grouping: version labels, the same-story rule, order independence, the persisted LSH index."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import random
from pathlib import Path

import pytest
import sqlalchemy as sa
from story_corpus import load_corpus

from wire_ingest import text, urls
from wire_ingest.dedupe import exact, stories
from wire_ingest.models import Article
from wire_ingest.versions import headline_version
from wire_ingest.warehouse import engines, load, migrations, tables
from wiresim import prose

LEAD = (
    "A 6.1-magnitude earthquake jolted the southern coast of Peru at 4:12 a.m. local time on"
    " Wednesday, the country's geophysical institute said."
)
MORE = [
    "No casualties or damage to property have been reported so far, the institute said, adding"
    " that the epicenter was located 35 km west of the port city at a depth of 28 km.",
    "Residents of the coastal towns left their homes and gathered in open spaces as the ground"
    " shook for nearly a minute, according to local radio stations.",
    "Peru sits on the Pacific Ring of Fire, where tectonic plates collide and frequent"
    " earthquakes and volcanic eruptions occur, and it records hundreds of tremors a year.",
    "The government has sent teams to assess the condition of roads, bridges and schools in the"
    " three provinces closest to the epicenter, the civil defense office said.",
]


def make_article(content_id: int, title: str, body: str, *, day: str = "2020-12-23") -> Article:
    url = f"http://www.china.org.cn/world/Off_the_Wire/{day[:7]}/{day[8:]}/content_{content_id}.htm"
    return Article(
        article_id=urls.article_id(url),
        feed="china_org_cn",
        url=url,
        canonical_url=url,
        title=title,
        source="Xinhua",
        published_at=f"{day}T00:00:00+08:00",
        dateline="LIMA",
        body=body,
        section="world",
        content_hash=text.content_hash(body),
        page_date=day,
    )


def features(article: Article) -> stories.StoryFeatures:
    return stories.story_features(article)


@pytest.mark.parametrize(
    ("title", "kind", "rank"),
    [
        ("Urgent: Quake jolts Peru", "urgent", 0),
        ("Quake jolts Peru", "", 1),
        ("Update: Quake jolts Peru", "update", 2),
        ("Writethru: Quake jolts Peru", "writethru", 2),
        ("1st LD Writethru: Quake jolts Peru", "ld_writethru", 3),
        ("1st LD: Quake jolts Peru", "ld_writethru", 3),
        ("2nd LD Writethru: Quake jolts Peru", "ld_writethru", 4),
        ("3rd LD-Writethru: Quake jolts Peru", "ld_writethru", 5),
        ("Roundup: Quake jolts Peru", "roundup", 20),
        ("Feature: Peru rebuilds", "", 1),
        ("Interview: Peru's envoy says ties key", "", 1),
        ("", "", 1),
    ],
)
def test_headline_prefix_gives_version(title: str, kind: str, rank: int) -> None:
    version = headline_version(title)
    assert (version.kind, version.rank) == (kind, rank)


def test_versions_of_one_story_are_the_same_story() -> None:
    urgent = make_article(1, "Urgent: 6.1-magnitude quake jolts Peru", LEAD)
    writethru = make_article(
        2, "1st LD Writethru: 6.1-magnitude quake jolts Peru", "\n\n".join([LEAD, *MORE])
    )
    second = make_article(
        3,
        "2nd LD Writethru: 6.1-magnitude quake jolts Peru",
        "\n\n".join([LEAD + " Two people were injured, police said.", *MORE, "Aftershocks hit."]),
    )
    copy = make_article(4, "Strong quake hits Peru's coast", writethru.body.replace('"', "``"))
    assert stories.same_story(features(urgent), features(writethru)) == "contained"
    assert stories.same_story(features(writethru), features(second)) in (
        "contained",
        "near_duplicate",
    )
    assert stories.same_story(features(writethru), features(copy)) == "near_duplicate"
    # the lead's opening words are one LSH key for all three versions
    end = stories.BODY_BANDS + stories.LEAD_BANDS
    lead_buckets = [
        set(features(a).buckets[stories.BODY_BANDS : end]) for a in (urgent, writethru, second)
    ]
    assert lead_buckets[0] == lead_buckets[1] == lead_buckets[2]


def test_news_summaries_share_items_but_are_not_one_story() -> None:
    items = [f"CITY{i} -- {text}" for i, text in enumerate([LEAD, *MORE])]
    at_0300 = make_article(
        5, "Xinhua world news summary at 0300 GMT, Dec. 23", "\n\n- - - -\n\n".join(items[:4])
    )
    at_0600 = make_article(
        6, "Xinhua world news summary at 0600 GMT, Dec. 23", "\n\n- - - -\n\n".join(items[2:])
    )
    urgent = make_article(7, "Urgent: 6.1-magnitude quake jolts Peru", LEAD)
    assert stories.is_digest(at_0300.title, at_0300.body)
    assert stories.same_story(features(at_0300), features(at_0600)) is None
    # the urgent's whole text is in the summary, yet a summary is never a version of a story
    assert stories.same_story(features(urgent), features(at_0300)) is None
    republished = make_article(8, at_0300.title, at_0300.body)
    assert stories.same_story(features(at_0300), features(republished)) == "near_duplicate"


def test_market_closes_of_different_days_are_not_one_story() -> None:
    reports = [prose.market_report(random.Random(seed), dt.date(2021, 3, 1)) for seed in range(12)]
    found = [
        make_article(10 + i, r.title, "\n\n".join(p.text for p in r.paragraphs))
        for i, r in enumerate(reports)
    ]
    for i, a in enumerate(found):
        for b in found[i + 1 :]:
            assert stories.same_story(features(a), features(b)) is None
            assert stories.jaccard(features(a).shingles, features(b).shingles) > 0.3  # a near miss


def test_two_stories_from_one_briefing_are_not_one_story() -> None:
    first, second = prose.briefing_pair(random.Random(3), dt.date(2021, 3, 2))
    a = make_article(30, first.title, "\n\n".join(p.text for p in first.paragraphs))
    b = make_article(31, second.title, "\n\n".join(p.text for p in second.paragraphs))
    assert set(a.body.split("\n\n")) & set(b.body.split("\n\n"))  # shared quotes
    assert stories.same_story(features(a), features(b)) is None


def _family() -> list[Article]:
    urgent = make_article(100, "Urgent: 6.1-magnitude quake jolts Peru", LEAD)
    writethru = make_article(101, "1st LD Writethru: Quake jolts Peru", "\n\n".join([LEAD, *MORE]))
    copy = make_article(102, "Strong quake hits Peru", writethru.body, day="2020-12-24")
    other = make_article(
        103,
        "Peru's exports rise 8 pct in November",
        "Peru's exports rose 8 percent year on year in November on higher copper shipments,"
        " the central bank said on Wednesday.\n\nMining exports, which account for about 60"
        " percent of the total, grew 11 percent, while farm exports were flat.",
    )
    week_later = make_article(
        104, "Quake jolts Peru", "\n\n".join([LEAD, *MORE[:3]]), day="2020-12-30"
    )
    return [urgent, writethru, copy, other, week_later]


def test_grouping_does_not_depend_on_input_order() -> None:
    family = [features(a) for a in _family()]
    expected, _, _ = stories.group_stories(family, [], {}, {})
    ids = {a.article_id: a for a in _family()}
    assert expected[ids[next(iter(ids))].article_id] == _family()[0].article_id
    assert len(set(expected.values())) == 2
    for seed in range(10):
        shuffled = family[:]
        random.Random(seed).shuffle(shuffled)
        assert stories.group_stories(shuffled, [], {}, {})[0] == expected


def _load(engine: sa.Engine, batch: list[Article], run_id: str) -> exact.DedupeResult:
    result = exact.dedupe_with_warehouse(engine, batch)
    load.load_articles(engine, result.articles, run_id=run_id)
    assert result.stories is not None
    stories.record_stories(engine, result.stories)
    return result


def _story_ids(engine: sa.Engine) -> dict[str, str]:
    with engine.connect() as conn:
        query = sa.select(tables.articles.c.article_id, tables.articles.c.story_id)
        return {row.article_id: row.story_id for row in conn.execute(query)}


@pytest.mark.parametrize("order", ["by_day", "reversed", "one_batch"])
def test_warehouse_stories_are_the_same_in_any_loading_order(tmp_path: Path, order: str) -> None:
    engine = engines.make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    migrations.migrate(engine)
    family = _family()
    days = sorted({a.page_date for a in family})
    batches = [[a for a in family if a.page_date == day] for day in days]
    if order == "reversed":
        batches.reverse()
    elif order == "one_batch":
        batches = [family]
    for number, batch in enumerate(batches):
        _load(engine, batch, f"run-{number}")
    urgent, writethru, copy, other, week_later = family
    found = _story_ids(engine)
    assert found[urgent.article_id] == urgent.article_id  # the earliest version names the story
    for article in (writethru, copy, week_later):
        assert found[article.article_id] == urgent.article_id
    assert found[other.article_id] == other.article_id
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT story_id, article_id, versions FROM stories ORDER BY story_id")
        ).all()
        buckets = conn.execute(sa.select(sa.func.count()).select_from(tables.article_lsh_buckets))
        # every article's buckets once (a re-run replaces them)
        assert buckets.scalar_one() == sum(len(features(a).buckets) for a in family)
    # one row per story; the representative is the highest-ranked, longest version
    assert {(r.story_id, r.article_id, r.versions) for r in rows} == {
        (urgent.article_id, writethru.article_id, 4),
        (other.article_id, other.article_id, 1),
    }
    engine.dispose()


def test_a_rerun_changes_no_story(tmp_path: Path) -> None:
    engine = engines.make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    migrations.migrate(engine)
    family = _family()
    _load(engine, family, "first")
    before = _story_ids(engine)
    again = exact.dedupe_with_warehouse(engine, family)
    counts = load.load_articles(engine, again.articles, run_id="second")
    assert counts.updated == 0 and again.stories is not None and not again.stories.relabel
    assert _story_ids(engine) == before
    engine.dispose()


def test_ensure_schema_upgrades_an_older_articles_table(tmp_path: Path) -> None:
    engine = engines.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    old = sa.MetaData()
    keep = [
        c.name
        for c in tables.articles.columns
        if c.name not in ("story_id", "version_kind", "version_rank")
    ]
    sa.Table("articles", old, *(c._copy() for c in tables.articles.columns if c.name in keep))
    old.create_all(engine)
    migrations.migrate(engine)
    migrations.migrate(engine)  # idempotent
    with engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("articles")}
        indexes = {i["name"] for i in sa.inspect(conn).get_indexes("articles")}
    assert {"story_id", "version_kind", "version_rank"} <= columns
    assert "ix_articles_story_id" in indexes
    _load(engine, _family()[:2], "after-upgrade")
    assert len(set(_story_ids(engine).values())) == 1
    engine.dispose()


def test_may_link_is_false_only_for_pairs_the_decision_leaves_apart() -> None:
    """The grouping skips the full decision where `may_link` says no: on the hand-written corpus
    (versions, copies, templated series, summaries), every pair it rules out is one that
    `link_decision` does not link, and it rules out most of the unlinked ones."""
    corpus = [features(item.article) for item in load_corpus()]
    ruled_out = unlinked = 0
    for a, b in itertools.combinations(corpus, 2):
        rule = stories.link_decision(a, b).rule
        assert stories.may_link(a, b) == stories.may_link(b, a)
        if not stories.may_link(a, b):
            ruled_out += 1
            assert rule == "", (a.article_id, b.article_id, rule)
        if not rule:
            unlinked += 1
    assert ruled_out > unlinked / 2


def test_features_handed_over_are_the_features(tmp_path: Path) -> None:
    """What the dedupe step hands the load step (JSON rows) gives back equal features, and a
    grouping on them is the grouping on freshly computed ones; a changed text is computed anew."""
    engine = engines.make_engine(f"sqlite:///{tmp_path}/w.db")
    migrations.migrate(engine)
    day1, day2 = _family()[:3], _family()[3:]
    _load(engine, day1, "run-1")
    fresh = exact.dedupe_with_warehouse(engine, day2)
    assert fresh.stories is not None
    rows = [json.loads(json.dumps(r)) for r in stories.features_rows(fresh.stories)]
    known = stories.features_from_rows(rows)
    assert len(known) == len(day2)
    for article in fresh.articles:
        assert known[stories.features_key(article)] == stories.story_features(article)
    again = exact.dedupe_with_warehouse(engine, day2, known)
    assert again == fresh
    edited = [dataclasses.replace(a, body=a.body + "\n\nA new paragraph.") for a in day2]
    assert all(stories.features_key(a) not in known for a in edited)


def test_handed_over_sets_keep_every_member() -> None:
    """Sets are handed over as lines where they can be: an empty set, an empty member and a
    member with a line break come back as they were."""
    base = features(make_article(1, "Quake jolts Peru", "\n\n".join([LEAD, *MORE])))
    for odd in (frozenset(), frozenset({""}), frozenset({"a\nb", "c"}), frozenset({"", "x"})):
        article = make_article(2, "Quake jolts Peru", LEAD)
        handed = dataclasses.replace(base, article_id=article.article_id, entities=odd, topic=odd)
        assignment = stories.StoryAssignment(
            articles=[article],
            relabel={},
            links=[],
            buckets={},
            candidates_checked=0,
            features={article.article_id: handed},
        )
        rows = [json.loads(json.dumps(r)) for r in stories.features_rows(assignment)]
        assert stories.features_from_rows(rows) == {stories.features_key(article): handed}
