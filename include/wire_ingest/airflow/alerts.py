"""Airflow's side of alerts: a failed task's notifier and the scheduled day's load deadline."""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from airflow.sdk import BaseNotifier
from airflow.sdk.definitions.deadline import BaseDeadlineReference

from wire_ingest.alerts import Alert, run_url, send

log = logging.getLogger(__name__)

DEADLINE_HOUR_ENV = (
    "WIRE_LOAD_DEADLINE_HOUR"  # Beijing hour of the next day a day must be loaded by
)
DEFAULT_DEADLINE_HOUR = 6


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, dt.datetime) else str(value)


def failure_alert(
    context: Mapping[str, Any], *, feed: str | None = None, timezone: str | None = None
) -> Alert:
    """The alert for a task's final failure, from its Airflow context; `feed` and `timezone`
    (the DAG's source) name the run's day when `discover` failed before planning it."""
    ti = context.get("ti") or context.get("task_instance")
    dag_id = str(getattr(ti, "dag_id", None) or context["dag"].dag_id)
    run_id = str(context.get("run_id") or getattr(ti, "run_id", ""))
    task_id = getattr(ti, "task_id", None)
    exception = context.get("exception")
    error = f"{type(exception).__name__}: {exception}" if exception else str(context.get("reason"))
    planned_feed, target_day = run_subject(context)
    if target_day is None and timezone is not None:
        target_day = _target_day(context, timezone)
    return Alert(
        # an exception may name its own kind (quality.site_health.SiteDriftError: "site_drift")
        kind=str(getattr(exception, "alert_kind", "task_failed")),
        dag_id=dag_id,
        run_id=run_id,
        task_id=task_id,
        error=error[:2000],
        url=run_url(dag_id, run_id, task_id),
        logical_date=_iso(context.get("logical_date")),
        feed=planned_feed or feed,
        target_day=target_day,
    )


def _target_day(context: Mapping[str, Any], timezone: str) -> str | None:
    """The day the run covers, planned as `discover` plans it (its param, else its dates)."""
    from wire_ingest.plan import run_target_day

    params = context.get("params")
    dag_run = context.get("dag_run")
    try:
        return run_target_day(
            timezone,
            run_id=str(context.get("run_id")),
            run_type=getattr(dag_run, "run_type", None),
            day_param=params.get("day") if isinstance(params, Mapping) else None,
            logical_date=context.get("logical_date"),
            run_after=getattr(dag_run, "run_after", None),
        ).isoformat()
    except (ValueError, TypeError) as exc:  # no date to go by: the alert goes out without it
        log.warning("alert: no target day: %s", exc)
        return None


