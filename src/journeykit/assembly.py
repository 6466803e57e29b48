"""``assemble``: journeys straight from :class:`~journeykit.Records`, without building a graph.

The records' touches are read into columns once; each journey is then a set of row numbers chosen
with numpy (no per-touch Python work after the first pass), and one :class:`~journeykit.Journeys`
is built from all of them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from datetime import datetime, timedelta
from typing import Literal

import attrs
import numpy as np
from numpy.typing import NDArray

from journeykit._building import enum_column
from journeykit._choices import choice_message
from journeykit._periods import CONVERSION_PREFIX, PERIODS
from journeykit.buyers import Buyer
from journeykit.deals import Deal, DealKind, Outcome
from journeykit.errors import Problem, ValidationError
from journeykit.journeys import NAT, Column, Journeys, from_micros, smallest_code_dtype, to_micros
from journeykit.milestones import Milestone
from journeykit.records import Records
from journeykit.touchpoints import Reach, Team, Touchpoint

__all__ = ["assemble"]

Rollup = Literal["account", "buyers", "primary"]
Lookback = timedelta | Mapping[Milestone | str, timedelta]
_MICROSECOND = timedelta(microseconds=1)


def _codes(values: Sequence[str | None]) -> Column:
    return Column.from_values(values)


@attrs.frozen(eq=False)
class _Touches:
    """The records' touches as columns, in time order (ties in input order)."""

    touches: list[Touchpoint]
    time: NDArray[np.int64]
    buyer: NDArray[np.int64]  # index into records.buyers
    by_buyer: dict[int, NDArray[np.int64]]  # buyer index -> its rows, in time order

    @classmethod
    def of(cls, records: Records, include: Callable[[Touchpoint], bool] | None) -> _Touches:
        order = sorted(
            range(len(records.touchpoints)), key=lambda i: (records.touchpoints[i].time, i)
        )
        touches = [records.touchpoints[i] for i in order]
        if include is not None:
            touches = [t for t in touches if include(t)]
        buyer_index = {b.id: i for i, b in enumerate(records.buyers)}
        buyer = np.array([buyer_index[t.buyer] for t in touches], dtype=np.int64)
        rows = np.argsort(buyer, kind="stable")
        starts = np.searchsorted(buyer[rows], np.arange(len(records.buyers) + 1))
        by_buyer = {
            b: rows[starts[b] : starts[b + 1]]
            for b in range(len(records.buyers))
            if starts[b + 1] > starts[b]
        }
        time = np.array([to_micros(t.time) for t in touches], dtype=np.int64)
        return cls(touches, time, buyer, by_buyer)

    def of_buyers(self, buyers: Sequence[int]) -> NDArray[np.int64]:
        """The rows of these buyers' touches, each row once, in time order."""
        parts = [self.by_buyer[b] for b in set(buyers) if b in self.by_buyer]
        return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


@attrs.frozen
class _Spec:
    """One journey before it becomes columns."""

    id: str
    rows: NDArray[np.int64]
    converts: bool
    value: float
    goal: int  # when it converted (NAT if it did not)
    end: int  # the outcome's instant: goal, loss, stall check, or the last touch
    created: int  # when its opportunity was created (NAT for no deal)
    kind: str | None = None  # its deal's kind (None for no deal)
    roles: Mapping[str, str] = attrs.field(factory=dict)  # buyer ID -> role on the deal


