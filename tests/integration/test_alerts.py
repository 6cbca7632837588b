"""Failure and deadline alerts: to a local webhook receiver, from the real scheduler and workers."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
import sqlalchemy as sa
from airflow_services import AirflowServices, AlertReceiver, StatsdReceiver

from wire_ingest import alerts as wire_alerts
from wire_ingest.airflow import alerts

FAILING_LOGICAL_DATE = "2020-12-23T00:03:00+08:00"


def wait_for(receiver: AlertReceiver, kind: str, run_id: str, timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in receiver.received if m["kind"] == kind and m["run_id"] == run_id]
        if found:
            return found[0]
        time.sleep(1)
    raise AssertionError(f"no {kind} alert for {run_id}; received: {receiver.received}")


def wait_for_ingest_run(warehouse_url: str, run_id: str, timeout: float = 120) -> dict:
    """The run's `ingest_runs` row, once the DAG's failure callback (dag-processor) wrote it."""
    from wire_ingest.warehouse import tables

    engine = sa.create_engine(warehouse_url)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                found = conn.execute(
                    sa.select(tables.ingest_runs).where(tables.ingest_runs.c.run_id == run_id)
                ).first()
            if found is not None:
                return dict(found._mapping)
            time.sleep(1)
    finally:
        engine.dispose()
    raise AssertionError(f"no ingest_runs row for {run_id} after {timeout}s")


def test_send_posts_one_message_with_task_error_and_link(
    alert_receiver: AlertReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(wire_alerts.WEBHOOK_URL_ENV, alert_receiver.url)
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "http://airflow.example:8080")
    before = len(alert_receiver.received)

    class TI:
        dag_id, run_id, task_id = "wire_ingest", "manual__2020-12-23", "fetch"

    alerts.WireFailureNotifier().notify(
        {"ti": TI(), "run_id": TI.run_id, "exception": RuntimeError("site down")}
    )
    new = alert_receiver.received[before:]
    assert len(new) == 1
    message = new[0]
    assert message["kind"] == "task_failed" and message["task_id"] == "fetch"
    assert message["error"] == "RuntimeError: site down"
    assert message["url"] == (
        "http://airflow.example:8080/dags/wire_ingest/runs/manual__2020-12-23/tasks/fetch"
    )
    assert "task fetch failed" in message["text"] and message["url"] in message["text"]


def test_send_mails_the_alert_through_the_smtp_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """WIRE_ALERT_EMAIL: the alert goes out through Airflow's smtp provider and the
    `smtp_default` connection, here to an SMTP server on loopback (aiosmtpd)."""
    import email
    import json
    import socket

    from aiosmtpd.controller import Controller

    received: list[tuple[list[str], email.message.Message]] = []

    class Inbox:
        async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
            received.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Inbox(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        connection = {
            "conn_type": "smtp",
            "host": "127.0.0.1",
            "port": port,
            "extra": {
                "from_email": "wire-ingest@example.org",
                "disable_ssl": True,
                "disable_tls": True,
                "retry_limit": 0,
                "timeout": 10,
            },
        }
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", json.dumps(connection))
        monkeypatch.setenv(wire_alerts.EMAIL_TO_ENV, "ops@example.org, desk@example.org")
        monkeypatch.delenv(wire_alerts.WEBHOOK_URL_ENV, raising=False)
        alert = wire_alerts.Alert(
            kind="task_failed",
            dag_id="wire_ingest",
            run_id="mail_test_run",
            task_id="fetch",
            error="RuntimeError: the site is down",
            url="http://127.0.0.1:8080/dags/wire_ingest/runs/mail_test_run/tasks/fetch",
        )
        wire_alerts.send(alert)
    finally:
        controller.stop()
    ((recipients, message),) = received
    assert recipients == ["ops@example.org", "desk@example.org"]
    assert message["From"] == "wire-ingest@example.org"
    assert message["Subject"] == "[wire_ingest] task failed: mail_test_run"
    html = next(
        part.get_payload(decode=True).decode()
        for part in message.walk()
        if part.get_content_type() == "text/html"
    )
    assert "RuntimeError: the site is down" in html and alert.url in html


def test_deadline_callback_alerts_with_the_runs_feed_and_day(
    alert_receiver: AlertReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The callback's context is the run as the REST API shows it: its dates name the day."""
    monkeypatch.setenv(wire_alerts.WEBHOOK_URL_ENV, alert_receiver.url)
    before = len(alert_receiver.received)
    deadline = "2020-12-24T22:00:00+00:00"
    run = {"dag_id": "wire_ingest", "dag_run_id": "scheduled__2020-12-22T16:00:00+00:00",
           "run_type": "scheduled", "logical_date": "2020-12-22T16:00:00Z",
           "run_after": "2020-12-23T16:00:00Z", "conf": {}, "state": "running"}  # fmt: skip
    alerts.deadline_missed(context={"dag_run": run, "deadline": {"deadline_time": deadline}})
    (message,) = alert_receiver.received[before:]
    assert message["kind"] == "deadline_missed" and deadline[:10] in message["error"]
    assert (message["feed"], message["target_day"]) == ("china_org_cn", "2020-12-23")
    assert "(feed china_org_cn, day 2020-12-23)" in message["text"]


