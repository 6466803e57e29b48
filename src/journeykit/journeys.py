"""Journeys: the one columnar, immutable table every model and analytic runs on.

Touches are stored sorted by (journey, time) in CSR form: the touches of journey ``j`` are rows
``offsets[j]:offsets[j + 1]``. Categorical touch columns are integer codes into a tuple of labels
(``-1`` for a missing value), times are int64 microseconds since the Unix epoch in UTC
(:data:`NAT` where unknown, as in path tables). Per journey there are conversions (a float
weight), non-conversions sharing the same path (``nulls``), the value, the goal time and an ID.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypeVar, cast

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from journeykit._money import amount_text, money_problems
from journeykit._periods import PERIODS, is_period, period_codes
from journeykit.errors import (
    OutOfRangeError,
    ParameterError,
    ParameterTypeError,
    Problem,
    SchemaError,
    ValidationError,
)
from journeykit.milestones import Milestone

__all__ = ["NAT", "Column", "JourneyView", "Journeys", "RowNumbers", "concat"]

_T = TypeVar("_T")
_A = TypeVar("_A", bound=np.generic)

NAT: Final = np.iinfo(np.int64).min
"""The int64 time of an unknown instant (numpy's NaT)."""

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_TOUCH_CATEGORIES: Final = ("team", "reach", "asset", "campaign", "persona", "buyer", "account")


def smallest_code_dtype(n_labels: int) -> np.dtype[Any]:
    """The narrowest signed integer type that holds codes ``-1 .. n_labels - 1``."""
    for dtype in (np.int8, np.int16, np.int32):
        if n_labels <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.int64)


def readonly(array: ArrayLike, dtype: Any = None) -> NDArray[Any]:
    """A read-only view (a copy only when the dtype changes)."""
    out = np.asarray(array, dtype=dtype)
    if out.flags.writeable:
        out = out.view()
        out.flags.writeable = False
    return out


