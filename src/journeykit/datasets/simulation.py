"""A generative B2B world whose true attribution is known: :func:`simulate`.

How the world works
-------------------
Every account moves through three funnel stages: *awareness* (until one of its buyers becomes a
lead), *consideration* (lead until an opportunity is created) and *decision* (open opportunity
until it is won, or lost at its deadline). Before anything is decided, the simulator draws every
random number the world will ever need: each account's segment, buying committee, deal value,
spontaneous progress times and sales-cycle deadline, and for every channel a set of *candidate
touches* (time, buyer, a uniform number for success and one for the asset).

A candidate touch happens if its channel is active in the account's stage at that time. A touch
in stage ``s`` moves the account to the next stage when its uniform number is below the channel's
effect for ``s`` times the asset's multiplier; the account moves at the earliest such touch, or
at its spontaneous time if that comes first. Switching a channel (or asset) off removes its touches
and replays the *same* draws: the difference in won deals and won value is the channel's true
causal contribution. A channel with no effect changes nothing when switched off, by construction.

Hold-out experiments
--------------------
``simulate(..., holdout={"webinar": 0.1})`` keeps a random tenth of the accounts out of the webinar
channel: their candidate webinar touches never happen. The held-out accounts are drawn from their
own random stream, so every other draw is the one of the world without the hold-out. Because
accounts do not interact, replaying the same draws with the channel on for everyone and off for
everyone gives both potential outcomes of every account: :class:`Holdout` carries them, so the true
effect of the channel on exactly the accounts of the experiment is known.
"""

from __future__ import annotations

import zlib
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Final

import attrs
import numpy as np
from numpy.typing import NDArray

from journeykit import budget
from journeykit.buyers import Account, Buyer
from journeykit.content import AssetKind, ContentAsset, FunnelStage
from journeykit.deals import Deal, DealBuyer, Outcome, StageChange
from journeykit.errors import ParameterError, Problem, ValidationError
from journeykit.personas import Persona
from journeykit.records import Records
from journeykit.touchpoints import Reach, Team, Touchpoint

__all__ = [
    "DEFAULT_CHANNELS",
    "ChannelSpec",
    "Effect",
    "GroundTruth",
    "Holdout",
    "Simulation",
    "simulate",
]

_STAGES: Final = (FunnelStage.AWARENESS, FunnelStage.CONSIDERATION, FunnelStage.DECISION)
_NEVER: Final = np.inf
_START: Final = datetime(2025, 1, 6, tzinfo=UTC)
_SEGMENTS: Final = ("smb", "mid_market", "enterprise")
_SEGMENT_SHARE: Final = (0.6, 0.3, 0.1)
_COMMITTEE: Final = ((1, 2), (2, 3), (3, 5))  # buyers per account, lowest and highest
_MEDIAN_VALUE: Final = (8_000.0, 30_000.0, 120_000.0)
_TOUCH_SCALE: Final = (0.8, 1.0, 1.6)  # bigger accounts are touched more
_PERSONAS: Final = (
    Persona("it_lead", "IT leader", role="Head of IT", pains=("security", "integration")),
    Persona("finance", "Finance leader", role="CFO", pains=("cost", "risk")),
    Persona("operations", "Operations manager", role="COO", pains=("efficiency",)),
)
_ASSETS_PER_STAGE: Final = 2


def stage_values(
    value: Mapping[FunnelStage, float] | Mapping[str, float],
) -> tuple[tuple[FunnelStage, float], ...]:
    """A mapping of funnel stage to number as ``(stage, float)`` pairs in funnel order."""
    return tuple(sorted(((FunnelStage(k), float(v)) for k, v in value.items()), key=_order))


def _order(item: tuple[FunnelStage, float]) -> int:
    return _STAGES.index(item[0])


