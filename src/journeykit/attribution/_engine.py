"""The one engine behind every front end: resolve a model, fit it, credit journeys.

``attribute``, ``compare``, ``attribute_file``, ``journeykit.dask.attribute`` and the bootstrap
are thin front ends over these three steps, so a model behaves the same (same checks, same
errors, same fitting rules) whichever way it is called:

- :func:`fit` fits on one table of journeys, or on a stream of chunks: a :class:`Mergeable`
  model merges every chunk's statistics and fits once; a model that learns nothing (a rule model)
  fits on the first chunk; a data-driven model that cannot merge is refused with a reason.
- :func:`credit` turns a fitted model's output into an :class:`Attribution`, checking it (one
  finite number per touch) and naming the model when it is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from journeykit.attribution._protocol import (
    Fitted,
    Mergeable,
    Model,
    ValueFitted,
    tags_of,
)
from journeykit.attribution._registry import get, name_of
from journeykit.attribution.result import Attribution
from journeykit.errors import ModelError, ParameterTypeError, Problem, SchemaError
from journeykit.journeys import Journeys

__all__ = ["check_journeys", "credit", "fit", "fit_chunks", "fit_stats", "resolve", "run"]


def resolve(model: str | Model, params: Mapping[str, Any]) -> Model:
    """The model instance for a name and parameters, or the instance itself."""
    return get(model, **params)


def check_journeys(journeys: object, caller: str) -> Journeys:
    """``journeys`` if it is :class:`Journeys`, else a ``TypeError`` that says where to get one."""
    if not isinstance(journeys, Journeys):
        got = type(journeys).__name__
        msg = f"{caller} needs Journeys (from from_events, read_paths or assemble), got {got}"
        raise ParameterTypeError(msg)
    return journeys


def fit(model: Model, journeys: Journeys) -> Fitted:
    """Fit on one table of journeys."""
    fitted = model.fit(journeys)
    if not callable(getattr(fitted, "credit", None)):
        msg = f"{name_of(model)}: fit() must return an object with credit(journeys)"
        raise ModelError(msg)
    return fitted


def fit_chunks(
    model: Model, chunks: Callable[[], Iterable[Journeys]], *, where: str = "input"
) -> Fitted:
    """Fit from chunks of whole journeys, reading them at most once.

    A :class:`Mergeable` model merges every chunk's statistics (one chunk's in memory at a
    time) and fits once; a model that learns nothing fits on the first chunk; a data-driven model
    without statistics is refused. ``chunks`` is called only when the chunks are needed, and
    ``where`` names the input in the error raised when it holds no rows.
    """
    if isinstance(model, Mergeable):
        return fit_stats(model, (model.partial_stats(j) for j in chunks()), where=where)
    if tags_of(model).data_driven:
        msg = (
            f"{name_of(model)} learns from all journeys and has no partial_stats(), merge() and "
            "fit_from_stats() to fit chunk by chunk; attribute the journeys in memory instead"
        )
        raise ModelError(msg)
    first = next(iter(chunks()), None)
    if first is None:
        raise SchemaError([Problem(where, "", "has no rows")])
    return fit(model, first)


def fit_stats(model: Mergeable[Any], stats: Iterable[Any], *, where: str = "input") -> Fitted:
    """Merge chunks' statistics (computed here or elsewhere, e.g. on Dask workers) and fit once."""
    merged: Any = None
    seen = False
    for part in stats:
        merged = part if not seen else model.merge(merged, part)
        seen = True
    if not seen:
        raise SchemaError([Problem(where, "", "has no rows")])
    return model.fit_from_stats(merged)


def credit(model: Model, fitted: Fitted, journeys: Journeys) -> Attribution:
    """Credit ``journeys`` with a fitted model, checking what it returns."""
    shares = _as_shares(fitted.credit(journeys), model, journeys, "credit")
    value_shares = None
    if isinstance(fitted, ValueFitted):
        value_shares = _as_shares(fitted.credit_value(journeys), model, journeys, "credit_value")
    return Attribution(journeys, shares, model, name_of(model), value_shares)


def run(model: Model, journeys: Journeys) -> Attribution:
    """Fit on ``journeys`` and credit them: what :func:`~journeykit.attribute` does."""
    return credit(model, fit(model, journeys), journeys)


def _as_shares(array: Any, model: Model, journeys: Journeys, method: str) -> NDArray[np.float64]:
    name = name_of(model)
    try:
        shares = np.asarray(array, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        msg = f"{name}: {method}() must return numbers per touch ({exc})"
        raise ModelError(msg) from None
    if shares.shape != (journeys.n_touches,):
        msg = (
            f"{name}: {method}() must return one entry per touch ({journeys.n_touches}), "
            f"got shape {shares.shape}"
        )
        raise ModelError(msg)
    if not np.all(np.isfinite(shares)):
        touch = int(np.flatnonzero(~np.isfinite(shares))[0])
        msg = f"{name}: {method}() must return finite shares (touch {touch} is not)"
        raise ModelError(msg)
    return shares
