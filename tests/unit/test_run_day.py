"""Every view of a run names its day: the run note, the deadline alert, the site drift alert; and
only the scheduled run of the day that has just ended has a load deadline."""

from __future__ import annotations

import datetime as dt

import pytest

from wire_ingest import alerts as wire_alerts
from wire_ingest import plan, sources
from wire_ingest.airflow import alerts

BEIJING_MIDNIGHT_23 = dt.datetime(2020, 12, 22, 16, 0, tzinfo=dt.UTC)  # 2020-12-23 00:00 Beijing
INTERVAL = alerts.deadline_interval(6)  # by 06:00 Beijing the next day: 2020-12-24T22:00Z


@pytest.mark.parametrize(
    ("run_type", "created", "counts_from"),
    [
        # the day's scheduled run, made at 00:00 Beijing when the day ends: deadline 06:00 next day
        ("scheduled", dt.datetime(2020, 12, 23, 16, 0, 5, tzinfo=dt.UTC), BEIJING_MIDNIGHT_23),
        # the first run after unpausing on a later day: its deadline had passed, it is not late
        ("scheduled", dt.datetime(2020, 12, 25, 13, 0, tzinfo=dt.UTC), None),
        ("backfill", dt.datetime(2020, 12, 23, 16, 0, 5, tzinfo=dt.UTC), None),
        ("manual", dt.datetime(2020, 12, 23, 16, 0, 5, tzinfo=dt.UTC), None),
        ("asset_triggered", dt.datetime(2020, 12, 23, 16, 0, 5, tzinfo=dt.UTC), None),
    ],
)
def test_only_the_days_scheduled_run_gets_a_deadline(
    run_type: str, created: dt.datetime, counts_from: dt.datetime | None
) -> None:
    base = alerts.deadline_base(
        run_type=run_type, logical_date=BEIJING_MIDNIGHT_23, created=created, interval=INTERVAL
    )
    assert base == counts_from


def test_the_deadline_reference_survives_serialization() -> None:
    reference = alerts.ScheduledDayDeadline(hours=9)
    data = reference.serialize_reference()
    assert data["__class_path"] == "wire_ingest.airflow.alerts.ScheduledDayDeadline"
    assert alerts.ScheduledDayDeadline.deserialize_reference(data) == reference


def _rest_run(**fields: object) -> dict[str, object]:
    """A run as the REST API (and the deadline callback's context) gives it."""
    return {
        "dag_id": "wire_ingest",
        "dag_run_id": "scheduled__2020-12-22T16:00:00+00:00",
        "run_type": "scheduled",
        "logical_date": "2020-12-22T16:00:00Z",
        "run_after": "2020-12-23T16:00:00Z",
        "conf": {},
        "state": "running",
        **fields,
    }


def test_the_deadline_alert_names_the_feed_and_day() -> None:
    alert = alerts.deadline_alert(
        {"dag_run": _rest_run(), "deadline": {"deadline_time": "2020-12-24T22:00:00+00:00"}}
    )
    assert (alert.feed, alert.target_day) == ("china_org_cn", "2020-12-23")
    assert "(feed china_org_cn, day 2020-12-23)" in alert.text


def test_a_manual_runs_day_param_names_its_day_a_backfills_does_not() -> None:
    manual = _rest_run(run_type="manual", conf={"day": "2020-12-01"})
    backfill = _rest_run(run_type="backfill", conf={"day": "2020-12-01"})
    for run, day in ((manual, "2020-12-01"), (backfill, "2020-12-23")):
        alert = alerts.deadline_alert({"dag_run": run, "deadline": {}})
        assert alert.target_day == day


def test_the_site_drift_alert_names_the_feed_and_day() -> None:
    alert = wire_alerts.site_drift_alert(
        "wire_ingest", "r", "listing changed", feed="china_org_cn", target_day="2020-12-23"
    )
    assert "(feed china_org_cn, day 2020-12-23)" in alert.text


def test_the_run_note_names_the_day_and_zone() -> None:
    source = sources.get_source("china_org_cn")
    day = plan.run_target_day(
        source.timezone,
        run_id="backfill__2020-12-22T16:00:00+00:00",
        run_type="backfill",
        day_param=None,
        logical_date=BEIJING_MIDNIGHT_23,
        run_after=None,
    )
    assert plan.run_note(day, source) == "day 2020-12-23 (china_org_cn, Asia/Shanghai)"
    assert sources.source_of_dag("wire_ingest") == source
    assert sources.source_of_dag("someone_elses_dag") is None
