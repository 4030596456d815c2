"""The project's import graph has no cycle, and the rules import nothing but stdlib.

Every module of ``data_access``, ``rules``, ``imports`` and ``pages`` is parsed with
:mod:`ast` (no module is imported). An import counts wherever it is written: at module
level, inside a function, or under ``TYPE_CHECKING`` — an import moved into a function to
dodge a circular import is still a dependency, and the cycle is still there.

``from pkg import name`` is an edge to ``pkg.name`` when that is a module, else to
``pkg``. Importing ``a.b`` also runs ``a/__init__.py``; those implicit edges to a parent
package are left out (every package ``__init__`` that imports its submodules would
otherwise be a cycle with each of them).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("data_access", "rules", "imports", "pages")

# Cycles knowingly left in place, each with the reason (none today). An entry is the
# sorted tuple of the modules of one strongly connected component.
ALLOWED_CYCLES: dict[tuple[str, ...], str] = {}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _project_modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[_module_name(path)] = path
    return found


def _imported_names(path: Path, module: str) -> list[str]:
    """Every absolute name ``path`` imports: ``a.b`` for ``import a.b``, ``pkg.name`` for
    ``from pkg import name`` (``name`` may be no module: :func:`_edges` resolves it)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                drop = node.level - 1 if is_package else node.level
                base = base[: len(base) - drop] if drop else base
                prefix = ".".join([*base, node.module] if node.module else base)
            else:
                prefix = node.module or ""
            names.extend(f"{prefix}.{alias.name}" for alias in node.names)
    return names


def _edges(modules: dict[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        for name in _imported_names(path, module):
            # the longest project module that the name is, or lies in
            parts = name.split(".")
            for n in range(len(parts), 0, -1):
                target = ".".join(parts[:n])
                if target in modules:
                    if target != module:
                        graph[module].add(target)
                    break
    return graph


def _components(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
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
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _one_cycle(graph: dict[str, set[str]], members: list[str]) -> list[str]:
    """A shortest cycle through the component's first module (breadth-first)."""
    inside = set(members)
    start = members[0]
    came_from: dict[str, str] = {}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(graph[node] & inside):
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if child not in came_from:
                came_from[child] = node
                queue.append(child)
    return members  # pragma: no cover - a component always has a cycle


def _describe(graph: dict[str, set[str]], members: list[str]) -> str:
    cycle = " -> ".join(_one_cycle(graph, members))
    inside = set(members)
    edges = "".join(f"\n    {m} -> {sorted(graph[m] & inside)}" for m in members)
    return f"{len(members)} modules {members}\n  e.g. {cycle}\n  imports among them:{edges}"


def test_the_graph_is_built_from_real_imports():
    graph = _edges(_project_modules())
    assert "data_access.catalog" in graph["data_access.registers"]
    assert "data_access.registers" in graph["data_access.lines"]
    assert "rules.i18n.audit" in graph["rules.i18n"]  # ``from rules.i18n import audit``
    assert "data_access.demo.base" in graph["data_access.demo"]


def test_function_level_and_relative_imports_are_edges(tmp_path):
    path = tmp_path / "m.py"
    path.write_text(
        "def f():\n    from data_access.catalog import adapter\n"
        "    from . import writes\n    from .reads import lines_of\n"
    )
    names = _imported_names(path, "data_access.m")
    assert {
        "data_access.catalog.adapter",
        "data_access.writes",
        "data_access.reads.lines_of",
    } <= set(names)


def test_the_cycle_finder_finds_and_names_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _components(graph) == [["a", "b", "c"]]
    assert _one_cycle(graph, ["a", "b", "c"]) == ["a", "b", "c", "a"]


def test_no_import_cycle():
    graph = _edges(_project_modules())
    cycles = [c for c in _components(graph) if tuple(c) not in ALLOWED_CYCLES]
    assert not cycles, "import cycles:\n" + "\n".join(_describe(graph, c) for c in cycles)


def test_allowed_cycles_still_exist():
    """An allow-list entry goes when its cycle is gone (it must not hide a new one)."""
    found = {tuple(c) for c in _components(_edges(_project_modules()))}
    assert set(ALLOWED_CYCLES) <= found


def test_rules_import_only_stdlib_and_rules():
    modules = _project_modules()
    outside = []
    for module, path in modules.items():
        if not module.startswith("rules"):
            continue
        for name in _imported_names(path, module):
            top = name.split(".")[0]
            if top != "rules" and top not in sys.stdlib_module_names:
                outside.append(f"{module}: {name}")
    assert not outside, "rules must stay pure (stdlib only):\n" + "\n".join(sorted(set(outside)))
