"""Settings for every test, doctest and docs example.

Figures render off-screen and are closed. Hypothesis runs one of two profiles: ``default`` keeps
``pytest`` within minutes; ``thorough`` tries many more examples and is what CI runs beside it.
``JK_PROFILE`` names the profile; without it, ``CI=true`` selects ``thorough``. ``dev`` and ``ci``
are the older names of the two.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.errors import InvalidArgument

os.environ.setdefault("MPLBACKEND", "Agg")

settings.register_profile(
    "default", max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough",
    parent=settings.get_profile("ci"),  # hypothesis' own: derandomized, no database, print blobs
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", parent=settings.get_profile("default"))
settings.register_profile("ci", parent=settings.get_profile("thorough"))


def _profile() -> str:
    chosen = os.environ.get("JK_PROFILE", "").strip()
    if chosen:
        return chosen
    return "thorough" if os.environ.get("CI", "").lower() == "true" else "default"


try:
    settings.load_profile(_profile())
except InvalidArgument as error:
    msg = f"JK_PROFILE: {error} (use default or thorough)"
    raise pytest.UsageError(msg) from error

# Doctest items cannot carry a marker in their source: these pages simulate worlds and score or
# analyse them (seconds to most of a minute), so they are `slow` like the tests that do the same.
SLOW_DOCTESTS = frozenset({"docs/accuracy.md::accuracy.md", "docs/experiments.md::experiments.md"})


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


def pytest_collection_finish(session: pytest.Session) -> None:
    """Give packages back the functions they export under their modules' names.

    Collecting a module's doctests in importlib mode sets the module as its package's attribute,
    so ``jk.analytics.funnel`` (a function named like its module) would become the module for
    every later test. A plain ``import`` never does this: the package imported them first.
    """
    for name, package in list(sys.modules.items()):
        if not name.startswith("journeykit") or not hasattr(package, "__all__"):
            continue
        for exported in package.__all__:
            module = sys.modules.get(f"{name}.{exported}")
            meant = getattr(module, exported, None)
            if module is not None and getattr(package, exported, None) is module and meant:
                setattr(package, exported, meant)
