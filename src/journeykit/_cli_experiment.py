"""``journeykit experiment assign|power|analyze``: hold-out tests from the command line.

Files are CSV with a header. ``assign`` reads unit IDs and writes ``unit,arm``; ``analyze`` reads
that assignment and an outcomes file (``unit,converted,value``, one row per unit or per deal:
rows of one unit add up) and reports every treated arm's lift.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from journeykit.errors import Problem, ValidationError

__all__ = ["add_parser"]

_RAW = argparse.RawDescriptionHelpFormatter


def _column(path: Path, header: Sequence[str] | None, name: str) -> None:
    if header is None or name not in header:
        raise ValidationError(
            [Problem(f"file {str(path)!r}", name, f"is not a column (found {list(header or [])})")]
        )


def _read(path: Path, columns: Sequence[str]) -> dict[str, list[str]]:
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        for name in columns:
            _column(path, reader.fieldnames, name)
        out: dict[str, list[str]] = {c: [] for c in columns}
        for row in reader:
            for c in columns:
                out[c].append(row[c])
    return out


def _arm(text: str) -> tuple[str, float]:
    name, sep, fraction = text.partition("=")
    try:
        share = float(fraction) if sep else None
    except ValueError:
        share = None
    if share is None:
        raise argparse.ArgumentTypeError(f"expected NAME=FRACTION, got {text!r}")
    return name, share


def _assign(args: argparse.Namespace) -> int:
    from journeykit.experiments import assign  # noqa: PLC0415  # keep --help fast

    columns = [args.unit, *([args.strata] if args.strata else [])]
    data = _read(args.file, columns)
    arms = dict(args.arm) if args.arm else {"holdout": 0.1}
    plan = assign(
        np.asarray(data[args.unit], dtype=str),
        arms=arms,
        salt=args.salt,
        strata=np.asarray(data[args.strata]) if args.strata else None,
    )
    out: TextIO = args.out.open("w", newline="") if args.out else sys.stdout
    try:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["unit", "arm"])
        writer.writerows(zip(plan.units.tolist(), plan.arm.tolist(), strict=True))
    finally:
        if args.out:
            out.close()
    counts = ", ".join(f"{a}={n:,}" for a, n in plan.counts().items())
    print(f"assigned {len(plan):,} units with salt {args.salt!r}: {counts}", file=sys.stderr)
    return 0


def _power(args: argparse.Namespace) -> int:
    from journeykit.experiments import power, sample_size  # noqa: PLC0415

    if (args.units is None) == (args.lift is None):
        raise ValidationError([Problem("experiment power", "", "give either --units or --lift")])
    common = {
        "baseline": args.baseline,
        "sd": args.sd,
        "holdout": args.holdout,
        "alpha": args.alpha,
        "power": args.power,
    }
    if args.units is not None:
        design = power(args.units, **common)
        document: dict[str, Any] = {
            "units": design.units,
            "minimum_detectable_lift": design.minimum_detectable_lift,
            "relative": design.relative,
            **common,
        }
        text = str(design)
    else:
        n = sample_size(args.lift, relative=args.relative, **common)
        document = {"units": n, "lift": args.lift, "relative_lift": args.relative, **common}
        kind = "relative" if args.relative else "absolute"
        text = (
            f"{n:,} units ({round(n * args.holdout):,} held out) detect a {kind} lift of "
            f"{args.lift:g} on {args.baseline:g} with {args.power:.0%} power "
            f"at alpha {args.alpha:g}."
        )
    print(json.dumps(document) if args.format == "json" else text)
    return 0


def _analyze(args: argparse.Namespace) -> int:
    from journeykit.experiments import analyze  # noqa: PLC0415

    plan = _read(args.assignment, ["unit", "arm"])
    units = np.asarray(plan["unit"], dtype=str)
    index: dict[str, int] = {}
    problems = []
    for i, (u, a) in enumerate(zip(plan["unit"], plan["arm"], strict=True)):
        j = index.setdefault(u, i)
        if j != i:
            where = "twice" if plan["arm"][j] == a else f"in arms {plan['arm'][j]!r} and {a!r}"
            problems.append(Problem(f"unit {u!r}", "arm", f"appears {where}"))
    if problems:
        raise ValidationError(problems)
    columns = [args.unit, args.converted, args.value, *(args.covariate or [])]
    outcomes = _read(args.file, columns)
    converted = np.zeros(units.size)
    numbers = {name: np.zeros(units.size) for name in [args.value, *(args.covariate or [])]}
    for row, u in enumerate(outcomes[args.unit]):
        if u not in index:
            continue  # not in the experiment
        i = index[u]
        converted[i] = max(converted[i], _number(outcomes[args.converted][row], u, args.converted))
        for name, array in numbers.items():
            array[i] += _number(outcomes[name][row], u, name)
    table = {"unit": units, "arm": np.asarray(plan["arm"]), args.converted: converted, **numbers}
    expected = None
    if args.expect:
        expected = dict(args.expect)
    result = analyze(
        table,
        unit="unit",
        control=args.control,
        converted=args.converted,
        value=args.value,
        covariates=args.covariate,
        expected=expected,
        seed=args.seed,
    )
    if args.format == "table":
        print(repr(result))
    elif args.format == "csv":
        frame = result.to_frame("pyarrow")
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(frame.column_names)
        writer.writerows(zip(*(frame[c].to_pylist() for c in frame.column_names), strict=True))
    else:
        print(json.dumps(_document(result)))
    return 0


def _number(text: str, unit: str, field: str) -> float:
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return float(lowered == "true")
    if lowered == "":
        return 0.0
    try:
        return float(lowered)
    except ValueError:
        raise ValidationError(
            [Problem(f"unit {unit!r}", field, f"must be a number (got {text!r})")]
        ) from None


def _document(result: Any) -> dict[str, Any]:
    def estimate(e: Any) -> dict[str, float]:
        return {"estimate": e.estimate, "low": e.low, "high": e.high}

    arms = {}
    for name, lift in result.items():
        arms[name] = {
            "units": lift.units,
            "control_units": lift.control_units,
            "conversion_rate": estimate(lift.conversion_rate),
            "value_per_unit": estimate(lift.value_per_unit),
            "incremental_conversions": estimate(lift.incremental_conversions),
            "incremental_value": estimate(lift.incremental_value),
            "relative": lift.relative,
            "p_value": lift.p_value,
            "conversion_p_value": lift.conversion_p_value,
            "variance_removed": lift.variance_removed,
            "method": lift.method,
        }
    ratio = result.sample_ratio
    return {
        "control": result.control,
        "units": dict(result.units),
        "arms": arms,
        "sample_ratio": None
        if ratio is None
        else {"p_value": ratio.p_value, "statistic": ratio.statistic, "mismatch": ratio.mismatch},
    }


def add_parser(commands: Any) -> None:
    """Register ``experiment`` and its subcommands on the command's subparsers."""
    experiment = commands.add_parser(
        "experiment",
        help="design, size and read hold-out experiments",
        description="Hold-out tests measure what a channel causes: assign units to arms, size "
        "the test, and read the lift with 95% intervals.",
        epilog="examples:\n"
        "  journeykit experiment assign accounts.csv --salt webinar-2025 --out plan.csv\n"
        "  journeykit experiment power --units 20000 --baseline 0.05\n"
        "  journeykit experiment analyze outcomes.csv --assignment plan.csv",
        formatter_class=_RAW,
    )
    sub = experiment.add_subparsers(dest="action", required=True, metavar="ACTION")

    assign = sub.add_parser(
        "assign",
        help="assign units to arms by a salted hash (units CSV in, unit,arm CSV out)",
        epilog="examples:\n"
        "  journeykit experiment assign accounts.csv --unit id --salt webinar-q3\n"
        "  journeykit experiment assign accounts.csv --salt q3 --arm holdout=0.2 "
        "--strata segment --out plan.csv",
        formatter_class=_RAW,
    )
    assign.add_argument("file", type=Path, help="CSV with one row per unit")
    assign.add_argument("--unit", default="unit", help="the unit ID column (default: unit)")
    assign.add_argument("--salt", required=True, help="names the experiment")
    assign.add_argument(
        "--arm", action="append", type=_arm, metavar="NAME=FRACTION",
        help="an arm and its share (repeatable; default holdout=0.1, the rest 'treatment')",
    )  # fmt: skip
    assign.add_argument("--strata", metavar="COLUMN", help="balance the arms within this column")
    assign.add_argument("--out", type=Path, help="write the CSV here instead of to stdout")
    assign.set_defaults(run=_assign)

    power = sub.add_parser(
        "power",
        help="minimum detectable lift for a size (--units), or size for a lift (--lift)",
        epilog="examples:\n  journeykit experiment power --units 20000 --baseline 0.05\n"
        "  journeykit experiment power --lift 0.1 --relative --baseline 0.05 --holdout 0.2\n"
        "  journeykit experiment power --units 5000 --baseline 4000 --sd 15000   # value",
        formatter_class=_RAW,
    )
    power.add_argument("--units", type=int, help="units in the test")
    power.add_argument("--lift", type=float, help="the lift to detect (absolute unless --relative)")
    power.add_argument("--relative", action="store_true", help="--lift is relative to baseline")
    power.add_argument(
        "--baseline", type=float, required=True,
        help="held-out conversion rate, or value per unit with --sd",
    )  # fmt: skip
    power.add_argument("--sd", type=float, help="standard deviation of value per unit")
    power.add_argument("--holdout", type=float, default=0.1, help="share held out (0.1)")
    power.add_argument("--alpha", type=float, default=0.05, help="two-sided level (0.05)")
    power.add_argument("--power", type=float, default=0.8, help="power (0.8)")
    power.add_argument("--format", choices=("table", "json"), default="table")
    power.set_defaults(run=_power)

    analyze = sub.add_parser(
        "analyze",
        help="read a hold-out: outcomes CSV + assignment CSV in, lifts out",
        epilog="examples:\n  journeykit experiment analyze deals.csv --assignment plan.csv\n"
        "  journeykit experiment analyze outcomes.csv --assignment plan.csv --unit account "
        "--covariate last_year --expect holdout=0.1 --expect treatment=0.9 --format json",
        formatter_class=_RAW,
    )
    analyze.add_argument("file", type=Path, help="outcomes CSV (rows of a unit add up)")
    analyze.add_argument("--assignment", type=Path, required=True, help="unit,arm CSV")
    analyze.add_argument("--unit", default="unit", help="unit column of the outcomes (unit)")
    analyze.add_argument("--converted", default="converted", help="0/1 column (converted)")
    analyze.add_argument("--value", default="value", help="value column (value)")
    analyze.add_argument("--covariate", action="append", help="pre-period column (repeatable)")
    analyze.add_argument("--control", default="holdout", help="the control arm (holdout)")
    analyze.add_argument(
        "--expect", action="append", type=_arm, metavar="ARM=FRACTION",
        help="the design's shares, for the sample-ratio check (repeatable)",
    )  # fmt: skip
    analyze.add_argument("--seed", type=int, default=0, help="bootstrap seed (0)")
    analyze.add_argument("--format", choices=("table", "csv", "json"), default="table")
    analyze.set_defaults(run=_analyze)
