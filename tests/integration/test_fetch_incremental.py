"""Incremental fetching against the local site: conditional re-runs, reprocess, listing memory, rate."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from wire_ingest import plan, steps, workfiles
from wire_ingest.settings import FetchSettings
from wire_ingest.warehouse import engines, migrations, tables
from wiresim.generate import Site
from wiresim.server import RunningSite, start_in_thread

DAY = dt.date(2020, 12, 23)
FAST = FetchSettings(max_requests_per_second=0, backoff_factor=0.05)
CONTENT = ("url", "title", "body", "published_at", "dateline", "duplicate_of", "content_hash")


def plan_for(
    site: RunningSite, tmp_path: Path, warehouse_url: str, run_id: str, day: dt.date = DAY
):
    return plan.plan_run(
        run_id=run_id,
        target_day=day,
        base_url=site.base_url,
        warehouse_url=warehouse_url,
        landing_url=(tmp_path / "landing").as_uri(),
    )


def articles(engine: sa.Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        query = sa.select(*(tables.articles.c[c] for c in CONTENT)).order_by(tables.articles.c.url)
        return [tuple(row) for row in conn.execute(query)]


def article_requests(site: RunningSite, since: int) -> list[tuple[str, int]]:
    return [(p, s) for _m, p, s in site.request_log[since:] if "/Off_the_Wire/" in p]


@pytest.mark.slow
def test_rerun_downloads_no_article_and_reprocess_uses_no_network(
    wire_site: RunningSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WIRE_DATA_DIR", str(tmp_path / "data"))
    warehouse_url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    engine = engines.make_engine(warehouse_url)
    try:
        mark = len(wire_site.request_log)
        first = steps.run_day(
            plan_for(wire_site, tmp_path, warehouse_url, "r1"), fetch_settings=FAST
        )
        first_gets = article_requests(wire_site, mark)
        loaded = articles(engine)
        assert sum(s == 200 for _p, s in first_gets) == first["discovered"] > 0

        mark = len(wire_site.request_log)
        second = steps.run_day(
            plan_for(wire_site, tmp_path, warehouse_url, "r2"), fetch_settings=FAST
        )
        second_gets = article_requests(wire_site, mark)
        assert [s for _p, s in second_gets if s == 200] == [], "a re-run downloaded an article"
        listing = [p for _m, p, _s in wire_site.request_log[mark:] if "/node_" in p]
        assert listing == [], "the day was walked whole before: its links are remembered"
        assert len(second_gets) == second["discovered"] == second["not_modified"]
        assert (second["fetched"], second["parsed"], second["loaded"]) == (0, 0, 0)
        assert articles(engine) == loaded

        # After a parser fix: re-parse the day from the landing area only.
        with engine.begin() as conn:
            conn.execute(sa.delete(tables.articles))
        mark = len(wire_site.request_log)
        again = steps.run_day(
            plan_for(wire_site, tmp_path, warehouse_url, "reprocess-1"), reprocess=True
        )
        assert wire_site.request_log[mark:] == [], "reprocess used the network"
        assert articles(engine) == loaded
        assert again["loaded"] == first["loaded"]
    finally:
        engine.dispose()


def test_reprocess_cli_reads_the_landing_area_only(
    wire_site: RunningSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WIRE_DATA_DIR", str(tmp_path / "data"))
    warehouse_url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    few = FetchSettings(max_requests_per_second=0)
    ctx = plan_for(wire_site, tmp_path, warehouse_url, "r1")
    discovered = steps.discover_step(ctx, fetch_settings=few, max_pages=5)
    steps.fetch_step(ctx, discovered["path"], fetch_settings=few)
    mark = len(wire_site.request_log)
    done = subprocess.run(
        [sys.executable, "-m", "wire_ingest.cli", "reprocess", "--day", DAY.isoformat(),
         "--warehouse", warehouse_url, "--landing", (tmp_path / "landing").as_uri(),
         "--base-url", wire_site.base_url],
        capture_output=True, text=True, timeout=300, check=False,
        # a few newest pages are no fair batch for the reject-share limit
        env={**os.environ, "WIRE_DATA_DIR": str(tmp_path / "data"), "WIRE_MAX_REJECT_SHARE": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["parsed"] + summary["parse_failed"] == 5
    assert summary["loaded"] >= 1
    assert wire_site.request_log[mark:] == []


def listing_cost(
    site: RunningSite, tmp_path: Path, warehouse_url: str, days: list[dt.date]
) -> tuple[int, dict[dt.date, int]]:
    """Listing pages fetched to discover `days` in this order; and each day's article count."""
    cost, found = 0, {}
    for day in days:
        ctx = plan_for(site, tmp_path, warehouse_url, f"backfill-{day}", day)
        result = steps.discover_step(ctx, fetch_settings=FAST)
        counts = workfiles.load_counts(ctx)
        cost += counts["listing_pages"]
        found[day] = result["count"]
    return cost, found


