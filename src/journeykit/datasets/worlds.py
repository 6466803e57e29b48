r"""A second simulated world, built differently from :func:`~journeykit.datasets.simulate`.

How the world works
-------------------
Time is continuous. Every account moves through three funnel stages (*awareness* until a buyer
becomes a lead, *consideration* until an opportunity is created, *decision* until the deal is won)
and leaves each stage when its **cumulative conversion hazard** reaches a threshold drawn once
from ``Exp(1)``. The hazard of account ``i`` in stage ``s`` at time ``t`` is

.. math:: h_{is}(t) = b_{is} \Big(1 + \sum_c \text{lift}_{cs} \, S_{ic}(t)\Big)

where ``b`` is a baseline set by the account's hidden propensity, its segment and its buyers'
personas, and ``S_c`` is channel ``c``'s *stock*: it jumps at each touch (by less when recent
touches already filled it, if touches saturate) and decays at the channel's own half-life. The
hazard integrates in closed form between events, and stage changes are found by Newton's method.

Touches arrive as point processes: each channel's candidate arrivals are a Poisson process whose
rate grows with the segment and, for *targeted* channels, with the hidden propensity (marketing
aims at likely buyers); a channel can be *self-exciting* (a touch raises the chance of the next,
Hawkes-like), and a candidate is kept only while the channel is active in the account's stage.
*Reactive* channels are scheduled **because** an account is close to buying: when its cumulative
hazard passes a fraction (``threshold``) of its stage threshold, a sales rep reacts after a short
delay. An open deal is lost when its own loss clock rings first, and deals still open at the end of
the period are right-censored (``OPEN``).

Every random number is drawn before anything happens (candidate times, channels, buyers, uniforms,
thresholds, delays), and every candidate time is an integration breakpoint whether or not its
touch happens, so switching a channel off and replaying the same draws is a true counterfactual:
a channel without lift changes nothing at all when removed, to the last bit.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Final

import attrs
import numpy as np
from numpy.typing import NDArray

from journeykit.buyers import Account, Buyer
from journeykit.content import FunnelStage
from journeykit.datasets.simulation import Effect, GroundTruth, stage_values
from journeykit.deals import Deal, DealBuyer, Outcome, StageChange
from journeykit.errors import Problem, ValidationError
from journeykit.personas import Persona
from journeykit.records import Records
from journeykit.touchpoints import Reach, Team, Touchpoint

__all__ = [
    "CONTINUOUS_CHANNELS",
    "CONTINUOUS_SETTINGS",
    "ContinuousChannel",
    "ContinuousSimulation",
    "ContinuousWorld",
    "random_world",
    "simulate_continuous",
]

_STAGES: Final = (FunnelStage.AWARENESS, FunnelStage.CONSIDERATION, FunnelStage.DECISION)
_START: Final = datetime(2025, 1, 6, tzinfo=UTC)
_SEGMENTS: Final = ("smb", "mid_market", "enterprise")
_SEGMENT_SHARE: Final = (0.6, 0.3, 0.1)
_COMMITTEE: Final = ((1, 2), (2, 3), (3, 5))  # buyers per account, lowest and highest
_MEDIAN_VALUE: Final = (8_000.0, 30_000.0, 120_000.0)
_TOUCH_SCALE: Final = (0.8, 1.0, 1.6)  # bigger accounts are touched more
_SEGMENT_LOG_BASELINE: Final = (0.3, 0.0, -0.4)  # small accounts decide faster
_PERSONAS: Final = (
    Persona("it_lead", "IT leader", role="Head of IT", pains=("security", "integration")),
    Persona("finance", "Finance leader", role="CFO", pains=("cost", "risk")),
    Persona("operations", "Operations manager", role="COO", pains=("efficiency",)),
    Persona("end_user", "End user", role="Team lead", pains=("usability",)),
)
_PERSONA_LOG_BASELINE: Final = (0.2, -0.4, 0.1, 0.3)  # mean over the committee counts
_MAX_ACCOUNTS: Final = 100_000  # the work budget, documented on simulate_continuous
_MAX_DAYS: Final = 3650  # touches grow with the period
_NEWTON_STEPS: Final = 60
_TOLERANCE: Final = 1e-12  # days, relative beyond one day
# event kinds, in the order ties are broken
_CANDIDATE, _REACTIVE, _LOSS, _END = 0, 1, 2, 3
# account states after the three stages
_WON, _LOST, _CENSORED = 3, 4, 5


@attrs.frozen
class ContinuousChannel:
    """One channel of the continuous-time world and its true effect on the conversion hazard.

    Parameters
    ----------
    name : str
        Channel name, as it appears on touches.
    reach : Reach
        One-to-many (marketing broadcast) or one-to-one (personal).
    rate : float
        Expected candidate touches per account per year, >= 0, before segment, targeting and
        excitation (a purely reactive channel may have rate 0).
    lifts : mapping of FunnelStage to float
        The stages in which the channel is active, and for each the relative increase in the
        account's hazard per unit of the channel's stock (one fresh, unsaturated touch), >= 0.
        A stage that is absent gets no touches; a zero lift gets touches that change nothing.
    half_life : float
        Days after which a touch's contribution to the stock has halved, > 0.
    team : Team, optional
        Defaults from ``reach`` like :class:`~journeykit.Touchpoint` does.
    targeting : float
        How strongly the channel aims at accounts with a high hidden propensity (0: not at all).
        Multiplied by :attr:`ContinuousWorld.targeting`.
    excitation : float
        Self-excitation, >= 0: with a full stock the channel's arrival rate is ``1 + excitation``
        times its base rate. Multiplied by :attr:`ContinuousWorld.excitation`.
    reactive : float
        Probability in [0, 1] that the channel reacts with one touch when an account in a stage
        where it is active gets close to leaving it. Multiplied by
        :attr:`ContinuousWorld.reactivity` (capped at 1).
    cost : float
        Cost of one touch, >= 0.

    Examples
    --------
    >>> from journeykit import FunnelStage, Reach
    >>> spec = ContinuousChannel("podcast", Reach.ONE_TO_MANY, rate=4.0,
    ...                          lifts={FunnelStage.AWARENESS: 0.5}, half_life=20.0)
    >>> spec.team.value, spec.lift(FunnelStage.DECISION)
    ('marketing', 0.0)
    """

    name: str
    reach: Reach
    rate: float
    lifts: tuple[tuple[FunnelStage, float], ...] = attrs.field(converter=stage_values)
    half_life: float = 14.0
    team: Team | None = None
    targeting: float = 0.0
    excitation: float = 0.0
    reactive: float = 0.0
    cost: float = 0.0

    def __attrs_post_init__(self) -> None:
        label = f"ContinuousChannel {self.name!r}"
        problems = []
        if not self.name:
            problems.append(Problem(label, "name", "must not be empty"))
        for field, value, low in (
            ("rate", self.rate, 0.0),
            ("half_life", self.half_life, None),
            ("excitation", self.excitation, 0.0),
            ("cost", self.cost, 0.0),
            ("targeting", self.targeting, -np.inf),
        ):
            if not np.isfinite(value) or (value <= 0 if low is None else value < low):
                bound = "> 0" if low is None else ("finite" if low < 0 else ">= 0")
                problems.append(Problem(label, field, f"must be {bound} (got {value!r})"))
        if not 0.0 <= self.reactive <= 1.0:
            problems.append(
                Problem(label, "reactive", f"must be in [0, 1] (got {self.reactive!r})")
            )
        if self.rate == 0 and self.reactive == 0:
            problems.append(Problem(label, "rate", "must be > 0 unless the channel is reactive"))
        if not self.lifts:
            problems.append(Problem(label, "lifts", "must name at least one stage"))
        for stage, lift in self.lifts:
            if not (np.isfinite(lift) and lift >= 0):
                problems.append(
                    Problem(
                        label, "lifts", f"{stage.value}: must be finite and >= 0 (got {lift!r})"
                    )
                )
        if problems:
            raise ValidationError(problems)
        if self.team is None:
            object.__setattr__(self, "team", self.reach.default_team)

    def lift(self, stage: FunnelStage) -> float:
        """The channel's lift in ``stage`` (0 if it is not active there)."""
        return dict(self.lifts).get(stage, 0.0)


