"""Safety: a load killed half-way leaves nothing behind; concurrent loads of a day never duplicate."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from wire_ingest.models import Article
from wire_ingest.warehouse import engines, load, tables

ARTICLES = 3000
CONCURRENT_ARTICLES = 1000
WRITERS = (
    "SELECT state FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
    "AND query LIKE 'INSERT INTO articles%'"
)
SEEN_AT = dt.datetime(2020, 12, 24, 1, 0, tzinfo=dt.UTC)

# The child process: a big load of synthetic articles in one transaction. In "stall" mode it stops
# right after the first batch of article rows went to the database (inside the transaction) and
# says so in a marker file, so the test can SIGKILL it there; in "go" mode it waits for the
# marker file to exist and then loads, so that several children load at the same moment.
CHILD = r"""
import datetime as dt, hashlib, pathlib, sys, time
import sqlalchemy as sa
from wire_ingest.warehouse import engines
from wire_ingest.warehouse import load
from wire_ingest.warehouse import migrations
from wire_ingest.warehouse import tables
from wire_ingest.models import Article

def synthetic_articles(n):
    for i in range(n):
        url = f"http://www.china.org.cn/world/Off_the_Wire/2020-12/23/content_{i:08d}.htm"
        body = f"Story number {i}. " + "Words of the wire copy. " * 40
        yield Article(
            article_id=hashlib.sha256(url.encode()).hexdigest()[:32],
            feed="china_org_cn", url=url, canonical_url=url, title=f"Title {i}",
            source="Xinhua", published_at="2020-12-23T10:00:00+08:00", dateline="BEIJING",
            body=body, section="world", content_hash=hashlib.sha256(body.encode()).hexdigest(),
            page_date="2020-12-23", raw_ref=f"file:///landing/articles.warc.gz#{i}",
        )

if __name__ == "__main__":
    url, marker, mode, run_id, n = sys.argv[1:6]
    engine = engines.make_engine(url)
    migrations.migrate(engine)
    if mode == "stall":
        @sa.event.listens_for(engine, "after_cursor_execute")
        def stall(conn, cursor, statement, parameters, context, executemany):
            if "INSERT INTO articles" in statement:
                pathlib.Path(marker).write_text("in transaction")
                time.sleep(600)
    else:
        while not pathlib.Path(marker).exists():
            time.sleep(0.01)
    seen_at = dt.datetime(2020, 12, 24, 1, 0, tzinfo=dt.UTC)
    load.load_articles(engine, list(synthetic_articles(int(n))), run_id=run_id, now=seen_at)
"""


def child_namespace() -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "child"}
    exec(CHILD, namespace)
    return namespace


def start_child(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    script = tmp_path / "load_child.py"
    script.write_text(CHILD)
    return subprocess.Popen(
        [sys.executable, str(script), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def table(url: str) -> list[dict[str, Any]]:
    engine = engines.make_engine(url)
    try:
        with engine.connect() as conn:
            return sorted(
                (dict(r._mapping) for r in conn.execute(sa.select(tables.articles))),
                key=lambda row: row["article_id"],
            )
    finally:
        engine.dispose()


def clean_run_rows(run_id: str, count: int = ARTICLES) -> list[dict[str, Any]]:
    """What one clean, uninterrupted load of the articles leaves in `articles`."""
    made: list[Article] = list(child_namespace()["synthetic_articles"](count))
    rows = [
        {
            **load.article_row(a),
            "first_seen_at": SEEN_AT,
            "last_seen_at": SEEN_AT,
            "first_run_id": run_id,
            "last_run_id": run_id,
        }
        for a in made
    ]
    return sorted(rows, key=lambda row: row["article_id"])


@pytest.mark.slow
def test_load_killed_mid_transaction_then_rerun_equals_a_clean_run(
    warehouse_url: str, tmp_path: Path
) -> None:
    marker = tmp_path / "in-transaction"
    child = start_child(tmp_path, warehouse_url, str(marker), "stall", "run_1", str(ARTICLES))
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert child.poll() is None, child.communicate()[0]
            assert time.monotonic() < deadline, "the load never reached its first insert"
            time.sleep(0.05)
        if warehouse_url.startswith("postgresql"):
            # rows of the first batch are written but not committed
            engine = engines.make_engine(warehouse_url)
            with engine.connect() as conn:
                states = conn.execute(sa.text(WRITERS)).scalars().all()
            engine.dispose()
            assert "idle in transaction" in states, states
        os.kill(child.pid, signal.SIGKILL)
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    assert table(warehouse_url) == [], "a killed load left rows behind"

    # the re-run (the task's retry) loads everything, exactly as a clean run
    namespace = child_namespace()
    engine = engines.make_engine(warehouse_url)
    try:
        counts = load.load_articles(
            engine, list(namespace["synthetic_articles"](ARTICLES)), run_id="run_1", now=SEEN_AT
        )
    finally:
        engine.dispose()
    assert counts.inserted == ARTICLES
    assert table(warehouse_url) == clean_run_rows("run_1")


@pytest.mark.slow
def test_concurrent_loads_of_the_same_day_never_duplicate(
    warehouse_url: str, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    children = [
        start_child(tmp_path, warehouse_url, str(go), "go", f"run_{n}", str(CONCURRENT_ARTICLES))
        for n in range(3)
    ]
    try:
        time.sleep(3)  # let them all import and connect, then start them at once
        go.write_text("go")
        outputs = [child.communicate(timeout=300)[0] for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
    assert [child.returncode for child in children] == [0, 0, 0], outputs
    rows = table(warehouse_url)
    assert len(rows) == CONCURRENT_ARTICLES
    assert len({row["canonical_url"] for row in rows}) == CONCURRENT_ARTICLES
    content = [{k: v for k, v in row.items() if "run_id" not in k} for row in rows]
    assert content == [
        {k: v for k, v in row.items() if "run_id" not in k}
        for row in clean_run_rows("any", CONCURRENT_ARTICLES)
    ]


def test_the_database_itself_refuses_a_second_row_for_a_story(engine: sa.Engine) -> None:
    """Duplicates are stopped by constraints, not only by the loader's checks."""
    article = next(child_namespace()["synthetic_articles"](1))
    row = {**load.article_row(article), "first_seen_at": SEEN_AT, "last_seen_at": SEEN_AT,
           "first_run_id": "a", "last_run_id": "a"}  # fmt: skip
    with engine.begin() as conn:
        conn.execute(sa.insert(tables.articles), row)
    for clash in ({}, {"article_id": "another-id"}):  # same id; same canonical_url
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(sa.insert(tables.articles), {**row, **clash})
