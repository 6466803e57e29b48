"""The one CSV core: every CSV read, whole or in chunks, goes through the rules here.

- **Bytes**: a file is recognised by its first bytes, not its name: gzip, bzip2 and xz are
  decompressed; a zip, zstd or Parquet file named ``.csv`` is an error naming the file.
- **Text**: UTF-8 (a byte order mark is skipped); anything else is an error naming the file and
  the byte offset of the first bad byte.
- **Shape**: blank lines are skipped (rows are numbered without them); header names are
  stripped of surrounding white space and must be distinct and non-empty; every row must have
  as many fields as the header (an error naming the row); a cell may hold up to
  :data:`MAX_CELL` characters.
- **Characters**: a NUL character in a cell is an error naming the row (binary, not text).
- **Blanks**: a cell that is empty or only white space is missing, in every reader.
- **Types**: the columns the reader names as text (IDs and categories) are always read as text,
  so journeys ``007`` and ``7`` stay apart; numbers and times are parsed by the readers.
"""

from __future__ import annotations

import bz2
import codecs
import csv
import gzip
import io
import itertools
import lzma
import os
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import IO, Any, Final, cast

from journeykit.errors import Problem, SchemaError

__all__ = [
    "MAX_CELL",
    "bad_text",
    "check_header",
    "csv_columns",
    "csv_rows",
    "open_bytes",
    "read_csv",
]

MAX_CELL: Final = 16 << 20
"""The most characters one CSV cell may hold (16 Mi): long notes and paths, not a runaway file."""

_COMPRESSED: Final = ((b"\x1f\x8b", gzip.open), (b"BZh", bz2.open), (b"\xfd7zXZ\x00", lzma.open))
_NOT_CSV: Final = (
    (b"PK\x03\x04", "a zip archive"),
    (b"(\xb5/\xfd", "a zstd-compressed file"),
    (b"PAR1", "a Parquet file"),
)


def open_bytes(path: str | os.PathLike[str]) -> IO[bytes]:
    """A file's bytes, decompressed when its first bytes say it is compressed."""
    name = str(path)
    try:
        with Path(path).open("rb") as probe:
            magic = probe.read(6)
        for prefix, opener in _COMPRESSED:
            if magic.startswith(prefix):
                return cast("IO[bytes]", opener(path, "rb"))
        for prefix, what in _NOT_CSV:
            if magic.startswith(prefix):
                raise SchemaError([Problem(name, "", f"is {what}, not CSV text")])
        return Path(path).open("rb")
    except OSError as exc:
        raise SchemaError([Problem(name, "", f"cannot be read ({exc.strerror})")]) from None


def read_csv(source: Any, *, text: Collection[str] = ()) -> Any:
    """A CSV as a pyarrow table when pyarrow is installed (fast), else as columns of text.

    The columns named in ``text`` are read as text by either reader.
    """
    if isinstance(source, str | os.PathLike):
        try:
            import pyarrow as pa  # noqa: PLC0415
            from pyarrow import csv as pa_csv  # noqa: PLC0415  # optional speed-up
        except ImportError:
            return csv_columns(source)
        try:
            with open_bytes(source) as handle:
                # An empty cell is missing in every column; "NA" or "null" is text, as in the
                # plain reader (a channel may be called "NA").
                options = pa_csv.ConvertOptions(
                    column_types=dict.fromkeys(text, pa.string()),
                    null_values=[""],
                    strings_can_be_null=True,
                )
                parse = pa_csv.ParseOptions(newlines_in_values=True)
                # Columns with a bad cell come back as text; the readers then name the bad rows.
                table = pa_csv.read_csv(handle, parse_options=parse, convert_options=options)
            if bad_text(table):
                return csv_columns(source)  # not UTF-8 (Arrow kept bytes) or NULs: name the row
            check_header(table.column_names, str(source))
            return table.rename_columns([c.strip() for c in table.column_names])
        except (OSError, ValueError, EOFError, lzma.LZMAError):
            pass  # unreadable, ragged or not UTF-8: the plain reader names the problem
    return csv_columns(source)


def csv_columns(source: Any) -> dict[str, list[str]]:
    """A CSV (path or file object) as text columns, read with the standard library."""
    columns: dict[str, list[str]] = {}
    header: list[str] = []
    for chunk_header, rows in csv_rows(source, chunk_rows=1 << 16):
        if not columns:
            header = chunk_header
            columns = {name: [] for name in header}
        for i, name in enumerate(header):
            columns[name].extend(row[i] for row in rows)
    return columns


