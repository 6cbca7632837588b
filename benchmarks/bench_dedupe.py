"""Dedupe throughput (articles/s) with 1k, 10k and 100k articles already in the warehouse.

One day of the local site (a batch like a daily run's) goes through what the load step does:
exact dedupe + story grouping against the warehouse's persisted LSH index, the upsert, and the
index write. The warehouse is first filled with distinct generated stories (and their LSH
buckets). The time per article should stay flat as the warehouse grows: the lookups are indexed
queries on (bucket) and (article_id), never a scan of the history.

It also measures story linking: pair precision and recall on the hand-written corpus
(tests/fixtures/stories) and on a generated month, each loaded day by day.

python -m benchmarks.bench_dedupe [--quick] [--backend postgresql]
# prints the table, writes benchmarks/results/dedupe.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pickle
import random
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

FIGURE = "Dedupe"
RESULTS = Path(__file__).resolve().parent / "results" / "dedupe.json"
BASE_URL = "http://127.0.0.1:8765"
HISTORY_START = dt.date(2015, 1, 1)  # the filler history is older than any measured day
MEASURED_DAYS = dt.date(2021, 3, 1)
PER_DAY = 240
CHUNK = 2_000


# ---------------------------------------------------------------- the history


Buckets = tuple[tuple[int, int], ...]  # (band, bucket) of one article


def _history_chunk(bounds: tuple[int, int]) -> list[tuple[dict[str, Any], Buckets]]:
    """Articles start..end of the filler history (deterministic) with their LSH buckets."""
    from wire_ingest import text, urls
    from wire_ingest.dedupe import stories
    from wire_ingest.models import Article
    from wire_ingest.warehouse import load
    from wiresim import prose

    start, end = bounds
    rng = random.Random(f"bench-dedupe/{start}")
    found = []
    for number in range(start, end):
        day = HISTORY_START + dt.timedelta(days=number // PER_DAY)
        story = prose.make_story(rng, day)
        body = "\n\n".join(p.text for p in story.paragraphs).removeprefix(story.dateline_prefix)
        url = (
            f"http://www.china.org.cn/world/Off_the_Wire/{day:%Y-%m}/{day:%d}/"
            f"content_{60_000_000 + number}.htm"
        )
        article = Article(
            article_id=urls.article_id(url),
            feed="china_org_cn",
            url=url,
            canonical_url=url,
            title=story.title,
            source="Xinhua",
            published_at=f"{day.isoformat()}T00:00:00+08:00",
            dateline=story.dateline,
            body=body,
            section="world",
            content_hash=text.content_hash(body),
            page_date=day.isoformat(),
        )
        article = Article.from_dict({**article.to_dict(), "story_id": article.article_id})
        features = stories.story_features(article)
        found.append(
            (load.article_row(article), tuple(zip(features.bands, features.buckets, strict=True)))
        )
    return found


def history(first: int, end: int, cache: Path) -> Iterator[list[tuple[dict[str, Any], Buckets]]]:
    """Filler articles first..end in chunks: generated on every core once, then read from `cache`."""
    bounds = [(start, min(end, start + CHUNK)) for start in range(first, end, CHUNK)]
    missing = [b for b in bounds if not (cache / f"{b[0]}-{b[1]}.pickle").exists()]
    if missing:
        with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            for (start, stop), chunk in zip(
                missing, pool.map(_history_chunk, missing), strict=True
            ):
                (cache / f"{start}-{stop}.pickle").write_bytes(pickle.dumps(chunk))
    for start, stop in bounds:
        yield pickle.loads((cache / f"{start}-{stop}.pickle").read_bytes())


def _fill(engine: Any, chunk: Sequence[tuple[dict[str, Any], Buckets]]) -> None:
    """Bulk-insert filler articles and their buckets (plain INSERTs: the rows are new)."""
    from wire_ingest.warehouse import engines, tables

    seen_at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    rows = [
        {
            **row,
            "first_seen_at": seen_at,
            "last_seen_at": seen_at,
            "first_run_id": "bench",
            "last_run_id": "bench",
        }
        for row, _ in chunk
    ]
    buckets = [
        {"bucket": bucket, "band": band, "article_id": row["article_id"]}
        for row, found in chunk
        for band, bucket in found
    ]
    with engines.write_transaction(engine) as conn:
        conn.execute(tables.articles.insert(), rows)
        conn.execute(
            engines.dialect_insert(conn, tables.article_lsh_buckets).on_conflict_do_nothing(),
            buckets,
        )


# ---------------------------------------------------------------- one measurement


def day_batch(day: dt.date) -> list[Any]:
    """A day of the local site as a correct parse gives it: what a daily run dedupes."""
    from wiresim.generate import build_site, key_article

    found = []
    for entry in build_site(day, day, per_day=PER_DAY).answer_key(BASE_URL):
        if entry["outcome"] != "load":
            continue
        found.append(key_article(entry))
    return found


def dedupe_and_load(engine: Any, batch: Sequence[Any], run_id: str) -> dict[str, float]:
    """The load step's dedupe work on one batch; seconds for the dedupe part and the whole."""
    from wire_ingest.dedupe import exact, stories
    from wire_ingest.warehouse import load

    started = time.perf_counter()
    result = exact.dedupe_with_warehouse(engine, batch)
    deduped = time.perf_counter()
    load.load_articles(engine, result.articles, run_id=run_id, repoint=result.repoint)
    assert result.stories is not None
    stories.record_stories(engine, result.stories)
    finished = time.perf_counter()
    return {
        "dedupe_s": deduped - started,
        "total_s": finished - started,
        "candidates": float(result.stories.candidates_checked),
    }


