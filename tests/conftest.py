"""Shared test configuration: hypothesis profiles.

``default`` keeps ``pytest`` within minutes on a laptop; ``thorough`` tries many more examples
and is what CI runs beside it. ``JK_PROFILE`` names the profile; without it, ``CI=true`` selects
``thorough``. ``dev`` and ``ci`` are the older names of the two.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.errors import InvalidArgument

settings.register_profile(
    "default", max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough",
    parent=settings.get_profile("ci"),  # hypothesis' own: derandomized, no database, print blobs
    max_examples=300,
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
