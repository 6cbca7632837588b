"""The `wire-ingest` command: serve the local wire site, parse a page, run a day, report."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys

USAGE = """wire-ingest COMMAND [ARGS]

commands:
  site      serve the local wire site (deterministic copy of Off the Wire) on 127.0.0.1
  parse     parse one saved page: wire-ingest parse FILE --url URL
  run       run every stage for one day in this process, without Airflow (--source NAME)
  report    print what the warehouse holds: rows, sample titles, last runs, rejects
  replay    re-validate and reload a date range's rejects from the landing area (no network)
  reprocess parse and load a day again from its landing area only (no network)
"""


def _run(argv: list[str]) -> int:
    from wire_ingest import pipeline, settings, source_runs, sources

    parser = argparse.ArgumentParser(
        prog="wire-ingest run", description="Run one day without Airflow."
    )
    parser.add_argument(
        "--day", required=True, type=dt.date.fromisoformat, help="target day YYYY-MM-DD"
    )
    parser.add_argument(
        "--source",
        type=sources.declared_source,
        default=settings.FEED,
        help=f"a source declared in sources.toml (default {settings.FEED})",
    )
    parser.add_argument(
        "--base-url",
        default=None,
        help="site root (default: the source's Variable AIRFLOW_VAR_WIRE_BASE_URL[_<SOURCE>] "
        "from the environment, else its declared base_url: the live site)",
    )
    parser.add_argument(
        "--listing-path",
        default=None,
        help=f"{settings.FEED} only: the listing page (default: its first listing_paths entry)",
    )
    parser.add_argument("--warehouse", default=None, help="SQLAlchemy URL (default: SQLite file)")
    parser.add_argument("--landing", default=None, help="landing area URL (default: data/landing)")
    parser.add_argument("--run-id", default=None)
    args = parser.parse_args(argv)
    source = args.source
    if args.listing_path and source.name != settings.FEED:
        parser.error("--listing-path is for the default source; others declare listing_paths")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    run_id = args.run_id or f"cli__{args.day.isoformat()}__{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}"
    base_url = args.base_url or source_runs.site_root(source.name)
    if source.name == settings.FEED:  # the hand-written wire_ingest DAG's stages
        ctx = pipeline.plan_run(
            run_id=run_id,
            target_day=args.day,
            base_url=base_url,
            warehouse_url=args.warehouse,
            landing_url=args.landing,
        )
        summary = pipeline.run_day(
            ctx,
            listing_path=args.listing_path or source.listing_paths[0],
            fetch_settings=source_runs.fetch_settings_for(source),
        )
    else:  # a generated wire_<source> DAG's stages
        summary = source_runs.run_source_day(
            source,
            args.day,
            run_id=run_id,
            base_url=base_url,
            warehouse_url=args.warehouse,
            landing_url=args.landing,
        )
    print(json.dumps(summary, sort_keys=True))
    return 0


def _reprocess(argv: list[str]) -> int:
    from wire_ingest import pipeline, settings

    parser = argparse.ArgumentParser(
        prog="wire-ingest reprocess",
        description="Parse and load one day again from the landing area alone (no network).",
    )
    parser.add_argument(
        "--day", required=True, type=dt.date.fromisoformat, help="target day YYYY-MM-DD"
    )
    parser.add_argument("--warehouse", default=None, help="SQLAlchemy URL (default: SQLite file)")
    parser.add_argument("--landing", default=None, help="landing area URL (default: data/landing)")
    parser.add_argument(
        "--base-url",
        default=settings.LIVE_BASE_URL,
        help="the source the pages came from (its hosts are the allowed ones); never contacted",
    )
    parser.add_argument("--run-id", default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    stamp = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}"
    ctx = pipeline.plan_run(
        run_id=args.run_id or f"reprocess__{args.day.isoformat()}__{stamp}",
        target_day=args.day,
        base_url=args.base_url,
        warehouse_url=args.warehouse,
        landing_url=args.landing,
    )
    summary = pipeline.run_day(ctx, reprocess=True)
    print(json.dumps(summary, sort_keys=True))
    return 0


def _report(argv: list[str]) -> int:
    from wire_ingest import load, settings

    parser = argparse.ArgumentParser(
        prog="wire-ingest report", description="Summarise the warehouse."
    )
    parser.add_argument("--warehouse", default=None, help="SQLAlchemy URL (default: SQLite file)")
    parser.add_argument("--sample", type=int, default=5, help="how many titles to show")
    args = parser.parse_args(argv)
    engine = load.make_engine(args.warehouse or settings.default_warehouse_url())
    try:
        load.ensure_schema(engine)
        summary = load.warehouse_summary(engine, sample=args.sample)
        runs = load.latest_runs(engine, limit=3)
        reasons = load.reject_reasons(engine)
    finally:
        engine.dispose()
    print(f"articles: {summary.articles} rows")
    print(f"rejects:  {summary.rejects} rows")
    print(f"runs:     {summary.runs} rows")
    for (stage, reason), count in sorted(reasons.items()):
        print(f"  rejected at {stage}: {reason} x{count}")
    print("latest runs:")
    for run in runs:
        counts = ", ".join(f"{name} {getattr(run, name)}" for name in load.RUN_COUNT_FIELDS)
        print(f"  {run.run_id} ({run.target_day}, {run.status}): {counts}")
    if summary.sample_titles:
        print("sample titles:")
        for title in summary.sample_titles:
            print(f"  - {title}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(USAGE)
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command == "site":
        from wire_ingest.wiresim import server

        return server.main(rest)
    if command == "parse":
        from wire_ingest import parse

        return parse.main(rest)
    if command == "run":
        return _run(rest)
    if command == "report":
        return _report(rest)
    if command == "reprocess":
        return _reprocess(rest)
    if command == "replay":
        from wire_ingest import replay

        return replay.main(rest)
    print(f"wire-ingest: unknown command {command!r}\n\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
