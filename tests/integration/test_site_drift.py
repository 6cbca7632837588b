"""Site drift against the local site: a changed listing or article template raises a site_drift
alert naming the symptom; an ordinary re-run of 304s raises none; a big day loads whole."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from airflow_services import AlertReceiver

from wire_ingest import alerts, plan, steps
from wire_ingest.airflow.alerts import WireFailureNotifier
from wire_ingest.quality import site_health
from wire_ingest.warehouse import engines, tables
from wiresim.generate import Site, build_site
from wiresim.server import start_in_thread

DAY = dt.date(2020, 12, 23)


def _redesigned_article(body: bytes) -> bytes:
    """The article template changed: the adapter's title and body selectors find nothing."""
    return (
        body.replace(b'id="title"', b'id="headline"')
        .replace(b'id="container_txt"', b'id="story-text"')
        .replace(b"apDiv1", b"story-wrap")
    )


def _linkless_listing(body: bytes) -> bytes:
    """The listing changed: its items no longer link to article URLs the source declares."""
    return re.sub(rb"/Off_the_Wire/(\d{4}-\d{2})/(\d{2})/content_", rb"/wire/\1/\2/item_", body)


class ChangedSite(Site):
    """The simulated site with its article pages, or its listing pages, rewritten."""

    def __init__(self, site: Site, *, articles: Any = None, listing: Any = None) -> None:
        super().__init__(site.start, site.end, site.seed, site.per_day, site.articles)
        self.rewrite_article, self.rewrite_listing = articles, listing

    def render(self, path: str, base_url: str) -> Any:
        result = super().render(path, base_url)
        if result is None or path == "/robots.txt":
            return result
        status, headers, body = result
        rewrite = self.rewrite_article if self.article_for_path(path) else self.rewrite_listing
        return (status, headers, rewrite(body)) if rewrite is not None else result


