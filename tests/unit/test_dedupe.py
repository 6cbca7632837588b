"""Exact dedupe: same-URL merging, duplicate representatives, and order independence."""

from __future__ import annotations

import dataclasses
import hashlib
import random

import pytest

from wire_ingest.dedupe.exact import dedupe_articles, merge_same_url
from wire_ingest.models import Article
from wire_ingest.urls import article_id
from wire_ingest.warehouse.queries import KnownArticle

BASE = "http://www.china.org.cn/world/Off_the_Wire"


def make_article(
    content_id: int,
    body: str,
    *,
    day: str = "2020-12-23",
    url: str | None = None,
    duplicate_of: str | None = None,
) -> Article:
    canonical = f"{BASE}/{day[:7]}/{day[8:]}/content_{content_id}.htm"
    return Article(
        article_id=article_id(canonical),
        feed="china_org_cn",
        url=url or canonical,
        canonical_url=canonical,
        title=f"Story {content_id}",
        source="Xinhua",
        published_at=f"{day}T00:00:00+08:00",
        dateline="BEIJING",
        body=body,
        section="world",
        content_hash=hashlib.sha256(body.encode()).hexdigest(),
        page_date=day,
        duplicate_of=duplicate_of,
    )


def known(article: Article, duplicate_of: str | None = None) -> KnownArticle:
    return KnownArticle(
        article_id=article.article_id,
        canonical_url=article.canonical_url,
        content_hash=article.content_hash,
        duplicate_of=duplicate_of,
        published_at=article.published_at,
    )


def by_url(articles: list[Article]) -> dict[str, Article]:
    return {a.canonical_url: a for a in articles}


def test_distinct_articles_pass_through_unmarked() -> None:
    batch = [make_article(1, "one"), make_article(2, "two")]
    result = dedupe_articles(batch, [])
    assert sorted(result.articles, key=lambda a: a.canonical_url) == sorted(
        batch, key=lambda a: a.canonical_url
    )
    assert (result.duplicates, result.same_url_merged) == (0, 0)


def test_same_canonical_url_keeps_longest_body() -> None:
    short = make_article(1, "Short urgent copy.", url=f"{BASE}/2020-12/23/content_1.htm")
    long = make_article(
        1, "Short urgent copy. With the writethru paragraph.", url="https://www.china.org.cn/x"
    )
    result = dedupe_articles([short, long], [])
    assert result.same_url_merged == 1
    assert result.duplicates == 0
    assert [a.body for a in result.articles] == [long.body]


def test_same_url_tie_goes_to_smallest_url() -> None:
    first = make_article(1, "same length A", url="http://a.example/1")
    second = make_article(1, "same length B", url="http://b.example/1")
    for batch in ([first, second], [second, first]):
        assert merge_same_url(batch) == [first]


def test_repeated_body_points_at_earliest_page_date_then_smallest_url() -> None:
    later = make_article(5, "the same copy", day="2020-12-24")
    earliest_b = make_article(9, "the same copy", day="2020-12-23")
    earliest_a = make_article(7, "the same copy", day="2020-12-23")
    other = make_article(8, "different copy", day="2020-12-23")
    result = dedupe_articles([later, earliest_b, earliest_a, other], [])
    got = by_url(result.articles)
    assert got[earliest_a.canonical_url].duplicate_of is None
    assert got[earliest_b.canonical_url].duplicate_of == earliest_a.article_id
    assert got[later.canonical_url].duplicate_of == earliest_a.article_id
    assert got[other.canonical_url].duplicate_of is None
    assert result.duplicates == 2
    assert len(result.articles) == 4  # duplicates are loaded too


def test_known_warehouse_article_is_the_representative() -> None:
    stored = make_article(1, "copy seen yesterday", day="2020-12-22")
    new_a = make_article(3, "copy seen yesterday", day="2020-12-23")
    new_b = make_article(2, "copy seen yesterday", day="2020-12-23")
    result = dedupe_articles([new_a, new_b], [known(stored)])
    assert {a.duplicate_of for a in result.articles} == {stored.article_id}
    assert result.duplicates == 2


def test_known_duplicate_resolves_to_its_representative() -> None:
    root = make_article(1, "copy", day="2020-12-21")
    stored_dup = make_article(2, "copy", day="2020-12-22")
    new = make_article(3, "copy", day="2020-12-23")
    result = dedupe_articles([new], [known(root), known(stored_dup, root.article_id)])
    assert result.articles[0].duplicate_of == root.article_id


def test_a_pointer_at_a_row_that_is_no_copy_any_more_is_not_followed() -> None:
    # known_articles fetches every stored copy of the text: a root it did not find is gone or
    # has another text now, so the earliest copy that is still there represents the text.
    root = make_article(1, "copy", day="2020-12-21")
    stored_dup = make_article(2, "copy", day="2020-12-22")
    new = make_article(3, "copy", day="2020-12-23")
    result = dedupe_articles([new], [known(stored_dup, root.article_id)])
    assert result.articles[0].duplicate_of == stored_dup.article_id
    assert result.repoint == {stored_dup.article_id: None}


