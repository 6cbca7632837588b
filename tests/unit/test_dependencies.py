"""pyproject's runtime dependencies are exactly what include/, dags/ and plugins/ import; the lock pins them."""

from __future__ import annotations

import ast
import functools
import re
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, distribution, packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_DIRS = ("include", "dags", "plugins")
FIRST_PARTY = {"wire_ingest"}
# Modules imported with importlib from a list of names rather than an import statement.
IMPORTED_BY_NAME = (
    ROOT / "include" / "wire_ingest" / "airflow" / "celery_worker.py",
    "PRELOAD_MODULES",
)
# Declared but never imported by name, each for a stated reason.
NOT_IMPORTED = {
    # SQLAlchemy loads it for postgresql+psycopg:// URLs (warehouse/engines.py sets that driver).
    "psycopg": "the PostgreSQL driver behind SQLAlchemy",
    # Airflow's metrics client imports it when [metrics] statsd_on is set (airflow/metrics.py).
    "statsd": "the StatsD client behind Airflow's metrics",
}


def _declared() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = [Requirement(text) for text in project["dependencies"]]
    return {canonicalize_name(r.name): r for r in requirements}


def _runtime_imports() -> dict[str, set[str]]:
    """Third-party module name -> the runtime files that import it."""
    found: dict[str, set[str]] = {}
    for directory in RUNTIME_DIRS:
        for path in sorted((ROOT / directory).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    path, variable = IMPORTED_BY_NAME
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == variable for t in node.targets
        ):
            for name in ast.literal_eval(node.value):
                found.setdefault(name, set()).add(f"{path.relative_to(ROOT)} ({variable})")
    return {
        name: files
        for name, files in found.items()
        if name.split(".")[0] not in sys.stdlib_module_names | FIRST_PARTY
    }


@functools.cache
def _top_level_distributions() -> dict[str, list[str]]:
    return dict(packages_distributions())  # scans every installed distribution: once


@functools.cache
def _files(dist_name: str) -> frozenset[str]:
    return frozenset(str(p) for p in distribution(dist_name).files or ())


def _distributions_of(module: str) -> set[str]:
    """The installed distributions that ship `module` (a namespace such as airflow has many)."""
    candidates = _top_level_distributions().get(module.split(".")[0], [])
    if len(set(candidates)) <= 1:
        return {canonicalize_name(d) for d in candidates}
    parts = module.split(".")
    for end in range(len(parts), 0, -1):  # the module itself, else the closest package above it
        stem = "/".join(parts[:end])
        shipping = {
            canonicalize_name(d)
            for d in candidates
            if {f"{stem}.py", f"{stem}/__init__.py"} & _files(d)
        }
        if shipping:
            return shipping
    return {canonicalize_name(d) for d in candidates}


def _ships_modules(dist_name: str) -> bool:
    return any(
        canonicalize_name(d) == dist_name for ds in _top_level_distributions().values() for d in ds
    )


def _covered_by(dist_name: str) -> set[str]:
    """The distributions a declared one stands for: itself, or a meta-package's requirements."""
    if _ships_modules(dist_name):
        return {dist_name}
    # e.g. apache-airflow: no code of its own, it pins apache-airflow-core and -task-sdk
    requires = distribution(dist_name).requires or []
    unconditional = [Requirement(r) for r in requires if "extra ==" not in r]
    return {dist_name} | {canonicalize_name(r.name) for r in unconditional}


def test_every_declared_dependency_is_installed() -> None:
    missing = []
    for name in _declared():
        try:
            distribution(name)
        except PackageNotFoundError:
            missing.append(name)
    assert missing == [], "run `make install`"


def test_every_third_party_import_is_a_declared_dependency() -> None:
    covered = set().union(*(_covered_by(name) for name in _declared()))
    undeclared = {
        module: sorted(files)
        for module, files in _runtime_imports().items()
        if not _distributions_of(module) & covered
    }
    assert undeclared == {}, "add these to pyproject.toml [project] dependencies"


def test_every_declared_dependency_is_imported_or_has_a_reason() -> None:
    imported = set().union(*(_distributions_of(m) for m in _runtime_imports()))
    unused = sorted(
        name
        for name in _declared()
        if name not in NOT_IMPORTED and not _covered_by(name) & imported
    )
    assert unused == [], "remove these from pyproject.toml, or say why in NOT_IMPORTED"
    stale = sorted(name for name in NOT_IMPORTED if name in imported or name not in _declared())
    assert stale == []


def test_beautifulsoup_is_not_a_runtime_dependency() -> None:
    """Measured slower than lxml on our pages and unused (docs/dependencies.md)."""
    assert "beautifulsoup4" not in _declared()
    assert not re.search(r"^beautifulsoup4==", _lock_text(), re.M | re.I)


def _lock_text() -> str:
    return (ROOT / "requirements.txt").read_text(encoding="utf-8")


def test_the_lock_is_compiled_from_pyproject_and_pins_every_declared_range() -> None:
    lock = _lock_text()
    assert "uv pip compile --python-version 3.11 pyproject.toml -o requirements.txt" in lock
    assert not (ROOT / "requirements.in").exists()
    pins = {
        canonicalize_name(m.group(1)): m.group(2)
        for m in re.finditer(r"^([A-Za-z0-9._-]+)==(\S+)$", lock, re.M)
    }
    outside = {
        name: (str(req.specifier), pins.get(name))
        for name, req in _declared().items()
        if pins.get(name) is None or not req.specifier.contains(pins[name])
    }
    assert outside == {}, "run `make lock`"
