"""The hazard (time-to-event) model: conformance, properties, recovery, effects and forecasts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import journeykit as jk
from journeykit.attribution.hazard import FittedHazard, Hazard
from journeykit.errors import ModelError
from journeykit.journeys import Column, Journeys
from journeykit.testing import strategies as jst
from journeykit.testing.checks import parametrize_with_checks

MODELS = [Hazard(), Hazard(allocation="journey")]


@parametrize_with_checks(MODELS)
def test_conformance(model: Any, check: Callable[[Any], None]) -> None:
    check(model)
