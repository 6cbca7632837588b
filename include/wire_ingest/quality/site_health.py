"""Site health of a run: signs that the site changed under its adapter (`site_drift`)."""

from __future__ import annotations

import dataclasses
import os
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SITE_DRIFT = "site_drift"
# The symptoms a run can show (the alert and the run's message name them).
LISTING_NO_LINKS = "listing_no_links"
ADAPTER_MISSES = "adapter_misses"
EMPTY_FIELDS = "empty_fields"
VOLUME = "volume"


def _env_float(name: str, default: str) -> float:
    return float(os.environ.get(name, "").strip() or default)


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When a run's health is a drift signal (each from its environment variable)."""

    # Fewer pages parsed than this say nothing: a re-run where most pages answered 304 parses a
    # handful, and one odd page among five is no share to judge a site by.
    min_pages: int = 20
    fallback_jump: float = 0.1  # points above the feed's usual fallback share
    empty_share: float = 0.2  # share of parsed pages whose title, source or date was unreadable
    volume_ratio: float = 3.0  # discovered more than x times, or under 1/x of, the trailing median
    min_history: int = 3  # earlier successful runs needed for a trailing median

    @classmethod
    def from_env(cls) -> Thresholds:
        return cls(
            min_pages=int(_env_float("WIRE_DRIFT_MIN_PAGES", "20")),
            fallback_jump=_env_float("WIRE_FALLBACK_JUMP", "0.1"),
            empty_share=_env_float("WIRE_DRIFT_EMPTY_SHARE", "0.2"),
            volume_ratio=_env_float("WIRE_DRIFT_VOLUME_RATIO", "3"),
        )


@dataclass(frozen=True, slots=True)
class DriftSignal:
    """One symptom of a changed site, with what an operator reads in the alert."""

    symptom: str
    message: str

    def __str__(self) -> str:
        return f"{SITE_DRIFT} {self.symptom}: {self.message}"


class SiteDriftError(RuntimeError):
    """A drift symptom that leaves nothing to load (a listing with no article links)."""

    alert_kind = SITE_DRIFT  # alerts.failure_alert sends the task's failure as this kind

    def __init__(self, signal: DriftSignal) -> None:
        super().__init__(str(signal))
        self.signal = signal


@dataclass(frozen=True, slots=True)
class SiteHealth:
    """What a run saw of the site, over the pages it actually fetched and parsed."""

    parsed_pages: int  # pages with a body parsed this run (not the 304s): articles + parse rejects
    adapter: int  # articles the site's adapter read
    fallback: int  # articles the generic fallback read because the adapter could not
    empty_required: int  # pages refused because the title, source or date could not be read
    listing_pages: int  # listing pages walked (0: a day known from an earlier walk, a reprocess)
    listing_links: int  # article links on them, of any day
    discovered: int
    not_modified: int
    baseline_fallback: float  # fallback share of the feed's previous successful runs
    trailing_median: float | None  # discovered per run over the feed's previous runs
    signals: tuple[DriftSignal, ...] = ()

    @property
    def articles(self) -> int:
        return self.adapter + self.fallback

    @property
    def fallback_share(self) -> float:
        return self.fallback / self.articles if self.articles else 0.0

    @property
    def adapter_share(self) -> float:
        return self.adapter / self.articles if self.articles else 0.0

    @property
    def empty_share(self) -> float:
        return self.empty_required / self.parsed_pages if self.parsed_pages else 0.0

    @property
    def links_per_listing_page(self) -> float | None:
        return self.listing_links / self.listing_pages if self.listing_pages else None

    def to_dict(self) -> dict[str, Any]:
        """The JSON kept with the run (`ingest_runs.site_health`) and shown in the quality tab."""
        row = dataclasses.asdict(self)
        row["signals"] = [dataclasses.asdict(s) for s in self.signals]
        row.update(
            adapter_share=round(self.adapter_share, 4),
            fallback_share=round(self.fallback_share, 4),
            empty_share=round(self.empty_share, 4),
            links_per_listing_page=(
                None
                if self.links_per_listing_page is None
                else round(self.links_per_listing_page, 2)
            ),
        )
        return row


