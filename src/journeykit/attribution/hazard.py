r"""Time-to-event attribution: which touches cause conversions, which open journeys will convert.

The model
---------
A journey moves through funnel stages; each stage ends with an event (lead created, opportunity
created, and finally the conversion). Where the journeys carry milestone flags
(``LEAD_CREATED``, ``OPPORTUNITY_CREATED``) every flagged milestone that is not the goal itself is
a stage; without flags there is one stage. In stage ``s`` the cumulative hazard of journey ``i``
at time ``t`` (days) is

.. math::

    \Lambda_{is}(t) = b_s e^{x_i \gamma} (t - S_{is})
        + \sum_{j \in (i, s),\ t_j \le t} \sum_k a_{c_j s k} \left(1 - 2^{-(t - t_j) / h_k}\right),

a baseline ``b_s`` scaled by the journey's covariates, plus an additive push from each touch of the
stage through a non-negative mixture of decay kernels with fixed half-lives ``h_k``: the weights
are learned per channel and stage, so each channel's decay (and its half-life, when half its
effect is released) is learned, while the likelihood stays concave in them (a unique optimum).
``a_cs = sum_k a_csk`` is the total hazard one touch adds: for a small effect, the probability that
the touch alone moves the journey on.

The likelihood is interval-censored. A stage event known only from its milestone flag happened
after the flagged touch ``L`` and before the next touch ``R``; one with an exact time ``T`` (the
goal time, or ``Journeys.lead_time``/``opportunity_time``) in the last ``resolution`` before ``T``.
Either contributes ``exp(-Lambda(L)) (1 - exp(-(Lambda(R) - Lambda(L))))``. A journey that has not
converted was watched until its end (``Journeys.end_time``: a lost deal cannot convert after its
loss) or ``as_of`` (``Journeys.as_of``, or the data's end), not until its last touch: its current
stage contributes ``exp(-Lambda(C))``. Ridge penalties keep the fit finite on small data; the
estimate is their penalised maximum (projected Newton with the exact Hessian, deterministic).

Counterfactual credit
---------------------
Additive hazards are competing causes: each touch, and the baseline, is a clock of its own, and a
stage event happens when the first one rings. For a converting journey, channel ``c`` fired stage
event ``e`` with probability ``pi_e(c)``, the hazard ``c``'s touches released in the event's window
``[L, R]`` over all the hazard released there. Had it not fired, the journey would still be in that
stage at ``R``; the fitted model is then run forward without ``c`` until ``as_of`` (every other
touch raising the hazard of the stage the journey is in, and a constant per-stage hazard of
leaving without converting, such as a lost deal, competing): ``q_e(c)`` is the chance it still
converts, divided by the chance of converting from the next stage at ``R`` with every
touch and capped at 1. The journey is lost without ``c`` with probability
``l_i(c) = 1 - prod_e (1 - pi_e(c) (1 - q_e(c)))``, spread over ``c``'s touches in proportion to
``pi_e(c) (1 - q_e(c))`` and, within a stage, to the hazard each released in the window. A touch
that only hastened a stage which had time to spare therefore costs little. ``allocation="global"``
scales these per-touch losses by one factor so total conversions (value) conserve: channel totals
are the expected losses the model computes. ``"journey"`` normalises them within each converting
journey.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Final, Literal

import attrs
import numpy as np
from numpy.typing import NDArray

from journeykit.attribution._protocol import Tags
from journeykit.attribution._registry import register
from journeykit.attribution._shares import first_flagged, normalise, sum_by
from journeykit.errors import ModelError, NotFoundError
from journeykit.journeys import NAT, Journeys
from journeykit.milestones import Milestone

__all__ = ["Effects", "FittedHazard", "Forecast", "Hazard", "HazardStats"]

Allocation = Literal["global", "journey"]
_DAY: Final = 86_400_000_000  # microseconds
_LN2: Final = math.log(2.0)
_KINDS: Final = (Milestone.LEAD_CREATED, Milestone.OPPORTUNITY_CREATED)
_STAGE_NAMES: Final = {
    1: ("conversion",),
    2: ("to_stage_2", "conversion"),
    3: ("to_lead", "to_opportunity", "conversion"),
}
# Penalty scales: wide enough to be negligible with data, tight enough to keep a fit finite.
_EFFECT_SCALE: Final = 5.0
_COVARIATE_SCALE: Final = 3.0
_KERNELS: Final = (
    timedelta(hours=1),
    timedelta(days=1),
    timedelta(days=7),
    timedelta(days=30),
)
_BOUNDS: Final = {
    "baseline": (0.0, 1e3),  # per day
    "covariate": (-15.0, 15.0),
    "effect": (0.0, 50.0),
}


def _allocation(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value not in ("global", "journey"):
        msg = f"Hazard: allocation must be 'global' or 'journey' (got {value!r})"
        raise ModelError(msg)


def _names(value: str | Sequence[str]) -> tuple[str, ...]:
    if isinstance(value, str):  # the command passes "segment" or "segment,persona"
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return tuple(value)


def _kernels(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    good = all(isinstance(k, timedelta) and k > timedelta(0) for k in value)
    if not value or not good or len(set(value)) != len(value) or len(value) > 12:
        msg = f"Hazard: kernels must be 1 to 12 distinct positive timedeltas (got {value!r})"
        raise ModelError(msg)


def _resolution(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, timedelta) or value <= timedelta(0):
        msg = f"Hazard: resolution must be a positive timedelta (got {value!r})"
        raise ModelError(msg)


@attrs.frozen(eq=False)
class HazardStats:
    """The compact design of some journeys: per touch and per stage episode; merged by stacking.

    Times are absolute (int64 microseconds), so chunks merge exactly and the censoring time is
    decided once, at fit time, from the merged data's end.
    """

    channels: tuple[str, ...]
    covariates: tuple[str, ...]
    levels: tuple[tuple[str, ...], ...]  # per covariate, its labels
    n_stages: int
    end: int  # latest touch or goal time seen (microseconds)
    as_of: int | None
    # per touch
    touch_episode: NDArray[np.int64]
    touch_channel: NDArray[np.int64]
    touch_time: NDArray[np.int64]
    # per episode (a journey's stay in one stage)
    stage: NDArray[np.int64]
    start: NDArray[np.int64]
    left: NDArray[np.int64]  # event interval (NAT when the episode has no event)
    right: NDArray[np.int64]
    event_weight: NDArray[np.float64]
    censor_weight: NDArray[np.float64]
    stop: NDArray[np.int64]  # when the journey stopped being observed (NAT: at as_of)
    covariate_codes: NDArray[np.int64]  # (episodes, covariates), -1 missing
    journey: NDArray[np.int64]  # the journey's position in the table the stats came from

    @property
    def n_episodes(self) -> int:
        """Number of stage episodes."""
        return int(self.stage.size)

    def merge(self, other: HazardStats) -> HazardStats:
        """Both chunks' designs stacked; channel and covariate codes are recoded to the union."""
        if other.n_stages != self.n_stages or other.covariates != self.covariates:
            msg = (
                "cannot merge hazard statistics with different stages or covariates "
                f"({self.n_stages} {self.covariates} vs {other.n_stages} {other.covariates})"
            )
            raise ModelError(msg)
        channels = tuple(sorted(set(self.channels) | set(other.channels)))
        levels = tuple(
            tuple(sorted(set(a) | set(b))) for a, b in zip(self.levels, other.levels, strict=True)
        )
        parts = [_recode(s, channels, levels) for s in (self, other)]
        shift = self.n_episodes
        as_ofs = [s.as_of for s in (self, other) if s.as_of is not None]
        return HazardStats(
            channels=channels,
            covariates=self.covariates,
            levels=levels,
            n_stages=self.n_stages,
            end=max(self.end, other.end),
            as_of=max(as_ofs) if as_ofs else None,
            touch_episode=np.concatenate([self.touch_episode, other.touch_episode + shift]),
            touch_channel=np.concatenate([p[0] for p in parts]),
            touch_time=np.concatenate([self.touch_time, other.touch_time]),
            stage=np.concatenate([self.stage, other.stage]),
            start=np.concatenate([self.start, other.start]),
            left=np.concatenate([self.left, other.left]),
            right=np.concatenate([self.right, other.right]),
            event_weight=np.concatenate([self.event_weight, other.event_weight]),
            censor_weight=np.concatenate([self.censor_weight, other.censor_weight]),
            stop=np.concatenate([self.stop, other.stop]),
            covariate_codes=np.concatenate([p[1] for p in parts]),
            # positions of the second chunk's journeys follow the first chunk's
            journey=np.concatenate(
                [
                    self.journey,
                    other.journey + (int(self.journey.max()) + 1 if self.journey.size else 0),
                ]
            ),
        )


