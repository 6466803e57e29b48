"""After the first deal: a simulated post-sale life with known ground truth, and a small example.

How the post-sale life works
----------------------------
:func:`simulate_lifecycle` continues a world (any :class:`~journeykit.Records`, e.g. from
:func:`~journeykit.datasets.simulate` or the bundled demo) after each account's first win. Every
customer lives through yearly terms from that win. Before anything is decided, every random
number is drawn: for each customer and term a uniform number for a spontaneous renewal, a
spontaneous expansion time, the expansion's size and sales cycle; and for every lifecycle channel
a set of *candidate touches* (time, buyer of the committee, one uniform number for expansion and
one for renewal).

In each term a customer is alive if it renewed every earlier term. A candidate touch happens if
the customer is alive and its channel is on. The customer expands at the earliest touch whose
expansion number is below its channel's ``expansion`` effect, or at its spontaneous time,
whichever comes first (at most once a term): an ``EXPANSION`` deal opens then and is won after
its sales cycle. At the term's end the customer renews (a won ``RENEWAL`` deal worth the first
deal) if its spontaneous number is below ``base_renewal`` or any touch of the term had its
renewal number below its channel's ``renewal`` effect; otherwise the renewal is lost and the
customer churns: no touch, expansion or renewal after that. Switching a channel off replays the
*same* draws: the repeat business lost is its true contribution.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Final

import attrs
import numpy as np
from numpy.typing import NDArray

from journeykit.buyers import Account, Buyer
from journeykit.content import AssetKind, ContentAsset, FunnelStage
from journeykit.datasets.simulation import Effect, GroundTruth
from journeykit.deals import Deal, DealBuyer, DealKind, Outcome
from journeykit.errors import Problem, ValidationError
from journeykit.personas import Persona
from journeykit.records import Records
from journeykit.touchpoints import Reach, Team, Touchpoint

__all__ = [
    "DEFAULT_LIFECYCLE_CHANNELS",
    "LifecycleChannel",
    "LifecycleSimulation",
    "lifecycle_example",
    "simulate_lifecycle",
]

_TERM: Final = 365.0  # days
_SALT: Final = 0x11FE  # keeps this stream apart from the first-deal world drawn from one seed


def _probability(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        msg = f"LifecycleChannel: {attribute.name} must be a probability in [0, 1] (got {value!r})"
        raise ValidationError([Problem("LifecycleChannel", attribute.name, msg)])


def _positive(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < np.inf:
        msg = f"must be a finite number > 0 (got {value!r})"
        raise ValidationError([Problem("LifecycleChannel", attribute.name, msg)])


@attrs.frozen
class LifecycleChannel:
    """A channel that works on customers, and its true effect on repeat business.

    Parameters
    ----------
    name : str
        Channel name, as it appears on touches.
    reach : Reach
    rate : float
        Expected candidate touches per customer and year, > 0.
    expansion, renewal : float
        Probability that one touch triggers an expansion, or saves the term's renewal.
    team : Team, optional
        Defaults from ``reach``, as on :class:`~journeykit.Touchpoint`.
    asset_kind : AssetKind, optional
        If set, every touch uses this channel's one customer asset of that kind.
    """

    name: str
    reach: Reach
    rate: float = attrs.field(validator=_positive)
    expansion: float = attrs.field(default=0.0, validator=_probability)
    renewal: float = attrs.field(default=0.0, validator=_probability)
    team: Team | None = None
    asset_kind: AssetKind | None = None

    def __attrs_post_init__(self) -> None:
        if self.team is None:
            team = Team.SALES if self.reach is Reach.ONE_TO_ONE else Team.MARKETING
            object.__setattr__(self, "team", team)


DEFAULT_LIFECYCLE_CHANNELS: Final = (
    LifecycleChannel(
        "customer_email", Reach.ONE_TO_MANY, 12.0, 0.01, 0.02, asset_kind=AssetKind.EMAIL
    ),
    LifecycleChannel(
        "customer_webinar", Reach.ONE_TO_MANY, 3.0, 0.06, 0.04, asset_kind=AssetKind.WEBINAR
    ),
    LifecycleChannel("user_conference", Reach.ONE_TO_MANY, 1.0, 0.05, 0.08),
    LifecycleChannel("product_newsletter", Reach.ONE_TO_MANY, 6.0),  # no effect at all
    LifecycleChannel("account_review", Reach.ONE_TO_ONE, 2.0, 0.10, 0.12),
    LifecycleChannel("am_call", Reach.ONE_TO_ONE, 6.0, 0.05, 0.05),
)
"""The channels :func:`simulate_lifecycle` uses unless told otherwise: customer marketing (emails,
webinars, a user conference, a newsletter with no effect) and account management (reviews and
calls)."""


@attrs.frozen
class LifecycleSimulation:
    """A world continued after its first deals: records with repeat business and its truth.

    ``records`` hold the original records plus the post-sale touches, ``EXPANSION`` and
    ``RENEWAL`` deals; ``truth`` covers the repeat business only (won renewals and expansions,
    and per lifecycle channel what switching it off loses).
    """

    records: Records
    truth: GroundTruth
    channels: tuple[LifecycleChannel, ...]
    seed: int

    def __repr__(self) -> str:
        return (
            f"LifecycleSimulation(seed={self.seed}, {self.records!r}, repeat won="
            f"{self.truth.won}, value={self.truth.value:,.0f})"
        )


@attrs.frozen
class _Draws:
    """Every random number of the post-sale life, drawn once and replayed per counterfactual."""

    spontaneous_renewal: NDArray[np.float64]  # (customers, terms) uniform
    spontaneous_expansion: NDArray[np.float64]  # (customers, terms) days into the term
    expansion_size: NDArray[np.float64]  # (customers, terms) fraction of the first deal
    cycle: NDArray[np.float64]  # (customers, terms) days an expansion deal stays open
    customer: NDArray[np.int64]  # candidate touches, sorted by (customer, time)
    channel: NDArray[np.int64]
    time: NDArray[np.float64]  # days after the first win
    buyer: NDArray[np.int64]  # position in the customer's committee
    u_expansion: NDArray[np.float64]
    u_renewal: NDArray[np.float64]


@attrs.frozen
class _Life:
    happened: NDArray[np.bool_]  # per candidate touch
    expansion: NDArray[np.float64]  # (customers, terms) days after the first win, inf if none
    renewed: NDArray[np.bool_]  # (customers, terms)
    alive: NDArray[np.bool_]  # (customers, terms): alive at the term's start


def simulate_lifecycle(
    records: Records,
    *,
    seed: int,
    years: int = 2,
    channels: Sequence[LifecycleChannel] = DEFAULT_LIFECYCLE_CHANNELS,
    base_renewal: float = 0.6,
    expansion_every: float = 3.0,
    switch_off: Collection[str] = (),
    ground_truth: bool = True,
) -> LifecycleSimulation:
    """Continue a world after its first deals: renewals, expansions and churn, with ground truth.

    Parameters
    ----------
    records : Records
        The world so far; every account (or B2C primary buyer) with a won deal is a customer
        from its first win on.
    seed : int
        Seed of every draw (use the world's own seed: the post-sale stream is kept apart from the
        first-deal one, so the first deals never move).
    years : int
        Terms simulated after each first win, 1 to 10.
    channels : sequence of LifecycleChannel
        Lifecycle channels and their true effects (default :data:`DEFAULT_LIFECYCLE_CHANNELS`).
    base_renewal : float
        Probability that a term renews with no help, in [0, 1].
    expansion_every : float
        Mean years between spontaneous expansions, > 0.
    switch_off : collection of str
        Lifecycle channels to remove; the draws are replayed unchanged.
    ground_truth : bool
        Replay the life once per channel switched off, for :attr:`LifecycleSimulation.truth`.

    Examples
    --------
    >>> from journeykit.datasets import simulate, simulate_lifecycle
    >>> world = simulate(n_accounts=150, seed=3, ground_truth=False)
    >>> life = simulate_lifecycle(world.records, seed=3)
    >>> sorted({d.kind.value for d in life.records.deals})
    ['expansion', 'new_business', 'renewal']
    >>> life.truth.channels["product_newsletter"]  # no effect: nothing lost without it
    Effect(won=0, value=0.0)
    """
    specs = tuple(channels)
    _check(specs, years, base_renewal, expansion_every, switch_off)
    starts, committees, bases, firsts = _customers(records)
    rng = np.random.default_rng([seed, _SALT])
    draws = _draw(rng, [len(c) for c in committees], specs, years, expansion_every)
    names = [s.name for s in specs]
    off = np.isin(names, list(switch_off))
    life = _live(draws, specs, off, base_renewal, years)
    won, value = _totals(life, draws, bases)
    effects: dict[str, Effect] = {}
    if ground_truth:
        for i, name in enumerate(names):
            also = off.copy()
            also[i] = True
            replay = _totals(_live(draws, specs, also, base_renewal, years), draws, bases)
            effects[name] = Effect(won - replay[0], value - replay[1])
    grown = _records(records, draws, life, specs, starts, committees, bases, firsts)
    return LifecycleSimulation(
        records=grown,
        truth=GroundTruth(won, value, effects, {}),
        channels=specs,
        seed=seed,
    )


def _check(
    specs: tuple[LifecycleChannel, ...],
    years: int,
    base_renewal: float,
    expansion_every: float,
    switch_off: Collection[str],
) -> None:
    problems = []
    if isinstance(years, bool) or not isinstance(years, int) or not 1 <= years <= 10:
        problems.append(Problem("simulate_lifecycle", "years", f"must be 1 to 10 (got {years!r})"))
    if not 0 <= base_renewal <= 1:
        message = f"must be a probability (got {base_renewal!r})"
        problems.append(Problem("simulate_lifecycle", "base_renewal", message))
    if not 0 < expansion_every < np.inf:
        message = f"must be a finite number of years > 0 (got {expansion_every!r})"
        problems.append(Problem("simulate_lifecycle", "expansion_every", message))
    names = [s.name for s in specs]
    if not specs or len(set(names)) < len(names):
        message = f"must be distinct lifecycle channels, at least one (got {names})"
        problems.append(Problem("simulate_lifecycle", "channels", message))
    for unknown in sorted(set(switch_off) - set(names)):
        message = f"unknown lifecycle channel {unknown!r}"
        problems.append(Problem("simulate_lifecycle", "switch_off", message))
    if problems:
        raise ValidationError(problems)


def _customers(
    records: Records,
) -> tuple[list[datetime], list[list[str]], NDArray[np.float64], list[Deal]]:
    """Per customer (in the order of first wins): start, committee, first deal's value, deal."""
    firsts: dict[str, Deal] = {}
    for deal in records.deals:
        if deal.outcome is not Outcome.WON:
            continue
        key = deal.account if deal.account is not None else f"buyer:{deal.primary_buyer}"
        known = firsts.get(key)
        if known is None or (deal.closed_at, deal.id) < (known.closed_at, known.id):
            firsts[key] = deal
    ordered = sorted(firsts.values(), key=lambda d: (d.closed_at, d.id))
    committees = []
    for deal in ordered:
        members = (
            [b.id for b in records.buyers_of_account(deal.account)]
            if deal.account is not None
            else [m.buyer for m in deal.buyers]
        )
        committees.append(members or [m.buyer for m in deal.buyers])
    starts = [d.closed_at for d in ordered]
    bases = np.array([d.value for d in ordered], dtype=np.float64)
    return starts, committees, bases, ordered  # type: ignore[return-value]  # won: closed


