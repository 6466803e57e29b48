from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from hypothesis import given

import journeykit as jk
from helpers import day
from journeykit.datasets import example_records
from journeykit.testing import strategies as jst


def committee() -> jk.Records:
    return jk.Records(
        accounts=[jk.Account("acme"), jk.Account("solo")],
        buyers=[
            jk.Buyer("a", account="acme", lead_at=day(3)),
            jk.Buyer("b", account="acme"),
            jk.Buyer("c", account="solo"),
        ],
        touchpoints=[
            jk.Touchpoint("t1", "a", day(1), "webinar", jk.Reach.ONE_TO_MANY),
            jk.Touchpoint("t2", "b", day(2), "webinar", jk.Reach.ONE_TO_MANY),
            jk.Touchpoint("t3", "a", day(4), "call", jk.Reach.ONE_TO_ONE),
            jk.Touchpoint("t4", "b", day(9), "demo", jk.Reach.ONE_TO_ONE),
            jk.Touchpoint("t5", "a", day(30), "email", jk.Reach.ONE_TO_MANY),
            jk.Touchpoint("t6", "c", day(5), "ad", jk.Reach.ONE_TO_MANY),
        ],
        deals=[
            jk.Deal("won", "acme", 900.0, "EUR", day(4), jk.Outcome.WON, closed_at=day(10)),
            jk.Deal("lost", "acme", 500.0, "EUR", day(20), jk.Outcome.LOST, closed_at=day(25)),
        ],
    )


def test_one_journey_per_deal_and_per_account_without_deal() -> None:
    journeys = jk.assemble(committee())
    assert [(j.id, j.channels, j.conversions, j.value) for j in journeys] == [
        ("account:solo", ("ad",), 0.0, 0.0),
        (
            "lost",
            ("webinar", "webinar", "call", "demo"),
            0.0,
            0.0,
        ),  # the touch after close never counts
        ("won", ("webinar", "webinar", "call", "demo"), 1.0, 900.0),
    ]


def test_milestones_of_an_assembled_journey() -> None:
    won = jk.assemble(committee())[2]
    assert [t["milestones"] for t in won.touches] == [
        ("first_touch", "lead_created"),  # ana became a lead on day 3: her last touch by then
        (),
        ("opportunity_created",),  # the deal was created on day 4, at the call
        ("closed_won",),
    ]


def test_touch_columns_are_carried() -> None:
    journeys = jk.assemble(committee())
    result = jk.attribute(journeys, "linear")
    assert dict(result.by("team", measure="value")) == {"marketing": 450.0, "sales": 450.0}
    assert dict(result.by("buyer", measure="value")) == {"a": 450.0, "b": 450.0, "c": 0.0}
    assert set(journeys.columns) == {
        "channel",
        "team",
        "reach",
        "asset",
        "campaign",
        "persona",
        "buyer",
        "account",
    }


def test_lookback_cuts_at_the_window_before_close() -> None:
    won = jk.assemble(committee(), lookback=timedelta(days=6))[2]
    assert won.channels == ("call", "demo")


def test_other_goals_are_not_there_yet() -> None:
    with pytest.raises(NotImplementedError):
        jk.assemble(committee(), goal="lead")  # type: ignore[arg-type]


@given(jst.records())
def test_assembled_credit_equals_won_value(records: jk.Records) -> None:
    journeys = jk.assemble(records)
    won_with_touches = [
        d
        for d in records.deals
        if d.outcome is jk.Outcome.WON
        and any(
            t.time <= d.closed_at  # type: ignore[operator]
            for b in (
                records.buyers_of_account(d.account)
                if d.account
                else [records.buyer(m.buyer) for m in d.buyers]
            )
            for t in records.touches_of_buyer(b.id)
        )
    ]
    for model in ("linear", "w_shaped", "time_decay"):
        result = jk.attribute(journeys, model)
        assert result.total_value == pytest.approx(
            sum(d.value for d in won_with_touches), rel=1e-9, abs=1e-6
        )
    assert journeys.goal_time is not None
    converting_touch = journeys.converting[journeys.journey_of_touch]
    goal_of_touch = journeys.goal_time[journeys.journey_of_touch]
    assert np.all(journeys.time[converting_touch] <= goal_of_touch[converting_touch])


def test_example_world() -> None:
    journeys = jk.assemble(example_records())
    assert journeys.total_value == 48_000.0
