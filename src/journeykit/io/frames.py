"""``from_events``: journeys from a long table of touch events (one row per touch)."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from journeykit._building import AfterConversion, build_journeys, enum_column, fail_rows
from journeykit._choices import choose
from journeykit._money import out_of_range, range_message
from journeykit._rows import ParseError, enum_parser
from journeykit.errors import ParameterError
from journeykit.io._source import Columns, load, resolve_columns
from journeykit.io._table import (
    Table,
    category,
    flags,
    numbers,
    open_table,
    require,
    times,
)
from journeykit.journeys import Column, Journeys, to_micros
from journeykit.milestones import Milestone
from journeykit.touchpoints import Reach, Team

__all__ = ["from_events"]


_CARRIED = ("team", "reach", "asset", "campaign", "persona", "buyer", "account")
_DEFAULTS: dict[str, str | None] = {
    "journey": "journey_id",
    "time": "timestamp",
    "channel": "channel",
    "converted": "converted",
    "value": "value",
    **dict.fromkeys((*_CARRIED, "cost", "milestone")),
}


def from_events(
    source: Any,
    /,
    *,
    journey: str = "journey_id",
    time: str = "timestamp",
    channel: str = "channel",
    converted: str = "converted",
    value: str | None = "value",
    team: str | None = None,
    reach: str | None = None,
    asset: str | None = None,
    campaign: str | None = None,
    persona: str | None = None,
    buyer: str | None = None,
    account: str | None = None,
    cost: str | None = None,
    milestone: str | None = None,
    columns: Columns | None = None,
    tz: tzinfo | str | None = None,
    after_conversion: AfterConversion = "split",
    as_of: datetime | None = None,
) -> Journeys:
    """Build journeys from touch events: one row per touch, in any order.

    Parameters
    ----------
    source : path, file, data frame, database result, Arrow stream, rows or columns
        The events: a ``.csv``, ``.parquet`` or JSON-lines file (by its suffix, in any case), an
        open CSV text file, any table narwhals reads (pandas, polars, pyarrow, Modin, cuDF, and
        lazily a DuckDB relation, an Ibis table, a polars LazyFrame or a PySpark DataFrame, of
        which only the columns named here are collected), an object with the Arrow stream
        interface (``__arrow_c_stream__``, e.g. a pyarrow ``RecordBatchReader``), a DB-API cursor
        after ``execute()`` (``sqlite3``, DuckDB), a list of dicts or a dict of columns (the
        tutorial "Reading from a database" shows each). Positional only.
    journey, time, channel, converted : str
        Column names. ``time`` holds timezone-aware datetimes or ISO-8601 strings with offsets
        (naive times need ``tz``); ``converted`` is true on the touch at which the journey
        converted (booleans, 1/0 or true/false text).
    value : str or None
        Column with the value of each conversion, read on converted rows only (it must be empty or
        0 on the others, so nothing is silently ignored). ``None``: every conversion is worth 1.
    team, reach, asset, campaign, persona, buyer, account : str, optional
        Optional categorical columns to carry into the journeys, so credit can be rolled up by
        them. ``team`` and ``reach`` take their enum values (``"marketing"``, ``"one_to_one"``,
        any case); with ``reach`` but no ``team`` the team defaults from the reach.
    cost : str, optional
        Cost per touch (finite, >= 0).
    milestone : str, optional
        Milestones reached at each touch (``"lead_created"``, ``"opportunity_created"``, several
        separated by ``;``), for the W-shaped and full-path models.
    columns : mapping of str to str, or sequence of str, optional
        Role -> source column name, the same as the role keywords above (``{"journey":
        "user_id", "time": "ts"}``), so one mapping can be passed on to every reader. A role that
        is not one of the keywords is a further categorical column to carry under that name
        (``{"segment": "Segment Name"}``); a sequence of names carries each under its own name.
    tz : tzinfo or str, optional
        Where naive times were recorded (e.g. ``"UTC"``, ``"Europe/Paris"``).
    after_conversion : {"split", "error"}
        What happens to touches after a conversion. ``"split"`` (default): every converted row
        ends one journey and the touches after it start a new journey with the same ID (the
        touches after the last conversion form a non-converting journey), so a journey ID with
        two conversions gives two converting journeys and nothing is dropped. ``"error"``: touches
        after a conversion are an error naming the rows.
    as_of : datetime, optional
        When the data was observed until (timezone-aware), kept as ``Journeys.as_of``; default
        the data's end.

    Returns
    -------
    Journeys
        Touches sorted by (journey, time); rows with equal journey and time keep their input order.
        Journeys are ordered by their ID.

    Raises
    ------
    SchemaError
        Naming the rows and columns at fault: missing columns, empty cells, unparseable times,
        naive times without ``tz``, mixed naive and aware times, negative or NaN values, value on
        rows that did not convert, unknown team or reach values.

    Examples
    --------
    >>> import journeykit as jk
    >>> events = [
    ...     {"journey_id": "u1", "timestamp": "2024-03-02T10:00:00+00:00", "channel": "email",
    ...      "converted": True, "value": 120.0},
    ...     {"journey_id": "u1", "timestamp": "2024-03-01T09:00:00+00:00", "channel": "ad",
    ...      "converted": False, "value": None},
    ...     {"journey_id": "u2", "timestamp": "2024-03-01T12:00:00+00:00", "channel": "ad",
    ...      "converted": False, "value": None},
    ... ]
    >>> journeys = jk.from_events(events)
    >>> journeys
    Journeys(n_journeys=2, n_touches=3, conversions=1, value=120, channels=2, columns=[])
    >>> journeys[0].channels, journeys[0].value, journeys[1].conversions
    (('ad', 'email'), 120.0, 0.0)
    """
    keywords = {
        "journey": journey,
        "time": time,
        "channel": channel,
        "converted": converted,
        "value": value,
        "team": team,
        "reach": reach,
        "asset": asset,
        "campaign": campaign,
        "persona": persona,
        "buyer": buyer,
        "account": account,
        "cost": cost,
        "milestone": milestone,
    }
    choose(after_conversion, AfterConversion, "after_conversion", owner="from_events")
    roles, extra = resolve_columns(
        columns, keywords, _DEFAULTS, required=("journey", "time", "channel", "converted")
    )
    labels = [roles[r] for r in ("journey", "channel", *_CARRIED)] + list(extra.values())
    used = [c for c in [*roles.values(), *extra.values()] if c is not None]
    # A lazy frame (DuckDB, Ibis, PySpark) or an Arrow stream is collected with these columns only.
    table = open_table(load(source, text=[c for c in labels if c is not None]), columns=used)
    require(table, used)
    journey_column = category(table, str(roles["journey"]))
    moments = times(table, str(roles["time"]), tz)
    is_conversion = flags(table, str(roles["converted"]))
    value_column, cost_column, milestone_column = roles["value"], roles["cost"], roles["milestone"]
    values = None
    if value_column is not None:
        values = _conversion_values(table, value_column, is_conversion)
    touch_columns: dict[str, Column] = {"channel": category(table, str(roles["channel"]))}
    for name, column in ({r: roles[r] for r in _CARRIED} | extra).items():
        if column is not None:
            touch_columns[name] = category(table, column, allow_missing=True)
    for kind, name in ((Reach, "reach"), (Team, "team")):
        if name in touch_columns:
            touch_columns[name] = enum_column(touch_columns[name], kind, str(roles[name]))
    if "team" not in touch_columns and "reach" in touch_columns:
        touch_columns["team"] = _team_from_reach(touch_columns["reach"])
    built = build_journeys(
        journey=journey_column,
        time=moments,
        columns=touch_columns,
        converted=is_conversion,
        value=values,
        milestones=None if milestone_column is None else _milestone_bits(table, milestone_column),
        cost=None if cost_column is None else numbers(table, cost_column),
        after_conversion=after_conversion,
    )
    if as_of is None:
        return built
    if not isinstance(as_of, datetime) or as_of.utcoffset() is None:
        msg = f"from_events: as_of must be a timezone-aware datetime (got {as_of!r})"
        raise ParameterError(msg)
    return attrs.evolve(built, as_of=to_micros(as_of))


def _conversion_values(
    table: Table, name: str, is_conversion: NDArray[np.bool_]
) -> NDArray[np.float64]:
    empty = table.nulls(name)
    missing = np.flatnonzero(is_conversion & empty)
    if missing.size:
        raise fail_rows(missing, name, "is empty on a converted row")
    raw = np.where(empty, 0.0, table.numbers(name))
    bad = out_of_range(raw)
    if bad.size:
        raise fail_rows(bad, name, range_message(float(raw[bad[0]])))
    stray = np.flatnonzero(~is_conversion & (raw != 0))
    if stray.size:
        raise fail_rows(
            stray, name, "has a value on a row that did not convert (leave it empty or 0)"
        )
    return raw


def _team_from_reach(reach_column: Column) -> Column:
    teams = list(Team)
    lookup = np.array(
        [teams.index(Reach(label).default_team) for label in reach_column.labels] + [-1],
        dtype=np.int8,
    )
    return Column(lookup[reach_column.codes], [t.value for t in teams])


def _milestone_bits(table: Table, name: str) -> NDArray[np.uint8]:
    column = category(table, name, allow_missing=True)
    parse = enum_parser(Milestone)
    bits: list[int] = []
    for label in column.labels:
        total = 0
        for part in label.split(";"):
            if not part.strip():
                continue
            try:
                total |= parse(part, None).bit
            except ParseError as exc:
                rows = np.flatnonzero(column.codes == column.labels.index(label))
                raise fail_rows(rows, name, str(exc)) from None
        bits.append(total)
    lookup = np.array([*bits, 0], dtype=np.uint8)
    return np.asarray(lookup[column.codes], dtype=np.uint8)