@attrs.frozen
class ChannelSpec:
    """One channel of a simulated world and its true effect.

    Parameters
    ----------
    name : str
        Channel name, as it appears on touches.
    reach : Reach
        One-to-many (marketing broadcast) or one-to-one (personal).
    rate : float
        Expected candidate touches per account over the simulated period, > 0 (accounts of bigger
        segments get proportionally more).
    effects : mapping of FunnelStage to float
        The stages in which the channel touches an account, and for each the probability in
        [0, 1] that one touch moves the account to the next stage. A stage that is absent gets no
        touches; a zero effect gets touches that change nothing.
    team : Team, optional
        Defaults from ``reach`` like :class:`~journeykit.Touchpoint` does.
    asset_kind : AssetKind, optional
        If set, every touch uses a content asset of this kind made for the account's stage.
    cost : float
        Cost of one touch, >= 0.

    Examples
    --------
    >>> from journeykit import FunnelStage, Reach
    >>> spec = ChannelSpec("podcast", Reach.ONE_TO_MANY, rate=2.0,
    ...                    effects={FunnelStage.AWARENESS: 0.05})
    >>> spec.team.value, spec.effect(FunnelStage.DECISION)
    ('marketing', 0.0)
    """

    name: str
    reach: Reach
    rate: float
    effects: tuple[tuple[FunnelStage, float], ...] = attrs.field(converter=stage_values)
    team: Team | None = None
    asset_kind: AssetKind | None = None
    cost: float = 0.0

    def __attrs_post_init__(self) -> None:
        problems = []
        label = f"ChannelSpec {self.name!r}"
        if not self.name:
            problems.append(Problem(label, "name", "must not be empty"))
        if not np.isfinite(self.rate) or self.rate <= 0:
            problems.append(Problem(label, "rate", f"must be finite and > 0 (got {self.rate!r})"))
        if not self.effects:
            problems.append(Problem(label, "effects", "must name at least one stage"))
        for stage, p in self.effects:
            if not 0.0 <= p <= 1.0:
                problems.append(
                    Problem(label, "effects", f"{stage.value}: must be in [0, 1] (got {p!r})")
                )
        if not np.isfinite(self.cost) or self.cost < 0:
            problems.append(Problem(label, "cost", f"must be finite and >= 0 (got {self.cost!r})"))
        if problems:
            raise ValidationError(problems)
        if self.team is None:
            object.__setattr__(self, "team", self.reach.default_team)

    def effect(self, stage: FunnelStage) -> float:
        """The probability that one touch in ``stage`` moves the account on (0 if inactive)."""
        return dict(self.effects).get(stage, 0.0)


_A, _C, _D = _STAGES
DEFAULT_CHANNELS: Final = (
    ChannelSpec("paid_search", Reach.ONE_TO_MANY, 3.0, {_A: 0.05, _C: 0.01}, cost=4.0),
    ChannelSpec(
        "paid_social",
        Reach.ONE_TO_MANY,
        5.0,
        {_A: 0.02, _C: 0.005},
        asset_kind=AssetKind.AD_CREATIVE,
        cost=1.5,
    ),
    ChannelSpec("display", Reach.ONE_TO_MANY, 6.0, {_A: 0.0, _C: 0.0, _D: 0.0}, cost=0.5),
    ChannelSpec(
        "organic_search",
        Reach.ONE_TO_MANY,
        3.0,
        {_A: 0.06, _C: 0.02},
        asset_kind=AssetKind.BLOG_POST,
    ),
    ChannelSpec(
        "email", Reach.ONE_TO_MANY, 6.0, {_A: 0.01, _C: 0.03, _D: 0.01}, asset_kind=AssetKind.EMAIL
    ),
    ChannelSpec(
        "webinar",
        Reach.ONE_TO_MANY,
        1.5,
        {_A: 0.12, _C: 0.10},
        asset_kind=AssetKind.WEBINAR,
        cost=20.0,
    ),
    ChannelSpec("sdr_email", Reach.ONE_TO_ONE, 2.0, {_A: 0.08}, team=Team.MARKETING),
    ChannelSpec("call", Reach.ONE_TO_ONE, 4.0, {_C: 0.10, _D: 0.04}),
    ChannelSpec("demo", Reach.ONE_TO_ONE, 2.0, {_C: 0.20, _D: 0.10}),
    ChannelSpec("meeting", Reach.ONE_TO_ONE, 3.0, {_D: 0.15}),
    ChannelSpec(
        "rep_email",
        Reach.ONE_TO_ONE,
        2.0,
        {_D: 0.06},
        team=Team.SALES,
        asset_kind=AssetKind.CASE_STUDY,
    ),
)
"""The channels :func:`simulate` uses unless told otherwise: six marketing broadcast channels
(``display`` has no effect at all), an SDR's one-to-one emails (marketing) and four sales
channels."""


