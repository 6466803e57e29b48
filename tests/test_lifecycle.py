"""After the first deal: deal kinds, repeat-business journeys, lifecycle analytics, simulation."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import journeykit as jk
from helpers import day
from journeykit.datasets import lifecycle_example, simulate, simulate_lifecycle
from journeykit.deals import DealKind
from journeykit.io import dumps, loads, structure, unstructure
from journeykit.testing import strategies as jst


def touch_ids(journeys: jk.Journeys) -> dict[str, list[str]]:
    return {j.id: [t["touch"] for t in j.touches] for j in journeys}


# -- Deal.kind ---------------------------------------------------------------------------------


def test_a_deal_is_new_business_unless_told() -> None:
    deal = jk.Deal("d", "acme", 1.0, "EUR", day(1), jk.Outcome.OPEN)
    assert deal.kind is DealKind.NEW_BUSINESS
    row = {"id": "d", "account": "a", "value": "1", "currency": "EUR",
           "created_at": "2024-01-02T00:00:00+00:00", "outcome": "open", "kind": "Expansion"}  # fmt: skip
    assert jk.Deal.from_row(row).kind is DealKind.EXPANSION


def test_a_deal_kind_is_validated() -> None:
    with pytest.raises(jk.ValidationError, match=r"Deal 'd': kind must be"):
        jk.Deal("d", "acme", 1.0, "EUR", day(1), jk.Outcome.OPEN, kind="upsell")  # type: ignore[arg-type]


def test_json_carries_the_kind_and_reads_version_1_documents_as_new_business() -> None:
    records = lifecycle_example()
    document = unstructure(records)
    assert document["schema_version"] == 2
    assert [d["kind"] for d in document["deals"]] == ["new_business", "expansion", "renewal"]
    assert loads(dumps(records)) == records
    old = {**unstructure(records.deals[0]), "schema_version": 1}
    del old["kind"]
    assert structure(old).kind is DealKind.NEW_BUSINESS
    stale = json.loads(dumps(records))
    stale["schema_version"] = 1
    with pytest.raises(
        jk.SchemaError, match=r"kind is not a known key in schema version 1 @ \$\.deals\[1\]\.kind"
    ):
        structure(stale)


# -- assembling repeat business ----------------------------------------------------------------


def test_each_deal_of_a_customer_holds_the_touches_since_the_previous_one() -> None:
    journeys = jk.assemble(lifecycle_example())
    assert touch_ids(journeys) == {
        "acme-new": ["t01", "t02", "t03", "t04"],  # up to the win on day 30
        "acme-up": ["t05", "t06", "t07", "t08"],  # after the first win, by the expansion's
        "acme-renew": ["t09", "t10"],  # after the expansion's win (day 150)
    }
    kinds = {j.id: {t["deal_kind"] for t in j.touches} for j in journeys}
    assert kinds == {
        "acme-new": {"new_business"},
        "acme-up": {"expansion"},
        "acme-renew": {"renewal"},
    }


def test_kinds_choose_the_journeys_but_never_move_their_touches() -> None:
    records = lifecycle_example()
    only = jk.assemble(records, kinds=["expansion", DealKind.RENEWAL])
    assert touch_ids(only) == {
        "acme-up": ["t05", "t06", "t07", "t08"],
        "acme-renew": ["t09", "t10"],
    }
    assert touch_ids(jk.assemble(records, kinds="new_business")) == {
        "acme-new": ["t01", "t02", "t03", "t04"]
    }
    with pytest.raises(jk.ValidationError, match=r"kinds must be deal kinds .* \(got 'upsell'\)"):
        jk.assemble(records, kinds=["upsell"])


def test_a_touch_at_the_close_is_the_won_deal_and_one_after_it_the_next() -> None:
    base = lifecycle_example()
    at_close = jk.Touchpoint("edge", "bo", day(30), "email", jk.Reach.ONE_TO_MANY)
    after = jk.Touchpoint(
        "next", "bo", day(30) + timedelta(microseconds=1), "ad", jk.Reach.ONE_TO_MANY
    )
    records = jk.Records(base.personas, base.assets, base.accounts, base.buyers,
                         [*base.touchpoints, at_close, after], base.deals)  # fmt: skip
    ids = touch_ids(jk.assemble(records))
    assert ids["acme-new"][-1] == "edge"
    assert ids["acme-up"][0] == "next"


def test_touches_after_the_last_decided_deal_wait_for_the_next() -> None:
    base = lifecycle_example()
    late = jk.Touchpoint("late", "ana", day(420), "email", jk.Reach.ONE_TO_MANY)
    records = jk.Records(base.personas, base.assets, base.accounts, base.buyers,
                         [*base.touchpoints, late], base.deals)  # fmt: skip
    assert all("late" not in ids for ids in touch_ids(jk.assemble(records)).values())
    upsell = jk.Deal("acme-up2", "acme", 2_000.0, "EUR", day(421), jk.Outcome.WON,
                     closed_at=day(430), kind=DealKind.EXPANSION)  # fmt: skip
    grown = jk.Records(records.personas, records.assets, records.accounts, records.buyers,
                       records.touchpoints, [*records.deals, upsell])  # fmt: skip
    assert touch_ids(jk.assemble(grown))["acme-up2"] == ["late"]


@settings(max_examples=60, deadline=None)
@given(
    jst.records(max_buyers=5, max_touches_per_buyer=5, max_deals=4),
    st.sampled_from(["won", "opportunity"]),
)
def test_every_touch_is_in_at_most_one_deal_journey_and_won_value_is_kept_per_kind(
    records: jk.Records, goal: str
) -> None:
    journeys = jk.assemble(records, goal=goal)
    deal_ids = {d.id for d in records.deals}
    touches = [t["touch"] for j in journeys if j.id in deal_ids for t in j.touches]
    assert len(touches) == len(set(touches))
    result = jk.attribute(journeys, "linear")
    split = jk.analytics.lifecycle_split(result, records, measure="value")
    for kind in DealKind:
        if goal == "won":
            won = sum(d.value for d in records.deals if d.is_won and d.kind is kind)
            assert split.won[kind.value] == pytest.approx(won, rel=1e-9, abs=1e-6)
        credited = sum(split.by_team[kind.value].values()) + split.unattributed[kind.value]
        assert credited == pytest.approx(split.won[kind.value], rel=1e-9, abs=1e-6)
    for kind in DealKind:  # assembling one kind gives the same journeys as assembling them all
        alone = touch_ids(jk.assemble(records, goal=goal, kinds=[kind]))
        every = touch_ids(journeys)
        assert all(every[k] == v for k, v in alone.items())


@settings(max_examples=40, deadline=None)
@given(jst.records(max_deals=4))
def test_records_with_kinds_round_trip_through_json(records: jk.Records) -> None:
    assert loads(dumps(records)) == records


# -- analytics ---------------------------------------------------------------------------------


def test_lifecycle_split_by_hand() -> None:
    records = lifecycle_example()
    split = jk.analytics.lifecycle_split(
        jk.attribute(jk.assemble(records), "linear"), records, measure="value"
    )
    assert split.won == {"new_business": 10_000.0, "expansion": 4_000.0, "renewal": 10_000.0}
    assert split.by_team == {
        "new_business": {"marketing": 5_000.0, "sales": 5_000.0},
        "expansion": {"marketing": 2_000.0, "sales": 2_000.0},
        "renewal": {"marketing": 5_000.0, "sales": 5_000.0},
    }
    # before the first one-to-one sales touch: t01, t02; t05, t06; t09
    assert split.before_sales == {"new_business": 5_000.0, "expansion": 2_000.0, "renewal": 5_000.0}
    assert split.unattributed == dict.fromkeys(split.won, 0.0)
    assert split.share("expansion") == 0.5
    frame = split.to_frame()
    assert list(frame["kind"]) == ["new_business", "expansion", "renewal"]


def test_an_expansion_without_touches_is_unattributed_not_lost() -> None:
    base = lifecycle_example()
    touches = [t for t in base.touchpoints if t.id not in {"t05", "t06", "t07", "t08"}]
    records = jk.Records(
        base.personas, base.assets, base.accounts, base.buyers, touches, base.deals
    )
    split = jk.analytics.lifecycle_split(
        jk.attribute(jk.assemble(records), "linear"), records, measure="value"
    )
    assert split.unattributed["expansion"] == 4_000.0
    assert split.by_team["expansion"] == {"marketing": 0.0, "sales": 0.0}


def test_retention_counts_only_customers_whose_window_has_passed() -> None:
    base = lifecycle_example()
    churned = jk.Deal(
        "beta-new", "beta", 5_000.0, "EUR", day(10), jk.Outcome.WON, closed_at=day(40)
    )
    lost = jk.Deal("beta-renew", "beta", 5_000.0, "EUR", day(380), jk.Outcome.LOST,
                   closed_at=day(405), kind=DealKind.RENEWAL)  # fmt: skip
    young = jk.Deal(
        "gamma-new", "gamma", 1_000.0, "EUR", day(400), jk.Outcome.WON, closed_at=day(410)
    )
    records = jk.Records(base.personas, base.assets,
                         [*base.accounts, jk.Account("beta", segment="mid_market"),
                          jk.Account("gamma", segment="mid_market")],
                         base.buyers, base.touchpoints, [*base.deals, churned, lost, young])  # fmt: skip
    as_of = datetime(2025, 6, 1, tzinfo=UTC)
    (row,) = jk.analytics.retention(records, cohort=None, as_of=as_of).rows
    assert (row["customers"], row["due"], row["renewed"], row["churned"]) == (3, 2, 1, 1)
    assert row["renewal_rate"] == 0.5
    assert row["expansion_rate"] == 0.5
    assert row["nrr"] == pytest.approx(14_000.0 / 15_000.0)
    by_year = jk.analytics.retention(records, cohort="year", by=None, as_of=as_of)
    assert [(r["cohort"], r["customers"], r["due"]) for r in by_year.rows] == [
        ("2024", 2, 2),
        ("2025", 1, 0),
    ]
    assert np.isnan(by_year.rows[1]["renewal_rate"])
    with pytest.raises(jk.ValidationError, match="cohort must be"):
        jk.analytics.retention(records, cohort="decade")  # type: ignore[arg-type]


def test_account_lifetime_adds_up_across_deals() -> None:
    records = lifecycle_example()
    result = jk.attribute(jk.assemble(records), "w_shaped")
    life = jk.analytics.account_lifetime(result, records, "acme")
    assert [r["touches"] for r in life.rows] == [4, 4, 2]
    assert life.totals["value"] == 24_000.0
    assert life.totals["marketing"] + life.totals["sales"] == pytest.approx(24_000.0)
    with pytest.raises(jk.RecordNotFoundError, match="nowhere"):
        jk.analytics.account_lifetime(result, records, "nowhere")


# -- simulation --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world() -> jk.Records:
    return simulate(n_accounts=120, seed=11, ground_truth=False).records


def test_the_post_sale_life_is_deterministic_and_keeps_the_first_deals(world: jk.Records) -> None:
    life = simulate_lifecycle(world, seed=11)
    again = simulate_lifecycle(world, seed=11)
    assert life.records == again.records
    assert life.records.deals[: len(world.deals)] == world.deals
    kinds = {d.kind for d in life.records.deals}
    assert kinds == set(DealKind)
    truth = life.truth
    assert truth.won == sum(
        d.is_won and d.kind is not DealKind.NEW_BUSINESS for d in life.records.deals
    )
    assert truth.channels["product_newsletter"] == jk.datasets.Effect(0, 0.0)


def test_switching_a_channel_off_loses_what_the_truth_says(world: jk.Records) -> None:
    life = simulate_lifecycle(world, seed=11)
    without = simulate_lifecycle(world, seed=11, switch_off=["account_review"], ground_truth=False)
    lost = life.truth.channels["account_review"]
    assert life.truth.won - without.truth.won == lost.won
    assert life.truth.value - without.truth.value == pytest.approx(lost.value)
    assert lost.won > 0
    assert not any(t.channel == "account_review" for t in without.records.touchpoints)


def test_simulate_lifecycle_checks_its_arguments(world: jk.Records) -> None:
    with pytest.raises(jk.ValidationError, match="unknown lifecycle channel 'fax'"):
        simulate_lifecycle(world, seed=1, switch_off=["fax"])
    with pytest.raises(jk.ValidationError, match="years must be 1 to 10"):
        simulate_lifecycle(world, seed=1, years=0)


@pytest.mark.slow
def test_the_demo_prints_the_new_vs_repeat_split(capsys: pytest.CaptureFixture[str]) -> None:
    from journeykit.cli import main  # noqa: PLC0415

    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "New vs expansion and renewal (markov" in out
    assert "LifecycleSplit(value: new_business 5,512,300 (marketing" in out


def test_retention_and_lifetime_refuse_to_sum_values_across_currencies() -> None:
    from datetime import UTC, datetime  # noqa: PLC0415

    start = datetime(2024, 1, 1, tzinfo=UTC)
    records = jk.Records(
        accounts=[jk.Account("acme")],
        buyers=[jk.Buyer("ann", account="acme")],
        touchpoints=[jk.Touchpoint("t", "ann", start, "webinar", jk.Reach.ONE_TO_MANY)],
        deals=[
            jk.Deal("d1", "acme", 100.0, "EUR", start, jk.Outcome.WON, closed_at=start),
            jk.Deal(
                "d2", "acme", 100.0, "JPY", start, jk.Outcome.WON, closed_at=start,
                kind=jk.DealKind.EXPANSION,
            ),
        ],
    )  # fmt: skip
    with pytest.raises(jk.ValidationError, match="retention: currency sums deal values"):
        jk.analytics.retention(records)
    result = jk.attribute(jk.assemble(records, currency="EUR", rates={"JPY": 0.006}), "linear")
    with pytest.raises(jk.ValidationError, match="account_lifetime: currency"):
        jk.analytics.account_lifetime(result, records, "acme")
