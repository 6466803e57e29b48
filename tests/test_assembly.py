from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from hypothesis import given

import journeykit as jk
from helpers import day
from journeykit.datasets import example_records
from journeykit.testing import strategies as jst


def committee() -> jk.Records:
    """Acme's committee: ana and bo see webinars, cy takes a sales call; bo is on no deal."""
    return jk.Records(
        personas=[jk.Persona("it", "IT"), jk.Persona("fin", "Finance")],
        assets=[
            jk.ContentAsset("tour", "Product tour", jk.AssetKind.WEBINAR),
            jk.ContentAsset("roi", "ROI", jk.AssetKind.CASE_STUDY),
        ],
        accounts=[jk.Account("acme"), jk.Account("solo")],
        buyers=[
            jk.Buyer("ana", "it", "acme", lead_at=day(3)),
            jk.Buyer("bo", "fin", "acme"),
            jk.Buyer("cy", "fin", "acme", lead_at=day(5)),
            jk.Buyer("dee", None, "solo"),
        ],
        touchpoints=[
            jk.Touchpoint("t1", "ana", day(1), "webinar", jk.Reach.ONE_TO_MANY, asset="tour"),
            jk.Touchpoint("t2", "bo", day(2), "webinar", jk.Reach.ONE_TO_MANY, asset="tour"),
            jk.Touchpoint("t3", "cy", day(4), "call", jk.Reach.ONE_TO_ONE),
            jk.Touchpoint("t4", "cy", day(9), "email", jk.Reach.ONE_TO_ONE, asset="roi"),
            jk.Touchpoint("t5", "ana", day(30), "email", jk.Reach.ONE_TO_MANY),
            jk.Touchpoint("t6", "dee", day(5), "ad", jk.Reach.ONE_TO_MANY),
        ],
        deals=[
            jk.Deal(
                "won",
                "acme",
                900.0,
                "EUR",
                day(4),
                jk.Outcome.WON,
                closed_at=day(10),
                stages=[jk.StageChange("demo", day(6)), jk.StageChange("contract", day(8))],
                buyers=[
                    jk.DealBuyer("cy", "decision_maker", primary=True),
                    jk.DealBuyer("ana", "champion"),
                ],
            ),
            jk.Deal(
                "lost",
                "acme",
                500.0,
                "EUR",
                day(20),
                jk.Outcome.LOST,
                closed_at=day(25),
                buyers=["ana"],
            ),
        ],
    )


def table(journeys: jk.Journeys) -> list[tuple[str, tuple[str, ...], float, float]]:
    return [(j.id, tuple(t["buyer"] for t in j.touches), j.conversions, j.value) for j in journeys]


def test_rollup_account_takes_every_buyer_of_the_account() -> None:
    assert table(jk.assemble(committee())) == [
        ("account:solo", ("dee",), 0.0, 0.0),
        # acme's win closed on day 10: every earlier touch is its, and t5 (day 30) comes after
        # the loss on day 25: the lost deal keeps nothing.
        ("lost", (), 0.0, 0.0),
        ("won", ("ana", "bo", "cy", "cy"), 1.0, 900.0),
    ]


def test_rollup_buyers_takes_the_listed_buyers_and_leaves_others_their_own_journey() -> None:
    assert table(jk.assemble(committee(), rollup="buyers")) == [
        ("buyer:bo", ("bo",), 0.0, 0.0),
        ("buyer:dee", ("dee",), 0.0, 0.0),
        ("lost", (), 0.0, 0.0),  # ana's touches by day 10 are the win's
        ("won", ("ana", "cy", "cy"), 1.0, 900.0),
    ]


def test_rollup_primary_takes_the_primary_buyer_only() -> None:
    journeys = {j.id: j for j in jk.assemble(committee(), rollup="primary")}
    assert tuple(t["buyer"] for t in journeys["won"].touches) == ("cy", "cy")
    assert tuple(t["buyer"] for t in journeys["lost"].touches) == ()  # ana's are the win's
    assert "buyer:bo" in journeys


