"""Hold-out experiments: assignment, power, analysis, calibration, the simulator's hold-outs."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import journeykit as jk
from journeykit.datasets import simulate
from journeykit.errors import JourneykitError, ModelError, ValidationError
from journeykit.experiments import (
    Calibration,
    Estimate,
    analyze,
    assign,
    calibrate,
    power,
    sample_size,
    unit_table,
)
from journeykit.experiments._design import power_of, unit_hash
from journeykit.experiments._study import _bound, calibration_study, coverage_study
from journeykit.experiments._text import duplicates, fingerprint

# numpy's fixed-width strings drop trailing NULs, so IDs never end in one (documented)
IDS = st.lists(
    st.text(min_size=1, max_size=12).filter(lambda s: not s.endswith("\x00")),
    min_size=1, max_size=60, unique=True,
)  # fmt: skip


# -- design --------------------------------------------------------------------------------------


@given(ids=IDS, data=st.data())
def test_assignment_is_stable_under_reordering_and_subsetting(
    ids: list[str], data: st.DataObject
) -> None:
    whole = assign(ids, arms={"holdout": 0.3}, salt="s")
    shuffled = data.draw(st.permutations(ids))
    subset = data.draw(st.lists(st.sampled_from(ids), min_size=1, unique=True))
    again = assign(shuffled, arms={"holdout": 0.3}, salt="s")
    part = assign(subset, arms={"holdout": 0.3}, salt="s")
    assert all(again[u] == whole[u] for u in ids)
    assert all(part[u] == whole[u] for u in subset)


def test_hash_ignores_the_width_of_the_batch_and_depends_on_the_salt() -> None:
    alone = unit_hash(["a"], "x")
    padded = unit_hash(["a", "a-much-longer-identifier"], "x")
    assert alone[0] == padded[0]
    assert unit_hash(["a"], "y")[0] != alone[0]
    assert unit_hash([17], "x")[0] == unit_hash(["17"], "x")[0]


def test_arm_shares_converge_to_the_asked_fractions() -> None:
    n = 200_000
    plan = assign(np.arange(n), arms={"holdout": 0.1, "b": 0.25}, salt="shares")
    counts = plan.counts()
    for arm, p in {"holdout": 0.1, "b": 0.25, "treatment": 0.65}.items():
        assert abs(counts[arm] / n - p) < 4 * np.sqrt(p * (1 - p) / n), arm


def test_stratified_arms_are_balanced_within_strata() -> None:
    ids = [f"u{i}" for i in range(1003)]
    strata = np.array(["smb", "mid", "ent"])[np.arange(1003) % 3]
    plan = assign(ids, arms={"holdout": 0.2}, salt="s", strata=strata)
    arm = plan.arm
    for s in ("smb", "mid", "ent"):
        inside = strata == s
        assert abs((arm[inside] == "holdout").sum() - 0.2 * inside.sum()) <= 0.5
    reordered = assign(ids[::-1], arms={"holdout": 0.2}, salt="s", strata=strata[::-1])
    assert all(reordered[u] == plan[u] for u in ids)


def test_assignment_as_a_mapping_and_a_frame() -> None:
    plan = assign(["a", "b", "c"], arms={"holdout": 0.5}, salt="m")
    assert set(plan) == {"a", "b", "c"}
    assert len(plan) == 3
    assert plan.fractions == {"holdout": 0.5, "treatment": 0.5}
    frame = plan.to_frame()
    assert list(frame.columns) == ["unit", "arm"]
    assert dict(zip(frame["unit"], frame["arm"], strict=True)) == dict(plan)
    assert repr(plan).startswith("Assignment(3 units, salt='m'")


def test_bad_designs_are_refused_with_the_unit_named() -> None:
    with pytest.raises(ValidationError, match="unit 'a': units appears more than once"):
        assign(["a", "b", "a"], salt="s")
    with pytest.raises(ValidationError, match="fractions must sum to <= 1"):
        assign(["a"], arms={"x": 0.6, "y": 0.6}, salt="s")
    with pytest.raises(ValidationError, match="strata needs one label per unit"):
        assign(["a", "b"], salt="s", strata=["x"])


# -- power: R's documented examples (stats::power.prop.test, stats::power.t.test) ---------------


def test_power_matches_r_power_prop_test() -> None:
    # ?power.prop.test: power.prop.test(n = 50, p1 = .50, p2 = .75) => power = 0.7401659
    assert power_of(100, 0.25, baseline=0.5, holdout=0.5) == pytest.approx(0.7401659, abs=1e-7)
    # power.prop.test(p1 = .50, p2 = .75, power = .90) => n = 76.65294 per group
    assert sample_size(0.25, baseline=0.5, holdout=0.5, power=0.9) == 154  # 2 x 76.65, rounded up
    design = power(154, baseline=0.5, holdout=0.5, power=0.9)
    assert design.minimum_detectable_lift == pytest.approx(0.25, abs=2e-3)


def test_power_matches_r_power_t_test() -> None:
    # ?power.t.test: power.t.test(n = 20, delta = 1) => power = 0.8689528
    assert power_of(40, 1.0, baseline=0.0, sd=1.0, holdout=0.5) == pytest.approx(
        0.8689528, abs=1e-7
    )
    # power.t.test(power = .90, delta = 1) => n = 22.02110 per group
    assert sample_size(1.0, baseline=0.0, sd=1.0, holdout=0.5, power=0.9) == 45


def test_minimum_detectable_lift_is_detected_at_the_promised_rate_in_simulation() -> None:
    rng = np.random.default_rng(5)
    design = power(8000, baseline=0.1, holdout=0.2)
    n_c, n_t = 1600, 6400
    runs = 4000
    c = rng.binomial(n_c, 0.1, runs) / n_c
    t = rng.binomial(n_t, 0.1 + design.minimum_detectable_lift, runs) / n_t
    pooled = (c * n_c + t * n_t) / (n_c + n_t)
    z = (t - c) / np.sqrt(pooled * (1 - pooled) * (1 / n_c + 1 / n_t))
    assert abs(np.mean(z > 1.959964) - 0.8) < 0.03


def test_power_refuses_impossible_designs() -> None:
    with pytest.raises(ValidationError, match="baseline a conversion rate must be in"):
        power(1000, baseline=1.5)
    with pytest.raises(ValidationError, match="holdout must be in"):
        sample_size(0.1, baseline=0.1, holdout=1.0)


# -- analysis ------------------------------------------------------------------------------------

# R's sleep data (Student 1908); ?t.test: t.test(extra ~ group, data = sleep) gives Welch
# t = -1.8608, df = 17.776, p-value = 0.07939, 95% CI -3.3654832 0.2054832 (group 1 minus 2).
SLEEP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


def _table(control: list[float], treated: list[float]) -> dict[str, object]:
    values = np.array(control + treated)
    return {
        "arm": ["holdout"] * len(control) + ["treatment"] * len(treated),
        "converted": np.zeros(values.size),
        "value": values,
    }


def test_welch_interval_matches_r_sleep_example() -> None:
    lift = analyze(_table(SLEEP_1, SLEEP_2), method="welch")["treatment"]
    est = lift.value_per_unit
    assert est.estimate == pytest.approx(1.58)
    assert (est.low, est.high) == pytest.approx((-0.2054832, 3.3654832), abs=1e-7)
    assert lift.p_value == pytest.approx(0.07939, abs=1e-5)
    assert lift.incremental_value.estimate == pytest.approx(15.8)


def _experiment(n: int, seed: int, effect: float = 0.0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    arm = np.where(rng.random(n) < 0.2, "holdout", "treatment")
    base = rng.lognormal(8.0, 1.0, n)  # last year's value
    rate = np.where(arm == "treatment", 0.1 + effect, 0.1)
    converted = rng.random(n) < rate
    value = converted * (base * rng.lognormal(0.0, 0.3, n))
    return {"unit": np.array([f"u{i}" for i in range(n)]), "arm": arm,
            "converted": converted, "value": value, "last_year": base * (rng.random(n) < 0.3)}  # fmt: skip


def test_analysis_is_invariant_to_unit_order() -> None:
    data = _experiment(3000, 1, effect=0.03)
    order = np.random.default_rng(2).permutation(3000)
    shuffled = {k: v[order] for k, v in data.items()}
    a, b = analyze(data, unit="unit")["treatment"], analyze(shuffled, unit="unit")["treatment"]
    assert a.method == b.method == "bootstrap"
    for name in ("conversion_rate", "value_per_unit", "incremental_value"):
        x, y = getattr(a, name), getattr(b, name)
        assert (x.estimate, x.low, x.high) == pytest.approx((y.estimate, y.low, y.high), rel=1e-12)
    assert a.p_value == pytest.approx(b.p_value, rel=1e-9)


def test_frames_of_any_backend_give_the_same_analysis() -> None:
    data = _experiment(2000, 12, effect=0.02)
    want = analyze(data, unit="unit", method="welch")["treatment"]
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    for frame in (pd.DataFrame(data), pl.DataFrame(data)):
        assert analyze(frame, unit="unit", method="welch")["treatment"] == want


def test_frames_string_columns_are_read_from_arrow_and_checked_exactly() -> None:
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    data = _experiment(400, 13)
    data["unit"] = np.array([f"kunde-{i}-ü" for i in range(400)])  # multi-byte UTF-8
    twice = {k: np.append(v, v[7:8]) for k, v in data.items()}
    twice["arm"][-1] = "holdout" if data["arm"][7] == "treatment" else "treatment"
    message = r"unit 'kunde-7-ü': unit appears in arms 'holdout' and 'treatment'"
    for frame in (pd.DataFrame(twice).astype({"unit": "string[pyarrow]"}), pl.DataFrame(twice)):
        with pytest.raises(ValidationError, match=message):
            analyze(frame, unit="unit", method="welch")
        # a slice starts inside the Arrow buffers: IDs keep their bytes, arms their codes
        part = frame.iloc[100:] if isinstance(frame, pd.DataFrame) else frame[100:]
        rows = {k: v[100:] for k, v in twice.items()}
        assert analyze(part, unit="unit", method="welch") == analyze(rows, method="welch")


@given(
    texts=st.lists(
        st.text(
            st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=20
        ),
        max_size=40,
    ),
    start=st.integers(0, 3),
)
def test_duplicates_are_exactly_the_repeated_texts(texts: list[str], start: int) -> None:
    pa = pytest.importorskip("pyarrow")
    want = sorted((i, j) for i in range(len(texts)) for j in range(i + 1, len(texts))
                  if texts[i] == texts[j] and texts[i] not in texts[i + 1 : j])  # fmt: skip
    arrow = pa.array(["x"] * start + texts, type=pa.large_string())[start:]
    for column in (np.array(texts, dtype=str), pa.array(texts, type=pa.string()), arrow):
        assert sorted(duplicates(column, fingerprint(column))) == want


def test_fingerprints_depend_on_the_text_only() -> None:
    pa = pytest.importorskip("pyarrow")
    texts = ["a", "ab", "b", "", "ü", "acct-0000001", "acct-0000001x", "acct-0000001"]
    for column in (np.array(texts), pa.array(texts), pa.array(["pad", *texts])[1:]):
        h = fingerprint(column)
        assert h[5] == h[7]
        assert len(set(h[:7].tolist())) == 7
    assert list(fingerprint(pa.array(texts))) == list(fingerprint(pa.array(["x", *texts])[1:]))


def test_an_aa_test_rejects_at_about_alpha() -> None:
    rejected = [
        analyze(_experiment(1000, seed), method="welch")["treatment"].conversion_p_value < 0.05
        for seed in range(300)
    ]
    assert 0.025 <= np.mean(rejected) <= 0.08


def test_a_real_effect_is_found_and_scaled_to_the_treated_population() -> None:
    data = _experiment(40_000, 3, effect=0.03)
    lift = analyze(data, expected={"holdout": 0.2, "treatment": 0.8})["treatment"]
    assert 0.03 in lift.conversion_rate
    assert lift.conversion_rate.low > 0
    assert lift.method == "welch"  # above the bootstrap budget of auto
    n_t = int((data["arm"] == "treatment").sum())
    assert lift.incremental_conversions.estimate == pytest.approx(
        lift.conversion_rate.estimate * n_t
    )
    assert lift.relative_conversion == pytest.approx(
        lift.conversion_rate.estimate / lift.control_rate
    )


def test_covariates_remove_variance_and_narrow_the_interval() -> None:
    data = _experiment(20_000, 4, effect=0.02)
    data["value"] = data["value"] + data["last_year"]  # the outcome carries last year's value
    plain = analyze(data, method="welch")["treatment"]
    adjusted = analyze(data, method="welch", covariates=["last_year"])["treatment"]
    assert adjusted.variance_removed is not None
    assert adjusted.variance_removed > 0.3
    narrow, wide = adjusted.value_per_unit, plain.value_per_unit
    assert narrow.high - narrow.low < 0.85 * (wide.high - wide.low)
    assert plain.variance_removed is None


def test_sample_ratio_mismatch_is_detected() -> None:
    data = _experiment(20_000, 6)
    ok = analyze(data, expected={"holdout": 0.2, "treatment": 0.8}, method="welch")
    bad = analyze(data, expected={"holdout": 0.15, "treatment": 0.85}, method="welch")
    assert ok.sample_ratio is not None
    assert not ok.sample_ratio.mismatch
    assert bad.sample_ratio is not None
    assert bad.sample_ratio.mismatch
    assert "sample ratio MISMATCH" in repr(bad)


def test_bad_inputs_name_the_unit_and_the_field() -> None:
    data = _experiment(100, 7)
    twice = {k: np.append(v, v[:1]) for k, v in data.items()}
    twice["arm"][-1] = "holdout" if data["arm"][0] == "treatment" else "treatment"
    with pytest.raises(
        ValidationError, match=r"unit 'u0': unit appears in arms 'holdout' and 'treatment'"
    ):
        analyze(twice, unit="unit")
    odd = {k: v.copy() for k, v in data.items()}
    odd["arm"][5] = "holdot"
    with pytest.raises(ValidationError, match=r"unit 'u5': arm unknown arm 'holdot'"):
        analyze(odd, unit="unit", expected={"holdout": 0.2, "treatment": 0.8})
    with pytest.raises(ValidationError, match=r"arm 'b': arm is empty"):
        analyze(data, expected={"holdout": 0.2, "treatment": 0.7, "b": 0.1})
    nan = {k: v.copy() for k, v in data.items()}
    nan["value"][9] = np.nan
    with pytest.raises(ValidationError, match=r"unit 'u9': value is NaN"):
        analyze(nan, unit="unit")
    with pytest.raises(ValidationError, match=r"row 9: value is NaN"):
        analyze(nan)
    with pytest.raises(ValidationError, match=r"arm 'control': arm the control arm has no unit"):
        analyze(data, control="control")
    with pytest.raises(ValidationError, match="spend is not a column"):
        analyze(data, value="spend")
    assert issubclass(ValidationError, JourneykitError)
    assert issubclass(ValidationError, ValueError)


def test_results_have_a_repr_a_frame_and_a_figure() -> None:
    result = analyze(_experiment(2000, 8, effect=0.05), expected={"holdout": 0.2, "treatment": 0.8})
    assert repr(result).startswith("Analysis(control='holdout', units: ")
    frame = result.to_frame()
    assert list(frame["metric"]) == [
        "conversion_rate", "value_per_unit", "incremental_conversions", "incremental_value"
    ]  # fmt: skip
    assert frame["estimate"].iloc[3] == result["treatment"].incremental_value.estimate
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    ax = result.plot()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["treatment"]
    plt.close("all")


# -- the simulator's hold-outs and calibration --------------------------------------------------


@pytest.fixture(scope="module")
def world() -> jk.datasets.Simulation:
    return simulate(n_accounts=600, seed=11, holdout={"webinar": 0.3, "demo": 0.3})


def test_holdouts_keep_every_other_draw_and_know_the_true_effect(
    world: jk.datasets.Simulation,
) -> None:
    plain = simulate(n_accounts=600, seed=11, ground_truth=False)
    alone = simulate(n_accounts=600, seed=11, holdout={"webinar": 0.3}, ground_truth=False)
    test = alone.holdouts["webinar"]
    won = {d.account: d.value for d in plain.records.deals if d.outcome is jk.Outcome.WON}
    with_channel = np.array([won.get(a, 0.0) for a in test.accounts])
    np.testing.assert_array_equal(test.value_with, with_channel)  # the world without hold-out
    held = {a for a, h in zip(test.accounts, test.held_out, strict=True) if h}
    buyers = {b.id: b.account for b in alone.records.buyers}
    webinar = {buyers[t.buyer] for t in alone.records.touchpoints if t.channel == "webinar"}
    assert held
    assert not held & webinar
    assert world.truth.channels["webinar"].value == pytest.approx(
        world.holdouts["webinar"].incremental_value
    )
    assert world.holdouts["webinar"].held_out.tolist() != world.holdouts["demo"].held_out.tolist()


def test_simulate_refuses_bad_holdouts() -> None:
    with pytest.raises(ValidationError, match="holdout unknown channel 'fax'"):
        simulate(n_accounts=10, seed=0, holdout={"fax": 0.1})
    with pytest.raises(ValidationError, match=r"holdout webinar: must be in \(0, 1\)"):
        simulate(n_accounts=10, seed=0, holdout={"webinar": 1.0})


def test_unit_tables_from_records_and_journeys_agree(world: jk.datasets.Simulation) -> None:
    test = world.holdouts["webinar"]
    plan = dict(zip(test.accounts, test.arm, strict=True))
    from_records = unit_table(world.records, plan)
    from_journeys = unit_table(jk.assemble(world.records), plan)
    np.testing.assert_array_equal(from_records["value"], from_journeys["value"])
    np.testing.assert_array_equal(from_records["converted"], from_journeys["converted"])
    np.testing.assert_array_equal(
        from_records["value"], np.where(test.held_out, test.value_without, test.value_with)
    )


def _calibration(result: jk.Attribution) -> Calibration:
    assert isinstance(result.model, Calibration)
    return result.model


def test_calibration_sets_tested_totals_and_keeps_untested_credit(
    world: jk.datasets.Simulation,
) -> None:
    result = jk.attribute(jk.assemble(world.records), "linear")
    measured: dict[str, Estimate | float] = {"webinar": Estimate(3e5, 1e5, 5e5), "demo": 2e5}
    calibrated = calibrate(result, measured, model_error=None)  # the measurements alone
    before = result.by("channel", measure="value")
    after = calibrated.by("channel", measure="value")
    assert after["webinar"] == pytest.approx(3e5)
    assert after["demo"] == pytest.approx(2e5)
    for channel in set(before) - {"webinar", "demo"}:
        assert after[channel] == pytest.approx(before[channel])
    calibration = calibrated.model
    assert isinstance(calibration, Calibration)
    with pytest.raises(jk.ModelError, match="cannot be refitted"):
        calibration.fit(result.journeys)
    assert calibration.measured["webinar"] == Estimate(3e5, 1e5, 5e5)
    assert calibration.baseline_value == pytest.approx(result.total_value - after.total)
    rest = calibrate(result, measured, untested="rest", model_error=None)
    assert rest.by("channel", measure="value").total == pytest.approx(result.total_value)
    scale = calibrate(result, measured, untested="scale", model_error=None)
    tested_credit = before["webinar"] + before["demo"]
    assert _calibration(scale).untested_factor == pytest.approx(5e5 / tested_credit)
    for other in (rest, scale):
        by = other.by("channel", measure="value")
        ratio = by["email"] / before["email"]
        assert ratio == pytest.approx(_calibration(other).untested_factor)
        assert by["call"] / before["call"] == pytest.approx(ratio)
    within = calibrated.by(("channel", "asset"), measure="value")
    shares = result.by(("channel", "asset"), measure="value")
    key = next(k for k in within if k[0] == "webinar")
    assert within[key] / after["webinar"] == pytest.approx(shares[key] / before["webinar"])


def test_calibration_with_a_lift_uses_its_incremental_conversions(
    world: jk.datasets.Simulation,
) -> None:
    test = world.holdouts["demo"]
    table = unit_table(world.records, dict(zip(test.accounts, test.arm, strict=True)))
    lift = analyze(table, covariates=["segment"])["treatment"]
    result = jk.attribute(jk.assemble(world.records), "shapley")
    calibrated = calibrate(result, {"demo": lift}, model_error=None)
    if lift.incremental_value.estimate > 0:
        assert calibrated.by("channel", measure="value")["demo"] == pytest.approx(
            lift.incremental_value.estimate
        )
    assert calibrated.by("channel")["demo"] == pytest.approx(
        max(lift.incremental_conversions.estimate, 0.0)
    )
    with pytest.raises(ModelError, match="tested channel 'fax' has no touch"):
        calibrate(result, {"fax": 1.0})
    with pytest.raises(ModelError, match="untested must be"):
        calibrate(result, {"demo": 1.0}, untested="spread")  # type: ignore[arg-type]
    with pytest.raises(ModelError, match="model_error must be a finite number > 0"):
        calibrate(result, {"demo": 1.0}, model_error=0.0)


def test_calibration_weighs_measurement_and_model_by_their_precision(
    world: jk.datasets.Simulation,
) -> None:
    result = jk.attribute(jk.assemble(world.records), "linear")
    credit = result.by("channel", measure="value")["webinar"]
    se = credit / 2  # the measurement's standard error: half the credit
    half = 1.959963984540054 * se
    measured = Estimate(0.0, -half, half)  # the experiment saw nothing, with this precision
    # model_error=0.5: the credit's standard error equals the measurement's: equal weights
    calibrated = calibrate(result, {"webinar": measured}, model_error=0.5)
    assert _calibration(calibrated).weights["webinar"] == pytest.approx(0.5)
    assert calibrated.by("channel", measure="value")["webinar"] == pytest.approx(credit / 2)
    # a less trusted model moves further to the measurement: weight 4 / 5 at model_error=1
    looser = calibrate(result, {"webinar": measured}, model_error=1.0)
    assert _calibration(looser).weights["webinar"] == pytest.approx(0.8)
    assert _calibration(looser).calibrated["webinar"] == pytest.approx(credit * 0.2)
    # an exact measurement (a float) is taken as it is, whatever the model's error
    exact = calibrate(result, {"webinar": 0.0}, model_error=0.5)
    assert _calibration(exact).weights["webinar"] == 1.0
    assert exact.by("channel", measure="value").get("webinar", 0.0) == 0.0


# -- the command ---------------------------------------------------------------------------------


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "journeykit", "experiment", *args],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


@pytest.mark.slow
def test_command_assigns_sizes_and_analyses(tmp_path: Path) -> None:
    data = _experiment(3000, 9, effect=0.04)
    units = tmp_path / "units.csv"
    units.write_text(
        "id,segment\n" + "".join(f"{u},s{i % 2}\n" for i, u in enumerate(data["unit"]))
    )
    plan = tmp_path / "plan.csv"
    done = _run("assign", str(units), "--unit", "id", "--salt", "q3", "--arm", "holdout=0.2",
                "--strata", "segment", "--out", str(plan))  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(plan.read_text().splitlines()))
    want = assign(
        data["unit"], arms={"holdout": 0.2}, salt="q3", strata=[f"s{i % 2}" for i in range(3000)]
    )
    assert {r["unit"]: r["arm"] for r in rows} == dict(want)

    sized = _run("power", "--lift", "0.25", "--baseline", "0.5", "--holdout", "0.5", "--power", "0.9",
                 "--format", "json")  # fmt: skip
    assert sized.returncode == 0, sized.stderr
    assert json.loads(sized.stdout)["units"] == 154

    arms = dict(want)
    outcomes = tmp_path / "outcomes.csv"
    with outcomes.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["account", "converted", "value"])
        writer.writerows(
            zip(data["unit"], data["converted"].astype(int), data["value"], strict=True)
        )
    done = _run("analyze", str(outcomes), "--assignment", str(plan), "--unit", "account",
                "--expect", "holdout=0.2", "--expect", "treatment=0.8", "--format", "json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    table = {"unit": data["unit"], "arm": np.array([arms[u] for u in data["unit"]]),
             "converted": data["converted"], "value": data["value"]}  # fmt: skip
    lift = analyze(table, unit="unit")["treatment"]
    got = document["arms"]["treatment"]["incremental_value"]
    assert got["estimate"] == pytest.approx(lift.incremental_value.estimate, rel=1e-9)
    assert document["sample_ratio"]["mismatch"] is False


def test_command_has_help_with_examples(capsys: pytest.CaptureFixture[str]) -> None:
    from journeykit.cli import main  # noqa: PLC0415

    with pytest.raises(SystemExit) as done:
        main(["experiment", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out
    assert "journeykit experiment analyze" in out


def test_command_reports_a_unit_in_two_arms(tmp_path: Path) -> None:
    plan = tmp_path / "plan.csv"
    plan.write_text("unit,arm\na,holdout\nb,treatment\na,treatment\n")
    outcomes = tmp_path / "outcomes.csv"
    outcomes.write_text("unit,converted,value\na,1,10\n")
    done = _run("analyze", str(outcomes), "--assignment", str(plan))
    assert done.returncode == 2
    assert "unit 'a': arm appears in arms 'holdout' and 'treatment'" in done.stderr
    assert "Traceback" not in done.stderr


# -- studies on simulated worlds (the docs' tables come from benchmarks/experiments.py) ---------


@pytest.mark.slow
def test_intervals_cover_the_true_effect() -> None:
    study = coverage_study(seeds=range(12))  # the benchmark's first 12 worlds
    assert len(study.rows) == 48
    assert 0.85 <= study.coverage <= 1.0


@pytest.mark.slow
def test_calibration_lowers_the_error_of_a_rule_model() -> None:
    study = calibration_study(["linear"], seeds=[0], settings=["default"], n_accounts=6000)
    (row,) = study.rows
    e = row.errors
    assert len(row.tested) == 3
    assert len(study.experiments) == 3
    assert e["keep"] < e["before"]
    assert e["rest"] < e["before"]
    # the bound knows the truth: no calibration of the same channels does better
    assert e["bound"] <= min(e["keep"], e["scale"], e["rest"])
    assert e["bound 7"] < e["bound"]  # knowing more channels' true effects can only help
    assert study.halved("before") == []  # "before" is never half of itself
    halved = e["bound 7"] <= e["before"] / 2
    assert study.halved("bound 7") == ([("linear", "default")] if halved else [])
    seen = [x.measured.low > 0 or x.measured.high < 0 for x in study.experiments]
    assert study.detected == pytest.approx(np.mean(seen))
    touches = calibration_study(
        ["linear"], seeds=[0], settings=["default"], n_accounts=600, pick="touches", deeper=()
    )
    assert touches.rows[0].tested == ("display", "email", "paid_social")
    with pytest.raises(jk.ParameterError, match="pick"):
        calibration_study(["linear"], seeds=[0], pick="spend")  # type: ignore[arg-type]


def test_the_calibration_bound_searches_the_untested_total() -> None:
    # a at its true 3, b and c keep the model's 1 : 2; truth 50/25/25: best with half untested
    bound = _bound({"a": 1.0, "b": 1.0, "c": 2.0}, {"a": 3.0}, {"a": 0.5, "b": 0.25, "c": 0.25})
    assert bound == pytest.approx(1 / 18)
