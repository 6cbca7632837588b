"""A run's plan: the one day it covers and where it reads and writes (RunContext)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from wire_ingest import settings, sources, workfiles
from wire_ingest.landing import safe_key
from wire_ingest.models import RunContext

log = logging.getLogger(__name__)


def target_day_for(
    *,
    timezone: str,
    param_day: str | None = None,
    logical_date: dt.datetime | None = None,
    run_after: dt.datetime | None = None,
) -> dt.date:
    """The one day a run covers, in the source's time zone.

    An explicit ``day`` param wins. Otherwise the logical date in the source's time zone: the
    DAG's CronDataIntervalTimetable makes a scheduled run's logical date the start of the day that
    has just ended, a backfill's runs the days asked for, and a manual run's the date it was given.
    A run without a logical date (Airflow 3 allows that) covers the day before it ran.
    """
    zone = ZoneInfo(timezone)
    if param_day:
        return dt.date.fromisoformat(str(param_day))
    if logical_date is not None:
        return logical_date.astimezone(zone).date()
    if run_after is not None:
        return run_after.astimezone(zone).date() - dt.timedelta(days=1)
    raise ValueError("a run needs a day param, a logical date or a run_after time")


def run_target_day(
    timezone: str,
    *,
    run_id: str,
    run_type: Any,
    day_param: Any,
    logical_date: Any,
    run_after: Any,
) -> dt.date:
    """The day a run covers, however it is looked at (its tasks, its alerts, its run note).

    The `day` param, except in a backfill run: a backfill's runs each cover their own day, and a
    `day` given in the backfill dialog would pin every run of the range to one day. Else the
    logical date in the source's time zone (plan.target_day_for).
    """
    if day_param and str(getattr(run_type, "value", run_type)) == "backfill":
        log.warning("backfill run %s: the day param %s is ignored", run_id, day_param)
        day_param = None
    return target_day_for(
        timezone=timezone,
        param_day=str(day_param) if day_param else None,
        logical_date=_as_datetime(logical_date),
        run_after=_as_datetime(run_after),
    )


def run_note(day: dt.date, source: sources.Source) -> str:
    """The note the Airflow UI's Runs list and run page show for a run: the day it covers."""
    return f"day {day.isoformat()} ({source.name}, {source.timezone})"


def _as_datetime(value: Any) -> dt.datetime | None:
    """A datetime from Airflow's context (a datetime) or its REST models (an ISO string)."""
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def plan_run(
    *,
    run_id: str,
    target_day: dt.date,
    feed: str = sources.DEFAULT_SOURCE,
    base_url: str | None = None,
    warehouse_url: str | None = None,
    landing_url: str | None = None,
) -> RunContext:
    """Fix everything a run needs, and note when it started (in its work area of the store)."""
    landing_root = (landing_url or settings.default_landing_url()).rstrip("/")
    ctx = RunContext(
        run_id=run_id,
        target_day=target_day,
        feed=feed,
        base_url=(base_url or sources.get_source(feed).base_url).rstrip("/"),
        warehouse_url=warehouse_url or settings.default_warehouse_url(),
        work_url=workfiles.work_url_for(landing_root, feed, target_day, safe_key(run_id)),
        landing_url=landing_root,
    )
    workfiles.mark_started(ctx)
    return ctx


def context_to_dict(ctx: RunContext) -> dict[str, str]:
    data = dataclasses.asdict(ctx)
    data["target_day"] = ctx.target_day.isoformat()
    return data


def context_from_dict(data: Mapping[str, Any]) -> RunContext:
    values = dict(data)
    values["target_day"] = dt.date.fromisoformat(str(values["target_day"]))
    return RunContext(**values)
