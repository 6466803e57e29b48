"""The example notebooks in docs/examples run from top to bottom without an error."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).parents[1] / "docs" / "examples").glob("*.ipynb"))
IN_CI = os.environ.get("CI", "").lower() == "true"


def _require(module: str) -> None:
    if IN_CI:  # CI installs the dev extra: a missing tool there is a failure, not a skip
        __import__(module)
    else:
        pytest.importorskip(module)


@pytest.mark.slow
@pytest.mark.tool
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # jupyter_client and zmq internals
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path: Path, tmp_path: Path) -> None:
    _require("nbclient")
    _require("ipykernel")
    import nbformat  # noqa: PLC0415
    from nbclient import NotebookClient  # noqa: PLC0415

    notebook = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), (
        "commit notebooks without outputs"
    )
    client = NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    )
    client.execute()
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors


def test_there_is_a_notebook() -> None:
    assert NOTEBOOKS
