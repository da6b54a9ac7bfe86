"""No import cycle among golive's modules.

The graph is read from the source with :mod:`ast`: every ``import`` and
``from … import`` statement of a module counts, at module level, inside
functions and under ``if TYPE_CHECKING:`` alike. An edge goes to the module a
statement names: ``from golive.a import b`` is an edge to ``golive.a.b`` when
that is a module, else to ``golive.a`` (its ``__init__``). The parent packages
Python imports on the way are not edges, so a package ``__init__`` may re-export
its modules as long as none of them imports the package back.
"""

from __future__ import annotations

import ast
from pathlib import Path

import golive

PACKAGE = Path(golive.__file__).parent


def _modules() -> dict[str, tuple[Path, bool]]:
    """Module name -> (file, is a package ``__init__``)."""
    out: dict[str, tuple[Path, bool]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = ["golive", *path.relative_to(PACKAGE).with_suffix("").parts]
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        out[".".join(parts)] = (path, is_package)
    return out


def import_graph() -> dict[str, dict[str, int]]:
    """Module -> {imported golive module: line of the first statement importing it}."""
    modules = _modules()

    def known(name: str) -> str | None:
        """The module ``name`` is, or the nearest package holding it (``golive.x.Y``)."""
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, dict[str, int]] = {}
    for name, (path, is_package) in modules.items():
        edges: dict[str, int] = {}
        graph[name] = edges

        def add(target: str | None, line: int, name: str = name, edges: dict[str, int] = edges) -> None:
            if target is not None and target != name:
                edges.setdefault(target, line)

        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    add(known(alias.name), node.lineno)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    package = name.split(".") if is_package else name.split(".")[:-1]
                    package = package[: len(package) - node.level + 1]
                    base = ".".join([*package, *([base] if base else [])])
                for alias in node.names:
                    submodule = f"{base}.{alias.name}"
                    add(submodule if submodule in modules else known(base), node.lineno)
    return graph


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def describe(graph: dict[str, dict[str, int]], component: list[str]) -> str:
    members = set(component)
    lines = [f"cycle among {', '.join(component)}:"]
    for module in component:
        path = _modules()[module][0].relative_to(PACKAGE.parent)
        lines.extend(
            f"  {module} -> {target}  ({path}:{line})"
            for target, line in sorted(graph[module].items())
            if target in members
        )
    return "\n".join(lines)


def test_the_graph_sees_every_kind_of_import() -> None:
    graph = import_graph()
    assert "golive.lint.engine" in graph["golive.lint.registry"]  # module level
    assert "golive.lint.rules" in graph["golive.lint.builtin"]  # from a package import a module
    assert "golive.report.build" in graph["golive.report.write"]  # inside a function
    assert "golive.checks.result" in graph["golive.cli.render"]  # under TYPE_CHECKING


def test_cycles_finds_a_cycle() -> None:
    graph = {"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1, "d": 1}, "d": {}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_no_import_cycle_among_golive_modules() -> None:
    graph = import_graph()
    found = cycles(graph)
    report = "\n\n".join(describe(graph, component) for component in found)
    if report:
        print(report)
    assert not found, report
