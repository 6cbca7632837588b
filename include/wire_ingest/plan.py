"""A run's plan: the one day it covers and where it reads and writes (RunContext)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from wire_ingest import settings, sources, workfiles
from wire_ingest.landing import safe_key
from wire_ingest.models import RunContext


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
