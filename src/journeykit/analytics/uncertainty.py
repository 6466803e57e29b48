"""Uncertainty of attribution: bootstrap intervals over journeys, seeded and vectorised."""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

from journeykit import budget
from journeykit._display import draw
from journeykit._frames import Backend, to_frame
from journeykit.attribution import _engine
from journeykit.attribution._protocol import Model
from journeykit.attribution.result import Key, Measure
from journeykit.errors import ParameterError
from journeykit.journeys import Journeys

__all__ = ["Interval", "bootstrap"]


@attrs.frozen
class Interval:
    """A point estimate with its bootstrap interval."""

    estimate: float
    low: float
    high: float

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high


@attrs.frozen(eq=False)
class BootstrapResult:
    """Credit by a dimension with bootstrap intervals, ordered by the point estimate."""

    dimension: Key
    measure: str
    level: float
    intervals: dict[Any, Interval]

    def to_frame(self, backend: Backend = "pandas") -> Any:
        """One row per label: estimate, low, high."""
        labels = list(self.intervals)
        return to_frame(
            {
                "label": [str(k) for k in labels],
                "estimate": [self.intervals[k].estimate for k in labels],
                "low": [self.intervals[k].low for k in labels],
                "high": [self.intervals[k].high for k in labels],
            },
            backend,
        )

    def plot(self, *, ax: Any = None) -> Any:
        """Estimates with interval bars (drawn by :func:`journeykit.plot.intervals`)."""
        return draw(self, ax=ax)

    def _repr_html_(self) -> str:
        """The notebook display: a chart and a table (see :mod:`journeykit._html`)."""
        from journeykit import _html  # noqa: PLC0415  # only notebooks pay for it

        return _html.notebook(_html.bootstrap(self))

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{k}={i.estimate:.4g} [{i.low:.4g}, {i.high:.4g}]"
            for k, i in list(self.intervals.items())[:8]
        )
        return f"BootstrapResult({self.dimension}, {self.measure}, {self.level:.0%}: {shown})"


def bootstrap(
    journeys: Journeys,
    /,
    model: str | Model = "linear",
    *,
    by: Key = "channel",
    measure: Measure = "conversions",
    resamples: int = 200,
    level: float = 0.95,
    seed: int | None = 0,
    **params: Any,
) -> BootstrapResult:
    """Bootstrap intervals for a model's credit by any dimension.

    A Poisson bootstrap: every underlying journey gets a Poisson(1) weight, so a table row that
    stands for ``c`` conversions and ``n`` non-conversions of one path (as aggregated paths do)
    resamples to Poisson(``c``) conversions and Poisson(``n``) nulls, with its value scaled alike.
    Only the per-journey weights change (the touches are shared, never copied); the model is refit
    on each resample and the credit rolled up by ``by``. The interval is the percentile interval at
    ``level``. The same seed gives the same intervals; each contains its point estimate (widened
    to include it when every resample falls on one side, which only happens with very few
    journeys).

    Parameters
    ----------
    journeys : Journeys
    model : str or Model
        A registered name or a model object, by position or as ``model=``.
    by : str or tuple of str
        The dimension to roll credit up by (as :meth:`Attribution.by
        <journeykit.Attribution.by>`).
    measure : {"conversions", "value", "cents"}
    resamples : int
        Bootstrap resamples (each refits the model).
    level : float
        Coverage of the percentile interval.
    seed : int, optional
        Seed of the Poisson weights.
    **params
        Parameters of the named model.

    Examples
    --------
    >>> import journeykit as jk
    >>> paths = jk.read_paths([{"path": "a > b", "total_conversions": 30, "total_null": 10},
    ...                        {"path": "b", "total_conversions": 5, "total_null": 40}])
    >>> result = bootstrap(paths, "markov", resamples=50, seed=1)
    >>> interval = result.intervals["a"]
    >>> interval.low <= interval.estimate <= interval.high
    True
    """
    whole = isinstance(resamples, int) and not isinstance(resamples, bool)
    if not whole or resamples < 2 or not 0 < level < 1:
        msg = f"bootstrap needs resamples >= 2 and 0 < level < 1 (got {resamples!r}, {level!r})"
        raise ParameterError(msg)
    budget.check("bootstrap", "resamples", resamples, "max_resamples")
    journeys = _engine.check_journeys(journeys, "bootstrap()")
    # Two resamples-by-journeys float arrays (conversions and nulls), allocated at once.
    cost = 2 * 8 * resamples * journeys.n_journeys
    budget.check("bootstrap", "resamples", resamples, "max_bytes", cost=cost)
    spec = _engine.resolve(model, params)
    point = _engine.run(spec, journeys).by(by, measure=measure)
    rng = np.random.default_rng(seed)
    conversions = rng.poisson(journeys.conversions, size=(resamples, journeys.n_journeys)).astype(
        np.float64
    )
    nulls = rng.poisson(journeys.nulls, size=(resamples, journeys.n_journeys)).astype(np.float64)
    per_conversion = np.divide(
        journeys.value,
        journeys.conversions,
        out=np.zeros(journeys.n_journeys),
        where=journeys.conversions > 0,
    )
    labels = list(point)
    samples = np.zeros((resamples, len(labels)))
    for row in range(resamples):
        weighted = journeys.with_values(
            conversions=conversions[row], nulls=nulls[row], value=conversions[row] * per_conversion
        )
        credit = _engine.run(spec, weighted).by(by, measure=measure)
        samples[row] = [credit.get(label, 0.0) for label in labels]
    tail = (1 - level) / 2
    low, high = np.quantile(samples, [tail, 1 - tail], axis=0)
    intervals = {
        label: Interval(point[label], min(float(lo), point[label]), max(float(hi), point[label]))
        for label, lo, hi in zip(labels, low.tolist(), high.tolist(), strict=True)
    }
    return BootstrapResult(by, measure, level, intervals)