@attrs.frozen
class Effect:
    """What switching one channel or asset off costs: won deals and won value lost."""

    won: int
    value: float


@attrs.frozen
class GroundTruth:
    """The true causal contribution of every channel and asset of a simulated world.

    Attributes
    ----------
    won, value : int, float
        Won deals and won value of the world as simulated.
    channels, assets : dict of str to Effect
        For each channel (asset): the won deals and value lost when it is switched off and the
        same world is re-simulated with the same random draws. A loss can be negative: without
        the channel an opportunity may open later and then close inside its deadline where the
        earlier one ran out of time.
    """

    won: int
    value: float
    channels: Mapping[str, Effect]
    assets: Mapping[str, Effect]

    def shares(self, by: str = "channel", *, measure: str = "value") -> dict[str, float]:
        """Each channel's (asset's) lost value or deals as a share of the sum over all of them.

        This normalised removal effect is the benchmark attribution models are scored against;
        it sums to 1 (all zero if nothing matters); negative losses count as zero. Interactions
        mean the raw losses need not add up to :attr:`value`; the shares make them comparable
        with credit.

        Examples
        --------
        >>> truth = GroundTruth(2, 10.0, {"a": Effect(1, 6.0), "b": Effect(1, 2.0)}, {})
        >>> truth.shares()
        {'a': 0.75, 'b': 0.25}
        """
        if by not in ("channel", "asset"):
            raise ParameterError(f"by must be 'channel' or 'asset' (got {by!r})")
        if measure not in ("value", "conversions"):
            raise ParameterError(f"measure must be 'value' or 'conversions' (got {measure!r})")
        effects = self.channels if by == "channel" else self.assets
        lost = {k: (e.value if measure == "value" else float(e.won)) for k, e in effects.items()}
        total = sum(max(v, 0.0) for v in lost.values())
        return {k: (max(v, 0.0) / total if total > 0 else 0.0) for k, v in lost.items()}


@attrs.frozen(eq=False)
class Holdout:
    """One simulated hold-out experiment and its true effect, account by account.

    Attributes
    ----------
    channel : str
        The channel the held-out accounts never received.
    fraction : float
        The share of accounts asked to be held out (each account independently).
    accounts : tuple of str
        Every account's ID, in the order of the arrays below.
    held_out : array of bool
        Whether each account was held out.
    won_with, won_without : arrays of bool
        Whether each account wins a deal with the channel and without it (the other channels'
        hold-outs as simulated): both potential outcomes, from replays of the same draws.
    value_with, value_without : arrays of float
        Each account's won value with the channel and without it.

    Examples
    --------
    >>> from journeykit.datasets import simulate
    >>> world = simulate(n_accounts=400, seed=3, holdout={"webinar": 0.2}, ground_truth=False)
    >>> test = world.holdouts["webinar"]
    >>> int(test.held_out.sum()), len(test.accounts)
    (86, 400)
    >>> bool(test.incremental_value >= 0)
    True
    """

    channel: str
    fraction: float
    accounts: tuple[str, ...] = attrs.field(repr=False)
    held_out: NDArray[np.bool_] = attrs.field(repr=False)
    won_with: NDArray[np.bool_] = attrs.field(repr=False)
    won_without: NDArray[np.bool_] = attrs.field(repr=False)
    value_with: NDArray[np.float64] = attrs.field(repr=False)
    value_without: NDArray[np.float64] = attrs.field(repr=False)

    @property
    def arm(self) -> list[str]:
        """Each account's arm: ``"holdout"`` or ``"treatment"``."""
        return ["holdout" if h else "treatment" for h in self.held_out.tolist()]

    @property
    def incremental_value(self) -> float:
        """The true won value the channel added to the accounts that received it."""
        treated = ~self.held_out
        return float((self.value_with[treated] - self.value_without[treated]).sum())

    @property
    def incremental_won(self) -> int:
        """The true won deals the channel added to the accounts that received it."""
        treated = ~self.held_out
        return int(self.won_with[treated].sum()) - int(self.won_without[treated].sum())


