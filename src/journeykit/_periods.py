"""Calendar periods as categorical columns: the time dimensions of ``Attribution.by("month")``.

A touch's period is that of its time (``week``, ``month``, ``quarter``, ``year``); its conversion
period (``conversion_week`` ...) is that of its journey's goal time. Periods are calendar periods
of UTC, or of a timezone asked for (weeks are ISO weeks, from Monday); labels sort in time order
(``2024-W09``, ``2024-03``, ``2024-Q1``, ``2024``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Final

import numpy as np
from numpy.typing import NDArray

from journeykit._rows import resolve_tz
from journeykit.errors import Problem, SchemaError

if TYPE_CHECKING:
    from journeykit.journeys import Journeys

__all__ = ["CONVERSION_PREFIX", "PERIODS", "is_period", "period_codes"]

PERIODS: Final = ("week", "month", "quarter", "year")
CONVERSION_PREFIX: Final = "conversion_"
_NAT: Final = np.iinfo(np.int64).min  # journeykit.journeys.NAT (which imports this module)
_EPOCH_DAY: Final = date(1970, 1, 1)
_MICROS_PER_DAY: Final = 86_400_000_000
_MICROS_PER_SLOT: Final = 900_000_000  # a quarter hour


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


def _distinct(values: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.intp]]:
    """The sorted distinct values and, per value, its index among them.

    Values within a few times their count of each other (days or quarter hours of a few
    years) take a table lookup, O(n); values far apart take numpy's sort.
    """
    first = int(values.min())
    shifted = values - first
    span = int(shifted.max()) + 1
    if span > 4 * values.size + 4096:
        distinct, inverse = np.unique(values, return_inverse=True)
        return distinct, inverse.reshape(-1)
    present = np.bincount(shifted, minlength=span) > 0
    index = np.cumsum(present) - 1
    return np.flatnonzero(present) + first, index[shifted]


def _wall_clock(micros: NDArray[np.int64], tz: tzinfo) -> NDArray[np.int64]:
    """The times as wall-clock microseconds in ``tz``: one UTC offset per quarter hour.

    Offsets change only on a quarter hour of UTC (daylight saving, in every zone), so each
    distinct quarter hour is looked up once, in Python; the shift itself is numpy.
    """
    slots, inverse = _distinct(micros // _MICROS_PER_SLOT)
    offsets = np.array(
        [_offset(slot * _MICROS_PER_SLOT, tz) for slot in slots.tolist()], dtype=np.int64
    )
    return micros + offsets[inverse]


def _offset(micros: int, tz: tzinfo) -> int:
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)
    offset = moment.astimezone(tz).utcoffset() or timedelta(0)
    return offset // timedelta(microseconds=1)


def _codes(
    micros: NDArray[np.int64], unit: str, tz: tzinfo | None
) -> tuple[NDArray[np.int32], list[str]]:
    """Codes (``-1`` for unknown times) into the sorted labels of the times' periods."""
    known = micros != _NAT
    codes = np.full(micros.size, -1, dtype=np.int32)  # a period per day for 5 million years
    if not np.any(known):
        return codes, []
    local = micros[known] if tz is None else _wall_clock(micros[known], tz)
    # The periods of the distinct days only, then one lookup (floor: 1969 stays in 1969).
    days, of_touch = _distinct(local // _MICROS_PER_DAY)
    numbers, of_day = np.unique(_period_numbers(days, unit), return_inverse=True)
    codes[known] = of_day.reshape(-1)[of_touch]
    return codes, [_label(n, unit) for n in numbers.tolist()]


def period_codes(
    journeys: Journeys, name: str, tz: tzinfo | str | None = None
) -> tuple[NDArray[np.int32], list[str]]:
    """Per touch, a code into the labels of the period ``name`` (see the module docstring).

    ``tz`` is the timezone whose calendar the periods follow (an IANA name or a tzinfo; UTC
    when ``None``): a deal won at 20:00 in New York on 31 January is January's there, though
    February's in UTC.

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
    >>> period_codes(journeys, "month", "America/New_York")[1]  # 1 January, 00:00 UTC
    ['2023-12', '2024-03']
    """
    zone = resolve_tz(tz)
    unit = name.removeprefix(CONVERSION_PREFIX)
    if unit == name:
        if not journeys.has_times:
            message = "needs touch times; these journeys have none (a path table?)"
            raise SchemaError([Problem("Journeys", name, message)])
        return _codes(journeys.time, unit, zone)
    goal = journeys.goal_time
    if goal is None:
        goal = np.full(journeys.n_journeys, _NAT, dtype=np.int64)
    unknown = journeys.converting & (goal == _NAT)
    if np.any(unknown):
        journey = journeys.journey.labels[journeys.journey.codes[np.flatnonzero(unknown)[0]]]
        message = f"needs conversion times; journey {journey!r} converts at an unknown time"
        raise SchemaError([Problem("Journeys", name, message)])
    codes, labels = _codes(goal, unit, zone)  # a journey that did not convert has no period
    return codes[journeys.journey_of_touch], labels