def csv_rows(
    source: Any, *, chunk_rows: int, progress: Callable[[float], None] | None = None
) -> Iterator[tuple[list[str], list[list[str]]]]:
    """The header and the rows of a CSV in chunks of at most ``chunk_rows`` rows, all checked.

    Yields the header with every chunk (the first chunk may be empty, for a header-only file).
    ``progress`` gets the fraction of the file's bytes read after each chunk.
    """
    name = (
        str(source) if isinstance(source, str | os.PathLike) else str(getattr(source, "name", ""))
    )
    if hasattr(source, "read"):
        content = source.read()
        raw: IO[bytes] = io.BytesIO(content.encode() if isinstance(content, str) else content)
    else:
        raw = open_bytes(source)
    with raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as handle:
        limit = csv.field_size_limit()
        csv.field_size_limit(max(limit, MAX_CELL))
        try:
            size = (
                max(Path(source).stat().st_size, 1) if isinstance(source, str | os.PathLike) else 0
            )
            for chunk in _chunks(csv.reader(handle), name, chunk_rows):
                yield chunk
                if progress is not None and size:
                    # The compressed file's offset: the text layer refuses tell() mid-iteration.
                    progress(min(_compressed_offset(raw) / size, 1.0))
        except UnicodeDecodeError:
            offset = _first_bad_byte(source)
            message = f"is not UTF-8 text (bad byte at offset {offset}); save it as UTF-8 CSV"
            raise SchemaError([Problem(name, "", message)]) from None
        finally:
            csv.field_size_limit(limit)


def _chunks(
    reader: Iterator[list[str]], name: str, chunk_rows: int
) -> Iterator[tuple[list[str], list[list[str]]]]:
    first = next((record for record in reader if record), None)  # blank lines are skipped
    if first is None:
        raise SchemaError([Problem(name, "", "is empty: no header row")])
    header = [column.strip() for column in first]
    check_header(header, name)
    width = len(header)
    rows: list[list[str]] = []
    number = 0
    yielded = False
    while True:
        try:
            record = next(reader, None)
        except csv.Error as exc:
            message = f"cannot be read as CSV ({exc}; a cell holds at most {MAX_CELL} characters)"
            raise SchemaError([Problem(f"{name}: row {number}", "", message)]) from None
        if record is None:
            break
        if not record:
            continue  # a blank line, skipped as pyarrow does (rows count without them)
        if len(record) != width:
            message = f"has {len(record)} fields but the header has {width}"
            raise SchemaError([Problem(f"row {number}", "", message)])
        rows.append(record)
        number += 1
        if len(rows) == chunk_rows:
            _no_nul(header, rows, number - len(rows))
            yield header, rows
            yielded, rows = True, []
    if rows or not yielded:
        _no_nul(header, rows, number - len(rows))
        yield header, rows


def _no_nul(header: list[str], rows: list[list[str]], first: int) -> None:
    """Fail naming the first row and column holding a NUL (one C-level scan per chunk)."""
    if "\x00" not in "".join(itertools.chain.from_iterable(rows)):
        return
    at = next(i for i, row in enumerate(rows) if any("\x00" in cell for cell in row))
    column = header[next(i for i, cell in enumerate(rows[at]) if "\x00" in cell)]
    message = "holds a NUL character (is this a binary file?)"
    raise SchemaError([Problem(f"row {first + at}", column, message)])


def bad_text(table: Any) -> bool:
    """Whether a pyarrow table read from CSV holds bytes that are not UTF-8 or a NUL character."""
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.compute as pc  # noqa: PLC0415

    if any(pa.types.is_binary(t) for t in table.schema.types):  # Arrow keeps non-UTF-8 as bytes
        return True
    return any(
        pa.types.is_string(column.type) and pc.any(pc.match_substring(column, "\x00")).as_py()
        for column in table.columns
    )


def _compressed_offset(raw: IO[bytes]) -> int:
    inner = getattr(raw, "fileobj", None) or getattr(raw, "_fp", None)  # gzip, bz2/xz
    try:
        return int((inner if inner is not None else raw).tell())
    except (OSError, ValueError, AttributeError):
        return 0


def check_header(header: list[str], name: str) -> None:
    """Fail naming the file for an empty or repeated column name."""
    stripped = [column.strip() for column in header]
    if any(not column for column in stripped):
        position = next(i for i, column in enumerate(stripped) if not column)
        message = f"has an empty column name in its header (column {position})"
        raise SchemaError([Problem(name, "", message)])
    seen: set[str] = set()
    for column in stripped:
        if column in seen:
            raise SchemaError([Problem(name, column, "is a column name used twice in the header")])
        seen.add(column)


def _first_bad_byte(source: Any) -> int:
    """The offset of the first byte that is not UTF-8 (of the decompressed text)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    if hasattr(source, "seek"):
        source.seek(0)
        handle: IO[bytes] = io.BytesIO(source.read())
    else:
        handle = open_bytes(source)
    with handle:
        while block := handle.read(1 << 16):
            pending = len(decoder.getstate()[0])  # bytes of a character cut by the last block
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                return offset - pending + exc.start
            offset += len(block)
    return offset
