"""The benchmark harness's own code on tiny inputs: medians, ratios, rows, the table, the runner."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from benchmarks import harness
from benchmarks import run as bench_run
from benchmarks.bench_parse import adapter_fields, grade, site_pages


def test_median_and_ratio() -> None:
    assert harness.median([3.0, 1.0, 2.0]) == 2.0
    assert harness.median([4.0, 1.0, 2.0, 3.0]) == 2.5
    with pytest.raises(ValueError):
        harness.median([])
    assert harness.ratio(10.0, 4.0) == 2.5
    assert harness.ratio(None, 4.0) is None
    assert harness.ratio(1.0, 0.0) is None
    assert harness.row("F", "m", 9.0, peer="p", peer_value=3.0).ratio == 3.0


def test_timed_runs_calls_the_work_once_per_repeat_after_the_warmup() -> None:
    calls: list[int] = []
    seconds = harness.timed_runs(lambda: calls.append(1), 3, warmup=2)
    assert len(seconds) == 3 and all(s >= 0 for s in seconds)
    assert len(calls) == 5
    with pytest.raises(ValueError):
        harness.timed_runs(lambda: None, 0)


def test_interleaved_rates_alternate_the_contenders() -> None:
    order: list[str] = []
    rates = harness.interleaved_rates(
        {"a": lambda: order.append("a"), "b": lambda: order.append("b")}, items=10, repeats=2
    )
    assert order == ["a", "b", "a", "b"]
    assert set(rates) == {"a", "b"} and all(rate > 0 for rate in rates.values())


def test_rows_from_a_result_with_rows_and_from_plain_figures() -> None:
    given = {
        "rows": [
            harness.row("Dedupe", "docs/s at 1k", 500.0, "docs/s", peer="sha1", peer_value=250.0),
            {"measure": "docs/s at 10k", "value": 400.0, "peer": "sha1", "peer_value": 100.0},
        ]
    }
    rows = harness.rows_from_result("Dedupe", given)
    assert [r.ratio for r in rows] == [2.0, 4.0]
    assert rows[1].figure == "Dedupe"

    plain = harness.rows_from_result("X", {"at": {"1k": 12, "10k": 3.5}, "tool": "minhash"})
    assert [(r.measure, r.value, r.note) for r in plain] == [
        ("at / 1k", 12.0, ""),
        ("at / 10k", 3.5, ""),
        ("tool", None, "minhash"),
    ]


def test_format_number() -> None:
    assert harness.format_number(None) == "-"
    assert harness.format_number(12345.6) == "12,346"
    assert harness.format_number(2.5) == "2.50"
    assert harness.format_number(123.4) == "123"
    assert harness.format_number(12.34) == "12.3"
    assert harness.format_number(1.234) == "1.23"
    assert harness.format_number(0.01234) == "0.0123"
    assert harness.format_number(0.0) == "0"
    assert harness.format_number(64.0) == "64"
    assert harness.format_number(7200.0) == "7,200"


def test_markdown_table_shows_the_machine_values_peers_and_ratios() -> None:
    machine = {"cpu": "Test CPU", "cores": 2, "ram_gb": 4.0, "python": "3.11.0", "date": "today"}
    rows = [
        harness.row("Parse", "adapter", 1000.0, "pages/s", peer="trafilatura", peer_value=100.0),
        harness.unavailable("Dedupe", "-", "not available yet | soon"),
    ]
    table = harness.markdown_table(rows, machine, mode="quick")
    lines = table.splitlines()
    assert lines[0].startswith("Machine: Test CPU, 2 cores, 4.0 GB RAM, Python 3.11.0; today")
    assert "`make bench-quick`" in lines[0]
    assert "| Parse | adapter | 1,000 pages/s | trafilatura | 100 | 10x |  |" in lines
    assert "| Dedupe | - | - |  |  |  | not available yet \\| soon |" in lines
    assert all(line.count(" | ") == 6 for line in lines[2:] if not line.startswith("|---"))

    loaded = harness.markdown_table(
        rows, {**machine, "load_average_start": 1.5, "load_average_end": 2.0}
    )
    assert "`make bench`; load average 1.5 at the start, 2.0 at the end." in loaded


def test_machine_info_names_the_machine() -> None:
    machine = harness.machine_info()
    assert machine["cores"] >= 1 and machine["ram_gb"] > 0
    assert machine["cpu"] and machine["python"].startswith("3.")


def test_grading_counts_a_wrong_field_as_a_miss() -> None:
    pages = site_pages([dt.date(2020, 12, 23)])
    fields = adapter_fields(pages)
    right = grade(pages, fields)
    assert right.graded >= 200
    assert right.all_exact == 1.0 and right.body_complete == 1.0

    broken_url = next(p.url for p in pages if p.url in fields)
    broken = dict(fields)
    broken[broken_url] = {**fields[broken_url], "title": "Something else"}
    worse = grade(pages, broken)
    assert worse.title == pytest.approx(1 - 1 / right.graded)
    assert worse.date == 1.0 and worse.body_exact == 1.0
    assert worse.all_exact < 1.0


def _fake_module(monkeypatch: pytest.MonkeyPatch, name: str, run: Any) -> None:
    module = types.ModuleType(name)
    module.run = run  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, name, module)


def test_runner_writes_json_and_markdown_and_reports_missing_and_failing_benchmarks(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[bool] = []

    def good(quick: bool) -> dict[str, Any]:
        seen.append(quick)
        rows = [harness.row("Good", "things/s", 20.0, "things/s", peer="peer", peer_value=5.0)]
        return {"rows": rows, "raw_figure": 7}

    def bad(quick: bool) -> dict[str, Any]:
        raise RuntimeError("broken on purpose")

    _fake_module(monkeypatch, "benchmarks.bench_tiny_good", good)
    _fake_module(monkeypatch, "benchmarks.bench_tiny_bad", bad)
    monkeypatch.setattr(
        bench_run,
        "MODULES",
        (
            ("good", "benchmarks.bench_tiny_good", "Good"),
            ("missing", "benchmarks.bench_tiny_missing", "Missing"),
            ("bad", "benchmarks.bench_tiny_bad", "Bad"),
        ),
    )
    code = bench_run.main(["--quick", "--results-dir", str(tmp_path), "--name", "tiny"])
    assert code == 1  # a failing benchmark fails the run, after every other figure is written
    assert seen == [True]

    document = json.loads((tmp_path / "tiny.json").read_text())
    assert document["mode"] == "quick"
    assert {"cpu", "cores", "ram_gb", "python", "date"} <= set(document["machine"])
    by_figure = {r["figure"]: r for r in document["rows"]}
    assert by_figure["Good"]["ratio"] == 4.0
    assert by_figure["Missing"]["value"] is None
    assert "not available yet" in by_figure["Missing"]["note"]
    assert by_figure["Bad"]["value"] is None and "broken on purpose" in by_figure["Bad"]["note"]
    assert document["raw"]["good"]["raw_figure"] == 7

    table = (tmp_path / "tiny.md").read_text()
    assert "| Good | things/s | 20 things/s | peer | 5 | 4x |  |" in table
    assert table in capsys.readouterr().out

    (tmp_path / "tiny.md").unlink()
    assert bench_run.main(["--render-only", "--results-dir", str(tmp_path), "--name", "tiny"]) == 0
    assert (tmp_path / "tiny.md").read_text() == table

    only = bench_run.main(["--only", "good", "--results-dir", str(tmp_path), "--name", "only"])
    assert only == 0 and seen == [True, False]
    assert [r["figure"] for r in json.loads((tmp_path / "only.json").read_text())["rows"]] == [
        "Good"
    ]


def test_rows_are_plain_json() -> None:
    item = harness.row("F", "m", 1.0, peer="p", peer_value=2.0)
    assert json.loads(json.dumps(item.to_dict())) == dataclasses.asdict(item)
