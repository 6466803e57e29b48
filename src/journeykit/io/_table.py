"""Read columns of pandas, polars or pyarrow tables (through narwhals) or of lists of dicts.

Every failure names the row (0-based, in input order) and the column, and nothing is dropped.
"""

from __future__ import annotations

import collections
import functools
import itertools
import math
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any, Protocol, TypeVar, cast

import numpy as np
from numpy.typing import NDArray

from journeykit._building import fail_rows, labels_of
from journeykit._money import out_of_range, range_message
from journeykit._rows import is_blank, resolve_tz
from journeykit.errors import JourneykitError, MissingDependencyError, Problem, SchemaError
from journeykit.journeys import Column, smallest_code_dtype, to_micros


class Table(Protocol):
    """What the readers need of a table."""

    @property
    def names(self) -> Sequence[str]: ...
    @property
    def n_rows(self) -> int: ...

    def nulls(self, name: str) -> NDArray[np.bool_]: ...
    def codes(self, name: str) -> tuple[NDArray[np.int64], tuple[Any, ...]]: ...
    def numbers(self, name: str) -> NDArray[np.float64]: ...
    def objects(self, name: str) -> list[Any]: ...
    def native_times(self, name: str, tz: tzinfo | None) -> NDArray[np.int64] | None: ...


ACCEPTED = (
    "a data frame or table that narwhals reads (pandas, polars, pyarrow, Modin, cuDF; lazily: "
    "a DuckDB relation, an Ibis table, a polars LazyFrame, a PySpark DataFrame), an object with "
    "the Arrow stream interface (__arrow_c_stream__, e.g. a pyarrow RecordBatchReader), a DB-API "
    "cursor after execute() (sqlite3, DuckDB), a list of dicts or a dict of columns"
)
"""What the readers take besides files, for messages."""


def open_table(source: Any, *, columns: Collection[str] | None = None) -> Table:
    """Wrap a table: anything :func:`prepare` takes, or what it returned.

    ``columns`` are the columns the reader uses: a lazy frame (DuckDB, Ibis, polars LazyFrame,
    PySpark) or an Arrow stream is collected with only these (all of them when ``None``), while
    the table's ``names`` still list every column, so a missing one is reported with the rest.
    """
    source = prepare(source)
    if isinstance(source, Mapping):
        return _ColumnsTable(source)
    if isinstance(source, _ArrowStream):
        return _FrameTable(source, columns)
    frame = _narwhals_frame(source)
    if frame is not None:
        return _FrameTable(frame, columns)
    if not isinstance(source, Iterable) or isinstance(source, str | bytes):
        raise SchemaError(
            [
                Problem(
                    "table",
                    "",
                    f"cannot read a source of type {_type_name(source)}: pass {ACCEPTED}",
                )
            ]
        )
    rows = list(source)
    if all(isinstance(r, Mapping) for r in rows):
        return _ColumnsTable.from_rows(rows)
    bad = next(i for i, r in enumerate(rows) if not isinstance(r, Mapping))
    raise SchemaError(
        [
            Problem(
                f"row {bad}",
                "",
                f"must be a mapping of column to value (got {type(rows[bad]).__name__})",
            )
        ]
    )


def prepare(source: Any) -> Any:
    """A source that can be looked at more than once, without reading its rows twice.

    A DB-API cursor's rows become columns; an Arrow stream (which can be read only once) is
    wrapped so that its schema is known before it is read. Anything else is returned as it is.
    """
    if (
        isinstance(source, Mapping | list | tuple | _ArrowStream)
        or _narwhals_frame(source) is not None
    ):
        return source
    if _is_cursor(source):
        if source.description is None:  # never executed, or executed an INSERT
            message = "a DB-API cursor with no result set: call execute() with a SELECT first"
            raise SchemaError([Problem("table", "", message)])
        names = unique_names([str(entry[0]) for entry in source.description], "a DB-API cursor")
        rows = source.fetchall()
        return {name: [row[i] for row in rows] for i, name in enumerate(names)}
    if hasattr(source, "__arrow_c_stream__"):
        return _ArrowStream(source)
    return source


