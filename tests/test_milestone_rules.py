"""The documented rules for coinciding and missing milestones, case by case."""

from __future__ import annotations

import pytest

import journeykit as jk
from helpers import milestone_journey


def shares(model: str, n: int, marks: dict[int, str] | None = None, **params: float) -> list[float]:
    result: list[float] = jk.attribute(milestone_journey(n, marks), model, **params).shares.tolist()
    return result


@pytest.mark.parametrize(
    "model", ["position_based", "j_shaped", "inverse_j", "w_shaped", "full_path"]
)
def test_one_touch_gets_everything(model: str) -> None:
    assert shares(model, 1) == pytest.approx([1.0])


def test_u_two_touches_split_in_proportion() -> None:
    assert shares("position_based", 2) == pytest.approx([0.5, 0.5])
    assert shares("j_shaped", 2) == pytest.approx([0.25, 0.75])


def test_w_shaped_missing_milestones_spread_over_present_ones() -> None:
    # no lead or opportunity flags: first touch carries all three anchors' 90%
    assert shares("w_shaped", 4) == pytest.approx([0.9, 0.1 / 3, 0.1 / 3, 0.1 / 3])
    # lead present, opportunity missing: its 30% goes to first and lead in proportion
    assert shares("w_shaped", 4, {3: "lead_created"}) == pytest.approx([0.45, 0.05, 0.45, 0.05])


def test_w_shaped_coinciding_milestones_add_up() -> None:
    assert shares("w_shaped", 3, {1: "lead_created", 2: "opportunity_created"}) == pytest.approx(
        [0.6, 0.3, 0.1]
    )
    assert shares("w_shaped", 3, {2: "lead_created;opportunity_created"}) == pytest.approx(
        [0.3, 0.6, 0.1]
    )


def test_anchors_share_the_middle_when_no_touch_is_left() -> None:
    assert shares("w_shaped", 2, {2: "lead_created;opportunity_created"}) == pytest.approx(
        [1 / 3, 2 / 3]
    )


def test_several_touches_with_one_milestone_the_earliest_anchors() -> None:
    assert shares(
        "w_shaped", 4, {2: "lead_created", 3: "lead_created", 4: "opportunity_created"}
    ) == pytest.approx([0.3, 0.3, 0.1, 0.3])


def test_full_path_closed_won_is_the_converting_touch() -> None:
    assert shares("full_path", 5, {2: "lead_created", 3: "opportunity_created"}) == pytest.approx(
        [0.225, 0.225, 0.225, 0.1, 0.225]
    )


def test_custom_positions_zero_anchor_weights_give_the_middle_everything() -> None:
    assert shares("custom_positions", 4, first=0.0, middle=1.0) == pytest.approx([0.25] * 4)
    assert shares("custom_positions", 3, first=0.5, middle=0.5) == pytest.approx([0.5, 0.25, 0.25])
