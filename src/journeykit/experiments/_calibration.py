"""Attribution calibrated by experiments: tested channels get what the hold-outs measured."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import attrs
import numpy as np

from journeykit._choices import choose
from journeykit.attribution._protocol import Fitted, Tags
from journeykit.attribution.result import Attribution
from journeykit.errors import ModelError
from journeykit.experiments._analysis import Estimate, Lift
from journeykit.journeys import Journeys

__all__ = ["Calibration", "calibrate"]

Untested = Literal["keep", "rest"]


@attrs.frozen
class Calibration:
    """How an attribution was calibrated: the ``model`` of a calibrated :class:`Attribution`.

    Attributes
    ----------
    model : object
        The model of the attribution that was calibrated.
    measured : dict of str to Estimate
        Each tested channel's measured incremental value, with its 95% interval: the channel's
        calibrated value total is its ``estimate`` (negative estimates count as 0).
    factors : dict of str to float
        The factor each channel's value credit was multiplied by.
    untested_factor : float
        The factor of every untested channel: 1 (``untested="keep"``), or the unexplained value
        over the untested channels' model credit (``"rest"``).
    baseline_value, baseline_conversions : float
        The attributed value (conversions) minus the calibrated credit: what the experiments say
        would have happened without the channels (or that no channel earned). Negative if the
        measured effects exceed the model's credit.
    """

    model: Any
    measured: Mapping[str, Estimate]
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


def _measured(lift: Lift | Estimate | float) -> tuple[Estimate, float | None]:
    if isinstance(lift, Lift):
        return lift.incremental_value, lift.incremental_conversions.estimate
    if isinstance(lift, Estimate):
        return lift, None
    v = float(lift)
    return Estimate(v, v, v), None


def calibrate(
    attribution: Attribution,
    lifts: Mapping[str, Lift | Estimate | float],
    *,
    untested: Untested = "keep",
) -> Attribution:
    """Calibrate an attribution with hold-out experiments on some of its channels.

    Every touch's credit is multiplied by a factor of its channel:

    - a **tested** channel's factor makes its value total equal to the incremental value its
      hold-out measured (``Lift.incremental_value.estimate``, 0 if negative); its conversions
      total becomes the measured incremental conversions when a :class:`Lift` is given (else
      conversions scale like value). The model still decides which touches and deals of the
      channel get the credit.
    - an **untested** channel keeps the model's credit (``untested="keep"``, factor 1), or with
      ``"rest"`` the untested channels share what the experiments left unexplained, the
      attributed value minus the tested channels' measured value (0 if negative), in the
      model's proportions. Either way untested channels keep the model's relative credit.

    What is conserved: each channel's credit is the model's times one factor, so shares *within*
    a channel (across touches, deals, assets, personas) are the model's, and so are the ratios
    between untested channels. Tested channels' totals equal the measured effects exactly. What is
    not: a journey's credits no longer sum to its value, and with ``"keep"`` the grand total is
    not the attributed value. The difference is the **baseline** (``model.baseline_value``): with
    ``"keep"``, the credit the model gave tested channels beyond what they caused, value that
    would have been won without them; reports show it as its own line beside the channels.
    With ``"rest"`` the grand total is the attributed value (baseline 0) unless the measured
    effects exceed it.

    Parameters
    ----------
    attribution : Attribution
        A result of :func:`journeykit.attribute` (on the journeys of the experiment's period).
    lifts : mapping of channel to Lift, Estimate or float
        The measured incremental value of each tested channel, over the same accounts and period
        as the attribution (``analyze(...)[arm]`` or its ``incremental_value``).
    untested : {"keep", "rest"}
        How untested channels are treated (see above).

    Returns
    -------
    Attribution
        Its ``model`` is a :class:`Calibration` with the measured intervals and the baseline.

    Raises
    ------
    ModelError
        A tested channel that has no touch, or none with credit, in the attribution.

    Examples
    --------
    >>> import journeykit as jk
    >>> from journeykit.experiments import calibrate
    >>> paths = jk.read_paths([{"path": "ad > demo", "total_conversions": 4,
    ...                         "total_conversion_value": 1000}])
    >>> result = jk.attribute(paths, "linear")
    >>> calibrated = calibrate(result, {"demo": 200.0})
    >>> dict(calibrated.by("channel", measure="value"))   # the model gave each 500
    {'ad': 500.0, 'demo': 200.0}
    >>> calibrated.model.baseline_value                   # 300 would have been won anyway
    300.0
    >>> rest = calibrate(result, {"demo": 200.0}, untested="rest")
    >>> dict(rest.by("channel", measure="value"))          # ad takes the unexplained 800
    {'ad': 800.0, 'demo': 200.0}
    """
    choose(untested, Untested, "untested", error=ModelError)
    journeys = attribution.journeys
    channel = journeys.channel
    labels = list(channel.labels)
    value_by = attribution.by("channel", measure="value")
    conv_by = attribution.by("channel")
    measured: dict[str, Estimate] = {}
    value_factor = np.ones(len(labels))
    conv_factor = np.ones(len(labels))
    model_total = measured_total = 0.0
    for name, lift in lifts.items():
        if name not in labels:
            msg = f"{attribution.name}: tested channel {name!r} has no touch in the attribution"
            raise ModelError(msg)
        estimate, conversions = _measured(lift)
        credit = value_by.get(name, 0.0)
        target = max(estimate.estimate, 0.0)
        if credit <= 0 and target > 0:
            msg = (
                f"{attribution.name}: tested channel {name!r} has no value credit to scale to "
                f"the measured {estimate.estimate:.6g} (the model never credits it)"
            )
            raise ModelError(msg)
        i = labels.index(name)
        measured[name] = estimate
        value_factor[i] = target / credit if credit > 0 else 0.0
        conv_credit = conv_by.get(name, 0.0)
        conv_factor[i] = (
            max(conversions, 0.0) / conv_credit
            if conversions is not None and conv_credit > 0
            else value_factor[i]
        )
        model_total += credit
        measured_total += target
    tested = np.isin(labels, list(measured))
    scale = 1.0
    untested_credit = attribution.total_value - model_total
    if untested == "rest" and untested_credit > 0:
        scale = max(attribution.total_value - measured_total, 0.0) / untested_credit
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
