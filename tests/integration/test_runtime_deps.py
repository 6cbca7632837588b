"""requirements.txt alone runs the pipeline: a fresh venv from it imports every runtime module."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a venv of ~180 packages (hard links from uv's cache), GX's import

ROOT = Path(__file__).resolve().parents[2]
UV = Path(sys.executable).parent / "uv"  # `make install` puts the pinned uv in the project venv
# Alembic runs this one itself, with its migration context: importing it alone is an error.
NOT_IMPORTABLE_ALONE = {"wire_ingest.warehouse.migrations.env"}
DEV_ONLY = ("bs4", "pytest", "wiresim")  # in requirements-dev.txt / tools/, never in the image

IMPORT_EVERYTHING = textwrap.dedent(
    """
    import importlib, json, pkgutil, runpy, sys
    import wire_ingest

    skip = set(json.loads(sys.argv[1]))
    imported, failed = [], {}
    for info in pkgutil.walk_packages(wire_ingest.__path__, "wire_ingest."):
        if info.name in skip:
            continue
        try:
            importlib.import_module(info.name)
            imported.append(info.name)
        except Exception as exc:
            failed[info.name] = f"{type(exc).__name__}: {exc}"
    for path in sys.argv[2:]:  # the DAG files and plugins, as Airflow loads them
        try:
            runpy.run_path(path)
            imported.append(path)
        except Exception as exc:
            failed[path] = f"{type(exc).__name__}: {exc}"
    print(json.dumps({"imported": imported, "failed": failed}))
    """
)


def _run(
    *args: str | Path, env: dict[str, str], cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, env=env, cwd=cwd, timeout=900
    )
    assert done.returncode == 0, f"{args}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def test_a_venv_from_the_lock_alone_imports_every_runtime_module(tmp_path: Path) -> None:
    assert UV.exists(), f"{UV} is missing: run `make install`"
    venv = tmp_path / "venv"
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    env["AIRFLOW_HOME"] = str(tmp_path / "airflow")  # Airflow's import writes its config there
    env["WIRE_DATA_DIR"] = str(tmp_path / "data")

    _run(UV, "venv", "-q", "--python", sys.executable, venv, env=env)
    # What the Dockerfile does: the lock, then the project with --no-deps.
    _run(UV, "pip", "install", "-q", "--python", python, "-r", "requirements.txt", env=env)
    _run(UV, "pip", "install", "-q", "--python", python, "--no-deps", "-e", ".", env=env)
    # The lock satisfies every range pyproject.toml declares (and every package's own needs).
    _run(UV, "pip", "check", "--python", python, env=env)

    runtime_files = sorted(str(p) for d in ("dags", "plugins") for p in (ROOT / d).glob("*.py"))
    done = _run(
        python,
        "-c",
        IMPORT_EVERYTHING,
        json.dumps(sorted(NOT_IMPORTABLE_ALONE)),
        *runtime_files,
        env=env,
        cwd=tmp_path,  # not the checkout: its directories must not be importable from sys.path[0]
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["failed"] == {}
    assert "wire_ingest.quality.validation" in result["imported"]  # the walk reached the rooms
    assert len(result["imported"]) > 40

    # The dev-only packages are really absent: nothing above leaned on them.
    for name in DEV_ONLY:
        probe = subprocess.run(
            [str(python), "-c", f"import {name}"], capture_output=True, env=env, cwd=tmp_path
        )
        assert probe.returncode != 0, f"{name} is importable from a venv built from the lock"
