"""The simulator is a dev/test tool (tools/wiresim): the runtime package and the image hold none of it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import wire_ingest

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_DIRS = ("include", "dags", "plugins")


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_runtime_package_has_no_simulator_module() -> None:
    package = Path(wire_ingest.__file__).parent
    assert not (package / "wiresim").exists()
    assert not list(package.rglob("*wiresim*"))


def test_no_runtime_file_imports_the_simulator() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for directory in RUNTIME_DIRS
        for path in (ROOT / directory).rglob("*.py")
        if any(name.split(".")[0] == "wiresim" for name in _imported_modules(path))
    ]
    assert offenders == []


def test_the_image_copies_no_simulator() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    copied = re.findall(r"^COPY\s+(?:--\S+\s+)*(.+?)\s+\S+$", dockerfile, flags=re.MULTILINE)
    assert copied, "no COPY line found"
    assert not [line for line in copied if "tools" in line or "wiresim" in line]
    dockerignore = (ROOT / ".dockerignore").read_text(encoding="utf-8")
    assert "tools" in dockerignore


def test_the_cli_has_no_site_command() -> None:
    from wire_ingest import cli

    assert cli.main(["site"]) == 2
