"""Durable per-URL fetch state: conditional validators, failures counted over runs, give-ups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from wire_ingest.models import FailureKind, FetchOutcome
from wire_ingest.warehouse.engines import Bind, chunks, dialect_insert, write_transaction
from wire_ingest.warehouse.tables import article_rejects, fetch_state

# Fetch state statuses: `fetched` = body landed, run not finished yet; `done` = its run finished,
# so a later run may ask conditionally; `failed` = tried again by later runs; `given_up` = never.
FETCHED, DONE, FAILED, GIVEN_UP = "fetched", "done", "failed", "given_up"


# A failed result the fetcher did not classify (not expected; counted as transient).
UNCLASSIFIED = FailureKind("fetch_error", permanent=False)


@dataclass(frozen=True, slots=True)
class UrlState:
    """What the warehouse remembers about fetching one URL."""

    url: str
    status: str
    etag: str | None = None
    last_modified: str | None = None
    failed_runs: int = 0
    attempts: int = 0
    error_reason: str | None = None
    given_up_reason: str | None = None


def load_states(engine: Engine, feed: str, urls: Iterable[str]) -> dict[str, UrlState]:
    wanted = sorted(set(urls))
    found: dict[str, UrlState] = {}
    t = fetch_state
    with engine.connect() as conn:
        for chunk in chunks(wanted):
            query = sa.select(
                t.c.url,
                t.c.status,
                t.c.etag,
                t.c.last_modified,
                t.c.failed_runs,
                t.c.attempts,
                t.c.error_reason,
                t.c.given_up_reason,
            ).where(t.c.feed == feed, t.c.url.in_(chunk))
            for row in conn.execute(query):
                found[row.url] = UrlState(**row._mapping)
    return found


def urls_to_retry(engine: Engine, feed: str, day: dt.date) -> list[str]:
    """URLs of `day` that failed (or whose run did not finish) and are not given up."""
    t = fetch_state
    query = (
        sa.select(t.c.url)
        .where(t.c.feed == feed, t.c.target_day == day, t.c.status.in_((FAILED, FETCHED)))
        .order_by(t.c.url)
    )
    with engine.connect() as conn:
        return list(conn.execute(query).scalars())


def conditional_headers(state: UrlState | None) -> dict[str, str]:
    """If-None-Match / If-Modified-Since for a URL whose earlier run finished; else nothing."""
    if state is None or state.status != DONE:
        return {}
    headers: dict[str, str] = {}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers


@dataclass(frozen=True, slots=True)
class FailureRecord:
    """A failed URL after this run: its reason, how many runs failed on it, whether given up."""

    url: str
    reason: str
    failed_runs: int
    given_up_reason: str | None


def record_outcomes(
    engine: Engine,
    outcomes: Sequence[FetchOutcome],
    *,
    feed: str,
    day: dt.date,
    run_id: str,
    max_runs: int,
    now: dt.datetime | None = None,
) -> dict[str, FailureRecord]:
    """Store every outcome in `fetch_state` (one transaction); returns the failures' records."""
    at = now or dt.datetime.now(dt.UTC)
    by_url = {o.result.url: o for o in outcomes}
    failures: dict[str, FailureRecord] = {}
    if not by_url:
        return failures
    t = fetch_state
    with write_transaction(engine) as conn:
        known: dict[str, Any] = {}
        for chunk in chunks(sorted(by_url)):
            query = sa.select(t).where(t.c.feed == feed, t.c.url.in_(chunk))
            known.update({row.url: row for row in conn.execute(query)})
        rows = []
        for url in sorted(by_url):
            outcome, old = by_url[url], known.get(url)
            result = outcome.result
            row: dict[str, Any] = {
                "feed": feed,
                "url": url,
                "target_day": day,
                "http_status": result.status,
                "attempts": (old.attempts if old else 0) + result.attempts,
                "last_fetched_at": at,
                "last_run_id": run_id,
                "etag": old.etag if old else None,
                "last_modified": old.last_modified if old else None,
                "raw_ref": result.raw_ref,
                "failed_runs": 0,
                "last_error": None,
                "error_reason": None,
                "given_up_reason": None,
            }
            if result.ok and result.status == 304:
                row["status"] = DONE
                row["raw_ref"] = old.raw_ref if old else None  # the body is the one landed before
            elif result.ok:
                row.update(status=FETCHED, etag=outcome.etag, last_modified=outcome.last_modified)
            else:
                kind = outcome.failure or UNCLASSIFIED
                failed_runs = (old.failed_runs if old else 0) + 1
                given_up = None
                if kind.permanent:
                    given_up = f"{kind.reason}: {result.error}"
                elif failed_runs >= max_runs:
                    given_up = f"failed in {failed_runs} runs, last: {kind.reason}: {result.error}"
                row.update(
                    status=GIVEN_UP if given_up else FAILED,
                    failed_runs=failed_runs,
                    last_error=result.error,
                    error_reason=kind.reason,
                    given_up_reason=given_up,
                )
                failures[url] = FailureRecord(url, kind.reason, failed_runs, given_up)
            rows.append(row)
        insert = dialect_insert(conn, t)
        names = [name for name in rows[0] if name not in ("feed", "url")]
        conn.execute(
            insert.on_conflict_do_update(
                index_elements=["feed", "url"], set_={n: insert.excluded[n] for n in names}
            ),
            rows,
        )
        # A URL that answered now resolves its earlier fetch reject: `article_rejects` holds only
        # what is still open, so a recovered page is not listed next to the open failures.
        answered = sorted(url for url, o in by_url.items() if o.result.ok)
        r = article_rejects
        for chunk in chunks(answered):
            conn.execute(
                sa.delete(r).where(r.c.feed == feed, r.c.stage == "fetch", r.c.url.in_(chunk))
            )
    return failures


