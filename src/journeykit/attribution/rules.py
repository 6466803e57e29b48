"""Rule-based attribution models: fixed rules over positions, time and milestones.

Every model here is a frozen attrs spec whose ``fit`` returns itself, conserves credit per
journey (a converting journey's shares sum to 1, a non-converting journey's are 0) and gives
non-negative shares. All of them are vectorised over the whole table.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any, ClassVar, Literal

import attrs
import numpy as np
from numpy.typing import NDArray

from journeykit._choices import choose
from journeykit.attribution._protocol import Tags
from journeykit.attribution._registry import register
from journeykit.attribution._shares import (
    anchored_shares,
    first_flagged,
    first_positions,
    last_flagged,
    last_positions,
    normalise,
    per_journey_sum,
    spread_anchored_shares,
    touches_per_channel,
)
from journeykit.errors import ModelError
from journeykit.journeys import Journeys
from journeykit.milestones import Milestone

__all__ = [
    "CustomPositions",
    "FirstTouch",
    "FullPath",
    "InverseJ",
    "JShaped",
    "LastNonDirect",
    "LastTouch",
    "Linear",
    "PositionBased",
    "TimeDecay",
    "WShaped",
]

_RULE = Tags()


def _fraction(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        owner = type(instance).__name__
        msg = f"{owner}: {attribute.name} must be a number in [0, 1] (got {value!r})"
        raise ModelError(msg)


Per = Literal["journey", "buyer"]
RoleWeights = tuple[tuple[str, float], ...]


def _check_per(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value not in ("journey", "buyer"):
        owner = type(instance).__name__
        msg = f"{owner}: {attribute.name} must be 'journey' or 'buyer' (got {value!r})"
        raise ModelError(msg)


def _to_role_weights(value: Mapping[str, float] | Iterable[tuple[str, float]]) -> RoleWeights:
    items = value.items() if isinstance(value, Mapping) else value
    return tuple(sorted((role, weight) for role, weight in items))


def _check_role_weights(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    for role, weight in value:
        if (
            not isinstance(role, str)
            or isinstance(weight, bool)
            or not isinstance(weight, int | float)
            or not (weight >= 0 and math.isfinite(weight))
        ):
            owner = type(instance).__name__
            msg = (
                f"{owner}: {attribute.name} must map roles to finite weights >= 0 "
                f"(got {role!r}: {weight!r})"
            )
            raise ModelError(msg)


def _buyer_weights(journeys: Journeys, role_weights: RoleWeights) -> NDArray[np.float64]:
    """Per touch, its buyer's weight in the committee: by role, 1 for unlisted roles."""
    role = journeys.columns.get("role")
    if not role_weights or role is None:
        return np.ones(journeys.n_touches)
    by_code = np.ones(len(role.labels) + 1)  # slot 0: no role
    for label, weight in role_weights:
        by_code[role.codes_of(label) + 1] = weight
    return by_code[role.codes.astype(np.int64) + 1]


def _buyer_groups(journeys: Journeys) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Per touch, its (journey, buyer) group; per group, the index of its first touch.

    Journeys without a ``buyer`` column count as one buyer each.
    """
    buyer = journeys.columns.get("buyer")
    codes = np.zeros(journeys.n_touches, dtype=np.int64) if buyer is None else buyer.codes + 1
    size = 1 if buyer is None else len(buyer.labels) + 1
    key = journeys.journey_of_touch.astype(np.int64) * size + codes
    # Touches are in time order within a journey: a group's first index is its first touch.
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    return inverse.ravel().astype(np.int64), first.astype(np.int64)


def _buyer_firsts(journeys: Journeys) -> NDArray[np.bool_]:
    """Flags each buyer's first touch in each journey."""
    flags = np.zeros(journeys.n_touches, dtype=np.bool_)
    flags[_buyer_groups(journeys)[1]] = True
    return flags