def assess(
    counts: Mapping[str, Any],
    *,
    baseline_fallback: float,
    trailing: list[int],
    thresholds: Thresholds | None = None,
) -> SiteHealth:
    """The run's health from its stage counts, with the drift signals it raises.

    Shares are judged only over at least `min_pages` pages parsed in this run; the volume only
    when the listing was walked and the feed has `min_history` earlier runs.
    """
    limits = thresholds or Thresholds.from_env()
    parsed = int(counts.get("parsed", 0))
    fallback = int(counts.get("fallback", 0))
    median = statistics.median(trailing) if len(trailing) >= limits.min_history else None
    health = SiteHealth(
        parsed_pages=parsed + int(counts.get("parse_failed", 0)),
        adapter=parsed - fallback,
        fallback=fallback,
        empty_required=int(counts.get("empty_required", 0)),
        listing_pages=int(counts.get("listing_pages", 0)),
        listing_links=int(counts.get("listing_links", 0)),
        discovered=int(counts.get("discovered", 0)),
        not_modified=int(counts.get("not_modified", 0)),
        baseline_fallback=round(baseline_fallback, 4),
        trailing_median=median,
    )
    signals: list[DriftSignal] = []
    if (
        health.articles >= limits.min_pages
        and health.fallback
        and health.fallback_share - baseline_fallback >= limits.fallback_jump
    ):
        signals.append(
            DriftSignal(
                ADAPTER_MISSES,
                f"fallback extraction for {health.fallback} of {health.articles} articles "
                f"({health.fallback_share:.0%}, previous runs {baseline_fallback:.0%}): "
                "the site's layout may have changed, check its adapter",
            )
        )
    if health.parsed_pages >= limits.min_pages and health.empty_share >= limits.empty_share:
        signals.append(
            DriftSignal(
                EMPTY_FIELDS,
                f"the title, source or date could not be read on {health.empty_required} of "
                f"{health.parsed_pages} pages ({health.empty_share:.0%}): check the adapter's "
                "selectors and date-line forms",
            )
        )
    linkless = int(counts.get("listing_pages_without_links", 0))
    if linkless:
        signals.append(
            DriftSignal(
                LISTING_NO_LINKS,
                f"{linkless} listing page(s) after the first had no article links: the day may "
                "be incomplete; check the listing's layout and paging",
            )
        )
    walked = health.listing_pages > 0 and "trial_max_pages" not in counts
    if walked and median is not None and median > 0:
        ratio = health.discovered / median
        if ratio > limits.volume_ratio or ratio < 1 / limits.volume_ratio:
            signals.append(
                DriftSignal(
                    VOLUME,
                    f"{health.discovered} articles discovered, trailing median {median:g}: "
                    "check the listing (a changed node or pagination) before trusting the day",
                )
            )
    return dataclasses.replace(health, signals=tuple(signals))


def listing_no_links(error: str) -> DriftSignal:
    """The fatal symptom: the listing's first page has no article links."""
    return DriftSignal(LISTING_NO_LINKS, error)


def feed_history(
    warehouse_url: str, feed: str, *, exclude_run: str = "", runs: int = 14
) -> tuple[float, list[int]]:
    """(fallback share, discovered per run) over the feed's last successful runs."""
    import sqlalchemy as sa

    from wire_ingest.warehouse.engines import make_engine
    from wire_ingest.warehouse.tables import ingest_runs as table

    query = (
        sa.select(table.c.fallback, table.c.parsed, table.c.discovered)
        .where(table.c.feed == feed, table.c.status == "success", table.c.run_id != exclude_run)
        .order_by(table.c.finished_at.desc().nulls_last())
        .limit(runs)
    )
    engine = make_engine(warehouse_url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table(table.name, schema=table.schema):
                return 0.0, []  # a new warehouse: no history yet (and a read creates nothing)
            rows = conn.execute(query).all()
    finally:
        engine.dispose()
    parsed = sum(row.parsed for row in rows)
    share = sum(row.fallback for row in rows) / parsed if parsed else 0.0
    # Runs that discovered nothing (reprocess runs, trial runs) say nothing of the day's volume.
    return share, [row.discovered for row in rows if row.discovered > 0]
