"""Every built-in model passes the conformance kit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import journeykit as jk
from journeykit.testing.checks import parametrize_with_checks

# Every registered model with its defaults (custom_positions has none: its weights are the point).
BUILT_IN = [
    jk.models.get(name)
    for name in jk.models.available()
    if name not in {"custom_positions", "everything_to_first"}
]
VARIANTS = [
    jk.models.get("linear", per="channel"),
    jk.models.get("time_decay", half_life=timedelta(hours=6)),
    jk.models.get("position_based", first=0.0, last=1.0),
    jk.models.get(
        "custom_positions",
        first=0.2,
        lead_created=0.2,
        opportunity_created=0.2,
        closed_won=0.2,
        middle=0.2,
    ),
    jk.models.get("last_non_direct", excluded={"a", "b"}),
    jk.models.get("markov", order=2),
    jk.models.get("markov", order=3, allocation="journey"),
    jk.models.get("shapley", value="conversion_rate"),
    jk.models.get("shapley", value="conversion_rate", allocation="journey"),
    jk.models.get("hazard", allocation="journey"),
]


@parametrize_with_checks([*BUILT_IN, *VARIANTS])
def test_conformance(model: Any, check: Callable[[Any], None]) -> None:
    check(model)
