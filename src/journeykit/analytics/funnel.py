"""Funnel figures."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final

import attrs
import numpy as np
from numpy.typing import NDArray

from journeykit._display import draw
from journeykit._frames import Backend, to_frame
from journeykit.buyers import Buyer
from journeykit.deals import Deal, Outcome
from journeykit.errors import ParameterError
from journeykit.journeys import NAT, from_micros, to_micros
from journeykit.records import Records
from journeykit.touchpoints import Reach

__all__ = [
    "OWNERS",
    "RATES",
    "STAGES",
    "Funnel",
    "FunnelGroup",
    "StageFunnel",
    "deal_stages",
    "funnel",
    "sales_velocity",
]


def sales_velocity(
    *, opportunities: float, win_rate: float, average_deal: float, cycle_days: float
) -> float:
    """Sales velocity: the value a pipeline closes per day.

    ``opportunities * win_rate * average_deal / cycle_days``.

    Parameters
    ----------
    opportunities : float
        Open opportunities (>= 0).
    win_rate : float
        The share of opportunities won, in [0, 1].
    average_deal : float
        Average value of a won deal (>= 0).
    cycle_days : float
        Average days from opportunity to close (> 0).

    Raises
    ------
    ValueError
        Naming the argument that is out of range or not finite.

    Examples
    --------
    >>> velocity = sales_velocity(opportunities=40, win_rate=0.25, average_deal=25e3, cycle_days=90)
    >>> round(velocity, 2)
    2777.78
    """
    rules = (
        ("opportunities", opportunities, ">= 0", opportunities >= 0),
        ("win_rate", win_rate, "in [0, 1]", 0 <= win_rate <= 1),
        ("average_deal", average_deal, ">= 0", average_deal >= 0),
        ("cycle_days", cycle_days, "> 0", cycle_days > 0),
    )
    for name, value, rule, ok in rules:
        if not ok or not math.isfinite(value):
            msg = f"sales_velocity: {name} must be finite and {rule} (got {value!r})"
            raise ParameterError(msg)
    return opportunities * win_rate * average_deal / cycle_days


STAGES: Final = ("reached", "engaged", "lead", "opportunity", "won")
"""The funnel's stages, in order."""

RATES: Final = ("reach", "engagement", "lead", "opportunity", "win")
"""The stage rates, defined once for the funnel, :func:`~journeykit.analytics.metrics` and
:func:`~journeykit.analytics.diagnose`: each is the units that reached a stage over the units that
reached the stage before it. *reach*: reached / all units; *engagement*: engaged / reached;
*lead*: lead / engaged; *opportunity*: opportunity / lead; *win*: won / opportunity."""

OWNERS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "reach": "marketing",
        "engagement": "marketing",
        "lead": "marketing",
        "opportunity": "sales",
        "win": "sales",
    }
)
"""The team that owns each stage rate by default: marketing reaches and engages buyers and turns
them into leads; sales turns leads into opportunities and wins them. ``diagnose(owners=...)``
changes it (for example where an SDR team in marketing qualifies opportunities)."""

_DAY: Final = 86_400_000_000  # microseconds
_TOUCH_FIELDS: Final = ("channel", "campaign", "asset", "team", "reach")
_GROUPINGS: Final = ("segment", "industry", "region", "persona", *_TOUCH_FIELDS)


@attrs.frozen
class _Steps:
    """The arithmetic both funnels share, from the instant each row reached each stage."""

    counts: tuple[int, ...]  # rows that reached a stage or a later one
    rates: tuple[float, ...]  # stage to next stage
    drop_off: tuple[int, ...]  # rows that stopped at a stage
    days_in_stage: tuple[float, ...]  # mean days from a stage to the next, where both are known

    @classmethod
    def of(cls, funnel: FunnelGroup | StageFunnel) -> _Steps:
        """The steps a funnel's result holds."""
        return cls(funnel.counts, funnel.rates, funnel.drop_off, funnel.days_in_stage)

    def rows(self, stages: Sequence[str]) -> dict[str, list[Any]]:
        """Table columns, one row per stage (the last stage has no next: NaN and 0)."""
        pad = (float("nan"),)
        return {
            "stage": list(stages),
            "count": list(self.counts),
            "rate_to_next": list(self.rates + pad),
            "drop_off": [*self.drop_off, 0],
            "days_to_next": list(self.days_in_stage + pad),
        }


