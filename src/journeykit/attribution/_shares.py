"""Vectorised building blocks for per-touch shares over the CSR layout (no Python loops)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from journeykit.journeys import Journeys


def factorize(
    keys: NDArray[np.integer[Any]],
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Distinct keys (sorted), each key's index into them, and how often each occurs.

    Same as ``np.unique(keys, return_inverse=True, return_counts=True)``, but when the keys are
    non-negative and not much larger than their number it counts instead of sorting: O(n).
    """
    keys = np.asarray(keys, dtype=np.int64)
    if keys.size and keys.min() >= 0 and keys.max() < max(4 * keys.size, 1 << 16):
        counts = np.bincount(keys)
        present = np.flatnonzero(counts)
        rank = np.cumsum(counts > 0) - 1
        return present, rank[keys], counts[present]
    unique, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    return unique, inverse.ravel().astype(np.int64), counts.astype(np.int64)


def touches_per_channel(journeys: Journeys) -> NDArray[np.int64]:
    """For each touch, how many touches of its channel its journey has."""
    n_channels = max(len(journeys.channel.labels), 1)
    key = journeys.journey_of_touch * n_channels + journeys.channel.codes
    _, inverse, counts = factorize(key)
    return counts[inverse]


def sum_by(index: NDArray[Any], weights: NDArray[Any], size: int) -> NDArray[np.float64]:
    """``out[i]`` = the sum of ``weights`` where ``index == i`` (a typed ``np.bincount``)."""
    return np.bincount(index, weights=weights, minlength=size).astype(np.float64, copy=False)


def per_journey_sum(journeys: Journeys, weights: NDArray[np.float64]) -> NDArray[np.float64]:
    """Sum of ``weights`` over each journey's touches."""
    sums = np.bincount(journeys.journey_of_touch, weights=weights, minlength=journeys.n_journeys)
    return sums.astype(np.float64, copy=False)


def normalise(journeys: Journeys, weights: NDArray[Any]) -> NDArray[np.float64]:
    """Scale ``weights`` so each converting journey's shares sum to 1; others get 0.

    A converting journey whose weights are all zero gets equal shares (never silently nothing).
    """
    weights = np.asarray(weights, dtype=np.float64)
    totals = per_journey_sum(journeys, weights)
    flat = (totals == 0) & (journeys.lengths > 0)
    if np.any(flat):
        weights = np.where(flat[journeys.journey_of_touch], 1.0, weights)
        totals = np.where(flat, journeys.lengths.astype(np.float64), totals)
    scale = np.divide(
        journeys.converting, totals, out=np.zeros(journeys.n_journeys), where=totals > 0
    )
    return weights * scale[journeys.journey_of_touch]


def first_positions(journeys: Journeys) -> NDArray[np.int64]:
    """Index of each non-empty journey's first touch (-1 for empty journeys)."""
    return np.where(journeys.lengths > 0, journeys.offsets[:-1], -1)


def last_positions(journeys: Journeys) -> NDArray[np.int64]:
    """Index of each non-empty journey's last touch (-1 for empty journeys)."""
    return np.where(journeys.lengths > 0, journeys.offsets[1:] - 1, -1)


def first_flagged(journeys: Journeys, flagged: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Index of each journey's earliest flagged touch (-1 where none is flagged)."""
    return _flagged(journeys, flagged, last=False)


def last_flagged(journeys: Journeys, flagged: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Index of each journey's latest flagged touch (-1 where none is flagged)."""
    return _flagged(journeys, flagged, last=True)


def _flagged(journeys: Journeys, flagged: NDArray[np.bool_], *, last: bool) -> NDArray[np.int64]:
    # Touches are in journey order: a journey's first (last) flagged touch is where its run of
    # flagged touches starts (ends).
    touches = np.flatnonzero(flagged)
    owners = journeys.journey_of_touch[touches]
    edge = np.ones(touches.size, dtype=np.bool_)
    if last:
        edge[:-1] = owners[1:] != owners[:-1]
    else:
        edge[1:] = owners[1:] != owners[:-1]
    out = np.full(journeys.n_journeys, -1, dtype=np.int64)
    out[owners[edge]] = touches[edge]
    return out


def anchored_shares(
    journeys: Journeys, anchors: list[tuple[NDArray[np.int64], float]], rest: float
) -> NDArray[np.float64]:
    """Shares of a position model: weight on anchor touches, ``rest`` spread over the others.

    ``anchors`` pairs, per journey, the anchor touch index (-1 when the journey lacks it) with the
    anchor's weight; :func:`spread_anchored_shares` states the rules.
    """
    spread = []
    for where, weight in anchors:
        fraction = np.zeros(journeys.n_touches)
        fraction[where[where >= 0]] = 1.0
        spread.append((fraction, weight))
    return spread_anchored_shares(journeys, spread, rest)


def spread_anchored_shares(
    journeys: Journeys, anchors: list[tuple[NDArray[np.float64], float]], rest: float
) -> NDArray[np.float64]:
    """Shares of a position model whose anchors may be spread over several touches.

    ``anchors`` pairs a per-touch fraction (within each journey, the fractions of an anchor sum
    to 1 where the journey has it, and are 0 where it lacks it) with the anchor's weight. The
    rules, for each converting journey:

    - anchors that fall on the same touch add up on that touch;
    - a missing anchor's weight is spread over the present anchors in proportion to theirs;
    - ``rest`` is shared equally by the touches that anchor nothing; when every touch is an
      anchor, the anchors share everything in proportion to their weights;
    - when every present anchor weighs 0, the non-anchor touches share everything (and with none,
      all touches share equally).
    """
    n_touches, n_journeys = journeys.n_touches, journeys.n_journeys
    journey = journeys.journey_of_touch
    raw = np.zeros(n_touches)
    present_weight = np.zeros(n_journeys)
    is_anchor = np.zeros(n_touches, dtype=np.bool_)
    for fraction, weight in anchors:
        on = fraction > 0
        raw += fraction * weight
        is_anchor |= on
        present_weight += (np.bincount(journey[on], minlength=n_journeys) > 0) * weight
    anchor_count = np.bincount(journey[is_anchor], minlength=n_journeys)
    others = journeys.lengths - anchor_count
    has_others = others > 0
    anchor_scale = np.divide(
        np.where(has_others, 1.0 - rest, 1.0),
        present_weight,
        out=np.zeros(n_journeys),
        where=present_weight > 0,
    )
    middle = np.divide(
        np.where(present_weight > 0, rest, 1.0), others, out=np.zeros(n_journeys), where=has_others
    )
    weights = np.where(is_anchor, raw * anchor_scale[journey], middle[journey])
    return normalise(journeys, weights)
