"""Hypothesis strategies for every journeykit domain type and for whole, consistent ``Records``.

In the style of ``hypothesis.extra.numpy``: functions that return strategies, keyword-only bounds
named ``min_size``/``max_size``, valid data by default, and
:class:`~hypothesis.errors.InvalidArgument` for impossible bounds. Installing journeykit registers
them (through hypothesis' entry point), so ``st.from_type(jk.Touchpoint)`` works.

Examples
--------
>>> from hypothesis import given
>>> import journeykit as jk
>>> from journeykit.testing import strategies as jst
>>> @given(jst.records(max_buyers=3))
... def test_touches_resolve(records):
...     for touch in records.touchpoints:
...         assert records.buyer(touch.buyer).id == touch.buyer
>>> test_touches_resolve()
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo

import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from journeykit.buyers import Account, Buyer
from journeykit.content import AssetKind, ContentAsset, FunnelStage
from journeykit.deals import Deal, DealBuyer, DealKind, Outcome, StageChange
from journeykit.journeys import NAT, Column, Journeys
from journeykit.milestones import Milestone
from journeykit.personas import Persona
from journeykit.records import Records
from journeykit.touchpoints import Reach, Team, Touchpoint

__all__ = [
    "accounts",
    "aware_datetimes",
    "buyers",
    "channels",
    "content_assets",
    "deals",
    "identifiers",
    "journeys",
    "personas",
    "records",
    "stage_changes",
    "touchpoints",
]

_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
_HORIZON = datetime(2030, 1, 1, tzinfo=UTC)
_ZONES: list[tzinfo] = [
    UTC,
    timezone(timedelta(hours=2)),
    timezone(timedelta(hours=-5, minutes=-30)),
]
_CHANNELS = [
    "webinar",
    "paid_search",
    "email",
    "social",
    "blog",
    "event",
    "call",
    "meeting",
    "demo",
]
_STAGES = ["discovery", "demo", "proposal", "negotiation"]


def _check_size(min_size: int, max_size: int) -> None:
    if min_size < 0 or max_size < min_size:
        msg = f"need 0 <= min_size <= max_size (got min_size={min_size}, max_size={max_size})"
        raise InvalidArgument(msg)


def identifiers(prefix: str = "") -> st.SearchStrategy[str]:
    """Valid record IDs: non-empty, no surrounding spaces, optionally with a prefix."""
    body = st.text(
        st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Z")), min_size=1, max_size=8
    )
    return body.map(lambda s: f"{prefix}{s}")


def channels() -> st.SearchStrategy[str]:
    """Channel names: common ones, and arbitrary valid IDs now and then."""
    return st.one_of(st.sampled_from(_CHANNELS), identifiers("ch-"))


def aware_datetimes(
    *, min_value: datetime = _EPOCH, max_value: datetime = _HORIZON
) -> st.SearchStrategy[datetime]:
    """Timezone-aware datetimes between two instants, in a few fixed-offset zones."""
    if min_value > max_value:
        msg = f"min_value {min_value} is after max_value {max_value}"
        raise InvalidArgument(msg)
    naive_min = min_value.astimezone(UTC).replace(tzinfo=None)
    naive_max = max_value.astimezone(UTC).replace(tzinfo=None)
    utc_times = st.datetimes(naive_min, naive_max).map(lambda d: d.replace(tzinfo=UTC))
    return st.builds(lambda d, z: d.astimezone(z), utc_times, st.sampled_from(_ZONES))


def _optional_text() -> st.SearchStrategy[str | None]:
    return st.none() | st.text(max_size=12)


def personas(*, ids: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[Persona]:
    """Personas."""
    return st.builds(
        Persona,
        id=ids if ids is not None else identifiers("p-"),
        name=st.text(max_size=12),
        role=_optional_text(),
        industry=_optional_text(),
        company_size=_optional_text(),
        pains=st.lists(st.text(max_size=8), max_size=3).map(tuple),
    )


def content_assets(
    *, ids: st.SearchStrategy[str] | None = None, persona_ids: Sequence[str] | None = None
) -> st.SearchStrategy[ContentAsset]:
    """Content assets targeting personas drawn from ``persona_ids`` (any IDs when ``None``)."""
    persona_ref = identifiers("p-") if persona_ids is None else st.sampled_from(list(persona_ids))
    persona_sets = (
        st.frozensets(persona_ref, max_size=3) if persona_ids != [] else st.just(frozenset[str]())
    )
    return st.builds(
        ContentAsset,
        id=ids if ids is not None else identifiers("a-"),
        title=st.text(max_size=12),
        kind=st.sampled_from(AssetKind),
        personas=persona_sets,
        stage=st.none() | st.sampled_from(FunnelStage),
        url=st.none() | st.just("https://example.com/asset"),
        published_at=st.none() | aware_datetimes(),
    )


def accounts(*, ids: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[Account]:
    """Accounts."""
    return st.builds(
        Account,
        id=ids if ids is not None else identifiers("acc-"),
        name=st.text(max_size=12),
        industry=_optional_text(),
        segment=st.none() | st.sampled_from(["smb", "mid_market", "enterprise"]),
        region=_optional_text(),
        employees=st.none() | st.integers(0, 10**6),
    )


def _ref(pool: Sequence[str] | None, prefix: str) -> st.SearchStrategy[str | None]:
    if pool is None:
        return st.none() | identifiers(prefix)
    return st.none() | st.sampled_from(list(pool)) if pool else st.none()


def buyers(
    *,
    ids: st.SearchStrategy[str] | None = None,
    persona_ids: Sequence[str] | None = None,
    account_ids: Sequence[str] | None = None,
) -> st.SearchStrategy[Buyer]:
    """Buyers whose persona and account come from the given pools (any IDs when ``None``)."""
    return st.builds(
        Buyer,
        id=ids if ids is not None else identifiers("b-"),
        persona=_ref(persona_ids, "p-"),
        account=_ref(account_ids, "acc-"),
        lead_at=st.none() | aware_datetimes(),
        name=_optional_text(),
        title=_optional_text(),
    )


def touchpoints(
    *,
    ids: st.SearchStrategy[str] | None = None,
    buyer_ids: Sequence[str] | None = None,
    asset_ids: Sequence[str] | None = None,
    times: st.SearchStrategy[datetime] | None = None,
) -> st.SearchStrategy[Touchpoint]:
    """Touchpoints of buyers in ``buyer_ids`` using assets in ``asset_ids`` (any when ``None``)."""
    buyer = identifiers("b-") if buyer_ids is None else st.sampled_from(list(buyer_ids))
    return st.builds(
        Touchpoint,
        id=ids if ids is not None else identifiers("t-"),
        buyer=buyer,
        time=times if times is not None else aware_datetimes(),
        channel=channels(),
        reach=st.sampled_from(Reach),
        team=st.none() | st.sampled_from(Team),
        asset=_ref(asset_ids, "a-"),
        campaign=st.none() | st.sampled_from(["spring", "launch", "retarget"]),
        cost=st.floats(0, 1e6, allow_nan=False, allow_infinity=False),
        properties=st.dictionaries(
            st.sampled_from(["utm_source", "utm_medium", "rep"]), st.text(max_size=6)
        ),
    )


def stage_changes(
    *, after: datetime = _EPOCH, before: datetime = _HORIZON
) -> st.SearchStrategy[StageChange]:
    """A stage change between two instants."""
    return st.builds(
        StageChange, st.sampled_from(_STAGES), aware_datetimes(min_value=after, max_value=before)
    )


@st.composite
def deals(
    draw: st.DrawFn,
    *,
    ids: st.SearchStrategy[str] | None = None,
    account_ids: Sequence[str] | None = None,
    buyer_ids: Sequence[str] | None = None,
    created_after: datetime = _EPOCH,
    currencies: Sequence[str] = ("EUR", "USD", "GBP"),
    kinds: st.SearchStrategy[DealKind] | None = None,
) -> Deal:
    """Deals with a consistent outcome, close time, stage history and committee.

    The account comes from ``account_ids`` (any ID when ``None``; no account when empty, which
    makes a B2C deal and then needs ``buyer_ids``); buyers from ``buyer_ids``; the currency from
    ``currencies``; the kind from ``kinds`` (any :class:`~journeykit.deals.DealKind` when ``None``).
    """
    if account_ids is not None and not account_ids and not buyer_ids:
        msg = "a deal without an account needs buyer_ids to draw its buyers from"
        raise InvalidArgument(msg)
    deal_id = draw(ids if ids is not None else identifiers("d-"))
    latest = _HORIZON - timedelta(days=400)
    created = draw(aware_datetimes(min_value=min(created_after, latest), max_value=latest))
    outcome = draw(st.sampled_from(Outcome))
    closed = None
    if outcome is not Outcome.OPEN:
        closed = created + timedelta(seconds=draw(st.integers(0, 365 * 86400)))
    end = closed or created + timedelta(days=365)
    stages = sorted(
        draw(st.lists(stage_changes(after=created, before=end), max_size=4)), key=lambda c: c.at
    )
    pool = list(buyer_ids) if buyer_ids is not None else []
    account = (
        draw(identifiers("acc-") if account_ids is None else st.sampled_from(list(account_ids)))
        if (account_ids is None or account_ids)
        else None
    )
    members = (
        draw(st.lists(st.sampled_from(pool), unique=True, min_size=0 if account else 1, max_size=3))
        if pool
        else []
    )
    primary = draw(st.none() | st.integers(0, len(members) - 1)) if members else None
    roles = st.none() | st.sampled_from(["champion", "decision_maker", "influencer"])
    return Deal(
        deal_id,
        account,
        draw(st.floats(0, 1e7, allow_nan=False, allow_infinity=False)),
        draw(st.sampled_from(list(currencies))),
        created,
        outcome,
        closed_at=closed,
        stages=stages,
        buyers=[DealBuyer(b, draw(roles), i == primary) for i, b in enumerate(members)],
        name=draw(st.text(max_size=10)),
        kind=draw(kinds if kinds is not None else st.sampled_from(DealKind)),
    )


@st.composite
def records(
    draw: st.DrawFn,
    *,
    min_buyers: int = 0,
    max_buyers: int = 6,
    max_touches_per_buyer: int = 6,
    max_deals: int = 3,
    b2b: bool = True,
    currencies: Sequence[str] | None = None,
) -> Records:
    """Whole, consistent :class:`~journeykit.Records`.

    References resolve, each buyer's touches are in time order (IDs ``t-0``, ``t-1``, ... in
    that order), and every deal is created after the first touch of its account (or buyers).
    Deals are of any kind, and an account may have several: repeat business comes for free. With
    ``b2b=False`` there are no accounts and deals list their buyers. Deals share one currency
    (so the records assemble without exchange rates) unless ``currencies`` lists several to mix.
    """
    _check_size(min_buyers, max_buyers)
    _check_size(0, max_touches_per_buyer)
    _check_size(0, max_deals)
    persona_list = draw(st.lists(personas(), max_size=3, unique_by=lambda p: p.id))
    persona_ids = [p.id for p in persona_list]
    asset_list = draw(
        st.lists(content_assets(persona_ids=persona_ids), max_size=4, unique_by=lambda a: a.id)
    )
    asset_ids = [a.id for a in asset_list]
    account_list = (
        draw(st.lists(accounts(), min_size=1, max_size=3, unique_by=lambda a: a.id)) if b2b else []
    )
    account_ids = [a.id for a in account_list]
    buyer_list = draw(
        st.lists(
            buyers(persona_ids=persona_ids, account_ids=account_ids),
            min_size=min_buyers,
            max_size=max_buyers,
            unique_by=lambda b: b.id,
        )
    )
    touch_list: list[Touchpoint] = []
    first_touch: dict[str | None, datetime] = {}
    for buyer in buyer_list:
        count = draw(st.integers(0, max_touches_per_buyer))
        when = draw(aware_datetimes(max_value=_HORIZON - timedelta(days=800)))
        for _ in range(count):
            when += timedelta(seconds=draw(st.integers(0, 30 * 86400)))
            touch = draw(
                touchpoints(
                    ids=st.just(f"t-{len(touch_list)}"),
                    buyer_ids=[buyer.id],
                    asset_ids=asset_ids,
                    times=st.just(when),
                )
            )
            touch_list.append(touch)
            for key in {buyer.account, buyer.id}:
                first_touch[key] = min(first_touch.get(key, when), when)
    deal_list: list[Deal] = []
    money = list(currencies) if currencies else [draw(st.sampled_from(["EUR", "USD", "GBP"]))]
    if buyer_list and (account_ids or not b2b):
        for number in range(draw(st.integers(0, max_deals))):
            if b2b:
                account = draw(st.sampled_from(account_ids))
                pool = [b.id for b in buyer_list if b.account == account]
                deal = draw(
                    deals(
                        ids=st.just(f"d-{number}"),
                        account_ids=[account],
                        buyer_ids=pool,
                        created_after=first_touch.get(account, _EPOCH),
                        currencies=money,
                    )
                )
            else:
                pool = [b.id for b in buyer_list]
                deal = draw(
                    deals(
                        ids=st.just(f"d-{number}"),
                        account_ids=[],
                        buyer_ids=pool,
                        created_after=max(
                            (first_touch.get(b, _EPOCH) for b in pool), default=_EPOCH
                        ),
                        currencies=money,
                    )
                )
            deal_list.append(deal)
    return Records(persona_list, asset_list, account_list, buyer_list, touch_list, deal_list)


_MICROS_PER_DAY = 86_400_000_000


@st.composite
def journeys(
    draw: st.DrawFn,
    *,
    min_journeys: int = 1,
    max_journeys: int = 12,
    channels: Sequence[str] = ("a", "b", "c", "d"),
    max_length: int = 6,
    allow_empty: bool = False,
    times: bool = True,
    milestones: bool = True,
) -> Journeys:
    """Valid :class:`~journeykit.Journeys` tables built directly from their columns.

    Conversions are 0, 1 or fractional weights, some journeys have both conversions and nulls
    (as aggregated paths do), values per conversion are 0 or between a cent and 10,000, touch
    times are in order within each journey (``times=False`` gives unknown times, as path tables
    do), and lead-created and opportunity-created flags fall on random touches
    (``milestones=True``).
    """
    _check_size(min_journeys, max_journeys)
    if not channels:
        raise InvalidArgument("channels must not be empty")
    if max_length < 1:
        raise InvalidArgument(f"max_length must be >= 1 (got {max_length})")
    n = draw(st.integers(min_journeys, max_journeys))
    lengths = np.array(
        draw(st.lists(st.integers(0 if allow_empty else 1, max_length), min_size=n, max_size=n)),
        dtype=np.int64,
    )
    total = int(lengths.sum())
    codes = np.array(
        draw(st.lists(st.integers(0, len(channels) - 1), min_size=total, max_size=total)),
        dtype=np.int8,
    )
    weights = st.sampled_from([0.0, 0.0, 1.0, 1.0, 2.0, 0.5, 3.25])
    conversions = np.array(draw(st.lists(weights, min_size=n, max_size=n)))
    nulls = np.array(draw(st.lists(weights, min_size=n, max_size=n)))
    unit_values = np.array(
        draw(
            st.lists(
                # Money: zero, or at least a cent (values near the float limits overflow any ratio).
                st.one_of(st.just(0.0), st.floats(0.01, 1e4, allow_nan=False)),
                min_size=n,
                max_size=n,
            )
        )
    )
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    if times:
        gaps = np.array(
            draw(st.lists(st.integers(0, 40 * _MICROS_PER_DAY), min_size=total, max_size=total)),
            dtype=np.int64,
        )
        starts = np.array(
            draw(st.lists(st.integers(0, 3_000 * _MICROS_PER_DAY), min_size=n, max_size=n)),
            dtype=np.int64,
        )
        owner = np.repeat(np.arange(n), lengths)
        running = np.concatenate([[0], np.cumsum(gaps)])
        time = 1_577_836_800_000_000 + starts[owner] + running[1:] - running[offsets[:-1]][owner]
        last = np.where(lengths > 0, np.concatenate([time, [0]])[offsets[1:] - 1], starts)
        goal = np.where(conversions > 0, last + draw(st.integers(0, _MICROS_PER_DAY)), NAT)
    else:
        time = np.full(total, NAT, dtype=np.int64)
        goal = np.full(n, NAT, dtype=np.int64)
    marks = np.zeros(total, dtype=np.uint8)
    nonempty = lengths > 0
    marks[offsets[:-1][nonempty]] |= Milestone.FIRST_TOUCH.bit
    marks[offsets[1:][nonempty & (conversions > 0)] - 1] |= Milestone.CLOSED_WON.bit
    if milestones and total:
        for milestone in (Milestone.LEAD_CREATED, Milestone.OPPORTUNITY_CREATED):
            flagged = draw(st.lists(st.integers(0, total - 1), max_size=max(1, total // 3)))
            marks[flagged] |= milestone.bit
    return Journeys(
        offsets=offsets,
        time=time,
        columns={"channel": Column(codes, channels)},
        journey=Column(np.arange(n, dtype=np.int32), [f"j{i}" for i in range(n)]),
        conversions=conversions,
        nulls=nulls,
        value=conversions * unit_values,
        goal_time=goal,
        milestones=marks,
    )
