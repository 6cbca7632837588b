"""Shared fixtures for integration tests: a served wire site and its answer key."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from wiresim.generate import build_site
from wiresim.server import RunningSite, start_in_thread

WIRE_SITE_START = dt.date(2020, 12, 22)
WIRE_SITE_END = dt.date(2020, 12, 24)
WIRE_SITE_SEED = 7


@pytest.fixture(scope="session")
def wire_site() -> Iterator[RunningSite]:
    """The simulated site for 2020-12-22..2020-12-24 (seed 7, 240 a day) on a free loopback port."""
    site = build_site(WIRE_SITE_START, WIRE_SITE_END, seed=WIRE_SITE_SEED)
    with start_in_thread(site) as running:
        yield running


@pytest.fixture(scope="session")
def wire_site_key(wire_site: RunningSite) -> list[dict[str, Any]]:
    """The answer key of `wire_site`, with URLs on its running base URL."""
    return wire_site.site.answer_key(wire_site.base_url)


# The real Airflow services (scheduler, dag-processor, api-server on PostgreSQL), session-scoped.
from airflow_services import (  # noqa: E402, F401
    airflow_services,
    airflow_services_warehouse,
    alert_receiver,
    small_backfill,
    statsd_receiver,
)