@attrs.frozen
class Simulation:
    """A simulated world: its :class:`~journeykit.Records`, ground truth and settings.

    ``holdouts`` maps each channel given to ``simulate(holdout=...)`` to its :class:`Holdout`.
    """

    records: Records
    truth: GroundTruth
    channels: tuple[ChannelSpec, ...]
    asset_multipliers: Mapping[str, float]
    seed: int
    holdouts: Mapping[str, Holdout] = attrs.field(factory=dict)

    def __repr__(self) -> str:
        return (
            f"Simulation(seed={self.seed}, {self.records!r}, won={self.truth.won}, "
            f"value={self.truth.value:,.0f})"
        )


@attrs.frozen
class _Draws:
    """Every random number of one world, drawn once and replayed for each counterfactual."""

    segment: NDArray[np.int64]
    committee: NDArray[np.int64]
    value: NDArray[np.float64]
    spontaneous: NDArray[np.float64]  # (accounts, 3) days from the previous stage
    deadline: NDArray[np.float64]  # days an opportunity stays open before it is lost
    lead_buyer: NDArray[np.int64]  # committee member who becomes the lead spontaneously
    # candidate touches, sorted by (account, time)
    account: NDArray[np.int64]
    channel: NDArray[np.int64]
    time: NDArray[np.float64]
    buyer: NDArray[np.int64]
    u_success: NDArray[np.float64]
    u_asset: NDArray[np.float64]
    persona: NDArray[np.int64]  # per buyer, accounts in order (no causal effect)


@attrs.frozen
class _Outcome:
    lead: NDArray[np.float64]
    opportunity: NDArray[np.float64]
    close: NDArray[np.float64]
    won: NDArray[np.bool_]
    lead_touch: NDArray[np.int64]  # candidate index that made the lead, -1 if spontaneous
    happened: NDArray[np.bool_]
    stage: NDArray[np.int64]
    asset: NDArray[np.int64]


