"""Replay: rejects caused by a too-strict setting move to `articles` once the setting is fixed."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from wire_ingest import cli, plan, replay, steps
from wire_ingest.warehouse import engines, tables
from wiresim.newscn import NewsCnSite
from wiresim.server import start_in_thread

DAY = dt.date(2020, 12, 23)
STRICT_SHARE = "0.3"  # real English wire copy goes down to ~0.2: this rejects good articles


@pytest.fixture(autouse=True)
def _local_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIRE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("WIRE_MAX_RPS", "0")


def _no_network(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("replay must not touch the network")


def _rows(engine: sa.Engine, table: sa.Table) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(sa.select(table))]


def _language_rejects(rejects: list[dict[str, Any]]) -> set[str]:
    return {
        row["url"]
        for row in rejects
        if any(f["column"] == "english_stopword_share" for f in row["details"].get("failed", []))
    }


@pytest.mark.slow
def test_replay_moves_rows_that_now_pass_into_articles(
    tmp_path: Path,
    wire_site: Any,
    wire_site_key: list[dict[str, Any]],
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    expected = [entry for entry in wire_site_key if entry["page_date"] == DAY.isoformat()]
    should_load = {e["url"] for e in expected if e["outcome"] == "load"}
    should_reject = {e["url"]: e["reject_stage"] for e in expected if e["outcome"] == "reject"}

    monkeypatch.setenv("WIRE_MIN_ENGLISH_STOPWORD_SHARE", STRICT_SHARE)
    monkeypatch.setenv("WIRE_MAX_REJECT_SHARE", "1")  # let the strict run load what it can
    ctx = plan.plan_run(
        run_id="strict-run",
        target_day=DAY,
        base_url=wire_site.base_url,
        warehouse_url=sqlite_url,
        landing_url=(tmp_path / "landing").as_uri(),
    )
    steps.run_day(ctx)
    engine = engines.make_engine(sqlite_url)
    try:
        strict_rejects = _rows(engine, tables.article_rejects)
        wrongly_rejected = _language_rejects(strict_rejects) & should_load
        assert len(wrongly_rejected) >= 5, "the strict setting should reject good articles"
        for row in strict_rejects:
            assert row["run_id"] == "strict-run"
            assert row["raw_ref"].startswith((tmp_path / "landing").as_uri())
        loaded_before = {row["url"] for row in _rows(engine, tables.articles)}
        assert not (wrongly_rejected & loaded_before)

        # The fix: the default threshold. Replay from the command line, no network needed.
        monkeypatch.delenv("WIRE_MIN_ENGLISH_STOPWORD_SHARE")
        monkeypatch.setattr(requests.Session, "send", _no_network)
        code = cli.main(
            [
                "replay",
                "--from",
                DAY.isoformat(),
                "--to",
                DAY.isoformat(),
                "--warehouse",
                sqlite_url,
                "--base-url",
                wire_site.base_url,
            ]
        )
        assert code == 0
        (line,) = capsys.readouterr().out.strip().splitlines()
        outcome = json.loads(line)
        assert outcome["day"] == DAY.isoformat()
        assert outcome["candidates"] == len(strict_rejects)
        assert outcome["unreadable"] == sum(1 for r in strict_rejects if r["stage"] == "fetch")

        articles_after = {row["url"]: row for row in _rows(engine, tables.articles)}
        rejects_after = {row["url"]: row for row in _rows(engine, tables.article_rejects)}
        assert wrongly_rejected <= set(articles_after)
        assert not (set(articles_after) & set(rejects_after))
        assert set(articles_after) == should_load
        assert {url: row["stage"] for url, row in rejects_after.items()} == should_reject
        assert outcome["loaded"] == len(wrongly_rejected)
        assert outcome["still_rejected"] == len(should_reject)
        for url in wrongly_rejected:
            assert articles_after[url]["last_run_id"] == outcome["run_id"]
        runs = {row["run_id"]: row for row in _rows(engine, tables.ingest_runs)}
        assert runs[outcome["run_id"]]["dag_id"] == replay.REPLAY_DAG_ID
        assert runs[outcome["run_id"]]["loaded"] == len(wrongly_rejected)

        # Replaying again changes nothing but the reject counters.
        again = replay.replay_range(DAY, DAY, warehouse_url=sqlite_url, base_url=wire_site.base_url)
        assert [o.loaded for o in again] == [0]
        assert {row["url"] for row in _rows(engine, tables.article_rejects)} == set(should_reject)
        assert {row["url"] for row in _rows(engine, tables.articles)} == should_load
    finally:
        engine.dispose()


def test_replay_of_a_range_without_rejects_does_nothing(sqlite_url: str) -> None:
    assert replay.replay_range(DAY, DAY + dt.timedelta(days=2), warehouse_url=sqlite_url) == []
    with pytest.raises(ValueError, match="before"):
        replay.replay_range(DAY, DAY - dt.timedelta(days=1), warehouse_url=sqlite_url)


@pytest.mark.slow
def test_replay_of_a_second_wire_reads_it_with_its_own_adapter_and_hosts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--feed xinhua_en`: the news.cn pages are read with the news.cn adapter, validated against
    the source's hosts, from its site root (the feed's Variable), without the network."""
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    monkeypatch.setenv("WIRE_MIN_ENGLISH_STOPWORD_SHARE", STRICT_SHARE)
    monkeypatch.setenv("WIRE_MAX_REJECT_SHARE", "1")
    with start_in_thread(NewsCnSite(DAY, DAY, per_day=120)) as site:
        key = {e["url"]: e for e in site.answer_key() if e["page_date"] == DAY.isoformat()}
        strict = steps.run_day(
            plan.plan_run(
                run_id="strict-xinhua",
                target_day=DAY,
                feed="xinhua_en",
                base_url=site.base_url,
                warehouse_url=url,
            )
        )
        base_url = site.base_url
    assert strict["status"] == "success" and strict["discovered"] == len(key)
    engine = engines.make_engine(url)
    try:
        wrongly_rejected = _language_rejects(_rows(engine, tables.article_rejects))
        assert len(wrongly_rejected) >= 2 and wrongly_rejected <= set(key)

        monkeypatch.delenv("WIRE_MIN_ENGLISH_STOPWORD_SHARE")
        monkeypatch.setenv("AIRFLOW_VAR_WIRE_BASE_URL_XINHUA_EN", base_url)  # the site is gone
        monkeypatch.setattr(requests.Session, "send", _no_network)
        args = ["replay", "--from", DAY.isoformat(), "--source", "xinhua_en", "--warehouse", url]
        assert cli.main(args) == 0
        outcome = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert outcome["loaded"] == len(wrongly_rejected) and outcome["still_rejected"] == 0

        articles = {row["url"]: row for row in _rows(engine, tables.articles)}
        assert set(articles) == set(key)  # every news.cn page is loaded now
        assert _rows(engine, tables.article_rejects) == []
        for page in wrongly_rejected:
            row = articles[page]
            assert row["feed"] == "xinhua_en" and row["extraction"] == "adapter"
            assert (row["title"], row["published_at"]) == (
                key[page]["title"],
                key[page]["published_at"],
            )
            assert row["last_run_id"] == outcome["run_id"]
    finally:
        engine.dispose()


def test_replay_refuses_a_feed_that_is_not_declared(sqlite_url: str) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(
            ["replay", "--from", DAY.isoformat(), "--feed", "nowhere", "--warehouse", sqlite_url]
        )
    assert exit_info.value.code == 2
