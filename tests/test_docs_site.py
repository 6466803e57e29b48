"""The documentation site builds with ``mkdocs build --strict`` and lists every page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from helpers import build_site

ROOT = Path(__file__).parents[1]


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
    build_site(tmp_path)
    assert (tmp_path / "api" / "index.html").exists()
    api = (tmp_path / "api" / "index.html").read_text()
    assert "journeykit.datasets.simulate" in api
    assert "attribute_file" in api