def _draw(
    rng: np.random.Generator,
    committee_sizes: list[int],
    specs: tuple[LifecycleChannel, ...],
    years: int,
    expansion_every: float,
) -> _Draws:
    n = len(committee_sizes)
    shape = (n, years)
    spontaneous_renewal = rng.uniform(size=shape)
    spontaneous_expansion = rng.exponential(expansion_every * _TERM, size=shape)
    expansion_size = rng.uniform(0.1, 0.6, size=shape)
    cycle = rng.uniform(10.0, 45.0, size=shape)
    counts = rng.poisson([[s.rate * years for s in specs]] * n) if n else np.zeros((0, len(specs)))
    counts = np.asarray(counts, dtype=np.int64)
    customer = np.repeat(np.repeat(np.arange(n), len(specs)), counts.ravel())
    channel = np.repeat(np.tile(np.arange(len(specs)), n), counts.ravel())
    total = int(counts.sum())
    time = rng.uniform(0.0, years * _TERM, size=total)
    sizes = np.array(committee_sizes, dtype=np.int64)
    buyer = np.floor(rng.uniform(size=total) * sizes[customer]).astype(np.int64)
    u_expansion = rng.uniform(size=total)
    u_renewal = rng.uniform(size=total)
    order = np.lexsort((time, customer))
    return _Draws(
        spontaneous_renewal,
        spontaneous_expansion,
        expansion_size,
        cycle,
        customer[order],
        channel[order],
        time[order],
        buyer[order],
        u_expansion[order],
        u_renewal[order],
    )


