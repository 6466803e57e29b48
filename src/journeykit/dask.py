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
>>> {k: round(v, 6) for k, v in result.by("channel", measure="value").items()}
{'email': 81.818182, 'ad': 40.909091, 'call': 27.272727}
>>> in_memory = jk.attribute(jk.from_events(events), "markov").by("channel", measure="value")
>>> {k: round(v, 6) for k, v in in_memory.items()}
{'email': 81.818182, 'ad': 40.909091, 'call': 27.272727}
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from typing import Any

import attrs

from journeykit.attribution import _engine
from journeykit.attribution._protocol import Fitted, Mergeable, Model, tags_of
from journeykit.attribution._registry import name_of
from journeykit.attribution.result import Credit, Key, Measure, _label
from journeykit.errors import ModelError, ParameterError
from journeykit.io._source import Columns
from journeykit.io.frames import from_events

__all__ = ["DaskAttribution", "attribute"]


@attrs.frozen(eq=False)
class DaskAttribution:
    """The result: per-touch credit as a dask DataFrame, and roll-ups computed on demand."""

    model: Model
    fitted: Fitted
    credit: Any  # dask DataFrame: journey, position, <columns>, share, conversions, value

    def by(self, key: Key = "channel", *, measure: Measure = "conversions") -> Credit:
        """Credit rolled up by one or more columns (computed now), largest first.

        ``measure`` is ``"conversions"`` or ``"value"``. Touches without a label are grouped
        under ``None``, as :meth:`Attribution.by <journeykit.Attribution.by>` does.
        """
        if measure not in ("conversions", "value"):
            msg = f"measure must be 'conversions' or 'value' here (got {measure!r})"
            raise ParameterError(msg)
        names = [key] if isinstance(key, str) else list(key)
        series = self.credit.groupby(names, dropna=False)[measure].sum().compute()
        items = [
            (_no_nan(label), float(amount))
            for label, amount in zip(series.index, series.tolist(), strict=True)
        ]
        items.sort(key=lambda kv: (-kv[1], _label(kv[0])))
        return Credit(items, key if isinstance(key, str) else tuple(names), measure)


def _no_nan(label: Any) -> Any:
    """Pandas' missing labels (NaN) as ``None``; tuples label by label."""
    if isinstance(label, tuple):
        return tuple(_no_nan(part) for part in label)
    return None if label is None or label != label else label  # noqa: PLR0124  # NaN test


def attribute(
    source: Any,
    /,
    model: str | Model = "linear",
    *,
    columns: Columns | None = None,
    tz: tzinfo | str | None = None,
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
    source : dask.dataframe.DataFrame
        Touch events, one row per touch.
    model : str or Model
        A registered name or a model object, by position or as ``model=``.
    columns : mapping of role to column name, or sequence of names, optional
        The frame's columns, as every reader takes them (``{"journey": "user_id", "team":
        "team"}``; see :func:`~journeykit.from_events`); the journey column is shuffled on.
    tz : tzinfo or str, optional
        For naive event times (see :func:`~journeykit.from_events`).
    **params
        Parameters of the named model.

    Returns
    -------
    DaskAttribution
        ``credit`` is a lazy dask DataFrame with one row per touch; ``by(...)`` computes roll-ups.
    """
    from dask.delayed import delayed  # noqa: PLC0415  # an optional dependency

    spec = _engine.resolve(model, params)
    roles = dict(columns) if isinstance(columns, Mapping) else {}
    journey = roles.get("journey") or "journey_id"
    whole = source.shuffle(on=journey) if source.npartitions > 1 else source
    parts = whole.to_delayed()

    def journeys_of(frame: Any) -> Any:
        return from_events(frame, columns=columns, tz=tz)

    if isinstance(spec, Mergeable):
        mergeable = spec

        def partial(frame: Any) -> Any:
            return mergeable.partial_stats(journeys_of(frame)) if len(frame) else None

        def fit_all(found: list[Any]) -> Fitted:
            return _engine.fit_stats(mergeable, [s for s in found if s is not None], where="events")

        fitted: Fitted = delayed(fit_all)([delayed(partial)(part) for part in parts]).compute()
    elif tags_of(spec).data_driven:
        msg = f"{name_of(spec)} learns from all journeys and has no partial_stats() to distribute"
        raise ModelError(msg)
    else:
        first = journeys_of(source.head(1, npartitions=-1))
        fitted = _engine.fit(spec, first)

    def credit_of(frame: Any) -> Any:
        return _engine.credit(spec, fitted, journeys_of(frame)).to_frame("pandas")

    empty = credit_of(source.head(1, npartitions=-1)).iloc[:0]
    credit = whole.map_partitions(
        lambda frame: credit_of(frame) if len(frame) else empty, meta=empty
    )
    return DaskAttribution(spec, fitted, credit)
