"""The declared wire sources (sources.toml): loading and validation; cheap to import (DAG files)."""

from __future__ import annotations

import dataclasses
import functools
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from wire_ingest.settings import FetchSettings

DEFAULT_FILE = Path(__file__).with_name("sources.toml")
# The source a command or DAG means when none is named: the first wire wire-ingest read.
DEFAULT_SOURCE = "china_org_cn"
PAGING_STYLES = ("node_suffix", "next_link", "single")
ADAPTERS = ("china_org_cn", "news_cn", "")  # "": the generic extractor (no site adapter)
_NAME = re.compile(r"^[a-z][a-z0-9_]{1,40}$")
_HOST = re.compile(
    r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$"
)
_CRON_FIELD = re.compile(r"^[\d*/,\-A-Za-z]+$")


class SourceConfigError(ValueError):
    """A sources file that cannot be used; the message names the file and the field."""


@dataclass(frozen=True, slots=True)
class Source:
    """One declared wire."""

    name: str  # the feed id
    title: str
    base_url: str
    allowed_hosts: tuple[str, ...]
    listing_paths: tuple[str, ...]
    paging: str
    max_listing_pages: int
    article_url_pattern: str
    timezone: str
    adapter: str  # "" = generic extraction
    agency: str
    rate_limit_rps: float
    schedule: str
    pool: str
    pool_slots: int
    dag: str  # the DAG id that runs it
    max_active_runs: int = 4  # days of this source that may run at once
    enabled: bool = True
    # reach loopback/private/link-local addresses (a site on your own network); see http.guard
    allow_private_addresses: bool = False
    # The articles a day's batch may hold: outside them the run fails (a hard sanity bound; a day
    # far from the feed's own trailing history is a site_drift warning, quality.site_health).
    min_day_articles: int = 1
    max_day_articles: int = 10000

    @property
    def suite(self) -> str:
        """The GX suite its articles are validated with (validate.suite_name_for(name))."""
        return f"wire_ingest.{self.name}.articles"

    def is_article_url(self, url: str) -> bool:
        return re.search(self.article_url_pattern, url) is not None

    def hosts_for(self, base_url: str) -> list[str]:
        """The declared hosts plus the host actually read (the local site in tests)."""
        from wire_ingest import urls

        return sorted({*self.allowed_hosts, urls.host_of(base_url)})

    @property
    def base_url_variable(self) -> str:
        """The Airflow Variable that overrides the site root (the default source's keeps its
        historic name `wire_base_url`)."""
        return "wire_base_url" if self.name == DEFAULT_SOURCE else f"wire_base_url_{self.name}"

    @property
    def listing_path_variable(self) -> str:
        """The Airflow Variable that overrides the listing path (a listing that moved)."""
        name = "wire_listing_path"
        return name if self.name == DEFAULT_SOURCE else f"{name}_{self.name}"

    def site_root(self) -> str:
        """The site root outside Airflow: the Variable from the environment
        (`AIRFLOW_VAR_WIRE_BASE_URL[_<NAME>]`, as the DAGs read it), else the declared base_url."""
        return os.environ.get(f"AIRFLOW_VAR_{self.base_url_variable.upper()}") or self.base_url

    def fetch_settings(self) -> FetchSettings:
        """The environment's fetch settings, with the source's rate limit and listing depth where
        the environment does not set them (WIRE_MAX_RPS, WIRE_MAX_LISTING_PAGES)."""
        base = FetchSettings.from_env()
        declared: dict[str, Any] = {}
        if not os.environ.get("WIRE_MAX_RPS", "").strip():
            declared["max_requests_per_second"] = self.rate_limit_rps
        if not os.environ.get("WIRE_MAX_LISTING_PAGES", "").strip():
            declared["max_listing_pages"] = self.max_listing_pages
        return dataclasses.replace(base, **declared)

    def day_article_band(self) -> tuple[int, int]:
        """(min, max) articles a day's batch may hold: the source's declared bounds, where the
        environment does not set them (WIRE_MIN_DAY_ARTICLES, WIRE_MAX_DAY_ARTICLES)."""
        low = os.environ.get("WIRE_MIN_DAY_ARTICLES", "").strip()
        high = os.environ.get("WIRE_MAX_DAY_ARTICLES", "").strip()
        return (
            int(low) if low else self.min_day_articles,
            int(high) if high else self.max_day_articles,
        )


_FIELDS: dict[str, tuple[type | tuple[type, ...], Any]] = {
    # name: (type, default; ... = required)
    "title": (str, ""),
    "base_url": (str, ...),
    "allowed_hosts": (list, ...),
    "listing_paths": (list, ...),
    "paging": (str, "single"),
    "max_listing_pages": (int, 50),
    "article_url_pattern": (str, ...),
    "timezone": (str, "UTC"),
    "adapter": (str, ""),
    "agency": (str, ""),
    "rate_limit_rps": ((int, float), 1.0),
    "schedule": (str, "0 0 * * *"),
    "pool": (str, "wire_fetch"),
    "pool_slots": (int, 4),
    "dag": (str, ""),
    "max_active_runs": (int, 4),
    "enabled": (bool, True),
    "allow_private_addresses": (bool, False),
    "min_day_articles": (int, 1),
    "max_day_articles": (int, 10000),
}


