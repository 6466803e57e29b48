"""Read a whole events or paths file (CSV, Parquet, JSON lines) into journeys."""

from __future__ import annotations

import csv
import json
import os
from datetime import tzinfo
from pathlib import Path
from typing import Any, Final, Literal

from journeykit.errors import ParameterError, Problem, SchemaError
from journeykit.io._csv import read_csv
from journeykit.io.frames import from_events
from journeykit.io.paths import read_paths
from journeykit.journeys import Journeys

__all__ = ["SUFFIXES", "file_kind", "read_journeys", "read_table"]

InputKind = Literal["auto", "events", "paths"]
SUFFIXES: Final = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
"""File suffixes :func:`read_journeys` understands, and their formats."""


def _format(path: Path) -> str:
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(SUFFIXES)
        raise SchemaError(
            [Problem(str(path), "", f"has an unknown suffix; expected one of {known}")]
        )
    if not path.is_file():
        raise SchemaError([Problem(str(path), "", "does not exist or is not a file")])
    return fmt


def read_table(path: str | os.PathLike[str]) -> Any:
    """A file's rows as a pyarrow table (if pyarrow is installed), a dict of columns or rows.

    CSV without pyarrow (or with a ragged row) gives text columns, which
    :func:`~journeykit.from_events` parses and whose errors name the row. JSON lines give one
    dict per line; a line that is not a JSON object is an error naming it.
    """
    source = Path(path)
    fmt = _format(source)
    if fmt == "parquet":
        import pyarrow.parquet as pq  # noqa: PLC0415  # Parquet needs pyarrow

        return pq.read_table(source)
    if fmt == "jsonl":
        return _json_lines(source)
    return read_csv(source)


def _json_lines(source: Path) -> list[dict[str, Any]]:
    rows = []
    problems = []
    with source.open(encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(
                    Problem(f"{source}: line {line_number}", "", f"is not JSON ({exc.msg})")
                )
                continue
            if not isinstance(row, dict):
                problems.append(
                    Problem(f"{source}: line {line_number}", "", "is not a JSON object")
                )
                continue
            rows.append(row)
    if problems:
        raise SchemaError(problems[:20])
    return rows


def file_kind(
    path: str | os.PathLike[str], requested: InputKind = "auto"
) -> Literal["events", "paths"]:
    """``"paths"`` for a path table (it has a ``path`` column), else ``"events"``."""
    if requested in ("events", "paths"):
        return requested
    if requested != "auto":
        msg = f"input must be 'auto', 'events' or 'paths' (got {requested!r})"
        raise ParameterError(msg)
    return "paths" if "path" in _columns_of(Path(path)) else "events"


def _columns_of(source: Path) -> list[str]:
    fmt = _format(source)
    if fmt == "parquet":
        import pyarrow.parquet as pq  # noqa: PLC0415

        return list(pq.ParquetFile(source).schema_arrow.names)
    with source.open(newline="", encoding="utf-8") as handle:
        if fmt == "csv":
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
    path: str | os.PathLike[str],
    *,
    input: InputKind = "auto",  # noqa: A002  # the CLI's word for it
    tz: tzinfo | str | None = None,
    **columns: Any,
) -> Journeys:
    r"""Read a whole events or paths file into journeys.

    Parameters
    ----------
    path : str or path
        ``.csv``, ``.parquet`` (needs pyarrow) or JSON lines (``.jsonl``, ``.ndjson``, ``.json``).
    input : {"auto", "events", "paths"}
        ``"auto"``: a file with a ``path`` column is a path table (:func:`~journeykit.read_paths`),
        else events (:func:`~journeykit.from_events`).
    tz : tzinfo or str, optional
        For naive event times.
    **columns
        Column options of :func:`~journeykit.from_events` or :func:`~journeykit.read_paths`.

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
    """
    kind = file_kind(path, input)
    if kind == "paths" and SUFFIXES.get(Path(path).suffix.lower()) == "csv":
        _format(Path(path))
        return read_paths(Path(path), **columns)
    table = read_table(path)
    if kind == "paths":
        return read_paths(table, **columns)
    return from_events(table, tz=tz, **columns)