def simulate(
    *,
    n_accounts: int,
    seed: int,
    channels: Sequence[ChannelSpec] = DEFAULT_CHANNELS,
    days: int = 365,
    switch_off: Collection[str] = (),
    ground_truth: bool = True,
    holdout: Mapping[str, float] | None = None,
) -> Simulation:
    """Simulate a B2B world with marketing and sales touches and its true attribution.

    Parameters
    ----------
    n_accounts : int
        Number of buying accounts (each with a committee of one to five buyers).
    seed : int
        Seed of every random draw: the same seed gives the same world, bit for bit.
    channels : sequence of ChannelSpec
        The channels and their true effects (default :data:`DEFAULT_CHANNELS`).
    days : int
        Length of the simulated period. Deals still open at its end stay ``OPEN``.
    switch_off : collection of str
        Channel or asset IDs to remove from the world; the other draws are replayed unchanged,
        which is how the ground truth is computed.
    ground_truth : bool
        Compute the counterfactual for every channel and asset (one re-simulation each).
    holdout : mapping of str to float, optional
        Hold-out experiments: for each channel named, the share (in (0, 1)) of accounts that
        never receive it. The hold-outs are drawn from their own random stream, so all other
        draws stay those of the world without them; the ground truth is computed in the world
        with the hold-outs in place, and ``holdouts`` carries each experiment's true effect.

    Returns
    -------
    Simulation
        ``records`` (validated), ``truth`` (:class:`GroundTruth`), the channel specs and the
        assets' true effect multipliers.

    Examples
    --------
    >>> from journeykit.datasets import simulate
    >>> world = simulate(n_accounts=200, seed=7)
    >>> world.truth.channels["display"]      # no effect, so nothing is lost without it
    Effect(won=0, value=0.0)
    >>> without = simulate(n_accounts=200, seed=7, switch_off=["webinar"], ground_truth=False)
    >>> world.truth.won - without.truth.won == world.truth.channels["webinar"].won
    True
    """
    specs = tuple(channels)
    holdout = dict(holdout or {})
    problems = _check_arguments(n_accounts, seed, specs, days, switch_off)
    problems += _check_holdout(holdout, specs)
    if problems:
        raise ValidationError(problems)
    rng = np.random.default_rng(seed)
    assets = _assets(specs)
    multipliers = rng.uniform(0.25, 1.75, size=len(assets))
    names = [s.name for s in specs]
    known = set(names) | {a.id for a in assets}
    unknown = sorted(set(switch_off) - known)
    if unknown:
        raise ValidationError(
            [Problem("simulate", "switch_off", f"unknown channel or asset {u!r}") for u in unknown]
        )
    draws = _draw(rng, n_accounts, specs, days)
    table = _AssetTable.of(specs, assets, multipliers)
    channel_off = np.isin(names, list(switch_off))
    asset_off = np.isin([a.id for a in assets], list(switch_off))
    held = _held_out(seed, n_accounts, names, holdout)
    blocked = held[draws.channel, draws.account]
    outcome = _run(
        draws, table, days, channel_off=channel_off, asset_off=asset_off, blocked=blocked
    )
    won, value = _totals(draws, outcome)
    channel_truth: dict[str, Effect] = {}
    asset_truth: dict[str, Effect] = {}
    if ground_truth:  # replay the same draws with one more channel (asset) switched off
        for i, name in enumerate(names):
            replay = _run(
                draws,
                table,
                days,
                channel_off=_also(channel_off, i),
                asset_off=asset_off,
                blocked=blocked,
            )
            channel_truth[name] = _lost(draws, replay, won, value)
        for i, asset in enumerate(assets):
            replay = _run(
                draws,
                table,
                days,
                channel_off=channel_off,
                asset_off=_also(asset_off, i),
                blocked=blocked,
            )
            asset_truth[asset.id] = _lost(draws, replay, won, value)
    records = _records(draws, outcome, specs, assets)
    account_ids = tuple(a.id for a in records.accounts)
    experiments = {}
    for name, fraction in holdout.items():
        c = names.index(name)
        arms = []
        for everyone in (False, True):  # the channel on for every account, then off
            others = held.copy()
            others[c] = everyone
            arms.append(
                _run(
                    draws,
                    table,
                    days,
                    channel_off=channel_off,
                    asset_off=asset_off,
                    blocked=others[draws.channel, draws.account],
                )
            )
        on, off = arms
        experiments[name] = Holdout(
            name,
            fraction,
            account_ids,
            held[c].copy(),
            on.won.copy(),
            off.won.copy(),
            np.where(on.won, draws.value, 0.0),
            np.where(off.won, draws.value, 0.0),
        )
    return Simulation(
        records=records,
        truth=GroundTruth(won, value, channel_truth, asset_truth),
        channels=specs,
        asset_multipliers={a.id: float(m) for a, m in zip(assets, multipliers, strict=True)},
        seed=seed,
        holdouts=experiments,
    )


def _check_holdout(holdout: dict[str, float], specs: tuple[ChannelSpec, ...]) -> list[Problem]:
    names = {s.name for s in specs if isinstance(s, ChannelSpec)}
    problems = []
    for name, fraction in holdout.items():
        if name not in names:
            problems.append(Problem("simulate", "holdout", f"unknown channel {name!r}"))
        if not isinstance(fraction, float | int) or not 0.0 < fraction < 1.0:
            problems.append(
                Problem("simulate", "holdout", f"{name}: must be in (0, 1) (got {fraction!r})")
            )
    return problems


def _held_out(
    seed: int, n: int, names: list[str], holdout: Mapping[str, float]
) -> NDArray[np.bool_]:
    """``(channels, accounts)``: which accounts each channel never reaches.

    Each channel's hold-out has its own stream (from the seed and the channel's name), so adding
    a hold-out moves no draw of the world nor of another hold-out.
    """
    held = np.zeros((len(names), n), dtype=bool)
    for name, fraction in holdout.items():
        stream = np.random.default_rng([seed, zlib.crc32(name.encode()), 14])
        held[names.index(name)] = stream.random(n) < fraction
    return held


