"""Committee-aware positional credit: ``per="buyer"`` and role weights."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

import journeykit as jk
from helpers import day
from journeykit.attribution._shares import per_journey_sum
from journeykit.io import structure, unstructure
from journeykit.testing import strategies as jst


def two_webinars(*, roles: tuple[str | None, str | None] = (None, None)) -> jk.Records:
    """One opportunity, two buyers, each first reached by a different webinar; then a demo."""
    many, one = jk.Reach.ONE_TO_MANY, jk.Reach.ONE_TO_ONE
    return jk.Records(
        personas=[],
        assets=[],
        accounts=[jk.Account("acme")],
        buyers=[
            jk.Buyer("ana", account="acme", lead_at=day(2)),
            jk.Buyer("bo", account="acme", lead_at=day(4)),
        ],
        touchpoints=[
            jk.Touchpoint("t1", "ana", day(1), "webinar_a", many),
            jk.Touchpoint("t2", "ana", day(2), "email", many),
            jk.Touchpoint("t3", "bo", day(3), "webinar_b", many),
            jk.Touchpoint("t4", "bo", day(4), "email", many),
            jk.Touchpoint("t5", "ana", day(6), "demo", one),
        ],
        deals=[
            jk.Deal(
                "opp",
                "acme",
                1_000.0,
                "EUR",
                day(5),
                jk.Outcome.WON,
                closed_at=day(9),
                buyers=[jk.DealBuyer("ana", roles[0]), jk.DealBuyer("bo", roles[1])],
            )
        ],
    )


def by_touch(model: str, records: jk.Records, **params: object) -> dict[str, float]:
    result = jk.attribute(jk.assemble(records), model, **params)
    return {k: round(v, 12) for k, v in result.by("touch").items()}


def test_each_webinar_gets_half_the_first_touch_credit() -> None:
    records = two_webinars()
    assert by_touch("first_touch", records) == {"t1": 1.0, "t2": 0, "t3": 0, "t4": 0, "t5": 0}
    result = jk.attribute(jk.assemble(records), "first_touch", per="buyer")
    assert dict(result.by("channel")) == {
        "webinar_a": 0.5,
        "webinar_b": 0.5,
        "demo": 0.0,
        "email": 0.0,
    }
    assert dict(result.by("channel", measure="value"))["webinar_b"] == 500.0


def test_a_role_weight_shares_the_first_touch_by_role() -> None:
    records = two_webinars(roles=("decision_maker", "influencer"))
    shares = by_touch("first_touch", records, per="buyer", role_weights={"decision_maker": 3.0})
    assert (shares["t1"], shares["t3"]) == (0.75, 0.25)
    nobody = by_touch(
        "first_touch", records, per="buyer", role_weights={"decision_maker": 0, "influencer": 0}
    )
    assert nobody == dict.fromkeys(nobody, 0.2)  # the role is missing: everything to the rest


def test_position_based_splits_only_the_first_share_between_buyers() -> None:
    shares = by_touch("position_based", two_webinars(), per="buyer")
    # first 40% as 20 + 20 on t1 and t3; last 40% on t5; the middle 20% over t2 and t4
    assert shares == {"t1": 0.2, "t3": 0.2, "t5": 0.4, "t2": 0.1, "t4": 0.1}


def test_w_shaped_gives_every_buyer_their_own_lead_creation_touch() -> None:
    journey = jk.assemble(two_webinars())
    flags = [t["milestones"] for t in journey[0].touches]
    assert [("lead_created" in f) for f in flags] == [False, True, False, True, False]
    shares = by_touch("w_shaped", two_webinars(), per="buyer")
    # first 30%: t1, t3 at 15% each; lead 30%: t2, t4 at 15% each; opportunity (day 5) 30% on t4;
    # the rest (10%) on the one touch that anchors nothing, t5
    assert shares == {"t4": 0.45, "t1": 0.15, "t2": 0.15, "t3": 0.15, "t5": 0.1}
    full = by_touch("full_path", two_webinars(), per="buyer")
    assert sum(full.values()) == pytest.approx(1.0)
    assert full["t1"] == full["t3"]


def test_linear_per_buyer_shares_equally_between_buyers_then_their_touches() -> None:
    shares = by_touch("linear", two_webinars(), per="buyer")
    third = round(1 / 6, 12)
    assert shares == {"t3": 0.25, "t4": 0.25, "t1": third, "t2": third, "t5": third}


def test_journeys_without_buyers_count_as_one_buyer() -> None:
    paths = jk.read_paths([{"path": "a > b > c", "total_conversions": 2}])
    for model in ("first_touch", "position_based", "w_shaped", "linear"):
        alone = jk.attribute(paths, model, per="buyer").by("channel")
        assert dict(alone) == dict(jk.attribute(paths, model).by("channel"))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"per": "committee"}, "per must be 'journey' or 'buyer'"),
        ({"per": "buyer", "role_weights": {"champion": -1.0}}, "role_weights must map roles"),
        (
            {"per": "buyer", "role_weights": {"champion": float("nan")}},
            "role_weights must map roles",
        ),
    ],
)
def test_committee_options_are_validated(params: dict[str, object], message: str) -> None:
    with pytest.raises(jk.ModelError, match=message):
        jk.attribute(jk.assemble(two_webinars()), "position_based", **params)


def test_committee_options_round_trip_as_model_specs() -> None:
    model = jk.models.get("w_shaped", per="buyer", role_weights={"champion": 2.0})
    assert structure(unstructure(model)) == model


@settings(max_examples=50, deadline=None)
@given(jst.records(max_buyers=5, max_touches_per_buyer=4, max_deals=3))
def test_committee_credit_conserves_per_journey(records: jk.Records) -> None:
    journeys = jk.assemble(records, goal="opportunity")
    for model in ("first_touch", "position_based", "w_shaped", "full_path", "linear", "j_shaped"):
        spec = jk.models.get(model, per="buyer", role_weights={"champion": 2.0, "influencer": 0.5})
        shares = spec.fit(journeys).credit(journeys)
        sums = per_journey_sum(journeys, shares)
        expected = (journeys.converting & (journeys.lengths > 0)).astype(np.float64)
        assert np.all(shares >= 0)
        np.testing.assert_allclose(sums, expected, atol=1e-12)