def assemble(
    records: Records,
    *,
    goal: str = "won",
    lookback: Lookback | None = None,
    rollup: Rollup = "account",
    include: Callable[[Touchpoint], bool] | None = None,
    stall_after: timedelta = timedelta(days=180),
    as_of: datetime | None = None,
    stage_order: Sequence[str] | None = None,
    currency: str | None = None,
    rates: Rates | None = None,
    kinds: Iterable[DealKind | str] | None = None,
) -> Journeys:
    """Turn records into journeys: one per deal, and one per account or buyer without a deal.

    Parameters
    ----------
    records : Records
    goal : str
        What converts. ``"won"`` (default): a won deal, at its close, worth its value.
        ``"opportunity"``: every deal, at its creation, worth its value. ``"lead"``: a buyer who
        became a lead (``Buyer.lead_at``), worth 1, with one journey per buyer of that buyer's own
        touches. Any other string is a stage name from the deals' stage histories: a deal converts
        when it first entered that stage, worth its value.
    lookback : timedelta or mapping of Milestone to timedelta, optional
        A window: keep only touches at most this long before the journey's goal (or, for a
        journey that did not convert, its end). A mapping gives windows before milestones
        (``"lead_created"``, ``"opportunity_created"``, ``"closed_won"``); a touch is kept when it
        lies in any of them. Windows are closed: a touch exactly ``lookback`` before stays.
    rollup : {"account", "buyers", "primary"}
        Whose touches make a deal's journey: every buyer of the deal's account (a deal without an
        account uses its buyers), the buyers listed on the deal, or only its primary buyer. A
        touch counts once per deal even when several roll-up paths reach it.
    include : callable, optional
        Eligibility: a predicate on :class:`~journeykit.Touchpoint`; touches it rejects are left
        out before anything else (models then share credit over the eligible touches only).
    stall_after : timedelta
        An open deal older than this (at ``as_of``) has stalled: a non-converting journey. Younger
        open deals are still undecided and are left out.
    as_of : datetime, optional
        The instant the data describes; default the latest instant in the records. Carried into
        ``Journeys.as_of`` (where time-to-event models censor journeys that did not convert).
    stage_order : sequence of str, optional
        The pipeline's stages in order, for stage goals. A deal that skipped the goal stage
        (stage hopping) but entered a later one reached the goal when it entered the first later
        stage. Without an order, only won deals are known to have passed every stage: one that
        skipped the goal stage reached it at its close.
    currency : str, optional
        The reporting currency (ISO 4217). Needed with ``rates``; without them it must be the
        deals' own currency.
    rates : mapping or callable, optional
        Exchange rates into ``currency``: ``{"JPY": 0.0062, ...}`` (1 unit of the deal's currency
        in the reporting currency; the reporting currency itself is 1), or a function
        ``rate(code, moment)`` called with the instant each deal converted. Converting deals in
        different currencies are an error without them: values are never summed across
        currencies. The journeys' ``currency`` says what their values are in.

    Returns
    -------
    Journeys
        Journeys sorted by ID: deal IDs, ``"account:<id>"`` and ``"buyer:<id>"``. Columns:
        ``channel``, ``team``, ``reach``, ``asset``, ``asset_kind``, ``campaign``, ``persona``,
        ``buyer``, ``account``, ``segment`` (the account's), ``touch`` (the touchpoint's ID, to
        write credit back to a CRM), ``deal_kind`` (the kind of the journey's deal, missing for
        journeys without one), ``role`` (the touch's buyer's role on the deal, if listed) and
        ``cost``, then one column per key of the touches' ``properties`` (UTM tags, CRM fields:
        ``utm_campaign``, ...), missing (``None``, shown as ``(none)``) for touches without that
        key; a key that is also a built-in column's name is carried as ``property:<key>``.
        Touches after a journey's goal (or end) never count.

    Notes
    -----
    Milestone flags, per journey: ``FIRST_TOUCH`` on its first touch; ``LEAD_CREATED`` on each
    buyer's last touch at or before that buyer became a lead; ``OPPORTUNITY_CREATED`` on the last
    touch at or before the deal was created; ``CLOSED_WON`` on the last touch at or before the goal
    of a converting journey. With several touches at one instant, the last in input order carries
    the flag; a milestone with no touch at or before it is not flagged (models then spread its
    weight as their docstrings say).

    Repeat business: each deal's outcome closes its account's story so far. The decided deals of
    an account (a B2C deal's: of its primary buyer) are ordered by their goal or end (ties by
    creation time, then ID), whatever the kinds asked for, and a deal's journey holds only the
    touches after the previous one's: a touch between a first win and an expansion belongs to the
    expansion's journey, never to the closed deal, and a touch belongs to at most one deal's
    journey. Touches after an account's last decided deal belong to no deal's journey until the
    next deal is decided (an open deal that has not stalled is undecided).

    Examples
    --------
    >>> import journeykit as jk
    >>> from journeykit.datasets import example_records
    >>> journeys = jk.assemble(example_records())
    >>> [(j.id, len(j.channels), j.value) for j in journeys]
    [('account:initech', 2, 0.0), ('globex-2024', 6, 0.0), ('northwind-2024', 10, 48000.0)]
    >>> primary = jk.assemble(example_records(), rollup="primary")
    >>> next(j for j in primary if j.id == "northwind-2024").channels
    ('paid_social', 'webinar', 'email', 'call', 'demo')
    """
    _check_options(goal, rollup, lookback)
    _check_goal(records, goal, stage_order)
    wanted = _check_kinds(kinds)
    table = _Touches.of(records, include)
    moment = to_micros(as_of) if as_of is not None else _latest(records)
    if goal == "lead":
        specs = _lead_journeys(records, table, moment)
    else:
        specs = _deal_journeys(
            records=records,
            table=table,
            goal=goal,
            rollup=rollup,
            stall_after=stall_after,
            as_of=moment,
            stage_order=stage_order,
            kinds=wanted,
        )
    specs = [_trim(s, table, records, lookback) for s in sorted(specs, key=lambda s: s.id)]
    specs, reporting = _in_one_currency(records, specs, currency, rates)
    journeys = _build(records, table, specs)
    return attrs.evolve(
        journeys,
        end_time=np.array([s.end for s in specs], dtype=np.int64),
        lead_time=_first_leads(records, table, specs, journeys),
        opportunity_time=np.array([s.created for s in specs], dtype=np.int64),
        as_of=moment,
        currency=reporting,
    )