def committee_fractions(
    journeys: Journeys, flagged: NDArray[np.bool_], role_weights: RoleWeights = ()
) -> NDArray[np.float64]:
    """Per touch, its share of a role among a journey's flagged touches, by buyer weight.

    Every flagged touch (one per buyer: a buyer's first or lead-creation touch) gets its buyer's
    weight (``role_weights`` by the ``role`` column, else 1) over the journey's total; a journey
    whose flagged touches all weigh 0 lacks the role.
    """
    weights = np.where(flagged, _buyer_weights(journeys, role_weights), 0.0)
    totals = per_journey_sum(journeys, weights)[journeys.journey_of_touch]
    return np.divide(weights, totals, out=np.zeros(journeys.n_touches), where=totals > 0)


def _index_fractions(journeys: Journeys, where: NDArray[np.int64]) -> NDArray[np.float64]:
    fraction = np.zeros(journeys.n_touches)
    fraction[where[where >= 0]] = 1.0
    return fraction


class _Rule:
    """Rule models learn nothing: ``fit`` returns the model itself."""

    tags: ClassVar[Tags] = _RULE

    def fit(self, journeys: Journeys) -> Any:  # the contract passes journeys
        """Return the model itself: a rule needs no fitting."""
        return self


@register("first_touch")
@attrs.frozen
class FirstTouch(_Rule):
    """All credit to each journey's first touch.

    Parameters
    ----------
    per : {"journey", "buyer"}
        ``"journey"`` (default): the journey's first touch takes everything. ``"buyer"``
        (committee-aware, as opportunity attribution in CRMs): each buyer on the deal brings their
        own first touch, and these share the credit equally, or by ``role_weights``.
    role_weights : mapping of str to float
        With ``per="buyer"``, a buyer's weight by their role on the deal (the ``role`` column
        that :func:`~journeykit.assemble` fills from ``DealBuyer.role``); unlisted roles weigh 1.

    Examples
    --------
    >>> import journeykit as jk
    >>> paths = jk.read_paths([{"path": "a > b > c", "total_conversions": 1}])
    >>> jk.attribute(paths, "first_touch").by("channel")
    Credit(channel, conversions: a=1, b=0, c=0)

    Two buyers on one deal, each first reached by a different webinar:

    >>> events = [{"journey_id": "d", "timestamp": f"2024-01-0{day}T00:00:00+00:00",
    ...            "channel": channel, "buyer": buyer, "converted": day == 3}
    ...           for day, channel, buyer in [(1, "webinar_a", "ann"), (2, "webinar_b", "bob"),
    ...                                       (3, "demo", "ann")]]
    >>> journeys = jk.from_events(events, value=None, buyer="buyer")
    >>> jk.attribute(journeys, "first_touch", per="buyer").by("channel")
    Credit(channel, conversions: webinar_a=0.5, webinar_b=0.5, demo=0)
    """

    per: Per = attrs.field(default="journey", validator=_check_per)
    role_weights: RoleWeights = attrs.field(
        default=(), converter=_to_role_weights, validator=_check_role_weights
    )

    def credit(self, journeys: Journeys) -> NDArray[np.float64]:
        """Shares per touch."""
        if self.per == "buyer":
            return normalise(
                journeys, committee_fractions(journeys, _buyer_firsts(journeys), self.role_weights)
            )
        return normalise(journeys, journeys.position == 0)


@register("last_touch")
@attrs.frozen
class LastTouch(_Rule):
    """All credit to each journey's last touch (the one at conversion)."""

    def credit(self, journeys: Journeys) -> NDArray[np.float64]:
        """Shares per touch."""
        return normalise(
            journeys, journeys.position == journeys.lengths[journeys.journey_of_touch] - 1
        )


def _channel_set(values: Iterable[str] | str) -> frozenset[str]:
    return frozenset([values] if isinstance(values, str) else values)


