"""Attribution calibrated by experiments: tested channels get what the hold-outs measured."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal

import attrs
import numpy as np

from journeykit._choices import choose
from journeykit.attribution._protocol import Fitted, Tags
from journeykit.attribution.result import Attribution
from journeykit.errors import ModelError
from journeykit.experiments._analysis import Estimate, Lift
from journeykit.journeys import Journeys

__all__ = ["Calibration", "calibrate", "combine"]

Untested = Literal["keep", "rest", "scale"]

_Z95: Final = 1.959963984540054
"""The normal quantile of a two-sided 95% interval: a measured interval's half-width over it is
the estimate's standard error."""


@attrs.frozen
class Calibration:
    """How an attribution was calibrated: the ``model`` of a calibrated :class:`Attribution`.

    Attributes
    ----------
    model : object
        The model of the attribution that was calibrated.
    measured : dict of str to Estimate
        Each tested channel's measured incremental value, with its 95% interval.
    calibrated : dict of str to float
        Each tested channel's calibrated value total: the precision-weighted mean of the measured
        value and the model's credit (the measured value itself with ``model_error=None`` or an
        exact measurement), negative results counted as 0.
    weights : dict of str to float
        The weight each tested channel's measurement got against the model's credit, in [0, 1].
    factors : dict of str to float
        The factor each channel's value credit was multiplied by.
    untested_factor : float
        The factor of every untested channel (see :func:`calibrate`'s ``untested``).
    baseline_value, baseline_conversions : float
        The attributed value (conversions) minus the calibrated credit: what the experiments say
        would have happened without the channels (or that no channel earned). Negative if the
        calibrated credit exceeds the model's.
    """

    model: Any
    measured: Mapping[str, Estimate]
    calibrated: Mapping[str, float]
    weights: Mapping[str, float]
    factors: Mapping[str, float]
    untested_factor: float
    baseline_value: float
    baseline_conversions: float

    @property
    def tags(self) -> Tags:
        """Only totals conserve, and to the calibrated total, not the journeys' value."""
        return Tags(conserves="total", data_driven=True, relabel_invariant=False)

    def fit(self, journeys: Journeys) -> Fitted:  # the model contract
        """A calibration belongs to the journeys it calibrated: it cannot be fitted to others.

        Raises
        ------
        ModelError
            Always: attribute the new journeys with the model, then calibrate that result.
        """
        msg = (
            "a calibration cannot be refitted: attribute the journeys with the model, then "
            "calibrate() that result with the measured lifts"
        )
        raise ModelError(msg)


def _measured(lift: Lift | Estimate | float) -> tuple[Estimate, Estimate | None]:
    if isinstance(lift, Lift):
        return lift.incremental_value, lift.incremental_conversions
    if isinstance(lift, Estimate):
        return lift, None
    v = float(lift)
    return Estimate(v, v, v), None


def combine(credit: float, measured: Estimate, model_error: float | None) -> tuple[float, float]:
    """The precision-weighted mean of a model's credit and a measured effect, and its weight.

    The measurement's variance comes from its 95% interval (half-width over 1.96, squared);
    the model's credit is read as an estimate of the same effect whose standard error is
    ``model_error`` times the credit. Each gets the weight of its inverse variance. An exact
    measurement, or ``model_error=None``, takes the measured value; a result below 0 counts as 0.

    Examples
    --------
    >>> from journeykit.experiments import Estimate, combine
    >>> value, weight = combine(100.0, Estimate(40.0, 40.0 - 1.96 * 50, 40.0 + 1.96 * 50), 0.5)
    >>> round(value, 2), round(weight, 3)   # standard errors 50 and 0.5 x 100: equal weights
    (70.0, 0.5)
    >>> combine(100.0, Estimate(40.0, 40.0, 40.0), 0.5)
    (40.0, 1.0)
    """
    se = (measured.high - measured.low) / (2 * _Z95)
    prior = None if model_error is None else model_error * credit
    if prior is None or se <= 0 or not np.isfinite(se):
        return max(measured.estimate, 0.0), 1.0
    if prior <= 0:  # the model is sure (no credit) only when it is given no error
        return max(credit, 0.0), 0.0
    weight = prior**2 / (prior**2 + se**2)
    return max(weight * measured.estimate + (1 - weight) * credit, 0.0), weight