Rates = Mapping[str, float] | Callable[[str, datetime], float]


def _in_one_currency(
    records: Records, specs: list[_Spec], currency: str | None, rates: Rates | None
) -> tuple[list[_Spec], str | None]:
    """The specs with every converting deal's value in one currency, and that currency.

    Lead journeys are worth 1 each (no currency). Deals are looked up by the journey's ID.
    """
    deals = {d.id: d for d in records.deals}
    converting = [s for s in specs if s.converts and s.id in deals]
    found = sorted({deals[s.id].currency for s in converting})
    if rates is None:
        if len(found) > 1 or (currency is not None and found and found != [currency]):
            examples = ", ".join(
                f"{s.id!r} ({deals[s.id].currency})"
                for code in found
                for s in [next(s for s in converting if deals[s.id].currency == code)]
            )
            message = (
                f"holds converting deals in {', '.join(found)} (e.g. {examples}); values are "
                "never summed across currencies: pass rates= and currency= to convert them"
            )
            raise ValidationError([Problem("assemble", "currency", message)])
        return specs, found[0] if found else currency
    if currency is None:
        raise ValidationError(
            [Problem("assemble", "currency", "is needed with rates= (the currency to report in)")]
        )
    out = []
    for spec in specs:
        deal = deals.get(spec.id)
        if not spec.converts or deal is None:
            out.append(spec)
            continue
        moment = from_micros(spec.goal) or deal.created_at
        rate = _rate(rates, deal.currency, currency, moment)
        if rate is None or not math.isfinite(rate) or rate <= 0:
            message = (
                f"has no usable rate from {deal.currency} to {currency} "
                f"at {moment:%Y-%m-%d} (got {rate!r})"
            )
            raise ValidationError([Problem(f"Deal {deal.id!r}", "currency", message)])
        out.append(attrs.evolve(spec, value=deal.value * rate))
    return out, currency


def _rate(rates: Rates, code: str, currency: str, moment: datetime) -> float | None:
    if callable(rates):
        return float(rates(code, moment))
    if code == currency:
        return float(rates.get(code, 1.0))
    found = rates.get(code)
    return None if found is None else float(found)


def _first_leads(
    records: Records, table: _Touches, specs: list[_Spec], journeys: Journeys
) -> NDArray[np.int64]:
    """Per journey, the earliest lead time of its touches' buyers up to its end (else NAT)."""
    rows = np.concatenate([s.rows for s in specs]) if specs else np.zeros(0, dtype=np.int64)
    leads = _lead_times(records, table, rows)
    ends = np.array([s.end for s in specs], dtype=np.int64)[journeys.journey_of_touch]
    known = (leads != NAT) & (leads <= ends)
    first = np.full(len(specs), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, journeys.journey_of_touch[known], leads[known])
    return np.where(first == np.iinfo(np.int64).max, NAT, first)


_GOALS = ("won", "opportunity", "lead")


def _check_goal(records: Records, goal: str, stage_order: Sequence[str] | None) -> None:
    """A goal is a known word or a stage some deal entered (or ``stage_order`` names).

    A misspelled goal must not silently become the won-deal journeys.
    """
    if not isinstance(goal, str) or goal in _GOALS:
        return
    stages = {change.stage for deal in records.deals for change in deal.stages}
    stages.update(stage_order or ())
    if goal not in stages:
        known = [*_GOALS, *sorted(stages)]
        message = f"is neither a goal nor a stage of any deal (got {goal!r}; known: {known})"
        raise ValidationError([Problem("assemble", "goal", message)])


