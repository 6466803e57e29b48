"""Reading a whole CSV file: with pyarrow when it is installed, else with the standard library."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from typing import Any, TextIO

from journeykit.errors import Problem, SchemaError

__all__ = ["csv_columns", "read_csv"]


def read_csv(source: Any) -> Any:
    """A CSV as a pyarrow table when pyarrow is installed (fast), else as columns of text."""
    if isinstance(source, str | os.PathLike):
        try:
            from pyarrow import csv as pa_csv  # noqa: PLC0415  # optional speed-up
        except ImportError:
            return csv_columns(source)
        try:
            # Columns with a bad cell come back as text; the readers then name the bad rows.
            return pa_csv.read_csv(source)
        except (OSError, ValueError):
            pass  # unreadable or ragged: the plain reader names the problem
    return csv_columns(source)


def csv_columns(source: Any) -> dict[str, list[str]]:
    """A CSV (path or file object) as text columns, read with the standard library."""
    handle: TextIO
    try:
        if hasattr(source, "read"):
            text = source.read()
            handle = io.StringIO(text.decode() if isinstance(text, bytes) else text)
        else:
            handle = open(source, newline="", encoding="utf-8")  # noqa: SIM115, PTH123  # closed below
    except OSError as exc:
        raise SchemaError([Problem(str(source), "", f"cannot be read ({exc.strerror})")]) from None
    name = str(getattr(source, "name", source))
    try:
        with handle:
            return _columns(csv.reader(handle), name)
    except UnicodeDecodeError as exc:
        message = f"is not UTF-8 text (byte {exc.start}); is it a CSV file?"
        raise SchemaError([Problem(name, "", message)]) from None


def _columns(reader: Iterator[list[str]], name: str) -> dict[str, list[str]]:
    header = next(reader, None)
    if header is None:
        raise SchemaError([Problem(name, "", "is empty: no header row")])
    columns: dict[str, list[str]] = {column.strip(): [] for column in header}
    names = list(columns)
    for number, record in enumerate(reader):
        if len(record) != len(names):
            message = f"has {len(record)} fields but the header has {len(names)}"
            raise SchemaError([Problem(f"row {number}", "", message)])
        for column, cell in zip(names, record, strict=True):
            columns[column].append(cell)
    return columns
