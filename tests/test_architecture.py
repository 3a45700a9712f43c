"""The package's import graph: no cycles, and no import from a lower layer to a higher one.

Every ``import`` and ``from ... import`` of an alssim module counts, those inside functions
included. Importing ``alssim.a.b`` also runs the package ``alssim.a`` (its ``__init__``), so that
import counts as one of ``alssim.a`` too (except from inside ``alssim.a``). The root package
``alssim`` is the interface layer, run first by every import; the layer order is the one the
package docstring gives (``alssim/__init__.py``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "alssim"

#: Layers, bottom to top, as (name, module prefixes); the longest matching prefix decides.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("base", ("alssim._version", "alssim.errors", "alssim.streams", "alssim.fileio",
              "alssim.outdir", "alssim.survival", "alssim._timeseries", "alssim.plotting")),
    ("fields", ("alssim.fields",)),
    ("anatomy", ("alssim.anatomy",)),
    ("config", ("alssim.config",)),
    ("model", ("alssim.onset", "alssim.population", "alssim.counting", "alssim.driver_kernels",
               "alssim.step_kernels", "alssim.numba_kernels", "alssim.keys",
               "alssim.fates", "alssim.dynamics", "alssim.patients", "alssim.care_draws",
               "alssim.resources", "alssim.interventions", "alssim.engine", "alssim.variables",
               "alssim.result_tables", "alssim.results")),
    ("clinical", ("alssim.clinical",)),
    ("runs", ("alssim.batch", "alssim.executors", "alssim.cohort", "alssim.sweeps",
              "alssim.sensitivity", "alssim.trials", "alssim.teaching")),
    ("validation", ("alssim.validation",)),
    ("studies", ("alssim.calibration",)),
    ("analysis", ("alssim.analysis",)),
    ("interface", ("alssim.cli", "alssim")),
)

#: Upward imports still to be removed, each with the reason it is there. The test fails on any
#: other, and on one of these once it is gone (so that the list only shrinks).
KNOWN_UPWARD: set[tuple[str, str]] = set()


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _graph() -> dict[str, set[str]]:
    """Module -> the alssim modules (and sub-packages) its imports run."""
    modules = _modules()

    def known(name: str) -> str:
        while name not in modules:
            name = name.rsplit(".", 1)[0]
        return name

    graph: dict[str, set[str]] = {m: set() for m in modules}
    for mod, path in modules.items():
        package = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    origin = ".".join(base + ([node.module] if node.module else []))
                else:
                    origin = node.module or ""
                targets = [f"{origin}.{a.name}" if f"{origin}.{a.name}" in modules else origin
                           for a in node.names]
            for target in targets:
                if target != "alssim" and not target.startswith("alssim."):
                    continue
                target = known(target)
                # the sub-packages the import runs on the way (the root is run by every import)
                parts = target.split(".")
                runs = {".".join(parts[:k]) for k in range(2, len(parts) + 1)}
                for t in runs:
                    if t in modules and t != mod and not mod.startswith(t + "."):
                        graph[mod].add(t)
    return graph


def _layer(module: str) -> int:
    best, best_len = None, -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > best_len:
                best, best_len = i, len(p)
    assert best is not None, f"{module} is in no layer: add it to LAYERS and the docstring"
    return best


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

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
            visit(v)
    return found


def _upward(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    return {(m, t) for m, targets in graph.items() for t in targets if _layer(t) > _layer(m)}


def test_the_package_has_no_import_cycles():
    graph = _graph()
    graph.pop("alssim")  # the root: the interface, run first by any import
    assert _cycles(graph) == []


def test_no_module_imports_from_a_layer_above_its_own():
    upward = _upward(_graph())
    assert upward - KNOWN_UPWARD == set(), "upward imports"
    assert KNOWN_UPWARD - upward == set(), "gone: remove from KNOWN_UPWARD"


def test_the_layer_order_is_the_one_the_package_docstring_gives():
    import alssim

    doc = alssim.__doc__ or ""
    for number, (name, _) in enumerate(LAYERS, start=1):
        assert f"\n{number}. {name}:" in doc, name


@pytest.mark.parametrize(("source", "expect"), [
    # an upward import inside a function counts
    ("def f():\n    from alssim.analysis import cohort\n", {("alssim.engine", "alssim.analysis"),
                                                             ("alssim.engine",
                                                              "alssim.analysis.cohort")}),
    # importing a sub-package's module runs the sub-package
    ("from alssim.clinical.assess import assess\n", {("alssim.engine", "alssim.clinical"),
                                                     ("alssim.engine",
                                                      "alssim.clinical.assess")}),
])
def test_the_graph_sees_imports_in_functions_and_the_packages_they_run(tmp_path, monkeypatch,
                                                                        source, expect):
    """The checker itself: a planted upward import in the engine is found."""
    engine = PACKAGE / "engine.py"
    planted = tmp_path / "engine.py"
    planted.write_text(engine.read_text(encoding="utf-8") + "\n\n" + source, encoding="utf-8")
    real_read = Path.read_text

    def read_text(self, *args, **kwargs):
        return real_read(planted if self == engine else self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", read_text)
    assert expect <= _upward(_graph())


#: A module longer than this holds more than one concept: split it along them.
MAX_MODULE_LINES = 600


def test_no_module_is_over_600_lines():
    long = {name: n for name, path in _modules().items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert long == {}, f"modules over {MAX_MODULE_LINES} lines"