_A, _C, _D = _STAGES
CONTINUOUS_CHANNELS: Final = (
    ContinuousChannel(
        "paid_search", Reach.ONE_TO_MANY, 3.0, {_A: 0.8, _C: 0.3}, half_life=7.0, cost=4.0
    ),
    ContinuousChannel(
        "paid_social",
        Reach.ONE_TO_MANY,
        4.0,
        {_A: 0.4, _C: 0.1},
        half_life=5.0,
        targeting=1.0,
        excitation=1.0,
        cost=1.5,
    ),
    ContinuousChannel(
        "display",
        Reach.ONE_TO_MANY,
        8.0,
        {_A: 0.0, _C: 0.0, _D: 0.0},
        half_life=3.0,
        targeting=1.0,
        cost=0.5,
    ),
    ContinuousChannel("content", Reach.ONE_TO_MANY, 3.0, {_A: 0.6, _C: 0.3}, half_life=30.0),
    ContinuousChannel(
        "email", Reach.ONE_TO_MANY, 6.0, {_A: 0.1, _C: 0.4, _D: 0.1}, half_life=7.0, excitation=0.5
    ),
    ContinuousChannel(
        "webinar", Reach.ONE_TO_MANY, 1.5, {_A: 1.5, _C: 1.0}, half_life=45.0, cost=20.0
    ),
    ContinuousChannel(
        "sdr_email",
        Reach.ONE_TO_ONE,
        2.0,
        {_A: 1.0},
        half_life=14.0,
        team=Team.MARKETING,
        targeting=0.5,
    ),
    ContinuousChannel(
        "call", Reach.ONE_TO_ONE, 4.0, {_C: 0.5, _D: 0.3}, half_life=10.0, reactive=0.5
    ),
    ContinuousChannel("demo", Reach.ONE_TO_ONE, 2.0, {_C: 1.5, _D: 0.8}, half_life=30.0),
    ContinuousChannel("meeting", Reach.ONE_TO_ONE, 2.0, {_D: 1.0}, half_life=20.0, reactive=0.6),
    ContinuousChannel("proposal", Reach.ONE_TO_ONE, 0.0, {_D: 0.05}, half_life=10.0, reactive=0.9),
)
"""The channels of :data:`CONTINUOUS_SETTINGS`: six marketing broadcast channels (``display`` is
frequent, targeted at likely buyers and has no effect at all; ``paid_social`` is targeted and
self-exciting), an SDR's one-to-one emails (marketing, mildly targeted) and four sales channels
that talk only to accounts with a lead; ``call`` and ``meeting`` also react to accounts close to
buying, and ``proposal`` is sent almost only then and barely matters."""


def _channels(value: Iterable[ContinuousChannel]) -> tuple[ContinuousChannel, ...]:
    return tuple(value)


def _floats(value: Iterable[float]) -> tuple[float, ...]:
    return tuple(float(v) for v in value)