def _check_arguments(
    n_accounts: int,
    seed: int,
    specs: tuple[ChannelSpec, ...],
    days: int,
    switch_off: Collection[str],
) -> list[Problem]:
    problems = []
    if isinstance(n_accounts, bool) or not isinstance(n_accounts, int) or n_accounts < 1:
        problems.append(
            Problem("simulate", "n_accounts", f"must be an int >= 1 (got {n_accounts!r})")
        )
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        problems.append(Problem("simulate", "seed", f"must be an int >= 0 (got {seed!r})"))
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        problems.append(Problem("simulate", "days", f"must be an int >= 1 (got {days!r})"))
    limit = budget.current().max_simulated
    for name, size in (("n_accounts", n_accounts), ("days", days)):
        if isinstance(size, int) and size > limit:
            message = f"is above the budget's max_simulated={limit} (got {size!r})"
            problems.append(Problem("simulate", name, message))
    if not specs:
        problems.append(Problem("simulate", "channels", "must name at least one channel"))
    seen: set[str] = set()
    for spec in specs:
        if not isinstance(spec, ChannelSpec):
            problems.append(Problem("simulate", "channels", f"expected ChannelSpec, got {spec!r}"))
        elif spec.name in seen:
            problems.append(Problem("simulate", "channels", f"duplicate channel {spec.name!r}"))
        else:
            seen.add(spec.name)
    if isinstance(switch_off, str):
        problems.append(
            Problem("simulate", "switch_off", "must be a collection of names, not one string")
        )
    return problems


def _assets(specs: tuple[ChannelSpec, ...]) -> list[ContentAsset]:
    personas = [p.id for p in _PERSONAS]
    assets: list[ContentAsset] = []
    for spec in specs:
        if spec.asset_kind is None:
            continue
        for stage, _ in spec.effects:
            for k in range(_ASSETS_PER_STAGE):
                target = {personas[(len(assets) + j) % len(personas)] for j in range(k + 1)}
                assets.append(
                    ContentAsset(
                        f"{spec.name}-{stage.value}-{k + 1}",
                        f"{spec.asset_kind.value.replace('_', ' ')} {k + 1} for {stage.value}",
                        spec.asset_kind,
                        target,
                        stage,
                    )
                )
    return assets


@attrs.frozen
class _AssetTable:
    """For each (channel, stage): the first of its assets (-1 if none) and the multipliers."""

    first: NDArray[np.int64]  # (channels, 3)
    multiplier: NDArray[np.float64]  # (assets + 1,), last entry 1.0 for "no asset"
    effect: NDArray[np.float64]  # (channels, 3)
    active: NDArray[np.bool_]  # (channels, 3)

    @classmethod
    def of(
        cls,
        specs: tuple[ChannelSpec, ...],
        assets: list[ContentAsset],
        multipliers: NDArray[np.float64],
    ) -> _AssetTable:
        first = np.full((len(specs), 3), -1, dtype=np.int64)
        effect = np.zeros((len(specs), 3))
        active = np.zeros((len(specs), 3), dtype=bool)
        ids = {a.id: i for i, a in enumerate(assets)}
        for c, spec in enumerate(specs):
            for stage, p in spec.effects:
                s = _STAGES.index(stage)
                effect[c, s] = p
                active[c, s] = True
                if spec.asset_kind is not None:
                    first[c, s] = ids[f"{spec.name}-{stage.value}-1"]
        return cls(first, np.append(multipliers, 1.0), effect, active)

    def asset_at(
        self, channel: NDArray[np.int64], stage: int, u: NDArray[np.float64]
    ) -> NDArray[np.int64]:
        """The asset each touch uses in ``stage`` (-1 without one), chosen by its draw ``u``."""
        first = self.first[channel, stage]
        pick = np.minimum((u * _ASSETS_PER_STAGE).astype(np.int64), _ASSETS_PER_STAGE - 1)
        return np.where(first >= 0, first + pick, -1)