@pytest.fixture(autouse=True)
def _local_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, alert_receiver: AlertReceiver
) -> None:
    monkeypatch.setenv("WIRE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("WIRE_MAX_RPS", "0")
    monkeypatch.setenv(alerts.WEBHOOK_URL_ENV, alert_receiver.url)


@pytest.fixture(scope="module")
def small_site() -> Site:
    return build_site(DAY, DAY, per_day=60)


def _ctx(tmp_path: Path, base_url: str, warehouse_url: str, run_id: str) -> Any:
    return plan.plan_run(
        run_id=run_id,
        target_day=DAY,
        base_url=base_url,
        warehouse_url=warehouse_url,
        landing_url=(tmp_path / "landing").as_uri(),
    )


def _drift_alerts(receiver: AlertReceiver, run_id: str) -> list[dict[str, Any]]:
    return [m for m in receiver.received if m["run_id"] == run_id and m["kind"] == "site_drift"]


def _run_row(warehouse_url: str, run_id: str) -> Any:
    engine = engines.make_engine(warehouse_url)
    try:
        with engine.connect() as conn:
            return conn.execute(
                sa.select(tables.ingest_runs).where(tables.ingest_runs.c.run_id == run_id)
            ).one()
    finally:
        engine.dispose()


def test_a_changed_article_template_sends_a_site_drift_alert_and_still_loads(
    tmp_path: Path, small_site: Site, sqlite_url: str, alert_receiver: AlertReceiver
) -> None:
    changed = ChangedSite(small_site, articles=_redesigned_article)
    with start_in_thread(changed) as running:
        summary = steps.run_day(_ctx(tmp_path, running.base_url, sqlite_url, "drift-template"))
    assert summary["status"] == "success" and summary["fallback"] > 0
    (alert,) = _drift_alerts(alert_receiver, "drift-template")
    assert "site drift in run drift-template" in alert["text"]
    assert "site_drift adapter_misses: fallback extraction for" in alert["error"]
    run = _run_row(sqlite_url, "drift-template")
    assert "site_drift adapter_misses" in run.message
    health = run.site_health
    assert [s["symptom"] for s in health["signals"]] == [site_health.ADAPTER_MISSES]
    assert health["fallback_share"] > 0.5 and health["adapter"] < health["fallback"]
    assert health["listing_pages"] >= 1 and health["links_per_listing_page"] > 0


def test_a_listing_without_article_links_fails_with_a_site_drift_alert(
    tmp_path: Path, small_site: Site, sqlite_url: str, alert_receiver: AlertReceiver
) -> None:
    changed = ChangedSite(small_site, listing=_linkless_listing)
    with (
        start_in_thread(changed) as running,
        pytest.raises(site_health.SiteDriftError) as caught,
    ):
        steps.run_day(_ctx(tmp_path, running.base_url, sqlite_url, "drift-listing"))
    assert caught.value.signal.symptom == site_health.LISTING_NO_LINKS
    assert "has no article links: check `wire_listing_path`" in str(caught.value)

    class TI:  # what Airflow's failure callback gets for the discover task
        dag_id, run_id, task_id = "wire_ingest", "drift-listing", "discover"

    WireFailureNotifier().notify({"ti": TI(), "run_id": TI.run_id, "exception": caught.value})
    (alert,) = _drift_alerts(alert_receiver, "drift-listing")
    assert alert["task_id"] == "discover"
    assert "SiteDriftError: site_drift listing_no_links: " in alert["error"]
    assert "has no article links" in alert["text"]


def test_an_ordinary_rerun_of_304s_sends_no_site_drift_alert(
    tmp_path: Path, small_site: Site, sqlite_url: str, alert_receiver: AlertReceiver
) -> None:
    with start_in_thread(small_site) as running:
        first = steps.run_day(_ctx(tmp_path, running.base_url, sqlite_url, "plain-1"))
        again = steps.run_day(_ctx(tmp_path, running.base_url, sqlite_url, "plain-2"))
    assert first["status"] == again["status"] == "success"
    assert again["not_modified"] > 0.9 * first["discovered"]
    assert _drift_alerts(alert_receiver, "plain-1") == []
    assert _drift_alerts(alert_receiver, "plain-2") == []
    health = _run_row(sqlite_url, "plain-2").site_health
    assert health["signals"] == [] and health["not_modified"] == again["not_modified"]


@pytest.mark.slow
def test_a_3000_article_day_loads_whole_through_the_run_command(
    tmp_path: Path, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A big news day: the source's bounds (sources.toml), not a constant, bound the batch; a
    day far above the feed's trailing median is a site_drift `volume` warning, not a block."""
    from wire_ingest import cli
    from wire_ingest.warehouse import load, migrations

    engine = engines.make_engine(sqlite_url)
    try:
        migrations.migrate(engine)
        for n in range(3):  # the feed's usual days
            load.record_run(
                engine,
                load.IngestRun(
                    run_id=f"usual-{n}",
                    dag_id="wire_ingest",
                    feed="china_org_cn",
                    target_day=DAY - dt.timedelta(days=n + 1),
                    status="success",
                    finished_at=dt.datetime(2020, 12, 20 + n, tzinfo=dt.UTC),
                    discovered=240,
                ),
            )
    finally:
        engine.dispose()
    big = build_site(DAY, DAY, per_day=3000)
    with start_in_thread(big) as running:
        key = [e for e in running.answer_key() if e["page_date"] == DAY.isoformat()]
        args = ["run", "--day", DAY.isoformat(), "--base-url", running.base_url]
        args += ["--warehouse", sqlite_url, "--run-id", "big-day"]
        assert cli.main(args) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    loadable = sum(e["outcome"] == "load" for e in key)
    assert len(key) >= 3000
    assert summary["status"] == "success" and summary["loaded"] == loadable > 2000
    run = _run_row(sqlite_url, "big-day")
    assert [s["symptom"] for s in run.site_health["signals"]] == [site_health.VOLUME]
    assert run.site_health["trailing_median"] == 240
    assert "site_drift volume: " in run.message
