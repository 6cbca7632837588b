"""The local wire site's fault modes: each misbehaves as documented, deterministically."""

from __future__ import annotations

import datetime as dt
import http.client
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from wiresim.faults import ALL_MODES, FAULT_SPECS, OFFHOST_REDIRECT_HOST, FaultPlan
from wiresim.generate import Site, build_site
from wiresim.server import RunningSite, start_in_thread

DAY = dt.date(2020, 12, 23)
PLAN = FaultPlan(slow_seconds=1.5, huge_bytes=300_000)


@pytest.fixture(scope="module")
def site() -> Site:
    return build_site(DAY, DAY, per_day=120)


@pytest.fixture
def running(site: Site) -> Iterator[RunningSite]:
    with start_in_thread(site, faults=PLAN) as served:
        yield served


def victim(site: Site, mode: str) -> str:
    return next(path for path, m in PLAN.victims(site).items() if m == mode)


def raw_get(running: RunningSite, path: str, timeout: float = 5.0) -> http.client.HTTPResponse:
    host, port = running.base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    conn.request("GET", path)
    return conn.getresponse()


def test_every_mode_has_one_victim_a_day_and_victims_are_stable(site: Site) -> None:
    victims = PLAN.victims(site)
    assert sorted(victims.values()) == sorted(ALL_MODES)
    assert FaultPlan().victims(site) == victims
    only_two = FaultPlan(modes=("huge", "reset")).victims(site)
    assert only_two == {p: m for p, m in victims.items() if m in {"huge", "reset"}}
    by_path = {a.path: a for a in site.articles}
    assert all(by_path[p].kind == "article" and by_path[p].defect is None for p in victims)


def test_parse_names_all_and_json(tmp_path: Path) -> None:
    assert FaultPlan.parse("all").modes == ALL_MODES
    assert FaultPlan.parse("burst_503, huge").modes == ("burst_503", "huge")
    spec = tmp_path / "faults.json"
    spec.write_text(json.dumps({"modes": ["slow"], "slow_seconds": 0.5}))
    assert FaultPlan.parse(str(spec)) == FaultPlan(modes=("slow",), slow_seconds=0.5)
    with pytest.raises(ValueError, match="unknown fault modes"):
        FaultPlan.parse("burst_503,nonsense")


def test_answer_key_marks_unrecoverable_urls_as_fetch_rejects(site: Site) -> None:
    key = {e["url"]: e for e in PLAN.answer_key(site, "http://x")}
    for path, mode in PLAN.victims(site).items():
        entry = key["http://x" + path]
        spec = FAULT_SPECS[mode]
        assert (entry["fault"], entry["recovery"]) == (mode, spec.recovery)
        if spec.recovery == "never":
            assert (entry["outcome"], entry["reject_stage"], entry["reject_reason"]) == (
                "reject",
                "fetch",
                spec.reason,
            )
        else:
            assert entry["outcome"] == "load"
    assert sum(e["fault"] is None for e in key.values()) == len(key) - len(ALL_MODES)


@pytest.mark.parametrize("mode", ["burst_500", "burst_502", "burst_503"])
def test_bursts_fail_first_requests_then_serve(running: RunningSite, site: Site, mode: str) -> None:
    path = victim(site, mode)
    statuses = [raw_get(running, path).status for _ in range(PLAN.burst_length + 1)]
    assert statuses == [int(mode[-3:])] * PLAN.burst_length + [200]


def test_outage_lasts_outage_length(running: RunningSite, site: Site) -> None:
    path = victim(site, "outage_503")
    statuses = [raw_get(running, path).status for _ in range(PLAN.outage_length + 1)]
    assert statuses == [503] * PLAN.outage_length + [200]


def test_429_carries_retry_after(running: RunningSite, site: Site) -> None:
    path = victim(site, "rate_limited_429")
    first = raw_get(running, path)
    assert (first.status, first.getheader("Retry-After")) == (429, "1")
    assert raw_get(running, path).status == 200


def test_slow_first_response_times_out(running: RunningSite, site: Site) -> None:
    path = victim(site, "slow")
    with pytest.raises(TimeoutError):
        raw_get(running, path, timeout=0.5).read()
    assert raw_get(running, path).status == 200


def test_reset_then_serves(running: RunningSite, site: Site) -> None:
    path = victim(site, "reset")
    with pytest.raises((ConnectionError, http.client.RemoteDisconnected)):
        raw_get(running, path).read()
    assert raw_get(running, path).status == 200


def test_truncated_body_is_shorter_than_its_length(running: RunningSite, site: Site) -> None:
    path = victim(site, "truncated")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(running.base_url + path, timeout=5)
    assert requests.get(running.base_url + path, timeout=5).status_code == 200


def test_gb18030_page_declares_no_charset(running: RunningSite, site: Site) -> None:
    response = requests.get(running.base_url + victim(site, "gb18030"), timeout=5)
    assert response.headers["Content-Type"] == "text/html"
    assert b"charset" not in response.content.lower()
    with pytest.raises(UnicodeDecodeError):
        response.content.decode("utf-8")
    assert "中国网" in response.content.decode("gb18030")


def test_huge_page_and_redirects_and_404(running: RunningSite, site: Site) -> None:
    huge = requests.get(running.base_url + victim(site, "huge"), timeout=5)
    assert len(huge.content) > PLAN.huge_bytes
    offhost = raw_get(running, victim(site, "offhost_redirect"))
    assert offhost.status == 302 and OFFHOST_REDIRECT_HOST in str(offhost.getheader("Location"))
    loop_path = victim(site, "redirect_loop")
    loop = raw_get(running, loop_path)
    assert (loop.status, loop.getheader("Location")) == (302, loop_path)
    assert raw_get(running, victim(site, "listing_404")).status == 404


def test_robots_disallows_the_victim(running: RunningSite, site: Site) -> None:
    robots = requests.get(running.base_url + "/robots.txt", timeout=5).text
    assert f"Disallow: {victim(site, 'robots_disallow')}" in robots.splitlines()


def test_pages_without_faults_are_untouched(running: RunningSite, site: Site) -> None:
    victims = PLAN.victims(site)
    plain = next(a.path for a in site.articles if a.path not in victims)
    response = requests.get(running.base_url + plain, timeout=5)
    assert response.status_code == 200
    assert response.content == site.render(plain, running.base_url)[2]  # type: ignore[index]
    assert [path for _t, path in running.arrivals] == [plain]