@register("last_non_direct")
@attrs.frozen
class LastNonDirect(_Rule):
    """All credit to the last touch whose channel is not excluded (``direct`` by default).

    A journey whose touches are all excluded gives its credit to its last touch.

    Parameters
    ----------
    excluded : frozenset of str
        Channels that never take the credit while another touch can.

    Examples
    --------
    >>> import journeykit as jk
    >>> paths = jk.read_paths([{"path": "ad > email > direct", "total_conversions": 1},
    ...                        {"path": "direct", "total_conversions": 1}])
    >>> jk.attribute(paths, "last_non_direct").by("channel")
    Credit(channel, conversions: direct=1, email=1, ad=0)
    """

    tags: ClassVar[Tags] = Tags(relabel_invariant=False)
    excluded: frozenset[str] = attrs.field(default=frozenset({"direct"}), converter=_channel_set)

    def credit(self, journeys: Journeys) -> NDArray[np.float64]:
        """Shares per touch."""
        channel = journeys.channel
        eligible = ~np.isin(channel.codes, channel.codes_of(self.excluded))
        chosen = last_flagged(journeys, eligible)
        chosen = np.where(chosen >= 0, chosen, last_positions(journeys))  # all excluded: last touch
        weights = np.zeros(journeys.n_touches)
        weights[chosen[chosen >= 0]] = 1.0
        return normalise(journeys, weights)


@register("linear")
@attrs.frozen
class Linear(_Rule):
    """Equal credit to every touch, or to every distinct channel of a journey.

    Parameters
    ----------
    per : {"touch", "channel", "buyer"}
        ``"touch"`` (default, what other attribution tools compute): each of a journey's ``n``
        touches gets ``1/n``, so a repeated channel earns once per touch. ``"channel"``: each of
        the ``k`` distinct channels gets ``1/k``, shared by its touches. ``"buyer"``: each buyer
        of the committee gets an equal part (or one by ``role_weights``), shared by their touches.
    role_weights : mapping of str to float
        With ``per="buyer"``, a buyer's weight by role on the deal; unlisted roles weigh 1.

    Examples
    --------
    >>> import journeykit as jk
    >>> paths = jk.read_paths([{"path": "a > a > b", "total_conversions": 3}])
    >>> jk.attribute(paths, "linear").by("channel")
    Credit(channel, conversions: a=2, b=1)
    >>> jk.attribute(paths, "linear", per="channel").by("channel")
    Credit(channel, conversions: a=1.5, b=1.5)
    """

    per: Literal["touch", "channel", "buyer"] = attrs.field(default="touch")
    role_weights: RoleWeights = attrs.field(
        default=(), converter=_to_role_weights, validator=_check_role_weights
    )

    @per.validator
    def _check_per(self, _attribute: attrs.Attribute[Any], value: str) -> None:
        choose(value, ("touch", "channel", "buyer"), "per", owner="Linear", error=ModelError)

    def credit(self, journeys: Journeys) -> NDArray[np.float64]:
        """Shares per touch."""
        if self.per == "touch":
            return normalise(journeys, np.ones(journeys.n_touches))
        if self.per == "channel":
            return normalise(journeys, 1.0 / touches_per_channel(journeys))
        # A buyer's first touch stands for the buyer when their part is worked out; the part is
        # then spread evenly over all of that buyer's touches in the journey.
        group, first = _buyer_groups(journeys)
        firsts = np.zeros(journeys.n_touches, dtype=np.bool_)
        firsts[first] = True
        part = committee_fractions(journeys, firsts, self.role_weights)[first]
        counts = np.bincount(group, minlength=first.size)
        return normalise(journeys, (part / counts)[group])


def _half_life(value: Any) -> timedelta:
    if not isinstance(value, timedelta) or value <= timedelta(0):
        msg = f"TimeDecay: half_life must be a positive timedelta (got {value!r})"
        raise ModelError(msg)
    return value