def test_a_touch_reached_through_account_and_deal_counts_once() -> None:
    # ana and cy are both account members and listed buyers of "won": their touches appear once.
    won = next(j for j in jk.assemble(committee()) if j.id == "won")
    assert [t["channel"] for t in won.touches] == ["webinar", "webinar", "call", "email"]


def test_milestones_are_flagged() -> None:
    won = next(j for j in jk.assemble(committee()) if j.id == "won")
    assert [t["milestones"] for t in won.touches] == [
        ("first_touch", "lead_created"),  # ana's last touch by her lead time (day 3)
        (),
        (
            "lead_created",
            "opportunity_created",
        ),  # cy's lead (day 5) and the deal's creation (day 4)
        ("closed_won",),  # the last touch by the close (day 10)
    ]


def test_lost_and_stalled_deals_do_not_convert_and_young_open_deals_wait() -> None:
    records = committee()
    stalled = jk.Deal("stalled", "acme", 50.0, "EUR", day(1), jk.Outcome.OPEN)
    young = jk.Deal("young", "acme", 50.0, "EUR", day(28), jk.Outcome.OPEN)
    with_open = jk.Records(
        records.personas,
        records.assets,
        records.accounts,
        records.buyers,
        records.touchpoints,
        [*records.deals, stalled, young],
    )
    journeys = {j.id: j for j in jk.assemble(with_open, stall_after=timedelta(days=14))}
    assert journeys["stalled"].conversions == 0.0
    assert journeys["stalled"].nulls == 1.0
    assert journeys["lost"].conversions == 0.0
    assert "young" not in journeys  # undecided: as of day 30 it is 2 days old


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        (timedelta(days=6), ("call", "email")),  # close is day 10: day 4 is exactly 6 days before
        (timedelta(days=6) - timedelta(microseconds=1), ("email",)),
        ({"opportunity_created": timedelta(days=2)}, ("webinar", "call")),  # days 2 to 4
        # Each touch against its own buyer's lead time: ana's day 1 (lead day 3), cy's day 4 (lead day 5)
        ({jk.Milestone.LEAD_CREATED: timedelta(days=2)}, ("webinar", "call")),
        ({jk.Milestone.LEAD_CREATED: timedelta(0)}, ()),
        (
            {"lead_created": timedelta(days=2), "closed_won": timedelta(days=1)},
            ("webinar", "call", "email"),
        ),
    ],
)
def test_lookback_cuts_exactly_at_the_window(window: Any, expected: tuple[str, ...]) -> None:
    won = next(j for j in jk.assemble(committee(), lookback=window) if j.id == "won")
    assert won.channels == expected


def test_goal_opportunity_converts_every_deal_at_creation() -> None:
    journeys = {j.id: j for j in jk.assemble(committee(), goal="opportunity")}
    assert journeys["won"].channels == ("webinar", "webinar", "call")  # up to day 4
    assert journeys["lost"].value == 500.0
    assert journeys["lost"].conversions == 1.0


def test_goal_lead_gives_one_journey_per_buyer() -> None:
    assert table(jk.assemble(committee(), goal="lead")) == [
        ("buyer:ana", ("ana",), 1.0, 1.0),
        ("buyer:bo", ("bo",), 0.0, 0.0),
        ("buyer:cy", ("cy",), 1.0, 1.0),
        ("buyer:dee", ("dee",), 0.0, 0.0),
    ]


def test_goal_stage_and_stage_hopping() -> None:
    records = committee()
    hopper = jk.Deal(
        "hopper",
        "acme",
        70.0,
        "EUR",
        day(2),
        jk.Outcome.LOST,
        closed_at=day(9),
        stages=[jk.StageChange("contract", day(5))],
    )
    hopped = jk.Records(
        records.personas,
        records.assets,
        records.accounts,
        records.buyers,
        records.touchpoints,
        [*records.deals, hopper],
    )
    journeys = {j.id: j for j in jk.assemble(hopped, goal="demo")}
    assert journeys["won"].channels == ("webinar", "webinar", "call")  # entered "demo" on day 6
    assert journeys["hopper"].conversions == 0.0  # skipped demo, and no stage order was given
    ordered = {j.id: j for j in jk.assemble(hopped, goal="demo", stage_order=["demo", "contract"])}
    assert ordered["hopper"].conversions == 1.0  # hopped over demo to contract on day 5
    assert ordered["hopper"].goal_time == day(5)