def _cumulative(at: NDArray[np.int64]) -> NDArray[np.bool_]:
    """Whether each row reached each stage or a later one (a skipped stage still counts)."""
    reached = at != NAT
    return np.flip(np.logical_or.accumulate(np.flip(reached, axis=1), axis=1), axis=1)


def _steps(at: NDArray[np.int64]) -> _Steps:
    """Counts, rates, drop-off and days in stage of rows x stages instants (NAT where unknown)."""
    counts = tuple(int(c) for c in _cumulative(at).sum(axis=0))
    stops = range(at.shape[1] - 1)
    days = []
    for i in stops:
        known = (at[:, i] != NAT) & (at[:, i + 1] != NAT) & (at[:, i + 1] >= at[:, i])
        gap = (at[known, i + 1] - at[known, i]) / _DAY
        days.append(float(gap.mean()) if known.any() else float("nan"))
    return _Steps(
        counts=counts,
        rates=tuple(counts[i + 1] / counts[i] if counts[i] else float("nan") for i in stops),
        drop_off=tuple(counts[i] - counts[i + 1] for i in stops),
        days_in_stage=tuple(days),
    )


@attrs.frozen(eq=False)
class _Units:
    """Funnel units (accounts, and buyers without one) with the instant each reached each stage."""

    ids: list[str]
    groups: dict[str, list[str]]  # by -> group label per unit
    reached_at: NDArray[np.int64]  # (units, stages); NAT where unknown
    cumulative: NDArray[np.bool_]  # (units, stages): reached this stage or a later one
    won_value: NDArray[np.float64]
    cycle_days: NDArray[
        np.float64
    ]  # per won unit: days from its first opportunity to its first win
    open_deals: NDArray[np.int64]
    lost_deals: NDArray[np.int64]


def _units(records: Records, engaged_touches: int) -> _Units:
    members: dict[str, list[Buyer]] = {}
    group_of: dict[str, dict[str, str]] = {}
    for account in records.accounts:
        key = f"account:{account.id}"
        members[key] = list(records.buyers_of_account(account.id))
        group_of[key] = {
            n: str(getattr(account, n) or "(none)") for n in ("segment", "industry", "region")
        }
    for buyer in records.buyers:
        if buyer.account is None:
            key = f"buyer:{buyer.id}"
            members[key] = [buyer]
            group_of[key] = dict.fromkeys(("segment", "industry", "region"), "(none)")
    ids = list(members)
    at = np.full((len(ids), len(STAGES)), NAT, dtype=np.int64)
    won_value = np.zeros(len(ids))
    cycle = np.full(len(ids), np.nan)
    open_deals = np.zeros(len(ids), dtype=np.int64)
    lost_deals = np.zeros(len(ids), dtype=np.int64)
    deals_of: dict[str, list[Deal]] = {k: [] for k in ids}
    for deal in records.deals:
        key = (
            f"account:{deal.account}"
            if deal.account is not None
            else f"buyer:{deal.buyers[0].buyer}"
        )
        deals_of.setdefault(key, []).append(deal)
    for u, key in enumerate(ids):
        touches = sorted(
            (t for b in members[key] for t in records.touches_of_buyer(b.id)), key=lambda t: t.time
        )
        if touches:
            at[u, 0] = to_micros(touches[0].time)
            personal = next((t for t in touches if t.reach is Reach.ONE_TO_ONE), None)
            candidates = [to_micros(personal.time)] if personal is not None else []
            if len(touches) >= engaged_touches:
                candidates.append(to_micros(touches[engaged_touches - 1].time))
            at[u, 1] = min(candidates) if candidates else NAT
        leads = [to_micros(b.lead_at) for b in members[key] if b.lead_at is not None]
        at[u, 2] = min(leads) if leads else NAT
        deals = deals_of.get(key, [])
        at[u, 3] = min((to_micros(d.created_at) for d in deals), default=NAT)
        wins = [d for d in deals if d.outcome is Outcome.WON]
        at[u, 4] = min((to_micros(d.closed_at) for d in wins if d.closed_at), default=NAT)
        won_value[u] = sum(d.value for d in wins)
        if wins and at[u, 3] != NAT:
            cycle[u] = (at[u, 4] - at[u, 3]) / _DAY
        open_deals[u] = sum(d.outcome is Outcome.OPEN for d in deals)
        lost_deals[u] = sum(d.outcome is Outcome.LOST for d in deals)
        for field in _TOUCH_FIELDS:
            value = getattr(touches[0], field) if touches else None
            group_of[key][field] = (
                "(none)" if value is None else str(getattr(value, "value", value))
            )
        personas = Counter(b.persona or "(none)" for b in members[key])
        group_of[key]["persona"] = (
            min(personas, key=lambda p: (-personas[p], p)) if personas else "(none)"
        )
    groups = {by: [group_of[k][by] for k in ids] for by in _GROUPINGS}
    return _Units(ids, groups, at, _cumulative(at), won_value, cycle, open_deals, lost_deals)