def _recode(
    stats: HazardStats, channels: tuple[str, ...], levels: tuple[tuple[str, ...], ...]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    index = {c: i for i, c in enumerate(channels)}
    lookup = np.array([index[c] for c in stats.channels] + [-1], dtype=np.int64)
    codes = stats.covariate_codes.copy()
    for k, (old, new) in enumerate(zip(stats.levels, levels, strict=True)):
        where = {label: i for i, label in enumerate(new)}
        table = np.array([where[label] for label in old] + [-1], dtype=np.int64)
        codes[:, k] = table[codes[:, k]]
    return lookup[stats.touch_channel], codes


def _stage_events(
    journeys: Journeys,
) -> list[tuple[NDArray[np.int64], NDArray[np.int64]]]:
    """Per milestone kind that is a stage here: first flagged touches and exact times.

    Each journey's first touch flagged with the kind, and the milestone's exact time
    (:data:`NAT` where unknown). A kind is a stage when some journey has it somewhere other
    than at its conversion (with ``goal="lead"`` the lead flag is the conversion itself, not a
    stage before it).
    """
    if journeys.milestones is None:
        return []
    last = journeys.offsets[1:] - 1
    unknown = np.full(journeys.n_journeys, NAT, dtype=np.int64)
    out = []
    for kind, times in zip(_KINDS, (journeys.lead_time, journeys.opportunity_time), strict=True):
        first = first_flagged(journeys, (journeys.milestones & kind.bit) != 0)
        flagged = first >= 0
        if np.any(flagged & (~journeys.converting | (first != last))):
            out.append((first, unknown if times is None else times))
    return out


def _design(  # noqa: PLR0915  # one pass of array steps, clearer unsplit
    journeys: Journeys,
    *,
    covariates: tuple[str, ...],
    resolution: int,
    n_stages: int | None = None,
) -> HazardStats:
    """The stage episodes and touches of ``journeys`` (see the module docstring)."""
    if journeys.n_touches and not journeys.has_times:
        msg = (
            "hazard needs touch times: these journeys have touches without a time (a path "
            "table?); build them with from_events or assemble"
        )
        raise ModelError(msg)
    lengths = journeys.lengths
    nonempty = lengths > 0
    first_touch = journeys.offsets[:-1]
    last_touch = journeys.offsets[1:] - 1
    converting = journeys.converting & nonempty
    kinds = _stage_events(journeys)
    if n_stages is not None:  # crediting with a fitted model: its stages, as far as flags allow
        kinds = kinds[: n_stages - 1]
        while len(kinds) < n_stages - 1:
            passed = np.full(journeys.n_journeys, -2, dtype=np.int64)
            kinds.insert(0, (passed, np.full(journeys.n_journeys, NAT, dtype=np.int64)))
    n_kinds = len(kinds)
    shape = (journeys.n_journeys, n_kinds)
    events = np.column_stack([k[0] for k in kinds]) if n_kinds else np.zeros(shape, np.int64)
    moments = np.column_stack([k[1] for k in kinds]) if n_kinds else np.zeros(shape, np.int64)
    events = _fill_events(events, converting, last_touch)
    passed = events == -2
    first_stage = passed.sum(axis=1)
    reached = (events >= 0).sum(axis=1)
    last_stage = np.where(converting, n_kinds, first_stage + reached)
    count = np.where(nonempty, last_stage - first_stage + 1, 0)
    episode_offsets = np.zeros(journeys.n_journeys + 1, dtype=np.int64)
    np.cumsum(count, out=episode_offsets[1:])
    n_episodes = int(episode_offsets[-1])
    journey = np.repeat(np.arange(journeys.n_journeys, dtype=np.int64), count)
    stage = first_stage[journey] + np.arange(n_episodes) - episode_offsets[:-1][journey]
    # Touch stage: the journey's first stage plus the stage events flagged before the touch.
    owner = journeys.journey_of_touch
    position = np.arange(journeys.n_touches, dtype=np.int64)
    time = journeys.time
    # A milestone's exact time, where known and consistent with its flag, places it; else the
    # flagged touch does (the milestone came after it, before the next touch of its buyer).
    flag_time = time[np.maximum(events, 0)]
    moments = np.where((events >= 0) & (moments != NAT) & (moments >= flag_time), moments, NAT)
    touch_stage = first_stage[owner].astype(np.int64)
    for k in range(n_kinds):
        at, moment = events[owner, k], moments[owner, k]
        later = np.where(moment != NAT, time > moment, position > at)
        touch_stage += (at >= 0) & later
    touch_episode = episode_offsets[:-1][owner] + touch_stage - first_stage[owner]
    # Episode boundaries: start at the journey's first touch or the previous stage's event touch.
    event_at = np.full(n_episodes, -1, dtype=np.int64)  # the flagged touch of the stage's event
    event_time = np.full(n_episodes, NAT, dtype=np.int64)  # its exact time, where known
    for k in range(n_kinds):
        rows = np.flatnonzero(stage == k)
        event_at[rows] = events[journey[rows], k]
        event_time[rows] = moments[journey[rows], k]
    final = stage == n_kinds
    conv_final = final & converting[journey]
    event_at[conv_final] = last_touch[journey[conv_final]]
    if journeys.goal_time is not None:
        event_time[conv_final] = journeys.goal_time[journey[conv_final]]
    has_event = event_at >= 0
    left = np.where(has_event, time[np.maximum(event_at, 0)], NAT)
    exact = has_event & (event_time != NAT) & (event_time >= left)
    # The next stage starts at the event: its exact time, else the flagged touch's.
    previous = np.full(n_episodes, NAT, dtype=np.int64)
    later = np.flatnonzero(stage > first_stage[journey])
    previous[later] = np.where(exact[later - 1], event_time[later - 1], left[later - 1])
    start = np.where(previous != NAT, previous, time[first_touch[journey]])
    after = np.minimum(event_at + 1, last_touch[journey])
    next_time = np.where(event_at + 1 <= last_touch[journey], time[after], NAT)
    right = np.where(has_event, np.maximum(next_time, left + resolution), NAT)
    # An exact time says the event happened then, not at an earlier touch: its window is the last
    # ``resolution`` before it (which still holds the touch when the two are closer than that).
    right = np.where(exact, np.maximum(event_time, left + resolution), right)
    left = np.where(exact, np.maximum(left, event_time - resolution), left)
    weight = journeys.conversions + journeys.nulls
    event_weight = np.where(
        conv_final, journeys.conversions[journey], np.where(has_event, weight[journey], 0.0)
    )
    # A journey that did not convert is censored in the stage it stopped in, whichever that is:
    # its last episode has no event, and is at risk until the journey's end (or ``as_of``).
    last = stage == last_stage[journey]
    censor_weight = np.where(final | (last & ~has_event), journeys.nulls[journey], 0.0)
    channels = tuple(journeys.channel.labels)
    codes, levels = _covariates(journeys, covariates, journey)
    ends = [int(time.max())] if journeys.n_touches else []
    if journeys.goal_time is not None and np.any(journeys.goal_time != NAT):
        ends.append(int(journeys.goal_time[journeys.goal_time != NAT].max()))
    return HazardStats(
        channels=channels,
        covariates=covariates,
        levels=levels,
        n_stages=n_kinds + 1,
        end=max(ends, default=0),
        as_of=journeys.as_of,
        touch_episode=touch_episode.astype(np.int64),
        touch_channel=journeys.channel.codes.astype(np.int64),
        touch_time=time,
        stage=stage.astype(np.int64),
        start=start,
        left=left,
        right=right,
        event_weight=event_weight.astype(np.float64),
        censor_weight=censor_weight.astype(np.float64),
        stop=(
            journeys.end_time[journey]
            if journeys.end_time is not None
            else np.full(n_episodes, NAT, dtype=np.int64)
        ),
        covariate_codes=codes,
        journey=journey,
    )


def _fill_events(
    events: NDArray[np.int64], converting: NDArray[np.bool_], last: NDArray[np.int64]
) -> NDArray[np.int64]:
    """Complete each journey's stage events (touch positions; -2 passed before its first touch).

    Stages come in order, so a milestone missing before the first flagged one (or before the
    conversion) happened before the journey's first touch; one missing after a flagged one
    happened with the next flagged event (or the conversion) when that exists, and otherwise has
    not happened yet. Positions are made non-decreasing.
    """
    events = events.copy()
    n_kinds = events.shape[1]
    for k in range(1, n_kinds):
        both = (events[:, k] >= 0) & (events[:, k - 1] >= 0)
        events[both, k] = np.maximum(events[both, k], events[both, k - 1])
    flagged = events >= 0
    seen = np.cumsum(flagged, axis=1) > 0  # a flag at or before kind k
    anything = flagged.any(axis=1) | converting
    events[~seen & anything[:, None]] = -2
    for k in range(n_kinds - 2, -1, -1):  # a gap takes the next event's position
        gap = (events[:, k] == -1) & seen[:, k]
        events[gap, k] = events[gap, k + 1]
    if n_kinds:
        gap = (events[:, -1] == -1) & converting
        events[gap, -1] = last[gap]
        for k in range(n_kinds - 2, -1, -1):
            gap = (events[:, k] == -1) & converting
            events[gap, k] = events[gap, k + 1]
    return events


def _covariates(
    journeys: Journeys, names: tuple[str, ...], journey: NDArray[np.int64]
) -> tuple[NDArray[np.int64], tuple[tuple[str, ...], ...]]:
    """Per episode, each covariate's code at its journey's first touch, and the labels."""
    codes = np.full((journey.size, len(names)), -1, dtype=np.int64)
    levels = []
    first = journeys.offsets[:-1][journey]
    for k, name in enumerate(names):
        column = journeys.columns.get(name)
        if column is None:
            available = ", ".join(sorted(journeys.columns))
            msg = f"hazard: no column {name!r} for a covariate (columns: {available})"
            raise ModelError(msg)
        codes[:, k] = column.codes[first]
        levels.append(tuple(column.labels))
    return codes, tuple(levels)


@attrs.frozen(eq=False)
class _Layout:
    """How the parameter vector maps onto baselines, covariates and effects.

    Effects are ``a[pair, k]``: the hazard a touch of ``pair`` (channel x stage) adds through
    the decay kernel of half-life ``half_lives[k]``; the vector is ``[log b (stages), gamma
    (covariate columns), a (pairs x kernels, pair-major)]``.
    """

    n_stages: int
    n_covariate_columns: int
    pairs: NDArray[np.int64]  # active (channel * n_stages + stage) keys
    half_lives: NDArray[np.float64]  # days
    columns: tuple[tuple[int, int], ...]  # (covariate, level) per covariate column

    @property
    def n_kernels(self) -> int:
        return int(self.half_lives.size)

    @property
    def head(self) -> int:
        """Index of the first effect."""
        return self.n_stages + self.n_covariate_columns

    @property
    def size(self) -> int:
        return self.head + self.pairs.size * self.n_kernels

    def split(self, theta: NDArray[np.float64]) -> tuple[NDArray[np.float64], ...]:
        return tuple(np.split(theta, [self.n_stages, self.head]))

    def bounds(self) -> list[tuple[float, float]]:
        return (
            [_BOUNDS["baseline"]] * self.n_stages
            + [_BOUNDS["covariate"]] * self.n_covariate_columns
            + [_BOUNDS["effect"]] * (self.pairs.size * self.n_kernels)
        )


@attrs.frozen(eq=False)
class _Problem:
    """The fit's design in days, relative to each touch and episode (shift-invariant).

    Given the kernels, every cumulative hazard is linear in the effects, so the three per-episode
    hazards (up to L, from L to R, up to C) are sparse matrices times ``a`` plus the baseline:
    built once, then each evaluation is three sparse products. The penalised likelihood is then
    concave in the effects: its maximum is unique.
    """

    layout: _Layout
    stage: NDArray[np.int64]
    exposure_left: NDArray[np.float64]  # L - S, R - L, C - S in days
    exposure_event: NDArray[np.float64]
    exposure_censor: NDArray[np.float64]
    event_weight: NDArray[np.float64]
    censor_weight: NDArray[np.float64]
    design: NDArray[np.float64]  # (episodes, covariate columns)
    to_left: Any  # sparse (episodes, effects): hazard released before L per unit effect
    in_event: Any  # ... between L and R
    to_censor: Any  # ... before C
    touch_pair: NDArray[np.int64]  # per touch, its pair's row in layout.pairs (-1: none)
    touch_episode: NDArray[np.int64]
    touch_left_age: NDArray[np.float64]  # days from the touch to L (0 before it)
    touch_right: NDArray[np.float64]  # (touches, kernels): released by R per unit effect
    touch_censor_age: NDArray[np.float64]  # days from the touch to C
    total_weight: float

    @classmethod
    def of(
        cls, stats: HazardStats, layout: _Layout | None = None, half_lives: Any = None
    ) -> _Problem:
        import scipy.sparse as sp  # noqa: PLC0415  # heavy: only when fitting

        as_of = stats.as_of if stats.as_of is not None else stats.end
        # A journey stops being watched at its end when known (a lost deal cannot convert after
        # its loss), else at as_of.
        censor = np.maximum(np.where(stats.stop != NAT, stats.stop, np.int64(as_of)), stats.start)
        has_event = stats.left != NAT
        left = np.where(has_event, stats.left, stats.start)
        right = np.where(has_event, stats.right, stats.start)
        episode = stats.touch_episode

        def days(later: NDArray[np.int64], earlier: NDArray[np.int64]) -> NDArray[np.float64]:
            out: NDArray[np.float64] = np.maximum(later - earlier, 0).astype(np.float64) / _DAY
            return out

        n_stages = stats.n_stages
        key = stats.touch_channel * n_stages + stats.stage[episode]
        key = np.where(stats.touch_channel >= 0, key, -1)
        if layout is None:
            layout = _layout(stats, key, np.asarray(half_lives, dtype=np.float64))
        lookup = np.full(len(stats.channels) * n_stages + 1, -1, dtype=np.int64)
        lookup[layout.pairs] = np.arange(layout.pairs.size)
        touch_pair = lookup[key]
        n_episodes, n_kernels = stats.n_episodes, layout.n_kernels
        rate = _LN2 / layout.half_lives  # (kernels,)

        def released(age: NDArray[np.float64]) -> NDArray[np.float64]:
            out: NDArray[np.float64] = -np.expm1(-age[:, None] * rate[None, :])
            return out

        left_age = days(left[episode], stats.touch_time)
        g_left = released(left_age)
        g_right = released(days(right[episode], stats.touch_time))
        g_censor = released(days(censor[episode], stats.touch_time))
        mine = touch_pair >= 0
        cols = (touch_pair[mine][:, None] * n_kernels + np.arange(n_kernels)[None, :]).ravel()
        shape = (n_episodes, layout.pairs.size * n_kernels)

        owners = episode[mine]
        if owners.size and np.any(owners[1:] < owners[:-1]):  # not in episode order: sort once
            order = np.argsort(owners, kind="stable")
        else:
            order = None
        counts = np.bincount(owners, minlength=n_episodes) * n_kernels
        indptr = np.concatenate([[0], np.cumsum(counts)])
        indices = cols.reshape(-1, n_kernels)
        if order is not None:
            indices = indices[order]

        def matrix(values: NDArray[np.float64]) -> Any:
            # touches are in episode order, so the CSR arrays are built directly (a touch per
            # row entry; repeated columns add up in every product)
            rows_of = values[mine] if order is None else values[mine][order]
            return sp.csr_matrix((rows_of.ravel(), indices.ravel(), indptr), shape=shape)

        design = np.zeros((n_episodes, layout.n_covariate_columns))
        for column, (k, level) in enumerate(layout.columns):
            design[:, column] = stats.covariate_codes[:, k] == level
        return cls(
            layout=layout,
            stage=stats.stage,
            exposure_left=days(left, stats.start),
            exposure_event=days(right, left),
            exposure_censor=days(censor, stats.start),
            event_weight=stats.event_weight,
            censor_weight=stats.censor_weight,
            design=design,
            to_left=matrix(g_left),
            in_event=matrix(g_right - g_left),
            to_censor=matrix(g_censor),
            touch_pair=touch_pair,
            touch_episode=episode,
            touch_left_age=left_age,
            touch_right=g_right,
            touch_censor_age=days(censor[episode], stats.touch_time),
            total_weight=float(stats.event_weight.sum() + stats.censor_weight.sum()),
        )

    def multiplier(self, theta: NDArray[np.float64]) -> NDArray[np.float64]:
        """Per episode, the covariates' factor on the baseline."""
        gamma = self.layout.split(theta)[1]
        out: NDArray[np.float64] = np.exp(self.design @ gamma)
        return out

    def base(self, theta: NDArray[np.float64]) -> NDArray[np.float64]:
        """Per episode, the baseline rate (per day)."""
        rate = self.layout.split(theta)[0]
        out: NDArray[np.float64] = rate[self.stage] * self.multiplier(theta)
        return out

    def touch_effects(self, theta: NDArray[np.float64]) -> NDArray[np.float64]:
        """Per touch, its effect on each kernel, shape (touches, kernels) (0 without a pair)."""
        effects = self.layout.split(theta)[2].reshape(-1, self.layout.n_kernels)
        padded = np.vstack([effects, np.zeros((1, self.layout.n_kernels))])
        out: NDArray[np.float64] = padded[self.touch_pair]  # index -1 is the zero row
        return out

    def _hazards(self, theta: NDArray[np.float64]) -> tuple[NDArray[Any], ...]:
        base = self.base(theta)
        effects = self.layout.split(theta)[2]
        cum_left = base * self.exposure_left + self.to_left @ effects
        increment = base * self.exposure_event + self.in_event @ effects
        cum_censor = base * self.exposure_censor + self.to_censor @ effects
        has_event = self.event_weight > 0
        # an event needs some hazard: floored so a trial point without any is finitely bad
        safe = np.where(has_event, np.maximum(increment, 1e-150), 1.0)
        return base, cum_left, safe, cum_censor, has_event

    def objective(self, theta: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        """Penalised negative log-likelihood and its exact gradient."""
        layout = self.layout
        base, cum_left, safe, cum_censor, has_event = self._hazards(theta)
        we, wc = self.event_weight, self.censor_weight
        log_p = np.log(-np.expm1(-safe))
        ll = -(we @ cum_left) + we[has_event] @ log_p[has_event] - wc @ cum_censor
        g_inc = np.where(has_event, we * np.exp(-safe) / -np.expm1(-safe), 0.0)  # we psi'(D)
        # d ll / d base per episode; base = b_s * exp(x gamma)
        d_base = -we * self.exposure_left + g_inc * self.exposure_event - wc * self.exposure_censor
        grad = np.concatenate(
            [
                sum_by(self.stage, d_base * self.multiplier(theta), layout.n_stages),
                self.design.T @ (d_base * base),
                self.to_left.T @ -we + self.in_event.T @ g_inc + self.to_censor.T @ -wc,
            ]
        )
        penalty, penalty_grad = _penalty(layout, theta)
        scale = max(self.total_weight, 1.0)
        return float(-ll + penalty) / scale, (-grad + penalty_grad) / scale

    def hessian(self, theta: NDArray[np.float64]) -> NDArray[np.float64]:
        """The exact Hessian of :meth:`objective` (same scaling)."""
        layout = self.layout
        base, _, safe, _, has_event = self._hazards(theta)
        we, wc = self.event_weight, self.censor_weight
        g_inc = np.where(has_event, we * np.exp(-safe) / -np.expm1(-safe), 0.0)
        # we psi''(D) = -we e^D / (e^D - 1)^2, written without overflow
        second = np.where(has_event, -we * np.exp(-safe) / np.expm1(-safe) ** 2, 0.0)
        events = np.flatnonzero(has_event)
        head = layout.head
        multiplier = self.multiplier(theta)
        stages = np.eye(layout.n_stages)[self.stage]
        # d base / d (b, gamma) per episode
        z = np.column_stack([stages * multiplier[:, None], self.design * base[:, None]])
        # (1) curvature of log(1 - exp(-D)) over event episodes: J' diag(we psi'') J
        z_event = z[events] * self.exposure_event[events, None]
        # events x effects is small next to touches: dense products (BLAS) beat sparse ones
        jacobian = np.hstack([z_event, self.in_event[events].toarray()])
        hessian = jacobian.T @ (jacobian * second[events][:, None])
        # (2) the baseline's own curvature: d2 base is m x (b, gamma) and base x x' (gamma, gamma)
        d_base = -we * self.exposure_left + g_inc * self.exposure_event - wc * self.exposure_censor
        n_stages = layout.n_stages
        cross_b = (stages * (d_base * multiplier)[:, None]).T @ self.design
        hessian[:n_stages, n_stages:head] += cross_b
        hessian[n_stages:head, :n_stages] += cross_b.T
        hessian[n_stages:head, n_stages:head] += self.design.T @ (
            self.design * (d_base * base)[:, None]
        )
        scale = max(self.total_weight, 1.0)
        out: NDArray[np.float64] = (-hessian + np.diag(_penalty_curvature(layout))) / scale
        return out


def _penalty(layout: _Layout, theta: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
    _, gamma, effects = layout.split(theta)
    value = 0.5 * (
        float(gamma @ gamma) / _COVARIATE_SCALE**2 + float(effects @ effects) / _EFFECT_SCALE**2
    )
    grad = np.concatenate(
        [np.zeros(layout.n_stages), gamma / _COVARIATE_SCALE**2, effects / _EFFECT_SCALE**2]
    )
    return value, grad


def _penalty_curvature(layout: _Layout) -> NDArray[np.float64]:
    return np.concatenate(
        [
            np.zeros(layout.n_stages),
            np.full(layout.n_covariate_columns, 1 / _COVARIATE_SCALE**2),
            np.full(layout.pairs.size * layout.n_kernels, 1 / _EFFECT_SCALE**2),
        ]
    )


def _layout(stats: HazardStats, key: NDArray[np.int64], half_lives: NDArray[np.float64]) -> _Layout:
    pairs = np.unique(key[key >= 0])
    columns = tuple(
        (k, level) for k, labels in enumerate(stats.levels) for level in range(1, len(labels))
    )
    return _Layout(stats.n_stages, len(columns), pairs, half_lives, columns)


def _start(problem: _Problem) -> NDArray[np.float64]:
    layout = problem.layout
    events = sum_by(problem.stage, problem.event_weight, layout.n_stages)
    exposure = sum_by(
        problem.stage,
        problem.event_weight * (problem.exposure_left + problem.exposure_event)
        + problem.censor_weight * problem.exposure_censor,
        layout.n_stages,
    )
    rate = np.maximum(events, 0.5) / np.maximum(exposure, 1.0)
    # a stage without events has a rate of 0
    start_rate = np.where(events > 0, rate, 0.0)
    n_effects = layout.pairs.size * layout.n_kernels
    return np.concatenate(
        [start_rate, np.zeros(layout.n_covariate_columns), np.full(n_effects, 0.01)]
    )


def _minimise(problem: _Problem) -> NDArray[np.float64]:
    """Projected Newton with the exact Hessian and Levenberg-Marquardt damping.

    Effects at their lower bound 0 whose gradient pushes them further down are held there. The
    damping grows after a step that fails to decrease the objective (kernels that overlap make
    the Hessian nearly singular) and shrinks after one that succeeds, so the last steps are pure
    Newton steps and converge to machine precision: the optimum, not the path to it, decides the
    result, which is deterministic and independent of the order of channels or journeys beyond
    rounding.
    """
    bounds = np.array(problem.layout.bounds())
    low, high = bounds[:, 0], bounds[:, 1]
    theta = np.clip(_start(problem), low, high)
    value, grad = problem.objective(theta)
    damping = 1e-3
    for _ in range(_MAX_STEPS):
        held = ((theta <= low) & (grad > 0)) | ((theta >= high) & (grad < 0))
        free = np.flatnonzero(~held)
        if free.size == 0 or float(np.max(np.abs(grad[free]))) < _GRADIENT_TOLERANCE:
            return theta
        hessian = problem.hessian(theta)[np.ix_(free, free)]
        scale = np.maximum(np.abs(np.diag(hessian)), 1e-12)
        accepted = False
        for _ in range(40):
            direction = np.zeros(theta.size)
            direction[free] = _newton_direction(hessian + damping * np.diag(scale), grad[free])
            trial = np.clip(theta + direction, low, high)
            trial_value, trial_grad = problem.objective(trial)
            if np.isfinite(trial_value) and trial_value <= value + 1e-4 * float(
                grad @ (trial - theta)
            ):
                accepted = True
                damping = max(damping / 4.0, 1e-12)
                break
            damping = damping * 8.0 + 1e-9
        if not accepted or (trial_value >= value and np.array_equal(trial, theta)):
            return theta  # no further decrease is representable: converged to rounding
        # converged when the parameters stop moving (the objective is flat long before that in
        # weakly identified directions, and credit depends on the parameters)
        converged = float(np.max(np.abs(trial - theta))) <= 1e-13 * (
            1.0 + float(np.max(np.abs(theta)))
        )
        theta, value, grad = trial, trial_value, trial_grad
        if converged:
            return theta
    msg = (
        f"hazard: the fit did not converge in {_MAX_STEPS} Newton steps (largest gradient "
        f"{float(np.max(np.abs(grad))):.3g}); the data may not identify some effects"
    )
    raise ModelError(msg)


_MAX_STEPS: Final = 200
_GRADIENT_TOLERANCE: Final = 1e-11


def _newton_direction(
    hessian: NDArray[np.float64], grad: NDArray[np.float64]
) -> NDArray[np.float64]:
    """``-H^-1 g`` with ``H`` damped further until positive definite."""
    scale = float(np.mean(np.abs(np.diag(hessian)))) or 1.0
    damping = 0.0
    identity = np.eye(grad.size)
    for _ in range(60):
        try:
            factor = np.linalg.cholesky(hessian + damping * identity)
        except np.linalg.LinAlgError:
            damping = max(2.0 * damping, 1e-10 * scale)
            continue
        return -np.asarray(_cholesky_solve(factor, grad), dtype=np.float64)
    return -grad / scale


def _cholesky_solve(
    factor: NDArray[np.floating[Any]], grad: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Solve ``L L^T x = g`` from the Cholesky factor ``L``."""
    from scipy.linalg import solve_triangular  # noqa: PLC0415  # heavy: only when fitting

    middle = solve_triangular(factor, grad, lower=True)
    return np.asarray(solve_triangular(factor.T, middle, lower=False), dtype=np.float64)


@attrs.frozen(eq=False)
class Effects:
    """What the fitted hazard model learned, with standard errors and 95% intervals.

    Each row is one quantity: ``kind`` is ``"effect"`` (the total hazard one touch of
    ``channel`` adds in ``stage``; for a small effect, the probability that the touch alone moves
    the journey on), ``"half_life"`` (days until that touch has released half of it, learned per
    channel and stage), ``"baseline"`` (per stage, per day) or ``"covariate"`` (a log rate ratio
    of a covariate level against the first level). Standard errors come from the observed
    information of the penalised likelihood; effect intervals are Wald intervals (they may reach
    below 0, the effect's lower bound), half-life and baseline intervals are on the log scale.
    """

    kind: tuple[str, ...]
    name: tuple[str, ...]
    stage: tuple[str, ...]
    estimate: NDArray[np.float64]
    se: NDArray[np.float64]
    low: NDArray[np.float64]
    high: NDArray[np.float64]

    def channel_effects(self, channel: str) -> dict[str, tuple[float, float, float]]:
        """``{stage: (effect, low, high)}`` of one channel's touches."""
        return {
            self.stage[i]: (float(self.estimate[i]), float(self.low[i]), float(self.high[i]))
            for i in range(len(self.kind))
            if self.kind[i] == "effect" and self.name[i] == channel
        }

    def half_life(self, channel: str, stage: str) -> tuple[float, float, float]:
        """When a touch of ``channel`` in ``stage`` has released half its effect (days).

        Returns (estimate, low, high); NaN when the fitted effect is 0.
        """
        for i in range(len(self.kind)):
            if self.kind[i] == "half_life" and self.name[i] == channel and self.stage[i] == stage:
                return float(self.estimate[i]), float(self.low[i]), float(self.high[i])
        msg = f"hazard: no effect of channel {channel!r} in stage {stage!r} (no touches there)"
        raise NotFoundError(msg)

    def to_frame(self, backend: Literal["pandas", "polars", "pyarrow"] = "pandas") -> Any:
        """One row per parameter: kind, name, stage, estimate, se, low, high."""
        from journeykit._frames import to_frame  # noqa: PLC0415

        data: dict[str, Any] = {
            "kind": list(self.kind),
            "name": list(self.name),
            "stage": list(self.stage),
            "estimate": self.estimate,
            "se": self.se,
            "low": self.low,
            "high": self.high,
        }
        return to_frame(data, backend)

    def __repr__(self) -> str:
        lines = [f"Effects({len(self.kind)} parameters)"]
        for i in range(len(self.kind)):
            where = f"{self.name[i]}@{self.stage[i]}" if self.stage[i] else self.name[i]
            lines.append(
                f"  {self.kind[i]:<9} {where:<28} {self.estimate[i]:.4g} "
                f"[{self.low[i]:.4g}, {self.high[i]:.4g}]"
            )
        return "\n".join(lines)


@attrs.frozen(eq=False)
class Forecast:
    """Journeys not yet converted, most likely to convert first: the call list.

    Attributes
    ----------
    journey : tuple of str
        Journey IDs, by descending probability.
    index : array of int64
        Their positions in the journeys table.
    probability : array of float64
        The probability each converts within the horizon, touches stopping now.
    stage : array of int64
        The stage each is in (0 is the first).
    """

    journey: tuple[str, ...]
    index: NDArray[np.int64]
    probability: NDArray[np.float64]
    stage: NDArray[np.int64]
    within: timedelta

    def __len__(self) -> int:
        return len(self.journey)

    def top(self, n: int) -> list[tuple[str, float]]:
        """The ``n`` most likely journeys and their probabilities."""
        return [(self.journey[i], float(self.probability[i])) for i in range(min(n, len(self)))]

    def to_frame(self, backend: Literal["pandas", "polars", "pyarrow"] = "pandas") -> Any:
        """One row per journey: journey, probability, stage."""
        from journeykit._frames import to_frame  # noqa: PLC0415

        data: dict[str, Any] = {
            "journey": list(self.journey),
            "probability": self.probability,
            "stage": self.stage,
        }
        return to_frame(data, backend)


@attrs.frozen(eq=False)
class FittedHazard:
    """A fitted hazard model: counterfactual per-touch credit, effects and forecasts.

    Attributes
    ----------
    spec : Hazard
    stats : HazardStats
    theta : array of float64
        The penalised maximum-likelihood parameters (see :attr:`effects`).
    """

    spec: Hazard
    stats: HazardStats
    theta: NDArray[np.float64]
    _problem: _Problem = attrs.field(repr=False)
    _cache: dict[str, Any] = attrs.field(init=False, factory=dict, repr=False)

    @property
    def stages(self) -> tuple[str, ...]:
        """Names of the stage events, the conversion last."""
        return _STAGE_NAMES.get(self.stats.n_stages) or tuple(
            f"stage_{s}" for s in range(self.stats.n_stages)
        )

    @property
    def effects(self) -> Effects:
        """Every parameter with its standard error and 95% interval (computed on first use)."""
        if "effects" not in self._cache:
            self._cache["effects"] = self._effects()
        result: Effects = self._cache["effects"]
        return result

    def _effects(self) -> Effects:
        layout, stats = self._problem.layout, self.stats
        covariance = _covariance(self._problem, self.theta)
        theta, head, n_kernels = self.theta, layout.head, layout.n_kernels
        kinds: list[str] = []
        names: list[str] = []
        stages: list[str] = []
        rows: list[tuple[float, float, float, float]] = []  # estimate, se, low, high

        def wald(value: float, se: float) -> tuple[float, float, float, float]:
            return value, se, value - _Z * se, value + _Z * se

        def logged(value: float, se: float) -> tuple[float, float, float, float]:
            spread = math.exp(_Z * se)  # se of the log
            return (
                math.exp(value),
                math.exp(value) * se,
                math.exp(value) / spread,
                (math.exp(value) * spread),
            )

        variance = np.diag(covariance)
        for s in range(layout.n_stages):
            kinds.append("baseline")
            names.append("baseline")
            stages.append(self.stages[s])
            rate, se = float(theta[s]), math.sqrt(max(float(variance[s]), 0.0))
            rows.append(logged(math.log(rate), se / rate) if rate > 0 else wald(rate, se))
        for column, (k, level) in enumerate(layout.columns):
            i = layout.n_stages + column
            kinds.append("covariate")
            names.append(f"{stats.covariates[k]}={stats.levels[k][level]}")
            stages.append("")
            rows.append(wald(float(theta[i]), math.sqrt(max(float(variance[i]), 0.0))))
        effects = theta[head:].reshape(-1, n_kernels)
        for p, key in enumerate(layout.pairs.tolist()):
            block = slice(head + p * n_kernels, head + (p + 1) * n_kernels)
            cov = covariance[block, block]
            channel, stage = (
                stats.channels[key // layout.n_stages],
                self.stages[key % layout.n_stages],
            )
            total = float(effects[p].sum())
            kinds.append("effect")
            names.append(channel)
            stages.append(stage)
            rows.append(wald(total, math.sqrt(max(float(cov.sum()), 0.0))))
            kinds.append("half_life")
            names.append(channel)
            stages.append(stage)
            rows.append(_half_life(effects[p], layout.half_lives, cov))
        table = np.array(rows, dtype=np.float64).reshape(-1, 4)
        return Effects(
            tuple(kinds),
            tuple(names),
            tuple(stages),
            table[:, 0],
            table[:, 1],
            table[:, 2],
            table[:, 3],
        )

    # -- credit ----------------------------------------------------------------------------------
    def _touch_losses(self, journeys: Journeys) -> NDArray[np.float64]:
        """Per touch, its part of the expected loss of its journey without its channel."""
        fitted_on = self._cache.get("journeys")
        if fitted_on is journeys:  # crediting the journeys it was fitted on: same design
            stats, problem = self.stats, self._problem
        else:
            stats = _design(
                journeys,
                covariates=self.spec.covariates,
                resolution=_micros(self.spec.resolution),
                n_stages=self.stats.n_stages,
            )
            end = max(stats.end, self.stats.end)
            stats = _align(attrs.evolve(stats, as_of=self.stats.as_of, end=end), self.stats)
            problem = _Problem.of(stats, self._problem.layout)
        episode = problem.touch_episode
        n_episodes = problem.stage.size
        # Each touch is a competing cause of its stage's event: the hazard it released inside the
        # event's window [L, R], against all the hazard released there, is the chance it fired.
        converting = journeys.converting[stats.journey[episode]] & (
            problem.event_weight[episode] > 0
        )
        fired = _released_in_window(problem, self.theta)
        fired[~converting] = 0.0
        window = problem.base(self.theta) * problem.exposure_event + sum_by(
            episode, fired, n_episodes
        )
        n_channels = len(stats.channels) + 1
        channel = np.where(stats.touch_channel >= 0, stats.touch_channel, n_channels - 1)
        pair = episode * n_channels + channel
        keys, inverse = np.unique(pair[converting], return_inverse=True)
        by_key = sum_by(inverse, fired[converting], keys.size)
        key_window = window[keys // n_channels]
        share = np.divide(by_key, key_window, out=np.zeros(keys.size), where=key_window > 0)
        if "loss_rates" not in self._cache:
            self._cache["loss_rates"] = _loss_rates(self.stats, self._problem)
        # Had the channel's touch not fired, the journey would still be in that stage at R: the
        # chance it converts from there all the same.
        still = _still_converting(
            stats,
            problem,
            self.theta,
            loss_rates=self._cache["loss_rates"],
            row_episode=keys // n_channels,
            row_channel=keys % n_channels,
        )
        lost = share * (1.0 - still)
        # Without the channel the journey converts only if every stage it fired in still does.
        journey_channel = stats.journey[keys // n_channels] * n_channels + keys % n_channels
        jc, jc_inverse = np.unique(journey_channel, return_inverse=True)
        kept = np.exp(sum_by(jc_inverse, np.log1p(-np.minimum(lost, 1.0 - 1e-12)), jc.size))
        total = sum_by(jc_inverse, lost, jc.size)
        scale = np.divide(1.0 - kept, total, out=np.zeros(jc.size), where=total > 0)
        per_fired = np.divide(
            lost * scale[jc_inverse], by_key, out=np.zeros(keys.size), where=by_key > 0
        )
        losses = np.zeros(journeys.n_touches)
        losses[converting] = fired[converting] * per_fired[inverse]
        return losses

    def _touch_losses_cached(self, journeys: Journeys) -> NDArray[np.float64]:
        # credit() and credit_value() of the same journeys share one computation (the last only)
        hit = self._cache.get("losses")
        if hit is not None and hit[0] is journeys:
            cached: NDArray[np.float64] = hit[1]
            return cached
        losses = self._touch_losses(journeys)
        self._cache["losses"] = (journeys, losses)
        return losses

    def _shares(self, journeys: Journeys, weight: NDArray[np.float64]) -> NDArray[np.float64]:
        losses = self._touch_losses_cached(journeys)
        if self.spec.allocation == "journey":
            return normalise(journeys, losses)
        per_journey = sum_by(journeys.journey_of_touch, losses, journeys.n_journeys)
        expected = float(weight @ per_journey)
        if expected <= 0:  # the model sees no loss anywhere: nothing to tell channels apart
            return normalise(journeys, np.ones(journeys.n_touches))
        total = float(weight[journeys.lengths > 0].sum())
        return losses * (total / expected)

    def credit(self, journeys: Journeys) -> NDArray[np.float64]:
        """Shares per touch for the conversions measure."""
        return self._shares(journeys, journeys.conversions)

    def credit_value(self, journeys: Journeys) -> NDArray[np.float64]:
        """Shares per touch for the value measure."""
        return self._shares(journeys, journeys.value)

    # -- forecast --------------------------------------------------------------------------------
    def predict(self, journeys: Journeys, *, within: timedelta, steps: int = 64) -> Forecast:
        """For every journey not yet converted, the probability it converts ``within`` from now.

        "Now" is ``journeys.as_of`` (or the data's end). No further touches are assumed: the
        touches so far keep releasing their hazard and later stages have their baseline only.

        Parameters
        ----------
        journeys : Journeys
        within : timedelta
            The horizon.
        steps : int
            Time steps of the numerical integration over the horizon (1 to 10,000).
        """
        if not isinstance(within, timedelta) or within <= timedelta(0):
            msg = f"hazard.predict: within must be a positive timedelta (got {within!r})"
            raise ModelError(msg)
        if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= 10_000:
            msg = f"hazard.predict: steps must be a whole number in [1, 10000] (got {steps!r})"
            raise ModelError(msg)
        stats = _design(
            journeys,
            covariates=self.spec.covariates,
            resolution=_micros(self.spec.resolution),
            n_stages=self.stats.n_stages,
        )
        stats = _align(stats, self.stats)
        problem = _Problem.of(stats, self._problem.layout)
        open_episode = problem.censor_weight > 0
        open_episode &= ~journeys.converting[stats.journey]
        rows = np.flatnonzero(open_episode)
        touch_effects = problem.touch_effects(self.theta)
        rates = self.theta[: self.stats.n_stages]
        gamma = self.theta[self.stats.n_stages :][: problem.layout.n_covariate_columns]
        multiplier = np.exp(problem.design @ gamma)
        horizon = within / timedelta(days=1)
        dt = horizon / steps
        n_stages = self.stats.n_stages
        # state: probability of being in each remaining stage (the last column is "converted")
        state = np.zeros((rows.size, n_stages + 1))
        state[np.arange(rows.size), problem.stage[rows]] = 1.0
        where = np.full(problem.stage.size, -1, dtype=np.int64)
        where[rows] = np.arange(rows.size)
        touch_rows = where[problem.touch_episode]
        mine = touch_rows >= 0
        t_rows, t_effect = touch_rows[mine], touch_effects[mine]
        t_age = problem.touch_censor_age[mine][:, None]
        rate_k = (_LN2 / problem.layout.half_lives)[None, :]
        for step in range(steps):
            released = t_effect * (
                np.exp(-rate_k * (t_age + step * dt)) - np.exp(-rate_k * (t_age + (step + 1) * dt))
            )
            touches_now = sum_by(t_rows, released.sum(axis=1), rows.size)
            moved_in = np.zeros(rows.size)
            for s in range(n_stages):
                rate = rates[s] * multiplier[rows] * dt
                own = problem.stage[rows] == s
                hazard = rate + np.where(own, touches_now, 0.0)
                leave = state[:, s] * -np.expm1(-hazard)
                state[:, s] += moved_in - leave
                moved_in = leave
            state[:, n_stages] += moved_in
        probability = state[:, n_stages]
        index = stats.journey[rows]
        order = np.lexsort((index, -probability))
        return Forecast(
            journey=tuple(journeys.journey.labels[c] for c in journeys.journey.codes[index[order]]),
            index=index[order],
            probability=probability[order],
            stage=problem.stage[rows][order],
            within=within,
        )


def _align(stats: HazardStats, fitted: HazardStats) -> HazardStats:
    """Channel and covariate codes of ``stats`` recoded to the fitted model's (-1 when unseen)."""
    index = {c: i for i, c in enumerate(fitted.channels)}
    lookup = np.array([index.get(c, -1) for c in stats.channels] + [-1], dtype=np.int64)
    codes = stats.covariate_codes.copy()
    for k, (old, new) in enumerate(zip(stats.levels, fitted.levels, strict=True)):
        where = {label: i for i, label in enumerate(new)}
        table = np.array([where.get(label, -1) for label in old] + [-1], dtype=np.int64)
        codes[:, k] = table[codes[:, k]]
    return attrs.evolve(
        stats,
        channels=fitted.channels,
        levels=fitted.levels,
        touch_channel=lookup[stats.touch_channel],
        covariate_codes=codes,
    )


_STEPS: Final = 96  # time steps of the forward run over each journey's horizon
_BLOCK: Final = 16_384  # touches run forward at once (memory: touches x stages x steps)


def _released_in_window(problem: _Problem, theta: NDArray[np.float64]) -> NDArray[np.float64]:
    """Per touch, the hazard it released inside its event's window ``[L, R]``.

    One kernel at a time, so that nothing of size touches x kernels is made besides the design.
    """
    layout = problem.layout
    effects = np.vstack(
        [theta[layout.head :].reshape(-1, layout.n_kernels), np.zeros((1, layout.n_kernels))]
    )
    out = np.zeros(problem.touch_pair.size)
    for kernel, half_life in enumerate(layout.half_lives.tolist()):
        by_left = -np.expm1(-problem.touch_left_age * (_LN2 / half_life))
        out += effects[problem.touch_pair, kernel] * (problem.touch_right[:, kernel] - by_left)
    return out


def _loss_rates(stats: HazardStats, problem: _Problem) -> NDArray[np.float64]:
    """Per stage, the hazard (per day) of leaving without converting: a competing event.

    A journey that stopped being watched before ``as_of`` (a lost deal, at its loss) left its
    stage for good; one still open at ``as_of`` is censored. Constant per stage: events over
    exposure.
    """
    as_of = stats.as_of if stats.as_of is not None else stats.end
    left = (stats.stop != NAT) & (stats.stop < as_of) & (problem.censor_weight > 0)
    n_stages = problem.layout.n_stages
    events = sum_by(problem.stage, np.where(left, problem.censor_weight, 0.0), n_stages)
    exposure = sum_by(
        problem.stage,
        problem.event_weight * (problem.exposure_left + problem.exposure_event)
        + problem.censor_weight * problem.exposure_censor,
        n_stages,
    )
    out: NDArray[np.float64] = np.divide(
        events, exposure, out=np.zeros(n_stages), where=exposure > 0
    )
    return out


def _still_converting(  # noqa: PLR0915  # one forward run, clearer unsplit
    stats: HazardStats,
    problem: _Problem,
    theta: NDArray[np.float64],
    *,
    loss_rates: NDArray[np.float64],
    row_episode: NDArray[np.int64],
    row_channel: NDArray[np.int64],
) -> NDArray[np.float64]:
    """Per (episode, channel) row: the chance the journey still converts had its event not fired.

    The fitted model is run forward from the episode's event time ``R`` to ``as_of`` on a grid of
    steps over the journey's span: the journey is still in the episode's stage, the channel's
    touches are gone, and every other touch raises the hazard of whichever stage the journey is
    in while it releases it; in each stage the journey may also leave without converting
    (``loss_rates``, a competing event). The result is divided by the chance of converting from
    the next stage at ``R`` with every touch (1 after the last stage), so that what the forward
    run cannot see (future touches, later thresholds) weighs on both sides, and capped at 1.
    """
    import scipy.sparse as sp  # noqa: PLC0415  # heavy: only when crediting

    if row_episode.size == 0:
        return np.ones(0)
    layout = problem.layout
    n_stages, n_kernels = layout.n_stages, layout.n_kernels
    n_channels = len(stats.channels) + 1  # the last: channels the fit never saw
    flat_table = np.zeros((n_channels * n_stages, n_kernels))
    flat_table[layout.pairs] = theta[layout.head :].reshape(-1, n_kernels)
    table = flat_table.reshape(n_channels, n_stages, n_kernels)
    rates = theta[:n_stages]
    decay = _LN2 / layout.half_lives
    as_of = stats.as_of if stats.as_of is not None else stats.end
    rows, row_journey = np.unique(stats.journey[row_episode], return_inverse=True)
    first = np.searchsorted(stats.journey, rows)
    last = np.searchsorted(stats.journey, rows, side="right") - 1
    start = stats.start[first]
    event_end = np.where(stats.right[last] != NAT, stats.right[last], start)
    horizon = np.maximum(np.maximum(event_end, np.int64(as_of)), start + _DAY)
    step = (horizon - start).astype(np.float64) / _DAY / _STEPS  # days
    multiplier = problem.multiplier(theta)[first]
    at = np.where(stats.right[row_episode] != NAT, stats.right[row_episode], start[row_journey])
    elapsed = (at - start[row_journey]).astype(np.float64) / _DAY
    begin = np.clip((elapsed / step[row_journey]).astype(np.int64), 0, _STEPS - 1)
    owner = stats.journey[stats.touch_episode]
    channel = np.where(stats.touch_channel >= 0, stats.touch_channel, n_channels - 1)
    position = np.searchsorted(rows, owner)
    mine = (position < rows.size) & (rows[np.minimum(position, rows.size - 1)] == owner)
    touches = np.flatnonzero(mine)  # a journey's touches are contiguous, journeys in order
    per_row = np.bincount(position[touches], minlength=rows.size)
    block_of_row = np.cumsum(per_row) // _BLOCK
    out = np.ones(row_episode.size)
    edges = np.arange(_STEPS + 1, dtype=np.float64)
    for block in np.unique(block_of_row):
        r = np.flatnonzero(block_of_row == block)
        t = touches[(position[touches] >= r[0]) & (position[touches] <= r[-1])]
        t_row = position[t] - r[0]
        k = np.flatnonzero((row_journey >= r[0]) & (row_journey <= r[-1]))
        # hazard each touch releases into each stage in each step: (touches, stages, steps)
        age = (start[r][t_row] - stats.touch_time[t]).astype(np.float64) / _DAY
        age = np.maximum(age[:, None] + step[r][t_row][:, None] * edges[None, :], 0.0)
        released = np.zeros((t.size, n_stages, _STEPS))
        for kernel in range(n_kernels):  # fitted mixtures are sparse: only kernels in use
            weight = table[channel[t], :, kernel]
            used = np.flatnonzero(weight.any(axis=1))
            if used.size:
                cumulative = -np.expm1(-decay[kernel] * age[used])
                released[used] += weight[used][:, :, None] * np.diff(cumulative, axis=1)[:, None]
        flat = released.reshape(t.size, -1)
        group = t_row * n_channels + channel[t]
        groups, t_group = np.unique(group, return_inverse=True)
        ones = np.ones(t.size)
        by_row = sp.csr_matrix((ones, (t_row, np.arange(t.size))), shape=(r.size, t.size))
        by_group = sp.csr_matrix((ones, (t_group, np.arange(t.size))), shape=(groups.size, t.size))
        local = row_journey[k] - r[0]
        every = np.asarray(by_row @ flat)[local]
        mine_k = np.searchsorted(groups, local * n_channels + row_channel[k])
        without = np.maximum(every - np.asarray(by_group @ flat)[mine_k], 0.0)
        which = np.concatenate([row_journey[k], row_journey[k]])
        stage = problem.stage[row_episode[k]]
        chance = _run_forward(
            np.vstack([without, every]).reshape(-1, n_stages, _STEPS),
            rates[None, :] * (multiplier[which] * step[which])[:, None],
            loss_rates[None, :] * step[which][:, None],
            np.concatenate([stage, stage + 1]),
            np.concatenate([begin[k], begin[k]]),
        )
        numerator, denominator = chance[: k.size], chance[k.size :]
        kept = np.divide(numerator, denominator, out=np.ones(k.size), where=denominator > 0)
        out[k] = np.minimum(kept, 1.0)
    return out


def _run_forward(
    pushes: NDArray[np.float64],
    base: NDArray[np.float64],
    loss: NDArray[np.float64],
    stage0: NDArray[np.int64],
    begin: NDArray[np.int64],
) -> NDArray[np.float64]:
    """The chance of having left the last stage by the end of ``pushes``' steps.

    ``pushes`` (rows, stages, steps): touch hazard per step; ``base`` and ``loss`` (rows, stages):
    baseline and leaving hazards per step; each row starts in ``stage0`` at step ``begin``.
    Within a step the stages are passed in order, so a journey can pass several in one step.
    """
    n_rows, n_stages, n_steps = pushes.shape
    mass = np.zeros((n_rows, n_stages + 1))
    mass[np.arange(n_rows), stage0] = 1.0
    for m in range(int(begin.min(initial=n_steps)), n_steps):
        running = begin <= m
        for s in range(n_stages):
            hazard = np.where(running, base[:, s] + pushes[:, s, m], 0.0)
            both = hazard + np.where(running, loss[:, s], 0.0)
            leaving = mass[:, s] * -np.expm1(-both)
            mass[:, s] -= leaving
            mass[:, s + 1] += leaving * np.divide(
                hazard, both, out=np.zeros(n_rows), where=both > 0
            )
    out: NDArray[np.float64] = mass[:, n_stages]
    return out


_Z: Final = 1.959964  # the 97.5% normal quantile


def _half_life(
    effects: NDArray[np.float64], half_lives: NDArray[np.float64], covariance: NDArray[np.float64]
) -> tuple[float, float, float, float]:
    """When a touch has released half its hazard, in days: estimate, se, 95% interval.

    The kernel is the mixture ``sum_k a_k (1 - 2^(-t / h_k))``; the time solves
    ``sum_k a_k (1/2 - 2^(-t / h_k)) = 0``. Its standard error comes from the effects' covariance
    by implicit differentiation; the interval is on the log scale.
    """
    if effects.sum() <= 0:
        return math.nan, math.nan, math.nan, math.nan
    low, high = math.log(1e-4), math.log(1e5)
    for _ in range(80):  # bisection on log t: the released share grows with t
        middle = 0.5 * (low + high)
        share = float(effects @ (0.5 - np.exp2(-math.exp(middle) / half_lives)))
        low, high = (middle, high) if share < 0 else (low, middle)
    t = math.exp(0.5 * (low + high))
    decay = np.exp2(-t / half_lives)
    slope = float(effects @ (_LN2 / half_lives * decay))
    gradient = -(0.5 - decay) / slope
    se = math.sqrt(max(float(gradient @ covariance @ gradient), 0.0))
    if _Z * se / t > 700:  # no information: the interval is everything
        return t, se, 0.0, math.inf
    spread = math.exp(_Z * se / t)
    return t, se, t / spread, t * spread


def _covariance(problem: _Problem, theta: NDArray[np.float64]) -> NDArray[np.float64]:
    """Inverse observed information of the penalised likelihood (the exact Hessian)."""
    hessian = problem.hessian(theta) * max(problem.total_weight, 1.0)
    try:
        return np.asarray(np.linalg.inv(hessian), dtype=np.float64)
    except np.linalg.LinAlgError:
        return np.asarray(np.linalg.pinv(hessian), dtype=np.float64)


def _micros(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


@register("hazard")
@attrs.frozen
class Hazard:
    """Time-to-event attribution: credit is what the fitted model loses without a channel.

    A survival model of conversion (see the module docstring for the formulas) fitted to
    converting and non-converting journeys: a baseline hazard per funnel stage, scaled by
    journey-level covariates; each touch adds hazard to its stage, released through a decay
    learned per channel and stage; journeys that have not converted are censored where they
    stopped being watched (``Journeys.end_time``, else ``Journeys.as_of``).
    A channel's credit is the expected conversions (value) the fitted model loses when the
    channel's touches are removed, spread over those touches by their fitted hazard.

    Parameters
    ----------
    covariates : sequence of str, or str
        Journey-level columns (a touch column constant within a journey, such as ``segment``)
        whose levels scale the baseline hazard, so that who gets touched is not mistaken for
        what touching does. A string may list several, comma-separated.
    allocation : {"global", "journey"}
        ``"global"`` (default): channel totals are the model's expected losses, scaled by one
        factor so total conversions (value) conserve. ``"journey"``: each converting journey's
        shares are its touches' losses renormalised within it.
    resolution : timedelta
        The smallest interval in which an event is known to have happened (default one day).
    kernels : sequence of timedelta
        Half-lives of the decay kernels a touch's effect is a mixture of (default 1 hour, 1 day,
        7 days, 30 days; 1 to 12 of them).

    Notes
    -----
    Chunked fitting (``attribute_file``, ``journeykit.dask``) stacks each chunk's design
    (``partial_stats``: per touch and per stage episode, so memory grows with the data) and fits
    once. Chunks must see the same milestone kinds (interleaved rows do; a chunk of only idle
    accounts does not, and ``merge`` says so). With ``allocation="global"`` each credited chunk is
    scaled to its own totals, so channel totals can differ slightly (0.1% in the tests) from the
    in-memory result; totals conserve either way.

    Examples
    --------
    >>> import journeykit as jk
    >>> journeys = jk.assemble(jk.datasets.load_demo().records)
    >>> fitted = jk.models.get("hazard").fit(journeys)
    >>> fitted.stages
    ('to_lead', 'to_opportunity', 'conversion')
    >>> credit = jk.attribute(journeys, "hazard").by("channel", measure="value")
    >>> round(sum(credit.values()) - journeys.total_value, 6)
    0.0
    """

    covariates: tuple[str, ...] = attrs.field(default=(), converter=_names)
    allocation: Allocation = attrs.field(default="global", validator=_allocation)
    resolution: timedelta = attrs.field(default=timedelta(days=1), validator=_resolution)
    kernels: tuple[timedelta, ...] = attrs.field(
        default=_KERNELS, converter=tuple, validator=_kernels
    )

    @property
    def tags(self) -> Tags:
        """Data-driven, needs times, uses milestones; conserves per journey with ``"journey"``."""
        return Tags(
            conserves="journey" if self.allocation == "journey" else "total",
            needs_times=True,
            uses_milestones=True,
            data_driven=True,
            # The fit converges to rounding, but overlapping decay kernels leave flat directions
            # in which the rounding of the likelihood's sums (which follows the journeys' order)
            # moves the optimum by ~1e-6: reordered journeys agree to ~4e-7 in credit, not 1e-7.
            precision=1e-6,
        )

    def partial_stats(self, journeys: Journeys) -> HazardStats:
        """The design of one chunk of journeys (merge chunks with ``merge``)."""
        return _design(journeys, covariates=self.covariates, resolution=_micros(self.resolution))

    def merge(self, left: HazardStats, right: HazardStats) -> HazardStats:
        """Two chunks' designs together (stacked; codes recoded)."""
        return left.merge(right)

    def fit(self, journeys: Journeys) -> FittedHazard:
        """Fit on all journeys at once."""
        fitted = self.fit_from_stats(self.partial_stats(journeys))
        fitted._cache["journeys"] = journeys  # credit() reuses the design
        return fitted

    def fit_from_stats(self, stats: HazardStats) -> FittedHazard:
        """Fit from (merged) designs: the same as fitting on the journeys themselves."""
        if stats.covariates != self.covariates:
            msg = (
                f"these statistics have covariates {stats.covariates}, the model {self.covariates}"
            )
            raise ModelError(msg)
        days = np.array([k / timedelta(days=1) for k in self.kernels], dtype=np.float64)
        problem = _Problem.of(stats, half_lives=days)
        theta = _minimise(problem)
        return FittedHazard(spec=self, stats=stats, theta=theta, problem=problem)