@contextmanager
def warehouse(backend: str) -> Iterator[str]:
    """A fresh warehouse URL: a SQLite file, or a throwaway schema on the PostgreSQL server."""
    if backend == "sqlite":
        with TemporaryDirectory(prefix="bench-dedupe-") as folder:
            yield f"sqlite:///{folder}/warehouse.db"
        return
    from benchmarks.day import postgres_schema

    with postgres_schema() as url:
        yield url


def measure_backend(
    backend: str, sizes: Sequence[int], repeats: int, cache: Path
) -> list[dict[str, Any]]:
    """Per warehouse size: median seconds per article over `repeats` distinct days."""
    from wire_ingest.warehouse import engines, migrations

    levels: list[dict[str, Any]] = []
    with warehouse(backend) as url:
        engine = engines.make_engine(url)
        try:
            migrations.migrate(engine)
            filled = 0
            fill_seconds = 0.0
            day = MEASURED_DAYS
            # warm-up (imports, MinHash permutations, connection pool): not measured
            dedupe_and_load(engine, day_batch(day - dt.timedelta(days=1)), "bench-warmup")
            for size in sizes:
                started = time.perf_counter()
                print(f"dedupe bench: {backend}, filling to {size:,}", file=sys.stderr)
                for chunk in history(filled, size, cache):
                    _fill(engine, chunk)
                filled = max(filled, size)
                with engines.write_transaction(engine) as conn:
                    conn.exec_driver_sql("ANALYZE")  # fresh planner statistics, as autovacuum keeps
                fill_seconds += time.perf_counter() - started
                runs = []
                for _ in range(repeats):
                    batch = day_batch(day)
                    figures = dedupe_and_load(engine, batch, f"bench-{day}")
                    runs.append({**figures, "articles": len(batch)})
                    day += dt.timedelta(days=1)
                per_article = statistics.median(r["total_s"] / r["articles"] for r in runs)
                dedupe_only = statistics.median(r["dedupe_s"] / r["articles"] for r in runs)
                levels.append(
                    {
                        "backend": backend,
                        "in_warehouse": size,
                        "batch": runs[0]["articles"],
                        "ms_per_article": round(per_article * 1000, 3),
                        "dedupe_ms_per_article": round(dedupe_only * 1000, 3),
                        "articles_per_s": round(1 / per_article, 1),
                        "candidates_per_article": round(
                            statistics.median(r["candidates"] / r["articles"] for r in runs), 3
                        ),
                        "fill_s": round(fill_seconds, 1),
                    }
                )
        finally:
            engine.dispose()
    return levels


# ---------------------------------------------------------------- accuracy


def _load_days(days: Sequence[Sequence[Any]]) -> dict[str, tuple[str, str | None]]:
    """Load the days one by one into a fresh SQLite warehouse; article_id -> (story, copy of)."""
    import sqlalchemy as sa

    from wire_ingest.warehouse import engines, migrations, tables

    with TemporaryDirectory(prefix="bench-dedupe-accuracy-") as folder:
        engine = engines.make_engine(f"sqlite:///{folder}/warehouse.db")
        try:
            migrations.migrate(engine)
            for number, day in enumerate(days):
                dedupe_and_load(engine, day, f"accuracy-{number}")
            a = tables.articles
            with engine.connect() as conn:
                query = sa.select(a.c.article_id, a.c.story_id, a.c.duplicate_of)
                return {r.article_id: (r.story_id, r.duplicate_of) for r in conn.execute(query)}
        finally:
            engine.dispose()