@attrs.frozen(eq=False)
class FunnelGroup:
    """The funnel of one group of units."""

    units: int
    counts: tuple[int, ...]
    rates: tuple[float, ...]  # stage to next stage
    drop_off: tuple[int, ...]
    days_in_stage: tuple[float, ...]  # mean days from a stage to the next, where both are known
    win_rate: float  # the "win" rate of RATES: won / opportunity units
    average_deal: float
    cycle_days: float
    open_opportunities: int

    def stage_counts(self) -> dict[str, tuple[int, int]]:
        """``{rate: (units that reached the stage, units that reached the one before)}``.

        One entry per name in :data:`RATES`, in funnel order.
        """
        before = (self.units, *self.counts[:-1])
        return {
            name: (reached, trials)
            for name, reached, trials in zip(RATES, self.counts, before, strict=True)
        }

    @property
    def velocity(self) -> float:
        """Sales velocity per day (open opportunities x win rate x average deal / cycle days)."""
        if not self.cycle_days > 0 or not np.isfinite(self.win_rate * self.average_deal):
            return float("nan")  # no decided deal, no win or no cycle yet: no velocity to speak of
        return sales_velocity(
            opportunities=self.open_opportunities,
            win_rate=self.win_rate,
            average_deal=self.average_deal,
            cycle_days=self.cycle_days,
        )


@attrs.frozen(eq=False)
class Funnel:
    """Stage counts, stage-to-stage rates, drop-off, time in stage and cohorts, per group."""

    by: str | None
    groups: dict[str, FunnelGroup]
    cohorts: dict[str, tuple[int, ...]]

    def to_frame(self, backend: Backend = "pandas") -> Any:
        """One row per group and stage."""
        rows: dict[str, list[Any]] = {"group": []}
        for label, group in self.groups.items():
            rows["group"] += [label] * len(STAGES)
            for name, column in _Steps.of(group).rows(STAGES).items():
                rows.setdefault(name, []).extend(column)
        return to_frame(rows, backend)

    def plot(self, *, ax: Any = None) -> Any:
        """Stage counts with rates (drawn by :func:`journeykit.plot.funnel`)."""
        return draw(self, ax=ax)

    def _repr_html_(self) -> str:
        """The notebook display: a chart and a table (see :mod:`journeykit._html`)."""
        from journeykit import _html  # noqa: PLC0415  # only notebooks pay for it

        return _html.notebook(_html.funnel(self, STAGES))

    def __repr__(self) -> str:
        lines = [f"Funnel(by={self.by!r})"]
        for label, group in self.groups.items():
            steps = " > ".join(f"{s} {c}" for s, c in zip(STAGES, group.counts, strict=True))
            lines.append(f"  {label}: {steps}")
        return "\n".join(lines)