@attrs.frozen
class ContinuousWorld:
    """The mechanics of a continuous-time world and the strength of each.

    Parameters
    ----------
    channels : sequence of ContinuousChannel
        The channels and their true lifts (default :data:`CONTINUOUS_CHANNELS`).
    targeting : float
        Confounding by targeting, >= 0: a channel with targeting weight ``w`` arrives at rate
        ``2 * sigmoid(targeting * w * z)`` times its base rate for an account of hidden
        propensity ``z`` (mean 1 over accounts, between 0 and 2). 0 switches targeting off.
    propensity : float
        Standard deviation of the hidden log-propensity that multiplies every baseline hazard
        (mean 1), >= 0.
    reactivity : float
        Multiplies every channel's ``reactive`` probability (capped at 1), >= 0. 0 switches
        reactive touches off.
    threshold : float
        The share of its stage threshold an account's cumulative hazard must reach for reactive
        channels to notice it, in (0, 1).
    reaction_delay : float
        Mean days (exponential) from noticing to the reactive touch, > 0.
    excitation : float
        Multiplies every channel's ``excitation``, >= 0.
    saturation : float
        Diminishing returns, >= 0: a touch adds ``1 / (1 + saturation * stock)`` to its channel's
        stock. 0 makes every touch add 1.
    covariates : float
        Multiplies the segment and persona effects on the baseline hazard, >= 0.
    baseline_days : tuple of three floats
        Mean days each stage would take without any touch for an average account, > 0.
    loss_days : float
        Mean days until an open deal is lost (its own clock, competing with winning), > 0.

    Examples
    --------
    >>> world = ContinuousWorld(targeting=3.0)
    >>> len(world.channels), world.targeting
    (11, 3.0)
    """

    channels: tuple[ContinuousChannel, ...] = attrs.field(
        default=CONTINUOUS_CHANNELS, converter=_channels
    )
    targeting: float = 1.0
    propensity: float = 0.8
    reactivity: float = 1.0
    threshold: float = 0.75
    reaction_delay: float = 3.0
    excitation: float = 1.0
    saturation: float = 0.5
    covariates: float = 1.0
    baseline_days: tuple[float, ...] = attrs.field(default=(700.0, 300.0, 100.0), converter=_floats)
    loss_days: float = 60.0

    def __attrs_post_init__(self) -> None:
        label = "ContinuousWorld"
        problems = []
        for field in (
            "targeting",
            "propensity",
            "reactivity",
            "excitation",
            "saturation",
            "covariates",
        ):
            value = getattr(self, field)
            if not (np.isfinite(value) and value >= 0):
                problems.append(Problem(label, field, f"must be finite and >= 0 (got {value!r})"))
        if not 0.0 < self.threshold < 1.0:
            problems.append(
                Problem(label, "threshold", f"must be in (0, 1) (got {self.threshold!r})")
            )
        positive = [("reaction_delay", self.reaction_delay), ("loss_days", self.loss_days)]
        positive += [("baseline_days", d) for d in self.baseline_days]
        if len(self.baseline_days) != len(_STAGES):
            problems.append(Problem(label, "baseline_days", "must give one mean per stage"))
        for field, value in positive:
            if not (np.isfinite(value) and value > 0):
                problems.append(Problem(label, field, f"must be finite and > 0 (got {value!r})"))
        if not self.channels:
            problems.append(Problem(label, "channels", "must name at least one channel"))
        seen: set[str] = set()
        for spec in self.channels:
            if not isinstance(spec, ContinuousChannel):
                problems.append(
                    Problem(label, "channels", f"expected ContinuousChannel, got {spec!r}")
                )
            elif spec.name in seen:
                problems.append(Problem(label, "channels", f"duplicate channel {spec.name!r}"))
            else:
                seen.add(spec.name)
        if problems:
            raise ValidationError(problems)

    def simulate(
        self, *, n_accounts: int, seed: int, ground_truth: bool = True
    ) -> ContinuousSimulation:
        """:func:`simulate_continuous` of this world (what :func:`accuracy_report` calls)."""
        return simulate_continuous(
            n_accounts=n_accounts, seed=seed, world=self, ground_truth=ground_truth
        )


CONTINUOUS_SETTINGS: Final[Mapping[str, ContinuousWorld]] = {
    "continuous": ContinuousWorld(),
    "targeted": ContinuousWorld(targeting=4.0, propensity=1.2),
    "reactive": ContinuousWorld(reactivity=1.5, reaction_delay=1.0, threshold=0.6),
    "unconfounded": ContinuousWorld(targeting=0.0, reactivity=0.0, propensity=0.0),
}
"""Named continuous worlds: the defaults; heavy targeting confounding (targeted channels reach
almost only likely buyers, whose propensity varies more); sales reacting quickly and often to
buyers close to a decision; and a world without confounding (no targeting, no reactive touches,
no hidden propensity)."""


