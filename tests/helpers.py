"""Small builders for hand-written test data."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from typing import Any

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def day(n: float) -> datetime:
    """``n`` days after 2024-01-01 UTC."""
    return T0 + timedelta(days=n)


def milestone_journey(n: int, marks: dict[int, str] | None = None) -> Any:
    """One converting journey of ``n`` daily touches ``c1..cn``; ``marks`` maps a 1-based touch
    to its milestones (``"lead_created"``, ``"a;b"``)."""
    import journeykit as jk  # noqa: PLC0415

    marks = marks or {}
    rows = [
        {
            "journey_id": "j",
            "timestamp": f"2024-01-{i:02d}T00:00:00+00:00",
            "channel": f"c{i}",
            "converted": i == n,
            "milestone": marks.get(i),
        }
        for i in range(1, n + 1)
    ]
    return jk.from_events(rows, value=None, milestone="milestone")


def run_python(code: str) -> str:
    """Run ``code`` in a fresh interpreter (import costs and side effects start from nothing);
    fail the test with its stderr unless it exits 0; return its stdout. Hypothesis runs its entry
    points (journeykit's hook) there, as in any environment, even if this one disabled them."""
    import os  # noqa: PLC0415
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    env = {k: v for k, v in os.environ.items() if k != "HYPOTHESIS_NO_PLUGINS"}
    result = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def run_command(*args: str, cwd: Any = None) -> Any:
    """Run the real ``journeykit`` command (``python -m journeykit``) in a subprocess."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    return subprocess.run(
        [sys.executable, "-m", "journeykit", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )


# The system Chromium that the browser tests drive through Playwright (never a download of its
# own), and the flags it needs as root on a machine with no network but the package registries.
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def build_site(directory: Any) -> None:
    """Build the docs site into ``directory`` with ``mkdocs build --strict``; fail on any warning.

    Skips where the docs tools are not installed, except in CI, which installs the dev extra.
    """
    import os  # noqa: PLC0415
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    import pytest  # noqa: PLC0415

    for module in ("mkdocs", "material", "mkdocstrings_handlers.python"):
        if os.environ.get("CI", "").lower() == "true":  # a missing tool there is a failure
            __import__(module)
        else:
            pytest.importorskip(module)
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(directory)],
        cwd=Path(__file__).parents[1],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stderr[-4000:]
