"""``read_paths``: journeys from the aggregated path format other attribution tools use."""

from __future__ import annotations

import itertools
import mmap
import os
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
from numpy.typing import NDArray

from journeykit._building import fail_rows, journeys_from_paths
from journeykit._money import STRAY_MESSAGE, out_of_range, stray_value
from journeykit._rows import is_blank
from journeykit.errors import ParameterError
from journeykit.io._csv import check_header
from journeykit.io._source import Columns, file_format, is_file_source, load, resolve_columns
from journeykit.io._table import money, numbers, open_table, require
from journeykit.journeys import Column, Journeys, RowNumbers, smallest_code_dtype

__all__ = ["read_paths"]


_DEFAULTS: dict[str, str | None] = {
    "path": "path",
    "conversions": "total_conversions",
    "value": "total_conversion_value",
    "nulls": "total_null",
}


def read_paths(
    source: Any,
    /,
    *,
    path: str = "path",
    conversions: str = "total_conversions",
    value: str | None = "total_conversion_value",
    nulls: str | None = "total_null",
    sep: str = ">",
    columns: Columns | None = None,
) -> Journeys:
    r"""Read aggregated paths: one row per distinct path with its conversion and null counts.

    Parameters
    ----------
    source : path, file, data frame, list of dicts or dict of columns
        A ``.csv``, ``.parquet`` or JSON-lines file (by its suffix, in any case), an open CSV
        text file, a pandas/polars/pyarrow table, rows, or columns. Positional only.
    path : str
        Column of channel sequences such as ``"search > email > email"``; spaces around the
        separator and around channels are ignored, an empty step is an error.
    conversions : str
        Column of conversions per path (a non-negative weight; fractional counts allowed).
    value : str or None
        Column of total conversion value per path. Optional: when ``None`` or absent, every
        conversion is worth 1.
    nulls : str or None
        Column of non-converting journeys per path. Optional: when ``None`` or absent, 0.
    sep : str
        The separator between channels.
    columns : mapping of str to str, optional
        Role -> source column name, the same as the keywords above (``{"path": "journey",
        "conversions": "n"}``), so one mapping can be passed on to every reader.

    Returns
    -------
    Journeys
        One journey per row, in file order, with no touch times (so models that need time, like
        ``time_decay``, refuse them). The first touch carries ``FIRST_TOUCH`` and the last touch of
        a path with conversions ``CLOSED_WON``. Journey IDs are the row numbers.

    Examples
    --------
    >>> import io
    >>> import journeykit as jk
    >>> csv_text = "path,total_conversions,total_conversion_value,total_null\n"
    >>> csv_text += "search > email,3,30.0,2\ndirect,2,25.5,1\n"
    >>> journeys = jk.read_paths(io.StringIO(csv_text))
    >>> journeys
    Journeys(n_journeys=2, n_touches=3, conversions=5, value=55.5, channels=3, columns=[])
    >>> journeys[0].channels, journeys[0].nulls
    (('search', 'email'), 2.0)
    """
    if not sep:
        msg = "sep must be a non-empty string"
        raise ParameterError(msg)
    keywords = {"path": path, "conversions": conversions, "value": value, "nulls": nulls}
    roles, extra = resolve_columns(columns, keywords, _DEFAULTS, required=("path", "conversions"))
    if extra:
        msg = f"read_paths: columns takes the roles {', '.join(_DEFAULTS)} (got {sorted(extra)})"
        raise ParameterError(msg)
    path, conversions = str(roles["path"]), str(roles["conversions"])
    value, nulls = roles["value"], roles["nulls"]
    if is_file_source(source) and file_format(source) == "csv":
        streamed = _stream_csv(source, path, conversions, value=value, nulls=nulls, sep=sep)
        if streamed is not None:
            return streamed
    table = open_table(load(source, text=[path]))
    require(table, [path, conversions])
    split = _split_with_arrow(table, path, sep)
    if split is None:
        # Path strings can be long: check them in Python, never as a wide numpy string array.
        raw_paths = [_text_of(p) for p in table.objects(path)]
        blank = [i for i, p in enumerate(raw_paths) if not p.strip()]
        if blank:
            raise fail_rows(blank, path, "is empty")
        split = _split_paths(raw_paths, sep, path)
    lengths, channel = split
    conv = numbers(table, conversions, what="a count")
    if value is not None and value in table.names:
        value_array = money(table, value)
        stray = stray_value(conv, value_array)
        if stray.size:
            raise fail_rows(stray, value, STRAY_MESSAGE)
    else:
        value_array = conv.copy()
    null_array = (
        numbers(table, nulls, what="a count")
        if nulls is not None and nulls in table.names
        else np.zeros(table.n_rows)
    )
    return journeys_from_paths(
        lengths=lengths,
        channel=channel,
        conversions=conv,
        nulls=null_array,
        value=value_array,
        ids=_row_ids(table.n_rows),
    )


def _row_ids(n_rows: int) -> Column:
    return Column(np.arange(n_rows, dtype=smallest_code_dtype(n_rows)), RowNumbers(n_rows))