def random_world(seed: int, *, n_channels: int | None = None) -> ContinuousWorld:
    """A continuous world with randomly drawn channels and mechanism strengths.

    For checking that a model was not tuned to the named settings: every call with a new seed
    is a world nobody has looked at. About a quarter of the channels have no effect at all;
    one-to-one sales channels talk only to accounts with a lead and may react to buyers close
    to a decision; any channel may be targeted or self-exciting; targeting, hidden propensity,
    reactivity, saturation and covariate strengths are drawn too.

    Parameters
    ----------
    seed : int
        Seed of the draw: the same seed gives the same world spec.
    n_channels : int, optional
        Number of channels, 2 to 20 (default: drawn from 6 to 14).

    Returns
    -------
    ContinuousWorld
        Simulate it with :func:`simulate_continuous` (with any seed) or score models on it with
        :func:`~journeykit.datasets.accuracy_report` (``settings={"mine": random_world(3)}``).

    Examples
    --------
    >>> world = random_world(3)
    >>> world == random_world(3), len(world.channels)
    (True, 7)
    >>> sim = simulate_continuous(n_accounts=200, seed=0, world=world)
    >>> sorted(sim.truth.channels) == sorted(c.name for c in world.channels)
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValidationError(
            [Problem("random_world", "seed", f"must be an int >= 0 (got {seed!r})")]
        )
    rng = np.random.default_rng([seed, 0x5EED])  # not the stream simulate_continuous(seed) uses
    count = int(rng.integers(6, 15)) if n_channels is None else n_channels
    if isinstance(count, bool) or not isinstance(count, int) or not 2 <= count <= 20:
        raise ValidationError(
            [Problem("random_world", "n_channels", f"must be an int in [2, 20] (got {count!r})")]
        )
    channels = []
    for i in range(count):
        sales = rng.random() < 0.35
        stages = [_C, _D] if sales else [_A, *[x for x in (_C, _D) if rng.random() < 0.4]]
        inert = i > 0 and rng.random() < 0.25  # the first channel always works
        lifts = {x: 0.0 if inert else float(rng.exponential(0.6)) for x in stages}
        channels.append(
            ContinuousChannel(
                f"{'sales' if sales else 'mkt'}_{i + 1}",
                Reach.ONE_TO_ONE if sales or rng.random() < 0.2 else Reach.ONE_TO_MANY,
                float(np.round(rng.lognormal(np.log(3.0), 0.7), 2)),
                lifts,
                half_life=float(np.round(np.exp(rng.uniform(np.log(2.0), np.log(60.0))), 1)),
                team=Team.SALES if sales else Team.MARKETING,
                targeting=float(rng.uniform(0.5, 1.5)) if rng.random() < 0.3 else 0.0,
                excitation=float(rng.uniform(0.0, 1.5)) if rng.random() < 0.3 else 0.0,
                reactive=float(rng.uniform(0.3, 1.0)) if sales and rng.random() < 0.4 else 0.0,
            )
        )
    return ContinuousWorld(
        channels,
        targeting=float(rng.uniform(0.0, 3.0)),
        propensity=float(rng.uniform(0.0, 1.2)),
        reactivity=float(rng.uniform(0.0, 1.5)),
        threshold=float(rng.uniform(0.5, 0.9)),
        reaction_delay=float(rng.uniform(0.5, 7.0)),
        saturation=float(rng.uniform(0.0, 1.5)),
        covariates=float(rng.uniform(0.0, 1.5)),
    )


@attrs.frozen
class ContinuousSimulation:
    """A continuous-time world: its :class:`~journeykit.Records`, ground truth and settings.

    Attributes
    ----------
    records : Records
        The validated records of the world as simulated.
    truth : GroundTruth
        Won deals and value, and what switching each channel off loses (``assets`` is empty:
        this world's content has no separate effect).
    world : ContinuousWorld
        The mechanics it was simulated with.
    seed : int
    propensity : mapping of str to float
        Each account's hidden log-propensity ``z`` (standard normal): what targeting aims at and
        what models never see.
    """

    records: Records
    truth: GroundTruth
    world: ContinuousWorld
    seed: int
    propensity: Mapping[str, float]

    def __repr__(self) -> str:
        return (
            f"ContinuousSimulation(seed={self.seed}, {self.records!r}, won={self.truth.won}, "
            f"value={self.truth.value:,.0f})"
        )


@attrs.frozen
class _Draws:
    """Every random number of one world, drawn once and replayed for each counterfactual."""

    segment: NDArray[np.int64]
    committee: NDArray[np.int64]
    persona: NDArray[np.int64]  # per buyer, accounts in order
    value: NDArray[np.float64]
    z: NDArray[np.float64]  # hidden log-propensity
    baseline: NDArray[np.float64]  # (accounts, 3) hazard per day without touches
    threshold: NDArray[np.float64]  # (accounts, 3) Exp(1) cumulative hazard to leave a stage
    loss: NDArray[np.float64]  # days from opportunity to loss
    lead_buyer: NDArray[np.int64]  # committee member who becomes the lead without a touch
    react_u: NDArray[np.float64]  # (accounts, channels, 3)
    react_delay: NDArray[np.float64]  # (accounts, channels, 3)
    react_buyer: NDArray[np.int64]  # (accounts, channels, 3)
    # candidate arrivals, sorted by (account, time); offsets index them per account
    offsets: NDArray[np.int64]
    account: NDArray[np.int64]
    channel: NDArray[np.int64]
    time: NDArray[np.float64]
    buyer: NDArray[np.int64]
    u_accept: NDArray[np.float64]


@attrs.frozen
class _Mechanics:
    """Per-channel constants of the hazard and the arrival processes, as arrays."""

    coef: NDArray[np.float64]  # (3, channels) lift * tau: the stock integral's weight
    lift: NDArray[np.float64]  # (3, channels)
    tau: NDArray[np.float64]  # (channels,) decay time constant in days
    active: NDArray[np.bool_]  # (3, channels)
    excitation: NDArray[np.float64]  # (channels,)
    reactive: NDArray[np.float64]  # (channels,) probability, capped at 1
    saturation: float
    threshold: float

    @classmethod
    def of(cls, world: ContinuousWorld) -> _Mechanics:
        specs = world.channels
        lift = np.zeros((3, len(specs)))
        active = np.zeros((3, len(specs)), dtype=bool)
        for c, spec in enumerate(specs):
            for stage, value in spec.lifts:
                lift[_STAGES.index(stage), c] = value
                active[_STAGES.index(stage), c] = True
        tau = np.array([s.half_life for s in specs]) / np.log(2.0)
        return cls(
            coef=lift * tau,
            lift=lift,
            tau=tau,
            active=active,
            excitation=np.array([s.excitation for s in specs]) * world.excitation,
            reactive=np.minimum(np.array([s.reactive for s in specs]) * world.reactivity, 1.0),
            saturation=world.saturation,
            threshold=world.threshold,
        )


@attrs.frozen
class _Outcome:
    lead: NDArray[np.float64]
    opportunity: NDArray[np.float64]
    near: NDArray[np.float64]  # when the open deal got close to winning (inf if never)
    close: NDArray[np.float64]
    won: NDArray[np.bool_]
    lead_buyer: NDArray[np.int64]
    happened: NDArray[np.bool_]  # per candidate
    stage: NDArray[np.int64]  # per candidate, the stage it happened in
    # reactive touches that happened
    r_account: NDArray[np.int64]
    r_channel: NDArray[np.int64]
    r_stage: NDArray[np.int64]
    r_time: NDArray[np.float64]


def simulate_continuous(
    *,
    n_accounts: int,
    seed: int,
    world: ContinuousWorld | str = "continuous",
    days: int = 365,
    switch_off: Collection[str] = (),
    ground_truth: bool = True,
) -> ContinuousSimulation:
    """Simulate a continuous-time B2B world with conversion hazards, and its true attribution.

    The mechanics differ from :func:`~journeykit.datasets.simulate` on purpose (see the module
    notes): touches arrive as point processes, raise a conversion hazard with effects that decay
    at channel-specific rates and saturate, likely buyers are targeted, sales reacts to buyers
    close to a decision, and the baseline depends on segment, personas and a hidden propensity.

    Parameters
    ----------
    n_accounts : int
        Number of buying accounts (each with a committee of one to five buyers), at most
        100,000: every touch becomes a validated :class:`~journeykit.Touchpoint` (about 23 per
        account), and 10,000 accounts take about 5 seconds.
    seed : int
        Seed of every random draw: the same seed gives the same world, bit for bit.
    world : ContinuousWorld or str
        The mechanics, or the name of one of :data:`CONTINUOUS_SETTINGS`.
    days : int
        Length of the simulated period, at most ten years. Deals still open at its end stay
        ``OPEN``.
    switch_off : collection of str
        Channels to remove from the world; the other draws are replayed unchanged, which is how
        the ground truth is computed.
    ground_truth : bool
        Compute the counterfactual for every channel (one replay each).

    Returns
    -------
    ContinuousSimulation

    Raises
    ------
    ValidationError
        For a bad argument or an unknown channel, naming it.

    Examples
    --------
    >>> from journeykit.datasets import simulate_continuous
    >>> world = simulate_continuous(n_accounts=300, seed=7)
    >>> world.truth.channels["display"]      # no effect, so nothing is lost without it
    Effect(won=0, value=0.0)
    >>> without = simulate_continuous(n_accounts=300, seed=7, switch_off=["webinar"],
    ...                               ground_truth=False)
    >>> world.truth.won - without.truth.won == world.truth.channels["webinar"].won
    True
    """
    spec = _world(world)
    problems = _check_arguments(n_accounts, seed, days, switch_off)
    names = [s.name for s in spec.channels]
    if not problems:
        problems = [
            Problem("simulate_continuous", "switch_off", f"unknown channel {u!r}")
            for u in sorted(set(switch_off) - set(names))
        ]
    if problems:
        raise ValidationError(problems)
    rng = np.random.default_rng(seed)
    draws = _draw(rng, n_accounts, spec, days)
    mech = _Mechanics.of(spec)
    off = np.isin(names, list(switch_off))
    index = _Index.of(draws, mech, days)
    outcome = _run(draws, mech, index, off)
    won, value = _totals(draws, outcome)
    channels: dict[str, Effect] = {}
    if ground_truth:  # replay the same draws with one more channel switched off
        touched = _touched(outcome, draws, len(names))
        for i, name in enumerate(names):
            also = off.copy()
            also[i] = True
            # an account the channel never touched plays exactly as before without it
            replay = np.flatnonzero(touched[i])
            won_without = outcome.won.copy()
            won_without[replay] = _run(draws, mech, index, also, replay).won[replay]
            lost = outcome.won & ~won_without
            gained = won_without & ~outcome.won
            channels[name] = Effect(
                int(lost.sum() - gained.sum()),
                round(float(draws.value[lost].sum() - draws.value[gained].sum()), 2),
            )
    records = _records(draws, outcome, spec)
    width = len(str(n_accounts))
    return ContinuousSimulation(
        records=records,
        truth=GroundTruth(won, value, channels, {}),
        world=spec,
        seed=seed,
        propensity={f"acct-{i:0{width}d}": float(z) for i, z in enumerate(draws.z)},
    )


def _world(world: ContinuousWorld | str) -> ContinuousWorld:
    if isinstance(world, ContinuousWorld):
        return world
    try:
        return CONTINUOUS_SETTINGS[world]
    except KeyError:
        known = ", ".join(CONTINUOUS_SETTINGS)
        raise ValidationError(
            [Problem("simulate_continuous", "world", f"unknown world {world!r}; known: {known}")]
        ) from None


def _check_arguments(
    n_accounts: int, seed: int, days: int, switch_off: Collection[str]
) -> list[Problem]:
    problems = []
    for field, value, low, high in (
        ("n_accounts", n_accounts, 1, _MAX_ACCOUNTS),
        ("seed", seed, 0, None),
        ("days", days, 1, _MAX_DAYS),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            problems.append(
                Problem("simulate_continuous", field, f"must be an int >= {low} (got {value!r})")
            )
        elif high is not None and value > high:
            problems.append(
                Problem("simulate_continuous", field, f"must be at most {high:,} (got {value:,})")
            )
    if isinstance(switch_off, str):
        problems.append(
            Problem(
                "simulate_continuous", "switch_off", "must be a collection of names, not one string"
            )
        )
    return problems


def _sigmoid(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * x)), dtype=np.float64)


def _draw(rng: np.random.Generator, n: int, world: ContinuousWorld, days: int) -> _Draws:
    specs = world.channels
    n_channels = len(specs)
    segment = rng.choice(3, size=n, p=_SEGMENT_SHARE)
    low = np.array([c[0] for c in _COMMITTEE])[segment]
    high = np.array([c[1] for c in _COMMITTEE])[segment]
    committee = rng.integers(low, high + 1)
    persona = rng.integers(0, len(_PERSONAS), size=int(committee.sum()))
    value = np.round(np.array(_MEDIAN_VALUE)[segment] * rng.lognormal(0.0, 0.5, size=n), -2)
    z = rng.standard_normal(n)
    # baseline: hidden propensity (mean 1), segment and the committee's mean persona effect
    owner = np.repeat(np.arange(n), committee)
    persona_effect = np.bincount(owner, np.array(_PERSONA_LOG_BASELINE)[persona], n) / committee
    log_base = world.covariates * (np.array(_SEGMENT_LOG_BASELINE)[segment] + persona_effect)
    log_base += world.propensity * z - 0.5 * world.propensity**2
    baseline = np.exp(log_base)[:, None] / np.array(world.baseline_days)[None, :]
    threshold = rng.exponential(1.0, size=(n, 3))
    loss = rng.exponential(world.loss_days, size=n)
    lead_buyer = (rng.random(n) * committee).astype(np.int64)
    react_u = rng.random((n, n_channels, 3))
    react_delay = rng.exponential(world.reaction_delay, size=(n, n_channels, 3))
    react_buyer = (rng.random((n, n_channels, 3)) * committee[:, None, None]).astype(np.int64)
    # candidate arrivals: a Poisson process that dominates each channel's excited rate
    rate = np.array([s.rate for s in specs]) * days / 365.0
    weight = np.array([s.targeting for s in specs]) * world.targeting
    aim = 2.0 * _sigmoid(weight[None, :] * z[:, None])
    top = 1.0 + np.array([s.excitation for s in specs]) * world.excitation
    mean = np.array(_TOUCH_SCALE)[segment][:, None] * rate[None, :] * aim * top[None, :]
    counts = rng.poisson(mean)  # (accounts, channels)
    total = int(counts.sum())
    account = np.repeat(np.repeat(np.arange(n), n_channels), counts.ravel())
    channel = np.repeat(np.tile(np.arange(n_channels), n), counts.ravel())
    time = rng.uniform(0.0, float(days), size=total)
    buyer = (rng.random(total) * committee[account]).astype(np.int64)
    u_accept = rng.random(total)
    order = np.lexsort((time, account))
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts.sum(axis=1), out=offsets[1:])
    return _Draws(
        segment=segment,
        committee=committee,
        persona=persona,
        value=value,
        z=z,
        baseline=baseline,
        threshold=threshold,
        loss=loss,
        lead_buyer=lead_buyer,
        react_u=react_u,
        react_delay=react_delay,
        react_buyer=react_buyer,
        offsets=offsets,
        account=account[order],
        channel=channel[order],
        time=time[order],
        buyer=buyer[order],
        u_accept=u_accept[order],
    )


def _cumulative(
    dt: NDArray[np.float64],
    base: NDArray[np.float64],
    weight: NDArray[np.float64],
    tau: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Hazard integrated over ``dt`` from now, and each stock's decay over ``dt``.

    ``weight`` is (accounts, channels): each channel's stock times its lift times ``tau``.
    """
    decay = np.exp(-dt[:, None] / tau[None, :])
    return base * (dt + (weight * (1.0 - decay)).sum(axis=1)), decay


def _hazard(
    base: NDArray[np.float64],
    weight: NDArray[np.float64],
    decay: NDArray[np.float64],
    tau: NDArray[np.float64],
) -> NDArray[np.float64]:
    """The hazard after the stocks decayed by ``decay``: the integral's derivative."""
    return np.asarray(base * (1.0 + (weight * decay / tau[None, :]).sum(axis=1)))


def _solve(
    remaining: NDArray[np.float64],
    limit: NDArray[np.float64],
    base: NDArray[np.float64],
    weight: NDArray[np.float64],
    tau: NDArray[np.float64],
) -> NDArray[np.float64]:
    """The time at which the integrated hazard reaches ``remaining`` (known to be in [0, limit]).

    The integral is increasing and concave in time, so Newton's method from 0 approaches the root
    from below without overshooting. Each account stops when its own step is negligible, so its
    answer never depends on the others in the batch (the counterfactual replays rely on that).
    """
    dt = np.zeros(len(remaining))
    live = np.arange(len(remaining))
    for _ in range(_NEWTON_STEPS):
        value, decay = _cumulative(dt[live], base[live], weight[live], tau)
        step = np.maximum(remaining[live] - value, 0.0) / _hazard(
            base[live], weight[live], decay, tau
        )
        dt[live] = np.minimum(dt[live] + step, limit[live])
        # an account stops on its own convergence, never on the batch's
        live = live[step > _TOLERANCE * np.maximum(dt[live], 1.0)]
        if not live.size:
            break
    return dt


def _run(
    draws: _Draws,
    mech: _Mechanics,
    index: _Index,
    off: NDArray[np.bool_],
    accounts: NDArray[np.int64] | None = None,
) -> _Outcome:
    """Play the world forward, one event per account per step, all accounts at once.

    Accounts never interact, so ``accounts`` may name the only ones to play (the others keep
    their initial state: no lead, no deal).
    """
    play = _Play.start(draws, mech, index, ~off)
    act = np.arange(len(draws.segment)) if accounts is None else accounts
    while act.size:
        play.step(act)
        act = act[play.stage[act] < _WON]
    return play.outcome()


@attrs.frozen
class _Index:
    """Look-ups over the candidates that every replay of the same draws shares."""

    horizon: float
    upcoming: NDArray[np.int64]  # see _upcoming
    padded_time: NDArray[np.float64]  # candidate times, then inf for "no more candidates"
    key: NDArray[np.float64]  # (account, time) of every candidate as one sorted number

    @classmethod
    def of(cls, draws: _Draws, mech: _Mechanics, days: int) -> _Index:
        horizon = float(days)
        return cls(
            horizon=horizon,
            upcoming=_upcoming(draws, mech),
            padded_time=np.append(draws.time, np.inf),
            key=draws.account * (horizon + 1.0) + draws.time,
        )


@attrs.define
class _Play:
    """The state of every account while the world plays forward (arrays indexed by account)."""

    draws: _Draws
    mech: _Mechanics
    on: NDArray[np.bool_]  # per channel
    horizon: float
    upcoming: NDArray[np.int64]  # see _upcoming
    padded_time: NDArray[np.float64]  # candidate times, then inf for "no more candidates"
    key: NDArray[np.float64]  # (account, time) of every candidate as one sorted number
    t: NDArray[np.float64]
    stage: NDArray[np.int64]  # 0..2, then _WON, _LOST or _CENSORED
    lam: NDArray[np.float64]  # cumulative hazard in the current stage
    noticed: NDArray[np.bool_]  # reactive channels noticed the account in this stage
    stock: NDArray[np.float64]  # (accounts, channels)
    pending: NDArray[np.float64]  # (accounts, channels) scheduled reactive touches
    soonest: NDArray[np.float64]  # the earliest of them
    scheduled_in: NDArray[np.int64]  # (accounts, channels) the stage that scheduled them
    entered: NDArray[np.float64]  # (accounts, 3) when the account left stages 0, 1, 2
    lose_at: NDArray[np.float64]
    near: NDArray[np.float64]
    close: NDArray[np.float64]
    last_buyer: NDArray[np.int64]  # see _remember
    lead_buyer: NDArray[np.int64]
    ptr: NDArray[np.int64]  # the next candidate not yet played or skipped
    happened: NDArray[np.bool_]  # per candidate
    cand_stage: NDArray[np.int64]  # per candidate
    reacted: list[tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]]
    reacted_time: list[NDArray[np.float64]]

    @classmethod
    def start(cls, draws: _Draws, mech: _Mechanics, index: _Index, on: NDArray[np.bool_]) -> _Play:
        n, n_channels, total = len(draws.segment), mech.tau.size, draws.time.size
        return cls(
            draws=draws,
            mech=mech,
            on=on,
            horizon=index.horizon,
            upcoming=index.upcoming,
            padded_time=index.padded_time,
            key=index.key,
            t=np.zeros(n),
            stage=np.zeros(n, dtype=np.int64),
            lam=np.zeros(n),
            noticed=np.zeros(n, dtype=bool),
            stock=np.zeros((n, n_channels)),
            pending=np.full((n, n_channels), np.inf),
            soonest=np.full(n, np.inf),
            scheduled_in=np.zeros((n, n_channels), dtype=np.int64),
            entered=np.full((n, 3), np.inf),
            lose_at=np.full(n, np.inf),
            near=np.full(n, np.inf),
            close=np.full(n, np.inf),
            last_buyer=np.full(n, -1, dtype=np.int64),
            lead_buyer=draws.lead_buyer.copy(),
            ptr=draws.offsets[:-1].copy(),
            happened=np.zeros(total, dtype=bool),
            cand_stage=np.zeros(total, dtype=np.int64),
            reacted=[(np.zeros(0, dtype=np.int64),) * 3],  # so that nothing concatenates
            reacted_time=[np.zeros(0)],
        )

    def step(self, act: NDArray[np.int64]) -> None:
        """Move every active account to its next event, or to a mark its hazard reaches first."""
        draws, mech = self.draws, self.mech
        total = draws.time.size
        s = self.stage[act]
        ptr = self.ptr[act]
        k = np.where(ptr < draws.offsets[act + 1], self.upcoming[s, ptr], total)
        t_cand = self.padded_time[k]
        t_react, t_loss = self.soonest[act], self.lose_at[act]
        te = np.minimum(np.minimum(t_cand, t_react), np.minimum(t_loss, self.horizon))
        # ties: candidate, reactive, loss, end
        kind = np.where(
            t_cand == te,
            _CANDIDATE,
            np.where(t_react == te, _REACTIVE, np.where(t_loss == te, _LOSS, _END)),
        )
        dt = te - self.t[act]
        base = draws.baseline[act, s]
        weight = self.stock[act] * mech.coef[s]
        integral, decay = _cumulative(dt, base, weight, mech.tau)
        target = draws.threshold[act, s] * np.where(self.noticed[act], 1.0, mech.threshold)
        hit = self.lam[act] + integral >= target
        if hit.any():
            h = act[hit]
            step = _solve(target[hit] - self.lam[h], dt[hit], base[hit], weight[hit], mech.tau)
            self.t[h] += step
            self.stock[h] *= np.exp(-step[:, None] / mech.tau[None, :])
            crossing = ~self.noticed[h]
            self._notice(h[crossing], s[hit][crossing], target[hit][crossing])
            self._leave(h[~crossing], s[hit][~crossing])
        # the others move to their event and play it
        g = ~hit
        a = act[g]
        self.stock[a] *= decay[g]
        self.lam[a] += integral[g]
        self.t[a] = te[g]
        kind = kind[g]
        is_cand = kind == _CANDIDATE
        self._candidates(a[is_cand], k[g][is_cand], s[g][is_cand])
        self._reactions(a[kind == _REACTIVE])
        lost = a[kind == _LOSS]
        self.close[lost] = self.t[lost]
        self.stage[lost] = _LOST
        self.stage[a[kind == _END]] = _CENSORED

    def _notice(
        self, acc: NDArray[np.int64], stage: NDArray[np.int64], mark: NDArray[np.float64]
    ) -> None:
        """Accounts close to leaving their stage: reactive channels schedule a touch."""
        draws, mech = self.draws, self.mech
        self.lam[acc] = mark
        self.noticed[acc] = True
        decision = acc[stage == 2]
        self.near[decision] = self.t[decision]
        # switched-off channels are scheduled too: their instants break time in every replay
        react = (draws.react_u[acc, :, stage] < mech.reactive[None, :]) & mech.active[stage]
        react &= np.isinf(self.pending[acc])
        when = self.t[acc, None] + draws.react_delay[acc, :, stage]
        self.pending[acc] = np.where(react, when, self.pending[acc])
        self.soonest[acc] = self.pending[acc].min(axis=1)
        self.scheduled_in[acc] = np.where(react, stage[:, None], self.scheduled_in[acc])

    def _leave(self, acc: NDArray[np.int64], stage: NDArray[np.int64]) -> None:
        """Accounts whose hazard reached their stage's threshold move on (or are won)."""
        self.lam[acc] = 0.0
        self.noticed[acc] = False
        self.stage[acc] = stage + 1
        self.entered[acc, stage] = self.t[acc]
        # candidates skipped as inactive in the old stage may be active in the new one
        resume = np.searchsorted(self.key, acc * (self.horizon + 1.0) + self.t[acc])
        self.ptr[acc] = np.maximum(self.ptr[acc], resume)
        opened = acc[stage == 1]
        self.lose_at[opened] = self.t[opened] + self.draws.loss[opened]
        lead = acc[stage == 0]
        known = self.last_buyer[lead] >= 0
        self.lead_buyer[lead[known]] = self.last_buyer[lead[known]]
        won = acc[stage == 2]
        self.close[won] = self.t[won]

    def _candidates(
        self, acc: NDArray[np.int64], k: NDArray[np.int64], stage: NDArray[np.int64]
    ) -> None:
        """Play candidate arrivals: thinning keeps the excited rate over the dominating one."""
        draws, mech = self.draws, self.mech
        channel = draws.channel[k]
        excite = mech.excitation[channel]
        filled = self.stock[acc, channel]
        accept = self.on[channel] & (
            draws.u_accept[k] * (1.0 + excite) < 1.0 + excite * (1.0 - np.exp(-filled))
        )
        _touch(self.stock, acc[accept], channel[accept], mech.saturation)
        self.happened[k[accept]] = True
        self.cand_stage[k[accept]] = stage[accept]
        self._remember(acc[accept], draws.buyer[k[accept]], channel[accept], stage[accept])
        self.ptr[acc] = k + 1

    def _reactions(self, acc: NDArray[np.int64]) -> None:
        """Play the earliest scheduled reactive touch of each account."""
        channel = np.argmin(self.pending[acc], axis=1)
        self.pending[acc, channel] = np.inf
        self.soonest[acc] = self.pending[acc].min(axis=1)
        fire = self.on[channel] & self.mech.active[self.stage[acc], channel]
        acc, channel = acc[fire], channel[fire]
        _touch(self.stock, acc, channel, self.mech.saturation)
        stage = self.scheduled_in[acc, channel]  # with the account and channel, names the touch
        buyer = self.draws.react_buyer[acc, channel, stage]
        self._remember(acc, buyer, channel, self.stage[acc])
        self.reacted.append((acc, channel, stage))
        self.reacted_time.append(self.t[acc])

    def _remember(
        self,
        acc: NDArray[np.int64],
        buyer: NDArray[np.int64],
        channel: NDArray[np.int64],
        stage: NDArray[np.int64],
    ) -> None:
        """The buyer an account's lead will be: the last one touched by a channel that works.

        A touch without lift must not decide it, or removing an inert channel would change who
        became the lead.
        """
        works = self.mech.lift[stage, channel] > 0
        self.last_buyer[acc[works]] = buyer[works]

    def outcome(self) -> _Outcome:
        """What happened, once every account is won, lost or censored."""
        return _Outcome(
            lead=self.entered[:, 0],
            opportunity=self.entered[:, 1],
            near=self.near,
            close=self.close,
            won=self.stage == _WON,
            lead_buyer=self.lead_buyer,
            happened=self.happened,
            stage=self.cand_stage,
            r_account=np.concatenate([r[0] for r in self.reacted]),
            r_channel=np.concatenate([r[1] for r in self.reacted]),
            r_stage=np.concatenate([r[2] for r in self.reacted]),
            r_time=np.concatenate(self.reacted_time),
        )