def run_subject(context: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(feed, target day) of the run a task context belongs to, from the plan `discover` hands
    on in XCom; (None, None) when there is none (discover failed before returning)."""
    ti = context.get("ti") or context.get("task_instance")
    pull = getattr(ti, "xcom_pull", None)
    if pull is None:
        return None, None
    try:
        discovered = pull(task_ids="discover")
    except Exception as exc:  # an alert must go out even when XCom cannot be read
        log.warning("alert: no plan from discover's XCom: %s", exc)
        return None, None
    planned = discovered.get("plan") if isinstance(discovered, Mapping) else None
    if not isinstance(planned, Mapping):
        return None, None
    feed, day = planned.get("feed"), planned.get("target_day")
    return (str(feed) if feed else None), (str(day) if day else None)


def deadline_alert(context: Mapping[str, Any]) -> Alert:
    """The alert for a missed deadline, from the context Airflow gives a deadline callback (the
    run as the REST API shows it: its type, conf and dates name the day it covers)."""
    run = context.get("dag_run") or {}
    deadline = context.get("deadline") or {}
    dag_id, run_id = str(run.get("dag_id")), str(run.get("dag_run_id") or run.get("run_id"))
    feed, day = _subject_of_dag_run(dag_id, run)
    return Alert(
        kind="deadline_missed",
        dag_id=dag_id,
        run_id=run_id,
        task_id=None,
        error=(
            f"not loaded by {_iso(deadline.get('deadline_time'))} (run state: {run.get('state')})"
        ),
        url=run_url(dag_id, run_id),
        logical_date=_iso(run.get("logical_date")),
        feed=feed,
        target_day=day,
    )


def _subject_of_dag_run(dag_id: str, run: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(feed, day) of a run given as the REST API's dict, from its DAG's declared source."""
    from wire_ingest import sources
    from wire_ingest.plan import run_target_day

    source = sources.source_of_dag(dag_id)
    if source is None:
        return None, None
    conf = run.get("conf") or {}
    try:
        day = run_target_day(
            source.timezone,
            run_id=str(run.get("dag_run_id") or run.get("run_id")),
            run_type=run.get("run_type"),
            day_param=conf.get("day") if isinstance(conf, Mapping) else None,
            logical_date=run.get("logical_date"),
            run_after=run.get("run_after"),
        )
    except (ValueError, TypeError) as exc:
        log.warning("alert: no target day: %s", exc)
        return source.name, None
    return source.name, day.isoformat()


class WireFailureNotifier(BaseNotifier):
    """Task `on_failure_callback`: the final failure of a task (after retries) sends one alert.

    The DAG's tasks form a chain, so a failed run has exactly one failed task (the rest are
    upstream_failed): one message per failed run.
    """

    def __init__(self, *, feed: str | None = None, timezone: str | None = None) -> None:
        super().__init__()
        self.feed = feed
        self.timezone = timezone

    def notify(self, context: Any) -> None:
        send(failure_alert(context, feed=self.feed, timezone=self.timezone))


def deadline_missed(context: Mapping[str, Any] | None = None, **_: Any) -> None:
    """Deadline callback (runs on the executor): one alert. Only the scheduled run of the day that
    has just ended has a deadline (ScheduledDayDeadline)."""
    send(deadline_alert(context or {}))


def deadline_base(
    *, run_type: str, logical_date: dt.datetime | None, created: dt.datetime, interval: dt.timedelta
) -> dt.datetime | None:
    """What a run's load deadline counts from: the logical date of a scheduled run created before
    its deadline, else None (no deadline). A backfill, a manual run or a scheduled run of a past
    day (the first one after unpausing) was never late, so it shows no "Deadline Missed"."""
    if run_type != "scheduled" or logical_date is None:
        return None
    if created >= logical_date + interval:
        return None
    return logical_date


@dataclass
class ScheduledDayDeadline(BaseDeadlineReference):
    """Deadline reference: deadline_base() of the run (registered by plugins/wire_runs_plugin.py;
    the scheduler evaluates it when it creates a run)."""

    hours: int = DEFAULT_DEADLINE_HOUR  # the load_deadline interval's hours after the day

    required_kwargs: ClassVar[set[str]] = {"dag_id", "run_id"}

    def serialize_reference(self) -> dict[str, Any]:
        return {
            "reference_type": self.reference_name,
            "hours": self.hours,
            # kept when Airflow re-serializes its wrapper of a custom reference
            "__class_path": f"{type(self).__module__}.{type(self).__qualname__}",
        }

    @classmethod
    def deserialize_reference(cls, reference_data: dict[str, Any]) -> ScheduledDayDeadline:
        return cls(hours=int(reference_data.get("hours", DEFAULT_DEADLINE_HOUR)))

    def _evaluate_with(self, *, session: Any, **kwargs: Any) -> dt.datetime | None:
        from airflow.models import DagRun
        from sqlalchemy import select

        run = session.scalar(
            select(DagRun).where(
                DagRun.dag_id == kwargs["dag_id"], DagRun.run_id == kwargs["run_id"]
            )
        )
        if run is None:
            return None
        base = deadline_base(
            run_type=str(getattr(run.run_type, "value", run.run_type)),
            logical_date=run.logical_date,
            created=dt.datetime.now(dt.UTC),
            interval=deadline_interval(self.hours),
        )
        if base is None:
            log.info("run %s: no load deadline (not the scheduled run of its day)", run.run_id)
        return base


def deadline_interval(hours: int) -> dt.timedelta:
    """From the logical date (the day's 00:00 in the source's zone) to the deadline."""
    return dt.timedelta(days=1, hours=hours)


def _in_dags_test() -> bool:
    import sys

    return sys.argv[1:3] == ["dags", "test"]


def load_deadline_hour() -> int:
    return int(os.environ.get(DEADLINE_HOUR_ENV, "").strip() or DEFAULT_DEADLINE_HOUR)


def load_deadline() -> Any:
    """DeadlineAlert: the scheduled run of a day must finish by `WIRE_LOAD_DEADLINE_HOUR` (Beijing)
    the day after (ScheduledDayDeadline: other runs have no deadline).

    The logical date is the target day's 00:00 Beijing, so the deadline is one day plus that
    many hours later. None (no deadline) when `WIRE_LOAD_DEADLINE_HOUR=off`, and inside
    `airflow dags test`: Airflow 3.3.2's `dag.test()` reads the DAG's deadlines unserialized and
    crashes when a run with a deadline succeeds (AttributeError: 'dict' object has no attribute
    'hex' in DeadlineAlertModel.get_by_id); the scheduler's path is not affected.
    """
    if os.environ.get(DEADLINE_HOUR_ENV, "").strip().lower() == "off" or _in_dags_test():
        return None
    # airflow.sdk exports these too, but its type stub does not list them yet
    from airflow.sdk.definitions.callback import SyncCallback
    from airflow.sdk.definitions.deadline import DeadlineAlert

    hours = load_deadline_hour()
    return DeadlineAlert(
        reference=ScheduledDayDeadline(hours=hours),
        interval=deadline_interval(hours),
        callback=SyncCallback(f"{__name__}.deadline_missed"),
        name="day loaded",
    )