def _check_options(goal: str, rollup: str, lookback: Lookback | None) -> None:
    problems: list[Problem] = []
    if not isinstance(goal, str) or not goal:
        problems.append(
            Problem(
                "assemble",
                "goal",
                f"must be 'won', 'opportunity', 'lead' or a stage name (got {goal!r})",
            )
        )
    rollup_problem = choice_message(rollup, Rollup)
    if rollup_problem is not None:
        problems.append(Problem("assemble", "rollup", rollup_problem))
    windows = (
        lookback.values()
        if isinstance(lookback, Mapping)
        else []
        if lookback is None
        else [lookback]
    )
    if any(not isinstance(w, timedelta) or w < timedelta(0) for w in windows):
        problems.append(
            Problem("assemble", "lookback", f"must be non-negative timedeltas (got {lookback!r})")
        )
    if isinstance(lookback, Mapping):
        for key in lookback:
            try:
                milestone = Milestone(key) if isinstance(key, str) else key
            except ValueError:
                milestone = None
            if milestone not in (
                Milestone.LEAD_CREATED,
                Milestone.OPPORTUNITY_CREATED,
                Milestone.CLOSED_WON,
            ):
                message = (
                    f"windows are for lead_created, opportunity_created or closed_won (got {key!r})"
                )
                problems.append(Problem("assemble", "lookback", message))
    if problems:
        raise ValidationError(problems)


def _check_kinds(kinds: Iterable[DealKind | str] | None) -> frozenset[DealKind] | None:
    if kinds is None:
        return None
    if isinstance(kinds, str | DealKind):
        kinds = [kinds]
    wanted = set()
    for kind in kinds:
        try:
            wanted.add(DealKind(kind))
        except ValueError:
            choices = ", ".join(repr(k.value) for k in DealKind)
            message = f"must be deal kinds among {choices} (got {kind!r})"
            raise ValidationError([Problem("assemble", "kinds", message)]) from None
    return frozenset(wanted)


def _customer(deal: Deal) -> str:
    # Repeat business is counted per account; a B2C deal's customer is its primary buyer.
    return f"account:{deal.account}" if deal.account is not None else f"buyer:{deal.primary_buyer}"


def _window_starts(decided: list[tuple[Deal, int]]) -> dict[str, int]:
    """Per deal, the end of the customer's previous decided deal (NAT for its first)."""
    by_customer: dict[str, list[tuple[int, int, str]]] = {}
    for deal, end in decided:
        by_customer.setdefault(_customer(deal), []).append(
            (end, to_micros(deal.created_at), deal.id)
        )
    starts: dict[str, int] = {}
    for keys in by_customer.values():
        keys.sort()
        previous = NAT
        for end, _, deal_id in keys:
            starts[deal_id] = previous
            previous = end
    return starts


def _latest(records: Records) -> int:
    moments = [t.time for t in records.touchpoints]
    for deal in records.deals:
        moments += [deal.created_at, *(c.at for c in deal.stages)]
        moments += [deal.closed_at] if deal.closed_at is not None else []
    return max((to_micros(m) for m in moments), default=0)


def _buyers_of(records: Records, deal: Deal, rollup: Rollup, index: Mapping[str, int]) -> list[int]:
    if rollup == "account" and deal.account is not None:
        return [index[b.id] for b in records.buyers_of_account(deal.account)]
    if rollup == "primary":
        primary = deal.primary_buyer  # a deal that lists no buyers has none: no touches
        return [index[primary]] if primary is not None else []
    return [index[m.buyer] for m in deal.buyers]


def _reached(deal: Deal, goal: str, stage_order: Sequence[str] | None) -> datetime | None:
    """When the deal reached a goal (None if it did not)."""
    if goal == "won":
        return deal.closed_at if deal.outcome is Outcome.WON else None
    if goal == "opportunity":
        return deal.created_at
    entered = deal.stage_entered(goal)
    if entered is not None:
        return entered
    if stage_order is not None and goal in stage_order:
        later = set(stage_order[stage_order.index(goal) + 1 :])
        hop = next((c.at for c in deal.stages if c.stage in later), None)
        if hop is not None:
            return hop
    return deal.closed_at if deal.outcome is Outcome.WON else None


