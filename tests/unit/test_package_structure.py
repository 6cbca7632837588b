"""The runtime package's rooms: no import circle, no module reaching into another's private names."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "include" / "wire_ingest"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    _module_name(path): path
    for path in sorted(PACKAGE.rglob("*.py"))
    if "versions" not in path.relative_to(PACKAGE).parts  # Alembic scripts: not imported as code
}


def _imports(module: str) -> Iterator[tuple[str, str | None, int]]:
    """(imported module, imported name or None, line) for every import of `module`, including
    imports inside functions (they run too, just later)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                yield base, alias.name, node.lineno


def _edges(module: str) -> set[str]:
    """The package's modules that `module` imports (a `from pkg import sub` names the submodule)."""
    found = set()
    for target, name, _line in _imports(module):
        if name is not None and f"{target}.{name}" in MODULES:
            found.add(f"{target}.{name}")
        elif target in MODULES:
            found.add(target)
    found.discard(module)
    return found


def _cycle() -> list[str] | None:
    graph = {module: _edges(module) for module in MODULES}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for module in sorted(graph):
        if module not in state and (found := visit(module)) is not None:
            return found
    return None


def test_the_package_has_modules_to_check() -> None:
    assert {"wire_ingest.steps", "wire_ingest.http.fetch", "wire_ingest.warehouse.load"} <= set(
        MODULES
    )


def test_no_import_circle() -> None:
    cycle = _cycle()
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_import_of_another_modules_private_name(module: str) -> None:
    offending = []
    for target, name, line in _imports(module):
        if not target.startswith("wire_ingest") or target == module:
            continue
        if name is not None and name.startswith("_") and not name.startswith("__"):
            offending.append(f"line {line}: from {target} import {name}")
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    aliases = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("wire_ingest")
        for alias in node.names
        if f"{node.module}.{alias.name}" in MODULES
    }
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            offending.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
    assert offending == [], f"{module} reaches into private names: {offending}"


def test_only_the_airflow_glue_imports_the_airflow_glue() -> None:
    """The stages run without Airflow (CLI, benchmarks, tests): imports point into `airflow/`
    from nowhere else in the package, so the glue sits on top of the rooms, never under them."""
    glue = "wire_ingest.airflow"
    upward = sorted(
        f"{module} -> {target}"
        for module in MODULES
        if not (module == glue or module.startswith(glue + "."))
        for target in _edges(module)
        if target == glue or target.startswith(glue + ".")
    )
    assert upward == []


def test_the_checks_catch_a_circle_and_a_private_import(tmp_path: Path) -> None:
    """The checks themselves can fail: a made-up pair of modules that import each other."""
    global MODULES
    saved = MODULES
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("from wire_ingest.b import _hidden\n")
    b.write_text("def f():\n    from wire_ingest import a\n")
    try:
        MODULES = {"wire_ingest.a": a, "wire_ingest.b": b}
        assert _cycle() in (
            ["wire_ingest.a", "wire_ingest.b", "wire_ingest.a"],
            ["wire_ingest.b", "wire_ingest.a", "wire_ingest.b"],
        )
        with pytest.raises(AssertionError, match="private"):
            test_no_import_of_another_modules_private_name("wire_ingest.a")
    finally:
        MODULES = saved
