"""The browser tests' Chromium: Debian's (scripts/ensure-browser.sh finds or installs it), logged in."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

CHROMIUM = os.environ.get("WIRE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update"]


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium through playwright, closed on the way out."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def log_in(page: Any, url: str, password: str, *, user: str = "admin") -> None:
    """Open `url` in the Airflow UI and sign in on the login page it sends us to; the UI then
    returns to `url` (or its home page)."""
    page.goto(url)
    page.wait_for_selector("input[name='username']", timeout=60_000)
    page.fill("input[name='username']", user)
    page.fill("input[name='password']", password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda current: "/auth/login" not in current, timeout=60_000)


def open_quality_tab(
    page: Any, base_url: str, dag_id: str, password: str, ready: str
) -> tuple[Any, Any]:
    """Sign in, open the DAG's Data quality tab and wait for `ready` (a selector) inside the
    tab's frame; returns the frame's element and the frame (the report)."""
    url = f"{base_url}/dags/{dag_id}/plugin/wire-quality"
    log_in(page, url, password)
    page.wait_for_url(f"**/dags/{dag_id}/plugin/wire-quality", timeout=60_000)
    frame_element = page.wait_for_selector("iframe", timeout=60_000)
    frame = frame_element.content_frame()
    assert frame is not None, "the Data quality tab has no frame"
    frame.wait_for_selector(ready, timeout=60_000)
    return frame_element, frame