def test_won_deals_passed_every_stage() -> None:
    journeys = {
        j.id: j for j in jk.assemble(committee(), goal="negotiation", stage_order=["negotiation"])
    }
    assert journeys["won"].conversions == 1.0  # no negotiation stage, but it was won on day 10
    assert journeys["won"].goal_time == day(10)


@pytest.mark.parametrize("goal", ["Proposal", "opp", "negotiation", "WON"])
def test_a_misspelled_goal_is_an_error_listing_the_known_ones(goal: str) -> None:
    with pytest.raises(
        jk.ValidationError,
        match=r"assemble: goal is neither .*known: \['won', 'opportunity', 'lead'",
    ):
        jk.assemble(committee(), goal=goal)


def test_eligibility_before_attribution_renormalises() -> None:
    everything = jk.assemble(committee())
    content = jk.assemble(committee(), include=lambda t: t.asset is not None)
    won = next(j for j in content if j.id == "won")
    assert won.channels == ("webinar", "webinar", "email")
    result = jk.attribute(content, "linear")
    assert result.by("journey", measure="value")["won"] == pytest.approx(900.0)
    by_kind = jk.attribute(everything.filter(asset_kind=["webinar"]), "linear").by(
        "asset_kind", measure="value"
    )
    assert dict(by_kind) == {"webinar": 900.0}
    sales_only = jk.attribute(everything.filter(team="sales"), "linear").by(
        "channel", measure="value"
    )
    assert dict(sales_only) == {"call": 450.0, "email": 450.0}


def test_touch_columns_are_carried() -> None:
    journeys = jk.assemble(committee())
    assert set(journeys.columns) == {
        "channel",
        "team",
        "reach",
        "asset",
        "asset_kind",
        "campaign",
        "persona",
        "buyer",
        "account",
        "segment",
        "touch",
        "deal_kind",
        "role",
    }
    result = jk.attribute(journeys, "linear")
    assert dict(result.by("touch", measure="value")) == {
        "t1": 225.0,
        "t2": 225.0,
        "t3": 225.0,
        "t4": 225.0,
        "t6": 0.0,
    }  # t5 came after every outcome
    assert dict(result.by("persona", measure="value")) == {"fin": 675.0, "it": 225.0, None: 0.0}
    assert dict(result.by(("team", "reach"), measure="value")) == {
        ("marketing", "one_to_many"): 450.0,
        ("sales", "one_to_one"): 450.0,
    }


def test_bad_options_are_named() -> None:
    with pytest.raises(jk.ValidationError) as info:
        jk.assemble(committee(), rollup="everyone", lookback={"first_touch": timedelta(1)})  # type: ignore[arg-type]
    assert [p.field for p in info.value.problems] == ["rollup", "lookback"]


@given(jst.records())
def test_assembled_journeys_respect_goals_and_owners(records: jk.Records) -> None:
    journeys = jk.assemble(records)
    deals = {d.id: d for d in records.deals}
    for journey in journeys:
        deal = deals.get(journey.id)
        if deal is None:
            continue
        members = (
            {b.id for b in records.buyers_of_account(deal.account)}
            if deal.account
            else {m.buyer for m in deal.buyers}
        )
        assert {t["buyer"] for t in journey.touches} <= members
        if journey.conversions:
            assert all(t <= deal.closed_at for t in journey.times)  # type: ignore[operator]
    won = sum(d.value for d in records.deals if d.outcome is jk.Outcome.WON)
    for model in ("linear", "w_shaped", "time_decay", "markov"):
        result = jk.attribute(journeys, model)
        assert result.total_value + result.unattributed["value"] == pytest.approx(
            won, rel=1e-9, abs=1e-6
        )
    converting_touch = journeys.converting[journeys.journey_of_touch]
    assert journeys.goal_time is not None
    assert np.all(
        journeys.time[converting_touch]
        <= journeys.goal_time[journeys.journey_of_touch][converting_touch]
    )


def test_example_world() -> None:
    journeys = jk.assemble(example_records())
    assert journeys.total_value == 48_000.0