_BLOCK_BYTES = 1 << 20


def _holds_nul(source: str | os.PathLike[str]) -> bool:
    """Whether the file holds a NUL byte: one scan of the whole file (memchr), not per block."""
    with open(source, "rb") as handle:  # noqa: PTH123  # a path or path-like, as given
        try:
            view = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:  # an empty file cannot be mapped
            return False
        with view:
            return view.find(b"\x00") >= 0


class _UnusualError(Exception):
    """A path CSV the block reader leaves to the whole-file reader (which names the rows)."""


def _stream_csv(
    source: str | os.PathLike[str],
    path: str,
    conversions: str,
    *,
    value: str | None,
    nulls: str | None,
    sep: str,
) -> Journeys | None:
    """Read a clean path CSV block by block with pyarrow, holding one block at a time.

    Memory stays near the size of the result instead of several times the file. A worker
    thread splits each block while the next one is read (Arrow releases the GIL); at most one
    split waits for the main thread. Anything
    unusual (a missing column, nulls, text in a number column, an empty step, a negative
    count, a type that changes between blocks) returns ``None``, and the whole-file reader then
    names the rows at fault.
    """
    try:
        import pyarrow as pa  # noqa: PLC0415  # optional speed-up
        from pyarrow import csv as pa_csv  # noqa: PLC0415
    except ImportError:
        return None
    codes: dict[str, int] = {}
    try:
        if _holds_nul(source):
            raise _UnusualError  # the core reader names the row
        reader = pa_csv.open_csv(source, read_options=pa_csv.ReadOptions(block_size=_BLOCK_BYTES))
        names = reader.schema.names
        check_header(names, str(source))
        if any(n != n.strip() for n in names):
            raise _UnusualError  # the core reader strips header names
        if path not in names or conversions not in names:
            return None
        amount, null = (c if c is not None and c in names else None for c in (value, nulls))
        steps, blocks = _read_blocks(reader, (path, conversions, amount, null), sep, codes)
    except (_UnusualError, pa.ArrowInvalid, OSError, ValueError):  # SchemaError included
        return None
    finally:
        # Arrow keeps freed blocks for reuse; a one-off read gives them back to the system.
        pa.default_memory_pool().release_unused()
    if not blocks:
        return None
    for counts, amounts, _ in blocks:
        if out_of_range(amounts).size or stray_value(counts, amounts).size:
            return None  # the whole-file reader names the rows
    lengths = np.concatenate([s[0] for s in steps])
    return journeys_from_paths(
        lengths=lengths,
        channel=_sorted_column(codes, [s[1] for s in steps]),
        conversions=np.concatenate([b[0] for b in blocks]),
        value=np.concatenate([b[1] for b in blocks]),
        nulls=np.concatenate([b[2] for b in blocks]),
        ids=_row_ids(lengths.size),
    )


def _read_blocks(
    reader: Any, columns: tuple[str, str, str | None, str | None], sep: str, codes: dict[str, int]
) -> tuple[list[tuple[NDArray[np.int64], NDArray[np.int64]]], list[tuple[NDArray[Any], ...]]]:
    """Each block's (lengths, step codes) and (counts, amounts, nulls), in file order."""
    import pyarrow as pa  # noqa: PLC0415  # the caller has it

    path, conversions, amount, null = columns
    steps: list[tuple[NDArray[np.int64], NDArray[np.int64]]] = []
    blocks: list[tuple[NDArray[Any], ...]] = []
    with ThreadPoolExecutor(max_workers=1) as splitter:
        previous: Future[tuple[Any, Any]] | None = None
        for batch in reader:
            if any(pa.types.is_binary(t) for t in batch.schema.types):
                raise _UnusualError  # Arrow keeps text that is not UTF-8 as bytes
            split = splitter.submit(_split_steps, batch.column(path), sep)
            if previous is not None:  # at most one block waits: memory stays bounded, and an
                # unusual block stops the read at once. Coded in file order, so codes are
                # numbered by first appearance as in one pass.
                steps.append(_code_steps(*previous.result(), codes))
            previous = split
            counts = _counts(batch.column(conversions))
            amounts = counts if amount is None else _counts(batch.column(amount))
            nulls = np.zeros(len(counts)) if null is None else _counts(batch.column(null))
            blocks.append((counts, amounts, nulls))
        if previous is not None:
            steps.append(_code_steps(*previous.result(), codes))
    return steps, blocks


