"""The `wire-ingest` command: migrate the warehouse, run or reprocess a day, parse a page, report."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import logging
import sys
from pathlib import Path
from typing import Any

USAGE = """wire-ingest COMMAND [ARGS]

commands:
  parse     parse one saved page: wire-ingest parse FILE --url URL
  migrate   bring the warehouse schema to this code's migrations (deploy time)
  run       run every stage for one day in this process, without Airflow (--source NAME)
  report    print what the warehouse holds: rows, sample titles, last runs, rejects
  replay    re-validate and reload a date range's rejects from the landing area (no network)
  reprocess parse and load a day again from its landing area only (no network)
  check-landing  verify that every raw_ref of a day points at a landed record
"""


def _site_path(value: str) -> str:
    """A path on the site root: another host or scheme would bypass the source's allowed hosts."""
    if not value.startswith("/") or value.startswith("//"):
        raise argparse.ArgumentTypeError(f"{value!r} is not a path on the site (it starts with /)")
    return value


WAREHOUSE_HELP = "SQLAlchemy URL (default: SQLite file)"


def _command_parser(
    command: str,
    description: str,
    *,
    day: bool = False,
    source_help: str | None = None,
    base_url_help: str | None = None,
    run_options: bool = False,
) -> argparse.ArgumentParser:
    """One command's parser with the options the commands share, spelled the same everywhere:
    `--day`, `--source`, `--base-url`, `--warehouse` and, for commands that run a day,
    `--landing` and `--run-id`."""
    from wire_ingest import sources

    parser = argparse.ArgumentParser(prog=f"wire-ingest {command}", description=description)
    if day:
        parser.add_argument(
            "--day", required=True, type=dt.date.fromisoformat, help="target day YYYY-MM-DD"
        )
    if source_help is not None:
        parser.add_argument(
            "--source",
            "--feed",  # the name `replay` used to take
            dest="source",
            type=sources.declared_source,
            default=sources.DEFAULT_SOURCE,
            help=f"{source_help} (a name in sources.toml; default {sources.DEFAULT_SOURCE})",
        )
    if base_url_help is not None:
        parser.add_argument("--base-url", default=None, help=base_url_help)
    parser.add_argument("--warehouse", default=None, help=WAREHOUSE_HELP)
    if run_options:
        parser.add_argument(
            "--landing", default=None, help="landing area URL (default: data/landing)"
        )
        parser.add_argument("--run-id", default=None)
    return parser


def _run_day(args: argparse.Namespace, run_kind: str, **run_day_options: Any) -> int:
    """Plan the day the parsed arguments name, run every stage in this process, print the summary."""
    from wire_ingest import plan, steps
    from wire_ingest.warehouse import engines, migrations

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    stamp = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}"
    ctx = plan.plan_run(
        run_id=args.run_id or f"{run_kind}__{args.day.isoformat()}__{stamp}",
        target_day=args.day,
        feed=args.source.name,
        base_url=args.base_url or args.source.site_root(),
        warehouse_url=args.warehouse,
        landing_url=args.landing,
    )
    _migrate_embedded(ctx.warehouse_url, engines, migrations)
    summary = steps.run_day(ctx, **run_day_options)
    print(json.dumps(summary, sort_keys=True))
    return 0


def _run(argv: list[str]) -> int:
    parser = _command_parser(
        "run",
        "Run one day without Airflow.",
        day=True,
        source_help="the source to fetch",
        base_url_help="site root (default: the source's Variable "
        "AIRFLOW_VAR_WIRE_BASE_URL[_<SOURCE>] from the environment, else its declared base_url: "
        "the live site)",
        run_options=True,
    )
    parser.add_argument(
        "--listing-path",
        default=None,
        type=_site_path,
        help="the listing page to walk, a path on the site root "
        "(default: the source's declared listing_paths)",
    )
    args = parser.parse_args(argv)
    return _run_day(args, "cli", listing_path=args.listing_path)


def _migrate_embedded(url: str, engines: Any, migrations: Any) -> None:
    """A standalone command may create its embedded SQLite warehouse on first use; a server
    warehouse is migrated at deploy time (`wire-ingest migrate`), never behind the user's back."""
    engine = engines.make_engine(url)
    try:
        if engine.dialect.name == "sqlite":
            migrations.migrate(engine)
    finally:
        engine.dispose()


def _migrate(argv: list[str]) -> int:
    from wire_ingest import settings
    from wire_ingest.warehouse import engines, migrations

    parser = _command_parser(
        "migrate", "Bring the warehouse schema to this code's head migration (deploy time)."
    )
    args = parser.parse_args(argv)
    engine = engines.make_engine(args.warehouse or settings.default_warehouse_url())
    try:
        migrations.migrate(engine)
        print(f"warehouse at schema revision {migrations.head_revision()}")
    finally:
        engine.dispose()
    return 0


def _reprocess(argv: list[str]) -> int:
    parser = _command_parser(
        "reprocess",
        "Parse and load one day again from the landing area alone (no network).",
        day=True,
        source_help="the source the pages came from; never contacted",
        base_url_help="the site root the pages were fetched from, which decides the hosts their "
        "URLs may name (default: the source's Variable or declared base_url); never contacted",
        run_options=True,
    )
    return _run_day(parser.parse_args(argv), "reprocess", reprocess=True)


