"""Turn unsorted per-row touch arrays into :class:`~journeykit.Journeys` (events and records)."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from journeykit._choices import choose
from journeykit._rows import ParseError, enum_parser
from journeykit.errors import Problem, SchemaError, ValidationError
from journeykit.journeys import NAT, Column, Journeys
from journeykit.milestones import Milestone

AfterConversion = Literal["split", "error"]


def build_journeys(
    *,
    journey: Column,
    time: NDArray[np.int64],
    columns: Mapping[str, Column],
    converted: NDArray[np.bool_],
    value: NDArray[np.float64] | None,
    milestones: NDArray[np.uint8] | None = None,
    cost: NDArray[np.float64] | None = None,
    after_conversion: AfterConversion = "split",
) -> Journeys:
    """Sort rows by (journey, time), split each journey after every conversion, and build.

    Rows with equal journey and time keep their input order (the sort is stable). A journey
    converts at its converted rows: each converted row ends one journey (conversions 1, value of
    that row, goal time of that row) and the touches after it start the next journey with the same
    ID; the touches after the last conversion form a non-converting journey. With
    ``after_conversion="error"`` a converted row that is not the last of its journey is an error.
    ``value`` ``None`` means every conversion is worth 1.
    """
    choose(after_conversion, AfterConversion, "after_conversion")
    order = _row_order(journey.codes, time)
    jcodes = journey.codes[order]
    times = time[order]
    flags = converted[order]
    n_rows = order.size
    new_id = np.ones(n_rows, dtype=np.bool_)
    new_id[1:] = jcodes[1:] != jcodes[:-1]
    if after_conversion == "error":
        last_of_id = np.ones(n_rows, dtype=np.bool_)
        last_of_id[:-1] = new_id[1:]
        early = flags & ~last_of_id
        if np.any(early):
            rows = order[np.flatnonzero(early)]
            problems = [
                Problem(
                    f"row {int(r)}",
                    "converted",
                    f"journey {journey.labels[jcodes[i]]!r} has touches after this conversion",
                )
                for r, i in zip(
                    rows[:20].tolist(), np.flatnonzero(early)[:20].tolist(), strict=True
                )
            ]
            raise ValidationError(problems)
    starts = new_id.copy()
    starts[1:] |= flags[:-1]
    start_rows = np.flatnonzero(starts)
    offsets = np.append(start_rows, n_rows).astype(np.int64)
    last_rows = offsets[1:] - 1
    conversions = flags[last_rows].astype(np.float64) if n_rows else np.zeros(0)
    if value is None:
        values = conversions.copy()
    else:
        values = np.where(conversions > 0, value[order][last_rows], 0.0) if n_rows else np.zeros(0)
    goal = np.where(conversions > 0, times[last_rows], NAT) if n_rows else np.zeros(0, np.int64)
    marks = (
        np.zeros(n_rows, dtype=np.uint8)
        if milestones is None
        else milestones[order].astype(np.uint8)
    )
    marks[start_rows] |= Milestone.FIRST_TOUCH.bit
    marks[last_rows[conversions > 0]] |= Milestone.CLOSED_WON.bit
    return Journeys(
        offsets=offsets,
        time=times,
        columns={name: column.take(order) for name, column in columns.items()},
        journey=Column(jcodes[start_rows], journey.labels),
        conversions=conversions,
        nulls=1.0 - conversions,
        value=values,
        goal_time=goal,
        milestones=marks,
        cost=None if cost is None else cost[order],
    )


def _row_order(jcodes: NDArray[Any], time: NDArray[np.int64]) -> NDArray[np.intp]:
    """A stable order by (journey, time), with O(n) shortcuts for the usual export orders.

    Event logs usually come sorted by journey and time (then nothing moves) or appended in time
    order (then one stable sort by journey suffices); anything else takes a full two-key sort.
    """
    n_rows = jcodes.size
    if n_rows < 2:
        return np.arange(n_rows)
    step = np.diff(jcodes.astype(np.int64))
    time_ordered = np.diff(time) >= 0
    if np.all((step > 0) | ((step == 0) & time_ordered)):
        return np.arange(n_rows)
    if np.all(time_ordered):
        return np.argsort(jcodes, kind="stable")
    return np.lexsort((time, jcodes))


def journeys_from_paths(
    *,
    lengths: NDArray[np.int64],
    channel: Column,
    conversions: NDArray[np.float64],
    nulls: NDArray[np.float64],
    value: NDArray[np.float64],
    ids: Column,
) -> Journeys:
    """Build journeys from aggregated paths (no times): first and conversion touches flagged."""
    offsets = np.zeros(lengths.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    n_touches = int(offsets[-1])
    marks = np.zeros(n_touches, dtype=np.uint8)
    nonempty = lengths > 0
    marks[offsets[:-1][nonempty]] |= Milestone.FIRST_TOUCH.bit
    marks[offsets[1:][nonempty & (conversions > 0)] - 1] |= Milestone.CLOSED_WON.bit
    return Journeys(
        offsets=offsets,
        # Paths have no times: one read-only NaT broadcast, not eight bytes per touch.
        time=np.broadcast_to(np.int64(NAT), (n_touches,)),
        columns={"channel": channel},
        journey=ids,
        conversions=conversions,
        nulls=nulls,
        value=value,
        goal_time=np.full(lengths.size, NAT, dtype=np.int64),
        milestones=marks,
    )


def labels_of(values: Any) -> tuple[str, ...]:
    """Labels as strings (IDs typed as numbers by an export become their text).

    Whole-number floats lose their ``.0`` (an ID column with a gap becomes float in pandas).
    """
    array = np.asarray(values) if not isinstance(values, np.ndarray) else values
    if array.dtype.kind in "iu":
        return tuple(array.astype(str).tolist())
    if array.dtype.kind == "U":
        return tuple(array.tolist())
    return tuple(v if isinstance(v, str) else _text(v) for v in values)


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_SHOWN = 20


def fail_rows(rows: NDArray[np.intp] | Sequence[int], column: str, message: str) -> SchemaError:
    """An error naming the first rows that fail (all of them are counted)."""
    listed = [int(r) for r in list(rows)[:_SHOWN]]
    problems = [Problem(f"row {r}", column, message) for r in listed]
    if len(rows) > _SHOWN:
        problems.append(Problem(f"{len(rows) - _SHOWN} more rows", column, message))
    return SchemaError(problems)


def enum_column(column: Column, kind: type[enum.Enum], name: str) -> Column:
    """A column of enum labels (any case) recoded so that code i is member i of ``kind``.

    A label that is no member fails naming the rows of column ``name`` that hold it.
    """
    parse = enum_parser(kind)
    members = list(kind)
    mapping: list[int] = []
    for label in column.labels:
        try:
            mapping.append(members.index(parse(label, None)))
        except ParseError as exc:
            rows = np.flatnonzero(column.codes == column.labels.index(label))
            raise fail_rows(rows, name, str(exc)) from None
    lookup = np.array([*mapping, -1], dtype=np.int8)
    return Column(lookup[column.codes], [m.value for m in members])