def test_backfill_listing_cost_follows_the_pages_of_its_days(
    wire_site: RunningSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WIRE_DATA_DIR", str(tmp_path / "data"))
    days = [dt.date(2020, 12, 24), dt.date(2020, 12, 23), dt.date(2020, 12, 22)]
    # Without memory (a fresh warehouse per day) every day walks from page 1.
    depth = {
        day: listing_cost(wire_site, tmp_path, f"sqlite:///{tmp_path / f'alone-{day}.db'}", [day])
        for day in days
    }
    alone_cost = sum(cost for cost, _found in depth.values())
    deepest = depth[days[-1]][0]
    for order in (days, list(reversed(days))):
        shared = f"sqlite:///{tmp_path / f'shared-{order[0]}.db'}"
        cost, found = listing_cost(wire_site, tmp_path, shared, order)
        assert found == {day: depth[day][1][day] for day in days}, "memory lost articles"
        # newest first: one walk to the oldest day plus two overlap pages per further day;
        # oldest first: that one walk saw the newer (settled) days whole: they cost nothing.
        bound = deepest + 2 * (len(days) - 1) if order == days else deepest
        assert cost <= bound, (order, cost, bound)
        assert cost < alone_cost
    assert len({c for c, _f in depth.values()}) > 1


RATE_SCRIPT = textwrap.dedent(
    """
    import sys
    from wire_ingest.http import fetcher
    from wire_ingest.http import ratelimit
    from wire_ingest import plan
    from wire_ingest import steps
    from wire_ingest.warehouse import engines
    from wire_ingest.warehouse import migrations
    from wire_ingest.warehouse import tables
    from wire_ingest.settings import FetchSettings
    from wire_ingest.landing import LandingWriter
    import datetime as dt

    warehouse, landing, rate, name, *urls = sys.argv[1:]
    engine = engines.make_engine(warehouse)
    settings = FetchSettings(max_requests_per_second=float(rate), concurrency=4)
    limiter = ratelimit.SharedRateLimiter(engine, float(rate))
    with LandingWriter(landing, "feed", dt.date(2020, 12, 23), "articles", name) as writer:
        outcomes = fetcher.fetch_urls(urls, settings=settings, writer=writer, limiter=limiter)
    assert all(o.result.ok for o in outcomes), [o.result.error for o in outcomes]
    """
)


@pytest.mark.slow
def test_four_processes_share_the_per_host_rate_limit(
    wire_site: RunningSite, tmp_path: Path, warehouse_url: str
) -> None:
    site: Site = wire_site.site
    rate, per_process, processes = 10.0, 8, 4
    paths = [a.path for a in site.articles if a.page_date == DAY][: per_process * processes]
    engine = engines.make_engine(warehouse_url)
    migrations.migrate(engine)
    engine.dispose()
    with start_in_thread(site) as running:
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    RATE_SCRIPT,
                    warehouse_url,
                    (tmp_path / "landing").as_uri(),
                    str(rate),
                    f"p{n}",
                    *(running.base_url + p for p in paths[n::processes]),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in range(processes)
        ]
        try:
            for proc in procs:
                _out, err = proc.communicate(timeout=120)
                assert proc.returncode == 0, err
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        arrivals = sorted(t for t, path in running.arrivals if path in set(paths))
    assert len(arrivals) == len(paths)
    # Seen by the server: no 1-second window holds more than rate requests (+1 for the window's
    # edge, +1 for scheduling jitter between a reserved slot and the request leaving).
    window = 1.0
    busiest = max(
        sum(1 for t in arrivals[i:] if t < start + window) for i, start in enumerate(arrivals)
    )
    assert busiest <= rate * window + 2, busiest
