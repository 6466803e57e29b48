"""Funnel figures."""

from __future__ import annotations

import math

__all__ = ["sales_velocity"]


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
            raise ValueError(msg)
    return opportunities * win_rate * average_deal / cycle_days
