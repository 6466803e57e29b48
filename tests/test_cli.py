from __future__ import annotations

import subprocess
import sys

import pytest

from journeykit.cli import main


def test_demo_prints_the_example_world(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "Northwind Traders (enterprise): northwind-2024 won 48,000 EUR" in out
    assert "Initech (smb): no deal" in out


def test_bad_arguments_exit_2() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "journeykit", "nonsense"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_module_entry_point_runs_demo() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "journeykit", "demo"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "Globex" in result.stdout
