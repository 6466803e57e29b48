"""Settings for every test, doctest and docs example: figures render off-screen and are closed."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

# Doctest items cannot carry a marker in their source: these pages score every model on simulated
# worlds (most of a minute), so they are `slow` like the tests that do the same.
SLOW_DOCTESTS = frozenset({"docs/accuracy.md::accuracy.md"})


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the doc pages in ``SLOW_DOCTESTS`` slow."""
    for item in items:
        if item.nodeid in SLOW_DOCTESTS:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
