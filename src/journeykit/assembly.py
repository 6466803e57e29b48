"""``assemble``: journeys straight from :class:`~journeykit.Records`, without building a graph."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from journeykit.deals import Outcome
from journeykit.journeys import NAT, Column, Journeys, smallest_code_dtype, to_micros
from journeykit.milestones import Milestone
from journeykit.records import Records
from journeykit.touchpoints import Reach, Team

__all__ = ["assemble"]


def _codes(values: list[str | None]) -> Column:
    labels = sorted({v for v in values if v is not None})
    index = {label: i for i, label in enumerate(labels)}
    dtype = smallest_code_dtype(len(labels))
    return Column(np.array([-1 if v is None else index[v] for v in values], dtype=dtype), labels)


def assemble(
    records: Records,
    *,
    goal: Literal["won"] = "won",
    lookback: timedelta | None = None,
    rollup: Literal["account"] = "account",
) -> Journeys:
    """Turn records into journeys: one per deal, and one per account (or buyer) without a deal.

    A deal's journey holds the touches of every buyer of its account (``rollup="account"``; a B2C
    deal without an account uses its own buyers), in time order, up to the deal's close (open deals:
    every touch so far). A won deal converts with its value at its close time; lost and open deals
    are non-converting journeys. Accounts, and buyers without an account, that have no deal give
    one non-converting journey of all their touches. A touch that belongs to several deals of an
    account counts once in each.

    Milestone flags: the first touch; for each buyer, the last touch at or before the buyer became
    a lead (``lead_at``); the last touch at or before the deal was created; the last touch at or
    before the close of a won deal.

    Parameters
    ----------
    records : Records
    goal : {"won"}
        The conversion: a won deal (other goals arrive with the full B2B assembly).
    lookback : timedelta, optional
        Keep only touches at most this long before the close (or, without one, the last touch).
    rollup : {"account"}
        Whose touches make a deal's journey.

    Examples
    --------
    >>> import journeykit as jk
    >>> from journeykit.datasets import example_records
    >>> journeys = jk.assemble(example_records())
    >>> [(j.id, len(j.channels), j.value) for j in journeys]
    [('account:initech', 2, 0.0), ('globex-2024', 6, 0.0), ('northwind-2024', 10, 48000.0)]
    """
    if goal != "won" or rollup != "account":
        msg = "assemble() supports goal='won' and rollup='account' for now"
        raise NotImplementedError(msg)
    touches = sorted(
        range(len(records.touchpoints)), key=lambda i: (records.touchpoints[i].time, i)
    )
    ordered = [records.touchpoints[i] for i in touches]
    times = np.array([to_micros(t.time) for t in ordered], dtype=np.int64)
    owner = [records.buyer(t.buyer) for t in ordered]
    groups: dict[str, list[int]] = {}
    for position, (touch, buyer) in enumerate(zip(ordered, owner, strict=True)):
        key = f"account:{buyer.account}" if buyer.account is not None else f"buyer:{touch.buyer}"
        groups.setdefault(key, []).append(position)

    journeys: list[tuple[str, NDArray[np.int64], float, int, int | None]] = []
    with_deals: set[str] = set()
    for deal in records.deals:
        keys = (
            [f"account:{deal.account}"]
            if deal.account is not None
            else [f"buyer:{m.buyer}" for m in deal.buyers]
        )
        with_deals.update(keys)
        members = np.array(sorted({p for k in keys for p in groups.get(k, [])}), dtype=np.int64)
        end = to_micros(deal.closed_at) if deal.closed_at is not None else None
        if end is not None:
            members = members[times[members] <= end]
        won = deal.outcome is Outcome.WON
        journeys.append(
            (
                deal.id,
                members,
                deal.value if won else 0.0,
                end if won and end is not None else NAT,
                to_micros(deal.created_at),
            )
        )
    for key, positions in groups.items():
        if key not in with_deals:
            journeys.append((key, np.array(positions, dtype=np.int64), 0.0, NAT, None))
    journeys.sort(key=lambda j: j[0])
    return _build(ordered, owner, times, journeys, lookback)


def _build(
    ordered: list[Any],
    owner: list[Any],
    times: NDArray[np.int64],
    journeys: list[tuple[str, NDArray[np.int64], float, int, int | None]],
    lookback: timedelta | None,
) -> Journeys:
    rows = [members for _, members, _, _, _ in journeys]
    lengths = np.array([r.size for r in rows], dtype=np.int64)
    index = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    converting = np.array([goal != NAT for _, _, _, goal, _ in journeys], dtype=np.bool_)
    marks = np.zeros(index.size, dtype=np.uint8)
    touch_time = times[index]
    for j, (_, _, _, goal, created) in enumerate(journeys):
        lo, hi = offsets[j], offsets[j + 1]
        if hi == lo:
            continue
        marks[lo] |= Milestone.FIRST_TOUCH.bit
        segment = touch_time[lo:hi]
        if created is not None and segment[0] <= created:
            marks[lo + np.searchsorted(segment, created, side="right") - 1] |= (
                Milestone.OPPORTUNITY_CREATED.bit
            )
        if goal != NAT:
            marks[lo + np.searchsorted(segment, goal, side="right") - 1] |= Milestone.CLOSED_WON.bit
    buyers = _codes([owner[i].id for i in index])
    _mark_leads(
        owner=owner,
        index=index,
        buyer=buyers.codes,
        offsets=offsets,
        touch_time=touch_time,
        marks=marks,
    )
    result = Journeys(
        offsets=offsets,
        time=touch_time,
        columns={
            "channel": _codes([ordered[i].channel for i in index]),
            "team": _enum_codes([ordered[i].team for i in index], Team),
            "reach": _enum_codes([ordered[i].reach for i in index], Reach),
            "asset": _codes([ordered[i].asset for i in index]),
            "campaign": _codes([ordered[i].campaign for i in index]),
            "persona": _codes([owner[i].persona for i in index]),
            "buyer": buyers,
            "account": _codes([owner[i].account for i in index]),
        },
        journey=Column(
            np.arange(len(journeys), dtype=smallest_code_dtype(len(journeys))),
            [j[0] for j in journeys],
        ),
        conversions=converting.astype(np.float64),
        nulls=(~converting).astype(np.float64),
        value=np.array([j[2] for j in journeys]),
        goal_time=np.array([j[3] for j in journeys], dtype=np.int64),
        milestones=marks,
        cost=np.array([ordered[i].cost for i in index], dtype=np.float64),
    )
    return result if lookback is None else result.lookback(lookback)


def _enum_codes(values: list[Team] | list[Reach], kind: type[Team] | type[Reach]) -> Column:
    members = list(kind)
    return Column(
        np.array([members.index(v) for v in values], dtype=np.int8), [m.value for m in members]
    )


def _mark_leads(
    *,
    owner: list[Any],
    index: NDArray[np.int64],
    buyer: NDArray[Any],
    offsets: NDArray[np.int64],
    touch_time: NDArray[np.int64],
    marks: NDArray[np.uint8],
) -> None:
    """Flag, per journey and buyer, the last touch at or before the buyer became a lead."""
    lead_at = np.array(
        [NAT if owner[i].lead_at is None else to_micros(owner[i].lead_at) for i in index],
        dtype=np.int64,
    )
    journey = np.repeat(np.arange(offsets.size - 1), np.diff(offsets))
    eligible = (lead_at != NAT) & (touch_time <= lead_at)
    candidates = np.flatnonzero(eligible)
    if not candidates.size:
        return
    # The last eligible touch of each (journey, buyer): sort by key, keep each group's last.
    order = np.lexsort((candidates, buyer[candidates], journey[candidates]))
    chosen = candidates[order]
    key_j, key_b = journey[chosen], buyer[chosen]
    last = np.ones(chosen.size, dtype=np.bool_)
    last[:-1] = (key_j[1:] != key_j[:-1]) | (key_b[1:] != key_b[:-1])
    marks[chosen[last]] |= Milestone.LEAD_CREATED.bit
