"""Roles are named by the `Role` enum, in code and templates: a role compared with a string
literal (`user.role == "coordinator"`, `require_role(user, "member")`) is one more place a new or
renamed role would be missed. The test reads every module's syntax tree and every template."""

from __future__ import annotations

import ast
import re

from central import PROJECT_ROOT
from central.core.roles import Role

CENTRAL = PROJECT_ROOT / "central"
ROLE_VALUES = {role.value for role in Role}


def _literals(node: ast.AST) -> list[str]:
    """Role values written as string literals in `node` (a constant, or a tuple/list/set)."""
    if isinstance(node, ast.Constant) and node.value in ROLE_VALUES:
        return [node.value]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [v for item in node.elts for v in _literals(item)]
    return []


def _names_role(node: ast.AST) -> bool:
    if isinstance(node, ast.Attribute) and node.attr == "role":
        return True
    if isinstance(node, ast.Name) and node.id == "role":
        return True
    # getattr(user, "role", None)
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "getattr"
        and len(node.args) >= 2
        and isinstance(node.args[1], ast.Constant)
        and node.args[1].value == "role"
    )


def test_code_compares_roles_with_the_enum():
    found = []
    for path in sorted(CENTRAL.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            where = f"{path.relative_to(PROJECT_ROOT)}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Compare) and _names_role(node.left):
                found += [f"{where} {v!r}" for c in node.comparators for v in _literals(c)]
            elif (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None)) == "require_role"
            ):
                found += [f"{where} {v!r}" for a in node.args for v in _literals(a)]
    assert not found, "compare roles with Role members:\n" + "\n".join(found)


def test_templates_compare_roles_with_the_enum():
    literal = re.compile(r"""role\s*(?:==|!=|in|not in)\s*[(\[]?\s*["'](\w+)["']""")
    found = [
        f"{path.relative_to(PROJECT_ROOT)}: {match.group(0)}"
        for path in sorted((PROJECT_ROOT / "templates").rglob("*.html"))
        for match in literal.finditer(path.read_text())
        if match.group(1) in ROLE_VALUES
    ]
    assert not found, "compare roles with Role members (a Jinja global):\n" + "\n".join(found)
