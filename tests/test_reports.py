"""The reports people expect: credit over time, influence, change against a reference model,
touch roles as columns and touch properties as dimensions."""

from __future__ import annotations

import numpy as np
from hypothesis import given

import journeykit as jk
from journeykit.datasets import example_records
from journeykit.testing import strategies as jst

ROLES = ["first_touch", "lead_created", "opportunity_created", "closed_won"]


# -- touch roles as columns ---------------------------------------------------------------------
@given(jst.records())
def test_role_columns_are_the_milestone_flags(records: jk.Records) -> None:
    journeys = jk.assemble(records)
    frame = jk.attribute(journeys, "linear").to_frame()
    marks = np.zeros(journeys.n_touches, dtype=np.uint8) if journeys.milestones is None else None
    flags = journeys.milestones if marks is None else marks
    for milestone in jk.Milestone:
        assert frame[milestone.value].dtype == bool
        assert frame[milestone.value].tolist() == ((flags & milestone.bit) != 0).tolist()
    # Every journey with touches has exactly one first touch, at its position 0.
    firsts = frame[frame["first_touch"]]
    assert (firsts["position"] == 0).all()
    assert sorted(firsts["journey"]) == sorted(set(frame["journey"]))


def test_role_columns_name_the_deal_milestones() -> None:
    frame = jk.attribute(jk.assemble(example_records()), "linear").to_frame()
    deal = frame[frame["journey"] == "northwind-2024"]
    assert deal[deal["closed_won"]]["channel"].tolist() == ["meeting"]
    assert deal[deal["opportunity_created"]]["channel"].tolist() == ["call"]
    assert deal[deal["first_touch"]]["channel"].tolist() == ["paid_social"]


def test_paths_know_their_first_and_last_touch() -> None:
    paths = jk.read_paths([{"path": "a > b > c", "total_conversions": 1}])
    frame = jk.attribute(paths, "linear").to_frame()
    assert frame["first_touch"].tolist() == [True, False, False]
    assert frame["closed_won"].tolist() == [False, False, True]
    assert not frame["lead_created"].any()