def _is_cursor(source: Any) -> bool:
    # DB-API 2.0: description names a result's columns, and is None until a query returns rows
    description = getattr(source, "description", False)
    return (
        not isinstance(source, Mapping)
        and callable(getattr(source, "fetchall", None))
        and (description is None or isinstance(description, Sequence))
    )


def unique_names(names: Iterable[Any], what: str) -> list[str]:
    """The column names of ``what``, or a SchemaError naming each name it gives several columns.

    A table with two columns of one name (``SELECT channel, 'x' AS channel``) would otherwise be
    read by whichever column a library happens to pick.
    """
    names = [str(name) for name in names]
    counts = collections.Counter(names)
    repeated = [name for name, count in counts.items() if count > 1]
    if repeated:
        raise SchemaError(
            [
                Problem(
                    "table",
                    name,
                    f"names {counts[name]} columns of {what}: give each column its own name "
                    "(in SQL: ... AS another_name)",
                )
                for name in repeated
            ]
        )
    return names


def _type_name(source: Any) -> str:
    kind = type(source)
    module = kind.__module__.split(".")[0]
    return kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}"


def _a_type(source: Any) -> str:
    return f"a {_type_name(source)}"


def _narwhals_frame(source: Any) -> Any:
    """The narwhals DataFrame or LazyFrame of a native table, or ``None``."""
    if isinstance(source, str | bytes | list | tuple | Mapping | _ArrowStream):
        return None
    import narwhals.stable.v2 as nw  # noqa: PLC0415  # only frame users pay for it

    try:
        frame = nw.from_native(source, pass_through=True)
    except nw.exceptions.DuplicateError:  # an eager frame (pandas, pyarrow) with repeated names
        names = getattr(source, "column_names", None)  # pyarrow; pandas-like frames: columns
        unique_names(getattr(source, "columns", ()) if names is None else names, _a_type(source))
        raise  # narwhals saw a repeat the names do not show: a bug to report, not to hide
    return frame if isinstance(frame, nw.DataFrame | nw.LazyFrame) else None


class _ArrowStream:
    """An object with the Arrow PyCapsule stream interface, read once, by pyarrow."""

    def __init__(self, source: Any) -> None:
        try:
            import pyarrow as pa  # noqa: PLC0415  # Arrow streams need it
        except ImportError:
            what = f"a {_type_name(source)} (an Arrow stream)"
            msg = f"reading {what} needs pyarrow: pip install pyarrow"
            raise MissingDependencyError(msg) from None
        self.reader = pa.RecordBatchReader.from_stream(source)
        self.names = unique_names(self.reader.schema.names, "an Arrow stream")
        self.consumed = False

    def table(self, columns: Collection[str] | None) -> Any:
        """The stream's rows as a pyarrow table of ``columns`` only, read batch by batch.

        Each batch is cut to ``columns`` as it arrives and the rest of it is let go, so the
        columns the reader does not use are never all held at once.
        """
        import pyarrow as pa  # noqa: PLC0415  # imported by __init__

        batches = iter(self.reader)
        # A stream that was read gives no batches; so does an empty one, which Arrow streams do
        # not tell apart (a table does: an empty table reads as no journeys).
        first = None if self.consumed else next(batches, None)
        self.consumed = True
        if first is None:
            message = (
                "this Arrow stream has already been read (it yields no batches): pass a new "
                "stream, or (for a result that may be empty) a pyarrow table"
            )
            raise SchemaError([Problem("table", "", message)])
        keep = [n for n in self.names if columns is None or n in columns]
        schema = self.reader.schema
        schema = pa.schema([schema.field(n) for n in keep], metadata=schema.metadata)
        every = itertools.chain([first], batches)
        if len(keep) == len(self.names):
            return pa.Table.from_batches(every, schema=schema)
        # An imported batch's columns share one owner, so a column kept without a copy would
        # keep the unused ones alive too: the used columns are copied and the batch let go.
        cut = (
            pa.RecordBatch.from_arrays(
                [pa.concat_arrays([batch.column(n)]) for n in keep], schema=schema
            )
            for batch in every
        )
        return pa.Table.from_batches(cut, schema=schema)