def _draw(rng: np.random.Generator, n: int, specs: tuple[ChannelSpec, ...], days: int) -> _Draws:
    segment = rng.choice(3, size=n, p=_SEGMENT_SHARE)
    low = np.array([c[0] for c in _COMMITTEE])[segment]
    high = np.array([c[1] for c in _COMMITTEE])[segment]
    committee = rng.integers(low, high + 1)
    value = np.round(np.array(_MEDIAN_VALUE)[segment] * rng.lognormal(0.0, 0.5, size=n), -2)
    spontaneous = rng.exponential([900.0, 240.0, 300.0], size=(n, 3))
    deadline = rng.uniform(45.0, 150.0, size=n)
    lead_buyer = (rng.random(n) * committee).astype(np.int64)
    scale = np.array(_TOUCH_SCALE)[segment]
    rates = np.array([s.rate for s in specs])
    counts = rng.poisson(scale[:, None] * rates[None, :])  # (accounts, channels)
    total = int(counts.sum())
    account = np.repeat(np.repeat(np.arange(n), len(specs)), counts.ravel())
    channel = np.repeat(np.tile(np.arange(len(specs)), n), counts.ravel())
    time = rng.uniform(0.0, float(days), size=total)
    buyer = (rng.random(total) * committee[account]).astype(np.int64)
    u_success = rng.random(total)
    u_asset = rng.random(total)
    persona = rng.integers(0, len(_PERSONAS), size=int(committee.sum()))  # last: changes no other
    order = np.lexsort((time, account))
    return _Draws(
        segment=segment,
        committee=committee,
        value=value,
        spontaneous=spontaneous,
        deadline=deadline,
        lead_buyer=lead_buyer,
        account=account[order],
        channel=channel[order],
        time=time[order],
        buyer=buyer[order],
        u_success=u_success[order],
        u_asset=u_asset[order],
        persona=persona,
    )


