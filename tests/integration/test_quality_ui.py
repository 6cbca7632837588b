"""The "Data quality" tab against a real Airflow api-server: refused anonymously, shown when logged in."""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jwt
import pytest
import requests
from browser import chromium, open_quality_tab

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
SCREENSHOT = ROOT / "docs" / "screenshots" / "quality-report.png"
DAG_ID = "wire_ingest"
RUN_ID = "manual__2020-12-23T00:00:00+00:00"
DAY = dt.date(2020, 12, 23)
PREFIX = "/wire-quality"
COUNTS = {
    "discovered": 12,
    "fetched": 11,
    "fetch_failed": 1,
    "not_modified": 0,
    "parsed": 10,
    "parse_failed": 1,
    "duplicates": 2,
    "rejected": 4,
    "loaded": 7,
    "inserted": 7,
    "updated": 0,
}

pytestmark = [pytest.mark.airflow, pytest.mark.slow]
ADMIN_PASSWORD = secrets.token_urlsafe(16)  # fresh per session: no fixed admin password


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ApiServer:
    base_url: str
    env: dict[str, str]
    data_dir: Path
    jwt_secret: str

    def token(self, username: str = "admin", password: str = ADMIN_PASSWORD) -> str:
        response = requests.post(
            f"{self.base_url}/auth/token",
            json={"username": username, "password": password},
            timeout=30,
        )
        assert response.status_code in (200, 201), response.text
        return str(response.json()["access_token"])


def _airflow(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [str(VENV_BIN / "airflow"), *args], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"airflow {' '.join(args)}: {done.stderr[-3000:]}"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)


