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

    ``state`` holds one state per visit and ``owner`` its journey; ``state_labels[i]`` is the k-gram
    of state ``i`` (channel labels, oldest first; shorter at a journey's start). ``visit_offsets``
    is CSR over journeys.
    """

    state: NDArray[np.int64]
    owner: NDArray[np.int64]
    state_labels: tuple[tuple[str, ...], ...]
    visit_offsets: NDArray[np.int64]


def journey_starts(journeys: Journeys) -> NDArray[np.bool_]:
    """Whether each touch is the first of its journey (one byte a touch, no position array)."""
    starts = np.zeros(journeys.n_touches, dtype=np.bool_)
    starts[journeys.offsets[:-1][journeys.lengths > 0]] = True
    return starts


def collapse_repeats(journeys: Journeys) -> NDArray[np.bool_]:
    """Touches that start a visit: a journey's first touch, and any touch changing channel."""
    codes = journeys.channel.codes
    keep = journey_starts(journeys)
    if journeys.n_touches > 1:
        keep[1:] |= codes[1:] != codes[:-1]
    return keep


def state_paths(journeys: Journeys, order: int) -> StatePaths:
    """The k-gram states of every visit (``order`` = k).

    Large inputs dominate the memory here, so the k-gram keys are built in one running sum with a
    single reused buffer rather than a visits-by-k matrix.
    """
    visits = np.flatnonzero(collapse_repeats(journeys))
    owner = journeys.journey_of_touch[visits]
    counts = np.bincount(owner, minlength=journeys.n_journeys)
    offsets = np.zeros(journeys.n_journeys + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    digits = journeys.channel.codes[visits].astype(np.int64) + 1  # 0 pads a short k-gram
    del visits
    base = len(journeys.channel.labels) + 1
    labels = journeys.channel.labels
    if digits.size == 0:
        return StatePaths(digits, owner, (), offsets)
    if order == 1:
        unique_keys, state, _ = factorize(digits)
        grams = unique_keys.reshape(-1, 1)
    elif base**order < 2**62:
        first_visit = np.zeros(digits.size, dtype=np.bool_)
        first_visit[offsets[:-1][counts > 0]] = True
        keys = digits.copy()
        shifted = digits
        alive = np.ones(digits.size, dtype=np.bool_)  # whether the k-gram reaches this far back
        for back in range(1, order):
            alive[1:] &= ~first_visit[1:]
            alive[0] = False
            shifted = np.concatenate([[0], shifted[:-1]])
            keys += np.where(alive, shifted, 0) * base**back
            alive = np.concatenate([[False], alive[:-1]]) & alive
        unique_keys, state, _ = factorize(keys)
        grams = np.stack([(unique_keys // base**m) % base for m in range(order)], axis=1)
    else:  # too many channels for one integer key: group the rows themselves
        step = np.arange(digits.size) - offsets[:-1][owner]
        history = np.zeros((digits.size, order), dtype=np.int64)
        for back in range(order):
            valid = np.flatnonzero(step >= back)
            history[valid, back] = digits[valid - back]
        grams, state = np.unique(history, axis=0, return_inverse=True)
    state_labels = tuple(
        tuple(labels[d - 1] for d in reversed(row.tolist()) if d > 0) for row in grams
    )
    return StatePaths(state.astype(np.int64).ravel(), owner, state_labels, offsets)


def channel_totals(journeys: Journeys) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per channel code: its touches' journeys' conversions and value, over converting journeys."""
    size = len(journeys.channel.labels)
    codes = journeys.channel.codes
    totals = []
    for amount in (journeys.conversions, journeys.value):
        per_touch = np.repeat(np.where(journeys.converting, amount, 0.0), journeys.lengths)
        totals.append(sum_by(codes, per_touch, size))
    return totals[0], totals[1]