def calibrate(
    attribution: Attribution,
    lifts: Mapping[str, Lift | Estimate | float],
    *,
    untested: Untested = "keep",
    model_error: float | None = 1.0,
) -> Attribution:
    """Calibrate an attribution with hold-out experiments on some of its channels.

    Every touch's credit is multiplied by a factor of its channel:

    - a **tested** channel's value total becomes the **precision-weighted mean** of what its
      hold-out measured (``Lift.incremental_value``, whose 95% interval gives its standard
      error) and the model's credit, read as an estimate whose standard error is
      ``model_error`` times itself (see :func:`combine`). A tight interval takes the
      measurement almost as is; a test too small to see the effect (its interval as wide as
      the credit) moves the credit only part of the way, so noise does not overwrite the model.
      Conversions are combined alike with the measured incremental conversions when a
      :class:`Lift` is given (else they scale like value). The model still decides which
      touches and deals of the channel get the credit.
    - the **untested** channels keep the model's relative credit; their total is a documented
      rule, ``untested``:

      ``"keep"``
          the model's (factor 1). Assumes the model is right about what it did not test.
      ``"scale"``
          the model's times the ratio of the tested channels' calibrated total to their model
          credit: the experiments say how the model's credit relates to causal value, and the
          untested channels are assumed to be over- (or under-) credited alike.
      ``"rest"``
          what the tested channels' calibrated total leaves of the attributed value (0 if
          negative): assumes nothing would have been won without the channels (no baseline).

    What is conserved: each channel's credit is the model's times one factor, so shares *within*
    a channel (across touches, deals, assets, personas) are the model's, and so are the ratios
    between untested channels. What is not: a journey's credits no longer sum to its value, and
    with ``"keep"`` or ``"scale"`` the grand total is not the attributed value. The difference is
    the **baseline** (``model.baseline_value``): value that would have been won without the
    channels; reports show it as its own line beside the channels, never spread over them. With
    ``"rest"`` the grand total is the attributed value (baseline 0) unless the calibrated tested
    credit exceeds it.

    Parameters
    ----------
    attribution : Attribution
        A result of :func:`journeykit.attribute` (on the journeys of the experiment's period).
    lifts : mapping of channel to Lift, Estimate or float
        The measured incremental value of each tested channel, over the same accounts and period
        as the attribution (``analyze(...)[arm]`` or its ``incremental_value``). A float is an
        exact measurement.
    untested : {"keep", "scale", "rest"}
        The untested channels' total (see above).
    model_error : float or None
        The standard error of the model's credit of a tested channel, relative to the credit
        (> 0): 1 says the credit may well be off by its own size, which the accuracy page finds
        for most models. ``None`` trusts the measurements alone.

    Returns
    -------
    Attribution
        Its ``model`` is a :class:`Calibration` with the measured intervals, the weights and the
        baseline.

    Raises
    ------
    ModelError
        A tested channel that has no touch, or none with credit, in the attribution; a bad
        ``untested`` or ``model_error``.

    Examples
    --------
    >>> import journeykit as jk
    >>> from journeykit.experiments import Estimate, calibrate
    >>> paths = jk.read_paths([{"path": "ad > demo", "total_conversions": 4,
    ...                         "total_conversion_value": 1000}])
    >>> result = jk.attribute(paths, "linear")
    >>> calibrated = calibrate(result, {"demo": 200.0})   # an exact measurement
    >>> dict(calibrated.by("channel", measure="value"))   # the model gave each 500
    {'ad': 500.0, 'demo': 200.0}
    >>> calibrated.model.baseline_value                   # 300 would have been won anyway
    300.0
    >>> dict(calibrate(result, {"demo": 200.0}, untested="scale").by("channel", measure="value"))
    {'ad': 200.0, 'demo': 200.0}
    >>> dict(calibrate(result, {"demo": 200.0}, untested="rest").by("channel", measure="value"))
    {'ad': 800.0, 'demo': 200.0}
    >>> noisy = calibrate(result, {"demo": Estimate(200.0, -290.0, 690.0)})  # se 250, credit 500
    >>> round(noisy.model.calibrated["demo"]), round(noisy.model.weights["demo"], 2)
    (260, 0.8)
    """
    choose(untested, Untested, "untested", error=ModelError)
    if model_error is not None and not (
        isinstance(model_error, int | float) and np.isfinite(model_error) and model_error > 0
    ):
        msg = f"model_error must be a finite number > 0 or None (got {model_error!r})"
        raise ModelError(msg)
    journeys = attribution.journeys
    channel = journeys.channel
    labels = list(channel.labels)
    value_by = attribution.by("channel", measure="value")
    conv_by = attribution.by("channel")
    measured: dict[str, Estimate] = {}
    calibrated: dict[str, float] = {}
    weights: dict[str, float] = {}
    value_factor = np.ones(len(labels))
    conv_factor = np.ones(len(labels))
    model_total = calibrated_total = 0.0
    for name, lift in lifts.items():
        if name not in labels:
            msg = f"{attribution.name}: tested channel {name!r} has no touch in the attribution"
            raise ModelError(msg)
        estimate, conversions = _measured(lift)
        credit = value_by.get(name, 0.0)
        if credit <= 0 and estimate.estimate > 0:
            msg = (
                f"{attribution.name}: tested channel {name!r} has no value credit to scale to "
                f"the measured {estimate.estimate:.6g} (the model never credits it)"
            )
            raise ModelError(msg)
        i = labels.index(name)
        target, weights[name] = combine(credit, estimate, model_error)
        measured[name], calibrated[name] = estimate, target
        value_factor[i] = target / credit if credit > 0 else 0.0
        conv_credit = conv_by.get(name, 0.0)
        conv_factor[i] = (
            combine(conv_credit, conversions, model_error)[0] / conv_credit
            if conversions is not None and conv_credit > 0
            else value_factor[i]
        )
        model_total += credit
        calibrated_total += target
    tested = np.isin(labels, list(measured))
    untested_credit = attribution.total_value - model_total
    scale = 1.0
    if untested == "rest" and untested_credit > 0:
        scale = max(attribution.total_value - calibrated_total, 0.0) / untested_credit
    elif untested == "scale" and model_total > 0:
        scale = calibrated_total / model_total
    value_factor[~tested] = scale
    conv_factor[~tested] = scale
    codes = channel.codes.astype(np.intp)
    value_credit = attribution.value_credit * value_factor[codes]
    values = journeys.value[journeys.journey_of_touch]
    value_shares = np.divide(
        value_credit, values, out=np.zeros_like(value_credit), where=values != 0
    )
    shares = attribution.shares * conv_factor[codes]
    calibration = Calibration(
        model=attribution.model,
        measured=measured,
        calibrated=calibrated,
        weights=weights,
        factors={c: float(f) for c, f in zip(labels, value_factor, strict=True)},
        untested_factor=float(scale),
        baseline_value=float(attribution.total_value - value_credit.sum()),
        baseline_conversions=float(
            attribution.total - (attribution.credit * conv_factor[codes]).sum()
        ),
    )
    return Attribution(
        journeys, shares, calibration, f"{attribution.name} (calibrated)", value_shares
    )