def _fail(where: str, problem: str) -> SourceConfigError:
    return SourceConfigError(f"{where}: {problem}")


def _typed(where: str, table: Mapping[str, Any], name: str) -> Any:
    kind, default = _FIELDS[name]
    if name not in table:
        if default is ...:
            raise _fail(f"{where}.{name}", "is required")
        return default
    value = table[name]
    # bool is an int in Python: a count or a rate must not be `true`.
    if isinstance(value, bool) and kind is not bool:
        raise _fail(f"{where}.{name}", f"must be {_kind_name(kind)}, not a boolean")
    if not isinstance(value, kind):
        raise _fail(f"{where}.{name}", f"must be {_kind_name(kind)}, not {type(value).__name__}")
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {"str": "a string", "list": "a list", "int": "an integer", "bool": "true or false"}
    if isinstance(kind, tuple):
        return "a number"
    return names.get(kind.__name__, kind.__name__)


def _strings(where: str, values: list[Any]) -> tuple[str, ...]:
    if not values:
        raise _fail(where, "must not be empty")
    for index, value in enumerate(values):
        if not isinstance(value, str) or not value.strip():
            raise _fail(f"{where}[{index}]", "must be a non-empty string")
    return tuple(value.strip() for value in values)


def parse_source(name: str, table: Mapping[str, Any], *, where: str = "sources") -> Source:
    """One validated Source from its TOML table; SourceConfigError names the bad field."""
    here = f"{where}.{name}"
    if not _NAME.match(name):
        raise _fail(here, "the name must be lower-case letters, digits and _ (2-41 chars)")
    unknown = sorted(set(table) - set(_FIELDS))
    if unknown:
        raise _fail(f"{here}.{unknown[0]}", f"unknown field (known: {', '.join(sorted(_FIELDS))})")
    values = {field: _typed(here, table, field) for field in _FIELDS}

    base = urlsplit(values["base_url"])
    if base.scheme not in ("http", "https") or not base.hostname:
        raise _fail(f"{here}.base_url", f"must be an http(s) URL, got {values['base_url']!r}")
    hosts = _strings(f"{here}.allowed_hosts", values["allowed_hosts"])
    for index, host in enumerate(hosts):
        if not _HOST.match(host):
            raise _fail(f"{here}.allowed_hosts[{index}]", f"{host!r} is not a host name")
    if base.hostname not in hosts:
        raise _fail(f"{here}.allowed_hosts", f"must include the base_url's host {base.hostname!r}")
    paths = _strings(f"{here}.listing_paths", values["listing_paths"])
    for index, path in enumerate(paths):
        if not path.startswith("/"):
            raise _fail(f"{here}.listing_paths[{index}]", f"{path!r} must start with /")
    if values["paging"] not in PAGING_STYLES:
        raise _fail(f"{here}.paging", f"must be one of {', '.join(PAGING_STYLES)}")
    if values["max_listing_pages"] < 1:
        raise _fail(f"{here}.max_listing_pages", "must be at least 1")
    try:
        re.compile(values["article_url_pattern"])
    except re.error as exc:
        raise _fail(f"{here}.article_url_pattern", f"is not a regular expression ({exc})") from exc
    try:
        ZoneInfo(values["timezone"])
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise _fail(f"{here}.timezone", f"unknown time zone {values['timezone']!r}") from exc
    if values["adapter"] not in ADAPTERS:
        known = ", ".join(repr(a) for a in ADAPTERS)
        raise _fail(f"{here}.adapter", f"unknown adapter {values['adapter']!r} (known: {known})")
    if not values["rate_limit_rps"] > 0:
        raise _fail(f"{here}.rate_limit_rps", "must be more than 0 requests per second")
    cron = values["schedule"].split()
    if len(cron) != 5 or not all(_CRON_FIELD.match(part) for part in cron):
        raise _fail(
            f"{here}.schedule", f"must be a 5-field cron expression, got {values['schedule']!r}"
        )
    if not values["pool"].strip():
        raise _fail(f"{here}.pool", "must not be empty")
    if values["max_active_runs"] < 1:
        raise _fail(f"{here}.max_active_runs", "must be at least 1")
    if values["pool_slots"] < 1:
        raise _fail(f"{here}.pool_slots", "must be at least 1")
    if values["min_day_articles"] < 0:
        raise _fail(f"{here}.min_day_articles", "must be at least 0")
    if values["max_day_articles"] < max(1, values["min_day_articles"]):
        raise _fail(f"{here}.max_day_articles", "must be at least 1 and min_day_articles")
    return Source(
        name=name,
        title=values["title"] or name,
        base_url=values["base_url"].rstrip("/"),
        allowed_hosts=hosts,
        listing_paths=paths,
        paging=values["paging"],
        max_listing_pages=values["max_listing_pages"],
        article_url_pattern=values["article_url_pattern"],
        timezone=values["timezone"],
        adapter=values["adapter"],
        agency=values["agency"],
        rate_limit_rps=float(values["rate_limit_rps"]),
        schedule=values["schedule"],
        pool=values["pool"],
        pool_slots=values["pool_slots"],
        dag=values["dag"] or f"wire_{name}",
        max_active_runs=values["max_active_runs"],
        enabled=values["enabled"],
        allow_private_addresses=values["allow_private_addresses"],
        min_day_articles=values["min_day_articles"],
        max_day_articles=values["max_day_articles"],
    )