@register("time_decay")
@attrs.frozen
class TimeDecay(_Rule):
    """Credit halves with every ``half_life`` of clock time between a touch and the conversion.

    A touch ``age`` before the conversion weighs ``2 ** (-age / half_life)``; weights are
    normalised within each journey. Journeys need touch times (path tables have none).

    Parameters
    ----------
    half_life : timedelta
        Default 7 days.

    Examples
    --------
    >>> from datetime import timedelta
    >>> import journeykit as jk
    >>> events = [{"journey_id": "j", "timestamp": f"2024-01-{d:02d}T00:00:00+00:00",
    ...            "channel": c, "converted": d == 15}
    ...           for d, c in [(1, "ad"), (8, "email"), (15, "demo")]]
    >>> journeys = jk.from_events(events, value=None)
    >>> result = jk.attribute(journeys, "time_decay", half_life=timedelta(days=7))
    >>> {k: round(v, 4) for k, v in result.by("channel").items()}
    {'demo': 0.5714, 'email': 0.2857, 'ad': 0.1429}
    """

    tags: ClassVar[Tags] = Tags(needs_times=True)
    half_life: timedelta = attrs.field(default=timedelta(days=7), converter=_half_life)

    def credit(self, journeys: Journeys) -> NDArray[np.float64]:
        """Shares per touch."""
        if not journeys.has_times:
            msg = "time_decay needs touch times, and these journeys have none (a path table?)"
            raise ModelError(msg)
        # Ages are measured from each journey's last touch: the common offset to the conversion
        # cancels out in the normalisation, and the newest touch weighs 1, so nothing underflows.
        last = (
            journeys.time[np.maximum(last_positions(journeys), 0)]
            if journeys.n_touches
            else journeys.time
        )
        age = (last[journeys.journey_of_touch] - journeys.time).astype(np.float64)
        half_life = self.half_life / timedelta(microseconds=1)
        return normalise(journeys, np.exp2(-age / half_life))


@register("position_based")
@attrs.frozen
class PositionBased(_Rule):
    """U-shaped: ``first`` to the first touch, ``last`` to the last, the rest to the middle.

    Rules: a one-touch journey gives it 100%; with two touches (no middle) the first and last
    split everything in proportion ``first : last`` (40/40 becomes 50/50, 30/70 stays 30/70);
    from three touches on, the middle touches share ``1 - first - last`` equally.

    Parameters
    ----------
    first, last : float
        Shares of the first and last touch, each in [0, 1], summing to at most 1. Default 0.4.
    per : {"journey", "buyer"}
        ``"buyer"``: the ``first`` share is split between every buyer's own first touch (equally,
        or by ``role_weights``), as in :class:`FirstTouch`; the last touch stays the deal's.
    role_weights : mapping of str to float
        With ``per="buyer"``, a buyer's weight by role on the deal; unlisted roles weigh 1.

    Examples
    --------
    >>> import journeykit as jk
    >>> paths = jk.read_paths([{"path": "a > b > c > d", "total_conversions": 10}])
    >>> jk.attribute(paths, "position_based").by("channel")
    Credit(channel, conversions: a=4, d=4, b=1, c=1)
    """

    tags: ClassVar[Tags] = Tags()
    first: float = attrs.field(default=0.4, validator=_fraction)
    last: float = attrs.field(default=0.4, validator=_fraction)
    per: Per = attrs.field(default="journey", validator=_check_per)
    role_weights: RoleWeights = attrs.field(
        default=(), converter=_to_role_weights, validator=_check_role_weights
    )

    def __attrs_post_init__(self) -> None:
        if self.first + self.last > 1 + 1e-12:
            owner = type(self).__name__
            msg = f"{owner}: first + last must be at most 1 (got {self.first} + {self.last})"
            raise ModelError(msg)

    def credit(self, journeys: Journeys) -> NDArray[np.float64]:
        """Shares per touch."""
        rest = 1.0 - self.first - self.last
        if self.per == "buyer":
            firsts = committee_fractions(journeys, _buyer_firsts(journeys), self.role_weights)
            last = _index_fractions(journeys, last_positions(journeys))
            return spread_anchored_shares(journeys, [(firsts, self.first), (last, self.last)], rest)
        anchors = [(first_positions(journeys), self.first), (last_positions(journeys), self.last)]
        return anchored_shares(journeys, anchors, rest)


