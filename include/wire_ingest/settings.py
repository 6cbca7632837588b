"""Settings with their defaults, read from the environment; cheap to import (DAG files use it)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_USER_AGENT = "wire-ingest/0.1 (+https://github.com/wire-ingest/wire-ingest)"
# The Airflow connection of the warehouse (AIRFLOW_CONN_WIRE_WAREHOUSE works too). A source's
# own settings (site root, listing path Variables, schedule, pool) are in sources.toml.
WAREHOUSE_CONN_ID = "wire_warehouse"


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def data_dir() -> Path:
    """Root for the SQLite warehouse, the landing area (raw pages and run work files, unless WIRE_LANDING_URL points elsewhere)."""
    return Path(_env("WIRE_DATA_DIR", str(Path.cwd() / "data"))).resolve()


def default_warehouse_url() -> str:
    return _env("WIRE_WAREHOUSE_URL", f"sqlite:///{data_dir() / 'warehouse.db'}")


def default_landing_url() -> str:
    return _env("WIRE_LANDING_URL", (data_dir() / "landing").as_uri())


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """How politely and how persistently pages are fetched."""

    user_agent: str = DEFAULT_USER_AGENT
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    max_attempts: int = 4
    backoff_factor: float = 0.5
    backoff_jitter: float = 0.25  # seconds of random jitter added to each backoff
    max_requests_per_second: float = 1.0  # per host; 0 disables the limit (local site only)
    concurrency: int = 4
    max_body_bytes: int = 5_000_000
    max_listing_pages: int = 200
    max_fetch_runs: int = 5  # runs that may fail on a URL before it is given up
    obey_robots: bool = True  # honour robots.txt (turn off only for a site you run yourself)

    @classmethod
    def from_env(cls) -> FetchSettings:
        return cls(
            user_agent=_env("WIRE_USER_AGENT", DEFAULT_USER_AGENT),
            connect_timeout=float(_env("WIRE_CONNECT_TIMEOUT", "5")),
            read_timeout=float(_env("WIRE_READ_TIMEOUT", "20")),
            max_attempts=int(_env("WIRE_MAX_ATTEMPTS", "4")),
            backoff_factor=float(_env("WIRE_BACKOFF_FACTOR", "0.5")),
            backoff_jitter=float(_env("WIRE_BACKOFF_JITTER", "0.25")),
            max_requests_per_second=float(_env("WIRE_MAX_RPS", "1")),
            concurrency=int(_env("WIRE_FETCH_CONCURRENCY", "4")),
            max_body_bytes=int(_env("WIRE_MAX_BODY_BYTES", "5000000")),
            max_listing_pages=int(_env("WIRE_MAX_LISTING_PAGES", "200")),
            max_fetch_runs=int(_env("WIRE_MAX_FETCH_RUNS", "5")),
            obey_robots=_env("WIRE_OBEY_ROBOTS", "1").lower() not in {"0", "false", "no"},
        )


def max_reject_share() -> float:
    """The run fails when more than this share of parsed articles is rejected."""
    return float(_env("WIRE_MAX_REJECT_SHARE", "0.2"))


def max_fetch_failure_share() -> float:
    """`fetch` fails (its rejects recorded) when more than this share of the day's article URLs
    could not be fetched: an outage, not a data-quality problem. Default: the reject share's."""
    return float(_env("WIRE_MAX_FETCH_FAILURE_SHARE", str(max_reject_share())))


def data_docs_dir() -> Path:
    """Root of the per-run Great Expectations Data Docs sites."""
    return Path(_env("WIRE_DATA_DOCS_DIR", str(data_dir() / "data_docs"))).resolve()


def min_english_stopword_share() -> float:
    """A body with a smaller share of English stopwords is not plausible English wire copy."""
    return float(_env("WIRE_MIN_ENGLISH_STOPWORD_SHARE", "0.1"))
