"""Hold-out experiments on simulated worlds: interval coverage, calibration accuracy, speed.

Usage: ``python benchmarks/experiments.py [--coverage-worlds 50] [--calibration-seeds 0 1]
[--calibration-accounts 20000] [--speed-units 10000000] [--skip coverage,calibration,speed]``.

- **coverage**: one simulated world per seed (2,000 accounts) holds four channels out at once
  (10%, 30% or 50% of accounts, by seed); each hold-out is analysed with the segment as a
  covariate and its 95% interval of incremental value compared with the true effect on the
  treated accounts (replayed in the simulator). 50 worlds give 200 experiments.
- **calibration**: in every accuracy setting, the three channels with the most touches per
  account are each held out of half the accounts; every default model is scored (channel-share
  MAE against the truth) before and after :func:`journeykit.experiments.calibrate`.
- **speed**: ``assign`` and ``analyze`` of 10M units, each timed once in this process.

Prints Markdown tables (pasted into docs/experiments.md and benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from journeykit.datasets.accuracy import DEFAULT_MODELS
from journeykit.experiments import analyze, assign
from journeykit.experiments._study import CALIBRATIONS, calibration_study, coverage_study


def _speed(n: int) -> None:
    ids = np.char.add("acct-", np.arange(n).astype(str))
    start = time.perf_counter()
    plan = assign(ids, arms={"holdout": 0.1}, salt="speed")
    took_assign = time.perf_counter() - start
    listed = ids.tolist()
    start = time.perf_counter()
    assign(listed, arms={"holdout": 0.1}, salt="speed")
    took_list = time.perf_counter() - start
    del listed
    rng = np.random.default_rng(0)
    converted = rng.random(n) < 0.05
    value = converted * rng.lognormal(9.0, 1.0, n)
    table = {"unit": ids, "arm": plan.arm, "converted": converted, "value": value}
    start = time.perf_counter()
    analyze(table)
    took_analyze = time.perf_counter() - start
    start = time.perf_counter()
    analyze(table, unit="unit", expected=plan.fractions)
    took_checked = time.perf_counter() - start
    print(f"\n### Speed, {n:,} units (seconds)\n")
    print("| step | seconds |\n|---|---:|")
    print(f"| `assign` (numpy array of IDs) | {took_assign:.2f} |")
    print(f"| `assign` (Python list of IDs) | {took_list:.2f} |")
    print(f"| `analyze` (arm, converted, value) | {took_analyze:.2f} |")
    print(f"| `analyze` (plus unit IDs checked and sample ratio) | {took_checked:.2f} |")


def _calibration(seeds: list[int], n_accounts: int, pick: str) -> None:
    start = time.perf_counter()
    study = calibration_study(
        list(DEFAULT_MODELS),
        seeds=seeds,
        n_accounts=n_accounts,
        pick=pick,  # type: ignore[arg-type]
    )
    took = time.perf_counter() - start
    print(
        f"\n### Calibration: three largest channels by {pick}, {n_accounts:,} accounts, "
        f"seeds {seeds} (channel-share MAE, pp; {took:.0f} s)\n"
    )
    print("before / keep / scale / rest / bound\n")
    print(study.table(("keep", "scale", "rest", "bound")))
    cases = len(study.rows) // len(seeds)
    for calibration in CALIBRATIONS:
        halved = study.halved(calibration)
        print(f"\n{calibration}: halved in {len(halved)} of {cases}: {halved}")
    print(f"\nhold-outs whose 95% interval excludes 0: {study.detected:.0%} "
          f"of {len(study.experiments)}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coverage-worlds", type=int, default=50)
    parser.add_argument("--calibration-seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--calibration-accounts", type=int, default=2000)
    parser.add_argument(
        "--calibration-pick", nargs="+", default=["credit"], choices=["credit", "touches"]
    )
    parser.add_argument("--speed-units", type=int, default=10_000_000)
    parser.add_argument("--skip", default="", help="comma-separated: coverage,calibration,speed")
    args = parser.parse_args()
    skip = set(args.skip.split(",")) - {""}
    if "coverage" not in skip:
        start = time.perf_counter()
        study = coverage_study(seeds=range(args.coverage_worlds))
        print(
            f"### Coverage ({len(study.rows)} experiments, {time.perf_counter() - start:.0f} s)\n"
        )
        print(study.table())
        width = np.median([hi - lo for *_, lo, hi, _, _ in study.rows])
        print(f"\nmedian interval width of incremental value: {width:,.0f}")
    if "calibration" not in skip:
        for pick in args.calibration_pick:
            _calibration(args.calibration_seeds, args.calibration_accounts, pick)
    if "speed" not in skip:
        _speed(args.speed_units)


if __name__ == "__main__":
    main()