@register("j_shaped")
@attrs.frozen
class JShaped(PositionBased):
    """Position-based with the weight on the last touch: 20% first, 60% last by default.

    Examples
    --------
    >>> import journeykit as jk
    >>> paths = jk.read_paths([{"path": "a > b > c > d > e", "total_conversions": 1}])
    >>> [round(v, 4) for v in jk.attribute(paths, "j_shaped").by("channel").values()]
    [0.6, 0.2, 0.0667, 0.0667, 0.0667]
    """

    first: float = attrs.field(default=0.2, validator=_fraction)
    last: float = attrs.field(default=0.6, validator=_fraction)


@register("inverse_j")
@attrs.frozen
class InverseJ(PositionBased):
    """Position-based with the weight on the first touch: 60% first, 20% last by default."""

    first: float = attrs.field(default=0.6, validator=_fraction)
    last: float = attrs.field(default=0.2, validator=_fraction)


def _milestone_anchor(journeys: Journeys, milestone: Milestone) -> NDArray[np.int64]:
    if journeys.milestones is None:
        return np.full(journeys.n_journeys, -1, dtype=np.int64)
    return first_flagged(journeys, (journeys.milestones & milestone.bit) > 0)


@register("custom_positions")
@attrs.frozen
class CustomPositions(_Rule):
    """Any weights for the first and last touch, the milestone touches and the middle.

    The weights must sum to 1. ``first`` and ``last`` are positions in the journey; the milestone
    weights go to the touch carrying that milestone (the earliest, when several buyers' touches
    carry it); ``middle`` is shared equally by the touches that anchor nothing.

    Rules for milestones that coincide or are missing (shared with ``w_shaped`` and ``full_path``):
    anchors on the same touch add up; a missing anchor's weight is spread over the present anchors
    in proportion to theirs; when no touch is left for the middle, the anchors share it in
    proportion too. So a one-touch journey always gives that touch 100%.

    Examples
    --------
    >>> import journeykit as jk
    >>> paths = jk.read_paths([{"path": "a > b > c", "total_conversions": 1}])
    >>> jk.attribute(paths, "custom_positions", first=0.5, middle=0.25, last=0.25).by("channel")
    Credit(channel, conversions: a=0.5, b=0.25, c=0.25)
    """

    tags: ClassVar[Tags] = Tags(uses_milestones=True)
    first: float = attrs.field(default=0.0, validator=_fraction)
    last: float = attrs.field(default=0.0, validator=_fraction)
    lead_created: float = attrs.field(default=0.0, validator=_fraction)
    opportunity_created: float = attrs.field(default=0.0, validator=_fraction)
    closed_won: float = attrs.field(default=0.0, validator=_fraction)
    middle: float = attrs.field(default=0.0, validator=_fraction)
    per: Per = attrs.field(default="journey", validator=_check_per)
    role_weights: RoleWeights = attrs.field(
        default=(), converter=_to_role_weights, validator=_check_role_weights
    )

    def __attrs_post_init__(self) -> None:
        total = sum(_position_weights(self).values())
        if abs(total - 1.0) > 1e-9:
            msg = f"{type(self).__name__}: the weights must sum to 1 (got {total:g})"
            raise ModelError(msg)

    def credit(self, journeys: Journeys) -> NDArray[np.float64]:
        """Shares per touch."""
        deal_anchors = [
            (last_positions(journeys), self.last),
            (_milestone_anchor(journeys, Milestone.OPPORTUNITY_CREATED), self.opportunity_created),
            (_milestone_anchor(journeys, Milestone.CLOSED_WON), self.closed_won),
        ]
        if self.per == "journey":
            anchors = [
                (first_positions(journeys), self.first),
                (_milestone_anchor(journeys, Milestone.LEAD_CREATED), self.lead_created),
                *deal_anchors,
            ]
            return anchored_shares(journeys, [(w, x) for w, x in anchors if x > 0], self.middle)
        leads = (
            np.zeros(journeys.n_touches, dtype=np.bool_)
            if journeys.milestones is None
            else (journeys.milestones & Milestone.LEAD_CREATED.bit) > 0
        )
        spread = [
            (committee_fractions(journeys, _buyer_firsts(journeys), self.role_weights), self.first),
            (committee_fractions(journeys, leads, self.role_weights), self.lead_created),
            *((_index_fractions(journeys, w), x) for w, x in deal_anchors),
        ]
        return spread_anchored_shares(journeys, [(f, x) for f, x in spread if x > 0], self.middle)


