"""Handoff (E14), sales velocity (E13) and bootstrap intervals."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import journeykit as jk
from helpers import day
from journeykit.analytics import bootstrap, handoff, sales_velocity
from journeykit.testing import strategies as jst


# E13: the sales-velocity examples of the mavenlb.com and winsabove glossaries (opportunities x
# win rate x average deal / cycle days, per day), their published figures.
@pytest.mark.parametrize(
    ("opportunities", "win_rate", "average_deal", "cycle_days", "expected"),
    [(40, 0.25, 25_000, 90, 2777.777777777778), (18, 0.24, 42_000, 78, 2326.153846153846)],
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
    # E14: journeykit's own definition (no outside publication): 3 of 5 touches and 30 of 60 days
    # come before the first one-to-one sales contact.
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


# -- split ------------------------------------------------------------------------------------


def rep_sends_whitepaper() -> jk.Records:
    return jk.Records(
        assets=[jk.ContentAsset("wp", "Guide", jk.AssetKind.WHITEPAPER)],
        accounts=[jk.Account("acme")],
        buyers=[jk.Buyer("b", account="acme")],
        touchpoints=[
            jk.Touchpoint("ad", "b", day(0), "ad", jk.Reach.ONE_TO_MANY),
            jk.Touchpoint("send", "b", day(2), "email", jk.Reach.ONE_TO_ONE, asset="wp"),
            jk.Touchpoint("read", "b", day(3), "content", jk.Reach.ONE_TO_MANY, asset="wp"),
            jk.Touchpoint("call", "b", day(5), "call", jk.Reach.ONE_TO_ONE),
        ],
        deals=[jk.Deal("d", "acme", 400.0, "EUR", day(4), jk.Outcome.WON, closed_at=day(6))],
    )


def test_split_counts_a_rep_sent_asset_for_sales_as_a_touch_and_for_marketing_as_content() -> None:
    view = jk.analytics.split(
        jk.attribute(jk.assemble(rep_sends_whitepaper()), "linear"), measure="value"
    )
    assert view.by_team == {"marketing": 200.0, "sales": 200.0}
    assert view.content == {"marketing": 300.0, "sales": 100.0}
    assert view.sales_sent_content == 100.0
    assert view.by_reach == {"one_to_many": 200.0, "one_to_one": 200.0}
    assert "content influence marketing 75%" in repr(view)
    assert len(view.to_frame()) == 6


@given(jst.records())
def test_split_views_each_add_up_to_the_total(records: jk.Records) -> None:
    result = jk.attribute(jk.assemble(records), "w_shaped")
    view = jk.analytics.split(result, measure="value")
    for part in (view.by_team, view.by_reach, view.content):
        assert sum(part.values()) == pytest.approx(result.total_value, rel=1e-9, abs=1e-6)


# -- funnel, diagnosis, metrics, effort ---------------------------------------------------------


def population(
    persona: str, accounts: int, *, reached: bool, won: bool, start: int = 0
) -> tuple[list[jk.Account], list[jk.Buyer], list[jk.Touchpoint], list[jk.Deal]]:
    acc, buyers, touches, deals = [], [], [], []
    for i in range(start, start + accounts):
        acc.append(jk.Account(f"{persona}{i}"))
        buyers.append(
            jk.Buyer(
                f"{persona}-b{i}",
                persona=persona,
                account=f"{persona}{i}",
                lead_at=day(2) if reached else None,
            )
        )
        if reached:
            touches += [
                jk.Touchpoint(
                    f"{persona}-t{i}a", f"{persona}-b{i}", day(1), "webinar", jk.Reach.ONE_TO_MANY
                ),
                jk.Touchpoint(
                    f"{persona}-t{i}b", f"{persona}-b{i}", day(3), "call", jk.Reach.ONE_TO_ONE
                ),
            ]
            outcome = jk.Outcome.WON if won else jk.Outcome.LOST
            deals.append(
                jk.Deal(
                    f"{persona}-d{i}",
                    f"{persona}{i}",
                    100.0,
                    "EUR",
                    day(4),
                    outcome,
                    closed_at=day(20),
                )
            )
    return acc, buyers, touches, deals


def world() -> jk.Records:
    parts = [
        population("closer", 20, reached=True, won=True),
        population("talker", 20, reached=True, won=False),
        population("ghost", 10, reached=False, won=False),
    ]
    return jk.Records(
        personas=[jk.Persona(p, p) for p in ("closer", "talker", "ghost")],
        accounts=[a for p in parts for a in p[0]],
        buyers=[b for p in parts for b in p[1]],
        touchpoints=[t for p in parts for t in p[2]],
        deals=[d for p in parts for d in p[3]],
    )


def test_diagnosis_of_known_scenarios() -> None:
    diagnosis = jk.analytics.diagnose(world(), by="persona")
    assert diagnosis.findings["talker"].verdict == "sales"  # wide reach, no closes
    assert diagnosis.findings["ghost"].verdict == "marketing"  # never reached
    assert diagnosis.findings["closer"].verdict == "neither"
    assert "talker: a sales problem at the win stage" in repr(diagnosis)
    assert diagnosis.findings["talker"].stage == "win"
    assert diagnosis.findings["ghost"].stage == "reach"
    assert diagnosis.findings["closer"].stage is None
    assert diagnosis.findings["talker"].rates["win"].high < 0.2
    assert len(diagnosis.to_frame()) == 3


def test_diagnosis_against_targets_and_thresholds() -> None:
    strict = jk.analytics.diagnose(world(), by="persona", targets={"win": 0.99})
    assert strict.findings["closer"].verdict == "neither"  # 100% closes: no shortfall
    lenient = jk.analytics.diagnose(world(), by="persona", tolerance=0.0)
    assert lenient.findings["talker"].verdict == "neither"
    assert (
        lenient.findings["ghost"].verdict == "marketing"
    )  # never reached stays a marketing problem
    with pytest.raises(ValueError, match="targets take"):
        jk.analytics.diagnose(world(), targets={"love": 1.0})


def test_wilson_interval() -> None:
    interval = jk.analytics.wilson(0, 20)
    assert interval.estimate == 0.0
    assert interval.high == pytest.approx(0.16113, abs=1e-5)
    assert jk.analytics.wilson(5, 10).low == pytest.approx(0.23659, abs=1e-5)
    assert np.isnan(jk.analytics.wilson(0, 0).estimate)


@pytest.mark.parametrize("trials", [1, 7, 100, 271, 1234, 99_991])
def test_wilson_bounds_are_exact_at_zero_and_one(trials: int) -> None:
    # rounding once made a 100% reach look "below" a 100% benchmark in diagnose()
    assert jk.analytics.wilson(trials, trials).high == 1.0
    assert jk.analytics.wilson(0, trials).low == 0.0


def test_everyone_reached_is_no_marketing_problem() -> None:
    demo = jk.datasets.load_demo()
    findings = jk.analytics.diagnose(demo.records, by="segment").findings
    assert all(f.rates["reach"].estimate == 1.0 for f in findings.values())
    # wilson() rounding must never make a fully reached or engaged group fall short there
    assert all(f.stage not in ("reach", "engagement") for f in findings.values())


def test_funnel_by_persona_and_frame() -> None:
    table = jk.analytics.funnel(world(), by="persona")
    assert table.groups["talker"].counts == (20, 20, 20, 20, 0)
    assert table.groups["ghost"].counts == (0, 0, 0, 0, 0)
    assert table.groups["closer"].win_rate == 1.0
    # reached day 1, engaged day 3 (the call), lead day 2 (before engagement: not counted), deal day 4, won day 20
    assert table.groups["closer"].days_in_stage[0] == pytest.approx(2.0)
    assert table.groups["closer"].days_in_stage[2:] == pytest.approx((2.0, 16.0))
    assert len(table.to_frame()) == 15
    with pytest.raises(ValueError, match="by must be"):
        jk.analytics.funnel(world(), by="colour")


@given(jst.records())
def test_funnel_counts_never_increase(records: jk.Records) -> None:
    for by in (None, "segment", "persona"):
        for group in jk.analytics.funnel(records, by=by).groups.values():
            assert all(a >= b for a, b in zip(group.counts, group.counts[1:], strict=False))
            assert group.counts[0] <= group.units


def test_metrics_and_return_on_spend() -> None:
    records = world()
    m = jk.analytics.metrics(records)
    assert (m.reach, m.leads, m.opportunities) == (40, 40, 40)
    assert m.win_rate == 0.5
    assert m.won_per_month == {"2024-01": 20}
    assert m.cost_per_lead == 0.0
    result = jk.attribute(
        jk.from_events(
            [
                {
                    "journey_id": "j",
                    "timestamp": "2024-01-01T00:00:00Z",
                    "channel": "ads",
                    "cost": 0.0,
                    "converted": True,
                    "value": 5.0,
                }
            ],
            cost="cost",
        ),
        "linear",
    )
    assert jk.analytics.return_on_spend(result) == {"ads": float("inf")}
    with pytest.raises(ValueError, match="needs touch costs"):
        jk.analytics.return_on_spend(
            jk.attribute(jk.read_paths([{"path": "a", "total_conversions": 1}]), "linear")
        )


def test_duplicated_effort() -> None:
    found = jk.analytics.duplicated_effort(rep_sends_whitepaper(), window=timedelta(days=2))
    assert [(a.id, b.id) for a, b in found.pairs] == [("send", "read")]
    assert found.summary() == {("sales", "marketing", "content"): 1}
    assert (
        jk.analytics.duplicated_effort(rep_sends_whitepaper(), window=timedelta(hours=1)).pairs
        == ()
    )
    assert list(found.to_frame().columns)[:4] == ["buyer", "asset", "campaign", "first"]


def test_duplicated_effort_on_the_same_campaign_message() -> None:
    records = jk.Records(
        buyers=[jk.Buyer("b")],
        touchpoints=[
            jk.Touchpoint("m", "b", day(0), "email", jk.Reach.ONE_TO_MANY, campaign="q3-launch"),
            jk.Touchpoint("s", "b", day(1), "call", jk.Reach.ONE_TO_ONE, campaign="q3-launch"),
            jk.Touchpoint("other", "b", day(1), "call", jk.Reach.ONE_TO_ONE, campaign="renewal"),
        ],
    )
    found = jk.analytics.duplicated_effort(records, window=timedelta(days=2))
    assert [(a.id, b.id) for a, b in found.pairs] == [("m", "s")]
    assert found.summary() == {("marketing", "sales", "call"): 1}


def test_deal_stage_funnel_counts_hops_and_wins() -> None:
    deals = [
        jk.Deal(
            "a",
            "x",
            1.0,
            "EUR",
            day(0),
            jk.Outcome.WON,
            closed_at=day(30),
            stages=[jk.StageChange("demo", day(5)), jk.StageChange("proposal", day(10))],
        ),
        jk.Deal(
            "b",
            "x",
            1.0,
            "EUR",
            day(0),
            jk.Outcome.LOST,
            closed_at=day(30),
            stages=[jk.StageChange("proposal", day(8))],
        ),  # hopped over demo
        jk.Deal(
            "c",
            "x",
            1.0,
            "EUR",
            day(0),
            jk.Outcome.LOST,
            closed_at=day(30),
            stages=[jk.StageChange("demo", day(3))],
        ),
        jk.Deal(
            "d", "x", 1.0, "EUR", day(0), jk.Outcome.WON, closed_at=day(9)
        ),  # won without recorded stages
    ]
    records = jk.Records(accounts=[jk.Account("x")], deals=deals)
    stages = jk.analytics.deal_stages(records, order=["demo", "proposal"])
    assert stages.stages == ("demo", "proposal", "won")
    assert stages.counts == (4, 3, 2)
    assert stages.drop_off == (1, 1)
    assert stages.rates == pytest.approx((0.75, 2 / 3))
    assert stages.days_in_stage == pytest.approx((5.0, 20.0))
    assert repr(jk.analytics.deal_stages(records)) == "StageFunnel(demo 4 > proposal 3 > won 2)"
    assert len(stages.to_frame()) == 3


def test_funnel_by_first_touch_channel_and_handoff_by_mix() -> None:
    from journeykit.datasets import example_records  # noqa: PLC0415

    records = example_records()
    assert set(jk.analytics.funnel(records, by="channel").groups) == {"paid_search", "paid_social"}
    before = jk.analytics.handoff(jk.assemble(records))
    assert set(before.by("segment")) == {"enterprise"}
    assert list(before.by("channel_mix")) == [
        "call+demo+email+meeting+organic_search+paid_social+rep_email+sdr_email+webinar"
    ]
