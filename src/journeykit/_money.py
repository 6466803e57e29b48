"""The range money may take, so that cents stay exact and totals stay finite.

A value is a float64 amount in currency units. Cents are computed as int64; to keep them exact
and their sums free of overflow, every reader and :class:`~journeykit.Journeys` itself enforce:

- each journey's (or row's) value is finite, ``>= 0`` and at most :data:`MAX_VALUE`
  (ten trillion: its cents, ``1e15``, are still exact in a float64);
- the values of all journeys add up to at most :data:`MAX_TOTAL_VALUE` (their cents fit an int64
  with room to spare, so no roll-up of cents can wrap around);
- a journey without conversions has no value (a value on a non-converting path would be
  counted by some models and dropped by others).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "MAX_TOTAL_VALUE",
    "MAX_VALUE",
    "STRAY_MESSAGE",
    "amount_text",
    "money_problems",
    "out_of_range",
    "range_message",
    "stray_value",
    "total_message",
]

MAX_VALUE = 1e13
"""The largest value one journey or one row may carry (cents exact in float64)."""

MAX_TOTAL_VALUE = 9e16
"""The largest total value of a set of journeys (total cents fit a signed 64-bit integer)."""


def out_of_range(values: NDArray[np.float64]) -> NDArray[np.intp]:
    """Positions of values that are not finite, negative or above :data:`MAX_VALUE`."""
    with np.errstate(invalid="ignore"):
        return np.flatnonzero(~(np.isfinite(values) & (values >= 0) & (values <= MAX_VALUE)))


def stray_value(conversions: NDArray[np.float64], values: NDArray[np.float64]) -> NDArray[np.intp]:
    """Positions that carry a value without any conversion."""
    return np.flatnonzero((conversions <= 0) & (values != 0))


def amount_text(total: float) -> str:
    """Whole units in the millions (5,512,300, not 5.5123e+06); six digits below."""
    return f"{total:,.0f}" if abs(total) >= 1e6 else f"{total:,.6g}"


def range_message(value: float) -> str:
    """The message for a value outside the money range (to follow a field name)."""
    return f"must be finite and >= 0, at most {MAX_VALUE:.0e} (got {value!r})"


STRAY_MESSAGE = "has a value on a path without conversions (make it 0 or count the conversions)"


def total_message(total: float) -> str:
    """The message for values whose total leaves the money range."""
    return f"must add up to at most {MAX_TOTAL_VALUE:.0e} in all (they add up to {total!r})"


def money_problems(
    conversions: NDArray[np.float64],
    values: NDArray[np.float64],
    name: Callable[[int], str] = lambda i: f"entry {i}",
) -> Iterator[tuple[str, str]]:
    """``(field, message)`` for the first value out of range, stray, or a total too large."""
    bad = out_of_range(values)
    if bad.size:
        first = int(bad[0])
        yield "value", f"{range_message(float(values[first]))} at {name(first)}"
        return
    stray = stray_value(conversions, values)
    if stray.size:
        yield "value", f"{STRAY_MESSAGE} at {name(int(stray[0]))}"
    total = float(values.sum())
    if total > MAX_TOTAL_VALUE:
        yield "value", total_message(total)