def _upcoming(draws: _Draws, mech: _Mechanics) -> NDArray[np.int64]:
    """Per stage, the next candidate at or after each one that the stage lets play.

    Shape (3, candidates + 1): the first candidate of the same account whose channel is active in
    that stage, or the candidate count if there is none.

    Candidates of channels inactive in the account's stage are skipped without a step; switched
    off channels are not, so their instants break the hazard's integration in every replay.
    """
    total = draws.time.size
    last = draws.offsets[draws.account + 1]  # end of each candidate's account
    out = np.full((3, total + 1), total, dtype=np.int64)
    for s in range(3):
        where = np.append(np.flatnonzero(mech.active[s, draws.channel]), total)
        found = where[np.searchsorted(where, np.arange(total))]
        out[s, :total] = np.where(found < last, found, total)
    return out


def _touch(
    stock: NDArray[np.float64],
    account: NDArray[np.int64],
    channel: NDArray[np.int64],
    saturation: float,
) -> None:
    """Add one touch to each (account, channel) stock, with diminishing returns."""
    filled = stock[account, channel]
    stock[account, channel] = filled + 1.0 / (1.0 + saturation * filled)


def _touched(outcome: _Outcome, draws: _Draws, n_channels: int) -> NDArray[np.bool_]:
    """(channels, accounts): whether the channel touched the account at all."""
    out = np.zeros((n_channels, len(draws.segment)), dtype=bool)
    out[draws.channel[outcome.happened], draws.account[outcome.happened]] = True
    out[outcome.r_channel, outcome.r_account] = True
    return out