def _deal_journeys(
    *,
    records: Records,
    table: _Touches,
    goal: str,
    rollup: Rollup,
    stall_after: timedelta,
    as_of: int,
    stage_order: Sequence[str] | None,
    kinds: frozenset[DealKind] | None = None,
) -> list[_Spec]:
    index = {b.id: i for i, b in enumerate(records.buyers)}
    specs: list[_Spec] = []
    covered: set[int] = set()
    stall = stall_after // _MICROSECOND
    decided: list[tuple[Deal, int]] = []
    for deal in records.deals:
        covered.update(_buyers_of(records, deal, rollup, index))
        created = to_micros(deal.created_at)
        reached = _reached(deal, goal, stage_order)
        if reached is not None:
            end = to_micros(reached)
        elif deal.outcome is not Outcome.OPEN:
            end = to_micros(deal.closed_at)  # type: ignore[arg-type]  # closed deals have a close
        elif as_of - created > stall:
            end = as_of
        else:
            continue  # an open deal that has not stalled is undecided: no evidence either way
        decided.append((deal, end))
    starts = _window_starts(decided)  # over every kind, so a kind's journeys never depend on kinds
    for deal, end in decided:
        if kinds is not None and deal.kind not in kinds:
            continue
        rows = table.of_buyers(_buyers_of(records, deal, rollup, index))
        times = table.time[rows]
        rows = rows[(times <= end) & (times > starts[deal.id])]
        converts = _reached(deal, goal, stage_order) is not None
        specs.append(
            _Spec(
                deal.id,
                rows,
                converts,
                deal.value if converts else 0.0,
                end if converts else NAT,
                end,
                to_micros(deal.created_at),
                deal.kind.value,
                {m.buyer: m.role for m in deal.buyers if m.role is not None},
            )
        )
    if kinds is None:
        specs += _idle_journeys(records, table, covered, rollup, as_of)
    return specs


def _idle_journeys(
    records: Records, table: _Touches, covered: set[int], rollup: Rollup, as_of: int
) -> list[_Spec]:
    """One non-converting journey per account (or buyer) that no deal's journey covers."""
    specs = []
    groups: dict[str, list[int]] = {}
    for i, buyer in enumerate(records.buyers):
        if i in covered or i not in table.by_buyer:
            continue
        key = (
            f"account:{buyer.account}"
            if rollup == "account" and buyer.account is not None
            else f"buyer:{buyer.id}"
        )
        groups.setdefault(key, []).append(i)
    for key, buyers in groups.items():
        rows = table.of_buyers(buyers)
        specs.append(
            _Spec(id=key, rows=rows, converts=False, value=0.0, goal=NAT, end=as_of, created=NAT)
        )
    return specs


def _lead_journeys(records: Records, table: _Touches, as_of: int) -> list[_Spec]:
    """One journey per buyer: converting at the buyer's lead time, else up to ``as_of``."""
    specs = []
    for i, buyer in enumerate(records.buyers):
        rows = table.by_buyer.get(i, np.zeros(0, dtype=np.int64))
        converts = buyer.lead_at is not None
        if not converts and not rows.size:
            continue
        end = to_micros(buyer.lead_at) if buyer.lead_at is not None else as_of
        specs.append(
            _Spec(
                id=f"buyer:{buyer.id}",
                rows=rows[table.time[rows] <= end],
                converts=converts,
                value=1.0 if converts else 0.0,
                goal=end if converts else NAT,
                end=end,
                created=NAT,
            )
        )
    return specs


def _lead_times(records: Records, table: _Touches, rows: NDArray[np.int64]) -> NDArray[np.int64]:
    leads = np.array(
        [NAT if b.lead_at is None else to_micros(b.lead_at) for b in records.buyers] + [NAT],
        dtype=np.int64,
    )
    return leads[table.buyer[rows]]


def _trim(spec: _Spec, table: _Touches, records: Records, lookback: Lookback | None) -> _Spec:
    if lookback is None or not spec.rows.size:
        return spec
    times = table.time[spec.rows]
    if isinstance(lookback, timedelta):
        keep = spec.end - times <= lookback // _MICROSECOND
        return attrs.evolve(spec, rows=spec.rows[keep])
    keep = np.zeros(spec.rows.size, dtype=np.bool_)
    for key, window in lookback.items():
        milestone = Milestone(key) if isinstance(key, str) else key
        span = window // _MICROSECOND
        if milestone is Milestone.LEAD_CREATED:
            anchor = _lead_times(records, table, spec.rows)
        elif milestone is Milestone.OPPORTUNITY_CREATED:
            anchor = np.full(spec.rows.size, spec.created)
        else:
            anchor = np.full(spec.rows.size, spec.goal)
        keep |= (anchor != NAT) & (times <= anchor) & (anchor - times <= span)
    return attrs.evolve(spec, rows=spec.rows[keep])


