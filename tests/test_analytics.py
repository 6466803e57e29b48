"""Handoff (E14), sales velocity (E13) and bootstrap intervals."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import journeykit as jk
from helpers import day
from journeykit.analytics import bootstrap, handoff, sales_velocity
from journeykit.testing import strategies as jst


@pytest.mark.parametrize(
    ("opportunities", "win_rate", "average_deal", "cycle_days", "expected"),
    [(40, 0.25, 25_000, 90, 2777.7777777777778), (18, 0.24, 42_000, 78, 2326.153846153846)],
)
def test_e13_sales_velocity(
    opportunities: float, win_rate: float, average_deal: float, cycle_days: float, expected: float
) -> None:
    velocity = sales_velocity(
        opportunities=opportunities,
        win_rate=win_rate,
        average_deal=average_deal,
        cycle_days=cycle_days,
    )
    assert velocity == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("field", "value"),
    [("opportunities", -1), ("win_rate", 1.5), ("average_deal", float("nan")), ("cycle_days", 0)],
)
def test_sales_velocity_names_bad_arguments(field: str, value: float) -> None:
    arguments = {
        "opportunities": 10.0,
        "win_rate": 0.2,
        "average_deal": 1000.0,
        "cycle_days": 30.0,
        field: value,
    }
    with pytest.raises(ValueError, match=f"sales_velocity: {field} must be"):
        sales_velocity(**arguments)


def e14_records() -> jk.Records:
    touches = [
        (0, jk.Reach.ONE_TO_MANY),
        (10, jk.Reach.ONE_TO_MANY),
        (20, jk.Reach.ONE_TO_MANY),
        (30, jk.Reach.ONE_TO_ONE),
        (45, jk.Reach.ONE_TO_ONE),
    ]
    return jk.Records(
        accounts=[jk.Account("acme")],
        buyers=[jk.Buyer("b", account="acme")],
        touchpoints=[
            jk.Touchpoint(f"t{i}", "b", day(d), "c", reach) for i, (d, reach) in enumerate(touches)
        ],
        deals=[jk.Deal("d", "acme", 100.0, "EUR", day(25), jk.Outcome.WON, closed_at=day(60))],
    )


def test_e14_share_before_first_sales_contact() -> None:
    journeys = jk.assemble(e14_records())
    result = handoff(journeys, jk.attribute(journeys, "linear"))
    assert result.journey == ("d",)
    assert result.by_touches.tolist() == pytest.approx([0.6])
    assert result.by_time.tolist() == pytest.approx([0.5])
    assert result.by_credit is not None
    assert result.by_credit.tolist() == pytest.approx([0.6])
    assert result.sales_contact.tolist() == [True]
    assert "touches median 60%" in repr(result)


def test_a_journey_without_sales_contact_is_wholly_before_it() -> None:
    records = e14_records()
    marketing_only = jk.Records(
        accounts=records.accounts,
        buyers=records.buyers,
        touchpoints=records.touchpoints[:3],
        deals=records.deals,
    )
    result = handoff(jk.assemble(marketing_only))
    assert result.by_touches.tolist() == [1.0]
    assert result.by_time.tolist() == [1.0]
    assert result.sales_contact.tolist() == [False]


def test_an_sdr_email_is_not_a_sales_contact() -> None:
    records = e14_records()
    sdr = jk.Touchpoint("sdr", "b", day(5), "email", jk.Reach.ONE_TO_ONE, team=jk.Team.MARKETING)
    with_sdr = jk.Records(
        accounts=records.accounts,
        buyers=records.buyers,
        touchpoints=[*records.touchpoints, sdr],
        deals=records.deals,
    )
    assert handoff(jk.assemble(with_sdr)).by_touches.tolist() == pytest.approx([4 / 6])


def test_handoff_needs_team_and_reach() -> None:
    with pytest.raises(jk.SchemaError, match="team is needed"):
        handoff(jk.read_paths([{"path": "a > b", "total_conversions": 1}]))


def test_handoff_by_a_column_and_frame() -> None:
    from journeykit.datasets import example_records  # noqa: PLC0415

    result = handoff(jk.assemble(example_records()))
    assert set(result.by("account")) == {"northwind"}
    assert result.by("persona")["it_lead"]["journeys"] == 1.0
    assert list(result.to_frame().columns) == ["journey", "by_touches", "by_time", "sales_contact"]
    with pytest.raises(KeyError, match="no column 'colour'"):
        result.by("colour")
    with pytest.raises(ValueError, match="needs a model's result"):
        result.summary("by_credit")


@settings(max_examples=30)
@given(jst.records())
def test_handoff_shares_lie_in_0_1(records: jk.Records) -> None:
    journeys = jk.assemble(records)
    result = handoff(journeys, jk.attribute(journeys, "position_based"))
    for values in (result.by_touches, result.by_credit):
        assert values is not None
        assert np.all((values >= 0) & (values <= 1 + 1e-12))
    known = result.by_time[np.isfinite(result.by_time)]
    assert np.all((known >= 0) & (known <= 1))


@settings(max_examples=15, deadline=None)
@given(jst.journeys(min_journeys=3, max_journeys=10), st.integers(0, 2**32 - 1))
def test_bootstrap_is_seeded_and_contains_the_estimate(journeys: jk.Journeys, seed: int) -> None:
    first = bootstrap(journeys, "linear", resamples=20, seed=seed)
    again = bootstrap(journeys, "linear", resamples=20, seed=seed)
    assert first.intervals == again.intervals
    point = jk.attribute(journeys, "linear").by("channel")
    for label, interval in first.intervals.items():
        assert interval.estimate == point[label]
        assert interval.estimate in interval


def test_bootstrap_intervals_narrow_with_more_data() -> None:
    small = jk.read_paths(
        [
            {"path": "a > b", "total_conversions": 3, "total_null": 1},
            {"path": "b", "total_conversions": 1, "total_null": 4},
        ]
    )
    big = jk.read_paths(
        [
            {"path": "a > b", "total_conversions": 300, "total_null": 100},
            {"path": "b", "total_conversions": 100, "total_null": 400},
        ]
    )

    def width(journeys: jk.Journeys) -> float:
        interval = bootstrap(journeys, "markov", resamples=100, seed=3).intervals["a"]
        return (interval.high - interval.low) / interval.estimate

    assert width(big) < width(small) / 3  # 100 times the journeys: about 10 times narrower
    frame = bootstrap(small, "markov", resamples=10).to_frame()
    assert list(frame.columns) == ["label", "estimate", "low", "high"]
    with pytest.raises(ValueError, match="resamples >= 2"):
        bootstrap(small, resamples=1)