def _live(
    draws: _Draws,
    specs: tuple[LifecycleChannel, ...],
    off: NDArray[np.bool_],
    base_renewal: float,
    years: int,
) -> _Life:
    """Replay the post-sale life with some channels off (vectorised over customers)."""
    n = draws.spontaneous_renewal.shape[0]
    expansion_effect = np.array([s.expansion for s in specs])
    renewal_effect = np.array([s.renewal for s in specs])
    term = np.minimum((draws.time // _TERM).astype(np.int64), years - 1)
    on = ~off[draws.channel]
    alive = np.zeros((n, years), dtype=np.bool_)
    renewed = np.zeros((n, years), dtype=np.bool_)
    expansion = np.full((n, years), np.inf)
    happened = np.zeros(draws.time.size, dtype=np.bool_)
    living = np.ones(n, dtype=np.bool_)
    for k in range(years):  # terms are few; every step is vectorised over customers
        alive[:, k] = living
        now = (term == k) & on & living[draws.customer]
        happened |= now
        triggers = now & (draws.u_expansion < expansion_effect[draws.channel])
        first = np.full(n, np.inf)
        np.minimum.at(first, draws.customer[triggers], draws.time[triggers])
        spontaneous = k * _TERM + draws.spontaneous_expansion[:, k]
        when = np.minimum(first, spontaneous)
        expansion[:, k] = np.where(living & (when < (k + 1) * _TERM), when, np.inf)
        saves = now & (draws.u_renewal < renewal_effect[draws.channel])
        saved = np.zeros(n, dtype=np.bool_)
        saved[draws.customer[saves]] = True
        renewed[:, k] = living & ((draws.spontaneous_renewal[:, k] < base_renewal) | saved)
        living = renewed[:, k]
    return _Life(happened, expansion, renewed, alive)


def _totals(life: _Life, draws: _Draws, bases: NDArray[np.float64]) -> tuple[int, float]:
    expanded = np.isfinite(life.expansion)
    won = int(expanded.sum() + life.renewed.sum())
    value = float(
        (draws.expansion_size * bases[:, None])[expanded].sum()
        + (bases[:, None] * life.renewed).sum()
    )
    return won, value


def _records(  # noqa: PLR0917  # private: the pieces of one world, named at the call
    records: Records,
    draws: _Draws,
    life: _Life,
    specs: tuple[LifecycleChannel, ...],
    starts: list[datetime],
    committees: list[list[str]],
    bases: NDArray[np.float64],
    firsts: list[Deal],
) -> Records:
    # Customer content is published when the first customer starts its life.
    launch = min(starts, default=None)
    assets = [
        ContentAsset(
            f"life-{s.name}", f"For customers: {s.name}", s.asset_kind, published_at=launch
        )
        for s in specs
        if s.asset_kind is not None
    ]
    asset_of = {s.name: f"life-{s.name}" for s in specs if s.asset_kind is not None}
    touches = []
    for i in np.flatnonzero(life.happened).tolist():
        spec = specs[int(draws.channel[i])]
        customer = int(draws.customer[i])
        touches.append(
            Touchpoint(
                f"life-t{i}",
                committees[customer][int(draws.buyer[i])],
                starts[customer] + timedelta(days=float(draws.time[i])),
                spec.name,
                spec.reach,
                spec.team,
                asset_of.get(spec.name),
            )
        )
    deals = []
    for c, first in enumerate(firsts):
        members = list(first.buyers)
        for k in range(life.alive.shape[1]):
            if not life.alive[c, k]:
                break
            start = starts[c]
            if np.isfinite(life.expansion[c, k]):
                opened = start + timedelta(days=float(life.expansion[c, k]))
                deals.append(
                    Deal(
                        f"{first.id}-x{k + 1}",
                        first.account,
                        round(float(draws.expansion_size[c, k] * bases[c]), 2),
                        first.currency,
                        opened,
                        Outcome.WON,
                        closed_at=opened + timedelta(days=float(draws.cycle[c, k])),
                        buyers=members,
                        kind=DealKind.EXPANSION,
                    )
                )
            due = start + timedelta(days=(k + 1) * _TERM)
            deals.append(
                Deal(
                    f"{first.id}-r{k + 1}",
                    first.account,
                    float(bases[c]),
                    first.currency,
                    due - timedelta(days=45),
                    Outcome.WON if life.renewed[c, k] else Outcome.LOST,
                    closed_at=due,
                    buyers=members,
                    kind=DealKind.RENEWAL,
                )
            )
    return Records(
        records.personas,
        [*records.assets, *assets],
        records.accounts,
        records.buyers,
        [*records.touchpoints, *touches],
        [*records.deals, *deals],
    )


def _day(n: int) -> datetime:
    return datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=n)


def lifecycle_example() -> Records:
    """One customer's whole life so far: a first deal, an expansion and a renewal.

    Acme (mid-market) has two buyers. Ana and Bo are reached by marketing and sales before the
    first deal (won on day 30, 10,000 EUR); after the win, marketing keeps in touch and an account
    manager calls, and Acme expands (won on day 150, 4,000 EUR) and renews (won on day 395,
    10,000 EUR). Days count from 1 January 2024.

    Examples
    --------
    >>> records = lifecycle_example()
    >>> [(d.id, d.kind.value, d.value) for d in records.deals]
    [('acme-new', 'new_business', 10000.0), ('acme-up', 'expansion', 4000.0), \
('acme-renew', 'renewal', 10000.0)]
    """
    one, many = Reach.ONE_TO_ONE, Reach.ONE_TO_MANY
    touches = [
        ("t01", "ana", 1, "webinar", many, "tour"),
        ("t02", "bo", 5, "email", many, None),
        ("t03", "ana", 10, "call", one, None),
        ("t04", "bo", 20, "demo", one, None),
        ("t05", "ana", 60, "customer_email", many, "news"),
        ("t06", "bo", 100, "customer_webinar", many, "tour"),
        ("t07", "ana", 130, "am_call", one, None),
        ("t08", "ana", 140, "meeting", one, None),
        ("t09", "bo", 300, "customer_email", many, "news"),
        ("t10", "ana", 380, "am_call", one, None),
    ]
    return Records(
        personas=[Persona("it_lead", "IT leader"), Persona("finance", "Finance leader")],
        assets=[
            ContentAsset(
                "tour",
                "Product tour",
                AssetKind.WEBINAR,
                {"it_lead"},
                FunnelStage.CONSIDERATION,
                published_at=_day(0),
            ),
            ContentAsset("news", "What's new", AssetKind.EMAIL, published_at=_day(55)),
        ],
        accounts=[Account("acme", "Acme", segment="mid_market")],
        buyers=[
            Buyer("ana", "it_lead", "acme", lead_at=_day(10)),
            Buyer("bo", "finance", "acme"),
        ],
        touchpoints=[Touchpoint(i, b, _day(d), c, r, asset=a) for i, b, d, c, r, a in touches],
        deals=[
            Deal(
                "acme-new",
                "acme",
                10_000.0,
                "EUR",
                _day(8),
                Outcome.WON,
                closed_at=_day(30),
                buyers=[DealBuyer("ana", "champion", primary=True), DealBuyer("bo", "approver")],
            ),
            Deal(
                "acme-up",
                "acme",
                4_000.0,
                "EUR",
                _day(125),
                Outcome.WON,
                closed_at=_day(150),
                buyers=["ana"],
                kind=DealKind.EXPANSION,
            ),
            Deal(
                "acme-renew",
                "acme",
                10_000.0,
                "EUR",
                _day(370),
                Outcome.WON,
                closed_at=_day(395),
                buyers=["ana"],
                kind=DealKind.RENEWAL,
            ),
        ],
    )