def test_an_earlier_copy_arriving_later_takes_over_and_repoints_the_stored_ones() -> None:
    first = make_article(1, "copy", day="2020-12-21")
    second = make_article(2, "copy", day="2020-12-22")
    third = make_article(3, "copy", day="2020-12-23")
    stored = [known(second), known(third, second.article_id)]
    result = dedupe_articles([first], stored)
    assert result.articles[0].duplicate_of is None
    assert result.repoint == {
        second.article_id: first.article_id,
        third.article_id: first.article_id,
    }


def test_reloading_an_article_does_not_make_it_a_duplicate_of_itself() -> None:
    article = make_article(1, "copy")
    result = dedupe_articles([article], [known(article)])
    assert result.articles[0].duplicate_of is None
    assert result.duplicates == 0


def test_rerun_of_a_batch_gives_the_same_marks() -> None:
    a = make_article(1, "copy")
    b = make_article(2, "copy")
    first = dedupe_articles([a, b], [])
    stored = [known(x, x.duplicate_of) for x in first.articles]
    second = dedupe_articles([b, a], stored)
    assert second.articles == first.articles


def test_rerun_of_an_earlier_day_keeps_its_article_the_representative() -> None:
    root = make_article(1, "copy", day="2020-12-21")
    later = make_article(2, "copy", day="2020-12-22")
    stored = [known(root), known(later, root.article_id)]
    result = dedupe_articles([root], stored)
    assert result.articles[0].duplicate_of is None


def test_changed_body_leaves_its_old_duplicates_group() -> None:
    # Stored: a is the representative of "old copy", b its duplicate. a now has a new body.
    a_old = make_article(1, "old copy")
    b = make_article(2, "old copy")
    a_new = make_article(1, "new copy, corrected")
    new_c = make_article(3, "old copy")
    stored = [known(a_old), known(b, a_old.article_id)]
    result = dedupe_articles([a_new, new_c], stored)
    got = by_url(result.articles)
    assert got[a_new.canonical_url].duplicate_of is None
    # b's pointer at a is stale (a's body changed): b itself now stands for "old copy".
    assert got[new_c.canonical_url].duplicate_of == b.article_id


def test_incoming_duplicate_mark_is_recomputed() -> None:
    stale = make_article(1, "unique copy", duplicate_of="somebody")
    assert dedupe_articles([stale], []).articles[0].duplicate_of is None


def test_empty_hash_is_never_a_duplicate() -> None:
    a = dataclasses.replace(make_article(1, "x"), content_hash="")
    b = dataclasses.replace(make_article(2, "y"), content_hash="")
    assert dedupe_articles([a, b], []).duplicates == 0


@pytest.mark.parametrize("seed", range(25))
def test_any_input_order_gives_the_same_result(seed: int) -> None:
    rng = random.Random(seed)
    bodies = ["alpha copy", "beta copy", "gamma copy", "alpha copy with writethru"]
    batch: list[Article] = []
    for content_id in range(1, 30):
        day = f"2020-12-{rng.choice([22, 23, 24])}"
        body = rng.choice(bodies)
        batch.append(make_article(content_id, body, day=day))
        if rng.random() < 0.3:  # the same page reached through another link, maybe shorter
            batch.append(
                make_article(
                    content_id,
                    body[: rng.randint(1, len(body))],
                    day=day,
                    url=f"http://alias/{content_id}/{rng.random()}",
                )
            )
    stored = [known(make_article(100, "beta copy", day="2020-12-20"))]
    expected = dedupe_articles(batch, stored)
    for _ in range(5):
        shuffled = batch[:]
        rng.shuffle(shuffled)
        assert dedupe_articles(shuffled, list(reversed(stored))) == expected
    assert expected.same_url_merged == len(batch) - len({a.canonical_url for a in batch})
    assert all(
        a.duplicate_of == stored[0].article_id
        for a in expected.articles
        if a.content_hash == stored[0].content_hash
    )


def test_two_stored_representatives_of_one_body_resolve_the_same_way_in_any_order() -> None:
    # Two runs at once can each store a representative for the same body.
    root_a = make_article(1, "copy", day="2020-12-21")
    root_b = make_article(2, "copy", day="2020-12-21")
    new = [make_article(3, "copy"), make_article(4, "copy")]
    stored = [known(root_a), known(root_b)]
    first = dedupe_articles(new, stored)
    second = dedupe_articles(list(reversed(new)), list(reversed(stored)))
    assert first == second
    assert len({a.duplicate_of for a in first.articles}) == 1
    assert first.articles[0].duplicate_of in {root_a.article_id, root_b.article_id}