def require(table: Table, names: Iterable[str]) -> None:
    """Fail with every missing column at once, listing the ones there are."""
    missing = [n for n in names if n not in table.names]
    if missing:
        available = ", ".join(repr(n) for n in table.names) or "none"
        raise SchemaError(
            [Problem("table", m, f"is a missing column (columns: {available})") for m in missing]
        )


def no_nulls(table: Table, name: str) -> None:
    """Fail naming the rows where ``name`` is empty."""
    rows = np.flatnonzero(table.nulls(name))
    if rows.size:
        raise fail_rows(rows, name, "is empty")


def category(table: Table, name: str, *, allow_missing: bool = False) -> Column:
    """A categorical column (labels as text); empty cells are missing values when allowed."""
    if not allow_missing:
        no_nulls(table, name)
    codes, labels = table.codes(name)
    text = labels_of(labels)
    mixed_types = len({type(label) for label in labels}) > 1
    if mixed_types and len(set(text)) != len(text):
        # Distinct raw values with the same text (1 and "1"): merge them under one label.
        merged = sorted(set(text))
        index = {label: i for i, label in enumerate(merged)}
        remap = np.array([index[t] for t in text] + [-1], dtype=np.int64)
        codes, text = remap[codes], tuple(merged)
    dtype = smallest_code_dtype(len(text))
    return Column(codes.astype(dtype), text)


def numbers(table: Table, name: str, *, what: str = "a number") -> NDArray[np.float64]:
    """A numeric column; empty cells, NaN, infinities and negatives fail with their rows."""
    no_nulls(table, name)
    values = table.numbers(name)
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
    if bad.size:
        raise fail_rows(
            bad, name, f"must be {what}, finite and >= 0 (got {values[bad[0]]!r} in row {bad[0]})"
        )
    return values


def money(table: Table, name: str) -> NDArray[np.float64]:
    """A value column: every row within the money range (see :mod:`journeykit._money`)."""
    no_nulls(table, name)
    values = table.numbers(name)
    bad = out_of_range(values)
    if bad.size:
        raise fail_rows(bad, name, range_message(float(values[bad[0]])))
    return values


def flags(table: Table, name: str) -> NDArray[np.bool_]:
    """A boolean column: booleans, 0/1, or true/false/yes/no text."""
    no_nulls(table, name)
    codes, labels = table.codes(name)
    truth: list[bool | None] = [_truth(label) for label in labels]
    bad_labels = [i for i, t in enumerate(truth) if t is None]
    if bad_labels:
        rows = np.flatnonzero(np.isin(codes, bad_labels))
        raise fail_rows(rows, name, f"must be true/false or 1/0 (got {labels[bad_labels[0]]!r})")
    lookup = np.array([bool(t) for t in truth] + [False], dtype=np.bool_)
    return lookup[codes]


def _truth(value: Any) -> bool | None:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.integer | np.floating) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        return {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}.get(
            value.strip().lower()
        )
    return None


