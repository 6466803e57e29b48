"""Distributed attribution on Dask: journeys whole per partition, one reduction of statistics.

Needs the ``dask`` extra (``pip install "journeykit[dask]"``). Works the same on a laptop's
threads, a ``dask.distributed.LocalCluster`` or a real cluster: connect a ``Client`` to the
scheduler first, and make sure the workers have journeykit installed.

Examples
--------
>>> import pandas as pd
>>> import dask.dataframe as dd
>>> import journeykit as jk
>>> import journeykit.dask as jkd
>>> events = pd.DataFrame({
...     "journey_id": ["a", "a", "b", "c", "c"],
...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-01", "2024-01-03",
...                                  "2024-01-05"], utc=True),
...     "channel": ["ad", "email", "ad", "email", "call"],
...     "converted": [False, True, False, False, True],
...     "value": [None, 100.0, None, None, 50.0],
... })
>>> result = jkd.attribute(dd.from_pandas(events, npartitions=2), "markov")
>>> result.by("channel", measure="value").round(6).to_dict()
{'email': 81.818182, 'ad': 40.909091, 'call': 27.272727}
>>> in_memory = jk.attribute(jk.from_events(events), "markov").by("channel", measure="value")
>>> {k: round(v, 6) for k, v in in_memory.items()}
{'email': 81.818182, 'ad': 40.909091, 'call': 27.272727}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import reduce
from typing import Any, Literal

import attrs
import numpy as np

from journeykit.attribution._registry import get, name_of
from journeykit.attribution.result import Attribution
from journeykit.errors import ModelError
from journeykit.io.frames import from_events

__all__ = ["DaskAttribution", "attribute"]


@attrs.frozen(eq=False)
class DaskAttribution:
    """The result: per-touch credit as a dask DataFrame, and roll-ups computed on demand."""

    model: Any
    fitted: Any
    credit: Any  # dask DataFrame: journey, position, <columns>, share, conversions, value

    def by(
        self,
        key: str | Sequence[str] = "channel",
        *,
        measure: Literal["conversions", "value"] = "conversions",
    ) -> Any:
        """Credit rolled up by one or more columns, as a computed pandas Series (largest first)."""
        names = [key] if isinstance(key, str) else list(key)
        series = self.credit.groupby(names)[measure].sum().compute()
        return series.sort_values(ascending=False, kind="stable")


def attribute(
    events: Any,
    model: str | Any = "linear",
    /,
    *,
    journey: str = "journey_id",
    columns: Mapping[str, Any] | None = None,
    **params: Any,
) -> DaskAttribution:
    """Attribute a dask DataFrame of touch events.

    The events are shuffled so each journey's rows share a partition; each partition becomes
    :class:`~journeykit.Journeys` (``from_events`` with ``columns`` as its options); data-driven
    models merge every partition's sufficient statistics in one reduction and fit once; then
    every partition is credited in parallel. The numbers equal the in-memory computation (up to
    floating-point summation order).

    Parameters
    ----------
    events : dask.dataframe.DataFrame
    model : str or model instance
    journey : str
        The journey ID column (shuffled on).
    columns : mapping, optional
        Options for :func:`~journeykit.from_events` (``time``, ``channel``, ``team``, ``tz``, ...).
    **params
        Parameters of the named model.

    Returns
    -------
    DaskAttribution
        ``credit`` is a lazy dask DataFrame with one row per touch; ``by(...)`` computes roll-ups.
    """
    from dask.delayed import delayed  # noqa: PLC0415  # an optional dependency

    spec = get(model, **params)
    options = {"journey": journey, **dict(columns or {})}
    whole = events.shuffle(on=journey) if events.npartitions > 1 else events
    parts = whole.to_delayed()

    def journeys_of(frame: Any) -> Any:
        return from_events(frame, **options)

    def partial(frame: Any) -> Any:
        return spec.partial_stats(journeys_of(frame)) if len(frame) else None

    if callable(getattr(spec, "partial_stats", None)):
        stats = [delayed(partial)(part) for part in parts]
        merged = delayed(lambda found: reduce(spec.merge, [s for s in found if s is not None]))(
            stats
        )
        fitted = delayed(spec.fit_from_stats)(merged).compute()
    elif getattr(getattr(spec, "tags", None), "data_driven", False):
        msg = f"{name_of(spec)} learns from all journeys and has no partial_stats() to distribute"
        raise ModelError(msg)
    else:
        fitted = spec

    def credit_of(frame: Any) -> Any:
        journeys = journeys_of(frame)
        shares = np.asarray(fitted.credit(journeys), dtype=np.float64)
        value_shares = None
        if callable(getattr(fitted, "credit_value", None)):
            value_shares = np.asarray(fitted.credit_value(journeys), dtype=np.float64)
        return Attribution(journeys, shares, spec, name_of(spec), value_shares).to_frame("pandas")

    empty = credit_of(events.head(1, npartitions=-1)).iloc[:0]
    credit = whole.map_partitions(
        lambda frame: credit_of(frame) if len(frame) else empty, meta=empty
    )
    return DaskAttribution(spec, fitted, credit)
