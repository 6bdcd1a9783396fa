"""The layers' imports point one way (docs/architecture.md): read from the source, so a
new import that breaks the drawing fails here, not in a reviewer's head."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("hub", "connectors", "console", "wire")

# Lowest first: a module may import its own layer and the ones before it, never a later
# one. The hub's root modules (cli, demo, process, logs) are the process, above all.
LAYERS = ("wire", "hub.domain", "hub.store", "hub.cases", "hub.runtime", "hub.api")
# The domain: rules over plain values, with no transport, no storage, no event loop.
NOT_IN_DOMAIN = ("grpc", "sqlalchemy", "sqlmodel", "alembic", "asyncio")
# The store alone speaks SQL: a use case names what it wants from it, not a statement.
SQL = ("sqlalchemy", "sqlmodel")


def _layer(module: str) -> int | None:
    for rank, layer in enumerate(LAYERS):
        if module == layer or module.startswith(f"{layer}."):
            return rank
    return len(LAYERS) if module.startswith("hub") else None


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(path: Path, modules: frozenset[str] = frozenset()) -> set[str]:
    """What a module imports when it runs (not what it names for type checkers only);
    `from package import module` imports the module (the package's __init__ is
    Python's business, not a dependency)."""
    tree = ast.parse(path.read_text())
    type_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            type_only.update(id(n) for child in node.body for n in ast.walk(child))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in modules else node.module)
    return found


def _graph() -> dict[str, set[str]]:
    paths = [p for package in PACKAGES for p in (ROOT / package).rglob("*.py")]
    modules = {_module_name(p): p for p in paths if "migrations" not in p.parts}
    names = frozenset(modules)
    return {
        name: {m for m in _runtime_imports(path, names) if m in modules and m != name}
        for name, path in modules.items()
    }


def test_no_import_cycle() -> None:
    graph = _graph()
    state: dict[str, str] = {}
    cycles: list[list[str]] = []

    def visit(module: str, trail: list[str]) -> None:
        state[module] = "open"
        for imported in sorted(graph[module]):
            if state.get(imported) == "open":
                cycles.append([*trail[trail.index(imported) :], imported])
            elif imported not in state:
                visit(imported, [*trail, imported])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_sdk_needs_neither_the_hub_nor_the_console() -> None:
    graph = _graph()
    for module, imported in graph.items():
        if module.startswith(("connectors", "wire")):
            assert not {m for m in imported if m.startswith(("hub", "console"))}, module
        if module.startswith("wire"):
            assert not {m for m in imported if m.startswith("connectors")}, module


def test_the_domain_imports_no_transport_storage_or_event_loop() -> None:
    for path in (ROOT / "hub" / "domain").rglob("*.py"):
        imported = _runtime_imports(path)
        assert not {m for m in imported if m.startswith(NOT_IN_DOMAIN)}, path.name


def _speaking_sql(package: Path) -> dict[str, set[str]]:
    return {
        path.name: found
        for path in package.rglob("*.py")
        if (found := {m for m in _runtime_imports(path) if m.split(".")[0] in SQL})
    }


def test_the_use_cases_speak_no_sql() -> None:
    assert _speaking_sql(ROOT / "hub" / "cases") == {}


def test_a_use_case_that_speaks_sql_is_found(tmp_path: Path) -> None:
    (tmp_path / "typed.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from sqlmodel import Session\n"
    )
    (tmp_path / "querying.py").write_text("import sqlalchemy as sa\nfrom sqlmodel import select\n")
    (tmp_path / "engine.py").write_text("from sqlalchemy.engine import Engine\n")
    assert _speaking_sql(tmp_path) == {
        "querying.py": {"sqlalchemy", "sqlmodel"},
        "engine.py": {"sqlalchemy.engine"},
    }


def test_each_layer_imports_only_itself_and_the_layers_below() -> None:
    upward = {
        (module, imported)
        for module, imports in _graph().items()
        if (rank := _layer(module)) is not None
        for imported in imports
        if (other := _layer(imported)) is not None and other > rank
    }
    assert upward == set()


def test_the_use_cases_are_reached_only_through_the_edge_and_the_runtime() -> None:
    callers = {
        module
        for module, imported in _graph().items()
        if not module.startswith("hub.cases") and any(m.startswith("hub.cases") for m in imported)
    }
    assert {_layer(m) for m in callers} <= {
        LAYERS.index("hub.runtime"),
        LAYERS.index("hub.api"),
        len(LAYERS),
    }