def _prepare_warehouse(data_dir: Path) -> None:
    """A run with stage counts, validate rejects (real GX) with landed raw pages, its Data Docs."""
    from wire_ingest import landing, plan
    from wire_ingest.models import Article
    from wire_ingest.quality import data_docs, validation
    from wire_ingest.warehouse import engines, load, migrations

    landing_url = (data_dir / "landing").as_uri()
    ctx = plan.plan_run(
        run_id=RUN_ID,
        target_day=DAY,
        base_url="http://www.china.org.cn",
        warehouse_url=f"sqlite:///{data_dir / 'warehouse.db'}",
        landing_url=landing_url,
    )
    good_body = "China and its partners on Wednesday signed an agreement on trade and customs."
    bodies = {
        1: good_body,
        2: good_body + " More.",
        3: "中国和伙伴国家周三签署了贸易协定。官员表示，该文件将于明年生效。" * 2,
        4: good_body + " Enditem",
    }
    articles = []
    with landing.LandingWriter(landing_url, ctx.feed, DAY, "articles", RUN_ID) as writer:
        for n, body in bodies.items():
            url = f"http://www.china.org.cn/world/Off_the_Wire/2020-12/23/content_7700000{n}.htm"
            raw_ref = writer.write_response(
                url,
                200,
                "OK",
                {"Content-Type": "text/html; charset=utf-8"},
                f"<html><body><p>landed page {n}</p></body></html>".encode(),
                "2020-12-23T02:00:00+00:00",
                {"User-Agent": "test"},
            )
            articles.append(
                Article(
                    article_id=f"china_org_cn:7700000{n}",
                    feed=ctx.feed,
                    url=url,
                    canonical_url=url,
                    title=f"Partners sign trade agreement {n}",
                    source="Xinhua" if n != 2 else "Unknown Wire",
                    published_at="2020-12-23T09:00:00+08:00",
                    dateline="BEIJING",
                    body=body,
                    section="world",
                    content_hash=f"{n:064x}",
                    page_date="2020-12-23",
                    raw_ref=raw_ref,
                )
            )
    hosts = ["www.china.org.cn"]
    result = validation.validate_articles(
        articles, target_day=DAY, allowed_hosts=hosts, run_id=RUN_ID
    )
    assert len(result.passed) == 1 and len(result.rejected) == 3
    check = validation.check_batch(result, min_rows=1, max_rows=100, max_reject_share=0.2)
    counts = data_docs.docs_counts(COUNTS)  # the run's ingest_runs row below
    assert data_docs.build_validation_docs(ctx, result, check, counts=counts) is not None
    engine = engines.make_engine(ctx.warehouse_url)
    try:
        migrations.migrate(engine)
        load.record_rejections(engine, result.rejected, run_id=RUN_ID, target_day=DAY)
        load.record_run(
            engine,
            load.IngestRun(
                run_id=RUN_ID,
                dag_id=DAG_ID,
                feed=ctx.feed,
                target_day=DAY,
                status="failed",
                started_at=dt.datetime(2020, 12, 23, 1, tzinfo=dt.UTC),
                finished_at=dt.datetime(2020, 12, 23, 2, tzinfo=dt.UTC),
                message=" | ".join(check.failures),
                **COUNTS,
            ),
        )
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    home = tmp_path_factory.mktemp("airflow-home")
    data_dir = tmp_path_factory.mktemp("wire-data")
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps({"admin": ADMIN_PASSWORD}))
    port = _free_port()
    jwt_secret = secrets.token_urlsafe(64)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AIRFLOW", "WIRE_")) or k == "WIRE_TEST_POSTGRES_URL"
    }
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "dags"),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(ROOT / "plugins"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="admin:admin",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(passwords),
        AIRFLOW__API_AUTH__JWT_SECRET=jwt_secret,
        AIRFLOW__API__SECRET_KEY=secrets.token_urlsafe(32),
        AIRFLOW__API__BASE_URL=f"http://127.0.0.1:{port}",
        AIRFLOW__API__WORKERS="1",
        GX_ANALYTICS_ENABLED="False",
        WIRE_DATA_DIR=str(data_dir),
    )
    # The metadata database migrates while this process prepares the warehouse (GX import).
    migrate = subprocess.Popen(
        [str(VENV_BIN / "airflow"), "db", "migrate"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    old_data_dir = os.environ.get("WIRE_DATA_DIR")
    os.environ["WIRE_DATA_DIR"] = str(data_dir)
    try:
        _prepare_warehouse(data_dir)
    finally:
        if old_data_dir is None:
            os.environ.pop("WIRE_DATA_DIR", None)
        else:
            os.environ["WIRE_DATA_DIR"] = old_data_dir
        _, migrate_errors = migrate.communicate(timeout=300)
    assert migrate.returncode == 0, migrate_errors.decode()[-3000:]
    log = (home / "api-server.log").open("wb")
    proc = subprocess.Popen(
        [str(VENV_BIN / "airflow"), "api-server", "--port", str(port), "--host", "127.0.0.1"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = ApiServer(f"http://127.0.0.1:{port}", env, data_dir, jwt_secret)
    try:
        _airflow(env, "dags", "reserialize")  # the UI's DAG page needs the serialized DAG
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, (home / "api-server.log").read_text()[-3000:]
            try:
                if requests.get(f"{server.base_url}/api/v2/monitor/health", timeout=5).ok:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "api-server did not become healthy"
            time.sleep(0.5)
        yield server
    finally:
        _stop(proc)
        log.close()


PROTECTED = (
    f"{PREFIX}/dags/{DAG_ID}/report",
    f"{PREFIX}/dags/{DAG_ID}/report.json",
    f"{PREFIX}/dags/{DAG_ID}/runs/{RUN_ID}/report",
    f"{PREFIX}/dags/{DAG_ID}/rejects.json",
    f"{PREFIX}/docs/manual__2020-12-23T00_00_00_00_00/index.html",
    f"{PREFIX}/docs/manual__2020-12-23T00_00_00_00_00/validations/wire_ingest/china_org_cn/articles.html",
    f"{PREFIX}/static/vendor/bootstrap.min.css",
)


@pytest.mark.parametrize("path", PROTECTED)
def test_anonymous_requests_are_refused(api_server: ApiServer, path: str) -> None:
    response = requests.get(api_server.base_url + path, timeout=30, allow_redirects=False)
    assert response.status_code == 401, response.text
    assert "Data quality" not in response.text and "landed page" not in response.text


def test_a_browser_without_login_is_sent_to_the_login_page(api_server: ApiServer) -> None:
    path = f"{PREFIX}/dags/{DAG_ID}/report"
    response = requests.get(
        api_server.base_url + path,
        headers={"Accept": "text/html"},
        timeout=30,
        allow_redirects=False,
    )
    assert response.status_code == 307
    assert "/auth/login" in response.headers["location"]
    assert "Data quality" not in response.text


def test_forged_or_expired_tokens_are_refused(api_server: ApiServer) -> None:
    url = f"{api_server.base_url}{PREFIX}/dags/{DAG_ID}/report.json"
    real = api_server.token()
    header = jwt.get_unverified_header(real)
    claims = jwt.decode(real, options={"verify_signature": False})
    # The real token's claims, signed with another secret; and re-signed properly but expired.
    forged = jwt.encode(claims, secrets.token_urlsafe(64), algorithm=header["alg"], headers=header)
    now = int(time.time())
    expired_claims = {**claims, "iat": now - 7200, "nbf": now - 7200, "exp": now - 3600}
    expired = jwt.encode(
        expired_claims, api_server.jwt_secret, algorithm=header["alg"], headers=header
    )
    ok = requests.get(url, headers={"Authorization": f"Bearer {real}"}, timeout=30)
    assert ok.status_code == 200, ok.text
    for token in (forged, expired, "not-a-jwt"):
        response = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert response.status_code in (401, 403), response.text
        response = requests.get(url, cookies={"_token": token}, timeout=30)
        assert response.status_code in (401, 403), response.text


def test_logged_in_report_shows_the_run_counts_and_rejects(api_server: ApiServer) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {api_server.token()}"
    base = api_server.base_url + PREFIX

    report = session.get(f"{base}/dags/{DAG_ID}/report.json", timeout=30)
    assert report.status_code == 200, report.text
    data = report.json()
    (run,) = data["runs"]
    assert run["run_id"] == RUN_ID
    assert run["counts"] == {
        "discovered": 12,
        "fetched": 11,
        "not modified": 0,
        "parsed": 10,
        "duplicates": 2,
        "rejected": 4,
        "loaded": 7,
    }
    assert run["docs_path"] == "manual__2020-12-23T00_00_00_00_00/index.html"
    assert "expect_column_mean_to_be_between(rejected)" in run["message"]
    top = dict((label, count) for label, count in data["top_failed_expectations"])
    assert top == {
        "expect_column_values_to_be_in_set(source)": 1,
        "expect_column_values_to_be_between(english_stopword_share)": 1,
        "expect_column_values_to_not_match_regex(body)": 1,
    }
    assert data["reject_count"] == 3 and len(data["rejects"]) == 3

    page = session.get(f"{base}/dags/{DAG_ID}/report", timeout=30)
    assert page.status_code == 200
    for label, value in run["counts"].items():
        assert f"data-count='{label}'>{value}<" in page.text
    assert "expect_column_values_to_be_in_set(source)" in page.text
    assert "https://" not in page.text.split("<body>")[0]  # no CDN in the head

    # The run's Data Docs, its vendored styles and a reject's raw page, through the same login.
    docs = session.get(f"{base}/docs/{run['docs_path']}", timeout=30)
    assert docs.status_code == 200 and "wire_ingest.china_org_cn.articles" in docs.text
    # A result's page is where GX's site builder put it; the run's run.json lists it.
    record = session.get(f"{base}/docs/manual__2020-12-23T00_00_00_00_00/run.json", timeout=30)
    (rows_page,) = [
        p["path"]
        for p in record.json()["pages"]
        if p["kind"] == "validations" and p["suite_name"] == "wire_ingest.china_org_cn.articles"
    ]
    validation = session.get(
        f"{base}/docs/manual__2020-12-23T00_00_00_00_00/{rows_page}", timeout=30
    )
    assert validation.status_code == 200 and "Failed" in validation.text
    static = session.get(f"{base}/docs/static/vendor/bootstrap.min.css", timeout=30)
    assert static.status_code == 200 and "Bootstrap v4" in static.text
    raw_ref = data["rejects"][0]["raw_ref"]
    raw = session.get(f"{base}/raw", params={"ref": raw_ref}, timeout=30)
    assert raw.status_code == 200 and "landed page" in raw.text
    assert raw.headers["content-type"].startswith("text/plain")
    rejects = session.get(f"{base}/dags/{DAG_ID}/rejects.json", timeout=30).json()
    assert sorted(r["url"] for r in rejects) == sorted(r["url"] for r in data["rejects"])
    assert session.get(f"{base}/dags/other_dag/rejects.json", timeout=30).json() == []
    run_page = session.get(f"{base}/dags/{DAG_ID}/runs/{RUN_ID}/report", timeout=30)
    assert run_page.status_code == 200 and "data-count='loaded'>7<" in run_page.text
    other = session.get(f"{base}/raw", params={"ref": "file:///etc/passwd#x"}, timeout=30)
    assert other.status_code == 404
    escape = session.get(f"{base}/docs/..%2F..%2Fetc%2Fpasswd", timeout=30)
    assert escape.status_code == 404


def test_the_ui_cookie_is_accepted(api_server: ApiServer) -> None:
    response = requests.get(
        f"{api_server.base_url}{PREFIX}/dags/{DAG_ID}/runs/{RUN_ID}/report.json",
        cookies={"_token": api_server.token()},
        timeout=30,
    )
    assert response.status_code == 200
    assert [run["run_id"] for run in response.json()["runs"]] == [RUN_ID]


def test_plugin_registers_a_dag_tab(api_server: ApiServer) -> None:
    plugins = requests.get(
        f"{api_server.base_url}/api/v2/plugins",
        headers={"Authorization": f"Bearer {api_server.token()}"},
        timeout=30,
    ).json()["plugins"]
    (plugin,) = [p for p in plugins if p["name"] == "wire_quality"]
    views = {view["destination"]: view for view in plugin["external_views"]}
    assert views["dag"]["href"] == f"{PREFIX}/dags/{{DAG_ID}}/report"
    assert views["dag"]["url_route"] == "wire-quality"
    assert views["dag_run"]["href"] == f"{PREFIX}/dags/{{DAG_ID}}/runs/{{RUN_ID}}/report"


def test_browser_logs_in_and_sees_the_tab(api_server: ApiServer) -> None:

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        _, frame = open_quality_tab(
            page, api_server.base_url, DAG_ID, ADMIN_PASSWORD, ready="#runs"
        )
        assert RUN_ID in frame.inner_text("#runs")
        cells = frame.query_selector_all("[data-count]")
        shown = {cell.get_attribute("data-count"): cell.inner_text() for cell in cells}
        assert shown["loaded"] == "7" and shown["rejected"] == "4"
        assert "expect_column_values_to_be_in_set(source)" in frame.inner_text("#top-failed")
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 10_000


# What sticks out of the tab's page: an element right of the frame's width (cut off, or only seen by
# scrolling sideways), or a box whose content is wider than the box (a scrolling table, a long
# word running over its cell).
OVERFLOW_SCRIPT = """() => {
    const width = document.documentElement.clientWidth;
    const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
        + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ')[0] : '');
    const outside = [...document.querySelectorAll('body *')]
        .filter((el) => el.getBoundingClientRect().right > width + 1).map(name);
    const scrolling = [...document.querySelectorAll('body *')]
        .filter((el) => el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0)
        .map((el) => `${name(el)} ${el.scrollWidth}/${el.clientWidth}px`);
    return {width, scrollWidth: document.documentElement.scrollWidth,
            outside: outside.slice(0, 10), scrolling: scrolling.slice(0, 10)};
}"""


@pytest.mark.parametrize("view", ["grid", "graph"])
def test_the_tab_fits_1280_px_in_the_grid_and_the_graph_view(
    api_server: ApiServer, view: str
) -> None:
    """At 1280 px the DAG page shows the tab beside the grid or the graph: every column of the
    report is on screen, nothing needs scrolling sideways."""

    screenshot = ROOT / "docs" / "screenshots" / f"quality-tab-{view}-1280.png"
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        # The UI keeps the DAG page's left panel choice (grid or graph) in local storage.
        context.add_init_script(
            f"window.localStorage.setItem('default_dag_view', JSON.stringify('{view}'))"
        )
        page = context.new_page()
        frame_element, frame = open_quality_tab(
            page, api_server.base_url, DAG_ID, ADMIN_PASSWORD, ready="#reject-rows"
        )
        if view == "graph":  # the graph's canvas, not the grid's rows, is beside the tab
            page.wait_for_selector(".react-flow", timeout=60_000)
        page.wait_for_timeout(1000)  # let the panels settle before measuring
        box = frame_element.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 1280
        outer = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert outer[0] <= outer[1], f"the DAG page scrolls sideways: {outer}"
        found = frame.evaluate(OVERFLOW_SCRIPT)
        assert found["scrollWidth"] <= found["width"], found
        assert found["outside"] == [] and found["scrolling"] == [], found
        # Every column is there to read: as a column, or as a labelled line of its row.
        for label in ("run", "day", "status", "discovered", "rejected", "loaded", "docs"):
            assert frame.locator(f"#runs td[data-label='{label}']").first.is_visible(), label
        assert frame.locator("#reject-rows td[data-label='message']").first.is_visible()
        page.screenshot(path=str(screenshot))
    assert screenshot.stat().st_size > 10_000
