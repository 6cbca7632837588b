"""Security (issue 15): the link guard, robots.txt (RFC 9309), the quality tab, the local stack."""

from __future__ import annotations

import dataclasses
import datetime as dt
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from browser import chromium

from wire_ingest.discover.day import discover_day
from wire_ingest.discover.walker import walk_listing
from wire_ingest.http.failures import LINK_REFUSED, classify_failure
from wire_ingest.http.fetch import fetch_page, make_session
from wire_ingest.http.guard import guard_for
from wire_ingest.http.ratelimit import RateLimiter
from wire_ingest.http.robots import ROBOTS_MAX_BYTES, RobotsRules
from wire_ingest.models import ListingItem, ListingPage
from wire_ingest.settings import FetchSettings
from wire_ingest.sources import Source, load_sources

DAY = dt.date(2020, 12, 23)
SETTINGS = FetchSettings(max_requests_per_second=0, max_attempts=1, connect_timeout=2)


class Site:
    """A tiny HTTP server on one loopback address: canned answers, and every connection counted."""

    def __init__(self, address: str) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.requests: list[str] = []
        self.connections = 0
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requests.append(self.path)
                status, headers, body = site.routes.get(self.path, (404, {}, b"not here"))
                self.send_response(status)
                for name, value in {"Content-Type": "text/html", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return

        class Server(ThreadingHTTPServer):
            def get_request(self) -> tuple[socket.socket, Any]:
                site.connections += 1
                return super().get_request()

        self.server = Server((address, 0), Handler)
        self.port = self.server.server_address[1]
        self.base_url = f"http://{address}:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def untouched(self) -> bool:
        return not self.requests and self.connections == 0


@pytest.fixture
def sites() -> Iterator[dict[str, Site]]:
    """The wire site on 127.0.0.1 and inward targets on other loopback addresses."""
    started = {name: Site(address) for name, address in
               (("wire", "127.0.0.1"), ("inward", "127.0.0.2"), ("other", "127.0.0.3"))}  # fmt: skip
    yield started
    for site in started.values():
        site.close()


def _declared() -> list[Source]:
    return list(load_sources().values())


def _refused(page: Any) -> bool:
    return not page.result.ok and classify_failure(page.result).reason == LINK_REFUSED


# ---------------------------------------------------------------- the link guard


@pytest.mark.parametrize("source", _declared(), ids=lambda s: s.name)
def test_every_source_refuses_inward_foreign_and_odd_targets(
    source: Source, sites: dict[str, Site]
) -> None:
    wire, inward, other = sites["wire"], sites["inward"], sites["other"]
    wire.routes["/ok.htm"] = (200, {}, b"<html>fine</html>")
    wire.routes["/moved"] = (302, {"Location": f"{inward.base_url}/admin"}, b"")
    guard = guard_for(source, wire.base_url)
    targets = [
        f"{inward.base_url}/admin",  # another loopback address
        f"http://127.0.0.3:{other.port}/x",
        f"http://[::ffff:127.0.0.2]:{inward.port}/x",
        "http://10.0.0.5/x",  # private
        "http://169.254.169.254/latest/meta-data",  # link-local (cloud metadata)
        "http://224.0.0.1/x",  # multicast
        "http://localhost:8080/admin",
        "http://undeclared.example/x",  # not a declared host
        "file:///etc/passwd",
        "javascript:alert(1)",
        "ftp://www.china.org.cn/x",
    ]
    with make_session(SETTINGS, guard) as session:
        fetch = lambda url: fetch_page(session, url, settings=SETTINGS, limiter=RateLimiter(0))  # noqa: E731
        for url in targets:
            page = fetch(url)
            assert _refused(page), (url, page.result.error)
        assert fetch(f"{wire.base_url}/ok.htm").result.ok  # the wire itself is reachable
        moved = fetch(f"{wire.base_url}/moved")  # a redirect inward: not followed
        assert not moved.result.ok and "refused" in str(moved.result.error)
        robots = RobotsRules(session=session, settings=SETTINGS, limiter=RateLimiter(0))
        verdict = robots.check(f"{inward.base_url}/x")
        assert verdict is not None and verdict.startswith("link refused")
    assert inward.untouched and other.untouched


def test_a_declared_name_resolving_inward_is_refused_at_connect(
    sites: dict[str, Site], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS that points a declared name at an inward address: the address connected to is checked,
    from the one resolution the connection uses (no second lookup to rebind)."""
    inward = sites["inward"]
    source = dataclasses.replace(
        _declared()[0], base_url="http://wire.example", allowed_hosts=("wire.example",)
    )
    real = socket.getaddrinfo
    lookups: list[str] = []

    def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "wire.example":
            lookups.append(host)
            return real("127.0.0.2", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    guard = guard_for(source, source.base_url)
    assert guard.refusal(f"http://wire.example:{inward.port}/x") is None  # the URL looks fine
    with make_session(SETTINGS, guard) as session:
        page = fetch_page(
            session,
            f"http://wire.example:{inward.port}/x",
            settings=SETTINGS,
            limiter=RateLimiter(0),
        )
    assert _refused(page) and "loopback address 127.0.0.2 refused" in str(page.result.error)
    assert lookups == ["wire.example"]
    assert inward.untouched
    # a source that allows private addresses reaches it (a wire site on your own network)
    allowing = dataclasses.replace(source, allow_private_addresses=True)
    with make_session(SETTINGS, guard_for(allowing, source.base_url)) as session:
        page = fetch_page(
            session,
            f"http://wire.example:{inward.port}/x",
            settings=SETTINGS,
            limiter=RateLimiter(0),
        )
    assert page.result.status == 404 and inward.requests == ["/x"]


def _listing(links: list[str]) -> bytes:
    anchors = "".join(f"<a href='{href}'>story {n}</a>" for n, href in enumerate(links))
    return f"<html><body>{anchors}</body></html>".encode()


def test_discover_records_refused_items_and_next_pages_as_rejects(
    sites: dict[str, Site], tmp_path: Path
) -> None:
    from wire_ingest.warehouse import engines, migrations

    wire, inward = sites["wire"], sites["inward"]
    day_path = "2020-12/23"
    good = f"{wire.base_url}/world/{day_path}/content_1.htm"
    bad = [
        f"{inward.base_url}/world/{day_path}/content_2.htm",
        f"http://10.0.0.5/world/{day_path}/content_3.htm",
        f"http://169.254.169.254/world/{day_path}/content_4.htm",
        f"http://elsewhere.example/world/{day_path}/content_5.htm",
    ]
    wire.routes["/list.htm"] = (200, {}, _listing([good, *bad]))
    wire.routes["/moved.htm"] = (301, {"Location": f"{inward.base_url}/list.htm"}, b"")
    wire.routes["/robots.txt"] = (200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n")
    source = dataclasses.replace(
        _declared()[0],
        name="generic_wire",
        base_url=wire.base_url,
        allowed_hosts=("127.0.0.1",),
        listing_paths=("/list.htm",),
        paging="single",
        adapter="",
        article_url_pattern=r"/world/\d{4}-\d{2}/\d{2}/content_\d+\.htm$",
    )
    engine = engines.make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    migrations.migrate(engine)
    found = discover_day(
        engine,
        source,
        DAY,
        base_url=wire.base_url,
        landing_url=(tmp_path / "landing").as_uri(),
        run_key="r1",
        settings=SETTINGS,
        listing_paths=("/list.htm", f"{inward.base_url}/list.htm", "/moved.htm"),
    )
    assert [item.url for item in found.items] == [good]
    refused = {r.url: r for r in found.refused}
    assert set(bad) <= set(refused)
    assert all(r.reason == LINK_REFUSED and r.stage == "discover" for r in refused.values())
    assert "other host" in refused[bad[-1]].message
    assert inward.untouched

    # a next-page link aimed inward ends the walk and is recorded
    def read(body: bytes, url: str, number: int) -> ListingPage:
        item = ListingItem(good, "t", DAY.isoformat(), number)
        return ListingPage([item], f"{inward.base_url}/page2.htm", number)

    with make_session(SETTINGS, guard_for(source, wire.base_url)) as session:
        walked = walk_listing(
            f"{wire.base_url}/list.htm",
            DAY,
            read_listing=read,
            session=session,
            settings=SETTINGS,
            limiter=RateLimiter(0),
            writer=None,
        )
    assert [url for url, _why in walked.refused] == [f"{inward.base_url}/page2.htm"]
    assert inward.untouched
    engine.dispose()


# ---------------------------------------------------------------- robots.txt (RFC 9309)

ROBOTS = b"""\
User-agent: otherbot
Disallow: /

User-agent: *
Disallow: /
Allow: /world/
Disallow: /world/*?print=
Disallow: /world/*.pdf$
Crawl-delay: 2
"""


def _robots(session: Any, limiter: Any = None) -> RobotsRules:
    return RobotsRules(session=session, settings=SETTINGS, limiter=limiter or RateLimiter(0))


def test_robots_rules_as_rfc_9309_says(sites: dict[str, Site]) -> None:
    wire = sites["wire"]
    wire.routes["/robots.txt"] = (200, {"Content-Type": "text/plain"}, ROBOTS)
    source = _declared()[0]
    with make_session(SETTINGS, guard_for(source, wire.base_url)) as session:
        clock = [0.0]
        limiter = RateLimiter(1, clock=lambda: clock[0], sleep=lambda s: None)
        robots = _robots(session, limiter)
        allowed = lambda path: robots.check(wire.base_url + path) is None  # noqa: E731
        assert allowed("/world/a.htm")  # Allow after Disallow: the longer match wins
        assert not allowed("/china/a.htm")
        assert not allowed("/world/a.htm?print=1")  # `*` inside a path
        assert allowed("/world/a.htm?page=2")
        assert not allowed("/world/report.pdf")  # `$` anchors the end
        assert allowed("/world/report.pdf?download=0")
    assert wire.requests == ["/robots.txt"]
    # Crawl-delay 2 s is slower than our 1 request/s: after robots.txt (at our rate, slot 0 s)
    # the host is asked every 2 s
    assert [limiter.wait("127.0.0.1") for _ in range(3)] == [1.0, 3.0, 5.0]
    slow = RateLimiter(0.25, clock=lambda: 0.0, sleep=lambda s: None)
    slow.at_least("h", 2.0)  # our own rate is slower: it stays
    assert [slow.wait("h") for _ in range(2)] == [0.0, 4.0]


def test_robots_redirect_off_the_host_is_not_followed(sites: dict[str, Site]) -> None:
    wire, inward = sites["wire"], sites["inward"]
    wire.routes["/robots.txt"] = (302, {"Location": f"{inward.base_url}/robots.txt"}, b"")
    wire.routes["/r2.txt"] = (200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /x\n")
    with make_session(SETTINGS) as session:  # even without a guard
        verdict = _robots(session).check(wire.base_url + "/world/a.htm")
    assert verdict is not None and "robots.txt unavailable" in verdict
    assert inward.untouched
    wire.routes["/robots.txt"] = (301, {"Location": "/r2.txt"}, b"")  # on the host: followed
    with make_session(SETTINGS) as session:
        robots = _robots(session)
        assert robots.check(wire.base_url + "/a") is None
        assert "disallowed" in str(robots.check(wire.base_url + "/x"))


def test_robots_is_read_only_up_to_the_cap(sites: dict[str, Site]) -> None:
    wire = sites["wire"]
    padding = b"# " + b"x" * ROBOTS_MAX_BYTES + b"\n"
    body = b"User-agent: *\nDisallow: /early\n" + padding + b"Disallow: /late\n"
    wire.routes["/robots.txt"] = (200, {"Content-Type": "text/plain"}, body)
    with make_session(SETTINGS) as session:
        robots = _robots(session)
        assert "disallowed" in str(robots.check(wire.base_url + "/early"))
        assert robots.check(wire.base_url + "/late") is None  # past the cap: never read


# ---------------------------------------------------------------- the Data quality tab


class _AuthManager:
    """An auth manager that knows three users: `reader` may read every DAG, `outsider` none,
    `newsonly` only wire_xinhua_en."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str | None, str]] = []

    async def get_user_from_token(self, token: str) -> str:
        import jwt

        if token not in ("reader", "outsider", "newsonly"):
            raise jwt.InvalidTokenError("unknown token")
        return token

    def is_authorized_dag(self, *, method: str, user: str, access_entity: Any = None,
                          details: Any = None) -> bool:  # fmt: skip
        dag_id = getattr(details, "id", None)
        self.asked.append((user, dag_id, method))
        return user == "reader" or (user == "newsonly" and dag_id == "wire_xinhua_en")

    def get_url_login(self, **kwargs: Any) -> str:
        return "/auth/login"


@pytest.fixture
def quality_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Any, _AuthManager]]:
    """The plugin's app in-process, with a warehouse and an auth manager of our own."""
    import importlib.util

    import airflow.api_fastapi.app as airflow_app
    from fastapi.testclient import TestClient

    from wire_ingest.warehouse import engines, migrations

    url = f"sqlite:///{tmp_path / 'w.db'}"
    engine = engines.make_engine(url)
    migrations.migrate(engine)
    engine.dispose()
    monkeypatch.setenv("AIRFLOW_CONN_WIRE_WAREHOUSE", url)
    monkeypatch.setenv("WIRE_DATA_DIR", str(tmp_path / "data"))
    manager = _AuthManager()
    monkeypatch.setattr(airflow_app, "get_auth_manager", lambda: manager)
    path = Path(__file__).resolve().parents[2] / "plugins" / "wire_quality_plugin.py"
    spec = importlib.util.spec_from_file_location("wire_quality_plugin_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with TestClient(module.make_app()) as client:
        yield client, manager


ROUTES = [
    "/dags/wire_ingest/report",
    "/dags/wire_ingest/report.json",
    "/dags/wire_ingest/runs/manual__1/report",
    "/dags/wire_ingest/runs/manual__1/report.json",
    "/dags/wire_ingest/rejects.json",
    "/raw?ref=file:///etc/passwd",
    "/docs/index.html",
]


@pytest.mark.parametrize("route", ROUTES)
def test_every_tab_route_asks_the_auth_manager_and_refuses_with_403(
    quality_app: tuple[Any, _AuthManager], route: str
) -> None:
    client, manager = quality_app
    json_only = {"Accept": "application/json"}
    assert client.get(route, headers=json_only).status_code == 401  # nobody logged in
    bad = client.get(route, headers={**json_only, "Authorization": "Bearer forged"})
    assert bad.status_code == 401
    refused = client.get(route, headers={**json_only, "Authorization": "Bearer outsider"})
    assert refused.status_code == 403
    assert manager.asked and manager.asked[0][0] == "outsider"
    client.cookies.set("_token", "reader")  # the UI's cookie
    try:
        allowed = client.get(route, headers=json_only)
    finally:
        client.cookies.clear()
    assert allowed.status_code in (200, 404)  # past the check (the tmp warehouse is empty)
    assert ("reader", "wire_ingest", "GET") in manager.asked


def test_the_style_sheets_need_a_login_only(quality_app: tuple[Any, _AuthManager]) -> None:
    client, manager = quality_app
    route = "/static/vendor/bootstrap.min.css"
    assert client.get(route, headers={"Accept": "application/json"}).status_code == 401
    assert client.get(route, headers={"Authorization": "Bearer outsider"}).status_code == 200
    assert manager.asked == []


def test_raw_pages_and_data_docs_ask_about_the_dag_of_their_run(
    quality_app: tuple[Any, _AuthManager], tmp_path: Path
) -> None:
    import os

    import sqlalchemy as sa

    from wire_ingest.landing import safe_key
    from wire_ingest.warehouse import engines, tables

    client, manager = quality_app
    china, news = "manual__2020-12-23T00:00:00+00:00", "manual__2020-12-23T00:30:00+00:00"
    engine = engines.make_engine(os.environ["AIRFLOW_CONN_WIRE_WAREHOUSE"])
    with engine.begin() as conn:
        for run_id, dag, feed in ((china, "wire_ingest", "china_org_cn"),
                                  (news, "wire_xinhua_en", "xinhua_en")):  # fmt: skip
            conn.execute(
                sa.insert(tables.ingest_runs).values(
                    run_id=run_id, dag_id=dag, feed=feed, target_day=DAY, status="success"
                )
            )
            conn.execute(
                sa.insert(tables.article_rejects).values(
                    feed=feed, target_day=DAY, url="http://x/a", stage="fetch", reason="r",
                    message="m", details={}, raw_ref=f"ref-{feed}", run_id=run_id,
                    rejected_at=dt.datetime(2020, 12, 24, tzinfo=dt.UTC),
                )
            )  # fmt: skip
    engine.dispose()

    def status(route: str) -> int:
        response = client.get(
            route, headers={"Authorization": "Bearer newsonly", "Accept": "application/json"}
        )
        return response.status_code

    assert status("/raw?ref=ref-xinhua_en") == 404  # allowed: its run is wire_xinhua_en's
    assert status("/raw?ref=ref-china_org_cn") == 403
    assert status(f"/docs/{safe_key(news)}/index.html") == 404  # allowed, no docs built
    assert status(f"/docs/{safe_key(china)}/index.html") == 403
    assert status(f"/docs/static/%2e%2e/{safe_key(china)}/index.html") == 403
    assert status("/docs/unknown-run/index.html") == 403  # cannot tell: every wire DAG
    assert status("/docs/static/vendor/x.css") == 404  # shared assets: a login is enough
    assert ("newsonly", "wire_ingest", "GET") in manager.asked


@pytest.mark.parametrize("route", ["/docs/a%00b", "/docs/%00", "/raw?ref=a%00b", "/docs/a%0Ab"])
def test_a_nul_in_a_path_is_a_4xx_never_a_500(
    quality_app: tuple[Any, _AuthManager], route: str
) -> None:
    client, _manager = quality_app
    response = client.get(route, headers={"Authorization": "Bearer reader"})
    assert 400 <= response.status_code < 500


def _report_with_rejects() -> str:
    from wire_ingest.quality import report

    reject = report.RejectSummary(
        url="javascript:alert(document.cookie)", stage="discover", reason="link_refused",
        message="scheme javascript refused", run_id="r1", target_day="2020-12-23",
        raw_ref=None, failed=[],
    )  # fmt: skip
    ok = dataclasses.replace(reject, url="https://www.china.org.cn/a.htm")
    return report.render_report(
        report.RunReport(runs=[], top_failed_expectations=[], rejects=[reject, ok], reject_count=2),
        title="t",
        dag_id="wire_ingest",
    )


def test_a_javascript_url_in_a_reject_is_shown_as_text() -> None:
    page = _report_with_rejects()
    assert "href='javascript:" not in page
    assert "javascript:alert(document.cookie)" in page  # shown, as text
    assert "href='https://www.china.org.cn/a.htm'" in page


@pytest.mark.slow
def test_in_a_browser_only_the_http_url_is_a_link() -> None:
    """Chromium reads the tab's markup: no javascript: link to click, the URL still visible."""
    markup = _report_with_rejects()
    with chromium() as browser:
        page = browser.new_page()
        page.route("**/*", lambda route: route.abort())  # the page alone, no network
        page.set_content(markup)
        hrefs = page.eval_on_selector_all("a", "links => links.map(a => a.href)")
        text = page.inner_text("body")
    assert "https://www.china.org.cn/a.htm" in hrefs
    assert not [h for h in hrefs if h.lower().startswith(("javascript:", "data:", "vbscript:"))]
    assert "javascript:alert(document.cookie)" in text


# ---------------------------------------------------------------- no secret in XCom or logs


@pytest.mark.airflow
@pytest.mark.slow
@pytest.mark.postgres
def test_the_warehouse_password_is_in_no_xcom_log_file_or_rendered_page(
    postgres_url: str, wire_site: Any, tmp_path: Path
) -> None:
    """A real run into a PostgreSQL warehouse whose connection carries a password (the local
    server trusts any password, so a unique one can be grepped for)."""
    import secrets
    import uuid

    import sqlalchemy as sa
    from airflow_services import running_airflow

    password = "pw" + secrets.token_hex(16)
    role = f"wire_sec_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'"))
        conn.execute(sa.text(f"CREATE SCHEMA {role} AUTHORIZATION {role}"))
    warehouse = (
        sa.engine.make_url(postgres_url)
        .set(username=role, password=password)
        .update_query_dict({"options": f"-csearch_path={role}"})
        .render_as_string(hide_password=False)
    )
    try:
        with running_airflow(
            admin_url=postgres_url,
            workdir=tmp_path,
            base_url=wire_site.base_url,
            warehouse_url=warehouse,
            extra_env={"WIRE_TASK_RETRIES": "0"},
        ) as services:
            run_id = "secret_test_run"
            services.post(
                "dags/wire_ingest/dagRuns",
                {
                    "logical_date": "2020-12-23T16:00:00+00:00",
                    "dag_run_id": run_id,
                    "conf": {"day": "2020-12-23"},
                },
            )
            services.set_paused(False)
            [run] = services.wait_for_runs({run_id}, timeout=600)
            tasks = services.get(f"dags/wire_ingest/dagRuns/{run_id}/taskInstances")
            xcoms: list[str] = []
            for task in tasks["task_instances"]:
                entries = services.get(
                    f"dags/wire_ingest/dagRuns/{run_id}/taskInstances/{task['task_id']}/xcomEntries"
                )["xcom_entries"]
                for entry in entries:
                    xcoms.append(
                        str(
                            services.get(
                                f"dags/wire_ingest/dagRuns/{run_id}/taskInstances/"
                                f"{task['task_id']}/xcomEntries/{entry['key']}",
                                deserialize="true",
                            )
                        )
                    )
            home = services.home
        assert run["state"] == "success", services.logs()
        assert xcoms and any("warehouse_conn_id" in x for x in xcoms)
        assert not [x for x in xcoms if password in x]
        # Every file the run left: task and service logs, work files, Data Docs.
        files = [p for p in tmp_path.rglob("*") if p.is_file()]
        assert any("dag_id=wire_ingest" in str(p) for p in files)
        assert any(p.suffix == ".html" and home not in p.parents for p in files)  # Data Docs
        leaked = [p for p in files if password in p.read_text(errors="replace")]
        assert not leaked

        # The Data quality tab's pages for that run, rendered from the same warehouse.
        from fastapi.testclient import TestClient

        from wire_ingest.quality import report

        def anyone() -> None:
            return None

        tab = TestClient(report.create_app(warehouse_url=lambda: warehouse, authenticate=anyone))
        pages = [
            tab.get(path)
            for path in (
                "/dags/wire_ingest/report",
                "/dags/wire_ingest/report.json",
                f"/dags/wire_ingest/runs/{run_id}/report",
                "/dags/wire_ingest/rejects.json",
            )
        ]
        assert [page.status_code for page in pages] == [200] * len(pages)
        assert run_id in pages[0].text
        assert not [page.url for page in pages if password in page.text]
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {role} CASCADE"))
            conn.execute(sa.text(f"DROP ROLE IF EXISTS {role}"))
        admin.dispose()