def parse_sources(document: Mapping[str, Any], *, where: str = "sources") -> dict[str, Source]:
    """Every source of a parsed sources document, validated."""
    tables = document.get("sources")
    if not isinstance(tables, dict) or not tables:
        raise _fail(where, "needs at least one [sources.<name>] table")
    unknown = sorted(set(document) - {"sources"})
    if unknown:
        raise _fail(unknown[0], "unknown top-level key (only [sources.<name>] tables)")
    found: dict[str, Source] = {}
    dags: dict[str, str] = {}
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise _fail(f"{where}.{name}", "must be a table")
        source = parse_source(name, table, where=where)
        if source.dag in dags:
            raise _fail(
                f"{where}.{name}.dag", f"DAG id {source.dag!r} is used by {dags[source.dag]}"
            )
        dags[source.dag] = name
        found[name] = source
    return found


def sources_file() -> Path:
    """The sources file in use: WIRE_SOURCES_FILE, else the one shipped with the package."""
    override = os.environ.get("WIRE_SOURCES_FILE", "").strip()
    return Path(override) if override else DEFAULT_FILE


def load_sources(path: Path | None = None) -> dict[str, Source]:
    """The validated sources of a TOML file (default: sources_file()), cached per file version."""
    file = (path or sources_file()).resolve()
    try:
        stat = file.stat()
    except OSError as exc:
        raise SourceConfigError(f"{file}: cannot read the sources file ({exc.strerror})") from exc
    return dict(_load(str(file), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=8)
def _load(file: str, _mtime_ns: int, _size: int) -> dict[str, Source]:
    try:
        document = tomllib.loads(Path(file).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SourceConfigError(f"{file}: not valid TOML ({exc})") from exc
    return parse_sources(document, where=f"{Path(file).name}: sources")


def get_source(name: str, path: Path | None = None) -> Source:
    """One declared source by name; SourceConfigError when it is not declared."""
    declared = load_sources(path)
    if name not in declared:
        raise SourceConfigError(
            f"no source {name!r} in {path or sources_file()} (declared: {', '.join(declared)})"
        )
    return declared[name]


def declared_source(name: str) -> Source:
    """An argparse `type=` for a command's source option: the declared source, or a usage error
    (exit 2) that names the declared ones."""
    import argparse

    try:
        return get_source(name)
    except SourceConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def enabled_sources(path: Path | None = None) -> list[Source]:
    """The enabled sources, by name: each gets its DAG from the one factory (dags/wire_dags.py)."""
    return [s for _, s in sorted(load_sources(path).items()) if s.enabled]


def source_of_dag(dag_id: str, path: Path | None = None) -> Source | None:
    """The declared source whose DAG is `dag_id`, else None (a DAG of another project)."""
    return next((s for s in load_sources(path).values() if s.dag == dag_id), None)


def pools(path: Path | None = None) -> dict[str, dict[str, Any]]:
    """The Airflow pools the sources' DAGs use, in `airflow pools import` form: the one list
    `airflow-init.sh`, `make airflow` and the compose init create."""
    found: dict[str, dict[str, Any]] = {}
    for source in enabled_sources(path):
        slots = max(source.pool_slots, found.get(source.pool, {}).get("slots", 0))
        found[source.pool] = {"slots": slots, "description": f"Fetches of wire {source.name}"}
    return found


def main(argv: list[str] | None = None) -> int:
    """`python -m wire_ingest.sources [check|pools]`: validate the file, or print its pools."""
    import json
    import sys

    args = sys.argv[1:] if argv is None else argv
    command = args[0] if args else "check"
    try:
        declared = load_sources()
    except SourceConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if command == "pools":
        print(json.dumps(pools(), indent=1, sort_keys=True))
        return 0
    if command == "check":
        for name, source in sorted(declared.items()):
            print(f"{name}: {source.adapter or 'generic'} adapter, DAG {source.dag}")
        return 0
    print("usage: python -m wire_ingest.sources [check|pools]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
