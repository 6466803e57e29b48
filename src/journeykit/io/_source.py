"""What every reader does first: tell a file from a table, and read a file by its format."""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, Literal

from journeykit.errors import MissingDependencyError, ParameterError, Problem, SchemaError
from journeykit.io._csv import read_csv
from journeykit.io._table import prepare

__all__ = [
    "SUFFIXES",
    "Columns",
    "FileFormat",
    "file_format",
    "is_file_source",
    "load",
    "parquet",
    "read_table",
    "resolve_columns",
]

FileFormat = Literal["csv", "parquet", "jsonl"]
SUFFIXES: Final[Mapping[str, FileFormat]] = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
"""File suffixes the readers understand (in any case), and their formats."""


def file_format(path: str | os.PathLike[str]) -> FileFormat:
    """The format of a file, from its suffix in any case: ``"csv"``, ``"parquet"`` or ``"jsonl"``.

    Raises
    ------
    SchemaError
        For a suffix no reader understands, naming the file and the suffixes there are.

    Examples
    --------
    >>> from journeykit.io.files import file_format
    >>> file_format("exports/E.PARQUET"), file_format("paths.csv"), file_format("x.NDJSON")
    ('parquet', 'csv', 'jsonl')
    """
    fmt = SUFFIXES.get(Path(path).suffix.lower())
    if fmt is None:
        known = ", ".join(SUFFIXES)
        raise SchemaError(
            [Problem(str(path), "", f"has an unknown suffix; expected one of {known}")]
        )
    return fmt


def is_file_source(source: Any) -> bool:
    """Whether a reader's ``source`` names a file (a path), rather than holding a table."""
    return isinstance(source, str | os.PathLike)


def read_table(path: str | os.PathLike[str], *, text: Collection[str] = ()) -> Any:
    """A file's rows as a pyarrow table (if pyarrow is installed), a dict of columns or rows.

    CSV without pyarrow (or with a ragged row) gives text columns, which the readers parse and
    whose errors name the row. JSON lines give one dict per line; a line that is not a JSON object
    is an error naming it.
    """
    source = Path(path)
    fmt = file_format(source)
    if not source.is_file():
        raise SchemaError(
            [Problem(str(source), "", "cannot be read: it does not exist or is not a file")]
        )
    if fmt == "parquet":
        import pyarrow as pa  # noqa: PLC0415  # parquet() checked that it is installed

        file = parquet(source)
        try:
            return file.read()
        except (OSError, ValueError, pa.ArrowException) as exc:
            problem = Problem(str(source), "", f"is a damaged Parquet file ({exc})")
            raise SchemaError([problem]) from None
    if fmt == "jsonl":
        return _json_lines(source)
    return read_csv(source, text=text)


def parquet(path: Path) -> Any:
    """A :class:`pyarrow.parquet.ParquetFile`; a file that is not Parquet is an error naming it."""
    try:
        import pyarrow as pa  # noqa: PLC0415  # Parquet needs pyarrow
        import pyarrow.parquet as pq  # noqa: PLC0415
    except ImportError:
        msg = f"reading {path.name} needs pyarrow: pip install pyarrow"
        raise MissingDependencyError(msg) from None
    try:
        return pq.ParquetFile(path)
    except (OSError, ValueError, pa.ArrowException) as exc:  # damaged metadata: OSError, bad names
        raise SchemaError([Problem(str(path), "", f"is not a Parquet file ({exc})")]) from None


def load(source: Any, *, text: Collection[str] = ()) -> Any:
    """What the readers open: a path read by its format, an open file read as CSV, else a table.

    The columns in ``text`` (IDs and labels) are read from CSV files as text, never as numbers.
    Tables go through :func:`~journeykit.io._table.prepare`, so that a DB-API cursor or an Arrow
    stream, which can be read only once, can be looked at by several readers in turn.
    """
    if is_file_source(source):
        return read_table(source, text=text)
    if hasattr(source, "read"):
        return read_csv(source)
    return prepare(source)


Columns = Mapping[str, str | None] | Sequence[str]
"""A reader's ``columns``: role -> source column name (a sequence of names maps each to itself)."""


def resolve_columns(
    columns: Columns | None,
    keywords: Mapping[str, str | None],
    defaults: Mapping[str, str | None],
    *,
    required: Collection[str],
) -> tuple[dict[str, str | None], dict[str, str]]:
    """The source column of every built-in role, and the extra roles, from both spellings.

    ``keywords`` are the role keywords as passed (``journey="user"``), ``defaults`` their
    defaults. A role named both ways must name the same column; ``None`` leaves out a built-in
    role that is not ``required``. Roles of ``columns`` that are not built-in are returned apart
    (extra categorical columns to carry, under the role's name).
    """
    if isinstance(columns, str):
        msg = f"columns maps roles to column names (got the string {columns!r})"
        raise ParameterError(msg)
    given: dict[str, str | None] = (
        dict(columns) if isinstance(columns, Mapping) else {name: name for name in columns or ()}
    )
    bad = [
        role
        for role, column in given.items()
        if (column is None and (role in required or role not in keywords))
        or (column is not None and (not isinstance(column, str) or not column))
    ]
    if bad:
        msg = f"columns maps each role to a column name; {bad[0]!r} has {given[bad[0]]!r}"
        raise ParameterError(msg)
    chosen = dict(keywords)
    for role in given.keys() & keywords.keys():
        if keywords[role] != defaults[role] and keywords[role] != given[role]:
            msg = f"{role}={keywords[role]!r} and columns[{role!r}]={given[role]!r} disagree"
            raise ParameterError(msg)
        chosen[role] = given[role]
    extra = {role: str(column) for role, column in given.items() if role not in keywords}
    return chosen, extra


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
