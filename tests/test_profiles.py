"""The hypothesis profile is chosen by JK_PROFILE, else by CI=true (see the root conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHOW = (
    "import runpy; runpy.run_path('conftest.py'); from hypothesis import settings; "
    "print(settings.get_current_profile_name(), settings.default.max_examples)"
)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "default 15"),
        ({"CI": "true"}, "thorough 100"),
        ({"CI": "true", "JK_PROFILE": "default"}, "default 15"),
    ],
    ids=["local", "ci", "ci-asks-default"],
)
def test_profile_choice(env: dict[str, str], expected: str) -> None:
    clean = {k: v for k, v in os.environ.items() if k not in {"CI", "JK_PROFILE"}}
    result = subprocess.run(
        [sys.executable, "-c", SHOW],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == expected.split()
