"""Layers call one way: pages (views) and the JSON API (api) call services and queries, never each
other. The test reads the imports of every module, those inside functions too."""

from __future__ import annotations

import ast

from central import PROJECT_ROOT

CENTRAL = PROJECT_ROOT / "central"


def _imports(path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


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
