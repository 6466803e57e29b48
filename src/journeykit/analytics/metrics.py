"""Headline figures: reach, leads, win rate, deal size, cost per lead, CAC, return on spend."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import attrs
import numpy as np

from journeykit._frames import Backend, to_frame
from journeykit.analytics.funnel import funnel
from journeykit.attribution.result import Attribution
from journeykit.deals import Outcome
from journeykit.errors import ParameterError
from journeykit.records import Records

__all__ = ["Metrics", "metrics", "return_on_spend"]


@attrs.frozen(eq=False)
class Metrics:
    """Headline figures of a set of records (NaN where undefined, such as a rate with no trials)."""

    reach: int  # accounts (and buyers without one) touched
    engagement_rate: float  # engaged of reached
    leads: int
    opportunities: int
    win_rate: float  # the funnel's win rate: won / opportunity units
    average_deal: float  # mean value of won deals
    won_per_month: dict[str, int]
    total_cost: float
    cost_per_lead: float
    acquisition_cost: float  # total cost per won deal

    def to_frame(self, backend: Backend = "pandas") -> Any:
        """One row per metric (``won_per_month`` as one row per month)."""
        names, values = [], []
        for field in attrs.fields(Metrics):
            value = getattr(self, field.name)
            if isinstance(value, dict):
                names += [f"won in {month}" for month in value]
                values += [float(v) for v in value.values()]
            else:
                names.append(field.name)
                values.append(float(value))
        return to_frame({"metric": names, "value": values}, backend)


def metrics(records: Records, *, engaged_touches: int = 2) -> Metrics:
    """Headline marketing and sales figures of ``records``.

    Examples
    --------
    >>> from journeykit.datasets import example_records
    >>> m = metrics(example_records())
    >>> m.reach, m.leads, m.opportunities, m.win_rate, m.average_deal
    (3, 3, 2, 0.5, 48000.0)
    """
    stages = funnel(records, engaged_touches=engaged_touches).groups["all"]
    won = [d for d in records.deals if d.outcome is Outcome.WON]
    leads = sum(b.lead_at is not None for b in records.buyers)
    cost = float(sum(t.cost for t in records.touchpoints))
    months = Counter(f"{d.closed_at:%Y-%m}" for d in won if d.closed_at is not None)
    return Metrics(
        reach=stages.counts[0],
        engagement_rate=stages.rates[0],
        leads=leads,
        opportunities=len(records.deals),
        win_rate=stages.win_rate,
        average_deal=float(np.mean([d.value for d in won])) if won else math.nan,
        won_per_month=dict(sorted(months.items())),
        total_cost=cost,
        cost_per_lead=cost / leads if leads else math.nan,
        acquisition_cost=cost / len(won) if won else math.nan,
    )


def return_on_spend(result: Attribution, by: str = "channel") -> dict[str, float]:
    """Attributed value per unit of cost, by channel, asset, campaign or any touch column.

    Needs touch costs (``assemble`` carries them; ``from_events(cost=...)`` too). A label with no
    cost gets ``inf`` when it earned value and NaN when it did not.

    Examples
    --------
    >>> import journeykit as jk
    >>> rows = [{"journey_id": "j", "timestamp": f"2024-01-0{d}T00:00:00Z", "channel": c,
    ...          "cost": cost, "converted": d == 2, "value": 300.0 if d == 2 else None}
    ...         for d, c, cost in [(1, "ads", 50.0), (2, "email", 10.0)]]
    >>> result = jk.attribute(jk.from_events(rows, cost="cost"), "linear")
    >>> return_on_spend(result)
    {'ads': 3.0, 'email': 15.0}
    """
    journeys = result.journeys
    if journeys.cost is None:
        msg = "return_on_spend needs touch costs: these journeys have none"
        raise ParameterError(msg)
    column = journeys.column(by)
    size = len(column.labels) + 1
    slots = column.codes.astype(np.int64) + 1
    value = np.bincount(slots, result.value_credit, minlength=size)
    cost = np.bincount(slots, journeys.cost, minlength=size)
    out = {}
    for slot in np.flatnonzero(np.bincount(slots, minlength=size)).tolist():
        label = "(none)" if slot == 0 else column.labels[slot - 1]
        if cost[slot] > 0:
            out[label] = float(value[slot] / cost[slot])
        else:
            out[label] = math.inf if value[slot] > 0 else math.nan
    return dict(sorted(out.items()))