def _split_batch(
    column: Any, sep: str, codes: dict[str, int]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Step counts and step codes (first-seen order in ``codes``, shared across blocks).

    Nulls, non-text values and empty steps raise ``_UnusualError``: the plain reader then
    names the rows at fault.
    """
    chunks = column.chunks if hasattr(column, "chunks") else [column]
    parts = [_code_steps(*_split_steps(chunk, sep), codes) for chunk in chunks]
    if not parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _split_steps(column: Any, sep: str) -> tuple[Any, Any]:
    """One Arrow string array's step counts and its dictionary-encoded steps (untrimmed).

    Steps stay in Arrow's compact buffers (no Python string per step), and only Arrow runs
    here, so a worker thread can do it while the main thread reads on.
    """
    import pyarrow as pa  # noqa: PLC0415

    text = pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
    if column.null_count or not text:
        raise _UnusualError
    try:
        # `pyarrow.compute` wraps and documents every kernel on import (0.06 s of a command's
        # life); its private core has the one call needed.
        from pyarrow._compute import SplitPatternOptions, call_function  # noqa: PLC0415
    except ImportError:  # pragma: no cover  # a pyarrow that moved its internals
        from pyarrow.compute import SplitPatternOptions, call_function  # noqa: PLC0415
    steps = call_function("split_pattern", [column], SplitPatternOptions(sep))
    # (the array methods value_lengths, flatten and dictionary_encode import pyarrow.compute)
    flat = call_function("list_flatten", [steps])
    return call_function("list_value_length", [steps]), call_function("dictionary_encode", [flat])


def _code_steps(
    lengths: Any, encoded: Any, codes: dict[str, int]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Trim and code the distinct steps, not every step: " email" and "email " share a code."""
    labels = [label.strip() for label in encoded.dictionary.to_pylist()]
    if not all(labels):
        raise _UnusualError  # an empty step
    mapping = np.array([codes.setdefault(label, len(codes)) for label in labels], dtype=np.int64)
    return _integers(lengths), mapping[_integers(encoded.indices)]


def _integers(array: Any) -> NDArray[np.int64]:
    """An Arrow integer array without nulls as int64 (see :func:`_primitive`)."""
    return _primitive(array).astype(np.int64)


def _primitive(array: Any) -> NDArray[Any]:
    """An Arrow integer or floating array without nulls, viewed from its buffer (no copy).

    ``Array.to_numpy`` would import pandas when it is installed (0.2 s of a command's life).
    """
    import pyarrow as pa  # noqa: PLC0415

    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    width = array.type.bit_width // 8
    kind = "f" if pa.types.is_floating(array.type) else "i"
    kind = "u" if pa.types.is_unsigned_integer(array.type) else kind
    data = array.buffers()[1]
    return np.frombuffer(data, f"<{kind}{width}", count=len(array), offset=array.offset * width)


def _sorted_column(codes: dict[str, int], parts: list[NDArray[np.int64]]) -> Column:
    """The step codes of all parts as one column whose labels are sorted."""
    labels = sorted(codes, key=codes.__getitem__)
    order = sorted(range(len(labels)), key=labels.__getitem__)
    rank = np.empty(len(labels), dtype=np.int64)
    rank[order] = np.arange(len(labels))
    dtype = smallest_code_dtype(len(labels))
    return Column(
        np.concatenate([rank[p].astype(dtype) for p in parts]), [labels[i] for i in order]
    )


def _counts(column: Any) -> NDArray[np.float64]:
    """A number column of one block as float64 if every entry is finite and >= 0."""
    import pyarrow as pa  # noqa: PLC0415

    numeric = pa.types.is_integer(column.type) or pa.types.is_floating(column.type)
    if column.null_count or not numeric:
        raise _UnusualError
    array = _primitive(column).astype(np.float64)
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise _UnusualError
    return array


def _text_of(value: Any) -> str:
    return value if isinstance(value, str) else "" if is_blank(value) else str(value)


def _split_with_arrow(table: Any, column: str, sep: str) -> tuple[NDArray[np.int64], Column] | None:
    """Split and code the paths with Arrow compute, when the table is a frame and pyarrow is here.

    Anything unusual (nulls, empty steps) returns ``None``: the plain reader names the rows.
    """
    arrow = table.arrow_column(column) if hasattr(table, "arrow_column") else None
    if arrow is None:
        return None
    codes: dict[str, int] = {}
    try:
        lengths, steps = _split_batch(arrow, sep, codes)
    except _UnusualError:
        return None
    return lengths, _sorted_column(codes, [steps])


def _split_paths(raw_paths: list[str], sep: str, column: str) -> tuple[NDArray[np.int64], Column]:
    # Each path split on its own (a multi-character separator cannot straddle two paths), every
    # step trimmed as the Arrow readers trim it, and a dict maps each step to its code.
    split = [p.split(sep) for p in raw_paths]
    lengths = np.fromiter(map(len, split), dtype=np.int64, count=len(split))
    tokens = list(map(str.strip, itertools.chain.from_iterable(split)))
    labels = sorted(set(tokens))
    if labels and labels[0] == "":
        row_of_token = np.repeat(np.arange(len(raw_paths)), lengths)
        empty = np.fromiter(map("".__eq__, tokens), dtype=np.bool_, count=len(tokens))
        rows = np.unique(row_of_token[empty])
        raise fail_rows(rows, column, f"has an empty step (got {raw_paths[int(rows[0])]!r})")
    index = {label: i for i, label in enumerate(labels)}
    codes = np.fromiter(map(index.__getitem__, tokens), dtype=np.int64, count=len(tokens))
    return lengths, Column(codes.astype(smallest_code_dtype(len(labels))), labels)
