"""The documentation site builds with ``mkdocs build --strict`` and lists every page."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
IN_CI = os.environ.get("CI", "").lower() == "true"


def _pages_in_nav() -> set[str]:
    text = (ROOT / "mkdocs.yml").read_text()
    nav = text[text.index("nav:") : text.index("markdown_extensions:")]
    return set(re.findall(r"([\w/.-]+\.md)\s*$", nav, flags=re.MULTILINE))


def test_every_page_is_in_the_navigation() -> None:
    pages = {p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md")}
    assert pages == _pages_in_nav()


@pytest.mark.slow
@pytest.mark.tool
def test_site_builds_strictly(tmp_path: Path) -> None:
    for module in ("mkdocs", "material", "mkdocstrings_handlers.python"):
        if IN_CI:  # CI installs the dev extra: a missing tool there is a failure, not a skip
            __import__(module)
        else:
            pytest.importorskip(module)
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert (tmp_path / "api" / "index.html").exists()
    api = (tmp_path / "api" / "index.html").read_text()
    assert "journeykit.datasets.simulate" in api
    assert "attribute_file" in api
