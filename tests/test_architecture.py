"""The house rules that keep the code walkable, checked on the source (docs/architecture.md).

Read with the standard library's ``ast`` rather than grep, so a commented-out import or a
string that mentions a module does not count, and an import inside a function does.
"""

from __future__ import annotations

import ast
import re
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


# -- one home per indicator ----------------------------------------------------------------
# Where an indicator's ratio may be written: the semantic layer, the SQL that fills the
# rollups, and the statistics module (intervals and tests take counts, not indicators).
FORMULA_HOMES = ("lib/metrics/", "lib/db/rollups.py", "lib/analysis/stats.py")
# the estimators of lib/analysis/stats.py that turn sums into an indicator's value
ESTIMATORS = {"proportion", "nps", "mean_from_sums"}
# calls of those estimators that are no indicator of lib/metrics, or not yet one: why
ESTIMATOR_CALLS_ALLOWED = {
    # the survey response rate: responses among contacts is no indicator of the registry
    ("lib/analysis/service.py", "proportion"),
    # the average speed of answer's t interval needs Σ wait² per second, which only the
    # queue's histogram holds (speed_of_answer in the registry has no interval)
    ("lib/analysis/queue.py", "mean_from_sums"),
}


def _ratios() -> set[tuple[str, str]]:
    """(numerator measure, denominator measure) of every indicator of the registry."""
    from lib.metrics import INDICATORS

    return {
        (num, den)
        for i in INDICATORS.values()
        for num in i.numerator
        for den in i.denominator or {}
    }


def _names(side: str, measure: str) -> bool:
    """Whether a division's operand (``ast.unparse`` text) reads the measure by name."""
    return f"'{measure}'" in side or f".{measure}" in side


NPS_SCORE = re.compile(r"^[\w.]+\['nps_(promoters|detractors)'\]$|nps_promoters'\] - ")


def formula_findings(path: Path, source: str, ratios: set[tuple[str, str]]) -> list[str]:
    """An indicator's ratio written in ``source``: a numerator measure divided by its
    denominator measure, both named (``d['csat_satisfied'].sum() / d['responses'].sum()``),
    a term looked up by a variable ``num`` divided by one looked up by ``den`` or by a named
    denominator (``ra[num] / ra['queued']``, ``r[f"{num}_prev"] / r[f"{den}_prev"]``), an NPS
    score from promoters and detractors, a digital share, or a call of a stats estimator.
    Variances (``p0 * (1 - p0) / n``) and shares that are no indicator pass."""
    found = []
    where = path.relative_to(ROOT).as_posix()
    denominators = {den for _num, den in ratios}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            left, right = ast.unparse(node.left), ast.unparse(node.right)
            named = any(_names(left, num) and _names(right, den) for num, den in ratios)
            by_variable = any(f"{o}num" in left for o in "[{") and (
                any(f"{o}den" in right for o in "[{") or any(_names(right, d) for d in denominators)
            )
            nps = NPS_SCORE.search(left) is not None
            if named or by_variable or nps or "digital" in left:
                found.append(f"{where}:{node.lineno}: {left} / {right}")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "stats"
            and node.func.attr in ESTIMATORS
            and (where, node.func.attr) not in ESTIMATOR_CALLS_ALLOWED
        ):
            found.append(f"{where}:{node.lineno}: stats.{node.func.attr}(…)")
    return found


def test_formula_finder_finds_planted_ratios():
    """The finder catches the forms the issue 19 clean-up removed (each was in lib/analysis)."""
    planted = [
        "diff = 100 * (ra[num] / ra['queued'] - rb[num] / rb['queued'])",
        "before = r[f'{num}_prev'] / r[f'{den}_prev']",
        "pp = r['nps_promoters'] / n",
        "s0 = (ref['nps_promoters'] - ref['nps_detractors']) / den_ref",
        "share = digital.reindex(totals.index).fillna(0) / totals",
        "repeat = stats.proportion(r['repeat_30d'], r['repeat_base'])",
        "unit = t.cost_sum / t.cost_known",
        "centre = d.groupby('phase')['csat_satisfied'].sum() / d.groupby('phase')['responses'].sum()",
    ]
    path = ROOT / "lib" / "analysis" / "planted.py"
    for line in planted:
        assert formula_findings(path, line, _ratios()), line
    clean = (
        "share = r['contacts'] / total\n"
        "value = INDICATORS['fcr'].value(r)\n"
        "half = np.sqrt(p0 * (1 - p0) / d['responses'])\n"
        "v0 = (ref['nps_promoters'] + ref['nps_detractors']) / den_ref - p0 * p0\n"
        "ratio = merged[num].sum() / merged[f'{num}_prev'].sum()"
    )
    assert formula_findings(path, clean, _ratios()) == []
    assert formula_findings(ROOT / "lib" / "metrics" / "x.py", planted[-1], _ratios())


def test_indicator_formulas_only_in_the_semantic_layer():
    """Issue 19: no indicator's ratio outside lib/metrics, the rollups' SQL and the statistics
    module; pages, queries, charts and analyses evaluate the registry's indicators."""
    ratios = _ratios()
    found = [
        finding
        for path in [*PAGES, *LIB]
        if not path.relative_to(ROOT).as_posix().startswith(FORMULA_HOMES)
        for finding in formula_findings(path, path.read_text(encoding="utf-8"), ratios)
    ]
    assert found == []


def test_a_cached_figure_goes_straight_to_the_chart():
    """lib/ui/data.cached_figure shares one built figure among every session of a process:
    each call must be the figure argument of a ``plotly_chart`` call, never kept in a name
    that a page could change (update_layout on a shared figure would reach other users)."""
    misplaced: list[str] = []
    for path in LIB + PAGES:
        tree = ast.parse(path.read_text())
        direct = {
            id(node.args[0])
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "plotly_chart"
            and node.args
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "cached_figure"
                and id(node) not in direct
            ):
                misplaced.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert misplaced == []
