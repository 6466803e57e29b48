"""The simulated world, its ground truth, the bundled demo and the accuracy report."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import journeykit as jk
from journeykit.datasets import (
    DEFAULT_CHANNELS,
    ChannelSpec,
    Effect,
    GroundTruth,
    accuracy_report,
    load_demo,
    rescale,
    simulate,
)
from journeykit.datasets.accuracy import _spearman, score
from journeykit.datasets.demo import DEMO_ACCOUNTS, DEMO_SEED

A, C, D = jk.FunnelStage.AWARENESS, jk.FunnelStage.CONSIDERATION, jk.FunnelStage.DECISION


def _outcomes(records: jk.Records) -> dict[str, tuple[str, float, object, object]]:
    return {d.id: (d.outcome.value, d.value, d.created_at, d.closed_at) for d in records.deals}


def test_same_seed_same_world_other_seed_other_world() -> None:
    a = simulate(n_accounts=150, seed=3)
    b = simulate(n_accounts=150, seed=3)
    c = simulate(n_accounts=150, seed=4)
    assert a.records == b.records
    assert a.truth == b.truth
    assert a.records != c.records


def test_world_has_marketing_sales_won_lost_and_open() -> None:
    world = simulate(n_accounts=1500, seed=11)
    records = world.records
    outcomes = Counter(d.outcome for d in records.deals)
    assert set(outcomes) == {jk.Outcome.WON, jk.Outcome.LOST, jk.Outcome.OPEN}
    teams = Counter((t.team, t.reach) for t in records.touchpoints)
    assert teams[jk.Team.MARKETING, jk.Reach.ONE_TO_MANY] > 0
    assert teams[jk.Team.MARKETING, jk.Reach.ONE_TO_ONE] > 0  # the SDR's emails
    assert teams[jk.Team.SALES, jk.Reach.ONE_TO_ONE] > 0
    assert world.truth.won == outcomes[jk.Outcome.WON]
    won_value = sum(d.value for d in records.deals if d.is_won)
    assert world.truth.value == pytest.approx(won_value)
    assert {len(records.buyers_of_account(a.id)) for a in records.accounts} <= set(range(1, 6))
    # sales only talks to accounts that have a lead, and only before the deal closes
    for deal in records.deals:
        for touch in records.touches_of_account(deal.account or ""):
            assert deal.closed_at is None or touch.time <= deal.closed_at
    for account in records.accounts:
        leads = [b.lead_at for b in records.buyers_of_account(account.id) if b.lead_at]
        for touch in records.touches_of_account(account.id):
            if touch.team is jk.Team.SALES:
                assert leads
                assert touch.time > min(leads)
    # assets are made for the stage the account was in
    assert all(t.asset is None or t.asset.startswith(t.channel) for t in records.touchpoints)


def test_records_survive_validation_and_a_json_round_trip() -> None:
    world = simulate(n_accounts=60, seed=5)
    text = jk.io.dumps(world.records)
    assert jk.io.loads(text, jk.Records) == world.records


def test_ground_truth_is_what_re_simulation_loses() -> None:
    world = simulate(n_accounts=400, seed=21)
    assert world.truth.channels["display"] == Effect(0, 0.0)
    assert sum(e.won for e in world.truth.channels.values()) > 0
    for name in [*world.truth.channels, *list(world.truth.assets)[:4]]:
        without = simulate(n_accounts=400, seed=21, switch_off=[name], ground_truth=False)
        lost = world.truth.channels.get(name) or world.truth.assets[name]
        assert world.truth.won - without.truth.won == lost.won
        assert world.truth.value - without.truth.value == pytest.approx(lost.value)
        assert all(name not in (t.channel, t.asset) for t in without.records.touchpoints)


@st.composite
def _worlds(draw: st.DrawFn) -> tuple[list[ChannelSpec], int]:
    n = draw(st.integers(1, 4))
    stages = st.lists(st.sampled_from([A, C, D]), min_size=1, max_size=3, unique=True)
    specs = []
    for i in range(n):
        chosen = draw(stages)
        effects = {s: draw(st.floats(0.0, 1.0)) for s in chosen}
        rate = draw(st.floats(0.2, 6.0))
        reach = draw(st.sampled_from(list(jk.Reach)))
        specs.append(ChannelSpec(f"c{i}", reach, rate, effects))
    idle = draw(st.lists(st.sampled_from([A, C, D]), min_size=1, max_size=3, unique=True))
    specs.append(ChannelSpec("idle", jk.Reach.ONE_TO_MANY, 4.0, dict.fromkeys(idle, 0.0)))
    return specs, draw(st.integers(0, 2**32))


@given(_worlds())
def test_switching_off_a_channel_without_effect_changes_nothing(
    world: tuple[list[ChannelSpec], int],
) -> None:
    specs, seed = world
    full = simulate(n_accounts=40, seed=seed, channels=specs)
    without = simulate(n_accounts=40, seed=seed, channels=specs, switch_off=["idle"])
    assert full.truth.channels["idle"] == Effect(0, 0.0)
    assert _outcomes(full.records) == _outcomes(without.records)
    assert full.records.buyers == without.records.buyers
    kept = [t for t in full.records.touchpoints if t.channel != "idle"]
    assert kept == list(without.records.touchpoints)


def test_stronger_effects_give_more_wins() -> None:
    base = simulate(n_accounts=800, seed=2, ground_truth=False).truth.won
    louder = simulate(
        n_accounts=800, seed=2, channels=rescale(DEFAULT_CHANNELS, {jk.Team.SALES: 3.0})
    )
    assert louder.truth.won > base
    # and the channel that was made stronger matters more
    assert louder.truth.channels["meeting"].won > 0


def test_bad_arguments_are_named() -> None:
    with pytest.raises(jk.ValidationError, match="n_accounts"):
        simulate(n_accounts=0, seed=1)
    with pytest.raises(jk.ValidationError, match="seed"):
        simulate(n_accounts=10, seed=-1)
    with pytest.raises(jk.ValidationError, match="unknown channel or asset 'tv'"):
        simulate(n_accounts=10, seed=1, switch_off=["tv"])
    with pytest.raises(jk.ValidationError, match="not one string"):
        simulate(n_accounts=10, seed=1, switch_off="email")
    twice = [DEFAULT_CHANNELS[0], DEFAULT_CHANNELS[0]]
    with pytest.raises(jk.ValidationError, match="duplicate channel 'paid_search'"):
        simulate(n_accounts=10, seed=1, channels=twice)
    with pytest.raises(jk.ValidationError, match=r"ChannelSpec 'x'.*effects.*\[0, 1\]"):
        ChannelSpec("x", jk.Reach.ONE_TO_ONE, 1.0, {A: 1.5})
    with pytest.raises(jk.ValidationError, match="rate"):
        ChannelSpec("x", jk.Reach.ONE_TO_ONE, 0.0, {A: 0.5})


def test_bundled_demo_is_the_documented_simulation() -> None:
    demo = load_demo()
    fresh = simulate(n_accounts=DEMO_ACCOUNTS, seed=DEMO_SEED)
    assert demo.records == fresh.records
    assert demo.truth == fresh.truth
    assert dict(demo.asset_multipliers) == dict(fresh.asset_multipliers)


def test_truth_shares() -> None:
    truth = GroundTruth(3, 30.0, {"a": Effect(2, 20.0), "b": Effect(1, 0.0)}, {})
    assert truth.shares() == {"a": 1.0, "b": 0.0}
    assert truth.shares(measure="conversions") == pytest.approx({"a": 2 / 3, "b": 1 / 3})
    assert GroundTruth(0, 0.0, {"a": Effect(0, 0.0)}, {}).shares() == {"a": 0.0}
    with pytest.raises(ValueError, match="by must be"):
        truth.shares("persona")


def test_spearman_matches_the_textbook_formula_with_ties() -> None:
    scipy_stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(0)
    for _ in range(20):
        a = rng.integers(0, 4, size=9).astype(float)
        b = rng.integers(0, 4, size=9).astype(float)
        want = scipy_stats.spearmanr(a, b).statistic
        got = _spearman(a, b)
        assert got == pytest.approx(want) or (np.isnan(got) and np.isnan(want))


def test_a_model_that_knows_the_truth_scores_perfectly() -> None:
    truth = GroundTruth(
        4, 40.0, {"a": Effect(3, 30.0), "b": Effect(1, 10.0), "c": Effect(0, 0)}, {}
    )
    mae, rank = score({"a": 3.0, "b": 1.0}, truth)
    assert mae == 0.0
    assert rank == pytest.approx(1.0)
    mae, rank = score({"c": 4.0}, truth)
    assert mae == pytest.approx((0.75 + 0.25 + 1.0) / 3)
    assert rank < 0


def test_accuracy_report_scores_every_model_seed_and_setting() -> None:
    report = accuracy_report(
        ["last_touch", "linear"], seeds=[0, 1], n_accounts=200, settings=["default", "sales-led"]
    )
    assert len(report.scores) == 2 * 2 * 3  # two models and the equal-shares baseline
    summary = report.summary()
    assert set(summary) == {"last_touch", "linear", "(equal shares)"}
    assert set(summary["linear"]) == {"default", "sales-led"}
    assert all(0 <= s.mae <= 1 for s in report.scores)
    table = report.table()
    assert table.splitlines()[0].startswith("| model | default MAE (pp)")
    assert len(table.splitlines()) == 5
    with pytest.raises(ValueError, match="unknown setting 'loud'"):
        accuracy_report(["linear"], settings=["loud"])
