"""Layers call one way.

- Pages (views) and the JSON API (api) call services and queries, never each other.
- `central/core` imports no domain: permissions dispatch through the reach registry the domains
  fill (`@reach(Model)` in each domain's reach.py), bearer tokens are found through the lookup
  the accounts domain registers (`core.security.register_api_token_lookup`).
- No import cycle between the modules of `central`.

The tests read the imports of every module with `ast`, those inside functions too (a local import
hides a cycle from Python, not from the reader). `from package import name` counts as an import
of the submodule `package.name` when there is one, otherwise of `package`. Imports under
`if TYPE_CHECKING:` are left out: they are never executed (annotations only).

The cycle test is on modules, not on packages: domains legitimately use each other's models,
queries and reach in both directions (planning plans frameworks' lots, frameworks' reach counts
planning's rounds), but no chain of modules may lead back to where it started.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

from central import PROJECT_ROOT

CENTRAL = PROJECT_ROOT / "central"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in CENTRAL.rglob("*.py")}


def _type_checking_only(tree: ast.AST) -> set[int]:
    """Ids of the nodes under an `if TYPE_CHECKING:` block."""
    hidden = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                hidden |= {id(n) for n in ast.walk(child)}
    return hidden


def _imports(path) -> set[str]:
    """Every name a module imports (`x.y` and, for `from x.y import z`, both `x.y` and `x.y.z`),
    at module level and inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


@cache
def _graph() -> dict[str, frozenset[str]]:
    """Module -> the modules of `central` it imports (executed imports only)."""
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        hidden = _type_checking_only(tree)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(tree):
            if id(node) in hidden:
                continue
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names if alias.name in modules}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from . import x, from ..y import z
                    anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    base = f"{anchor}.{base}" if base else anchor
                for alias in node.names:
                    if f"{base}.{alias.name}" in modules:
                        targets.add(f"{base}.{alias.name}")
                    elif base in modules:
                        targets.add(base)
        targets.discard(name)
        graph[name] = frozenset(targets)
    return graph


def _cycles(graph: dict[str, frozenset[str]]) -> list[list[str]]:
    """One cycle (a list of modules, the first repeated at the end) per strongly connected
    component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(component)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [_a_cycle_in(graph, component) for component in components]


def _a_cycle_in(graph: dict[str, frozenset[str]], component: set[str]) -> list[str]:
    """A shortest way back from the component's first module to itself (breadth first)."""
    start = min(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph[v] & component):
            if w == start:
                return [*paths[v], start]
            if w not in paths:
                paths[w] = [*paths[v], w]
                queue.append(w)
    raise AssertionError("a strongly connected component without a cycle")


def _layer(module: str) -> str | None:
    last = module.rsplit(".", 1)[-1]
    if last == "views" or last.endswith("_views"):
        return "views"
    if last == "api" or last.endswith("_api"):
        return "api"
    return None


def test_views_and_the_api_do_not_import_each_other():
    crossing = []
    for path in CENTRAL.rglob("*.py"):
        here = _layer(path.stem)
        if here is None:
            continue
        for module in _imports(path):
            if not module.startswith("central.") or module.startswith("central.core."):
                continue
            there = _layer(module.split(".")[2] if module.count(".") >= 2 else module)
            if there is not None and there != here:
                crossing.append(f"{path.relative_to(PROJECT_ROOT)} imports {module}")
    assert crossing == []


def _is_core(module: str) -> bool:
    return module == "central.core" or module.startswith("central.core.")


def test_core_imports_no_domain():
    """Core may import core and the extensions (`central.extensions`), nothing else of central:
    no domain, nor the app factory (`central`), the demo, the labels or the pages."""
    allowed = {"central.extensions"}
    offenders = sorted(
        f"{module} imports {target}"
        for module, targets in _graph().items()
        if _is_core(module)
        for target in targets
        if not _is_core(target) and target not in allowed
    )
    assert offenders == [], "\n".join(offenders)


def test_no_import_cycles():
    cycles = [" -> ".join(cycle) for cycle in _cycles(_graph())]
    assert cycles == [], "import cycles:\n" + "\n".join(cycles)


def test_the_cycle_finder_finds_cycles():
    graph = {
        "a": frozenset({"b"}),
        "b": frozenset({"c"}),
        "c": frozenset({"a"}),
        "d": frozenset({"a"}),
    }
    assert _cycles(graph) == [["a", "b", "c", "a"]]
    assert _cycles({"a": frozenset({"b"}), "b": frozenset()}) == []


def test_imports_inside_functions_and_from_package_imports_count():
    graph = _graph()
    # `from central.core import limits` inside create_app: the submodule, not the package.
    assert "central.core.limits" in graph["central"]
    # A function-level import (retiring an asset cancels its planned tasks).
    assert "central.planning.services" in graph["central.assets.services"]
