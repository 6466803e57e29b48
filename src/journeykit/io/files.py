"""Read a whole events or paths source (a CSV, Parquet or JSON-lines file, a table) into journeys.

:func:`file_format` is the one place that tells a file's format from its suffix (in any case);
every reader and the streaming attribution use it.
"""

from __future__ import annotations

import csv
import json
import warnings
from collections.abc import Mapping
from datetime import tzinfo
from pathlib import Path
from typing import Any, Literal

from journeykit._building import AfterConversion
from journeykit._choices import choose
from journeykit.errors import ParameterError, Problem, SchemaError
from journeykit.io._source import (
    SUFFIXES,
    Columns,
    FileFormat,
    file_format,
    is_file_source,
    load,
    parquet,
    read_table,
)
from journeykit.io._table import open_table
from journeykit.io.frames import from_events
from journeykit.io.paths import read_paths
from journeykit.journeys import Journeys

__all__ = [
    "SUFFIXES",
    "FileFormat",
    "InputKind",
    "file_format",
    "file_kind",
    "read_journeys",
    "read_table",
]

InputKind = Literal["auto", "events", "paths"]


def file_kind(
    source: Any, requested: InputKind = "auto", *, path: str = "path"
) -> Literal["events", "paths"]:
    """``"paths"`` for a path table (it has the ``path`` column), else ``"events"``.

    ``source`` is anything a reader takes; only the header of a file is read.
    """
    choose(requested, InputKind, "input")
    if requested != "auto":
        return requested
    return "paths" if path in _columns_of(source) else "events"


def _columns_of(source: Any) -> list[str]:
    if not is_file_source(source):
        return list(open_table(source).names)
    path = Path(source)
    fmt = file_format(path)
    if not path.is_file():
        read_table(path)  # names the missing file
    if fmt == "parquet":
        return list(parquet(path).schema_arrow.names)
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        if fmt == "csv":  # the reader names a file that is not text
            return [name.strip() for name in next(csv.reader(handle), [])]
        for line in handle:
            if line.strip():
                try:
                    first = json.loads(line)
                except json.JSONDecodeError:
                    return []
                return list(first) if isinstance(first, dict) else []
    return []


def read_journeys(
    source: Any,
    /,
    *,
    input: InputKind = "auto",  # noqa: A002  # the CLI's word for it
    columns: Columns | None = None,
    tz: tzinfo | str | None = None,
    sep: str = ">",
    after_conversion: AfterConversion = "split",
    **roles: str | None,
) -> Journeys:
    r"""Read events or paths from any source into journeys: the one reader for both.

    Parameters
    ----------
    source : path, file, data frame, list of dicts or dict of columns
        ``.csv``, ``.parquet`` (needs pyarrow) or JSON lines (``.jsonl``, ``.ndjson``, ``.json``),
        by the suffix in any case; or an open CSV file, a table or rows. Positional only.
    input : {"auto", "events", "paths"}
        ``"auto"``: a source with a ``path`` column is a path table
        (:func:`~journeykit.read_paths`), else events (:func:`~journeykit.from_events`).
    columns : mapping of str to str, optional
        Role -> source column name, as in :func:`~journeykit.from_events` (``journey``, ``time``,
        ...) or :func:`~journeykit.read_paths` (``path``, ``conversions``, ...).
    tz : tzinfo or str, optional
        Where naive event times were recorded (path tables have no times).
    sep : str
        The channel separator of a path table.
    after_conversion : {"split", "error"}
        As in :func:`~journeykit.from_events`.
    **roles
        Deprecated: pass ``columns={role: column}`` instead.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "events.jsonl").write_text(
    ...     '{"journey_id": "j1", "timestamp": "2024-01-01T09:00:00+00:00", "channel": "ad", '
    ...     '"converted": false, "value": null}\n'
    ...     '{"journey_id": "j1", "timestamp": "2024-01-02T09:00:00+00:00", "channel": "demo", '
    ...     '"converted": true, "value": 500}\n')
    >>> read_journeys(folder / "events.jsonl")
    Journeys(n_journeys=1, n_touches=2, conversions=1, value=500, channels=2, columns=[])
    >>> read_journeys([{"route": "a > b", "total_conversions": 2}], columns={"path": "route"})
    Journeys(n_journeys=1, n_touches=2, conversions=2, value=2, channels=2, columns=[])
    """
    if roles:
        warnings.warn(
            f"read_journeys({', '.join(f'{k}=...' for k in roles)}) is deprecated; "
            "pass columns={role: column} instead",
            DeprecationWarning,
            stacklevel=2,
        )
        columns = {**_as_mapping(columns), **roles}  # None leaves a role out, as everywhere
    journeys = _read(
        source, input, columns=columns, tz=tz, sep=sep, after_conversion=after_conversion
    )
    if is_file_source(source) and journeys.n_journeys == 0:
        # The same answer as the chunked reader: a file with a header and no rows holds nothing.
        raise SchemaError([Problem(str(source), "", "has no rows")])
    return journeys


def _read(
    source: Any,
    input: InputKind,  # noqa: A002  # the CLI's word for it
    *,
    columns: Any,
    tz: tzinfo | str | None,
    sep: str,
    after_conversion: AfterConversion,
) -> Journeys:
    path = _as_mapping(columns).get("path") or "path"
    kind = file_kind(source, input, path=path) if is_file_source(source) else None
    if kind == "paths" and file_format(source) == "csv":
        return read_paths(source, columns=columns, sep=sep)  # streams the CSV block by block
    # Events files are opened by from_events, which reads their ID and label columns as text.
    table = source if kind == "events" else load(source)
    if kind is None:
        kind = file_kind(table, input, path=path)
    if kind == "paths":
        return read_paths(table, columns=columns, sep=sep)
    if sep != ">":
        msg = "sep is the channel separator of a path table; these are events"
        raise ParameterError(msg)
    return from_events(table, columns=columns, tz=tz, after_conversion=after_conversion)


def _as_mapping(columns: Columns | None) -> dict[str, str | None]:
    if columns is None:
        return {}
    if isinstance(columns, str):
        msg = f"columns maps roles to column names (got the string {columns!r})"
        raise ParameterError(msg)
    return dict(columns) if isinstance(columns, Mapping) else {name: name for name in columns}
