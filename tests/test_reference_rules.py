"""Published worked examples for the rule-based models (reference cases E1, E2, E8, E9).

Each test names its reference case and where the figures were published; the figures are copied
from the publication, never recomputed with journeykit's own formulas.
"""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

import journeykit as jk
from helpers import milestone_journey

# E1: the test fixture of the `mta` package (multi-touch attribution, published heuristics).
E1_PATHS = [
    {"path": "direct", "total_conversions": 2, "total_null": 1},
    {"path": "search > email", "total_conversions": 3, "total_null": 2},
    {"path": "search > social > email", "total_conversions": 5, "total_null": 4},
]

E1_EXPECTED: dict[str, tuple[str, dict[str, Any], dict[str, float]]] = {
    "first_touch": ("first_touch", {}, {"direct": 2, "search": 8, "email": 0, "social": 0}),
    "last_touch": ("last_touch", {}, {"direct": 2, "search": 0, "email": 8, "social": 0}),
    "linear": (
        "linear",
        {},
        {
            "direct": 2,
            "search": float(Fraction(19, 6)),
            "email": float(Fraction(19, 6)),
            "social": float(Fraction(5, 3)),
        },
    ),
    "position_based_40_20_40": (
        "position_based",
        {"first": 0.4, "last": 0.4},
        {"direct": 2, "search": 3.5, "email": 3.5, "social": 1},
    ),
}


@pytest.mark.parametrize("case", list(E1_EXPECTED), ids=str)
def test_e1(case: str) -> None:
    # E1: the `mta` package's test fixture (first, last, linear and 40/20/40 U on three paths).
    model, params, expected = E1_EXPECTED[case]
    credit = jk.attribute(jk.read_paths(E1_PATHS), model, **params).by("channel")
    assert set(credit) == set(expected)
    for channel, amount in expected.items():
        assert credit[channel] == pytest.approx(amount, abs=1e-9), channel


def test_e1_linear_value_defaults_to_conversions() -> None:
    # E1 (`mta` fixture): social's linear credit 5/3; with no value column value is conversions.
    result = jk.attribute(jk.read_paths(E1_PATHS), "linear")
    assert result.by("channel", measure="value")["social"] == pytest.approx(5 / 3, abs=1e-9)
    assert result.total == pytest.approx(10)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"first": 0.4, "last": 0.4}, {"x": 5, "y": 5}),
        ({"first": 0.3, "last": 0.7}, {"x": 3, "y": 7}),
    ],
    ids=["40_20_40", "first_30_last_70"],
)
def test_e2_two_touches(params: dict[str, float], expected: dict[str, float]) -> None:
    # E2: the `mta` package's tests; Marketo Measure's U-shape collapses to 50/50 with no middle.
    paths = jk.read_paths([{"path": "x > y", "total_conversions": 10, "total_null": 0}])
    credit = jk.attribute(paths, "position_based", **params).by("channel")
    assert dict(credit) == pytest.approx(expected, abs=1e-9)


# E8: a $12,000 deal with touches on days 0, 5, 12, 30 and 38 under a 7-day half-life (weight
# 2^(-age / half_life)); the published table, to the cent, with its one mis-rounded figure fixed.
def e8_journeys() -> jk.Journeys:
    days = [0, 5, 12, 30, 38]
    events = [
        {
            "journey_id": "deal",
            "timestamp": "2024-01-01T00:00:00+00:00",
            "channel": f"t{i}",
            "converted": i == 4,
            "value": 12000 if i == 4 else None,
        }
        for i in range(5)
    ]
    for event, day in zip(events, days, strict=True):
        event["timestamp"] = (
            np.datetime64("2024-01-01T00:00:00") + np.timedelta64(day, "D")
        ).astype(str) + "+00:00"
    return jk.from_events(events)