def times(table: Table, name: str, tz: tzinfo | str | None) -> NDArray[np.int64]:
    """A time column as int64 microseconds since the epoch (UTC).

    Accepts timezone-aware datetime columns, ISO-8601 strings with offsets and Python datetimes.
    Naive times are an error unless ``tz`` says where they were recorded; mixing naive and aware
    values is an error naming the rows.
    """
    no_nulls(table, name)
    zone = resolve_tz(tz)
    native = table.native_times(name, zone)
    if native is not None:
        return native
    codes, labels = table.codes(name)
    parsed: list[int | None] = []
    naive: list[int] = []
    aware: list[int] = []
    unparseable: list[int] = []
    shifted: dict[str, list[int]] = {"gap": [], "overlap": []}
    for i, value in enumerate(labels):
        moment = _parse_moment(value)
        if moment is None:
            unparseable.append(i)
            parsed.append(None)
            continue
        if moment.tzinfo is None or moment.utcoffset() is None:
            naive.append(i)
            if zone is not None:
                clock = moment
                moment = moment.replace(tzinfo=zone)
                trouble = _daylight_saving_trouble(clock, moment)
                if trouble:
                    shifted[trouble].append(i)
        else:
            aware.append(i)
        parsed.append(to_micros(moment) if moment.tzinfo is not None else None)
    if unparseable:
        rows = np.flatnonzero(np.isin(codes, unparseable))
        raise fail_rows(
            rows,
            name,
            f"is not a time (got {labels[unparseable[0]]!r}; use ISO-8601 with an offset)",
        )
    if naive and aware:
        rows = np.flatnonzero(np.isin(codes, naive))
        raise fail_rows(
            rows, name, "mixes timezone-naive times with timezone-aware ones in other rows"
        )
    if naive and zone is None:
        rows = np.flatnonzero(np.isin(codes, naive))
        raise fail_rows(
            rows, name, "is timezone-naive; pass tz= (e.g. tz='UTC') to say where it was recorded"
        )
    for trouble, wrong in shifted.items():
        if wrong and not aware:
            what = "does not exist" if trouble == "gap" else "is ambiguous"
            cause = "clocks skip it" if trouble == "gap" else "clocks pass it twice"
            rows = np.flatnonzero(np.isin(codes, wrong))
            raise fail_rows(
                rows,
                name,
                f"{what} in {tz} ({str(labels[wrong[0]])!r}: {cause} when daylight saving time "
                "changes); record such times with their UTC offset",
            )
    lookup = np.array([p if p is not None else 0 for p in parsed], dtype=np.int64)
    return lookup[codes]


def _daylight_saving_trouble(clock: datetime, local: datetime) -> str | None:
    """Whether a wall-clock time falls in a daylight-saving ``"gap"`` or ``"overlap"``, or neither.

    ``clock`` is the naive time, ``local`` the same time in its zone.
    """
    back = local.astimezone(UTC).astimezone(local.tzinfo).replace(tzinfo=None)
    if back != clock:
        return "gap"
    if local.replace(fold=1).utcoffset() != local.replace(fold=0).utcoffset():
        return "overlap"
    return None


def _parse_moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value.to_pydatetime() if hasattr(value, "to_pydatetime") else value
    if isinstance(value, np.datetime64):
        return None  # a naive numpy time has no zone: reported as naive by the caller's check
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


class _ColumnsTable:
    """Columns of Python values (a dict of lists, or rows turned into columns).

    Clean string and number columns take vectorised numpy paths; the per-cell Python loops run
    only to find and name the rows at fault.
    """

    def __init__(self, columns: Mapping[str, Sequence[Any]]) -> None:
        self.columns = {name: list(values) for name, values in columns.items()}
        sizes = {len(values) for values in self.columns.values()}
        if len(sizes) > 1:
            lengths = ", ".join(f"{name}: {len(v)}" for name, v in self.columns.items())
            raise SchemaError(
                [Problem("table", "", f"has columns of different lengths ({lengths})")]
            )
        self.names = list(self.columns)
        self.n_rows = sizes.pop() if sizes else 0
        self._text: dict[str, NDArray[np.str_] | None] = {}

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]]) -> _ColumnsTable:
        names: dict[str, None] = {}
        for row in rows:
            names.update(dict.fromkeys(row))
        return cls({name: [row.get(name) for row in rows] for name in names})

    def _as_text(self, name: str) -> NDArray[np.str_] | None:
        """The column as a numpy string array when every cell is a string (CSV), else None."""
        if name not in self._text:
            values = self.columns[name]
            self._text[name] = (
                np.array(values, dtype=np.str_) if all(type(v) is str for v in values) else None
            )
        return self._text[name]

    def nulls(self, name: str) -> NDArray[np.bool_]:
        text = self._as_text(name)
        if text is not None:
            return np.asarray((np.char.str_len(text) == 0) | np.char.isspace(text), dtype=np.bool_)
        return np.array([is_blank(v) for v in self.columns[name]], dtype=np.bool_)

    def codes(self, name: str) -> tuple[NDArray[np.int64], tuple[Any, ...]]:
        text = self._as_text(name)
        empty = self.nulls(name)
        if text is not None:
            labels, inverse = np.unique(text, return_inverse=True)
            codes = inverse.astype(np.int64)
            if np.any(empty):  # blank cells are missing values, not a label
                blank = np.unique(inverse[empty])
                keep = np.setdiff1d(np.arange(labels.size), blank)
                remap = np.full(labels.size, -1, dtype=np.int64)
                remap[keep] = np.arange(keep.size)
                return remap[codes], tuple(labels[keep].tolist())
            return codes, tuple(labels.tolist())
        values = self.columns[name]
        present = sorted({v for v, e in zip(values, empty, strict=True) if not e}, key=_sort_key)
        index = {v: i for i, v in enumerate(present)}
        return np.array(
            [-1 if e else index[v] for v, e in zip(values, empty, strict=True)], dtype=np.int64
        ), tuple(present)

    def numbers(self, name: str) -> NDArray[np.float64]:
        values = self.columns[name]
        empty = self.nulls(name)
        if not np.any(empty) and not any(type(v) is bool for v in values):
            try:
                return np.asarray(values, dtype=np.float64)
            except (TypeError, ValueError):
                pass  # find and name the bad rows below
        out = np.full(self.n_rows, np.nan)
        bad: list[int] = []
        for i, v in enumerate(values):
            if empty[i]:
                continue
            if isinstance(v, bool) or not isinstance(
                v, str | int | float | np.integer | np.floating
            ):
                bad.append(i)
                continue
            try:
                out[i] = float(v)
            except ValueError:
                bad.append(i)
        if bad:
            raise fail_rows(bad, name, f"must be a number (got {values[bad[0]]!r})")
        return out

    def objects(self, name: str) -> list[Any]:
        return self.columns[name]

    def native_times(self, name: str, tz: tzinfo | None) -> NDArray[np.int64] | None:
        return None


