"""The package's layers: imports point down, names load lazily, hypothesis' hook imports nothing."""

from __future__ import annotations

import ast
import inspect
import sys
from pathlib import Path

import pytest

import journeykit as jk
from helpers import run_python

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "journeykit"

# Lowest layer first; a module may import its own layer and the ones below, never one above.
# The longest matching prefix places a module; a new module must be placed here.
LAYERS: tuple[tuple[str, ...], ...] = (
    # 0: helpers that import no journeykit module
    (
        "journeykit._lazy",
        "journeykit._version",
        "journeykit._frozenmap",
        "journeykit._labels",
        "journeykit._progress",
        "journeykit._frames",
        "journeykit._display",
        "journeykit._html",
        "journeykit.errors",
        "journeykit._choices",
        "journeykit._money",
        "journeykit.budget",
        "journeykit.milestones",
    ),
    # 1: domain records and the columnar journeys
    (
        "journeykit._checks",
        "journeykit._rows",
        "journeykit._building",
        "journeykit.personas",
        "journeykit.content",
        "journeykit.buyers",
        "journeykit.touchpoints",
        "journeykit.deals",
        "journeykit.records",
        "journeykit.journeys",
        "journeykit._periods",
        "journeykit.assembly",
    ),
    # 2: models and their results
    ("journeykit.attribution", "journeykit.models"),
    # 3: readers and the JSON boundary (which serialises model specs)
    ("journeykit.io",),
    # 4: what runs on journeys and results
    (
        "journeykit.graph",
        "journeykit.streaming",
        "journeykit.analytics",
        "journeykit.datasets",
        "journeykit.testing",
        "journeykit.dask",
        "journeykit.experiments",
    ),
    # 5: figures and reports of results
    ("journeykit.plot", "journeykit.report"),
    # 6: the command and the package's public face
    ("journeykit.cli", "journeykit._cli_experiment", "journeykit.__main__", "journeykit"),
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> int:
    best = max(
        (
            (len(prefix), rank)
            for rank, prefixes in enumerate(LAYERS)
            for prefix in prefixes
            if module == prefix or module.startswith(prefix + ".")
        ),
        default=None,
    )
    assert best is not None, f"{module} has no layer: place it in tests/test_layers.py LAYERS"
    return best[1]


def imports_of(path: Path, package: str = "journeykit") -> list[tuple[int, str]]:
    """Every module of ``package`` that ``path`` imports, at any depth (functions, TYPE_CHECKING)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:  # ``from journeykit import plot`` imports the submodule
                sub = f"{node.module}.{alias.name}"
                found.append((node.lineno, sub if sub in MODULES else node.module))
    return [(line, name) for line, name in found if name.split(".")[0] == package]


def test_every_module_has_a_layer() -> None:
    for module in MODULES:
        layer_of(module)


def test_no_module_imports_a_layer_above_it() -> None:
    upward = [
        f"{MODULES[module].relative_to(SRC)}:{line} imports {target} "
        f"(layer {layer_of(target)} > {layer_of(module)})"
        for module in MODULES
        for line, target in imports_of(MODULES[module])
        if layer_of(target) > layer_of(module)
    ]
    assert not upward, "\n".join(upward)


def test_results_do_not_know_the_plotting_module() -> None:
    # The Display pattern: the figures import results; results hand themselves to _display.
    knowing = [
        f"{MODULES[module].relative_to(SRC)}:{line}"
        for module in MODULES
        if module not in {"journeykit.plot", "journeykit.report", "journeykit"}
        for line, target in imports_of(MODULES[module])
        if target == "journeykit.plot"
    ]
    assert not knowing, knowing
    drawing = [
        f"{path.relative_to(SRC)}:{line}"
        for path in MODULES.values()
        if path.name not in {"plot.py", "report.py"}
        for line, _ in imports_of(path, "matplotlib")
    ]
    assert not drawing, drawing


def test_frames_are_built_by_the_bottom_layer() -> None:
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and any(
                a.name in {"to_frame", "Backend"} for a in node.names
            ):
                assert node.module == "journeykit._frames", f"{module}:{node.lineno}"


def test_result_plot_accessors_draw_through_the_registered_figures() -> None:
    pytest.importorskip("matplotlib")
    import journeykit.plot  # noqa: PLC0415
    from journeykit import _display  # noqa: PLC0415

    paths = jk.read_paths([{"path": "a > b", "total_conversions": 2}])
    ax = jk.attribute(paths, "linear").plot()
    assert ax.get_xlabel() == "credited conversions"  # the same default measure everywhere
    assert _display._find(jk.Attribution) is journeykit.plot.credit
    with pytest.raises(NotImplementedError, match="no figure is registered for Journeys"):
        _display.draw(paths)


# -- lazy names ------------------------------------------------------------------------------------


def _lazy_packages() -> list[str]:
    return [m for m, p in MODULES.items() if "_lazy.attach(__name__, _LAZY)" in p.read_text()]


def _declared(path: Path) -> tuple[list[str], dict[str, str], dict[str, str], set[str]]:
    """``__all__``, the ``_LAZY`` table, the TYPE_CHECKING imports and the eager imports."""
    tree = ast.parse(path.read_text())
    public: list[str] = []
    table: dict[str, str] = {}
    typed: dict[str, str] = {}
    eager: set[str] = set()
    package = module_name(path)
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            if node.targets[0].id == "__all__":
                public = ast.literal_eval(node.value)
            elif node.targets[0].id == "_LAZY":
                table = ast.literal_eval(node.value)
        elif isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for imp in node.body:
                assert isinstance(imp, ast.ImportFrom)
                assert imp.module is not None
                for alias in imp.names:
                    sub = f"{imp.module}.{alias.name}"
                    typed[alias.name] = sub if sub == f"{package}.{alias.name}" else imp.module
        elif isinstance(node, ast.ImportFrom) and node.module == package:
            eager |= {a.name for a in node.names if not a.name.startswith("_")}
    return public, table, typed, eager


@pytest.mark.parametrize("package", _lazy_packages())
def test_lazy_table_type_checking_imports_and_all_agree(package: str) -> None:
    public, table, typed, eager = _declared(MODULES[package])
    assert table == typed, "the _LAZY table and the TYPE_CHECKING imports differ"
    assert sorted(public) == public
    assert set(public) - {"__version__"} == set(table) | eager


@pytest.mark.parametrize("package", ["journeykit", *_lazy_packages()])
def test_every_public_name_resolves(package: str) -> None:
    code = (
        f"import {package} as p\n"
        "for name in p.__all__:\n"
        f"    exec(f'from {package} import {{name}}')\n"
        "    assert getattr(p, name) is not None, name\n"
        "assert set(p.__all__) <= set(dir(p))\n"
    )
    run_python(code)


def test_unknown_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="'journeykit' has no attribute 'atribute'"):
        jk.atribute  # type: ignore[attr-defined]  # noqa: B018  # the typo is the test


def test_shapley_values_has_a_public_home() -> None:
    from journeykit.attribution import games  # noqa: PLC0415

    assert jk.shapley_values is games.shapley_values
    assert not any(part.startswith("_") for part in jk.shapley_values.__module__.split("."))
    assert "shapley_values" in games.__all__


def test_a_light_import_still_registers_the_built_in_models() -> None:
    code = (
        "import sys, journeykit as jk\n"
        "assert jk.models.get('markov').__class__.__name__ == 'Markov'\n"
        "assert {'linear', 'markov', 'shapley'} <= set(jk.models.available())\n"
        "assert 'journeykit.analytics' not in sys.modules\n"
    )
    run_python(code)


# -- hypothesis' entry point -------------------------------------------------------------------------

HOOK_MODULES = {
    "journeykit",
    "journeykit._lazy",
    "journeykit._version",
    "journeykit.testing",
    "journeykit.testing._hypothesis_hook",
}


def test_importing_hypothesis_imports_no_journeykit_module() -> None:
    code = (
        "import sys, hypothesis\n"
        "print(sorted(m for m in sys.modules if m.startswith('journeykit')))\n"
        "print('numpy' in sys.modules)\n"
    )
    modules, numpy = run_python(code).splitlines()
    assert set(ast.literal_eval(modules)) <= HOOK_MODULES
    assert numpy == "False"


@pytest.mark.parametrize("first", ["hypothesis", "journeykit.records"])
def test_from_type_works_whichever_is_imported_first(first: str) -> None:
    code = (
        f"import {first}\n"
        "from hypothesis import HealthCheck, given, settings, strategies as st\n"
        "import journeykit as jk\n"
        "seen = []\n"
        "@settings(max_examples=3, database=None, deadline=None,\n"
        "          suppress_health_check=list(HealthCheck))  # the checks time, not type\n"
        "@given(st.from_type(jk.Touchpoint), st.from_type(jk.Records))\n"
        "def check(touch, records):\n"
        "    seen.append((type(touch), type(records)))\n"
        "check()\n"
        "assert set(seen) == {(jk.Touchpoint, jk.Records)}, seen\n"
    )
    run_python(code)


def test_the_hook_covers_every_strategy_type() -> None:
    from journeykit.testing import _hypothesis_hook, strategies  # noqa: PLC0415

    for module, pairs in _hypothesis_hook._STRATEGIES.items():
        for cls, strategy in pairs:
            assert inspect.isclass(getattr(sys.modules[module], cls))
            assert callable(getattr(strategies, strategy))
