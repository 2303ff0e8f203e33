"""The house rules that keep the code walkable, checked on the source (docs/architecture.md).

Read with the standard library's ``ast`` rather than grep, so a commented-out import or a
string that mentions a module does not count, and an import inside a function does.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "Home.py", *sorted((ROOT / "pages").glob("*.py"))]
LIB = [p for p in sorted((ROOT / "lib").rglob("*.py")) if "migrations" not in p.parts]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path, *, type_checking: bool = True) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function, with ``from a import b``
    counted as both ``a`` and ``a.b`` (b may be a module). Imports under ``if TYPE_CHECKING``
    count unless ``type_checking`` is False."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if (
                not type_checking
                and isinstance(child, ast.If)
                and "TYPE_CHECKING" in ast.unparse(child.test)
            ):
                continue
            if isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                found.add(child.module)
                found.update(f"{child.module}.{alias.name}" for alias in child.names)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def _is(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_streamlit_only_in_the_ui_layer():
    """lib/ is importable without Streamlit outside lib/ui: the CLI, the refresh and the tests
    of the analysis never start it. The benchmark tooling that drives the app lives in bench/."""
    offenders = {
        str(path.relative_to(ROOT)): sorted(m for m in imported(path) if _is(m, "streamlit"))
        for path in LIB
        if not _is(module_name(path), "lib.ui")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_pages_never_reach_the_database_layer():
    """Pages read through lib/ui (the page context and its cached queries) and the query and
    analysis modules; the database gateway, schema and engines stay behind them."""
    offenders = {
        str(path.relative_to(ROOT)): sorted(m for m in imported(path) if _is(m, "lib.db"))
        for path in PAGES
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_pages_hold_no_engine():
    """No page names an engine: reads go through ``query``/``cached`` with the context, writes
    through the context's ``store`` (lib/ui/store.py), which holds the writer connection."""
    offenders = {}
    for path in PAGES:
        names = {
            node.attr
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Attribute) and node.attr in ("engine", "write_engine")
        }
        if names:
            offenders[str(path.relative_to(ROOT))] = sorted(names)
    assert offenders == {}


def test_product_never_imports_the_bench():
    """bench/ measures lib from outside; lib reaching into it (but for the CLI's lazy ``bench``
    command) would put AppTest and Chromium drivers back in the product."""
    offenders = {
        str(path.relative_to(ROOT)): sorted(m for m in imported(path) if _is(m, "bench"))
        for path in LIB + PAGES
        if path != ROOT / "lib" / "cli.py"
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def test_cycle_finder_finds_a_planted_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("type_checking", [False, True], ids=["runtime", "with-type-hints"])
def test_no_import_cycle_in_lib(type_checking):
    """Imports point one way (docs/architecture.md). Lazy imports inside functions count: they
    hide a cycle from the interpreter, not from the reader. So do TYPE_CHECKING imports."""
    modules = {module_name(p): p for p in LIB}
    graph = {
        name: {m for m in imported(path, type_checking=type_checking) if m in modules} - {name}
        for name, path in modules.items()
    }
    assert _cycles(graph) == []