def _sort_key(value: Any) -> tuple[str, Any]:
    # Values of mixed types still sort deterministically: by type name, then value.
    return (type(value).__name__, value)


_Method = TypeVar("_Method", bound=Callable[..., Any])


def _foreign_errors(method: _Method) -> _Method:
    """Turn a data frame library's error about a column's data into a SchemaError naming it.

    pandas, polars and pyarrow each raise their own exceptions for data they cannot convert (a
    list-typed column, text that is not UTF-8 in a Parquet file); the caller sees one kind.
    """

    @functools.wraps(method)
    def guarded(self: Any, name: str, *args: Any) -> Any:
        try:
            return method(self, name, *args)
        except JourneykitError:
            raise
        except Exception as exc:  # each frame library has its own hierarchy
            message = f"cannot be read ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})"
            raise SchemaError([Problem("table", name, message)]) from None

    return cast("_Method", guarded)


def _lazy_names(frame: Any) -> list[str]:
    """A lazy frame's column names as its library has them, repeats included.

    narwhals lists a DuckDB relation's repeated name once (and collects the first such column),
    so the names come from the native object, except polars', which warns when asked for them
    and cannot repeat a name anyway.
    """
    native = frame.to_native()
    names = None if frame.implementation.is_polars() else getattr(native, "columns", None)
    if isinstance(names, Sequence) and not isinstance(names, str):
        return [str(name) for name in names]
    return [str(name) for name in frame.collect_schema().names()]