def _flag_last_at_or_before(
    marks: NDArray[np.uint8], times: NDArray[np.int64], lo: int, moment: int, bit: int
) -> None:
    if moment == NAT:
        return
    position = int(np.searchsorted(times, moment, side="right")) - 1
    if position >= 0:
        marks[lo + position] |= bit


def _build(records: Records, table: _Touches, specs: list[_Spec]) -> Journeys:
    lengths = np.array([s.rows.size for s in specs], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    rows = np.concatenate([s.rows for s in specs]) if specs else np.zeros(0, dtype=np.int64)
    times = table.time[rows]
    marks = np.zeros(rows.size, dtype=np.uint8)
    leads = _lead_times(records, table, rows)
    for j, spec in enumerate(specs):
        lo, hi = int(offsets[j]), int(offsets[j + 1])
        if hi == lo:
            continue
        marks[lo] |= Milestone.FIRST_TOUCH.bit
        segment = times[lo:hi]
        _flag_last_at_or_before(marks, segment, lo, spec.created, Milestone.OPPORTUNITY_CREATED.bit)
        if spec.converts:
            _flag_last_at_or_before(marks, segment, lo, spec.goal, Milestone.CLOSED_WON.bit)
        buyers = table.buyer[rows[lo:hi]]
        for buyer in np.unique(buyers).tolist():
            own = np.flatnonzero(
                (buyers == buyer) & (segment <= leads[lo:hi]) & (leads[lo:hi] != NAT)
            )
            if own.size:
                marks[lo + own[-1]] |= Milestone.LEAD_CREATED.bit
    touches = [table.touches[i] for i in rows.tolist()]
    owners: list[Buyer] = [records.buyers[i] for i in table.buyer[rows].tolist()]
    kinds = {a.id: a.kind.value for a in records.assets}
    segments: dict[str | None, str | None] = {a.id: a.segment for a in records.accounts}
    converts = np.array([s.converts for s in specs], dtype=np.bool_)
    owner_journey = np.repeat(np.arange(len(specs)), lengths)
    columns = {
        "channel": _codes([t.channel for t in touches]),
        "team": enum_column(Column.from_values([t.team.value for t in touches]), Team, "team"),
        "reach": enum_column(Column.from_values([t.reach.value for t in touches]), Reach, "reach"),
        "asset": _codes([t.asset for t in touches]),
        "asset_kind": _codes([None if t.asset is None else kinds[t.asset] for t in touches]),
        "campaign": _codes([t.campaign for t in touches]),
        "persona": _codes([b.persona for b in owners]),
        "buyer": _codes([b.id for b in owners]),
        "account": _codes([b.account for b in owners]),
        "segment": _codes([segments.get(b.account) for b in owners]),
        "touch": _codes([t.id for t in touches]),
        "deal_kind": _codes(np.repeat([s.kind for s in specs], lengths).tolist()),
        "role": _codes(
            [specs[j].roles.get(b.id) for j, b in zip(owner_journey.tolist(), owners, strict=True)]
        ),
    }
    return Journeys(
        offsets=offsets,
        time=times,
        columns={**columns, **_property_columns(touches, taken=columns.keys() | _TAKEN)},
        journey=Column(
            np.arange(len(specs), dtype=smallest_code_dtype(len(specs))), [s.id for s in specs]
        ),
        conversions=converts.astype(np.float64),
        nulls=(~converts).astype(np.float64),
        value=np.array([s.value for s in specs], dtype=np.float64),
        goal_time=np.array([s.goal for s in specs], dtype=np.int64),
        milestones=marks,
        cost=np.array([t.cost for t in touches], dtype=np.float64),
    )


# Names a touch property cannot take besides the built-in columns: the derived dimensions
# (journey, position, periods) and the per-touch frame's other columns (time, roles, credit).
_TAKEN = frozenset(
    {
        *("journey", "position", "time", "share", "conversions", "value", "cost"),
        *(m.value for m in Milestone),
        *PERIODS,
        *(CONVERSION_PREFIX + p for p in PERIODS),
    }
)


def _property_columns(touches: Sequence[Touchpoint], taken: Set[str]) -> dict[str, Column]:
    """One column per property key any touch has; touches without the key have no label.

    A key that names a built-in column (``channel``, ``month``, ...) becomes ``property:<key>``.
    """
    keys = sorted({key for t in touches for key in t.properties})
    return {
        (f"property:{key}" if key in taken else key): _codes(
            [t.properties.get(key) for t in touches]
        )
        for key in keys
    }
