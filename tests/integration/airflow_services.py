"""The real Airflow services (scheduler, dag-processor, api-server) on PostgreSQL, for integration tests."""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
ADMIN_USER = "admin"
# a fresh password per test session: no fixed admin password anywhere
ADMIN_PASSWORD = secrets.token_urlsafe(16)
DAG_ID = "wire_ingest"
SERVICES = ("scheduler", "dag-processor", "api-server")


# Fewer slots than runs that can be active at once (2 backfill runs + 1 overlapping manual run),
# so the pool really has to hold fetches back for the cap test to mean anything.
FETCH_POOL_SLOTS = 2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- test hosts of the project's own: a network namespace per worker on a bridge ---
@dataclass(frozen=True)
class HostNetwork:
    """`gateway`: this machine's address on the bridge, where the relays listen; `namespaces`:
    the network namespace of each worker host (`ip netns exec NAME ...`)."""

    gateway: str
    namespaces: dict[str, str]
    cleanup: ExitStack

    def exec_prefix(self, hostname: str) -> list[str]:
        return ["ip", "netns", "exec", self.namespaces[hostname]]

    def relay(self, port: int) -> None:
        """Let the hosts reach 127.0.0.1:`port` at gateway:`port` (until the network is removed)."""
        relay = _Relay(self.gateway, port)
        self.cleanup.callback(relay.close)


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True, timeout=30)


def _free_subnet() -> ipaddress.IPv4Network:
    """A /24 in 10.0.0.0/8 that no interface of this machine is on."""
    used = subprocess.run(
        ["ip", "-4", "-o", "addr"], check=True, capture_output=True, text=True
    ).stdout
    for _ in range(50):
        net = ipaddress.IPv4Network(
            f"10.{secrets.randbelow(150) + 100}.{secrets.randbelow(256)}.0/24"
        )
        if f" {net.network_address + 1}/" not in used and str(net.network_address)[:-1] not in used:
            return net
    raise RuntimeError("no free 10.x.y.0/24 subnet")


def _pump(source: socket.socket, target: socket.socket) -> None:
    with suppress(OSError):
        while data := source.recv(65536):
            target.sendall(data)
    with suppress(OSError):
        target.shutdown(socket.SHUT_WR)


class _Relay:
    """Accepts on (gateway, port) and relays each connection to 127.0.0.1:port."""

    def __init__(self, gateway: str, port: int) -> None:
        self.port = port
        self.listener = socket.create_server((gateway, port))
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.port), timeout=10)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(a, b), daemon=True).start()

    def close(self) -> None:
        with suppress(OSError):
            self.listener.close()


@contextmanager
def host_network(hostnames: Sequence[str], ports: Sequence[int]) -> Iterator[HostNetwork]:
    """A bridge with one network namespace per host name (veth pairs), and a relay on the
    bridge's gateway address for each of `ports` (more with `relay`); everything removed
    afterwards. Needs root."""
    tag = secrets.token_hex(3)
    bridge = f"wbr{tag}"
    subnet = _free_subnet()
    gateway = str(subnet.network_address + 1)
    namespaces = {name: f"wire-{tag}-{i}" for i, name in enumerate(hostnames)}
    with ExitStack() as cleanup:
        _ip("link", "add", bridge, "type", "bridge")
        cleanup.callback(lambda: subprocess.run(["ip", "link", "del", bridge], check=False))
        _ip("addr", "add", f"{gateway}/{subnet.prefixlen}", "dev", bridge)
        _ip("link", "set", bridge, "up")
        for i, (name, ns) in enumerate(namespaces.items()):
            host_end, ns_end = f"wvh{tag}{i}", f"wvp{tag}{i}"
            _ip("netns", "add", ns)
            cleanup.callback(lambda ns=ns: subprocess.run(["ip", "netns", "del", ns], check=False))
            _ip("link", "add", host_end, "type", "veth", "peer", "name", ns_end)
            cleanup.callback(
                lambda dev=host_end: subprocess.run(
                    ["ip", "link", "del", dev], check=False, capture_output=True
                )
            )
            _ip("link", "set", ns_end, "netns", ns)
            _ip("link", "set", host_end, "master", bridge, "up")
            address = f"{subnet.network_address + 2 + i}/{subnet.prefixlen}"
            _ip("-n", ns, "addr", "add", address, "dev", ns_end)
            _ip("-n", ns, "link", "set", ns_end, "up")
            _ip("-n", ns, "link", "set", "lo", "up")
            _ip("-n", ns, "route", "add", "default", "via", gateway)
            del name
        network = HostNetwork(gateway=gateway, namespaces=namespaces, cleanup=cleanup)
        for port in sorted(set(ports)):
            network.relay(port)
        yield network


