"""No import cycle among paxosbook's modules.

The graph is built from the source with ``ast``, without importing anything: one node per
module (a package is its ``__init__``), one edge per import statement, wherever it stands
(module level or inside a function: a lazy import only hides a cycle until the function
runs). Imports under ``if TYPE_CHECKING:`` are left out: they never run.

An import of ``a.b.c`` also runs the ``__init__`` of ``a.b`` (and of ``a``) unless the importer
lives inside that package (then it is already being imported), so those edges count too.
``from PKG import name`` is an edge to the submodule ``PKG.name`` when there is one, and to
``PKG``'s ``__init__`` otherwise.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping, Set
from pathlib import Path

import paxosbook

ROOT = Path(paxosbook.__file__).parent
Graph = Mapping[str, Set[str]]


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement in ``tree`` except those under ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                yield from _imports(ast.Module(body=[child], type_ignores=[]))
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        yield from _imports(node)


def _targets(importer: str, is_package: bool, node: ast.Import | ast.ImportFrom,
             modules: Set[str]) -> Iterator[str]:
    """The modules of ``modules`` that ``node``, standing in ``importer``, names."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = node.module or ""
    if node.level:
        here = importer.split(".") if is_package else importer.split(".")[:-1]
        anchor = here[:len(here) - node.level + 1]
        base = ".".join([*anchor, base] if base else anchor)
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        yield sub if sub in modules else base


def _with_packages(importer: str, target: str) -> Iterator[str]:
    """``target`` and the packages above it whose ``__init__`` the import runs (not those
    that hold ``importer``: they are already being imported)."""
    parts = target.split(".")
    for n in range(1, len(parts)):
        name = ".".join(parts[:n])
        if not (importer == name or importer.startswith(name + ".")):
            yield name
    if target != importer:
        yield target


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    files = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    graph: dict[str, set[str]] = {m: set() for m in files}
    for importer, path in files.items():
        tree = ast.parse(path.read_text(), str(path))
        for node in _imports(tree):
            for target in _targets(importer, path.name == "__init__.py", node, files.keys()):
                graph[importer].update(t for t in _with_packages(importer, target) if t in files)
    return graph


def tangles(graph: Graph) -> list[list[str]]:
    """The strongly connected components that hold a cycle, each sorted (Tarjan's algorithm,
    iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            v, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    component = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        component.append(w)
                        if w == v:
                            break
                    if len(component) > 1 or v in graph.get(v, ()):
                        components.append(sorted(component))
    return components


def find_cycles(graph: Graph) -> list[list[str]]:
    """One cycle (``[a, b, ..., a]``) through each component of ``tangles``."""
    return [_cycle_in(graph, set(c), c[0]) for c in tangles(graph)]


def _cycle_in(graph: Graph, component: set[str], start: str) -> list[str]:
    """A shortest cycle through ``start`` inside ``component`` (breadth-first)."""
    parent: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph.get(v, ())):
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(parent[path[-1]])
                    return [*reversed(path), start]
                if w in component and w not in parent:
                    parent[w] = v
                    nxt.append(w)
        frontier = nxt
    raise AssertionError(f"{start} is on no cycle")  # pragma: no cover


# -- the finder can fail -------------------------------------------------------------------
def test_find_cycles_names_a_planted_cycle() -> None:
    """A planted three-module cycle (and a self-import) are found and named; a diamond, which
    has two paths to one module but no cycle, is not."""
    graph = {"a": {"b"}, "b": {"c", "d"}, "c": {"a"}, "d": set(), "e": {"e"},
             "f": {"g", "h"}, "g": {"i"}, "h": {"i"}, "i": set()}
    assert find_cycles(graph) == [["a", "b", "c", "a"], ["e", "e"]]
    assert find_cycles({k: v for k, v in graph.items() if k not in ("c", "e")}) == []


def test_graph_resolves_relative_imports_and_packages(tmp_path: Path) -> None:
    """Relative imports resolve to the submodule or to the package ``__init__`` (even the
    importer's own package, when the name is defined there: ``pkg.sub.c`` reads ``NAME``);
    imports in functions count; ``TYPE_CHECKING`` imports do not; an import of a submodule
    runs its package's ``__init__`` (a cycle the lazy import in ``pkg.b`` only hides)."""
    root = tmp_path / "pkg"
    (root / "sub").mkdir(parents=True)
    (root / "__init__.py").write_text("from .a import A\n")
    (root / "a.py").write_text("from typing import TYPE_CHECKING\n"
                               "if TYPE_CHECKING:\n    from .b import B\nA = 1\n")
    (root / "b.py").write_text("def f():\n    from .sub import c, NAME\n")
    (root / "sub" / "__init__.py").write_text("NAME = 1\n")
    (root / "sub" / "c.py").write_text("from .. import a\nfrom ..sub import NAME\n")
    (root / "sub" / "d.py").write_text("import pkg.b\n")
    graph = import_graph(root)
    assert graph == {"pkg": {"pkg.a"}, "pkg.a": set(), "pkg.b": {"pkg.sub", "pkg.sub.c"},
                     "pkg.sub": set(), "pkg.sub.c": {"pkg.a", "pkg.sub"}, "pkg.sub.d": {"pkg.b"}}
    (root / "sub" / "__init__.py").write_text("from . import d\n")
    assert find_cycles(import_graph(root)) == [["pkg.b", "pkg.sub", "pkg.sub.d", "pkg.b"]]


# -- the package -----------------------------------------------------------------------------
def test_no_import_cycle_among_paxosbook_modules() -> None:
    graph = import_graph()
    report = [f"{' -> '.join(_cycle_in(graph, set(c), c[0]))} (all of {', '.join(c)} "
              "import each other)" for c in tangles(graph)]
    assert not report, "import cycles:\n" + "\n".join(report)


def test_properties_know_nothing_of_the_trace_or_the_checker() -> None:
    graph = import_graph()
    for module in (m for m in graph if m.startswith("paxosbook.properties")):
        bad = {t for t in graph[module]
               if t == "paxosbook.trace" or t.startswith("paxosbook.check")}
        assert not bad, f"{module} imports {sorted(bad)}"
