"""Static checks (``pytest -m tool``; ``.ci/run`` runs mypy and ruff as steps of their own)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from helpers import run_python

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


@pytest.mark.slow
@pytest.mark.tool
def test_mypy_strict() -> None:
    result = run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
@pytest.mark.tool
def test_ruff_lint() -> None:
    result = run("ruff", "check", "src", "tests", "benchmarks", "docs")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
@pytest.mark.tool
def test_ruff_format() -> None:
    result = run("ruff", "format", "--check", "src", "tests", "benchmarks")
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_stays_light() -> None:
    # Names load on first use; reading paths and attributing them needs numpy and attrs only.
    code = (
        "import sys, journeykit as jk, journeykit.io\n"
        "jk.Records, jk.Journeys, jk.read_paths, jk.from_events, jk.attribute, jk.models.get\n"
        "heavy = {'pandas', 'polars', 'pyarrow', 'matplotlib', 'hypothesis', 'dask', 'scipy',\n"
        "         'networkx', 'cattrs', 'narwhals'}\n"
        "heavy &= set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    run_python(code)


def test_public_modules_have_literal_all() -> None:
    import ast  # noqa: PLC0415

    for path in (ROOT / "src" / "journeykit").rglob("*.py"):
        if path.name.startswith("_") and path.name != "__init__.py":
            continue
        tree = ast.parse(path.read_text())
        assigned = [
            node
            for node in tree.body
            if isinstance(node, ast.Assign | ast.AnnAssign)
            and any(
                isinstance(t, ast.Name) and t.id == "__all__"
                for t in getattr(node, "targets", [getattr(node, "target", None)])
            )
        ]
        assert assigned, f"{path} has no __all__"
        assert isinstance(assigned[0].value, ast.List), f"{path}: __all__ must be a literal list"