@dataclass(frozen=True)
class CeleryWorker:
    """One `airflow celery worker` started as a host of its own: its hostname, folders and log."""

    hostname: str
    home: Path
    data_dir: Path
    log: Path


@dataclass
class AirflowServices:
    """Running services: where they listen, their environment, and a logged-in REST session."""

    base_url: str
    env: dict[str, str]
    home: Path
    data_dir: Path
    warehouse_url: str
    api: requests.Session = field(default_factory=requests.Session)
    workers: list[CeleryWorker] = field(default_factory=list)
    # with workers in network namespaces: this machine's address on their bridge, where they
    # reach its loopback services (Redis, PostgreSQL, the api-server, the wire site)
    gateway: str | None = None

    def as_workers_see(self, url: str) -> str:
        """`url` as the workers reach it."""
        return url.replace("127.0.0.1", self.gateway) if self.gateway else url

    def url(self, path: str) -> str:
        return f"{self.base_url}/api/v2/{path.lstrip('/')}"

    def get(self, path: str, **params: Any) -> Any:
        response = self.api.get(self.url(path), params=params, timeout=30)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, body: Mapping[str, Any]) -> Any:
        response = self.api.post(self.url(path), json=dict(body), timeout=60)
        assert response.ok, f"POST {path}: {response.status_code} {response.text}"
        return response.json()

    def patch(self, path: str, body: Mapping[str, Any]) -> Any:
        response = self.api.patch(self.url(path), json=dict(body), timeout=30)
        assert response.ok, f"PATCH {path}: {response.status_code} {response.text}"
        return response.json()

    def cli(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """The Airflow CLI against these services' metadata database."""
        return subprocess.run(
            [str(VENV_BIN / "airflow"), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=str(ROOT),
        )

    def set_paused(self, paused: bool, dag_id: str = DAG_ID) -> None:
        self.patch(f"dags/{dag_id}", {"is_paused": paused})

    def dag_runs(self, dag_id: str = DAG_ID) -> list[dict[str, Any]]:
        runs: list[dict[str, Any]] = self.get(f"dags/{dag_id}/dagRuns", limit=100)["dag_runs"]
        return runs

    def wait_for_runs(
        self, run_ids: set[str], *, timeout: float = 600, dag_id: str = DAG_ID
    ) -> list[dict[str, Any]]:
        """Poll until every run in `run_ids` has finished; returns those runs."""
        deadline = time.monotonic() + timeout
        while True:
            runs = [r for r in self.dag_runs(dag_id) if r["dag_run_id"] in run_ids]
            if len(runs) == len(run_ids) and all(r["state"] in {"success", "failed"} for r in runs):
                return runs
            if time.monotonic() > deadline:
                raise AssertionError(f"runs not finished after {timeout}s: {runs}\n{self.logs()}")
            time.sleep(2)

    def logs(self, tail: int = 60) -> str:
        """The last lines of every service's log, for assertion messages."""
        parts = []
        for name in SERVICES:
            path = self.home / f"{name}.log"
            if path.exists():
                lines = path.read_text(errors="replace").splitlines()[-tail:]
                parts.append(f"--- {name} ---\n" + "\n".join(lines))
        for worker in self.workers:
            if worker.log.exists():
                lines = worker.log.read_text(errors="replace").splitlines()[-tail:]
                parts.append(f"--- worker {worker.hostname} ---\n" + "\n".join(lines))
        return "\n".join(parts)


def services_env(
    *,
    home: Path,
    metadata_url: str,
    port: int,
    data_dir: Path,
    base_url: str,
    warehouse_url: str,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment of every service and CLI call (nothing from the caller's Airflow settings)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AIRFLOW_", "AIRFLOW__", "WIRE_")) or k == "WIRE_TEST_POSTGRES_URL"
    }
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps({ADMIN_USER: ADMIN_PASSWORD}))
    plugins = home / "plugins"  # our own services: no half-built UI plugin of another change
    plugins.mkdir(exist_ok=True)
    # ...but the plugin the DAGs need: their deadline reference and the runs' day notes
    runs_plugin = plugins / "wire_runs_plugin.py"
    if not runs_plugin.exists():
        runs_plugin.symlink_to(ROOT / "plugins" / "wire_runs_plugin.py")
    api_url = f"http://127.0.0.1:{port}"
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=metadata_url,
        # psycopg 3 is async too (Airflow would otherwise derive an asyncpg URL)
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC=metadata_url,
        AIRFLOW__CORE__EXECUTOR="LocalExecutor",  # scripts/airflow-env.sh's default
        AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME="0.25",
        AIRFLOW__CORE__PARALLELISM="4",
        AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "dags"),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(plugins),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=f"{ADMIN_USER}:admin",  # user:role
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(passwords),
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"{api_url}/execution/",
        AIRFLOW__API__BASE_URL=api_url,
        AIRFLOW__API__PORT=str(port),
        AIRFLOW__API__HOST="127.0.0.1",
        AIRFLOW__API__WORKERS="1",
        AIRFLOW__API_AUTH__JWT_SECRET=secrets.token_urlsafe(64),
        AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="5",
        AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL="5",
        # Tests start runs themselves (backfills, triggers): no run for "yesterday" of the clock.
        AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE="False",
        AIRFLOW__LOGGING__LOGGING_LEVEL="INFO",
        GX_ANALYTICS_ENABLED="False",
        WIRE_DATA_DIR=str(data_dir),
        WIRE_MAX_RPS="0",
        AIRFLOW_VAR_WIRE_BASE_URL=base_url,
        AIRFLOW_CONN_WIRE_WAREHOUSE=warehouse_url,
    )
    env.update(extra or {})
    return env