def mark_done(engine: Bind, feed: str, urls: Iterable[str]) -> int:
    """The run that fetched these URLs finished: later runs may ask for them conditionally."""
    wanted = sorted(set(urls))
    t = fetch_state
    done = 0
    with write_transaction(engine) as conn:
        for chunk in chunks(wanted):
            update = (
                sa.update(t)
                .where(t.c.feed == feed, t.c.url.in_(chunk), t.c.status == FETCHED)
                .values(status=DONE)
            )
            done += conn.execute(update).rowcount
    return done


@dataclass(frozen=True, slots=True)
class DayFetchFailures:
    """How the day's article URLs stand after a fetch: how many are failed or given up, of all."""

    failed: int
    total: int
    reasons: dict[str, int]  # error_reason -> URLs, most frequent first
    example: str | None  # one failure's error, to name the cause

    @property
    def share(self) -> float:
        return self.failed / self.total if self.total else 0.0


def day_failures(
    engine: Engine, feed: str, day: dt.date, *, given_up_now: Iterable[str] = ()
) -> DayFetchFailures:
    """The day's fetch failures over every URL of the day the fetch state knows: URLs still to
    retry, and those given up by this fetch (`given_up_now`). URLs an earlier fetch gave up on
    were judged then: they count among the day's URLs, not against it."""
    t = fetch_state
    query = sa.select(t.c.url, t.c.status, t.c.error_reason, t.c.last_error).where(
        t.c.feed == feed, t.c.target_day == day
    )
    with engine.connect() as conn:
        rows = list(conn.execute(query))
    now = set(given_up_now)
    failed = [
        row for row in rows if row.status == FAILED or (row.status == GIVEN_UP and row.url in now)
    ]
    reasons: dict[str, int] = {}
    for row in failed:
        reasons[row.error_reason or "fetch_error"] = (
            reasons.get(row.error_reason or "fetch_error", 0) + 1
        )
    ordered = dict(sorted(reasons.items(), key=lambda item: (-item[1], item[0])))
    top = next(iter(ordered), None)
    example = next(
        (
            row.last_error
            for row in failed
            if (row.error_reason or "fetch_error") == top and row.last_error
        ),
        None,
    )
    return DayFetchFailures(len(failed), len(rows), ordered, example)
