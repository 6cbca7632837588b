"""With every fault mode on, a day loads what can be recovered and records the rest: none lost, none twice."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from wire_ingest import plan, steps
from wire_ingest.settings import FetchSettings
from wire_ingest.warehouse import engines, tables
from wiresim.faults import FAULT_SPECS, FaultPlan
from wiresim.generate import Site, build_site
from wiresim.server import RunningSite, start_in_thread

pytestmark = pytest.mark.slow

DAY = dt.date(2020, 12, 23)
PLAN = FaultPlan(slow_seconds=2.0, huge_bytes=1_500_000)
# Short timeouts and backoff keep the test quick; the fault plan is sized against them
# (slow > read timeout, huge > body cap, outage = max_attempts).
SETTINGS = FetchSettings(
    max_requests_per_second=0,
    connect_timeout=1.0,
    read_timeout=1.0,
    backoff_factor=0.05,
    backoff_jitter=0.0,
    max_body_bytes=1_000_000,
    max_attempts=PLAN.outage_length,
)


@pytest.fixture(scope="module")
def site() -> Site:
    return build_site(DAY - dt.timedelta(days=1), DAY + dt.timedelta(days=1))


@pytest.fixture
def faulty_site(site: Site) -> Iterator[RunningSite]:
    """A fresh server per test: the fault counters start from zero."""
    with start_in_thread(site, faults=PLAN) as running:
        yield running


def rows(engine: sa.Engine, table: sa.Table) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(sa.select(table))]


def run(site: RunningSite, tmp_path: Path, warehouse_url: str, name: str) -> list[tuple[str, int]]:
    """One in-process run of the day; returns the article requests the site saw (path, status)."""
    before = len(site.request_log)
    ctx = plan.plan_run(
        run_id=name,
        target_day=DAY,
        base_url=site.base_url,
        warehouse_url=warehouse_url,
        landing_url=(tmp_path / "landing").as_uri(),
    )
    summary = steps.run_day(ctx, fetch_settings=SETTINGS)
    assert summary["status"] == "success"
    return [(p, s) for _m, p, s in site.request_log[before:] if "/Off_the_Wire/" in p]


def test_faults_recoverable_loaded_unrecoverable_recorded_none_lost_none_twice(
    faulty_site: RunningSite,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # SQLite only: the fetch state's PostgreSQL statements are covered by tests/unit/test_fetch_state
    warehouse_url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    monkeypatch.setenv("WIRE_DATA_DIR", str(tmp_path / "data"))
    base = faulty_site.base_url
    key = [e for e in faulty_site.answer_key() if e["page_date"] == DAY.isoformat()]
    by_fault = {e["fault"]: e for e in key if e["fault"]}
    assert set(by_fault) == set(FAULT_SPECS), "every fault mode hits one article of the day"
    engine = engines.make_engine(warehouse_url)
    try:
        first_requests = run(faulty_site, tmp_path, warehouse_url, "run-1")

        robots_victim = by_fault["robots_disallow"]["url"][len(base) :]
        assert robots_victim not in {p for p, _s in first_requests}, "robots.txt was ignored"
        assert Counter(p for p, _s in first_requests)[
            by_fault["burst_503"]["url"][len(base) :]
        ] == (PLAN.burst_length + 1)

        def check(*, next_run_loaded: bool) -> None:
            loaded = rows(engine, tables.articles)
            rejects = rows(engine, tables.article_rejects)
            loaded_urls = Counter(r["url"] for r in loaded)
            assert all(n == 1 for n in loaded_urls.values()), "an article loaded twice"
            rejected = {r["url"]: r for r in rejects}
            assert not set(loaded_urls) & set(rejected), "an article is loaded and rejected"
            for entry in key:
                url, recovery = entry["url"], entry["recovery"]
                if recovery == "next_run" and not next_run_loaded:
                    reject = rejected.get(url)
                    assert reject is not None, f"{entry['fault']}: lost after run 1"
                    assert reject["stage"] == "fetch" and reject["details"]["given_up"] is False
                    assert reject["reason"] in {"http_503", "incomplete_body"}, reject
                elif entry["outcome"] == "load":
                    assert url in loaded_urls, f"{entry['fault'] or 'plain'} {url} not loaded"
                else:
                    reject = rejected.get(url)
                    assert reject is not None, f"{url} should be rejected: {entry['reject_reason']}"
                    assert reject["stage"] == entry["reject_stage"], url
                    if entry["fault"]:
                        assert reject["reason"] == entry["reject_reason"], reject
                        assert reject["details"]["given_up"] is True, reject
            assert set(loaded_urls) | set(rejected) == {e["url"] for e in key}, "lost or extra"

        check(next_run_loaded=False)
        gb = next(
            r for r in rows(engine, tables.articles) if r["url"] == by_fault["gb18030"]["url"]
        )
        assert (gb["title"], gb["body"]) == (
            by_fault["gb18030"]["title"],
            by_fault["gb18030"]["body"],
        )

        states = {r["url"]: r for r in rows(engine, tables.fetch_state)}
        for mode, entry in by_fault.items():
            state = states[entry["url"]]
            expected = {"in_run": "done", "next_run": "failed", "never": "given_up"}
            assert state["status"] == expected[FAULT_SPECS[mode].recovery], (mode, state)
            if FAULT_SPECS[mode].recovery == "never":
                assert state["given_up_reason"].startswith(FAULT_SPECS[mode].reason), state

        # A link carrying tracking parameters is the same page: fetched once, without them.
        assert not [p for p, _s in first_requests if "utm_" in p], "tracking query fetched"
        first_counts = Counter(p for p, _s in first_requests)
        for mode, times in (("tracking_duplicate", 1), ("stall_body", 2), ("corrupt_gzip", 2)):
            assert first_counts[by_fault[mode]["url"][len(base) :]] == times, mode

        # A second run retries what failed and leaves alone what was given up or is unchanged.
        second_requests = run(faulty_site, tmp_path, warehouse_url, "run-2")
        check(next_run_loaded=True)
        retried = {e["url"][len(base) :] for e in key if e["recovery"] == "next_run"}
        given_up = {e["url"][len(base) :] for e in key if e["recovery"] == "never"}
        assert {p for p, s in second_requests if s == 200} == retried
        assert not given_up & {p for p, _s in second_requests}, "a given-up URL was fetched again"
        runs = {r["run_id"]: r for r in rows(engine, tables.ingest_runs)}
        assert runs["run-2"]["fetched"] == len(retried)
        assert runs["run-2"]["not_modified"] == len(key) - len(given_up) - len(retried)
    finally:
        engine.dispose()
