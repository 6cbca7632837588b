"""Airflow plugin: each run's day in its note (Runs list, run page) and the load deadline's reference."""

from __future__ import annotations

import logging
from typing import Any

from airflow.listeners import hookimpl
from airflow.plugins_manager import AirflowPlugin

from wire_ingest.airflow.alerts import ScheduledDayDeadline

log = logging.getLogger(__name__)


class RunDayNotes:
    """Scheduler listener: a run of a wire DAG that starts gets the note "day YYYY-MM-DD (...)".

    Airflow chooses the ids of scheduled and backfill runs (`backfill__2020-12-22T16:00:00+00:00`
    covers 23 December in Beijing), and a manual run's id says when it was started: the note says
    which day the run covers, as its tasks plan it. A note someone wrote is never replaced.
    """

    @hookimpl
    def on_dag_run_running(self, dag_run: Any, msg: str) -> None:
        from wire_ingest import sources
        from wire_ingest.plan import run_note, run_target_day

        source = sources.source_of_dag(dag_run.dag_id)
        if source is None or dag_run.note:
            return
        conf = dag_run.conf or {}
        day = run_target_day(
            source.timezone,
            run_id=dag_run.run_id,
            run_type=dag_run.run_type,
            day_param=conf.get("day") if isinstance(conf, dict) else None,
            logical_date=dag_run.logical_date,
            run_after=dag_run.run_after,
        )
        dag_run.note = run_note(day, source)  # committed with the scheduler's own transaction
        log.info("run %s: note %r", dag_run.run_id, dag_run.note)


class WireRunsPlugin(AirflowPlugin):
    name = "wire_runs"
    listeners = [RunDayNotes()]  # noqa: RUF012 - AirflowPlugin declares these as plain class attributes
    deadline_references = [ScheduledDayDeadline]  # noqa: RUF012
