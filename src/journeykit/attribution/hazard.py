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
        + \sum_{j \in (i, s),\ t_j \le t} a_{c_j s}
          \left(1 - e^{-\kappa_{c_j} (t - t_j)}\right),
    \qquad \kappa_c = \ln 2 / h_c,

a baseline ``b_s`` scaled by the journey's covariates, plus an additive push from each touch of the
stage: ``a_{cs}`` is the total hazard one touch of channel ``c`` adds in stage ``s`` (for a small
effect, the probability that the touch alone moves the journey on), released with half-life
``h_c`` (learned per channel; a short half-life is an immediate effect).

The likelihood is interval-censored, which is what milestone flags tell: a stage event happened
after its flagged touch ``L`` (the last touch at or before it) and before ``R`` (the next touch, or
the goal time; at least ``resolution`` later), so it contributes
``exp(-Lambda(L)) (1 - exp(-(Lambda(R) - Lambda(L))))``. A journey that has not converted was
watched until ``as_of`` (``Journeys.as_of``, or the data's end), not until its last touch: its
current stage contributes ``exp(-Lambda(as_of))``. Weak penalties (ridge on effects and covariates,
a wide log-normal prior on half-lives) keep the fit finite on small data; the estimate is their
penalised maximum (L-BFGS-B with the exact gradient, deterministic).

Counterfactual credit
---------------------
For a converting journey, stage event ``e`` had probability ``P_e = 1 - exp(-Lambda_e(R_e))`` of
happening by when it did; without channel ``c`` it would have had ``P_e^{-c}`` (the same with
``c``'s touches removed). The journey is lost without ``c`` with probability
``l_i(c) = 1 - prod_e P_e^{-c} / P_e``. That loss is spread over ``c``'s touches: over the stages
in proportion to ``-log(P_e^{-c} / P_e)``, within a stage in proportion to each touch's fitted
hazard. ``allocation="global"`` scales these per-touch losses by one factor so total conversions
(value) conserve: channel totals are the expected losses the model computes. ``"journey"``
normalises them within each converting journey.
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
from journeykit.errors import ModelError
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
_HALF_LIFE_PRIOR: Final = (math.log(7.0), 1.5)  # log days: centre, sd
_BOUNDS: Final = {
    "baseline": (-25.0, 5.0),
    "covariate": (-15.0, 15.0),
    "effect": (0.0, 50.0),
    "half_life": (math.log(1e-3), math.log(365.0)),
}


def _allocation(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value not in ("global", "journey"):
        msg = f"Hazard: allocation must be 'global' or 'journey' (got {value!r})"
        raise ModelError(msg)


def _names(value: str | Sequence[str]) -> tuple[str, ...]:
    if isinstance(value, str):  # the command passes "segment" or "segment,persona"
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return tuple(value)


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
            journey=np.concatenate([self.journey, other.journey]),
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
    censor_weight = np.where(final, journeys.nulls[journey], 0.0)
    channels = journeys.channel.labels
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
        levels.append(column.labels)
    return codes, tuple(levels)


@attrs.frozen(eq=False)
class _Layout:
    """How the parameter vector maps onto baselines, covariates, effects and half-lives."""

    n_stages: int
    n_covariate_columns: int
    pairs: NDArray[np.int64]  # active (channel * n_stages + stage) keys, one effect each
    decays: NDArray[np.int64]  # channels with a half-life parameter
    columns: tuple[tuple[int, int], ...]  # (covariate, level) per covariate column

    @property
    def size(self) -> int:
        return self.n_stages + self.n_covariate_columns + self.pairs.size + self.decays.size

    def split(self, theta: NDArray[np.float64]) -> tuple[NDArray[np.float64], ...]:
        cut = np.cumsum([self.n_stages, self.n_covariate_columns, self.pairs.size])
        return tuple(np.split(theta, cut))

    def bounds(self) -> list[tuple[float, float]]:
        return (
            [_BOUNDS["baseline"]] * self.n_stages
            + [_BOUNDS["covariate"]] * self.n_covariate_columns
            + [_BOUNDS["effect"]] * self.pairs.size
            + [_BOUNDS["half_life"]] * self.decays.size
        )


@attrs.frozen(eq=False)
class _Problem:
    """The fit's arrays in days, relative to each touch and episode (shift-invariant)."""

    layout: _Layout
    touch_pair: NDArray[np.int64]  # parameter index of the touch's effect, -1 if none
    touch_decay: NDArray[np.int64]  # parameter index of the touch's half-life, -1 if none
    touch_episode: NDArray[np.int64]
    d_left: NDArray[np.float64]  # days from the touch to its episode's L, R and C (>= 0)
    d_right: NDArray[np.float64]
    d_censor: NDArray[np.float64]
    stage: NDArray[np.int64]
    exposure_left: NDArray[np.float64]  # L - S, R - L, C - S in days
    exposure_event: NDArray[np.float64]
    exposure_censor: NDArray[np.float64]
    event_weight: NDArray[np.float64]
    censor_weight: NDArray[np.float64]
    design: NDArray[np.float64]  # (episodes, covariate columns)
    total_weight: float

    @classmethod
    def of(cls, stats: HazardStats, layout: _Layout | None = None) -> _Problem:
        as_of = stats.as_of if stats.as_of is not None else stats.end
        # A journey stops being watched at its end when known (a lost deal cannot convert after
        # its loss), else at as_of.
        censor = np.maximum(np.where(stats.stop != NAT, stats.stop, np.int64(as_of)), stats.start)
        has_event = stats.left != NAT
        left = np.where(has_event, stats.left, stats.start)
        right = np.where(has_event, stats.right, stats.start)
        episode = stats.touch_episode
        touch_time = stats.touch_time

        def days(later: NDArray[np.int64], earlier: NDArray[np.int64]) -> NDArray[np.float64]:
            out: NDArray[np.float64] = np.maximum(later - earlier, 0).astype(np.float64) / _DAY
            return out

        n_stages = stats.n_stages
        touch_stage = stats.stage[episode]
        key = stats.touch_channel * n_stages + touch_stage
        if layout is None:
            layout = _layout(stats, key)
        pair_index = np.full(len(stats.channels) * n_stages + 1, -1, dtype=np.int64)
        offset = n_stages + layout.n_covariate_columns
        pair_index[layout.pairs] = offset + np.arange(layout.pairs.size)
        decay_index = np.full(len(stats.channels) + 1, -1, dtype=np.int64)
        decay_index[layout.decays] = offset + layout.pairs.size + np.arange(layout.decays.size)
        key = np.where(stats.touch_channel >= 0, key, -1)
        design = np.zeros((stats.n_episodes, layout.n_covariate_columns))
        for column, (k, level) in enumerate(layout.columns):
            design[:, column] = stats.covariate_codes[:, k] == level
        return cls(
            layout=layout,
            touch_pair=pair_index[key],
            touch_decay=decay_index[stats.touch_channel],
            touch_episode=episode,
            d_left=days(left[episode], touch_time),
            d_right=days(right[episode], touch_time),
            d_censor=days(censor[episode], touch_time),
            stage=stats.stage,
            exposure_left=days(left, stats.start),
            exposure_event=days(right, left),
            exposure_censor=days(censor, stats.start),
            event_weight=stats.event_weight,
            censor_weight=stats.censor_weight,
            design=design,
            total_weight=float(stats.event_weight.sum() + stats.censor_weight.sum()),
        )

    def parts(
        self, theta: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """Per episode the baseline rate, and per touch its effect and decay rate."""
        log_b, gamma, _, _ = self.layout.split(theta)
        base = np.exp(log_b[self.stage] + self.design @ gamma)
        padded = np.append(theta, [0.0, 0.0])  # index -1: no effect
        effect = np.where(self.touch_pair >= 0, padded[self.touch_pair], 0.0)
        log_h = np.where(self.touch_decay >= 0, padded[self.touch_decay], 0.0)
        return base, effect, _LN2 * np.exp(-log_h)

    def objective(self, theta: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        """Penalised negative log-likelihood and its exact gradient."""
        layout = self.layout
        base, effect, kappa = self.parts(theta)
        e_left = np.exp(-kappa * self.d_left)
        e_right = np.exp(-kappa * self.d_right)
        e_censor = np.exp(-kappa * self.d_censor)
        n = self.stage.size
        episode = self.touch_episode
        cum_left = base * self.exposure_left + sum_by(episode, effect * (1 - e_left), n)
        increment = base * self.exposure_event + sum_by(episode, effect * (e_left - e_right), n)
        cum_censor = base * self.exposure_censor + sum_by(episode, effect * (1 - e_censor), n)
        we, wc = self.event_weight, self.censor_weight
        has_event = we > 0
        safe = np.where(has_event, increment, 1.0)
        log_p = np.log(-np.expm1(-safe))
        ll = -(we @ cum_left) + we[has_event] @ log_p[has_event] - wc @ cum_censor
        # d ll / d cum_left, increment, cum_censor per episode
        g_left, g_inc, g_censor = -we, np.where(has_event, we / np.expm1(safe), 0.0), -wc
        g_base = g_left * self.exposure_left + g_inc * self.exposure_event
        g_base += g_censor * self.exposure_censor
        g_base *= base
        gl, gi, gc = g_left[episode], g_inc[episode], g_censor[episode]
        d_effect = gl * (1 - e_left) + gi * (e_left - e_right) + gc * (1 - e_censor)
        # d/d kappa of (1 - exp(-kappa d)) is d exp(-kappa d); d kappa / d log h = -kappa
        d_kappa = effect * (
            gl * self.d_left * e_left
            + gi * (self.d_right * e_right - self.d_left * e_left)
            + gc * self.d_censor * e_censor
        )
        grad = np.zeros(theta.size)
        grad[: layout.n_stages] = sum_by(self.stage, g_base, layout.n_stages)
        grad[layout.n_stages : layout.n_stages + layout.n_covariate_columns] = (
            self.design.T @ g_base
        )
        size = theta.size + 1
        grad += sum_by(np.where(self.touch_pair >= 0, self.touch_pair, theta.size), d_effect, size)[
            :-1
        ]
        grad += sum_by(
            np.where(self.touch_decay >= 0, self.touch_decay, theta.size), -kappa * d_kappa, size
        )[:-1]
        penalty, penalty_grad = _penalty(layout, theta)
        scale = max(self.total_weight, 1.0)
        return float(-ll + penalty) / scale, (-grad + penalty_grad) / scale

    def hessian(self, theta: NDArray[np.float64]) -> NDArray[np.float64]:
        """The exact Hessian of :meth:`objective` (same scaling)."""
        import scipy.sparse as sp  # noqa: PLC0415  # heavy: only when fitting

        layout = self.layout
        base, effect, kappa = self.parts(theta)
        n, size = self.stage.size, theta.size
        episode = self.touch_episode
        kd_left, kd_right, kd_censor = (
            kappa * self.d_left,
            kappa * self.d_right,
            kappa * self.d_censor,
        )
        u_left, u_right, u_censor = np.exp(-kd_left), np.exp(-kd_right), np.exp(-kd_censor)
        increment = base * self.exposure_event + sum_by(episode, effect * (u_left - u_right), n)
        we, wc = self.event_weight, self.censor_weight
        has_event = we > 0
        safe = np.where(has_event, increment, 1.0)
        first = np.where(has_event, we / np.expm1(safe), 0.0)  # we psi'(D)
        # we psi''(D) = -we e^D / (e^D - 1)^2, written without overflow
        second = np.where(has_event, -we * np.exp(-safe) / np.expm1(-safe) ** 2, 0.0)
        # (1) curvature of log(1 - exp(-D)): J' diag(we psi'') J over event episodes
        ones = np.ones(n)
        rows = [np.arange(n), *(np.arange(n) for _ in layout.columns)]
        cols = [self.stage, *(np.full(n, layout.n_stages + k) for k in range(len(layout.columns)))]
        vals = [base * self.exposure_event * ones]
        vals += [base * self.exposure_event * self.design[:, k] for k in range(len(layout.columns))]
        has_pair, has_decay = self.touch_pair >= 0, self.touch_decay >= 0
        u1_left, u1_right, u1_censor = kd_left * u_left, kd_right * u_right, kd_censor * u_censor
        rows += [episode[has_pair], episode[has_decay]]
        cols += [self.touch_pair[has_pair], self.touch_decay[has_decay]]
        vals += [
            (u_left - u_right)[has_pair],
            (effect * (u1_left - u1_right))[has_decay],
        ]
        jacobian = sp.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, size)
        )
        weighted = sp.diags(second) @ jacobian
        hessian = np.asarray((jacobian.T @ weighted).todense(), dtype=np.float64)
        # (2) the baseline's own curvature: base * G * z z'
        g_base = base * (
            -we * self.exposure_left + first * self.exposure_event - wc * self.exposure_censor
        )
        design = np.column_stack([np.eye(layout.n_stages)[self.stage], self.design])
        block = layout.n_stages + layout.n_covariate_columns
        hessian[:block, :block] += design.T @ (design * g_base[:, None])
        # (3) effect x half-life and half-life x half-life, per touch
        gl, gi, gc = we[episode], first[episode], wc[episode]
        h1 = gl * u1_left + gi * (u1_left - u1_right) + gc * u1_censor
        u2 = (
            u1_left * (kd_left - 1),
            u1_right * (kd_right - 1),
            u1_censor * (kd_censor - 1),
        )
        h2 = gl * u2[0] + gi * (u2[0] - u2[1]) + gc * u2[2]
        both = has_pair & has_decay
        cross = sp.csr_matrix(
            (h1[both], (self.touch_pair[both], self.touch_decay[both])), shape=(size, size)
        ).toarray()
        hessian += cross + cross.T
        hessian += np.diag(
            sum_by(np.where(has_decay, self.touch_decay, size), effect * h2, size + 1)[:-1]
        )
        penalty = _penalty_curvature(layout)
        scale = max(self.total_weight, 1.0)
        return (-hessian + np.diag(penalty)) / scale


def _penalty(layout: _Layout, theta: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
    _, gamma, effects, log_h = layout.split(theta)
    centre, sd = _HALF_LIFE_PRIOR
    value = 0.5 * (
        float(gamma @ gamma) / _COVARIATE_SCALE**2
        + float(effects @ effects) / _EFFECT_SCALE**2
        + float((log_h - centre) @ (log_h - centre)) / sd**2
    )
    grad = np.concatenate(
        [
            np.zeros(layout.n_stages),
            gamma / _COVARIATE_SCALE**2,
            effects / _EFFECT_SCALE**2,
            (log_h - centre) / sd**2,
        ]
    )
    return value, grad


def _penalty_curvature(layout: _Layout) -> NDArray[np.float64]:
    return np.concatenate(
        [
            np.zeros(layout.n_stages),
            np.full(layout.n_covariate_columns, 1 / _COVARIATE_SCALE**2),
            np.full(layout.pairs.size, 1 / _EFFECT_SCALE**2),
            np.full(layout.decays.size, 1 / _HALF_LIFE_PRIOR[1] ** 2),
        ]
    )


def _layout(stats: HazardStats, key: NDArray[np.int64]) -> _Layout:
    n_stages = stats.n_stages
    valid = stats.touch_channel >= 0
    pairs = np.unique(key[valid])
    decays = np.unique(stats.touch_channel[valid])
    columns = tuple(
        (k, level) for k, labels in enumerate(stats.levels) for level in range(1, len(labels))
    )
    return _Layout(n_stages, len(columns), pairs, decays, columns)


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
    return np.concatenate(
        [
            np.log(rate),
            np.zeros(layout.n_covariate_columns),
            np.full(layout.pairs.size, 0.01),
            np.zeros(layout.decays.size),  # half-life 1 day
        ]
    )


def _minimise(problem: _Problem) -> NDArray[np.float64]:
    """Projected Newton with the exact Hessian, damped where it is not positive definite.

    Effects at their lower bound 0 whose gradient pushes them further down are held there. The
    penalised likelihood is smooth, so Newton converges in a few dozen steps to machine precision:
    the optimum (not the path to it) decides the result, so it is deterministic and does not
    depend on the order of channels or journeys beyond rounding.
    """
    bounds = np.array(problem.layout.bounds())
    low, high = bounds[:, 0], bounds[:, 1]
    theta = np.clip(_start(problem), low, high)
    value, grad = problem.objective(theta)
    for _ in range(_MAX_STEPS):
        held = ((theta <= low) & (grad > 0)) | ((theta >= high) & (grad < 0))
        free = np.flatnonzero(~held)
        if free.size == 0 or float(np.max(np.abs(grad[free]))) < _GRADIENT_TOLERANCE:
            return theta
        hessian = problem.hessian(theta)[np.ix_(free, free)]
        direction = np.zeros(theta.size)
        direction[free] = _newton_direction(hessian, grad[free])
        step, accepted = 1.0, False
        for _ in range(60):
            trial = np.clip(theta + step * direction, low, high)
            trial_value, trial_grad = problem.objective(trial)
            if np.isfinite(trial_value) and trial_value <= value + 1e-4 * float(
                grad @ (trial - theta)
            ):
                accepted = True
                break
            step *= 0.5
        if not accepted or (trial_value >= value and np.array_equal(trial, theta)):
            return theta  # no further decrease is representable: converged to rounding
        converged = value - trial_value <= 1e-16 * max(1.0, abs(value))
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
    """``-H^-1 g`` with ``H`` damped until positive definite (Levenberg)."""
    scale = float(np.mean(np.abs(np.diag(hessian)))) or 1.0
    damping = 0.0
    identity = np.eye(grad.size)
    for _ in range(60):
        try:
            factor = np.linalg.cholesky(hessian + damping * identity)
        except np.linalg.LinAlgError:
            damping = max(2.0 * damping, 1e-8 * scale)
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

    Each row is one parameter: ``kind`` is ``"effect"`` (the hazard one touch of ``channel``
    adds in ``stage``), ``"half_life"`` (days, per channel), ``"baseline"`` (per stage, per day)
    or ``"covariate"`` (a log rate ratio of a covariate level against the first level).
    Standard errors come from the observed information of the penalised likelihood; effect
    intervals are Wald intervals (they may reach below 0, the effect's lower bound), half-life
    and baseline intervals are Wald intervals on the log scale.
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

    def half_life(self, channel: str) -> tuple[float, float, float]:
        """A channel's half-life in days: (estimate, low, high)."""
        for i in range(len(self.kind)):
            if self.kind[i] == "half_life" and self.name[i] == channel:
                return float(self.estimate[i]), float(self.low[i]), float(self.high[i])
        msg = f"hazard: no half-life for channel {channel!r} (it has no touches)"
        raise KeyError(msg)

    def to_frame(self, backend: Literal["pandas", "polars", "pyarrow"] = "pandas") -> Any:
        """One row per parameter: kind, name, stage, estimate, se, low, high."""
        from journeykit.attribution.result import to_frame  # noqa: PLC0415

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
        from journeykit.attribution.result import to_frame  # noqa: PLC0415

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

    def _named(self) -> tuple[list[str], list[str], list[str]]:
        layout, stats = self._problem.layout, self.stats
        kinds = ["baseline"] * layout.n_stages
        names = ["baseline"] * layout.n_stages
        stages = list(self.stages)
        for k, level in layout.columns:
            kinds.append("covariate")
            names.append(f"{stats.covariates[k]}={stats.levels[k][level]}")
            stages.append("")
        for key in layout.pairs.tolist():
            kinds.append("effect")
            names.append(stats.channels[key // layout.n_stages])
            stages.append(self.stages[key % layout.n_stages])
        for channel in layout.decays.tolist():
            kinds.append("half_life")
            names.append(stats.channels[channel])
            stages.append("")
        return kinds, names, stages

    @property
    def effects(self) -> Effects:
        """Every parameter with its standard error and 95% interval (computed on first use)."""
        if "effects" not in self._cache:
            self._cache["effects"] = self._effects()
        result: Effects = self._cache["effects"]
        return result

    def _effects(self) -> Effects:
        layout = self._problem.layout
        covariance = _covariance(self._problem, self.theta)
        se = np.sqrt(np.maximum(np.diag(covariance), 0.0))
        kinds, names, stages = self._named()
        estimate = self.theta.copy()
        low = estimate - 1.959964 * se
        high = estimate + 1.959964 * se
        logged = np.ones(estimate.size, dtype=np.bool_)
        logged[layout.n_stages : layout.n_stages + layout.n_covariate_columns] = False
        logged[layout.n_stages + layout.n_covariate_columns :][: layout.pairs.size] = False
        # baselines and half-lives are fitted on the log scale: report them in days and per day
        estimate = np.where(logged, np.exp(estimate), estimate)
        low = np.where(logged, np.exp(low), low)
        high = np.where(logged, np.exp(high), high)
        se = np.where(logged, estimate * se, se)
        return Effects(tuple(kinds), tuple(names), tuple(stages), estimate, se, low, high)

    # -- credit ----------------------------------------------------------------------------------
    def _touch_losses(self, journeys: Journeys) -> NDArray[np.float64]:
        """Per touch, its part of the expected loss of its journey without its channel."""
        stats = _design(
            journeys,
            covariates=self.spec.covariates,
            resolution=_micros(self.spec.resolution),
            n_stages=self.stats.n_stages,
        )
        stats = attrs.evolve(stats, as_of=self.stats.as_of, end=max(stats.end, self.stats.end))
        stats = _align(stats, self.stats)
        problem = _Problem.of(stats, self._problem.layout)
        base, effect, kappa = problem.parts(self.theta)
        episode = problem.touch_episode
        n = problem.stage.size
        # Hazard each touch has released by R (its event's right end); events only.
        event = problem.event_weight > 0
        pushed = np.where(event[episode], effect * -np.expm1(-kappa * problem.d_right), 0.0)
        total = base * (problem.exposure_left + problem.exposure_event) + sum_by(episode, pushed, n)
        n_channels = len(stats.channels) + 1
        channel = np.where(stats.touch_channel >= 0, stats.touch_channel, n_channels - 1)
        group = episode * n_channels + channel
        keys, inverse = np.unique(group, return_inverse=True)
        by_group = sum_by(inverse, pushed, keys.size)
        group_episode = keys // n_channels
        with_all = -np.expm1(-total[group_episode])
        without = -np.expm1(-(total[group_episode] - by_group))
        ratio = np.divide(without, with_all, out=np.ones(keys.size), where=with_all > 0)
        log_kept = np.log(np.clip(ratio, 1e-300, 1.0))  # <= 0: the stage is less likely without
        # Journey level: the channel's loss over all its stages.
        journey_channel = stats.journey[group_episode] * n_channels + keys % n_channels
        jc_keys, jc_inverse = np.unique(journey_channel, return_inverse=True)
        jc_log = sum_by(jc_inverse, log_kept, jc_keys.size)
        jc_loss = -np.expm1(jc_log)
        # loss per unit of -log kept, then per unit of hazard pushed within the stage
        per_log = np.divide(jc_loss, -jc_log, out=np.zeros(jc_keys.size), where=jc_log < 0)
        per_push = np.divide(
            -log_kept * per_log[jc_inverse], by_group, out=np.zeros(keys.size), where=by_group > 0
        )
        losses = pushed * per_push[inverse]
        return np.where(journeys.converting[journeys.journey_of_touch], losses, 0.0)

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
        _, effect, kappa = problem.parts(self.theta)
        log_b = self.theta[: self.stats.n_stages]
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
        t_rows, t_effect, t_kappa = touch_rows[mine], effect[mine], kappa[mine]
        t_age = problem.d_censor[mine]
        for step in range(steps):
            released = t_effect * (
                np.exp(-t_kappa * (t_age + step * dt))
                - np.exp(-t_kappa * (t_age + (step + 1) * dt))
            )
            touches_now = sum_by(t_rows, released, rows.size)
            moved_in = np.zeros(rows.size)
            for s in range(n_stages):
                rate = np.exp(log_b[s]) * multiplier[rows] * dt
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
    journey-level covariates; each touch adds hazard to its stage, released with a half-life
    learned per channel; journeys that have not converted are censored at ``Journeys.as_of``.
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

    Examples
    --------
    >>> import journeykit as jk
    >>> journeys = jk.assemble(jk.datasets.load_demo())
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

    @property
    def tags(self) -> Tags:
        """Data-driven, needs times, uses milestones; conserves per journey with ``"journey"``."""
        return Tags(
            conserves="journey" if self.allocation == "journey" else "total",
            needs_times=True,
            uses_milestones=True,
            data_driven=True,
        )

    def partial_stats(self, journeys: Journeys) -> HazardStats:
        """The design of one chunk of journeys (merge chunks with ``merge``)."""
        return _design(journeys, covariates=self.covariates, resolution=_micros(self.resolution))

    def merge(self, left: HazardStats, right: HazardStats) -> HazardStats:
        """Two chunks' designs together (stacked; codes recoded)."""
        return left.merge(right)

    def fit(self, journeys: Journeys) -> FittedHazard:
        """Fit on all journeys at once."""
        return self.fit_from_stats(self.partial_stats(journeys))

    def fit_from_stats(self, stats: HazardStats) -> FittedHazard:
        """Fit from (merged) designs: the same as fitting on the journeys themselves."""
        if stats.covariates != self.covariates:
            msg = (
                f"these statistics have covariates {stats.covariates}, the model {self.covariates}"
            )
            raise ModelError(msg)
        problem = _Problem.of(stats)
        theta = _minimise(problem)
        return FittedHazard(spec=self, stats=stats, theta=theta, problem=problem)
