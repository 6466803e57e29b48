"""Turning channel-level results into per-touch shares: the two allocations of global models."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from journeykit.attribution._shares import normalise, touches_per_channel
from journeykit.errors import ModelError
from journeykit.journeys import Journeys


def global_totals(
    weights: Mapping[str, float],
    total: float,
    channels: Sequence[str],
    denominators: NDArray[np.float64],
    *,
    model: str,
) -> dict[str, float]:
    """Each channel's total: ``total`` split in proportion to the channels' fitted weights.

    Only channels with touches in converting journeys (``denominators > 0``) can carry credit,
    so the split runs over them; the others get 0 (for Markov their weight is 0 anyway).
    """
    carried = {
        c: float(weights.get(c, 0.0))
        for c, d in zip(channels, denominators.tolist(), strict=True)
        if d > 0
    }
    mass = sum(carried.values())
    if total == 0 or not carried:
        return dict.fromkeys(channels, 0.0)
    if mass <= 0:
        msg = (
            f"{model}: the fitted weights of the channels in converting journeys sum to {mass:g}, "
            "so there is nothing to split the total by; use allocation='journey'"
        )
        raise ModelError(msg)
    return {c: total * carried[c] / mass if c in carried else 0.0 for c in channels}


def global_shares(
    journeys: Journeys,
    totals: Mapping[str, float],
    channels: Sequence[str],
    denominators: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Spread each channel's total over its touches in converting journeys.

    ``denominators[i]`` is what the fitted journeys summed over channel ``channels[i]``'s touches
    in converting journeys (their conversions, or value), so a touch's share times its journey's
    amount gives the channel exactly its total on the journeys it was fitted on.
    """
    labels = journeys.channel.labels
    fitted = {c: i for i, c in enumerate(channels)}
    per_unit = np.zeros(len(labels) + 1)
    for code, label in enumerate(labels):
        index = fitted.get(label)
        if index is not None and denominators[index] > 0:
            per_unit[code] = totals.get(label, 0.0) / denominators[index]
    shares: NDArray[np.float64] = per_unit[journeys.channel.codes]
    shares[~journeys.converting[journeys.journey_of_touch]] = 0.0
    return shares


def journey_shares(journeys: Journeys, weights: Mapping[str, float]) -> NDArray[np.float64]:
    """Split each converting journey over its channels by their weights, renormalised within it.

    A channel's part is shared equally by its touches in the journey; negative weights count as 0,
    and a journey whose channels all weigh 0 is split equally over its touches.
    """
    labels = journeys.channel.labels
    codes = journeys.channel.codes
    per_channel = np.array([max(weights.get(label, 0.0), 0.0) for label in labels] + [0.0])
    return normalise(journeys, per_channel[codes] / touches_per_channel(journeys))


def allocate(
    journeys: Journeys,
    *,
    allocation: str,
    weights: Mapping[str, float],
    totals: Mapping[str, float],
    channels: Sequence[str],
    denominators: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Per-touch shares of a channel-level model under its allocation (see the two helpers)."""
    if allocation == "journey":
        return journey_shares(journeys, weights)
    return global_shares(journeys, totals, channels, denominators)