# ---------------------------------------------------------------- the local stack


def _listening(port: int) -> set[str]:
    """The local addresses a TCP port listens on (from /proc/net/tcp and tcp6)."""
    found: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].rsplit(":", 1)
            if int(hex_port, 16) == port and fields[3] == "0A":  # 0A: LISTEN
                raw = bytes.fromhex(address)
                if len(raw) == 4:
                    found.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
                else:  # four little-endian 32-bit words
                    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                    found.add(socket.inet_ntop(socket.AF_INET6, words))
    return found


@pytest.mark.airflow
@pytest.mark.slow
def test_make_airflow_listens_on_loopback_only_and_keeps_its_secrets_private(
    tmp_path: Path,
) -> None:
    import os
    import stat
    import subprocess

    from airflow_services import ROOT, VENV_BIN, free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "WIRE_"))}
    env.update(
        AIRFLOW_HOME=str(tmp_path / "home"),
        WIRE_DATA_DIR=str(tmp_path / "data"),
        AIRFLOW_PORT=str(port),
        VENV=str(VENV_BIN.parent),
    )
    script = str(ROOT / "scripts" / "airflow-services.sh")
    try:
        started = subprocess.run(
            ["bash", script, "start"], env=env, capture_output=True, text=True, timeout=400
        )
        assert started.returncode == 0, started.stdout + started.stderr
        assert _listening(port) == {"127.0.0.1"}
        # every service the Home page reports is up, the triggerer included
        import requests

        health = requests.get(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=10).json()
        for part in ("metadatabase", "scheduler", "dag_processor", "triggerer"):
            assert (health.get(part) or {}).get("status") == "healthy", (part, health)
    finally:
        subprocess.run(["bash", script, "stop"], env=env, capture_output=True, timeout=200)
    home = tmp_path / "home"
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    secrets_files = [home / "jwt_secret", *home.glob("simple_auth_manager_passwords.json*")]
    assert len(secrets_files) >= 2
    for path in secrets_files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_no_documented_example_uses_a_fixed_password() -> None:
    import re

    root = Path(__file__).resolve().parents[2]
    fixed = re.compile(r"admin:admin|\"password\":\s*\"admin\"|-p(?:assword)?\s+admin\b")
    for doc in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
        assert not fixed.search(doc.read_text(encoding="utf-8")), doc