@register("w_shaped")
@attrs.frozen
class WShaped(_Rule):
    """30% each to the first touch, the lead-created touch and the opportunity-created touch.

    The remaining 10% is shared by the other touches. Missing or coinciding milestones follow the
    rules of :class:`CustomPositions` (e.g. with no milestone flags at all, the first touch gets
    90% and the others share 10%), and so does ``per="buyer"`` (every buyer's own first and
    lead-creation touches share those roles).

    Examples
    --------
    >>> import journeykit as jk
    >>> paths = jk.read_paths([{"path": "a > b", "total_conversions": 1}])
    >>> jk.attribute(paths, "w_shaped").by("channel")
    Credit(channel, conversions: a=0.9, b=0.1)
    """

    tags: ClassVar[Tags] = Tags(uses_milestones=True)
    first: float = attrs.field(default=0.3, validator=_fraction)
    lead_created: float = attrs.field(default=0.3, validator=_fraction)
    opportunity_created: float = attrs.field(default=0.3, validator=_fraction)
    per: Per = attrs.field(default="journey", validator=_check_per)
    role_weights: RoleWeights = attrs.field(
        default=(), converter=_to_role_weights, validator=_check_role_weights
    )

    def __attrs_post_init__(self) -> None:
        _check_at_most_one(self)

    def credit(self, journeys: Journeys) -> NDArray[np.float64]:
        """Shares per touch."""
        return _as_custom(self).credit(journeys)


@register("full_path")
@attrs.frozen
class FullPath(_Rule):
    """22.5% each to the first, lead-created, opportunity-created and closed-won touches.

    The remaining 10% is shared by the other touches; missing or coinciding milestones follow the
    rules of :class:`CustomPositions`, and so does ``per="buyer"``. Journeys from events and paths
    flag their converting touch as closed won.
    """

    tags: ClassVar[Tags] = Tags(uses_milestones=True)
    first: float = attrs.field(default=0.225, validator=_fraction)
    lead_created: float = attrs.field(default=0.225, validator=_fraction)
    opportunity_created: float = attrs.field(default=0.225, validator=_fraction)
    closed_won: float = attrs.field(default=0.225, validator=_fraction)
    per: Per = attrs.field(default="journey", validator=_check_per)
    role_weights: RoleWeights = attrs.field(
        default=(), converter=_to_role_weights, validator=_check_role_weights
    )

    def __attrs_post_init__(self) -> None:
        _check_at_most_one(self)

    def credit(self, journeys: Journeys) -> NDArray[np.float64]:
        """Shares per touch."""
        return _as_custom(self).credit(journeys)


_NOT_WEIGHTS = frozenset({"per", "role_weights"})


def _position_weights(spec: Any) -> dict[str, float]:
    """The spec's weights by anchor name (its other options left out)."""
    return {
        f.name: getattr(spec, f.name)
        for f in attrs.fields(type(spec))
        if f.name not in _NOT_WEIGHTS
    }


def _as_custom(spec: WShaped | FullPath) -> CustomPositions:
    weights = _position_weights(spec)
    middle = max(1.0 - float(sum(weights.values())), 0.0)
    return CustomPositions(**weights, middle=middle, per=spec.per, role_weights=spec.role_weights)


def _check_at_most_one(spec: Any) -> None:
    total = sum(_position_weights(spec).values())
    if total > 1 + 1e-12:
        msg = f"{type(spec).__name__}: the milestone weights must sum to at most 1 (got {total:g})"
        raise ModelError(msg)