def _totals(draws: _Draws, outcome: _Outcome) -> tuple[int, float]:
    return int(outcome.won.sum()), float(draws.value[outcome.won].sum())


def _when(days: float) -> datetime:
    return _START + timedelta(days=days)


def _records(draws: _Draws, outcome: _Outcome, world: ContinuousWorld) -> Records:
    specs = world.channels
    n = len(draws.segment)
    width = len(str(n))
    account_ids = [f"acct-{i:0{width}d}" for i in range(n)]
    accounts = [
        Account(aid, f"Account {i}", segment=_SEGMENTS[draws.segment[i]])
        for i, aid in enumerate(account_ids)
    ]
    buyers = []
    buyer_ids: list[list[str]] = []
    k = 0
    for i, aid in enumerate(account_ids):
        ids = [f"{aid}-b{j + 1}" for j in range(draws.committee[i])]
        buyer_ids.append(ids)
        for j, bid in enumerate(ids):
            is_lead = j == outcome.lead_buyer[i] and np.isfinite(outcome.lead[i])
            lead_at = _when(outcome.lead[i]) if is_lead else None
            buyers.append(Buyer(bid, _PERSONAS[draws.persona[k]].id, aid, lead_at=lead_at))
            k += 1
    touches = [
        _touchpoint(
            f"t-{t:07d}",
            buyer_ids[draws.account[t]][draws.buyer[t]],
            float(draws.time[t]),
            specs[draws.channel[t]],
            int(outcome.stage[t]),
        )
        for t in np.flatnonzero(outcome.happened)
    ]
    touches += [
        _touchpoint(
            f"r-{a}-{c}-{s}",
            buyer_ids[a][draws.react_buyer[a, c, s]],
            float(time),
            specs[c],
            int(s),
        )
        for a, c, s, time in zip(
            outcome.r_account.tolist(),
            outcome.r_channel.tolist(),
            outcome.r_stage.tolist(),
            outcome.r_time.tolist(),
            strict=True,
        )
    ]
    deals = [
        _deal(int(i), account_ids[i], buyer_ids[i], draws, outcome)
        for i in np.flatnonzero(np.isfinite(outcome.opportunity))
    ]
    return Records(list(_PERSONAS), [], accounts, buyers, touches, deals)


