"""Run the benchmarks, write benchmarks/results/<name>.json and .md, print the table.

python -m benchmarks.run            # everything (`make bench`, ~15 min on 2 cores)
python -m benchmarks.run --quick    # a subset in under 2 minutes (`make bench-quick`)
python -m benchmarks.run --only parse,validate
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.harness import (
    Row,
    load_average,
    machine_info,
    markdown_table,
    rows_from_result,
    unavailable,
)

RESULTS_DIR = Path(__file__).resolve().parent / "results"

# (short name, module, figure title, who provides it). Order = order of the table.
MODULES: tuple[tuple[str, str, str], ...] = (
    ("parse", "benchmarks.bench_parse", "Parse"),
    ("airflow_day", "benchmarks.bench_airflow_day", "A day in Airflow"),
    ("backfill", "benchmarks.bench_backfill", "Backfill"),
    ("celery", "benchmarks.bench_celery", "Scaling out"),
    ("rerun", "benchmarks.bench_rerun", "Re-run of a loaded day"),
    ("politeness", "benchmarks.bench_politeness", "Politeness"),
    ("dedupe", "benchmarks.bench_dedupe", "Dedupe"),
    ("validate", "benchmarks.bench_validate", "Validation"),
    ("extraction", "benchmarks.bench_extraction", "Extraction"),
    ("extraction_cv", "benchmarks.bench_extraction_cv", "Extraction (cross-validated)"),
    ("html_parsers", "benchmarks.bench_html_parsers", "HTML parsers"),
)


def run_module(module_name: str, figure: str, *, quick: bool) -> tuple[list[Row], dict[str, Any]]:
    """One benchmark module's rows and raw result; a missing module or a failure is a row too."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        return [unavailable(figure, "-", f"not available yet: {module_name} does not exist")], {}
    started = time.perf_counter()
    try:
        result = module.run(quick)
    except Exception as exc:  # a broken benchmark must not hide the others' figures
        traceback.print_exc()
        return [unavailable(figure, "-", f"failed: {type(exc).__name__}: {exc}"[:300])], {
            "error": repr(exc)
        }
    result = dict(result)
    result.setdefault("seconds", round(time.perf_counter() - started, 1))
    # the rows go to the table (and the JSON's "rows"); the rest is kept as the module's raw figures
    return rows_from_result(figure, result), {k: v for k, v in result.items() if k != "rows"}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a subset in under 2 minutes")
    parser.add_argument(
        "--only", default="", help="comma-separated names: " + ", ".join(m[0] for m in MODULES)
    )
    parser.add_argument(
        "--name", default="", help="results file name (default: latest, or quick with --quick)"
    )
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="measure nothing: rewrite <name>.md from <name>.json (after a table format change)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

    wanted = {name.strip() for name in args.only.split(",") if name.strip()}
    unknown = wanted - {m[0] for m in MODULES}
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    mode = "quick" if args.quick else "full"
    name = args.name or ("quick" if args.quick else "latest")
    args.results_dir.mkdir(parents=True, exist_ok=True)
    if args.render_only:
        saved = json.loads((args.results_dir / f"{name}.json").read_text())
        table = markdown_table(
            [Row(**r) for r in saved["rows"]], saved["machine"], mode=saved["mode"]
        )
        (args.results_dir / f"{name}.md").write_text(table)
        print(table)
        return 0
    machine = machine_info()
    rows: list[Row] = []
    raw: dict[str, Any] = {}
    failed = False
    started = time.perf_counter()
    for short, module_name, figure in MODULES:
        if wanted and short not in wanted:
            continue
        print(f"[bench] {short} ...", file=sys.stderr, flush=True)
        began = time.perf_counter()
        found, result = run_module(module_name, figure, quick=args.quick)
        failed = failed or "error" in result
        rows.extend(found)
        raw[short] = result
        print(f"[bench] {short}: {time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
        # progress so far, under a name git ignores: an interrupted run leaves latest.* alone
        _write_json(args.results_dir / f"{name}.json.tmp", mode, machine, started, rows, raw)

    machine["load_average_end"] = load_average()
    table = markdown_table(rows, machine, mode=mode)
    total = time.perf_counter() - started
    partial = args.results_dir / f"{name}.json.tmp"
    _write_json(partial, mode, machine, started, rows, raw)
    partial.replace(args.results_dir / f"{name}.json")
    (args.results_dir / f"{name}.md").write_text(table)
    print(table)
    print(f"[bench] {mode} run took {total:.0f} s; wrote {args.results_dir / name}.json/.md")
    return 1 if failed else 0


def _write_json(
    path: Path,
    mode: str,
    machine: dict[str, Any],
    started: float,
    rows: list[Row],
    raw: dict[str, Any],
) -> None:
    document = {
        "mode": mode,
        "machine": machine,
        "seconds": round(time.perf_counter() - started, 1),
        "rows": [r.to_dict() for r in rows],
        "raw": raw,
    }
    path.write_text(json.dumps(document, indent=1, sort_keys=True, default=str) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
