"""Studies on simulated worlds: interval coverage of the truth, and calibration's accuracy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final, Literal

import attrs
import numpy as np

from journeykit._choices import choose
from journeykit.errors import ParameterError
from journeykit.experiments._analysis import Estimate, Lift, analyze
from journeykit.experiments._calibration import calibrate
from journeykit.experiments._units import unit_table

__all__ = [
    "CALIBRATIONS",
    "PRE_PERIOD",
    "CalibrationRow",
    "CalibrationStudy",
    "CoverageStudy",
    "Experiment",
    "calibration_study",
    "coverage_study",
]


@attrs.frozen
class CoverageStudy:
    """Simulated hold-outs: each row is one experiment, its estimate and the true effect.

    ``rows`` hold (seed, channel, fraction, estimate, low, high, truth, method).
    """

    rows: tuple[tuple[int, str, float, float, float, float, float, str], ...]
    n_accounts: int

    @property
    def coverage(self) -> float:
        """The share of 95% intervals of incremental value that cover the true effect."""
        return float(np.mean([lo <= t <= hi for *_, lo, hi, t, _ in self.rows]))

    def table(self) -> str:
        """A Markdown table of coverage by hold-out fraction, then by channel."""
        by_fraction: dict[float, list[bool]] = {}
        by_channel: dict[str, list[bool]] = {}
        for _, channel, fraction, _, lo, hi, truth, _ in self.rows:
            by_fraction.setdefault(fraction, []).append(lo <= truth <= hi)
            by_channel.setdefault(channel, []).append(lo <= truth <= hi)
        lines = ["| experiments | count | coverage |", "|---|---:|---:|"]
        for label, hits in [
            *((f"{f:.0%} held out", h) for f, h in sorted(by_fraction.items())),
            *((f"`{c}` held out", h) for c, h in sorted(by_channel.items())),
        ]:
            lines.append(f"| {label} | {len(hits)} | {np.mean(hits):.1%} |")
        lines.append(f"| **all** | {len(self.rows)} | **{self.coverage:.1%}** |")
        return "\n".join(lines)


def coverage_study(
    *,
    seeds: Sequence[int],
    n_accounts: int = 2000,
    channels: Sequence[str] = ("webinar", "demo", "meeting", "email"),
    fractions: Sequence[float] = (0.1, 0.3, 0.5),
    method: str = "auto",
    covariates: Sequence[str] | None = ("segment",),
) -> CoverageStudy:
    """Run hold-outs in simulated worlds and check the 95% intervals against the truth.

    One world per seed holds every channel out at once (each from its own random stream, so the
    hold-outs are independent), at the fraction ``fractions[seed % len(fractions)]``; each
    channel's experiment is analysed on its own and its interval of incremental value compared
    with the true effect on the treated accounts (:attr:`Holdout.incremental_value`).
    """
    from journeykit.datasets.simulation import simulate  # noqa: PLC0415  # heavy, study only

    rows = []
    for seed in seeds:
        fraction = fractions[seed % len(fractions)]
        world = simulate(
            n_accounts=n_accounts,
            seed=seed,
            holdout=dict.fromkeys(channels, fraction),
            ground_truth=False,
        )
        for channel, test in world.holdouts.items():
            table = unit_table(world.records, dict(zip(test.accounts, test.arm, strict=True)))
            lift = analyze(
                table,
                method=method,  # type: ignore[arg-type]
                covariates=covariates,
                seed=seed,
            )["treatment"]
            est = lift.incremental_value
            rows.append(
                (seed, channel, fraction, est.estimate, est.low, est.high,
                 test.incremental_value, lift.method)
            )  # fmt: skip
    return CoverageStudy(tuple(rows), n_accounts)


PRE_PERIOD: Final = 10_000
"""Seed offset of the pre-period world in which a team picks the channels to test."""

Pick = Literal["credit", "touches"]

#: The calibrations a study scores, in the order of a row's errors after "before".
CALIBRATIONS: Final = ("keep", "scale", "rest", "rest, measured only", "bound")


@attrs.frozen
class CalibrationRow:
    """One model on one world, before and after calibration.

    ``errors`` maps ``"before"`` and each of :data:`CALIBRATIONS` to the channel-share MAE.
    ``"keep"``, ``"scale"`` and ``"rest"`` are :func:`calibrate`'s ``untested`` rules fed the
    measured lifts; ``"rest, measured only"`` is ``"rest"`` with ``model_error=None`` (the
    measurements taken as they are: calibration before precision weighting). ``"bound"`` gives
    the tested channels their **true** effects and the untested channels the total (in the
    model's proportions) that scores best against the truth: the lowest error any calibration by
    these hold-outs can reach, whatever the experiment's size and the rule for the untested
    total. ``"bound 5"`` (and so on, see :func:`calibration_study`'s ``deeper``) is the same
    bound had the model's five largest channels been tested, at their true effects on the world.
    """

    setting: str
    seed: int
    model: str
    tested: tuple[str, ...]
    errors: Mapping[str, float]


@attrs.frozen
class Experiment:
    """One simulated hold-out of a calibration study: what was measured and the truth.

    ``truth`` is the value the channel added to the treated accounts; ``without`` what they
    would have won without it, so ``truth / without`` is the true relative lift.
    """

    setting: str
    seed: int
    channel: str
    measured: Estimate
    truth: float
    without: float


@attrs.frozen
class CalibrationStudy:
    """Channel-share MAE of models before and after calibration by hold-outs."""

    rows: tuple[CalibrationRow, ...]
    experiments: tuple[Experiment, ...]
    n_accounts: int
    holdout: float
    pick: str

    def summary(self) -> dict[str, dict[str, dict[str, float]]]:
        """``{model: {setting: {"before" or calibration: MAE}}}``, means over the seeds."""
        groups: dict[tuple[str, str], list[Mapping[str, float]]] = {}
        for row in self.rows:
            groups.setdefault((row.model, row.setting), []).append(row.errors)
        out: dict[str, dict[str, dict[str, float]]] = {}
        for (model, setting), errors in groups.items():
            out.setdefault(model, {})[setting] = {
                k: float(np.mean([e[k] for e in errors])) for k in errors[0]
            }
        return out

    def halved(self, calibration: str) -> list[tuple[str, str]]:
        """The (model, setting) pairs whose mean MAE ``calibration`` brings to half or less."""
        return [
            (model, setting)
            for model, by in self.summary().items()
            for setting, e in by.items()
            if e[calibration] <= e["before"] / 2
        ]

    @property
    def detected(self) -> float:
        """The share of hold-outs whose 95% interval excludes 0 (the effect was detected)."""
        return float(np.mean([0.0 not in e.measured for e in self.experiments]))

    def true_lifts(self, quantiles: Sequence[float] = (0.5, 0.9)) -> list[float]:
        """Quantiles of the hold-outs' true relative lifts (``truth / without``)."""
        lifts = [e.truth / e.without for e in self.experiments if e.without > 0]
        return [float(q) for q in np.quantile(lifts, quantiles)]

    def table(self, calibrations: Sequence[str] = ("keep", "rest", "bound")) -> str:
        """Markdown: per model and setting, MAE in pp before / after each calibration."""
        summary = self.summary()
        settings = list(dict.fromkeys(r.setting for r in self.rows))
        head = "| model | " + " | ".join(settings) + " |"
        rule = "|---|" + "---:|" * len(settings)
        lines = [
            f"| {model} | "
            + " | ".join(
                " / ".join(f"{by[s][k] * 100:.2f}" for k in ("before", *calibrations))
                for s in settings
            )
            + " |"
            for model, by in summary.items()
        ]
        return "\n".join([head, rule, *lines])


def _bound(
    credit: Mapping[str, float], true: Mapping[str, float], shares: Mapping[str, float]
) -> float:
    """The lowest MAE with the tested channels at their true effects, over the untested total."""
    channels = sorted(shares)
    want = np.array([shares[c] for c in channels])
    tested = np.array([c in true for c in channels])
    fixed = np.array([max(true.get(c, 0.0), 0.0) for c in channels])
    free = np.array([0.0 if c in true else max(credit.get(c, 0.0), 0.0) for c in channels])
    fixed = fixed / fixed.sum() if fixed.sum() > 0 else fixed
    free = free / free.sum() if free.sum() > 0 else free
    untested_share = np.linspace(0.0, 1.0, 2001)[:, None]  # the free parameter, on a fine grid
    got = np.where(tested, (1 - untested_share) * fixed, untested_share * free)
    return float(np.abs(got - want).mean(axis=1).min())


def _largest(credit: Mapping[str, float], n: int) -> tuple[str, ...]:
    return tuple(sorted(sorted(credit, key=lambda c: (-credit[c], c))[:n]))


def calibration_study(
    models: Sequence[str],
    *,
    seeds: Sequence[int],
    settings: Sequence[str] | None = None,
    n_accounts: int = 2000,
    tested: int = 3,
    holdout: float = 0.5,
    pick: Pick = "credit",
    model_error: float | None = 1.0,
    deeper: Sequence[int] = (5, 7),
) -> CalibrationStudy:
    """Score models before and after calibration with hold-outs on their largest channels.

    In every setting of :data:`journeykit.datasets.accuracy.SETTINGS` (or those named) and seed,
    the ``tested`` largest channels are each held out of ``holdout`` of the accounts (each from
    its own random stream). ``pick="credit"``: a team picks the channels its model credits with
    the most value in the period before (a world of another seed, ``seed + PRE_PERIOD``), so
    each model tests its own three; ``"touches"``: the channels with the most touches per
    account (largest ``ChannelSpec.rate``), the same for every model. Each model attributes the
    experiment's world; the hold-outs are analysed (segment as covariate) and :func:`calibrate`
    folds them in; everything is scored with :func:`journeykit.datasets.accuracy.score` against
    that world's truth, which :func:`calibrate` never sees. For each count in ``deeper`` the
    row also has the bound of testing that many of the model's largest channels.
    """
    from journeykit.assembly import assemble  # noqa: PLC0415  # heavy, study only
    from journeykit.attribution._api import compare  # noqa: PLC0415
    from journeykit.datasets.accuracy import SETTINGS, score  # noqa: PLC0415
    from journeykit.datasets.simulation import simulate  # noqa: PLC0415

    choose(pick, Pick, "pick", error=ParameterError)
    rows: list[CalibrationRow] = []
    experiments: list[Experiment] = []
    for setting in settings or tuple(SETTINGS):
        specs = SETTINGS[setting]
        for seed in seeds:
            if pick == "credit":
                before = simulate(
                    n_accounts=n_accounts, seed=seed + PRE_PERIOD, channels=specs,
                    ground_truth=False,
                )  # fmt: skip
                plan = {
                    name: _largest(result.by("channel", measure="value"), tested)
                    for name, result in compare(assemble(before.records), list(models)).items()
                }
            else:
                busiest = _largest({s.name: s.rate for s in specs}, tested)
                plan = dict.fromkeys(models, busiest)
            for channels in dict.fromkeys(plan.values()):
                world = simulate(
                    n_accounts=n_accounts,
                    seed=seed,
                    channels=specs,
                    holdout=dict.fromkeys(channels, holdout),
                )
                lifts: dict[str, Lift] = {}
                for channel, test in world.holdouts.items():
                    table = unit_table(
                        world.records, dict(zip(test.accounts, test.arm, strict=True))
                    )
                    lifts[channel] = analyze(table, covariates=["segment"], seed=seed)["treatment"]
                    treated = ~test.held_out
                    experiments.append(
                        Experiment(setting, seed, channel, lifts[channel].incremental_value,
                                   test.incremental_value,
                                   float(test.value_without[treated].sum()))
                    )  # fmt: skip
                true = {c: t.incremental_value for c, t in world.holdouts.items()}
                shares = world.truth.shares()
                users = [m for m in models if plan[m] == channels]
                for name, result in compare(assemble(world.records), users).items():
                    credit = result.by("channel", measure="value")
                    errors = {"before": score(credit, world.truth)[0]}
                    for rule in ("keep", "scale", "rest"):
                        calibrated = calibrate(
                            result, lifts, untested=rule, model_error=model_error
                        )
                        errors[rule] = score(
                            calibrated.by("channel", measure="value"), world.truth
                        )[0]
                    raw = calibrate(result, lifts, untested="rest", model_error=None)
                    errors["rest, measured only"] = score(
                        raw.by("channel", measure="value"), world.truth
                    )[0]
                    errors["bound"] = _bound(credit, true, shares)
                    for more in deeper:  # had more channels been tested (true effects)
                        known = {c: world.truth.channels[c].value for c in _largest(credit, more)}
                        errors[f"bound {more}"] = _bound(credit, known, shares)
                    rows.append(CalibrationRow(setting, seed, name, channels, errors))
    return CalibrationStudy(tuple(rows), tuple(experiments), n_accounts, holdout, pick)
