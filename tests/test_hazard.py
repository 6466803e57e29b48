"""The hazard (time-to-event) model: conformance, properties, recovery, effects and forecasts."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from numpy.typing import NDArray

import journeykit as jk
from journeykit.attribution.hazard import FittedHazard, Hazard, _run_forward
from journeykit.datasets import simulate
from journeykit.errors import ModelError
from journeykit.journeys import NAT, Column, Journeys
from journeykit.testing import strategies as jst
from journeykit.testing.checks import parametrize_with_checks

MODELS = [Hazard(), Hazard(allocation="journey")]
# tests/test_conformance.py runs the kit on every registered model with its defaults
# (allocation="global"); here the other allocation.
DAY = 86_400_000_000
EPOCH = 1_700_000_000_000_000  # microseconds: any instant will do


@pytest.mark.slow
@parametrize_with_checks([Hazard(allocation="journey")])
def test_conformance(model: Any, check: Callable[[Any], None]) -> None:
    check(model)


# -- a world drawn from the model's own likelihood ------------------------------------------------


@attrs.frozen
class Truth:
    effects: dict[str, float]  # total hazard per touch
    half_lives: dict[str, float]  # days
    rates: dict[str, float]  # touches per journey (besides the first)
    baseline: float = 0.002  # per day
    days: float = 180.0
    touch_days: float | None = None  # touches fall in [0, touch_days] (default: all days)


TRUTH = Truth(
    effects={"x": 0.35, "y": 0.2, "z": 0.0},
    half_lives={"x": 1.0, "y": 7.0, "z": 7.0},
    rates={"x": 3.0, "y": 3.0, "z": 10.0},
)


def own_world(
    truth: Truth, n: int, seed: int, *, watch: float | None = None, off: str | None = None
) -> Journeys:
    """Journeys whose conversion times follow the model: one stage, exponential decays.

    Every journey starts with a touch at its time 0; the other touches are uniform over the
    period; the conversion time solves ``Lambda(T) = E`` with ``E`` exponential (bisection).
    Touches after the conversion do not happen. ``watch`` ends the observation early. ``off``
    switches a channel off: the same draws, without its touches' effect (a true counterfactual).
    """
    rng = np.random.default_rng(seed)
    names = sorted(truth.effects)
    counts = rng.poisson([truth.rates[c] for c in names], size=(n, len(names)))
    width = int(counts.sum(axis=1).max()) + 1
    times = np.full((n, width), np.inf)
    codes = np.full((n, width), -1)
    times[:, 0] = 0.0
    codes[:, 0] = rng.integers(0, len(names), size=n)
    for i in range(n):
        drawn = np.repeat(np.arange(len(names)), counts[i])
        times[i, 1 : 1 + drawn.size] = rng.uniform(0, truth.touch_days or truth.days, drawn.size)
        codes[i, 1 : 1 + drawn.size] = drawn
    order = np.argsort(times, axis=1, kind="stable")
    times = np.take_along_axis(times, order, axis=1)
    codes = np.take_along_axis(codes, order, axis=1)
    effect = np.array([0.0 if c == off else truth.effects[c] for c in names] + [0.0])[codes]
    rate = np.log(2) / np.array([truth.half_lives[c] for c in names] + [1.0])[codes]

    def hazard(t: NDArray[np.float64]) -> NDArray[np.float64]:
        age = np.clip(t[:, None] - times, 0.0, None)
        pushed = effect * -np.expm1(-rate * age)
        total: NDArray[np.float64] = truth.baseline * t + np.where(
            np.isfinite(times), pushed, 0.0
        ).sum(axis=1)
        return total

    target = rng.exponential(size=n)
    end = truth.days if watch is None else watch
    converts = hazard(np.full(n, end)) >= target
    low, high = np.zeros(n), np.full(n, end)
    for _ in range(60):
        middle = 0.5 * (low + high)
        below = hazard(middle) < target
        low, high = np.where(below, middle, low), np.where(below, high, middle)
    when = np.where(converts, high, np.inf)
    keep = times <= np.minimum(when, end)[:, None]
    lengths = keep.sum(axis=1)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    micros = EPOCH + np.round(times[keep] * DAY).astype(np.int64)
    goal = np.where(converts, EPOCH + np.round(np.where(converts, when, 0) * DAY), NAT)
    return Journeys(
        offsets=offsets,
        time=micros,
        columns={"channel": Column(codes[keep].astype(np.int8), names)},
        journey=Column(np.arange(n, dtype=np.int32), [f"j{i:05d}" for i in range(n)]),
        conversions=converts.astype(np.float64),
        nulls=(~converts).astype(np.float64),
        value=np.where(converts, 100.0, 0.0),
        goal_time=goal.astype(np.int64),
        as_of=EPOCH + int(end * DAY),
    )


@functools.cache
def recovered() -> tuple[Journeys, FittedHazard]:
    journeys = own_world(TRUTH, 2000, seed=11)
    model = Hazard(resolution=timedelta(hours=1))
    return journeys, model.fit(journeys)


def test_recovery_effects_and_half_lives_within_intervals() -> None:
    _, fitted = recovered()
    effects = fitted.effects
    for channel in ("x", "y"):
        estimate, low, high = effects.channel_effects(channel)["conversion"]
        assert low <= TRUTH.effects[channel] <= high, (channel, estimate, low, high)
        t, t_low, t_high = effects.half_life(channel, "conversion")
        assert t_low <= TRUTH.half_lives[channel] <= t_high, (channel, t, t_low, t_high)
    rate = next(
        (e, lo, hi)
        for k, e, lo, hi in zip(
            effects.kind, effects.estimate, effects.low, effects.high, strict=True
        )
        if k == "baseline"
    )
    assert rate[1] <= TRUTH.baseline <= rate[2], rate


def test_inert_channel_gets_almost_nothing_and_its_interval_covers_zero() -> None:
    journeys, fitted = recovered()
    estimate, low, high = fitted.effects.channel_effects("z")["conversion"]
    assert low <= 0.0 <= high, (estimate, low, high)
    credit = jk.attribute(journeys, Hazard(resolution=timedelta(hours=1))).by("channel")
    assert credit["z"] / sum(credit.values()) <= 0.02, dict(credit)
    # z has the most touches by far: a model that credits touches would give it the most
    touches = np.bincount(journeys.channel.codes, minlength=3)
    assert touches[2] > touches[0] + touches[1]


def test_credit_shares_are_the_true_counterfactual_shares_of_the_models_own_world() -> None:
    # switching a channel off and replaying the same draws is the truth the credit estimates
    journeys, _ = recovered()
    converted = journeys.conversions.sum()
    lost = {c: converted - own_world(TRUTH, 2000, seed=11, off=c).conversions.sum() for c in "xyz"}
    credit = jk.attribute(journeys, Hazard(resolution=timedelta(hours=1))).by("channel")
    total, true_total = sum(credit.values()), sum(lost.values())
    assert lost["z"] == 0 < lost["y"] < lost["x"]
    for channel in "xyz":
        share, true = credit[channel] / total, lost[channel] / true_total
        assert abs(share - true) <= 0.06, (channel, share, true)


def test_the_forward_run_is_a_competing_risks_chain() -> None:
    steps, hazard, loss = 40, 0.03, 0.01
    pushes = np.zeros((3, 2, steps))
    pushes[:, 1, :] = hazard  # the second (last) stage only
    base = np.zeros((3, 2))
    base[:, 0] = hazard
    chance = _run_forward(
        pushes,
        base,
        np.full((3, 2), loss),
        np.array([1, 0, 2]),  # in the last stage, in the first, already converted
        np.array([0, 0, steps - 1]),
    )
    leave = -np.expm1(-(hazard + loss) * steps)
    one_stage = hazard / (hazard + loss) * leave
    assert chance[0] == pytest.approx(one_stage, rel=1e-12)
    assert 0.0 < chance[1] < one_stage**2 * 1.01  # two stages in a row, within the same time
    assert chance[2] == 1.0


def test_effects_table_repr_and_frame() -> None:
    _, fitted = recovered()
    frame = fitted.effects.to_frame()
    assert list(frame.columns) == ["kind", "name", "stage", "estimate", "se", "low", "high"]
    assert set(frame["kind"]) == {"baseline", "effect", "half_life"}
    known = frame.dropna()  # a half-life is NaN where the effect is 0
    assert (known["low"] <= known["estimate"]).all()
    assert (known["estimate"] <= known["high"]).all()
    assert "x@conversion" in repr(fitted.effects)


@pytest.mark.slow
def test_standard_errors_agree_with_the_bootstrap() -> None:
    journeys, fitted = recovered()
    model = Hazard(resolution=timedelta(hours=1))
    rng = np.random.default_rng(3)
    draws = []
    for _ in range(40):
        sample = journeys.select(rng.integers(0, journeys.n_journeys, journeys.n_journeys))
        refit = model.fit(sample).effects
        draws.append([refit.channel_effects(c)["conversion"][0] for c in ("x", "y")])
    spread = np.std(draws, axis=0, ddof=1)
    se = [fitted.effects.se[list(fitted.effects.name).index(c)] for c in ("x", "y")]
    np.testing.assert_allclose(spread, se, rtol=0.35)


# -- properties ------------------------------------------------------------------------------------


def shares(journeys: Journeys, model: Hazard) -> dict[str, float]:
    credit = jk.attribute(journeys, model).by("channel", measure="value")
    return {k: float(v) for k, v in credit.items()}


@pytest.mark.parametrize("model", MODELS, ids=["global", "journey"])
@settings(max_examples=25, deadline=None, database=None)
@given(journeys=jst.journeys(times=True))
def test_shifting_all_times_changes_nothing(model: Hazard, journeys: Journeys) -> None:
    shift = 86_400_000_000 * 400 + 12_345
    goal = journeys.goal_time
    moved = attrs.evolve(
        journeys,
        time=journeys.time + shift,
        goal_time=None if goal is None else np.where(goal != NAT, goal + shift, NAT),
    )
    before = model.fit(journeys).credit(journeys)
    after = model.fit(moved).credit(moved)
    np.testing.assert_allclose(after, before, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("model", MODELS, ids=["global", "journey"])
@settings(max_examples=25, deadline=None, database=None)
@given(journeys=jst.journeys(times=True))
def test_a_channel_absent_from_converting_journeys_gets_nothing(
    model: Hazard, journeys: Journeys
) -> None:
    codes = journeys.channel.codes.copy()
    converting = journeys.converting[journeys.journey_of_touch]
    codes[converting & (codes == 3)] = 0  # "d" only where nothing converts
    recoded = attrs.evolve(
        journeys, columns={**journeys.columns, "channel": Column(codes, journeys.channel.labels)}
    )
    credit = jk.attribute(recoded, model).by("channel")
    assert credit.get("d", 0.0) == 0.0


@pytest.mark.slow
@settings(max_examples=25, deadline=None, database=None)
@given(journeys=jst.journeys(times=True, milestones=False))
def test_more_non_converting_touches_never_raise_a_channels_credit(journeys: Journeys) -> None:
    model = Hazard()
    start = int(journeys.time.min())
    # the same observation window on both sides: the credit's horizon is as_of, and the extra
    # journey must add evidence, not time
    ends = [int(journeys.time.max()), start + 2 * DAY]
    if journeys.goal_time is not None and np.any(journeys.goal_time != NAT):
        ends.append(int(journeys.goal_time[journeys.goal_time != NAT].max()))
    journeys = attrs.evolve(journeys, as_of=max(ends))
    before = shares(journeys, model).get("a", 0.0)
    extra = Journeys(
        offsets=[0, 3],
        time=[start, start + DAY, start + 2 * DAY],
        columns={"channel": Column(np.zeros(3, dtype=np.int8), journeys.channel.labels)},
        journey=Column(np.zeros(1, dtype=np.int32), ["extra"]),
        conversions=[0.0],
        nulls=[1.0],
        value=[0.0],
        goal_time=None if journeys.goal_time is None else [NAT],
    )
    more = jk.journeys.concat([journeys, extra])
    after = shares(more, model).get("a", 0.0)
    assert after <= before + 1e-9 * max(1.0, abs(before)), (before, after)


# -- where the others work ---------------------------------------------------------------------------


def test_a_path_table_is_refused_naming_touch_times() -> None:
    paths = jk.read_paths([{"path": "a > b", "total_conversions": 1, "total_null": 1}])
    with pytest.raises(ModelError, match="touch times"):
        jk.attribute(paths, "hazard")


def test_unknown_covariate_names_the_column() -> None:
    journeys, _ = recovered()
    with pytest.raises(ModelError, match="'segment'"):
        Hazard(covariates="segment").fit(journeys)


def test_parameters_are_validated() -> None:
    with pytest.raises(ModelError, match="allocation"):
        Hazard(allocation="both")  # type: ignore[arg-type]
    with pytest.raises(ModelError, match="resolution"):
        Hazard(resolution=timedelta(0))
    with pytest.raises(ModelError, match="kernels"):
        Hazard(kernels=())
    assert Hazard(covariates="segment, persona").covariates == ("segment", "persona")


@functools.cache
def world() -> Any:
    return simulate(n_accounts=300, seed=5, ground_truth=False).records


@pytest.mark.parametrize(
    ("goal", "stages"),
    [
        ("lead", ("conversion",)),
        ("opportunity", ("to_stage_2", "conversion")),
        ("won", ("to_lead", "to_opportunity", "conversion")),
    ],
)
def test_goals_give_their_stages_and_conserve(goal: str, stages: tuple[str, ...]) -> None:
    journeys = jk.assemble(world(), goal=goal)
    assert journeys.as_of is not None
    assert journeys.end_time is not None
    fitted = Hazard(covariates="segment").fit(journeys)
    assert fitted.stages == stages
    result = jk.attribute(journeys, Hazard(covariates="segment"))
    touched = journeys.lengths > 0  # a conversion without touches stays unattributed
    assert np.isclose(result.total, journeys.conversions[touched].sum())
    assert np.isclose(result.total_value, journeys.value[touched].sum())


def test_chunked_fit_matches_the_whole_fit() -> None:
    journeys = jk.assemble(world())
    model = Hazard()
    # interleaved, as rows of events fall into chunks (each chunk sees every milestone kind)
    index = np.arange(journeys.n_journeys)
    parts = [journeys.select(index[::2]), journeys.select(index[1::2])]
    first, second = model.partial_stats(parts[0]), model.partial_stats(parts[1])
    stats = model.merge(first, second)
    # every episode keeps its own journey: positions of the second chunk follow the first's
    assert np.unique(stats.journey).size == (
        np.unique(first.journey).size + np.unique(second.journey).size
    )
    chunked = model.fit_from_stats(stats)
    whole = model.fit(journeys)
    np.testing.assert_allclose(
        chunked.credit(journeys), whole.credit(journeys), rtol=1e-7, atol=1e-9
    )


def test_compare_and_bootstrap_run_it() -> None:
    journeys = jk.assemble(world())
    table = jk.compare(journeys, ["linear", "hazard"])
    assert set(table) == {"linear", "hazard"}
    result = jk.analytics.bootstrap(journeys, "hazard", resamples=5, seed=1)
    assert all(i.low <= i.estimate <= i.high for i in result.intervals.values())


# -- the call list -----------------------------------------------------------------------------------


def test_forecast_lists_only_open_journeys_most_likely_first() -> None:
    journeys, fitted = recovered()
    month = fitted.predict(journeys, within=timedelta(days=30))
    year = fitted.predict(journeys, within=timedelta(days=365))
    assert len(month) == int((~journeys.converting).sum())
    assert not journeys.converting[month.index].any()
    assert np.all(np.diff(month.probability) <= 0)
    assert np.all((month.probability >= 0) & (month.probability <= 1))
    by_journey = dict(zip(year.index.tolist(), year.probability.tolist(), strict=True))
    assert all(
        by_journey[i] >= p - 1e-12 for i, p in zip(month.index, month.probability, strict=True)
    )
    assert month.top(2)[0][0] == month.journey[0]
    with pytest.raises(ModelError, match="within"):
        fitted.predict(journeys, within=timedelta(0))


@pytest.mark.slow
def test_forecast_is_calibrated_on_the_models_own_world() -> None:
    truth = attrs.evolve(TRUTH, days=240.0, touch_days=200.0)  # the forecast assumes no more
    full = own_world(truth, 4000, seed=21)
    early = own_world(truth, 4000, seed=21, watch=200.0)  # the same world, watched to day 200
    fitted = Hazard(resolution=timedelta(hours=1)).fit(early)
    forecast = fitted.predict(early, within=timedelta(days=40))
    converted = full.converting[forecast.index]
    deciles = np.array_split(np.arange(len(forecast)), 10)
    predicted = np.array([forecast.probability[d].mean() for d in deciles])
    observed = np.array([converted[d].mean() for d in deciles])
    assert abs(predicted.mean() - observed.mean()) < 0.02, (predicted, observed)
    assert np.max(np.abs(predicted - observed)) < 0.08, (predicted, observed)


def test_a_journey_that_stops_before_its_first_milestone_is_censored_there() -> None:
    from datetime import UTC, datetime  # noqa: PLC0415

    def day(n: int) -> datetime:
        return datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=n)

    records = jk.Records(
        accounts=[jk.Account("won"), jk.Account("idle")],
        buyers=[jk.Buyer("ann", account="won", lead_at=day(3)), jk.Buyer("bo", account="idle")],
        touchpoints=[
            jk.Touchpoint("t1", "ann", day(1), "webinar", jk.Reach.ONE_TO_MANY),
            jk.Touchpoint("t2", "ann", day(5), "call", jk.Reach.ONE_TO_ONE),
            jk.Touchpoint("t3", "bo", day(2), "webinar", jk.Reach.ONE_TO_MANY),
        ],
        deals=[jk.Deal("d", "won", 100.0, "EUR", day(4), jk.Outcome.WON, closed_at=day(9))],
    )
    journeys = jk.assemble(records, as_of=day(30))
    stats = Hazard().partial_stats(journeys)
    idle = journeys.journey.values().index("account:idle")
    mine = stats.journey == idle
    # The idle account never became a lead: it is at risk of doing so until as_of, so its one
    # episode (in the first stage) is censored there and enters the likelihood.
    assert mine.sum() == 1
    assert stats.stage[mine].tolist() == [0]
    assert stats.censor_weight[mine].tolist() == [1.0]
    assert stats.event_weight[mine].tolist() == [0.0]
    # ... and it is on the call list.
    calls = Hazard().fit(journeys).predict(journeys, within=timedelta(days=30))
    assert "account:idle" in list(calls.journey)
