"""Per-host request spacing: in-process, or shared by every run through the warehouse."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from wire_ingest.settings import FetchSettings
from wire_ingest.warehouse.engines import dialect_insert, write_transaction
from wire_ingest.warehouse.tables import host_rate_slots

# Woken later than this share of the interval after its slot, a request reserves a new slot
# (at most MAX_RESERVATIONS in all, then it goes: a request is never starved).
LATE_SHARE = 0.5
MAX_RESERVATIONS = 3


class SharedRateLimiter:
    """Per-host request slots reserved in the warehouse: holds across threads, tasks and runs.

    Each request reserves the host's next free slot in one write transaction (BEGIN IMMEDIATE on
    SQLite, SELECT ... FOR UPDATE on PostgreSQL) and sleeps until it. The clock is the wall clock
    of the machines involved, so workers on several hosts need synchronised clocks (NTP).
    """

    def __init__(
        self,
        engine: Engine,
        rate_per_second: float,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        unlimited: frozenset[str] = frozenset(),
    ) -> None:
        if rate_per_second < 0:
            raise ValueError("rate_per_second must be >= 0")
        self.interval = 1.0 / rate_per_second if rate_per_second > 0 else 0.0
        self._host_interval: dict[str, float] = {}  # slower hosts (robots.txt Crawl-delay)
        self._unlimited = unlimited  # loopback hosts (settings.loopback_hosts): never waited for
        self._engine = engine
        self._clock = clock
        self._sleep = sleep

    def at_least(self, host: str, seconds: float) -> None:
        """Space this host's requests at least `seconds` apart (never faster than the rate)."""
        self._host_interval[host] = max(seconds, self._host_interval.get(host, 0.0))

    def reserve(self, host: str) -> float:
        """Reserve the host's next slot; returns the seconds to wait for it."""
        t = host_rate_slots
        with write_transaction(self._engine) as conn:
            conn.execute(
                dialect_insert(conn, t).values(host=host, next_slot_at=0.0).on_conflict_do_nothing()
            )
            query = sa.select(t.c.next_slot_at).where(t.c.host == host)
            if conn.dialect.name == "postgresql":
                query = query.with_for_update()
            reserved = float(conn.execute(query).scalar_one())
            now = self._clock()
            slot = max(now, reserved)
            interval = self.host_interval(host)
            conn.execute(sa.update(t).where(t.c.host == host).values(next_slot_at=slot + interval))
        return slot - now

    def host_interval(self, host: str) -> float:
        return max(self.interval, self._host_interval.get(host, 0.0))

    def wait(self, host: str) -> float:
        """Block until this host's reserved slot; returns the seconds waited.

        A process that wakes well after its slot (a loaded machine) reserves again instead of
        asking at once: by then later slots, other processes' requests, may be due, and asking
        now would put two requests closer than the interval.
        """
        if host in self._unlimited or (self.interval == 0 and host not in self._host_interval):
            return 0.0  # off: a site we run ourselves
        waited = 0.0
        for _ in range(MAX_RESERVATIONS):
            delay = self.reserve(host)
            if delay <= 0:
                break
            due = self._clock() + delay
            self._sleep(delay)
            waited += delay
            if self._clock() - due <= LATE_SHARE * self.host_interval(host):
                break
        return waited


class HostLimiter(Protocol):
    """Anything that blocks until a host may be asked again (in-process or shared, see fetch_state)."""

    def wait(self, host: str) -> float: ...

    def at_least(self, host: str, seconds: float) -> None:
        """Space this host's requests at least `seconds` apart (robots.txt Crawl-delay)."""


class RateLimiter:
    """Spaces requests to each host at least 1/rate seconds apart, across threads (0 = off)."""

    def __init__(
        self,
        rate_per_second: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        unlimited: frozenset[str] = frozenset(),
    ) -> None:
        if rate_per_second < 0:
            raise ValueError("rate_per_second must be >= 0")
        self.interval = 1.0 / rate_per_second if rate_per_second > 0 else 0.0
        self._unlimited = unlimited  # loopback hosts (settings.loopback_hosts): never waited for
        self._clock = clock
        self._sleep = sleep
        self._next_slot: dict[str, float] = {}
        self._host_interval: dict[str, float] = {}  # slower hosts (robots.txt Crawl-delay)
        self._lock = threading.Lock()

    def at_least(self, host: str, seconds: float) -> None:
        """Space this host's requests at least `seconds` apart (never faster than the rate)."""
        with self._lock:
            self._host_interval[host] = max(seconds, self._host_interval.get(host, 0.0))

    def wait(self, host: str) -> float:
        """Block until this host may be asked again; returns the seconds waited."""
        if host in self._unlimited:
            return 0.0
        with self._lock:  # reserve a slot under the lock, sleep outside it
            interval = max(self.interval, self._host_interval.get(host, 0.0))
            if interval == 0:
                return 0.0
            now = self._clock()
            slot = max(now, self._next_slot.get(host, now))
            self._next_slot[host] = slot + interval
        delay = slot - now
        if delay > 0:
            self._sleep(delay)
        return delay


def host_limiter(engine: Engine, settings: FetchSettings) -> HostLimiter:
    """The per-host limiter every run shares through the warehouse (in-process when off)."""
    if settings.max_requests_per_second <= 0:
        return RateLimiter(0)
    return SharedRateLimiter(
        engine, settings.max_requests_per_second, unlimited=settings.unlimited_hosts
    )