def accuracy() -> dict[str, Any]:
    """Same-story and exact-copy pair precision/recall, each corpus loaded day by day: the
    hand-written corpus (tests/fixtures/stories) and a generated month of the local site."""
    from tests.story_corpus import by_day, load_corpus, must_not_merge, pair_scores
    from wiresim.generate import build_site, key_article

    found: dict[str, Any] = {}
    corpus = load_corpus()
    rows = _load_days(by_day(corpus))
    key = {item.article.article_id: item.key for item in corpus}
    story = {key[article_id]: key[s] for article_id, (s, _) in rows.items()}
    copy = {
        key[article_id]: key[c] if c else key[article_id] for article_id, (_, c) in rows.items()
    }
    stories_found = pair_scores({i.key: i.story for i in corpus}, story)
    copies_found = pair_scores({i.key: i.copy_root for i in corpus}, copy)
    forbidden = must_not_merge(corpus)
    found["hand_written"] = {
        "articles": len(corpus),
        "story_precision": round(stories_found.precision, 4),
        "story_recall": round(stories_found.recall, 4),
        "story_pairs": stories_found.true_pairs,
        "copy_precision": round(copies_found.precision, 4),
        "copy_recall": round(copies_found.recall, 4),
        "copy_pairs": copies_found.true_pairs,
        "must_not_merge_pairs": len(forbidden),
        "must_not_merge_merged": sum(1 for a, b in forbidden if story[a] == story[b]),
    }
    days: dict[str, list[Any]] = {}
    truth: dict[str, str] = {}
    for entry in build_site(
        MEASURED_DAYS, MEASURED_DAYS + dt.timedelta(days=29), per_day=100
    ).answer_key(BASE_URL):
        if entry["outcome"] == "load":
            article = key_article(entry)
            days.setdefault(entry["page_date"], []).append(article)
            truth[article.article_id] = entry["story_id"]
    rows = _load_days([days[day] for day in sorted(days)])
    generated = pair_scores(truth, {article_id: s for article_id, (s, _) in rows.items()})
    found["generated"] = {
        "articles": len(truth),
        "story_precision": round(generated.precision, 4),
        "story_recall": round(generated.recall, 4),
        "story_pairs": generated.true_pairs,
    }
    return found


def run(quick: bool = False, backend: str | None = None) -> dict[str, Any]:
    """The benchmark for `benchmarks.run`: rows for the table plus the raw levels."""
    sizes = (1_000, 5_000) if quick else (1_000, 10_000, 100_000)
    backends = ("sqlite",) if quick else ("sqlite", "postgresql")
    if backend is not None:
        backends = (backend,)
    repeats = 2 if quick else 3
    result: dict[str, Any] = {"sizes": list(sizes), "batch_per_day": PER_DAY, "levels": []}
    rows: list[dict[str, Any]] = []
    with TemporaryDirectory(prefix="bench-dedupe-history-") as cache:
        for backend in backends:
            rows.extend(_measure(backend, sizes, repeats, Path(cache), result))
    result["accuracy"] = accuracy()
    for corpus, scores in result["accuracy"].items():
        for measure in ("story_precision", "story_recall", "copy_precision", "copy_recall"):
            if measure in scores:
                rows.append(
                    {
                        "figure": FIGURE,
                        "measure": f"{corpus} corpus, {measure.replace('_', ' ')}",
                        "value": scores[measure],
                        "unit": "ratio",
                        "note": f"{scores['articles']} articles loaded day by day",
                    }
                )
    result["rows"] = rows
    return result


def _measure(
    backend: str, sizes: Sequence[int], repeats: int, cache: Path, result: dict[str, Any]
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    try:
        levels = measure_backend(backend, sizes, repeats, cache)
    except Exception as exc:  # e.g. no PostgreSQL server: say so instead of a number
        rows.append(
            {"figure": FIGURE, "measure": f"{backend}", "value": None, "note": repr(exc)[:200]}
        )
        return rows
    result["levels"].extend(levels)
    for level in levels:
        rows.append(
            {
                "figure": FIGURE,
                "measure": f"{backend}, {level['in_warehouse']:,} in warehouse, articles/s",
                "value": level["articles_per_s"],
                "unit": "articles/s",
                "note": f"{level['ms_per_article']} ms/article, "
                f"{level['candidates_per_article']} candidates/article",
            }
        )
    flat = levels[-1]["ms_per_article"] / levels[0]["ms_per_article"]
    result[f"{backend}_ratio_largest_to_smallest"] = round(flat, 2)
    rows.append(
        {
            "figure": FIGURE,
            "measure": f"{backend}, ms/article at {sizes[-1]:,} / at {sizes[0]:,}",
            "value": round(flat, 2),
            "unit": "ratio",
            "note": "about 1 = flat cost per article as the warehouse grows",
        }
    )
    return rows


def print_table(result: dict[str, Any]) -> None:
    header = f"{'backend':<11}{'in warehouse':>14}{'articles/s':>12}{'ms/article':>12}"
    header += f"{'dedupe ms':>11}{'candidates':>12}"
    print(header)
    for level in result["levels"]:
        print(
            f"{level['backend']:<11}{level['in_warehouse']:>14,}{level['articles_per_s']:>12}"
            f"{level['ms_per_article']:>12}{level['dedupe_ms_per_article']:>11}"
            f"{level['candidates_per_article']:>12}"
        )
    for key, value in result.items():
        if key.endswith("_ratio_largest_to_smallest"):
            print(f"{key}: {value}")
    for corpus, scores in result.get("accuracy", {}).items():
        print(f"accuracy, {corpus} corpus: {scores}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1k and 5k, SQLite only")
    parser.add_argument(
        "--backend", choices=("sqlite", "postgresql"), help="measure this backend only"
    )
    args = parser.parse_args()
    result = run(args.quick, backend=args.backend)
    print_table(result)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