def celery_env(*, broker_url: str, metadata_url: str, queue: str) -> dict[str, str]:
    """CeleryExecutor settings for every service and worker: the broker, the result backend in the
    metadata database, the project's worker hook, and a queue of this test session's own (others
    may share the Redis database)."""
    return {
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CELERY__BROKER_URL": broker_url,
        "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{metadata_url}",
        "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS": "wire_ingest.airflow.celery_worker.CELERY_CONFIG",
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
        "AIRFLOW__OPERATORS__DEFAULT_QUEUE": queue,
    }


# What a worker reaches over the network: rewritten to the bridge's gateway in a namespace.
_NETWORK_SETTINGS = (
    "AIRFLOW__CELERY__BROKER_URL",
    "AIRFLOW__CELERY__RESULT_BACKEND",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC",
    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
    "AIRFLOW__API__BASE_URL",
    "AIRFLOW_CONN_WIRE_WAREHOUSE",
    "AIRFLOW_VAR_WIRE_BASE_URL",
)


def _start_worker(
    services: AirflowServices,
    workdir: Path,
    hostname: str,
    *,
    shared_data_dir: bool,
    network: HostNetwork | None = None,
) -> tuple[CeleryWorker, subprocess.Popen[bytes]]:
    """`airflow celery worker` as a host of its own: its own UTS namespace (so its hostname, which
    Airflow records on each task instance), its own AIRFLOW_HOME (task logs) and WIRE_DATA_DIR,
    and with `network` its own network namespace, reaching this machine's services over a veth."""
    home = workdir / hostname / "airflow-home"
    data_dir = services.data_dir if shared_data_dir else workdir / hostname / "data"
    home.mkdir(parents=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    worker = CeleryWorker(hostname=hostname, home=home, data_dir=data_dir, log=home / "worker.log")
    env = {
        **services.env,
        "AIRFLOW_HOME": str(home),
        "WIRE_DATA_DIR": str(data_dir),
    }
    if network is not None:
        for name in _NETWORK_SETTINGS:
            env[name] = services.as_workers_see(env[name])
    queue = env["AIRFLOW__OPERATORS__DEFAULT_QUEUE"]
    worker_cmd = [
        str(VENV_BIN / "airflow"), "celery", "worker",
        "--queues", queue, "--celery-hostname", hostname,
        "--skip-serve-logs",  # its log server would listen on every interface; logs stay on disk
    ]  # fmt: skip
    # unshare --uts: a hostname of its own without touching the machine's (root, as in CI)
    args = ["unshare", "--uts", "sh", "-c", 'hostname "$0" && exec "$@"', hostname, *worker_cmd]
    if network is not None:
        args = [*network.exec_prefix(hostname), *args]
    with worker.log.open("wb") as log:
        proc = subprocess.Popen(
            args,
            env=env,
            cwd=str(home),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return worker, proc


def _wait_workers_ready(services: AirflowServices, procs: list[subprocess.Popen[bytes]]) -> None:
    """Celery prints `celery@<hostname> ready.` once the worker consumes its queue."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if any(proc.poll() is not None for proc in procs):
            raise RuntimeError(f"a Celery worker exited early:\n{services.logs()}")
        logs = [
            w.log.read_text(errors="replace") if w.log.exists() else "" for w in services.workers
        ]
        if all(
            f"{w.hostname} ready." in text for w, text in zip(services.workers, logs, strict=True)
        ):
            return
        time.sleep(1)
    raise RuntimeError(f"Celery workers not ready:\n{services.logs()}")


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM every service's process group, then SIGKILL whatever is left after 20 s."""
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    for proc in procs:
        with suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        with suppress(ProcessLookupError):  # the group too: task runners the executor forked
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def _wait_healthy(services: AirflowServices, procs: list[subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + 240
    last: Any = None
    while time.monotonic() < deadline:
        for proc in procs:
            if proc.poll() is not None:
                raise RuntimeError(f"an Airflow service exited early:\n{services.logs()}")
        try:
            health = requests.get(f"{services.base_url}/api/v2/monitor/health", timeout=5).json()
            last = health
            if all(
                (health.get(part) or {}).get("status") == "healthy"
                for part in ("metadatabase", "scheduler", "dag_processor")
            ):
                return
        except (requests.RequestException, ValueError) as exc:
            last = exc
        time.sleep(1)
    raise RuntimeError(f"Airflow services not healthy: {last}\n{services.logs()}")


def _login(services: AirflowServices) -> None:
    response = requests.post(
        f"{services.base_url}/auth/token",
        json={"username": ADMIN_USER, "password": ADMIN_PASSWORD},
        timeout=30,
    )
    response.raise_for_status()
    services.api.headers["Authorization"] = f"Bearer {response.json()['access_token']}"


def _wait_for_dag(services: AirflowServices, dag_id: str) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        response = services.api.get(services.url(f"dags/{dag_id}"), timeout=10)
        if response.ok:
            return
        time.sleep(1)
    raise RuntimeError(f"DAG {dag_id} was not parsed in time:\n{services.logs()}")


@contextmanager
def running_airflow(
    *,
    admin_url: str,
    workdir: Path,
    base_url: str,
    warehouse_url: str,
    extra_env: Mapping[str, str] | None = None,
    fetch_pool_slots: int = FETCH_POOL_SLOTS,
    celery_broker_url: str | None = None,
    celery_workers: Sequence[str] = (),
    shared_data_dir: bool = True,
    worker_network: HostNetwork | None = None,
) -> Iterator[AirflowServices]:
    """Migrate a fresh PostgreSQL database for Airflow, start the three services, stop them after.

    `admin_url`: a SQLAlchemy URL of a PostgreSQL server where databases can be created.
    With `celery_broker_url`: CeleryExecutor, and one worker per name in `celery_workers` (each its
    own data folder unless `shared_data_dir`; each in its network namespace of `worker_network`,
    which then also relays the api-server's port).
    """
    db_name = f"airflow_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{db_name}"'))
    metadata_url = (
        sa.engine.make_url(admin_url)
        .set(drivername="postgresql+psycopg", database=db_name, query={})
        .render_as_string(hide_password=False)
    )
    home = workdir / "airflow-home"
    home.mkdir(parents=True, exist_ok=True)
    data_dir = workdir / "data"
    port = free_port()
    celery = (
        celery_env(
            broker_url=celery_broker_url,
            metadata_url=metadata_url,
            queue=f"wire_test_{uuid.uuid4().hex[:12]}",
        )
        if celery_broker_url
        else {}
    )
    env = services_env(
        home=home,
        metadata_url=metadata_url,
        port=port,
        data_dir=data_dir,
        base_url=base_url,
        warehouse_url=warehouse_url,
        extra={**celery, **(extra_env or {})},
    )
    services = AirflowServices(
        base_url=f"http://127.0.0.1:{port}",
        env=env,
        home=home,
        data_dir=data_dir,
        warehouse_url=warehouse_url,
    )
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for step in (
            ("db", "migrate"),
            ("pools", "set", "wire_fetch", str(fetch_pool_slots), "Fetches against the wire sites"),
            ("pools", "set", "wire_fetch_news_cn", "2", "Fetches of wire xinhua_en"),
        ):
            done = services.cli(*step)
            assert done.returncode == 0, f"airflow {' '.join(step)}:\n{done.stderr[-4000:]}"
        # the warehouse is migrated at deploy time, as airflow-init does; tasks only check it
        migrated = subprocess.run(
            [str(VENV_BIN / "wire-ingest"), "migrate", "--warehouse", warehouse_url],
            env=env,
            capture_output=True,
            text=True,
        )
        assert migrated.returncode == 0, migrated.stderr[-4000:]
        for name in SERVICES:
            args = [str(VENV_BIN / "airflow"), name]
            if name == "api-server":
                args += ["--port", str(port), "--host", "127.0.0.1"]
            log = (home / f"{name}.log").open("wb")
            procs.append(
                subprocess.Popen(
                    args,
                    env=env,
                    cwd=str(ROOT),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # one process group per service: stop the workers too
                )
            )
        network = worker_network if celery_workers else None
        if network is not None:
            network.relay(port)
            services.gateway = network.gateway
        worker_procs = []
        for hostname in celery_workers:
            worker, proc = _start_worker(
                services, workdir, hostname, shared_data_dir=shared_data_dir, network=network
            )
            services.workers.append(worker)
            worker_procs.append(proc)
        procs.extend(worker_procs)
        _wait_healthy(services, procs)
        _login(services)
        _wait_for_dag(services, DAG_ID)
        if worker_procs:
            _wait_workers_ready(services, worker_procs)
        yield services
    finally:
        _stop(procs)
        if celery_broker_url:  # this run's queue and its binding, nothing else of the database
            import redis

            queue = celery["AIRFLOW__OPERATORS__DEFAULT_QUEUE"]
            with suppress(redis.RedisError):
                redis.Redis.from_url(celery_broker_url).delete(queue, f"_kombu.binding.{queue}")
        services.api.close()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def warehouse_schema(postgres_url: str, prefix: str) -> Iterator[str]:
    """A PostgreSQL schema of its own (URL with its search_path), dropped afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = sa.engine.make_url(postgres_url).update_query_dict(
            {"options": f"-csearch_path={schema}"}
        )
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def airflow_services_warehouse(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL schema for the warehouse the shared services load into."""
    with warehouse_schema(postgres_url, "wire_services") as url:
        yield url


@dataclass(frozen=True)
class AlertReceiver:
    """A local HTTP endpoint that records every JSON body POSTed to it."""

    url: str
    received: list[dict[str, Any]]


@pytest.fixture(scope="session")
def alert_receiver() -> Iterator[AlertReceiver]:
    """The webhook the shared services' failure alerts go to."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            try:
                received.append({"path": self.path, **json.loads(body)})
            except ValueError:
                received.append({"path": self.path, "raw": body.decode(errors="replace")})
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield AlertReceiver(url=f"http://127.0.0.1:{server.server_port}/hook", received=received)
    finally:
        server.shutdown()
        server.server_close()


class StatsdReceiver:
    """Every StatsD line sent to 127.0.0.1:<port> while it runs: `name:value|type`."""

    def __init__(self, port: int = 0) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        self.sock.bind(("127.0.0.1", port))  # 0: a free port
        self.port: int = self.sock.getsockname()[1]
        self.sock.settimeout(0.2)
        self.lines: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._receive, daemon=True)
        self._thread.start()

    def _receive(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                continue
            self.lines.extend(line for line in data.decode().splitlines() if line)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()

    def values(self, metric_type: str) -> dict[str, list[float]]:
        """name -> every value sent with that type (g: gauge, c: counter, ms: timer)."""
        found: dict[str, list[float]] = {}
        for line in self.lines:
            name, _, rest = line.partition(":")
            value, _, kind = rest.partition("|")
            if kind.split("|")[0] == metric_type:
                found.setdefault(name, []).append(float(value))
        return found


@pytest.fixture(scope="session")
def statsd_receiver() -> Iterator[StatsdReceiver]:
    """The StatsD server the shared services' metrics go to."""
    receiver = StatsdReceiver()
    try:
        yield receiver
    finally:
        receiver.close()


@pytest.fixture(scope="session")
def airflow_services(
    postgres_url: str,
    wire_site: Any,
    airflow_services_warehouse: str,
    alert_receiver: AlertReceiver,
    statsd_receiver: StatsdReceiver,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[AirflowServices]:
    """Scheduler, dag-processor and api-server on a fresh PostgreSQL metadata database (session)."""
    with running_airflow(
        admin_url=postgres_url,
        workdir=tmp_path_factory.mktemp("airflow-services"),
        base_url=wire_site.base_url,
        warehouse_url=airflow_services_warehouse,
        extra_env={
            "WIRE_ALERT_WEBHOOK_URL": alert_receiver.url,
            "WIRE_TASK_RETRIES": "0",
            "AIRFLOW__METRICS__STATSD_ON": "True",
            "AIRFLOW__METRICS__STATSD_HOST": "127.0.0.1",
            "AIRFLOW__METRICS__STATSD_PORT": str(statsd_receiver.port),
            "AIRFLOW__METRICS__STATSD_PREFIX": "airflow",
        },
    ) as services:
        yield services


BACKFILL_FROM, BACKFILL_TO = "2020-12-22", "2020-12-24"  # the days the `wire_site` fixture serves
OVERLAP_LOGICAL_DATE = "2020-12-22T00:01:00+08:00"  # another run of the backfill's first day


@dataclass(frozen=True)
class BackfillResult:
    """`make backfill` of three days, and a run of its first day started at the same time."""

    returncode: int
    output: str
    backfill_runs: list[dict[str, Any]]
    overlap_run: dict[str, Any]


@pytest.fixture(scope="session")
def small_backfill(airflow_services: AirflowServices) -> BackfillResult:
    """scripts/backfill.sh 2020-12-22 2020-12-24 on the shared services (max 2 runs at once),
    while a manual run of 2020-12-22 (as the daily schedule would start) runs alongside."""
    services = airflow_services
    services.set_paused(False)
    backfill = subprocess.Popen(
        ["bash", str(ROOT / "scripts" / "backfill.sh"), BACKFILL_FROM, BACKFILL_TO],
        env={
            **services.env,
            "POLL_SECONDS": "3",
            "MAX_ACTIVE_RUNS": "2",
            "VENV": str(VENV_BIN.parent),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=str(ROOT),
    )
    try:
        overlap = services.post(
            f"dags/{DAG_ID}/dagRuns",
            {"logical_date": OVERLAP_LOGICAL_DATE, "dag_run_id": "overlap__2020-12-22"},
        )
        output, _ = backfill.communicate(timeout=900)
    finally:
        if backfill.poll() is None:
            backfill.kill()
            backfill.wait()
    services.wait_for_runs({overlap["dag_run_id"]})
    runs = services.dag_runs()
    return BackfillResult(
        returncode=backfill.returncode,
        output=output,
        backfill_runs=[r for r in runs if r["run_type"] == "backfill"],
        overlap_run=next(r for r in runs if r["dag_run_id"] == overlap["dag_run_id"]),
    )
