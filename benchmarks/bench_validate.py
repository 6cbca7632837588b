"""Validation throughput: the Great Expectations suite (validation.validate_articles) at 1k/10k/100k rows."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import time
from typing import Any

from benchmarks.harness import Row, median, row, timed_runs

FIGURE = "Validation"
DAY = dt.date(2020, 12, 23)
BASE_URL = "http://127.0.0.1:8765"
_CONTENT_ID = re.compile(r"content_\d+")


def day_articles() -> list[Any]:
    """The day's articles exactly as the answer key says a correct parse gives them (valid rows)."""
    from wire_ingest.models import Article
    from wiresim.generate import build_site, key_article

    found: list[Article] = []
    for entry in build_site(DAY, DAY).answer_key(BASE_URL):
        if entry["outcome"] != "load" or entry["kind"] in ("gallery", "error_page"):
            continue
        found.append(key_article(entry))
    return found


def warehouse_rows(articles: list[Any], count: int) -> list[Any]:
    """`count` distinct articles: the day's articles again and again under new URLs and ids."""
    from wire_ingest import urls

    made = []
    for index in range(count):
        article = articles[index % len(articles)]
        url = _CONTENT_ID.sub(f"content_{90_000_000 + index}", article.url)
        made.append(
            dataclasses.replace(
                article, url=url, canonical_url=url, article_id=urls.article_id(url)
            )
        )
    return made


def run(quick: bool) -> dict[str, Any]:
    from wire_ingest import sources, urls
    from wire_ingest.quality import validation

    sizes = {1_000: 3, 10_000: 1} if quick else {1_000: 5, 10_000: 3, 100_000: 1}
    started = time.perf_counter()
    validation.import_gx()  # the import (several seconds) belongs to start-up, not to throughput
    import_seconds = time.perf_counter() - started
    base = day_articles()
    hosts = sorted({urls.host_of(BASE_URL), *sources.get_source("china_org_cn").allowed_hosts})
    validation.validate_articles(base[:50], target_day=DAY, allowed_hosts=hosts, run_id="warm-up")

    rows: list[Row] = []
    measured: dict[str, Any] = {"gx_import_seconds": import_seconds}
    for size, repeats in sizes.items():
        articles = warehouse_rows(base, size)
        outcome: list[Any] = []

        def validate_all(articles: list[Any] = articles, outcome: list[Any] = outcome) -> None:
            outcome[:] = [
                validation.validate_articles(
                    articles, target_day=DAY, allowed_hosts=hosts, run_id="bench"
                )
            ]

        seconds = median(timed_runs(validate_all, repeats))
        result = outcome[0]
        rows.append(
            row(
                FIGURE,
                f"validate_articles (GX suite) at {size:,} rows",
                size / seconds,
                "rows/s",
                note=(
                    f"median of {repeats}: {seconds:.2f} s; {len(result.passed):,} passed, "
                    f"{len(result.rejected):,} rejected"
                ),
            )
        )
        measured[str(size)] = {
            "seconds": seconds,
            "rows_per_second": size / seconds,
            "passed": len(result.passed),
            "rejected": len(result.rejected),
            "repeats": repeats,
        }
    largest = max(sizes)
    rows.append(
        row(
            FIGURE,
            f"rows/s at {largest:,} rows / at 1,000 rows",
            measured[str(largest)]["rows_per_second"],
            "rows/s",
            peer="1,000 rows",
            peer_value=measured["1000"]["rows_per_second"],
            note="above 1 = a call's fixed cost spread over more rows; no slowdown with size",
        )
    )
    return {"rows": [r.to_dict() for r in rows], **measured}
