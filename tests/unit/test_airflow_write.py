"""The scripts' CLI writes (make trigger, make backfill) survive the SQLite metadata database's
write lock, and stop on any other error."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ENV_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "airflow-env.sh"
# A stand-in for the Airflow CLI: it fails with `FAILURE` for the first `FAILURES` calls (counted
# in a file), then prints its arguments.
FAKE_AIRFLOW = """#!/usr/bin/env bash
calls=$(( $(cat "$COUNT" 2>/dev/null || echo 0) + 1 ))
echo "$calls" > "$COUNT"
if [ "$calls" -le "$FAILURES" ]; then echo "$FAILURE" >&2; exit 1; fi
echo "created: $*"
"""


def write(
    tmp_path: Path, failures: int, failure: str
) -> tuple[subprocess.CompletedProcess[str], int]:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    fake = venv / "bin" / "airflow"
    fake.write_text(FAKE_AIRFLOW)
    fake.chmod(0o755)
    count = tmp_path / "calls"
    done = subprocess.run(
        ["bash", "-c", f'source "{ENV_SCRIPT}" && airflow_write backfill create --dag-id d'],
        env={
            **os.environ,
            "AIRFLOW_HOME": str(tmp_path / "home"),
            "WIRE_DATA_DIR": str(tmp_path / "data"),
            "VENV": str(venv),
            "COUNT": str(count),
            "FAILURES": str(failures),
            "FAILURE": failure,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done, int(count.read_text())


def test_a_locked_metadata_database_is_tried_again(tmp_path: Path) -> None:
    failure = "sqlite3.OperationalError: database is locked"
    done, calls = write(tmp_path, 2, failure)
    assert (done.returncode, calls) == (0, 3)
    assert done.stdout == "created: backfill create --dag-id d\n"
    assert done.stderr.count("the metadata database is busy") == 2


def test_other_errors_stop_at_once_with_the_cli_message(tmp_path: Path) -> None:
    done, calls = write(tmp_path, 5, "AlreadyRunningBackfill: d has a running backfill")
    assert (done.returncode, calls) == (1, 1)
    assert "AlreadyRunningBackfill" in done.stderr and done.stdout == ""


def test_a_lock_that_never_clears_gives_up_after_five_tries(tmp_path: Path) -> None:
    done, calls = write(tmp_path, 9, "database is locked")
    assert (done.returncode, calls) == (1, 5)
    assert "database is locked" in done.stderr.splitlines()[-1]