def _first_success(
    draws: _Draws, candidate: NDArray[np.bool_], n: int
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Per account, the time and index of its earliest successful candidate (inf, -1 if none)."""
    index = np.flatnonzero(candidate)
    accounts = draws.account[index]
    # candidates are sorted by (account, time): the first per account is the earliest
    first = np.ones(len(index), dtype=bool)
    first[1:] = accounts[1:] != accounts[:-1]
    times = np.full(n, _NEVER)
    which = np.full(n, -1, dtype=np.int64)
    times[accounts[first]] = draws.time[index[first]]
    which[accounts[first]] = index[first]
    return times, which


def _run(
    draws: _Draws,
    table: _AssetTable,
    days: int,
    *,
    channel_off: NDArray[np.bool_],
    asset_off: NDArray[np.bool_],
    blocked: NDArray[np.bool_],
) -> _Outcome:
    """Replay the draws; ``blocked`` marks candidate touches held out of their account."""
    n = len(draws.segment)
    on = ~np.append(asset_off, False)  # index -1 ("no asset") is always on
    start = np.zeros(n)
    entered = []
    lead_touch = np.full(n, -1, dtype=np.int64)
    for s in range(3):
        asset = table.asset_at(draws.channel, s, draws.u_asset)
        p = table.effect[draws.channel, s] * table.multiplier[asset]
        candidate = (
            table.active[draws.channel, s]
            & ~channel_off[draws.channel]
            & ~blocked
            & on[asset]
            & (draws.time > start[draws.account])
            & (draws.u_success < p)
        )
        touched, which = _first_success(draws, candidate, n)
        spontaneous = start + draws.spontaneous[:, s]
        moved = np.minimum(touched, spontaneous)
        if s == 0:
            lead_touch = np.where(touched <= spontaneous, which, -1)
        limit = np.minimum(float(days), start + draws.deadline) if s == 2 else float(days)
        moved = np.where(moved <= limit, moved, _NEVER)
        entered.append(moved)
        start = moved
    lead, opportunity, won_at = entered
    has_opportunity = np.isfinite(opportunity)
    won = np.isfinite(won_at)
    lost_at = opportunity + draws.deadline
    close = np.where(won, won_at, np.where(has_opportunity & (lost_at <= days), lost_at, _NEVER))
    # each candidate's stage at its time, and whether it happened there
    time = draws.time
    a = draws.account
    stage = np.where(time <= lead[a], 0, np.where(time <= opportunity[a], 1, 2))
    end = np.where(np.isfinite(close), close, float(days))
    asset = np.full(len(time), -1, dtype=np.int64)
    for s in range(3):
        at = stage == s
        asset[at] = table.asset_at(draws.channel[at], s, draws.u_asset[at])
    happened = (
        table.active[draws.channel, stage]
        & ~channel_off[draws.channel]
        & ~blocked
        & on[asset]
        & (time <= end[a])
    )
    return _Outcome(lead, opportunity, close, won, lead_touch, happened, stage, asset)


def _also(off: NDArray[np.bool_], i: int) -> NDArray[np.bool_]:
    out = off.copy()
    out[i] = True
    return out


def _totals(draws: _Draws, outcome: _Outcome) -> tuple[int, float]:
    return int(outcome.won.sum()), float(draws.value[outcome.won].sum())


def _lost(draws: _Draws, outcome: _Outcome, won: int, value: float) -> Effect:
    w, v = _totals(draws, outcome)
    return Effect(won - w, round(value - v, 2))


def _when(days: float) -> datetime:
    return _START + timedelta(days=days)


def _records(
    draws: _Draws,
    outcome: _Outcome,
    specs: tuple[ChannelSpec, ...],
    assets: list[ContentAsset],
) -> Records:
    n = len(draws.segment)
    width = len(str(n))
    account_ids = [f"acct-{i:0{width}d}" for i in range(n)]
    accounts = [
        Account(aid, f"Account {i}", segment=_SEGMENTS[draws.segment[i]])
        for i, aid in enumerate(account_ids)
    ]
    lead_buyer = draws.lead_buyer.copy()
    made = outcome.lead_touch >= 0
    lead_buyer[made] = draws.buyer[outcome.lead_touch[made]]
    buyers = []
    buyer_ids: list[list[str]] = []
    k = 0
    for i, aid in enumerate(account_ids):
        ids = [f"{aid}-b{j + 1}" for j in range(draws.committee[i])]
        buyer_ids.append(ids)
        for j, bid in enumerate(ids):
            lead_at = (
                _when(outcome.lead[i])
                if j == lead_buyer[i] and np.isfinite(outcome.lead[i])
                else None
            )
            buyers.append(Buyer(bid, _PERSONAS[draws.persona[k]].id, aid, lead_at=lead_at))
            k += 1
    touches = []
    for t in np.flatnonzero(outcome.happened):
        spec = specs[draws.channel[t]]
        a = int(draws.account[t])
        asset = int(outcome.asset[t])
        touches.append(
            Touchpoint(
                f"t-{t:07d}",
                buyer_ids[a][draws.buyer[t]],
                _when(float(draws.time[t])),
                spec.name,
                spec.reach,
                spec.team,
                assets[asset].id if asset >= 0 else None,
                f"{spec.name}-{_STAGES[outcome.stage[t]].value}" if spec.cost > 0 else None,
                spec.cost,
            )
        )
    deals = [
        _deal(
            int(i),
            account=account_ids[i],
            buyers=buyer_ids[i],
            draws=draws,
            outcome=outcome,
            primary=int(lead_buyer[i]),
        )
        for i in np.flatnonzero(np.isfinite(outcome.opportunity))
    ]
    return Records(list(_PERSONAS), assets, accounts, buyers, touches, deals)


def _deal(
    i: int,
    *,
    account: str,
    buyers: list[str],
    draws: _Draws,
    outcome: _Outcome,
    primary: int,
) -> Deal:
    created = float(outcome.opportunity[i])
    close = float(outcome.close[i])
    closed = np.isfinite(close)
    result = Outcome.WON if outcome.won[i] else (Outcome.LOST if closed else Outcome.OPEN)
    stages = [StageChange("discovery", _when(created))]
    if closed:
        stages.append(StageChange("proposal", _when(created + 0.5 * (close - created))))
        if result is Outcome.WON:
            stages.append(StageChange("negotiation", _when(created + 0.8 * (close - created))))
    return Deal(
        f"deal-{account.removeprefix('acct-')}",
        account,
        float(draws.value[i]),
        "USD",
        _when(created),
        result,
        closed_at=_when(close) if closed else None,
        stages=stages,
        buyers=[DealBuyer(b, primary=bool(j == primary)) for j, b in enumerate(buyers)],
        name=f"Deal {i}",
    )