def _touchpoint(
    tid: str, buyer: str, time: float, spec: ContinuousChannel, stage: int
) -> Touchpoint:
    campaign = f"{spec.name}-{_STAGES[stage].value}" if spec.cost > 0 else None
    return Touchpoint(
        tid, buyer, _when(time), spec.name, spec.reach, spec.team, None, campaign, spec.cost
    )


def _deal(i: int, account: str, buyers: list[str], draws: _Draws, outcome: _Outcome) -> Deal:
    created = float(outcome.opportunity[i])
    close = float(outcome.close[i])
    closed = np.isfinite(close)
    result = Outcome.WON if outcome.won[i] else (Outcome.LOST if closed else Outcome.OPEN)
    stages = [StageChange("discovery", _when(created))]
    if np.isfinite(outcome.near[i]):  # the buyer got close: what a rep would call negotiation
        stages.append(StageChange("negotiation", _when(float(outcome.near[i]))))
    primary = int(outcome.lead_buyer[i])
    return Deal(
        f"deal-{account.removeprefix('acct-')}",
        account,
        float(draws.value[i]),
        "USD",
        _when(created),
        result,
        closed_at=_when(close) if closed else None,
        stages=stages,
        buyers=[DealBuyer(b, primary=j == primary) for j, b in enumerate(buyers)],
        name=f"Deal {i}",
    )
