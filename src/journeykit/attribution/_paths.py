"""Channel paths for data-driven models: repeats collapsed, k-gram states, per-channel totals."""

from __future__ import annotations

import attrs
import numpy as np
from numpy.typing import NDArray

from journeykit.attribution._shares import factorize, sum_by
from journeykit.journeys import Journeys


@attrs.frozen(eq=False)
class StatePaths:
    """Each journey's visits (consecutive repeats of a channel collapsed) as k-gram state IDs.

    ``state`` holds one state per visit; ``state_labels[i]`` is the k-gram of state ``i`` (channel
    labels, oldest first; shorter at a journey's start). ``visit_offsets`` is CSR over journeys.
    """

    state: NDArray[np.int64]
    state_labels: tuple[tuple[str, ...], ...]
    visit_offsets: NDArray[np.int64]


def collapse_repeats(journeys: Journeys) -> NDArray[np.bool_]:
    """Touches that start a visit: a journey's first touch, and any touch changing channel."""
    codes = journeys.channel.codes
    keep = np.ones(journeys.n_touches, dtype=np.bool_)
    if journeys.n_touches > 1:
        keep[1:] = (codes[1:] != codes[:-1]) | (journeys.position[1:] == 0)
    return keep


def state_paths(journeys: Journeys, order: int) -> StatePaths:
    """The k-gram states of every visit (``order`` = k)."""
    visits = np.flatnonzero(collapse_repeats(journeys))
    owner = journeys.journey_of_touch[visits]
    counts = np.bincount(owner, minlength=journeys.n_journeys)
    offsets = np.zeros(journeys.n_journeys + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    step = np.arange(visits.size) - offsets[:-1][owner]  # position among the journey's visits
    digits = journeys.channel.codes[visits].astype(np.int64) + 1  # 0 pads a short k-gram
    base = len(journeys.channel.labels) + 1
    history = np.zeros((visits.size, order), dtype=np.int64)  # column m: the channel m visits back
    for back in range(order):
        valid = step >= back
        column = np.zeros(visits.size, dtype=np.int64)
        column[valid] = digits[np.flatnonzero(valid) - back]
        history[:, back] = column
    if base**order < 2**62:
        keys = history @ (base ** np.arange(order, dtype=np.int64))
        unique_keys, state, _ = factorize(keys)
        grams = np.stack([(unique_keys // base**m) % base for m in range(order)], axis=1)
    else:  # too many channels for one integer key: group the rows themselves
        grams, state = np.unique(history, axis=0, return_inverse=True)
    labels = journeys.channel.labels
    state_labels = tuple(
        tuple(labels[d - 1] for d in reversed(row.tolist()) if d > 0) for row in grams
    )
    return StatePaths(state.astype(np.int64).ravel(), state_labels, offsets)


def channel_totals(journeys: Journeys) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per channel code: its touches' journeys' conversions and value, over converting journeys."""
    conversions = journeys.conversions[journeys.journey_of_touch]
    value = journeys.value[journeys.journey_of_touch]
    converting = journeys.converting[journeys.journey_of_touch]
    size = len(journeys.channel.labels)
    codes = journeys.channel.codes
    return (
        sum_by(codes, np.where(converting, conversions, 0.0), size),
        sum_by(codes, np.where(converting, value, 0.0), size),
    )