@pytest.mark.airflow
@pytest.mark.slow
@pytest.mark.postgres
def test_a_failed_run_sends_exactly_one_alert(
    airflow_services: AirflowServices,
    alert_receiver: AlertReceiver,
    statsd_receiver: StatsdReceiver,
) -> None:
    services = airflow_services
    services.set_paused(False)
    # A listing page the site does not have: discovery fails (the services run without retries).
    services.post("variables", {"key": "wire_listing_path", "value": "/world/no_such_node.htm"})
    try:
        run = services.post(
            "dags/wire_ingest/dagRuns",
            {"logical_date": FAILING_LOGICAL_DATE, "dag_run_id": "alert_test_failing_run"},
        )
        (finished,) = services.wait_for_runs({run["dag_run_id"]})
    finally:
        services.api.delete(services.url("variables/wire_listing_path"), timeout=30)
    assert finished["state"] == "failed"
    message = wait_for(alert_receiver, "task_failed", run["dag_run_id"])
    time.sleep(3)  # a second message would come from the same worker right after the first
    about_run = [m for m in alert_receiver.received if m["run_id"] == run["dag_run_id"]]
    assert len(about_run) == 1, about_run  # one per run; its deadline was past before it started
    assert message["task_id"] == "discover"
    assert "discovery found no articles" in message["error"]
    assert message["url"] == (
        f"{services.base_url}/dags/wire_ingest/runs/{run['dag_run_id']}/tasks/discover"
    )
    assert services.api.get(message["url"], timeout=30).status_code == 200  # the UI page exists
    # The DAG's failure callback records the failed run; `discover`, which makes the run's plan,
    # is the task that failed, so the callback plans the run again from the same context.
    recorded = wait_for_ingest_run(services.warehouse_url, run["dag_run_id"])
    assert recorded["status"] == "failed" and recorded["dag_id"] == "wire_ingest"
    assert recorded["target_day"] == dt.date(2020, 12, 23)
    # The failing step's own message, not the DAG callback's "task discover failed: ...".
    assert recorded["message"].startswith("discovery found no articles for 2020-12-23"), recorded
    assert message["feed"] == "china_org_cn" and message["target_day"] == "2020-12-23"
    # The DAG's failure callback (in the dag-processor) also sends the run's counts as metrics.
    prefix = "airflow.wire_ingest.china_org_cn."
    deadline = time.monotonic() + 120
    while f"{prefix}runs.failed" not in statsd_receiver.values("c"):
        assert time.monotonic() < deadline, "no runs.failed metric"
        time.sleep(1)
    gauges = statsd_receiver.values("g")
    assert float(recorded["discovered"]) in gauges[f"{prefix}discovered"]
    assert float(recorded["rejected"]) in gauges[f"{prefix}rejected"]


@pytest.mark.airflow
@pytest.mark.slow
@pytest.mark.postgres
def test_a_manual_run_of_a_past_day_has_no_deadline_and_no_alert(
    airflow_services: AirflowServices, alert_receiver: AlertReceiver
) -> None:
    """Only the scheduled run of the day that has just ended has a load deadline
    (alerts.ScheduledDayDeadline): a manual run whose day's deadline passes while it cannot start
    (the DAG is paused) gets none, so its page shows no "Deadline Missed" and nobody is alerted."""
    services = airflow_services
    services.set_paused(True)
    hours = alerts.load_deadline_hour()
    logical = dt.datetime.now(dt.UTC) - dt.timedelta(days=1, hours=hours) + dt.timedelta(seconds=5)
    run_id = "deadline_test_run"
    services.post(
        "dags/wire_ingest/dagRuns", {"logical_date": logical.isoformat(), "dag_run_id": run_id}
    )
    try:
        time.sleep(25)  # the scheduler checks deadlines every few seconds
        deadlines = services.api.get(
            f"{services.base_url}/ui/dags/wire_ingest/dagRuns/{run_id}/deadlines", timeout=30
        )
        deadlines.raise_for_status()
    finally:
        services.api.delete(services.url(f"dags/wire_ingest/dagRuns/{run_id}"), timeout=30)
        services.set_paused(False)
    assert deadlines.json()["deadlines"] == []
    assert not [m for m in alert_receiver.received if m["run_id"] == run_id]
