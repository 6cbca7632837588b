"""Alerts: what a person needs to act on a run, sent to a webhook (and e-mail when configured)."""

from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import quote

log = logging.getLogger(__name__)

WEBHOOK_URL_ENV = "WIRE_ALERT_WEBHOOK_URL"
WEBHOOK_CONN_ID = "wire_alerts"  # alternative: an Airflow connection whose host is the URL
EMAIL_TO_ENV = "WIRE_ALERT_EMAIL"  # comma-separated; sent through the smtp provider's smtp_default
WEBHOOK_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class Alert:
    """What a person needs to act on: which run, which task, what went wrong, where to look."""

    kind: str  # "task_failed" | "deadline_missed" | "site_drift"
    dag_id: str
    run_id: str
    task_id: str | None
    error: str
    url: str
    logical_date: str | None = None
    feed: str | None = None
    target_day: str | None = None  # YYYY-MM-DD: the day the run covers

    @property
    def text(self) -> str:
        what = f"task {self.task_id} failed" if self.task_id else self.kind.replace("_", " ")
        about = ", ".join(
            f"{name} {value}"
            for name, value in (("feed", self.feed), ("day", self.target_day))
            if value
        )
        where = f"run {self.run_id}" + (f" ({about})" if about else "")
        return f"[{self.dag_id}] {what} in {where}: {self.error}\n{self.url}"

    def to_payload(self) -> dict[str, Any]:
        """JSON for the webhook: `text` for chat tools (Slack, Mattermost, Teams), fields for the rest."""
        return {"text": self.text, **asdict(self)}


def ui_base_url() -> str:
    """The Airflow UI's external address ([api] base_url), for links in alerts."""
    configured = os.environ.get("AIRFLOW__API__BASE_URL", "").strip()
    if configured:
        return configured.rstrip("/")
    try:
        from airflow.sdk.configuration import conf

        return str(conf.get("api", "base_url", fallback="http://localhost:8080")).rstrip("/")
    except Exception:  # outside Airflow (unit tests, CLI)
        return "http://localhost:8080"


def run_url(dag_id: str, run_id: str, task_id: str | None = None) -> str:
    url = f"{ui_base_url()}/dags/{quote(dag_id, safe='')}/runs/{quote(run_id, safe='')}"
    return url + (f"/tasks/{quote(task_id, safe='')}" if task_id else "")


def site_drift_alert(
    dag_id: str, run_id: str, error: str, *, feed: str | None = None, target_day: str | None = None
) -> Alert:
    """The warning of a run that loads but shows a changed site (quality.site_health)."""
    return Alert(
        kind="site_drift",
        dag_id=dag_id,
        run_id=run_id,
        task_id=None,
        error=error[:2000],
        url=run_url(dag_id, run_id),
        feed=feed,
        target_day=target_day,
    )


def webhook_url() -> str | None:
    """WIRE_ALERT_WEBHOOK_URL, else the host of the Airflow connection `wire_alerts`, else None."""
    configured = os.environ.get(WEBHOOK_URL_ENV, "").strip()
    if configured:
        return configured
    try:
        from airflow.sdk import BaseHook

        conn = BaseHook.get_connection(WEBHOOK_CONN_ID)
    except Exception:  # no such connection (or outside Airflow): webhook alerts are off
        return None
    host = conn.host or ""
    return host if host.startswith(("http://", "https://")) else None


def send(alert: Alert) -> None:
    """Post the alert to the webhook and e-mail it when configured; never raises (logs instead)."""
    import requests

    url = webhook_url()
    if url:
        try:
            response = requests.post(url, json=alert.to_payload(), timeout=WEBHOOK_TIMEOUT_S)
            response.raise_for_status()
        except requests.RequestException as exc:
            log.error("alert webhook %s failed: %s", url, exc)
    else:
        log.warning(
            "no alert webhook configured (%s or connection %s)", WEBHOOK_URL_ENV, WEBHOOK_CONN_ID
        )
    recipients = [r.strip() for r in os.environ.get(EMAIL_TO_ENV, "").split(",") if r.strip()]
    if recipients:
        try:
            from airflow.providers.smtp.hooks.smtp import SmtpHook

            with SmtpHook() as smtp:
                smtp.send_email_smtp(
                    to=recipients,
                    subject=f"[{alert.dag_id}] {alert.kind.replace('_', ' ')}: {alert.run_id}",
                    html_content=f"<pre>{alert.text}</pre>",
                )
        except Exception as exc:  # a broken mail relay must not hide the webhook alert
            log.error("alert e-mail to %s failed: %s", recipients, exc)
    log.warning("alert sent: %s", alert.text)