@pytest.mark.parametrize(
    ("model", "params", "expected"),
    [
        ("linear", {}, [2400, 2400, 2400, 2400, 2400]),
        ("position_based", {}, [4800, 800, 800, 800, 4800]),
        (
            "time_decay",
            {"half_life": timedelta(days=7)},
            [175.20, 287.44, 574.88, 3417.04, 7545.45],
        ),
    ],
    ids=["linear", "position_based_40_20_40", "time_decay_half_life_7_days"],
)
def test_e8_per_touch_value(model: str, params: dict[str, Any], expected: list[float]) -> None:
    # E8: the published per-touch credit of the $12,000 deal, to the cent.
    result = jk.attribute(e8_journeys(), model, **params)
    assert result.value_credit.tolist() == pytest.approx(expected, abs=0.01)
    assert result.total_value == pytest.approx(12000)


def test_e8_half_life_doubles_credit_seven_days_later() -> None:
    # E8's touches t1 (day 5) and t2 (day 12) are one half-life apart: published 287.44 and
    # 574.88, exactly double; the ratio pins what the rounded figures cannot.
    credit = jk.attribute(e8_journeys(), "time_decay", half_life=timedelta(days=7)).value_credit
    assert credit[2] / credit[1] == pytest.approx(2.0, rel=1e-12)


@pytest.mark.parametrize(
    ("model", "n", "marks", "expected"),
    [
        (
            "w_shaped",
            6,
            {3: "lead_created", 6: "opportunity_created"},
            [0.3, 0.1 / 3, 0.3, 0.1 / 3, 0.1 / 3, 0.3],
        ),
        (
            "full_path",
            9,
            {3: "lead_created", 5: "opportunity_created"},  # closed won: the converting touch (9)
            [0.225, 0.02, 0.225, 0.02, 0.225, 0.02, 0.02, 0.02, 0.225],
        ),
        ("j_shaped", 5, {}, [0.2, 0.2 / 3, 0.2 / 3, 0.2 / 3, 0.6]),
        ("inverse_j", 5, {}, [0.6, 0.2 / 3, 0.2 / 3, 0.2 / 3, 0.2]),
    ],
    ids=["w_shaped_6", "full_path_9", "j_shaped_5", "inverse_j_5"],
)
def test_e9_position_shares(
    model: str, n: int, marks: dict[int, str], expected: list[float]
) -> None:
    # E9: HubSpot's and Marketo Measure's definitions of the W-shaped (30/30/30, 10% between),
    # full-path (22.5% per milestone, 10% between), J (20/60) and inverse-J (60/20) models.
    result = jk.attribute(milestone_journey(n, marks), model)
    assert result.shares.tolist() == pytest.approx(expected, abs=1e-9)


def test_heuristics_match_channelattribution_on_repeated_channels() -> None:
    # Figures computed by ChannelAttribution 2.2.5 heuristic_models on these paths (its linear
    # splits a journey per touch, so a repeated channel earns once per touch, as ours does).
    journeys = jk.read_paths(
        [
            {"path": "a > a > b", "total_conversions": 3, "total_null": 1},
            {"path": "b > c > a > c", "total_conversions": 2, "total_null": 0},
            {"path": "c", "total_conversions": 1, "total_null": 2},
        ]
    )
    expected = {
        "first_touch": {"a": 3.0, "b": 2.0, "c": 1.0},
        "last_touch": {"a": 0.0, "b": 3.0, "c": 3.0},
        "linear": {"a": 2.5, "b": 1.5, "c": 2.0},
    }
    for model, credit in expected.items():
        assert dict(jk.attribute(journeys, model).by("channel")) == pytest.approx(credit, abs=1e-12)
    # The per-distinct-channel variant (and simplified Shapley) split by channels instead.
    per_channel = {"a": 3 * 0.5 + 2 / 3, "b": 3 * 0.5 + 2 / 3, "c": 2 / 3 + 1.0}
    assert dict(jk.attribute(journeys, "linear", per="channel").by("channel")) == pytest.approx(
        per_channel
    )
    assert dict(jk.attribute(journeys, "shapley").by("channel")) == pytest.approx(per_channel)
