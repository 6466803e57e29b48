"""Studies on simulated worlds: interval coverage of the truth, and calibration's accuracy."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np

from journeykit.experiments._analysis import analyze
from journeykit.experiments._calibration import Untested, calibrate
from journeykit.experiments._units import unit_table

__all__ = ["CalibrationStudy", "CoverageStudy", "calibration_study", "coverage_study"]


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


@attrs.frozen
class CalibrationStudy:
    """Channel-share MAE of models before and after calibration by hold-outs.

    ``rows`` hold (setting, seed, model, tested channels, MAE, calibrated MAE with
    ``untested="keep"``, with ``untested="rest"``, and with ``"rest"`` fed the true effects
    instead of the measured ones: the best any experiment of these channels could do).
    """

    rows: tuple[tuple[str, int, str, tuple[str, ...], float, float, float, float], ...]
    n_accounts: int
    holdout: float

    def summary(self) -> dict[str, dict[str, tuple[float, ...]]]:
        """``{model: {setting: (MAE, keep, rest, rest with true effects)}}``, seed means."""
        groups: dict[tuple[str, str], list[tuple[float, ...]]] = {}
        for setting, _, model, _, *maes in self.rows:
            groups.setdefault((model, setting), []).append(tuple(maes))
        return {
            model: {
                setting: tuple(float(v) for v in np.mean(values, axis=0))
                for (m, setting), values in groups.items()
                if m == model
            }
            for model in dict.fromkeys(m for m, _ in groups)
        }

    def table(self) -> str:
        """Markdown: per model and setting, MAE in pp: before / keep / rest / rest (truth)."""
        summary = self.summary()
        settings = list(dict.fromkeys(r[0] for r in self.rows))
        head = "| model | " + " | ".join(settings) + " |"
        rule = "|---|" + "---:|" * len(settings)
        rows = [
            f"| {model} | "
            + " | ".join(" / ".join(f"{v * 100:.2f}" for v in by[s]) for s in settings)
            + " |"
            for model, by in summary.items()
        ]
        return "\n".join([head, rule, *rows])


def calibration_study(
    models: Sequence[str],
    *,
    seeds: Sequence[int],
    settings: Sequence[str] | None = None,
    n_accounts: int = 20_000,
    tested: int = 3,
    holdout: float = 0.5,
) -> CalibrationStudy:
    """Score models before and after calibration with hold-outs on the largest channels.

    In every setting of :data:`journeykit.datasets.accuracy.SETTINGS` (or those named) and seed,
    the ``tested`` channels with the most touches per account (largest ``ChannelSpec.rate``, as a
    team would pick its biggest spend) are each held out of ``holdout`` of the accounts. Each
    model attributes the world; the hold-outs are analysed and :func:`calibrate` folds them in;
    both are scored with :func:`journeykit.datasets.accuracy.score` against the world's truth.
    """
    from journeykit.assembly import assemble  # noqa: PLC0415  # heavy, study only
    from journeykit.attribution._api import compare  # noqa: PLC0415
    from journeykit.datasets.accuracy import SETTINGS, score  # noqa: PLC0415
    from journeykit.datasets.simulation import simulate  # noqa: PLC0415

    rows = []
    for setting in settings or tuple(SETTINGS):
        specs = SETTINGS[setting]
        largest = tuple(s.name for s in sorted(specs, key=lambda s: (-s.rate, s.name))[:tested])
        for seed in seeds:
            world = simulate(
                n_accounts=n_accounts,
                seed=seed,
                channels=specs,
                holdout=dict.fromkeys(largest, holdout),
            )
            lifts: dict[str, Any] = {}
            for channel, test in world.holdouts.items():
                table = unit_table(world.records, dict(zip(test.accounts, test.arm, strict=True)))
                lifts[channel] = analyze(table, covariates=["segment"], seed=seed)["treatment"]
            true: dict[str, Any] = {c: t.incremental_value for c, t in world.holdouts.items()}
            runs: tuple[tuple[dict[str, Any], Untested], ...] = (
                (lifts, "keep"),
                (lifts, "rest"),
                (true, "rest"),
            )
            for name, result in compare(assemble(world.records), list(models)).items():
                before, _ = score(result.by("channel", measure="value"), world.truth)
                keep, rest, best = (
                    score(
                        calibrate(result, given, untested=mode).by("channel", measure="value"),
                        world.truth,
                    )[0]
                    for given, mode in runs
                )
                rows.append((setting, seed, name, largest, before, keep, rest, best))
    return CalibrationStudy(tuple(rows), n_accounts, holdout)
