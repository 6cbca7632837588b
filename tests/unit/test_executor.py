"""PreloadedLocalExecutor: Airflow loads it by its path; a fork of a preloaded process validates."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.slow  # the GX import, once


def test_airflow_loads_the_executor_by_its_configured_path(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """What the scheduler does with scripts/airflow-env.sh's AIRFLOW__CORE__EXECUTOR."""
    script = (
        "from airflow.executors.executor_loader import ExecutorLoader\n"
        "from airflow.executors.local_executor import LocalExecutor\n"
        "executor = ExecutorLoader.get_default_executor()\n"
        "print(type(executor).__module__, type(executor).__name__, "
        "isinstance(executor, LocalExecutor))\n"
    )
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path),
        "AIRFLOW__CORE__EXECUTOR": "wire_ingest.airflow.executor.PreloadedLocalExecutor",
    }
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split()[-3:] == [
        "wire_ingest.airflow.executor",
        "PreloadedLocalExecutor",
        "True",
    ]


def test_a_fork_of_a_preloaded_process_validates_without_importing_again() -> None:
    """The task path: preload once, fork, validate in the child (GX's context made before the fork)."""
    script = textwrap.dedent(
        """
        import json, logging, os, sys
        from wire_ingest.airflow.executor import PRELOAD_MODULES, preload

        preload()
        missing = [m for m in PRELOAD_MODULES if m not in sys.modules]
        records = []
        handler = logging.Handler()
        handler.emit = records.append
        logging.getLogger("wire_ingest.quality.validation").addHandler(handler)
        logging.getLogger("wire_ingest.quality.validation").setLevel(logging.INFO)
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            import datetime as dt
            from wire_ingest.quality import validation
            from tests.unit.test_validate import ALLOWED_HOSTS, valid_batch

            result = validation.validate_articles(
                valid_batch(), target_day=dt.date(2020, 12, 23),
                allowed_hosts=ALLOWED_HOSTS, run_id="fork",
            )
            os.write(write, json.dumps({
                "passed": len(result.passed),
                "rejected": len(result.rejected),
                "import_lines": [r.getMessage() for r in records if "imported" in r.getMessage()],
            }).encode())
            os._exit(0)
        os.close(write)
        child = json.loads(os.read(read, 65536))
        os.waitpid(pid, 0)
        print(json.dumps({"missing": missing, "child": child}))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
        env={**os.environ, "GX_ANALYTICS_ENABLED": "False"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["missing"] == []
    from tests.unit.test_validate import valid_batch

    assert (found["child"]["passed"], found["child"]["rejected"]) == (len(valid_batch()), 0)
    assert found["child"]["import_lines"] == []  # GX came with the fork
