"""No import circles: the project's modules form a graph without cycles, counting the imports
inside functions too (an import moved into a function to dodge a circle is still a circle).

Two kinds of deferred import are the framework's own and are left out, each for a reason:
- ``AppConfig.ready()`` connects signal receivers and registers handlers once every app is
  loaded (Django's documented place for it);
- a Wagtail page's routes hand the request to its app's views, which import the page module
  (``events.pages`` → ``events.views``): a page type is both a model at the bottom of its app
  and a view at the top.
Imports under ``if TYPE_CHECKING:`` never run and are left out too.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("core", "accounts", "portal", "households", "events", "volunteers", "pledges", "liaison",
        "reports")  # fmt: skip

#: (importing module, imported module) pairs deferred on purpose, with the reason above.
DEFERRED_ON_PURPOSE = {("events.pages", "events.views")}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    modules = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                modules[module_name(path)] = path
    return modules


def _resolve(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
    return ".".join([*base, node.module] if node.module else base)


def _targets(name: str, modules: dict[str, Path], names: list[str]) -> set[str]:
    """The project modules an import names: the module itself, or for ``from package import
    module`` the submodules named."""
    found = set()
    for imported in names:
        if f"{name}.{imported}" in modules:
            found.add(f"{name}.{imported}")
    if name in modules and not found:
        found.add(name)
    while not found and "." in name:  # ``from app.module import function``: the module
        name = name.rsplit(".", 1)[0]
        if name in modules:
            found.add(name)
    return found


class _Collector(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool, modules: dict[str, Path]):
        self.module, self.is_package, self.modules = module, is_package, modules
        self.edges: set[tuple[str, str, bool]] = set()  # (from, to, deferred)
        self.function_depth = 0
        self.in_ready = False

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        if (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
            isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
        ):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def _visit_function(self, node) -> None:
        self.function_depth += 1
        ready = self.in_ready
        if node.name == "ready" and self.module.endswith(".apps"):
            self.in_ready = True
        self.generic_visit(node)
        self.in_ready = ready
        self.function_depth -= 1

    visit_FunctionDef = _visit_function
    visit_AsyncFunctionDef = _visit_function

    def _add(self, name: str, names: list[str]) -> None:
        if self.in_ready:
            return
        for target in _targets(name, self.modules, names):
            # Importing ``a.b.c`` runs ``a/__init__`` and ``a/b/__init__`` first: a package
            # whose __init__ imports its modules is part of every import of one of them
            # (except for the package's own modules, which Python imports from inside it).
            parts = target.split(".")
            for depth in range(1, len(parts) + 1):
                module = ".".join(parts[:depth])
                inside = self.module.startswith(module + ".")
                if module in self.modules and module != self.module and not inside:
                    self.edges.add((self.module, module, self.function_depth > 0))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.split(".")[0] in APPS:
                self._add(alias.name, [])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        name = _resolve(self.module, node, self.is_package)
        if name.split(".")[0] in APPS:
            self._add(name, [alias.name for alias in node.names])


def import_edges() -> set[tuple[str, str, bool]]:
    modules = project_modules()
    edges = set()
    for module, path in modules.items():
        collector = _Collector(module, path.name == "__init__.py", modules)
        collector.visit(ast.parse(path.read_text(encoding="utf-8")))
        edges |= collector.edges
    return edges


def cycles(edges: set[tuple[str, str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circles_counting_imports_inside_functions():
    edges = {(a, b) for a, b, _deferred in import_edges() if (a, b) not in DEFERRED_ON_PURPOSE}
    assert cycles(edges) == []


def test_the_deferred_imports_left_out_are_still_there():
    """The list above stays true: remove an entry when its import goes."""
    deferred = {(a, b) for a, b, is_deferred in import_edges() if is_deferred}
    assert deferred >= DEFERRED_ON_PURPOSE


def test_the_graph_sees_deferred_imports_and_circles(tmp_path, monkeypatch):
    """The checker itself: a circle made only through a function-level import is found."""
    package = tmp_path / "core"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from . import b\n")
    (package / "b.py").write_text("def f():\n    from core.a import x\n")
    (package / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from core import a\n"
    )
    (package / "pkg").mkdir()
    (package / "pkg" / "__init__.py").write_text("from . import inner\n")
    (package / "pkg" / "inner.py").write_text("from core import d\n")
    (package / "d.py").write_text("from core.pkg.inner import nothing\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    edges = import_edges()
    assert ("core.a", "core.b", False) in edges
    assert ("core.b", "core.a", True) in edges
    assert not any(a == "core.c" for a, _b, _d in edges)  # TYPE_CHECKING only
    # d imports pkg.inner, which runs pkg/__init__ first; pkg imports inner, inner imports d
    assert ("core.d", "core.pkg", False) in edges
    assert cycles({(a, b) for a, b, _d in edges}) == [
        ["core.a", "core.b"],
        ["core.d", "core.pkg", "core.pkg.inner"],
    ]