def to_micros(moment: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime."""
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime | None:
    """The aware UTC datetime of an int64 time, or ``None`` for :data:`NAT`."""
    return None if micros == NAT else _EPOCH + timedelta(microseconds=int(micros))


class RowNumbers(Sequence[str]):
    """The labels ``"0"``, ``"1"``, ... ``str(n - 1)``, made when asked for, not stored.

    A path table numbers its journeys by row: a million IDs would cost a million strings
    (a tenth of the command's run) that most runs never look at.

    Examples
    --------
    >>> from journeykit.journeys import RowNumbers
    >>> ids = RowNumbers(3)
    >>> len(ids), ids[-1], list(ids), ids.index("1"), "3" in ids
    (3, '2', ['0', '1', '2'], 1, False)
    >>> ids == ("0", "1", "2")
    True
    """

    __slots__ = ("_n",)

    def __init__(self, n: int) -> None:
        self._n = n

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return tuple(map(str, range(self._n)[index]))
        return str(range(self._n)[index])

    def __iter__(self) -> Iterator[str]:
        return map(str, range(self._n))

    def __contains__(self, label: object) -> bool:
        return self._position(label) is not None

    def index(self, label: Any, start: int = 0, stop: int | None = None) -> int:
        """The position of ``label`` (a ValueError when absent, as for a tuple)."""
        position = self._position(label)
        window = range(self._n)[start:stop]  # negative bounds count from the end, as for a tuple
        if position is None or position not in window:
            msg = f"{label!r} is not in the row numbers"
            raise ParameterError(msg)  # a ValueError, as tuple.index raises
        return position

    def _position(self, label: object) -> int | None:
        # Only the canonical spelling is a row number: "07" and "+7" are not "7".
        if not isinstance(label, str) or not label.isascii() or not label.isdecimal():
            return None
        if len(label) > len(str(self._n)):
            return None  # (and int() is never asked for a number of thousands of digits)
        number = int(label)
        return number if str(number) == label and number < self._n else None

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RowNumbers):
            return self._n == other._n
        if isinstance(other, tuple):  # what the labels of any other column are
            return len(other) == self._n and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    def __add__(self, other: tuple[str, ...]) -> tuple[str, ...]:
        return (*self, *other)

    def __radd__(self, other: tuple[str, ...]) -> tuple[str, ...]:
        return (*other, *self)

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"RowNumbers({self._n})"


def _labels(values: Iterable[str]) -> Sequence[str]:
    return values if isinstance(values, RowNumbers) else tuple(values)


def _int64(values: ArrayLike) -> NDArray[np.int64]:
    return readonly(values, np.int64)


def _float64(values: ArrayLike) -> NDArray[np.float64]:
    return readonly(values, np.float64)


def _optional_int64(values: ArrayLike | None) -> NDArray[np.int64] | None:
    return None if values is None else readonly(values, np.int64)


def _optional_uint8(values: ArrayLike | None) -> NDArray[np.uint8] | None:
    return None if values is None else readonly(values, np.uint8)


def _optional_float64(values: ArrayLike | None) -> NDArray[np.float64] | None:
    return None if values is None else readonly(values, np.float64)


def _column_map(columns: Mapping[str, Column]) -> dict[str, Column]:
    return dict(columns)


@attrs.frozen(eq=False)
class Column:
    """A categorical column: integer ``codes`` into ``labels``; code ``-1`` is a missing value.

    Examples
    --------
    >>> c = Column.from_values(["email", "ad", None, "email"])
    >>> c.labels, c.codes.tolist()
    (('ad', 'email'), [1, 0, -1, 1])
    >>> c.values()
    ['email', 'ad', None, 'email']
    """

    codes: NDArray[np.signedinteger[Any]] = attrs.field(converter=readonly)
    labels: Sequence[str] = attrs.field(converter=_labels)  # a tuple, or RowNumbers

    def __attrs_post_init__(self) -> None:
        if self.codes.ndim != 1 or self.codes.dtype.kind != "i":
            msg = f"codes must be a 1-d integer array (got {self.codes.dtype}, {self.codes.ndim}-d)"
            raise ParameterTypeError(msg)
        if self.codes.size and (self.codes.min() < -1 or self.codes.max() >= len(self.labels)):
            msg = f"codes must lie in -1 .. {len(self.labels) - 1}"
            raise ParameterError(msg)

    @classmethod
    def from_values(cls, values: Sequence[str | None]) -> Column:
        """Code a sequence of labels (``None`` is missing); labels come out sorted."""
        labels = sorted({v for v in values if v is not None})
        index = {label: i for i, label in enumerate(labels)}
        dtype = smallest_code_dtype(len(labels))
        return cls(np.array([-1 if v is None else index[v] for v in values], dtype=dtype), labels)

    def take(self, index: NDArray[np.intp] | NDArray[np.bool_] | slice) -> Column:
        """The rows at ``index`` (same labels)."""
        return Column(self.codes[index], self.labels)

    def values(self) -> list[str | None]:
        """The labels row by row (``None`` for missing): for debugging, not for hot paths."""
        return [None if c < 0 else self.labels[c] for c in self.codes.tolist()]

    def codes_of(self, wanted: str | Collection[str]) -> NDArray[np.intp]:
        """The codes of the given labels; labels the column does not have are skipped."""
        names = [wanted] if isinstance(wanted, str) else list(wanted)
        index = {label: i for i, label in enumerate(self.labels)}
        return np.array([index[n] for n in names if n in index], dtype=np.intp)

    @property
    def nbytes(self) -> int:
        """Bytes held by the codes."""
        return int(self.codes.nbytes)


@attrs.frozen
class JourneyView:
    """One journey as plain Python values, for debugging and doctests (never on a hot path)."""

    id: str
    channels: tuple[str, ...]
    times: tuple[datetime | None, ...]
    conversions: float
    nulls: float
    value: float
    goal_time: datetime | None
    touches: tuple[dict[str, Any], ...] = attrs.field(repr=False)


@attrs.frozen(eq=False, repr=False)
class Journeys:
    """The immutable columnar table of journeys (see the module docstring for the layout).

    Build it with :func:`journeykit.from_events`, :func:`journeykit.read_paths` or
    :func:`journeykit.assemble`; the constructor validates shapes and values.

    Parameters
    ----------
    offsets : array of int64, shape (n_journeys + 1,)
        CSR offsets: non-decreasing, starting at 0 and ending at the number of touches.
    time : array of int64, shape (n_touches,)
        Microseconds since the epoch (UTC), :data:`NAT` where unknown; non-decreasing within
        each journey where known.
    columns : mapping of str to Column
        Categorical touch columns; ``"channel"`` is required, ``team``, ``reach``, ``asset``,
        ``campaign``, ``persona``, ``buyer``, ``account`` and any others are optional.
    journey : Column
        Per journey, its ID (several journeys may share one, e.g. the segments of an event stream
        split at its conversions).
    conversions, nulls, value : array of float64, shape (n_journeys,)
        Conversions (a weight), non-conversions sharing the path, and the converted value.
    goal_time : array of int64, shape (n_journeys,), optional
        When the journey converted (:data:`NAT` when unknown or not converted).
    milestones : array of uint8, shape (n_touches,), optional
        Bit flags of :class:`~journeykit.Milestone` per touch (``Milestone.bit``).
    cost : array of float64, shape (n_touches,), optional
        Cost per touch.
    end_time : array of int64, shape (n_journeys,), optional
        When each journey stopped being observed: its goal, its end (a lost deal's close), or
        ``as_of`` (:data:`NAT` when unknown). Time-to-event models censor a journey there.
    lead_time, opportunity_time : array of int64, shape (n_journeys,), optional
        When the journey's first lead was created and its opportunity opened (:data:`NAT` when
        not, or unknown): the exact instants behind the milestone flags.
    as_of : int, optional
        When the data was observed until (int64 microseconds, UTC): a journey that has not
        converted was watched until then (time-to-event models censor it there). ``None``: the
        data's end, its latest touch or goal time.
    currency : str, optional
        The ISO 4217 code every ``value`` is in (``assemble`` sets it from the deals, converted
        to one reporting currency when they differ); ``None`` when unknown.
    """

    offsets: NDArray[np.int64] = attrs.field(converter=_int64)
    time: NDArray[np.int64] = attrs.field(converter=_int64)
    columns: Mapping[str, Column] = attrs.field(converter=_column_map)
    journey: Column
    conversions: NDArray[np.float64] = attrs.field(converter=_float64)
    nulls: NDArray[np.float64] = attrs.field(converter=_float64)
    value: NDArray[np.float64] = attrs.field(converter=_float64)
    goal_time: NDArray[np.int64] | None = attrs.field(default=None, converter=_optional_int64)
    milestones: NDArray[np.uint8] | None = attrs.field(default=None, converter=_optional_uint8)
    cost: NDArray[np.float64] | None = attrs.field(default=None, converter=_optional_float64)
    end_time: NDArray[np.int64] | None = attrs.field(default=None, converter=_optional_int64)
    lead_time: NDArray[np.int64] | None = attrs.field(default=None, converter=_optional_int64)
    opportunity_time: NDArray[np.int64] | None = attrs.field(
        default=None, converter=_optional_int64
    )
    as_of: int | None = attrs.field(default=None, converter=attrs.converters.optional(int))
    currency: str | None = None
    _cache: dict[str, Any] = attrs.field(init=False, factory=dict)

    def __attrs_post_init__(self) -> None:
        offsets = self.offsets
        if offsets.ndim != 1 or offsets.size < 1 or offsets[0] != 0:
            raise ValidationError(
                [Problem("Journeys", "offsets", "must be a 1-d array starting at 0")]
            )
        problems = [
            Problem("Journeys", field, message) for field, message in self._shape_problems()
        ]
        if problems:
            raise ValidationError(problems)
        # One boolean pass (no int64 temporaries): candidates are rare, then checked in detail.
        time = self.time
        candidates = np.flatnonzero(time[1:] < time[:-1]) + 1
        if candidates.size:
            known = (time[candidates] != NAT) & (time[candidates - 1] != NAT)
            starts = np.isin(candidates, offsets)  # the first touch of a journey may go back
            backwards = candidates[known & ~starts]
            if backwards.size:
                touch = int(backwards[0])
                message = (
                    f"must be in time order within a journey (touch {touch} goes back in time)"
                )
                raise ValidationError([Problem("Journeys", "time", message)])

    def _shape_problems(self) -> Iterator[tuple[str, str]]:
        n_journeys = self.offsets.size - 1
        n_touches = int(self.offsets[-1])
        if np.any(np.diff(self.offsets) < 0):
            yield "offsets", "must be non-decreasing"
        if "channel" not in self.columns:
            yield "columns", "must include 'channel'"
        for name, column in self.columns.items():
            if not isinstance(column, Column) or column.codes.shape != (n_touches,):
                yield (
                    f"columns[{name!r}]",
                    f"must be a Column with one code per touch ({n_touches})",
                )
        if self.journey.codes.shape != (n_journeys,):
            yield "journey", f"must have one code per journey ({n_journeys})"
        sized: list[tuple[str, NDArray[Any] | None, int, str]] = [
            ("time", self.time, n_touches, "touch"),
            ("conversions", self.conversions, n_journeys, "journey"),
            ("nulls", self.nulls, n_journeys, "journey"),
            ("value", self.value, n_journeys, "journey"),
            ("goal_time", self.goal_time, n_journeys, "journey"),
            ("end_time", self.end_time, n_journeys, "journey"),
            ("lead_time", self.lead_time, n_journeys, "journey"),
            ("opportunity_time", self.opportunity_time, n_journeys, "journey"),
            ("milestones", self.milestones, n_touches, "touch"),
            ("cost", self.cost, n_touches, "touch"),
        ]
        for name, array, size, unit in sized:
            if array is not None and array.shape != (size,):
                yield name, f"must have one entry per {unit} ({size}), got shape {array.shape}"
            elif array is not None and array.dtype.kind == "f" and not _finite_non_negative(array):
                bad = int(np.flatnonzero(~np.isfinite(array) | (array < 0))[0])
                yield name, f"must be finite and >= 0 (entry {bad} is {array[bad]})"
        if self.value.shape == self.conversions.shape == (n_journeys,) and _finite_non_negative(
            self.value
        ):
            yield from money_problems(self.conversions, self.value, self._journey_name)

    def _journey_name(self, index: int) -> str:
        return f"journey {self.journey.labels[self.journey.codes[index]]!r}"

    # -- shape -----------------------------------------------------------------------------------
    @property
    def n_journeys(self) -> int:
        """Number of journeys."""
        return int(self.offsets.size - 1)

    @property
    def n_touches(self) -> int:
        """Number of touches."""
        return int(self.offsets[-1])

    def __len__(self) -> int:
        return self.n_journeys

    @property
    def lengths(self) -> NDArray[np.int64]:
        """Touches per journey."""
        return self._cached("lengths", lambda: readonly(np.diff(self.offsets)))

    @property
    def journey_of_touch(self) -> NDArray[np.int64]:
        """For each touch, the index of its journey."""
        return self._cached(
            "journey_of_touch",
            lambda: readonly(np.repeat(np.arange(self.n_journeys, dtype=np.int64), self.lengths)),
        )

    @property
    def position(self) -> NDArray[np.int64]:
        """For each touch, its 0-based position within its journey."""
        return self._cached(
            "position",
            lambda: readonly(
                np.arange(self.n_touches, dtype=np.int64) - self.offsets[:-1][self.journey_of_touch]
            ),
        )

    @property
    def channel(self) -> Column:
        """The channel column."""
        return self.columns["channel"]

    @property
    def converting(self) -> NDArray[np.bool_]:
        """Per journey, whether it has any conversions."""
        return self._cached("converting", lambda: readonly(self.conversions > 0))

    @property
    def has_times(self) -> bool:
        """Whether every touch has a known time."""
        return bool(np.all(self.time != NAT))

    @property
    def total_conversions(self) -> float:
        """Sum of conversions over all journeys."""
        return float(self.conversions.sum())

    @property
    def total_value(self) -> float:
        """Sum of value over all journeys."""
        return float(self.value.sum())

    @property
    def nbytes(self) -> int:
        """Bytes held by the table's arrays (touch and journey columns, not caches)."""
        arrays: list[NDArray[Any]] = [self.offsets, self.time, self.conversions, self.nulls]
        arrays.append(self.value)
        arrays += [a for a in (self.goal_time, self.milestones, self.cost) if a is not None]
        return (
            sum(int(a.nbytes) for a in arrays)
            + sum(c.nbytes for c in self.columns.values())
            + self.journey.nbytes
        )

    def column(self, name: str) -> Column:
        """A categorical touch column by name, with an error that lists the ones there are.

        Besides the stored columns: ``"journey"``, ``"position"`` and the calendar periods of
        each touch's time (``"week"``, ``"month"``, ``"quarter"``, ``"year"``) or of its
        journey's conversion (``"conversion_month"``, ...): UTC periods labelled ``2024-W09``,
        ``2024-03``, ``2024-Q1``, ``2024``. A journey that did not convert has no conversion
        period (``None``).
        """
        if name == "journey":
            return Column(self.journey.codes[self.journey_of_touch], self.journey.labels)
        if name == "position":
            longest = int(self.lengths.max()) if self.n_journeys else 0
            codes = self.position.astype(smallest_code_dtype(longest))
            return Column(codes, [str(i) for i in range(longest)])
        if name not in self.columns and is_period(name):
            return self._cached(f"period:{name}", lambda: Column(*period_codes(self, name)))
        try:
            return self.columns[name]
        except KeyError:
            available = ", ".join(["journey", "position", *PERIODS, *self.columns])
            message = f"is not a column of these journeys (available: {available})"
            raise SchemaError([Problem("Journeys", name, message)]) from None

    def _cached(self, key: str, build: Callable[[], _T]) -> _T:
        if key not in self._cache:
            self._cache[key] = build()
        return cast("_T", self._cache[key])

    # -- views -----------------------------------------------------------------------------------
    def __getitem__(self, index: int) -> JourneyView:
        if not -self.n_journeys <= index < self.n_journeys:
            msg = f"journey index {index} out of range for {self.n_journeys} journeys"
            raise OutOfRangeError(msg)
        j = index % self.n_journeys
        lo, hi = int(self.offsets[j]), int(self.offsets[j + 1])
        names = list(self.columns)
        rows = []
        for t in range(lo, hi):
            row: dict[str, Any] = {"time": from_micros(int(self.time[t]))}
            for name in names:
                code = int(self.columns[name].codes[t])
                row[name] = None if code < 0 else self.columns[name].labels[code]
            if self.milestones is not None:
                row["milestones"] = tuple(m.value for m in Milestone if self.milestones[t] & m.bit)
            if self.cost is not None:
                row["cost"] = float(self.cost[t])
            rows.append(row)
        code = int(self.journey.codes[j])
        return JourneyView(
            id=self.journey.labels[code] if code >= 0 else "",
            channels=tuple(r["channel"] for r in rows),
            times=tuple(r["time"] for r in rows),
            conversions=float(self.conversions[j]),
            nulls=float(self.nulls[j]),
            value=float(self.value[j]),
            goal_time=None if self.goal_time is None else from_micros(int(self.goal_time[j])),
            touches=tuple(rows),
        )

    def __iter__(self) -> Iterator[JourneyView]:
        return (self[j] for j in range(self.n_journeys))

    def __repr__(self) -> str:
        extra = [n for n in self.columns if n != "channel"]
        return (
            f"Journeys(n_journeys={self.n_journeys}, n_touches={self.n_touches}, "
            f"conversions={self.total_conversions:g}, value={amount_text(self.total_value)}, "
            f"channels={len(self.channel.labels)}, columns={extra})"
        )

    # -- derived tables ---------------------------------------------------------------------------
    def select(self, index: ArrayLike) -> Journeys:
        """The journeys at ``index`` (integer positions, in that order, or a boolean mask).

        A run of consecutive journeys (``select(range(a, b))``) shares this table's arrays
        rather than copying them, so while it lives it keeps the whole table in memory.

        Examples
        --------
        >>> import journeykit as jk
        >>> paths = jk.read_paths([{"path": "a > b", "total_conversions": 1, "total_null": 0},
        ...                        {"path": "c", "total_conversions": 0, "total_null": 2}])
        >>> paths.select([1]).n_touches, paths.select([True, False])[0].channels
        (1, ('a', 'b'))
        """
        chosen = np.asarray(index)
        if chosen.dtype == np.bool_:
            if chosen.shape != (self.n_journeys,):
                msg = f"a boolean mask needs one entry per journey ({self.n_journeys})"
                raise ParameterError(msg)
            chosen = np.flatnonzero(chosen)
        chosen = chosen.astype(np.int64, copy=False)
        if chosen.size and (chosen.min() < 0 or chosen.max() >= self.n_journeys):
            msg = f"journey index out of range for {self.n_journeys} journeys"
            raise OutOfRangeError(msg)
        consecutive = chosen.size > 1 and chosen[-1] - chosen[0] == chosen.size - 1
        if consecutive and np.all(np.diff(chosen) == 1):  # a run of journeys: views, no copies
            first, end = int(chosen[0]), int(chosen[-1]) + 1
            run = slice(int(self.offsets[first]), int(self.offsets[end]))
            offsets = self.offsets[first : end + 1] - self.offsets[first]
            return self._derive(offsets, run, slice(first, end))
        lengths = self.lengths[chosen]
        offsets = np.zeros(chosen.size + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        touches = np.repeat(self.offsets[:-1][chosen] - offsets[:-1], lengths) + np.arange(
            offsets[-1]
        )
        return self._derive(offsets, touches, chosen)

    def filter(
        self, mask: ArrayLike | None = None, **conditions: str | Collection[str]
    ) -> Journeys:
        """Keep the touches that satisfy every condition; journeys themselves are all kept.

        A journey can end up with no touches: it keeps its conversions and value, and attribution
        reports them as unattributed rather than dropping them.

        Parameters
        ----------
        mask : array of bool, shape (n_touches,), optional
            Touches to keep.
        **conditions : str or collection of str
            Column name to the label (or labels) to keep, e.g. ``team="sales"`` or
            ``channel=["email", "webinar"]``.

        Examples
        --------
        >>> import journeykit as jk
        >>> paths = jk.read_paths([{"path": "ad > email > ad", "total_conversions": 1}])
        >>> paths.filter(channel="ad")[0].channels
        ('ad', 'ad')
        """
        keep = np.ones(self.n_touches, dtype=np.bool_)
        if mask is not None:
            given = np.asarray(mask, dtype=np.bool_)
            if given.shape != (self.n_touches,):
                msg = f"mask needs one entry per touch ({self.n_touches}), got shape {given.shape}"
                raise ParameterError(msg)
            keep &= given
        for name, wanted in conditions.items():
            column = self.column(name)
            keep &= np.isin(column.codes, column.codes_of(wanted))
        return self._keep_touches(keep)

    def lookback(self, duration: timedelta | None = None, *, steps: int | None = None) -> Journeys:
        """Keep only the touches inside a window before each journey's goal.

        Parameters
        ----------
        duration : timedelta, optional
            Keep touches at most this long before the goal time (the last touch's time for
            journeys without one). The window is closed: a touch exactly ``duration`` before
            the goal stays.
        steps : int, optional
            Keep at most this many last touches per journey.

        Examples
        --------
        >>> import journeykit as jk
        >>> paths = jk.read_paths([{"path": "a > b > c", "total_conversions": 1}])
        >>> paths.lookback(steps=2)[0].channels
        ('b', 'c')
        """
        keep = np.ones(self.n_touches, dtype=np.bool_)
        if steps is not None:
            if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
                msg = f"steps must be a whole number >= 1 (got {steps!r})"
                raise ParameterError(msg)
            keep &= self.position >= (self.lengths - steps)[self.journey_of_touch]
        if duration is not None:
            if not isinstance(duration, timedelta) or duration < timedelta(0):
                msg = f"duration must be a non-negative timedelta (got {duration!r})"
                raise ParameterError(msg)
            if not self.has_times:
                msg = "a lookback duration needs touch times; these journeys have none (paths?)"
                raise ParameterError(msg)
            reference = self._reference_times()
            window = duration // timedelta(microseconds=1)
            keep &= reference[self.journey_of_touch] - self.time <= window
        return self._keep_touches(keep)

    def _reference_times(self) -> NDArray[np.int64]:
        """Per journey, its goal time, or its last touch's time when it has none."""
        last = np.full(self.n_journeys, NAT, dtype=np.int64)
        nonempty = self.lengths > 0
        last[nonempty] = self.time[self.offsets[1:][nonempty] - 1]
        if self.goal_time is None:
            return last
        return np.where(self.goal_time != NAT, self.goal_time, last)

    def _keep_touches(self, keep: NDArray[np.bool_]) -> Journeys:
        kept = np.bincount(self.journey_of_touch[keep], minlength=self.n_journeys)
        offsets = np.zeros(self.n_journeys + 1, dtype=np.int64)
        np.cumsum(kept, out=offsets[1:])
        return self._derive(offsets, np.flatnonzero(keep), None)

    def _derive(
        self,
        offsets: NDArray[np.int64],
        touches: NDArray[Any] | slice,
        journeys: NDArray[np.int64] | slice | None,
    ) -> Journeys:
        def per_journey(array: NDArray[_A]) -> NDArray[_A]:
            return array if journeys is None else array[journeys]

        goal_time = None if self.goal_time is None else per_journey(self.goal_time)
        return Journeys(
            offsets=offsets,
            time=self.time[touches],
            columns={name: column.take(touches) for name, column in self.columns.items()},
            journey=self.journey if journeys is None else self.journey.take(journeys),
            conversions=per_journey(self.conversions),
            nulls=per_journey(self.nulls),
            value=per_journey(self.value),
            goal_time=goal_time,
            milestones=None if self.milestones is None else self.milestones[touches],
            cost=None if self.cost is None else self.cost[touches],
            end_time=None if self.end_time is None else per_journey(self.end_time),
            lead_time=None if self.lead_time is None else per_journey(self.lead_time),
            opportunity_time=(
                None if self.opportunity_time is None else per_journey(self.opportunity_time)
            ),
            as_of=self.as_of,
            currency=self.currency,
        )

    def with_values(
        self,
        *,
        conversions: ArrayLike | None = None,
        nulls: ArrayLike | None = None,
        value: ArrayLike | None = None,
    ) -> Journeys:
        """A copy with other per-journey conversions, nulls or values (touches shared)."""
        return attrs.evolve(
            self,
            conversions=self.conversions if conversions is None else conversions,
            nulls=self.nulls if nulls is None else nulls,
            value=self.value if value is None else value,
        )


def _finite_non_negative(array: NDArray[np.float64]) -> bool:
    return bool(np.all(np.isfinite(array)) and not np.any(array < 0))


def concat(parts: Sequence[Journeys]) -> Journeys:
    """Stack journeys tables (same columns) into one; labels are merged and codes recoded.

    Examples
    --------
    >>> import journeykit as jk
    >>> a = jk.read_paths([{"path": "x > y", "total_conversions": 1}])
    >>> b = jk.read_paths([{"path": "z", "total_conversions": 2}])
    >>> both = concat([a, b])
    >>> both.n_journeys, both.channel.labels, both[1].channels
    (2, ('x', 'y', 'z'), ('z',))
    """
    if not parts:
        msg = "concat() needs at least one Journeys"
        raise ParameterError(msg)
    names = list(parts[0].columns)
    for part in parts[1:]:
        if list(part.columns) != names:
            msg = f"concat() needs the same columns in every part ({names} vs {list(part.columns)})"
            raise ParameterError(msg)
    lengths = np.concatenate([p.lengths for p in parts])
    offsets = np.zeros(lengths.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])

    def optional(name: str, fill: Any, size: str) -> NDArray[Any] | None:
        arrays = [getattr(p, name) for p in parts]
        if all(a is None for a in arrays):
            return None
        sized = [
            a if a is not None else np.full(p.n_touches if size == "touch" else p.n_journeys, fill)
            for a, p in zip(arrays, parts, strict=True)
        ]
        return np.concatenate(sized)

    return Journeys(
        offsets=offsets,
        time=np.concatenate([p.time for p in parts]),
        columns={name: _concat_columns([p.columns[name] for p in parts]) for name in names},
        journey=_concat_columns([p.journey for p in parts]),
        conversions=np.concatenate([p.conversions for p in parts]),
        nulls=np.concatenate([p.nulls for p in parts]),
        value=np.concatenate([p.value for p in parts]),
        goal_time=optional("goal_time", NAT, "journey"),
        milestones=optional("milestones", 0, "touch"),
        cost=optional("cost", 0.0, "touch"),
        end_time=optional("end_time", NAT, "journey"),
        lead_time=optional("lead_time", NAT, "journey"),
        opportunity_time=optional("opportunity_time", NAT, "journey"),
        as_of=max((p.as_of for p in parts if p.as_of is not None), default=None),
        currency=_one_currency(parts),
    )


def _one_currency(parts: Sequence[Journeys]) -> str | None:
    """The parts' common currency; values in different currencies cannot be put together."""
    found = sorted({p.currency for p in parts if p.currency is not None})
    if len(found) > 1:
        problem = f"holds values in {', '.join(found)}: convert them to one currency first"
        raise ValidationError([Problem("Journeys", "currency", problem)])
    return found[0] if found else None


def _concat_columns(columns: Sequence[Column]) -> Column:
    labels = sorted({label for c in columns for label in c.labels})
    index = {label: i for i, label in enumerate(labels)}
    dtype = smallest_code_dtype(len(labels))
    recoded = []
    for column in columns:
        lookup = np.array([index[label] for label in column.labels] + [-1], dtype=dtype)
        recoded.append(lookup[column.codes])
    return Column(np.concatenate(recoded) if recoded else np.zeros(0, dtype), labels)