class _FrameTable:
    """A data frame read through narwhals (pandas, polars, pyarrow and more), eager or lazy.

    A lazy frame (DuckDB, Ibis, polars LazyFrame, PySpark) or an Arrow stream is collected once,
    on first use, with only the columns the reader asked for.
    """

    def __init__(self, source: Any, columns: Collection[str] | None) -> None:
        import narwhals.stable.v2 as nw  # noqa: PLC0415  # only frame users pay for it

        self.nw = nw
        self._source = source
        self._columns = columns
        if isinstance(source, _ArrowStream):
            self.names = source.names
        elif isinstance(source, nw.LazyFrame):
            self.names = unique_names(_lazy_names(source), _a_type(source.to_native()))
        else:
            self.names = list(source.columns)

    @functools.cached_property
    def frame(self) -> Any:
        """The eager narwhals frame, collected on first use."""
        nw, source, columns = self.nw, self._source, self._columns
        if isinstance(source, _ArrowStream):
            return nw.from_native(source.table(columns), eager_only=True)
        if isinstance(source, nw.LazyFrame):
            if columns is not None:
                source = source.select([n for n in self.names if n in columns])
            return source.collect()
        return source

    @property
    def n_rows(self) -> int:
        """The number of rows (collects a lazy frame)."""
        return len(self.frame)

    def _series(self, name: str) -> Any:
        return self.frame.get_column(name)

    def arrow_column(self, name: str) -> Any:
        """The column as a pyarrow array, or ``None`` when pyarrow is not installed."""
        try:
            import pyarrow as pa  # noqa: F401, PLC0415  # only to know it is there
        except ImportError:
            return None
        return self._series(name).to_arrow()

    @_foreign_errors
    def nulls(self, name: str) -> NDArray[np.bool_]:
        series = self._series(name)
        mask = np.asarray(series.is_null().to_numpy(), dtype=np.bool_)
        if series.dtype.is_float():
            mask = mask | np.asarray(
                series.is_nan().fill_null(value=False).to_numpy(), dtype=np.bool_
            )
        elif series.dtype == self.nw.String:  # blank text is missing, as in every reader
            blank = series.str.strip_chars().str.len_chars() == 0
            mask = mask | np.asarray(blank.fill_null(value=False).to_numpy(), dtype=np.bool_)
        return mask

    @_foreign_errors
    def codes(self, name: str) -> tuple[NDArray[np.int64], tuple[Any, ...]]:
        nw = self.nw
        series = self._series(name)
        uniques = series.drop_nulls().unique()
        if len(uniques) == 0:  # no rows, or all empty: nothing to code (and no type to code it)
            return np.full(len(series), -1, dtype=np.int64), ()
        try:
            labels = uniques.sort().to_list()
        except Exception:  # unorderable mixed objects: order by type and value
            labels = sorted(uniques.to_list(), key=_sort_key)
        codes = series.replace_strict(labels, list(range(len(labels))), return_dtype=nw.Int64)
        return np.asarray(codes.fill_null(-1).to_numpy(), dtype=np.int64), tuple(labels)

    @_foreign_errors
    def numbers(self, name: str) -> NDArray[np.float64]:
        series = self._series(name)
        if series.dtype.is_numeric() or series.dtype == self.nw.Boolean:
            return np.asarray(series.cast(self.nw.Float64).to_numpy(), dtype=np.float64)
        values = series.to_list()
        out = np.empty(len(values))
        bad: list[int] = []
        for i, v in enumerate(values):
            if is_blank(v):
                out[i] = math.nan
                continue
            try:
                out[i] = float(v)
            except (TypeError, ValueError):
                bad.append(i)
        if bad:
            raise fail_rows(bad, name, f"must be a number (got {values[bad[0]]!r})")
        return out

    @_foreign_errors
    def objects(self, name: str) -> list[Any]:
        return list(self._series(name).to_list())

    @_foreign_errors
    def native_times(self, name: str, tz: tzinfo | None) -> NDArray[np.int64] | None:
        series = self._series(name)
        dtype = series.dtype
        if dtype == self.nw.Date:
            raise SchemaError(
                [
                    Problem(
                        "table",
                        name,
                        "holds dates, not times: convert it to timezone-aware datetimes",
                    )
                ]
            )
        if not isinstance(dtype, self.nw.Datetime):
            return None
        if dtype.time_zone is None:
            if tz is None:
                message = "holds timezone-naive times; pass tz= (e.g. tz='UTC') to say where"
                raise SchemaError([Problem("table", name, f"{message} they were recorded")])
            zone_name = getattr(tz, "key", None) or tz.tzname(None)
            if zone_name is None:
                raise SchemaError(
                    [Problem("table", name, f"naive times need a named timezone, not {tz!r}")]
                )
            try:
                series = series.dt.replace_time_zone(zone_name)
            except Exception:  # each backend has its own DST error: the
                return None  # per-value path below names the rows that fall in a gap or overlap
        return np.asarray(series.dt.timestamp("us").to_numpy(), dtype=np.int64)
