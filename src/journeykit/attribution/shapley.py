"""Exact Shapley attribution over the distinct channels of journeys, and its ordered variant.

The players are channels; a coalition's worth is computed from the journeys whose set of channels
lies within the coalition. With the default value function, ``"conversions"`` (the simplified
Shapley method of ad-tech), the worth of a coalition is the conversions of those journeys, the
Harsanyi dividend of a coalition is the conversions of journeys with exactly that channel set, and
the Shapley value is each journey's conversions split equally over its distinct channels: exact,
non-negative and conserving per journey, for any number of channels.

``"conversion_rate"`` uses the non-converting journeys too: the worth of a coalition is the
conversion rate of the journeys within it. Its Shapley values (computed exactly by the Möbius
transform, up to :data:`~journeykit.attribution.games.MAX_PLAYERS` channels) can be negative: a
channel whose journeys convert less than the others' lowers the rate. A callable value function
receives :class:`CoalitionStats` and returns the worth of every coalition.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import attrs
import numpy as np
from numpy.typing import NDArray

from journeykit._choices import choose
from journeykit.attribution._allocation import allocate, global_totals
from journeykit.attribution._paths import channel_totals
from journeykit.attribution._protocol import Tags
from journeykit.attribution._registry import register
from journeykit.attribution._shares import factorize, normalise, sum_by, touches_per_channel
from journeykit.attribution.games import check_players, shapley_from_worth, zeta
from journeykit.errors import ModelError
from journeykit.journeys import Journeys

__all__ = ["CoalitionStats", "FittedShapley", "OrderedShapley", "Shapley", "ShapleyStats"]

ValueFunction = (
    Literal["conversions", "conversion_rate"] | Callable[["CoalitionStats"], NDArray[np.float64]]
)


@attrs.frozen(eq=False)
class ShapleyStats:
    """Mergeable sufficient statistics: conversions, nulls and value per distinct channel set."""

    sets: tuple[frozenset[str], ...]
    conversions: NDArray[np.float64]
    nulls: NDArray[np.float64]
    value: NDArray[np.float64]
    channels: tuple[str, ...]
    channel_conversions: NDArray[np.float64]
    channel_value: NDArray[np.float64]

    @classmethod
    def of(cls, journeys: Journeys) -> ShapleyStats:
        """The statistics of ``journeys``."""
        masks, inverse = _channel_sets(journeys)
        labels = tuple(journeys.channel.labels)
        sets = tuple(
            frozenset(labels[i] for i in range(len(labels)) if (int(m) >> i) & 1)
            for m in masks.tolist()
        )
        conversions, value = channel_totals(journeys)
        size = masks.size
        return cls(
            sets=sets,
            conversions=sum_by(inverse, journeys.conversions, size),
            nulls=sum_by(inverse, journeys.nulls, size),
            value=sum_by(inverse, journeys.value, size),
            channels=labels,
            channel_conversions=conversions,
            channel_value=value,
        )

    def merge(self, other: ShapleyStats) -> ShapleyStats:
        """Both chunks' statistics together."""
        sets = tuple(sorted(set(self.sets) | set(other.sets), key=sorted))
        channels = tuple(sorted(set(self.channels) | set(other.channels)))
        set_index = {s: i for i, s in enumerate(sets)}
        channel_index = {c: i for i, c in enumerate(channels)}

        def add(field: str, index: dict[Any, int], keys: str) -> NDArray[np.float64]:
            out = np.zeros(len(index))
            for part in (self, other):
                np.add.at(out, [index[k] for k in getattr(part, keys)], getattr(part, field))
            return out

        return ShapleyStats(
            sets=sets,
            conversions=add("conversions", set_index, "sets"),
            nulls=add("nulls", set_index, "sets"),
            value=add("value", set_index, "sets"),
            channels=channels,
            channel_conversions=add("channel_conversions", channel_index, "channels"),
            channel_value=add("channel_value", channel_index, "channels"),
        )


def _channel_sets(journeys: Journeys) -> tuple[NDArray[Any], NDArray[np.int64]]:
    """Each journey's set of channels, as distinct keys and each journey's index into them."""
    n_channels = len(journeys.channel.labels)
    codes = journeys.channel.codes.astype(np.int64)
    if n_channels <= 62:
        bits = np.left_shift(np.int64(1), codes)
        masks = np.zeros(journeys.n_journeys, dtype=np.int64)
        np.bitwise_or.at(masks, journeys.journey_of_touch, bits)
        unique, inverse = np.unique(masks, return_inverse=True)
        return unique.astype(object), inverse.ravel()
    present = np.zeros((journeys.n_journeys, n_channels), dtype=np.bool_)
    present[journeys.journey_of_touch, codes] = True
    rows, inverse = np.unique(present, axis=0, return_inverse=True)
    masks = np.array([sum(1 << i for i in np.flatnonzero(r).tolist()) for r in rows], dtype=object)
    return masks, inverse.ravel()