def funnel(records: Records, *, by: str | None = None, engaged_touches: int = 2) -> Funnel:
    """The funnel of accounts (and buyers without one): reached, engaged, lead, opportunity, won.

    A unit *reached* a stage when: reached, it has a touch; engaged, it has ``engaged_touches``
    touches or a one-to-one touch; lead, one of its buyers became a lead; opportunity, it has a
    deal; won, it won one. Counts are cumulative (a unit that reached a later stage counts for
    every earlier one, even when that step left no record), so they never increase down the
    funnel. Rates are stage to next stage; drop-off is how many units stopped at each stage; days in
    stage average the time from one stage to the next where both instants are known. Cohorts count
    units by the month of their first touch.

    Parameters
    ----------
    records : Records
    by : str, optional
        Group units by an account field (``"segment"``, ``"industry"``, ``"region"``), by their
        buyers' most common ``"persona"``, or by a field of their first touch (``"channel"``,
        ``"campaign"``, ``"asset"``, ``"team"``, ``"reach"``: the acquisition channel and so on).
    engaged_touches : int
        How many touches make a unit engaged (a one-to-one touch always does).

    Examples
    --------
    >>> from journeykit.datasets import example_records
    >>> funnel(example_records())
    Funnel(by=None)
      all: reached 3 > engaged 3 > lead 2 > opportunity 2 > won 1
    """
    if by is not None and by not in _GROUPINGS:
        msg = f"funnel: by must be one of {', '.join(_GROUPINGS)} (got {by!r})"
        raise ParameterError(msg)
    if engaged_touches < 1:
        msg = f"funnel: engaged_touches must be >= 1 (got {engaged_touches})"
        raise ParameterError(msg)
    units = _units(records, engaged_touches)
    labels = units.groups[by] if by is not None else ["all"] * len(units.ids)
    groups = {
        label: _group(units, np.array([x == label for x in labels], dtype=np.bool_))
        for label in sorted(set(labels))
    }
    first = units.reached_at[:, 0]
    months = np.array([_month(m) for m in first.tolist()], dtype=object)
    cohorts = {
        month: tuple(int(c) for c in units.cumulative[months == month].sum(axis=0))
        for month in sorted({m for m in months.tolist() if m})
    }
    return Funnel(by, groups, cohorts)


def _month(micros: int) -> str:
    moment = from_micros(micros)
    return "" if moment is None else f"{moment:%Y-%m}"


def _group(units: _Units, chosen: NDArray[np.bool_]) -> FunnelGroup:
    cumulative = units.cumulative[chosen]
    steps = _steps(units.reached_at[chosen])
    won = int(cumulative[:, 4].sum())
    opportunities = int(cumulative[:, 3].sum())
    cycles = units.cycle_days[chosen]
    return FunnelGroup(
        units=int(chosen.sum()),
        **attrs.asdict(steps, recurse=False),
        win_rate=won / opportunities if opportunities else float("nan"),
        average_deal=float(units.won_value[chosen].sum() / won) if won else float("nan"),
        cycle_days=float(np.nanmean(cycles)) if np.isfinite(cycles).any() else float("nan"),
        open_opportunities=int(units.open_deals[chosen].sum()),
    )


@attrs.frozen(eq=False)
class StageFunnel:
    """Deals through their own stages: how many reached each, rates, drop-off and days in stage."""

    stages: tuple[str, ...]
    counts: tuple[int, ...]
    rates: tuple[float, ...]
    drop_off: tuple[int, ...]
    days_in_stage: tuple[float, ...]

    def to_frame(self, backend: Backend = "pandas") -> Any:
        """One row per stage."""
        return to_frame(_Steps.of(self).rows(self.stages), backend)

    def __repr__(self) -> str:
        steps = " > ".join(f"{s} {c}" for s, c in zip(self.stages, self.counts, strict=True))
        return f"StageFunnel({steps})"


def deal_stages(records: Records, *, order: Sequence[str] | None = None) -> StageFunnel:
    """The funnel of deals through the stages of their own histories, then ``won``.

    ``order`` gives the pipeline's stages; without it, stages are ordered by the median position
    they take in the deals' histories (ties by name). A deal counts for a stage when it entered it
    or any later one, so a deal that skipped a stage (stage hopping) still counts for it, and every
    won deal counts for every stage. Days in stage average, over the deals that recorded both, the
    time from entering a stage to entering the next.

    Examples
    --------
    >>> from journeykit.datasets import example_records
    >>> deal_stages(example_records())
    StageFunnel(demo 2 > proposal 1 > negotiation 1 > won 1)
    """
    if order is None:
        positions: dict[str, list[int]] = {}
        for deal in records.deals:
            for i, change in enumerate(deal.stages):
                positions.setdefault(change.stage, []).append(i)
        order = sorted(positions, key=lambda s: (float(np.median(positions[s])), s))
    stages = (*order, "won")
    entered = np.full((len(records.deals), len(stages)), NAT, dtype=np.int64)
    for d, deal in enumerate(records.deals):
        for i, stage in enumerate(order):
            moment = deal.stage_entered(stage)
            entered[d, i] = NAT if moment is None else to_micros(moment)
        if deal.outcome is Outcome.WON and deal.closed_at is not None:
            entered[d, -1] = to_micros(deal.closed_at)
    return StageFunnel(stages=stages, **attrs.asdict(_steps(entered), recurse=False))
