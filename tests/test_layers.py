"""The CLI and the web API are edges: they parse, call the service layer and render.

Read from the source with :mod:`ast`: no module under ``golive/cli`` imports a
private (``_``-prefixed) name, or a private module, of golive; and none holds an
authorization rule (who may act is decided by the service layer: the names the
rules are made of never appear in the CLI)."""

from __future__ import annotations

import ast
from pathlib import Path

import golive

CLI = Path(golive.__file__).parent / "cli"
EDGES = [CLI, CLI.parent / "web", CLI.parent / "client"]
RULE_NAMES = {"APPROVER", "roles_of", "created_by", "MANAGE", "APPROVERS_ONLY", "authorize", "_authorize"}


def _cli_modules() -> list[Path]:
    modules = sorted(CLI.rglob("*.py"))
    assert len(modules) >= 5, modules
    return modules


def _private_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "golive":
            parts = node.module.split(".")
            for alias in node.names:
                if alias.name.startswith("_") or any(p.startswith("_") for p in parts[1:]):
                    found.append(f"{path.name}:{node.lineno}: from {node.module} import {alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "golive" and any(p.startswith("_") for p in parts[1:]):
                    found.append(f"{path.name}:{node.lineno}: import {alias.name}")
    return found


def _rule_names(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        name = None
        if isinstance(node, ast.Name):
            name = node.id
        elif isinstance(node, ast.Attribute):
            name = node.attr
        elif isinstance(node, ast.alias):
            name = node.asname or node.name
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            name = node.name
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            name = next((n for n in RULE_NAMES if n in node.value.split()), None)
        if name in RULE_NAMES:
            found.append(f"{path.name}:{getattr(node, 'lineno', '?')}: {name}")
    return found


def _edge_modules() -> list[Path]:
    modules = sorted(p for edge in EDGES for p in edge.rglob("*.py"))
    assert len([m for m in modules if m.parent.name == "web"]) >= 4, modules
    return modules


def test_no_cli_module_imports_a_private_name_of_golive() -> None:
    found = [hit for path in _cli_modules() for hit in _private_imports(path)]
    assert not found, f"the CLI imports private names: {found}"


def test_the_cli_holds_no_authorization_rule() -> None:
    found = [hit for path in _cli_modules() for hit in _rule_names(path)]
    assert not found, f"authorization rules in the CLI: {found}"


def test_no_web_or_client_module_imports_a_private_name_or_holds_a_rule() -> None:
    """The API and the dashboard (golive/web) and the CLI's client of a server
    (golive/client) are edges too: every rule is the service layer's."""
    found = [hit for path in _edge_modules() for hit in _private_imports(path) + _rule_names(path)]
    assert not found, f"private names or authorization rules in an edge: {found}"


def test_the_checks_see_what_they_forbid(tmp_path: Path) -> None:
    """The two checks above, on a module that breaks both rules."""
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from golive.rollout.controller import _rule\n"
        "import golive._private\n"
        "from golive.release.service import APPROVER\n"
        "def f(state, who, release):\n"
        "    return APPROVER in state.roles_of(who) or who == release.created_by\n",
        encoding="utf-8",
    )
    assert len(_private_imports(bad)) == 2
    assert {hit.rsplit(" ", 1)[1] for hit in _rule_names(bad)} == {"APPROVER", "roles_of", "created_by"}
