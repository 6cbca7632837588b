"""The run-planning rules: which day a run covers, warehouse URLs from connections, stage files."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from wire_ingest import landing, plan
from wire_ingest.airflow.context import warehouse_url_of

UTC = dt.UTC
BEIJING = dt.timezone(dt.timedelta(hours=8))
TZ = "Asia/Shanghai"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        # scheduled run: logical date = start of the Beijing day that has just ended
        ({"logical_date": dt.datetime(2020, 12, 22, 16, 0, tzinfo=UTC)}, "2020-12-23"),
        # `airflow dags test wire_ingest 2020-12-23` / a manual run for a date: that date
        ({"logical_date": dt.datetime(2020, 12, 23, 0, 0, tzinfo=UTC)}, "2020-12-23"),
        ({"logical_date": dt.datetime(2020, 12, 23, 23, 59, tzinfo=BEIJING)}, "2020-12-23"),
        # an explicit day param wins over everything
        (
            {"param_day": "2020-12-01", "logical_date": dt.datetime(2020, 12, 23, tzinfo=UTC)},
            "2020-12-01",
        ),
        # no logical date (Airflow 3 allows it): the day before the run, in Beijing
        ({"run_after": dt.datetime(2020, 12, 23, 17, 0, tzinfo=UTC)}, "2020-12-23"),
        ({"run_after": dt.datetime(2020, 12, 23, 15, 0, tzinfo=UTC)}, "2020-12-22"),
    ],
)
def test_target_day_for(kwargs: dict, expected: str) -> None:
    assert plan.target_day_for(timezone=TZ, **kwargs) == dt.date.fromisoformat(expected)


def test_target_day_needs_something() -> None:
    with pytest.raises(ValueError):
        plan.target_day_for(timezone=TZ)


def test_backfill_days_map_one_to_one() -> None:
    # a backfill's logical dates are the Beijing midnights of D1..D2 (the timetable's interval starts)
    starts = [dt.datetime(2020, 12, d, tzinfo=BEIJING) for d in (21, 22, 23)]
    days = [plan.target_day_for(timezone=TZ, logical_date=s.astimezone(UTC)) for s in starts]
    assert days == [dt.date(2020, 12, 21), dt.date(2020, 12, 22), dt.date(2020, 12, 23)]


@pytest.mark.parametrize(
    ("conn", "expected"),
    [
        ({"conn_type": "sqlite", "host": None, "schema": "/tmp/wh.db"}, "sqlite:////tmp/wh.db"),
        ({"conn_type": "sqlite", "host": "/tmp/wh.db"}, "sqlite:////tmp/wh.db"),
        (
            {
                "conn_type": "postgres",
                "host": "db",
                "schema": "wh",
                "login": "u",
                "password": "p@ss",
                "port": 5432,
            },
            "postgresql+psycopg://u:p%40ss@db:5432/wh",
        ),
        (
            {
                "conn_type": "postgresql+psycopg",
                "host": "127.0.0.1",
                "schema": "test",
                "login": "postgres",
                "extra": {"options": "-csearch_path=s1"},
            },
            "postgresql+psycopg://postgres@127.0.0.1/test?options=-csearch_path%3Ds1",
        ),
    ],
)
def test_warehouse_url_from_connection(conn: dict, expected: str) -> None:
    assert warehouse_url_of(_connection(**conn)) == expected


def test_warehouse_url_rejects_unknown_types() -> None:
    with pytest.raises(ValueError, match="not a supported warehouse"):
        warehouse_url_of(_connection(conn_type="mysql", host="x"))
    with pytest.raises(ValueError, match="path"):
        warehouse_url_of(_connection(conn_type="sqlite", host=None))


def _connection(**fields: Any) -> Any:
    """A real Airflow connection object (the task SDK's), as tasks get it."""
    import json

    from airflow.sdk import Connection

    extra = fields.pop("extra", None)
    return Connection(
        conn_id="wire_warehouse", extra=json.dumps(extra) if extra else None, **fields
    )


def test_run_key_is_filesystem_safe() -> None:
    assert (
        landing.safe_key("manual__2026-11-28T14:12:06.843920+00:00")
        == "manual__2026-11-28T14_12_06.843920_00_00"
    )
    assert landing.safe_key("///") == "run"


def test_plan_run_round_trips_through_xcom(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("WIRE_DATA_DIR", str(tmp_path))
    ctx = plan.plan_run(
        run_id="scheduled__x", target_day=dt.date(2020, 12, 23), base_url="http://127.0.0.1:1/"
    )
    assert ctx.base_url == "http://127.0.0.1:1"
    assert ctx.warehouse_url == f"sqlite:///{tmp_path / 'warehouse.db'}"
    assert ctx.landing_url == (tmp_path / "landing").as_uri()
    # the run's work area lives in the landing store, beside the raw pages (workers share no disk)
    work = (
        tmp_path
        / "landing"
        / "work"
        / "source=china_org_cn"
        / "date=2020-12-23"
        / "run=scheduled__x"
    )
    assert (
        ctx.work_url
        == f"{ctx.landing_url}/work/source=china_org_cn/date=2020-12-23/run=scheduled__x"
    )
    assert (work / "started_at").is_file()
    assert plan.context_from_dict(plan.context_to_dict(ctx)) == ctx


def test_discover_hands_the_plan_to_later_tasks(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`discover`'s XCom carries the plan; every later task reads its RunContext from it."""
    from wire_ingest import plan
    from wire_ingest.airflow import context

    monkeypatch.setenv("WIRE_DATA_DIR", str(tmp_path))
    ctx = plan.plan_run(run_id="scheduled__y", target_day=dt.date(2020, 12, 24))
    monkeypatch.setenv("AIRFLOW_CONN_WIRE_WAREHOUSE", ctx.warehouse_url)
    planned = plan.context_to_dict(ctx)
    planned[context.WAREHOUSE_REF] = "wire_warehouse"  # the plan names the connection ...
    del planned["warehouse_url"]  # ... never its URL (which may carry a password)
    xcom = context.with_plan({"path": "/x/discovered.jsonl", "count": 3}, planned)
    assert xcom["path"] == "/x/discovered.jsonl" and xcom["count"] == 3
    assert json.loads(json.dumps(xcom)) == xcom  # what XCom stores: plain JSON
    assert context.plan_of(xcom) == ctx


def test_plan_from_context_takes_the_day_param_over_the_logical_date(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.sdk.definitions.param import ParamsDict

    from wire_ingest import sources
    from wire_ingest.airflow import context as airflow_context

    monkeypatch.setenv("WIRE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("AIRFLOW_VAR_WIRE_BASE_URL_XINHUA_EN", "http://127.0.0.1:9")
    monkeypatch.setenv("AIRFLOW_CONN_WIRE_WAREHOUSE", f"sqlite:///{tmp_path / 'w.db'}")
    run = {
        "run_id": "manual__x",
        "params": ParamsDict({"day": "2020-12-21"}),
        "logical_date": dt.datetime(2020, 12, 24, tzinfo=dt.UTC),
    }
    planned = airflow_context.plan_from_context(run, sources.get_source("xinhua_en"))
    assert planned["target_day"] == "2020-12-21" and planned["feed"] == "xinhua_en"
    assert planned["base_url"] == "http://127.0.0.1:9"
    # the plan (XCom) names the connection, never its URL; each task resolves it
    assert "warehouse_url" not in planned and planned["warehouse_conn_id"] == "wire_warehouse"
    ctx = airflow_context.plan_of({"plan": planned})
    assert ctx.warehouse_url == f"sqlite:///{tmp_path / 'w.db'}"


def test_a_backfill_run_ignores_the_day_param(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A day typed in the backfill dialog would pin every run of the range to one day."""
    import types

    from airflow.sdk.definitions.param import ParamsDict

    from wire_ingest import sources
    from wire_ingest.airflow import context as airflow_context

    monkeypatch.setenv("WIRE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("AIRFLOW_CONN_WIRE_WAREHOUSE", f"sqlite:///{tmp_path / 'w.db'}")
    source = sources.get_source("china_org_cn")
    logical = dt.datetime(2020, 12, 22, 16, tzinfo=dt.UTC)  # 2020-12-23 00:00 in Beijing
    for run_type, expected in (("backfill", "2020-12-23"), ("manual", "2020-12-21")):
        run = {
            "run_id": f"{run_type}__x",
            "params": ParamsDict({"day": "2020-12-21"}),
            "logical_date": logical,
            "dag_run": types.SimpleNamespace(run_type=run_type, run_after=logical),
        }
        planned = airflow_context.plan_from_context(run, source)
        assert planned["target_day"] == expected, run_type
