"""Calendar periods as categorical columns: the time dimensions of ``Attribution.by("month")``.

A touch's period is that of its time (``week``, ``month``, ``quarter``, ``year``); its conversion
period (``conversion_week`` ...) is that of its journey's goal time. Periods are UTC calendar
periods (weeks are ISO weeks, from Monday); labels sort in time order (``2024-W09``, ``2024-03``,
``2024-Q1``, ``2024``).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Final

import numpy as np
from numpy.typing import NDArray

from journeykit.errors import Problem, SchemaError

if TYPE_CHECKING:
    from journeykit.journeys import Journeys

__all__ = ["CONVERSION_PREFIX", "PERIODS", "is_period", "period_codes"]

PERIODS: Final = ("week", "month", "quarter", "year")
CONVERSION_PREFIX: Final = "conversion_"
_NAT: Final = np.iinfo(np.int64).min  # journeykit.journeys.NAT (which imports this module)
_EPOCH_DAY: Final = date(1970, 1, 1)
_MICROS_PER_DAY: Final = 86_400_000_000


def is_period(name: str) -> bool:
    """Whether ``name`` is a time dimension (``"month"``, ``"conversion_quarter"``, ...)."""
    return name.removeprefix(CONVERSION_PREFIX) in PERIODS


def _period_numbers(days: NDArray[np.int64], unit: str) -> NDArray[np.int64]:
    """One integer per day: its period counted from the epoch's (weeks start on Monday)."""
    if unit == "week":
        return (days + 3) // 7  # 1970-01-01 was a Thursday: +3 puts Mondays on multiples of 7
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    if unit == "month":
        return months
    return months // 3 if unit == "quarter" else months // 12


def _label(number: int, unit: str) -> str:
    if unit == "week":
        monday = _EPOCH_DAY + timedelta(days=7 * number - 3)
        year, week, _ = monday.isocalendar()
        return f"{year}-W{week:02d}"
    if unit == "month":
        return f"{1970 + number // 12}-{number % 12 + 1:02d}"
    if unit == "quarter":
        return f"{1970 + number // 4}-Q{number % 4 + 1}"
    return str(1970 + number)


def _codes(micros: NDArray[np.int64], unit: str) -> tuple[NDArray[np.int32], list[str]]:
    """Codes (``-1`` for unknown times) into the sorted labels of the times' periods."""
    known = micros != _NAT
    days = micros[known] // _MICROS_PER_DAY  # floor: times before 1970 fall on the right day
    codes = np.full(micros.size, -1, dtype=np.int32)  # a period per day for 5 million years
    if not days.size:
        return codes, []
    first = int(days.min())
    days -= first
    span = int(days.max()) + 1
    if span <= 4 * days.size + 4096:
        # The usual few years: periods of the distinct days only, then one table lookup.
        present = np.bincount(days, minlength=span) > 0
        numbers, inverse = np.unique(
            _period_numbers(np.flatnonzero(present) + first, unit), return_inverse=True
        )
        of_day = np.full(span, -1, dtype=np.int32)
        of_day[present] = inverse.reshape(-1)
        codes[known] = of_day[days]
    else:  # a few times centuries apart
        numbers, inverse = np.unique(_period_numbers(days + first, unit), return_inverse=True)
        codes[known] = inverse.reshape(-1)
    return codes, [_label(n, unit) for n in numbers.tolist()]


def period_codes(journeys: Journeys, name: str) -> tuple[NDArray[np.int32], list[str]]:
    """Per touch, a code into the labels of the period ``name`` (see the module docstring).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> import journeykit as jk
    >>> frame = [{"journey_id": "j1", "timestamp": datetime(2024, m, d, tzinfo=timezone.utc),
    ...           "channel": "ad", "converted": m == 4, "value": 0.0}
    ...          for m, d in [(1, 1), (3, 31), (4, 1)]]
    >>> journeys = jk.from_events(frame)
    >>> period_codes(journeys, "quarter")
    (array([0, 0, 1], dtype=int32), ['2024-Q1', '2024-Q2'])
    >>> period_codes(journeys, "week")[1]  # ISO weeks: 2024-01-01 was a Monday
    ['2024-W01', '2024-W13', '2024-W14']
    >>> period_codes(journeys, "conversion_month")
    (array([0, 0, 0], dtype=int32), ['2024-04'])
    """
    unit = name.removeprefix(CONVERSION_PREFIX)
    if unit == name:
        if not journeys.has_times:
            message = "needs touch times; these journeys have none (a path table?)"
            raise SchemaError([Problem("Journeys", name, message)])
        return _codes(journeys.time, unit)
    goal = journeys.goal_time
    if goal is None:
        goal = np.full(journeys.n_journeys, _NAT, dtype=np.int64)
    unknown = journeys.converting & (goal == _NAT)
    if np.any(unknown):
        journey = journeys.journey.labels[journeys.journey.codes[np.flatnonzero(unknown)[0]]]
        message = f"needs conversion times; journey {journey!r} converts at an unknown time"
        raise SchemaError([Problem("Journeys", name, message)])
    codes, labels = _codes(goal, unit)  # a journey that did not convert has no period
    return codes[journeys.journey_of_touch], labels