def _replay(argv: list[str]) -> int:
    """`wire-ingest replay --from D1 --to D2`: prints one JSON line per replayed day."""
    from wire_ingest import replay

    parser = _command_parser(
        "replay",
        "Re-parse, re-validate and reload the rejects of a date range from the landing area (no "
        "network). Rows that now pass move from article_rejects to articles.",
        source_help="the source whose rejects to replay",
        base_url_help="the site the pages came from (its host is an allowed URL host); default "
        "the source's Variable (AIRFLOW_VAR_WIRE_BASE_URL[_<SOURCE>]) or its declared base_url",
    )
    parser.add_argument("--from", dest="start", required=True, type=dt.date.fromisoformat)
    parser.add_argument("--to", dest="end", type=dt.date.fromisoformat, help="default: --from")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    outcomes = replay.replay_range(
        args.start,
        args.end or args.start,
        warehouse_url=args.warehouse,
        base_url=args.base_url,
        feed=args.source.name,
    )
    for outcome in outcomes:
        print(json.dumps(dataclasses.asdict(outcome), default=str))
    if not outcomes:
        print(json.dumps({"replayed_days": 0}))
    return 0


def _report(argv: list[str]) -> int:
    from wire_ingest import settings
    from wire_ingest.warehouse import engines, migrations, queries, tables

    parser = _command_parser("report", "Summarise the warehouse.")
    parser.add_argument("--sample", type=int, default=5, help="how many titles to show")
    args = parser.parse_args(argv)
    engine = engines.make_engine(args.warehouse or settings.default_warehouse_url())
    try:
        migrations.migrate(engine)
        summary = queries.warehouse_summary(engine, sample=args.sample)
        runs = queries.latest_runs(engine, limit=3)
        reasons = queries.reject_reasons(engine)
    finally:
        engine.dispose()
    print(f"articles: {summary.articles} rows")
    print(f"rejects:  {summary.rejects} rows")
    print(f"runs:     {summary.runs} rows")
    for (stage, reason), count in sorted(reasons.items()):
        print(f"  rejected at {stage}: {reason} x{count}")
    print("latest runs:")
    for run in runs:
        counts = ", ".join(f"{name} {getattr(run, name)}" for name in tables.RUN_COUNT_FIELDS)
        print(f"  {run.run_id} ({run.target_day}, {run.status}): {counts}")
    if summary.sample_titles:
        print("sample titles:")
        for title in summary.sample_titles:
            print(f"  - {title}")
    return 0


def _check_landing(argv: list[str]) -> int:
    """`wire-ingest check-landing --day DAY`: exit 1 when a raw_ref of the day does not resolve."""
    from wire_ingest import landing, settings
    from wire_ingest.warehouse import engines, queries

    parser = _command_parser(
        "check-landing",
        "Verify that every raw_ref of a day (articles, rejects, fetch state) resolves.",
        day=True,
        source_help="the source whose day to check",
    )
    args = parser.parse_args(argv)
    engine = engines.make_engine(args.warehouse or settings.default_warehouse_url())
    try:
        refs = queries.day_raw_refs(engine, args.source.name, args.day)
    finally:
        engine.dispose()
    failed = 0
    for table, table_refs in refs.items():
        missing = landing.unresolved_refs(table_refs)
        failed += len(missing)
        print(f"{table}: {len(table_refs)} raw_refs, {len(missing)} unresolved")
        for ref in missing:
            print(f"  unresolved: {ref}")
    return 1 if failed else 0


def _read_page(path: Path) -> bytes:
    import gzip

    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def _page_reader(source: str | None, feed: str | None) -> Any:
    """How the CLI reads the page: the default source's adapter, the generic extractor or a
    declared source's."""
    from wire_ingest import adapters, sources

    if source == "generic":
        return adapters.page_reader("", feed=feed or "generic")
    declared = sources.get_source(source or sources.DEFAULT_SOURCE)
    return adapters.reader_for_source(declared, feed=feed)


def _parse(argv: list[str]) -> int:
    """`wire-ingest parse FILE --url URL [--source S] [--feed F]`: print the article as JSON."""
    import gzip

    from wire_ingest.adapters import NotAnArticle

    parser = argparse.ArgumentParser(
        prog="wire-ingest parse",
        description="Parse one saved article page (may be .gz) and print it as JSON.",
    )
    parser.add_argument("file", type=Path, help="saved HTML page, optionally gzip-compressed")
    parser.add_argument("--url", required=True, help="the URL the page was fetched from")
    parser.add_argument("--feed", default=None, help="feed id (default: the source's name)")
    parser.add_argument("--charset", default=None, help="charset from the HTTP header, if known")
    parser.add_argument(
        "--source",
        default=None,
        help="a source declared in sources.toml (its adapter reads the page), or 'generic' for "
        "the generic extractor (default: the china.org.cn adapter)",
    )
    args = parser.parse_args(argv)
    try:
        read_page = _page_reader(args.source, args.feed)
    except ValueError as exc:  # an unknown source or a broken sources file
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        html = _read_page(args.file)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        reason = getattr(exc, "strerror", None) or exc
        print(f"error: cannot read {args.file}: {reason}", file=sys.stderr)
        return 2
    try:
        article = read_page(
            html, args.url, charset=args.charset, raw_ref=args.file.resolve().as_uri()
        )
    except NotAnArticle as exc:
        reason = exc.reason.removeprefix("not_an_article: ")
        print(f"not an article: {reason}", file=sys.stderr)
        return 1
    print(json.dumps(article.to_dict(), ensure_ascii=False, indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(USAGE)
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command == "parse":
        return _parse(rest)
    if command == "migrate":
        return _migrate(rest)
    if command == "run":
        return _run(rest)
    if command == "report":
        return _report(rest)
    if command == "reprocess":
        return _reprocess(rest)
    if command == "check-landing":
        return _check_landing(rest)
    if command == "replay":
        return _replay(rest)
    print(f"wire-ingest: unknown command {command!r}\n\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
