"""Channel paths for data-driven models: repeats collapsed, k-gram states, per-channel totals."""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from journeykit import budget
from journeykit.attribution._shares import factorize, sum_by
from journeykit.errors import ModelError
from journeykit.journeys import Journeys, smallest_code_dtype


@attrs.frozen(eq=False)
class StatePaths:
    """Each journey's visits (consecutive repeats of a channel collapsed) as k-gram state IDs.

    ``state`` holds one state per visit (the narrowest integer type that fits), in journey order;
    ``visit_offsets`` is CSR over journeys; ``state_labels[i]`` is the k-gram of state ``i``
    (channel labels, oldest first; shorter at a journey's start).
    """

    state: NDArray[np.integer[Any]]
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

    Large inputs dominate the memory here: visits are selected with a mask (no index array),
    order 1 keeps the channel codes' narrow type, and higher orders build their k-gram keys in one
    running sum with a single reused buffer rather than a visits-by-k matrix.
    """
    keep = collapse_repeats(journeys)
    offsets = _visit_offsets(journeys, keep)
    counts = np.diff(offsets)
    codes = journeys.channel.codes[keep]
    del keep
    labels = journeys.channel.labels
    if codes.size == 0:
        return StatePaths(codes.astype(np.int64), (), offsets)
    if order == 1:
        present = np.flatnonzero(np.bincount(codes, minlength=len(labels)))
        rank = np.zeros(len(labels), dtype=smallest_code_dtype(present.size))
        rank[present] = np.arange(present.size)
        return StatePaths(rank[codes], tuple((labels[c],) for c in present.tolist()), offsets)
    # A k-gram never reaches back past its journey's start: cap the order at the longest path
    # (same states), so a huge order costs nothing; then check what the keys would take.
    asked, order = order, min(order, int(counts.max()))
    bytes_needed = codes.size * 8 * (order + 4)  # the history rows, or the key buffers
    budget.check("Markov", "order", asked, "max_bytes", cost=bytes_needed, error=ModelError)
    digits = codes.astype(np.int64) + 1  # 0 pads a short k-gram
    del codes
    base = len(labels) + 1
    if base**order < 2**62:
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
        owner = np.repeat(np.arange(counts.size), counts)
        step = np.arange(digits.size) - offsets[:-1][owner]
        history = np.zeros((digits.size, order), dtype=np.int64)
        for back in range(order):
            valid = np.flatnonzero(step >= back)
            history[valid, back] = digits[valid - back]
        grams, state = np.unique(history, axis=0, return_inverse=True)
    state_labels = tuple(
        tuple(labels[d - 1] for d in reversed(row.tolist()) if d > 0) for row in grams
    )
    return StatePaths(state.ravel(), state_labels, offsets)


def _visit_offsets(journeys: Journeys, keep: NDArray[np.bool_]) -> NDArray[np.int64]:
    """CSR offsets of the kept touches: how many are kept before each journey starts."""
    before = np.zeros(journeys.n_touches + 1, dtype=smallest_code_dtype(journeys.n_touches + 1))
    np.cumsum(keep, out=before[1:])
    return before[journeys.offsets].astype(np.int64)


def channel_totals(journeys: Journeys) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per channel code: its touches' journeys' conversions and value, over converting journeys."""
    size = len(journeys.channel.labels)
    codes = journeys.channel.codes
    totals = []
    for amount in (journeys.conversions, journeys.value):
        per_touch = np.repeat(np.where(journeys.converting, amount, 0.0), journeys.lengths)
        totals.append(sum_by(codes, per_touch, size))
    return totals[0], totals[1]