@attrs.frozen(eq=False)
class CoalitionStats:
    """What a value function sees: per coalition (bitmask over ``channels``), its journeys' totals.

    ``conversions[mask]``, ``nulls[mask]``, ``value[mask]`` sum over the journeys whose channel set
    lies within the coalition ``mask`` (bit ``i`` is ``channels[i]``).
    """

    channels: tuple[str, ...]
    conversions: NDArray[np.float64]
    nulls: NDArray[np.float64]
    value: NDArray[np.float64]

    def mask(self, *channels: str) -> int:
        """The bitmask of a coalition."""
        index = {c: i for i, c in enumerate(self.channels)}
        return sum(1 << index[c] for c in channels)


def _value_function(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value not in ("conversions", "conversion_rate") and not callable(value):
        msg = (
            f"Shapley: value must be 'conversions', 'conversion_rate' or a callable (got {value!r})"
        )
        raise ModelError(msg)


def _allocation(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    choose(
        value, ("global", "journey"), "allocation", owner="Shapley", optional=True, error=ModelError
    )


@attrs.frozen(eq=False)
class FittedShapley:
    """A fitted Shapley model.

    Attributes
    ----------
    shapley_values, value_shapley_values : dict of str to float
        Each channel's Shapley value in the conversion game and in the value game.
    channel_credit, channel_value_credit : dict of str to float
        Each channel's credited conversions and value in total.
    """

    spec: Shapley
    stats: ShapleyStats
    shapley_values: dict[str, float]
    value_shapley_values: dict[str, float]
    channel_credit: dict[str, float]
    channel_value_credit: dict[str, float]

    def credit(self, journeys: Journeys) -> NDArray[np.float64]:
        """Shares per touch (conversions)."""
        return self._shares(
            journeys, self.shapley_values, self.channel_credit, self.stats.channel_conversions
        )

    def credit_value(self, journeys: Journeys) -> NDArray[np.float64]:
        """Shares per touch (value)."""
        return self._shares(
            journeys, self.value_shapley_values, self.channel_value_credit, self.stats.channel_value
        )

    def _shares(
        self,
        journeys: Journeys,
        weights: dict[str, float],
        totals: dict[str, float],
        denominators: NDArray[np.float64],
    ) -> NDArray[np.float64]:
        allocation = self.spec.resolved_allocation
        if allocation == "journey" and self.spec.value == "conversions":
            return _split_over_distinct_channels(journeys)  # exactly the conversions game's values
        return allocate(
            journeys,
            allocation=allocation,
            weights=weights,
            totals=totals,
            channels=self.stats.channels,
            denominators=denominators,
        )


def _split_over_distinct_channels(journeys: Journeys) -> NDArray[np.float64]:
    """Each converting journey split equally over its distinct channels, each over its touches."""
    return normalise(journeys, 1.0 / touches_per_channel(journeys))


@register("shapley")
@attrs.frozen
class Shapley:
    """Exact Shapley attribution over channels (see the module docstring for the games).

    Parameters
    ----------
    value : {"conversions", "conversion_rate"} or callable
        The value function. A callable gets a :class:`CoalitionStats` and returns the worth of
        every coalition as an array indexed by bitmask.
    allocation : {"global", "journey"}, optional
        How channel results become per-touch credit, as for ``markov``. Default: ``"journey"`` for
        ``"conversions"`` (each journey split over its distinct channels: exactly the Shapley
        values, conserving per journey), ``"global"`` for the others (channel totals are the total
        conversions times the normalised Shapley values). With ``"journey"``, games other than
        ``"conversions"`` weigh a journey's channels by their Shapley values clipped at 0.

    Examples
    --------
    >>> import journeykit as jk
    >>> paths = jk.read_paths([{"path": "a", "total_conversions": 4, "total_null": 0},
    ...                        {"path": "a > b", "total_conversions": 6, "total_null": 0}])
    >>> jk.attribute(paths, "shapley").by("channel")
    Credit(channel, conversions: a=7, b=3)
    """

    value: ValueFunction = attrs.field(default="conversions", validator=_value_function)
    allocation: Literal["global", "journey"] | None = attrs.field(
        default=None, validator=_allocation
    )

    @property
    def resolved_allocation(self) -> Literal["global", "journey"]:
        """The allocation in force."""
        if self.allocation is not None:
            return self.allocation
        return "journey" if self.value == "conversions" else "global"

    @property
    def tags(self) -> Tags:
        """Non-negative for the conversions game and for journey allocations."""
        journey = self.resolved_allocation == "journey"
        return Tags(
            conserves="journey" if journey else "total",
            non_negative=self.value == "conversions" or journey,
            data_driven=True,
        )

    def partial_stats(self, journeys: Journeys) -> ShapleyStats:
        """Sufficient statistics of one chunk of journeys."""
        return ShapleyStats.of(journeys)

    def merge(self, left: ShapleyStats, right: ShapleyStats) -> ShapleyStats:
        """Combine two chunks' statistics."""
        return left.merge(right)

    def fit(self, journeys: Journeys) -> FittedShapley:
        """Fit on all journeys at once."""
        return self.fit_from_stats(self.partial_stats(journeys))

    def fit_from_stats(self, stats: ShapleyStats) -> FittedShapley:
        """Fit from (merged) statistics."""
        players = sorted({c for s in stats.sets for c in s})
        if self.value == "conversions":
            values = _simplified(stats, stats.conversions, players)
            value_values = _simplified(stats, stats.value, players)
        else:
            coalitions = _coalitions(stats, players)
            if self.value == "conversion_rate":
                judged = coalitions.conversions + coalitions.nulls
                worth = np.divide(
                    coalitions.conversions, judged, out=np.zeros_like(judged), where=judged > 0
                )
                value_worth = np.divide(
                    coalitions.value, judged, out=np.zeros_like(judged), where=judged > 0
                )
            else:
                worth = _checked_worth(self.value(coalitions), coalitions)
                value_worth = worth
            values = dict(
                zip(players, shapley_from_worth(worth, len(players)).tolist(), strict=True)
            )
            value_values = dict(
                zip(players, shapley_from_worth(value_worth, len(players)).tolist(), strict=True)
            )
        return FittedShapley(
            spec=self,
            stats=stats,
            shapley_values=values,
            value_shapley_values=value_values,
            channel_credit=global_totals(
                values,
                float(stats.conversions.sum()),
                stats.channels,
                stats.channel_conversions,
                model="shapley",
            ),
            channel_value_credit=global_totals(
                value_values,
                float(stats.value.sum()),
                stats.channels,
                stats.channel_value,
                model="shapley",
            ),
        )


def _simplified(
    stats: ShapleyStats, amounts: NDArray[np.float64], players: list[str]
) -> dict[str, float]:
    """Shapley values of the conversions game: each set's amount split over its members."""
    out = dict.fromkeys(players, 0.0)
    for channels, amount in zip(stats.sets, amounts.tolist(), strict=True):
        for channel in channels:
            out[channel] += amount / len(channels)
    return out


def _coalitions(stats: ShapleyStats, players: list[str]) -> CoalitionStats:
    check_players(len(players), "channels (the 'conversions' game has no limit)")
    bit = {c: 1 << i for i, c in enumerate(players)}
    masks = np.array([sum(bit[c] for c in s) for s in stats.sets], dtype=np.int64)
    size = 1 << len(players)

    def within(amounts: NDArray[np.float64]) -> NDArray[np.float64]:
        return zeta(sum_by(masks, amounts, size), len(players))

    return CoalitionStats(
        tuple(players), within(stats.conversions), within(stats.nulls), within(stats.value)
    )


def _checked_worth(worth: Any, coalitions: CoalitionStats) -> NDArray[np.float64]:
    array = np.asarray(worth, dtype=np.float64)
    if array.shape != coalitions.conversions.shape or not np.all(np.isfinite(array)):
        size = coalitions.conversions.size
        msg = f"a Shapley value function must return {size} finite numbers, one per coalition"
        raise ModelError(msg)
    return array


@register("ordered_shapley")
@attrs.frozen
class OrderedShapley:
    """Position-aware Shapley: each channel's Shapley credit placed on its first touch in a journey.

    In the conversions game, a converting journey's conversions are split equally over its
    distinct channels (so the credit per channel equals ``shapley``'s), and each channel's part goes
    to the position where it first appears. ``result.by(("channel", "position"))`` gives the
    credit of each channel at each ordered position; summing over positions gives plain Shapley.

    Examples
    --------
    >>> import journeykit as jk
    >>> paths = jk.read_paths([{"path": "a > b > a", "total_conversions": 2, "total_null": 0}])
    >>> result = jk.attribute(paths, "ordered_shapley")
    >>> result.by(("channel", "position"))
    Credit((channel, position), conversions: (a, 0)=1, (b, 1)=1, (a, 2)=0)
    """

    tags = Tags(data_driven=False)

    def fit(self, journeys: Journeys) -> OrderedShapley:
        """The ordered conversions game needs no fitting beyond the journeys themselves."""
        return self

    def credit(self, journeys: Journeys) -> NDArray[np.float64]:
        """Shares per touch: a channel's share on its first touch in each journey."""
        n_channels = max(len(journeys.channel.labels), 1)
        key = journeys.journey_of_touch * n_channels + journeys.channel.codes
        distinct, inverse, _ = factorize(key)
        first_touch = np.full(distinct.size, journeys.n_touches, dtype=np.int64)
        np.minimum.at(first_touch, inverse, np.arange(journeys.n_touches))
        first = np.zeros(journeys.n_touches, dtype=np.bool_)
        first[first_touch] = True
        return normalise(journeys, first.astype(np.float64))
