"""Whole-file and chunked reads of the same CSV give the same journeys or the same error."""

from __future__ import annotations

import bz2
import gzip
import lzma
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import journeykit as jk
from journeykit.io._csv import csv_columns
from journeykit.io.files import read_journeys
from journeykit.streaming import attribute_file

HEADER = "journey_id,timestamp,channel,converted,value\n"
ROW = "j,2024-01-01T00:00:00Z,a,true,1\n"


def _whole(path: Path, **options: Any) -> tuple[int, float]:
    journeys = read_journeys(path, **options)
    return journeys.n_journeys, journeys.total_value


def _chunked(path: Path, **options: Any) -> tuple[int, float]:
    result = attribute_file(path, "linear", chunk_rows=1, **options)
    return result.n_journeys, result.total_value


def _plain(path: Path, **options: Any) -> tuple[int, float]:
    journeys = jk.from_events(csv_columns(path), **options)  # the reader without pyarrow
    return journeys.n_journeys, journeys.total_value


READERS: list[Callable[..., tuple[int, float]]] = [_whole, _chunked, _plain]


def _write(tmp_path: Path, text: str, name: str = "events.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("read", READERS, ids=lambda r: r.__name__)
def test_ids_are_always_text(tmp_path: Path, read: Callable[..., tuple[int, float]]) -> None:
    # Before: the whole-file reader let pyarrow read IDs as numbers, merging 007 and 7.
    text = HEADER + "007,2024-01-01T00:00:00Z,a,true,1\n7,2024-01-02T00:00:00Z,b,true,2\n"
    assert read(_write(tmp_path, text)) == (2, 3.0)


@pytest.mark.parametrize("read", READERS, ids=lambda r: r.__name__)
@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("j,2024-01-01T00:00:00Z,a,true,1,000\n", r"row 0: has 6 fields but the header has 5"),
        (ROW + "k,2024-01-01T00:00:00Z,a,true\n", r"row 1: has 4 fields but the header has 5"),
    ],
)
def test_a_row_with_the_wrong_field_count_is_an_error_in_every_reader(
    tmp_path: Path, read: Callable[..., tuple[int, float]], body: str, fragment: str
) -> None:
    # Before: with chunk_rows the extra field was dropped and the value read as 1.0.
    with pytest.raises(jk.SchemaError, match=fragment):
        read(_write(tmp_path, HEADER + body))


@pytest.mark.parametrize("read", READERS, ids=lambda r: r.__name__)
def test_a_huge_cell_is_read(tmp_path: Path, read: Callable[..., tuple[int, float]]) -> None:
    # Before: the chunked reader crashed with _csv.Error (field larger than field limit).
    text = HEADER + "j,2024-01-01T00:00:00Z," + "x" * 200_000 + ",true,1\n"
    assert read(_write(tmp_path, text)) == (1, 1.0)


@pytest.mark.parametrize("read", READERS, ids=lambda r: r.__name__)
@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress, lzma.compress])
def test_compressed_files_are_known_by_their_bytes(
    tmp_path: Path, read: Callable[..., tuple[int, float]], compress: Callable[[bytes], bytes]
) -> None:
    # Before: a gzip file named .csv raised UnicodeDecodeError.
    path = tmp_path / "events.csv"
    path.write_bytes(compress((HEADER + ROW).encode()))
    assert read(path) == (1, 1.0)


@pytest.mark.parametrize("read", READERS, ids=lambda r: r.__name__)
@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"PK\x03\x04rest", r"events\.csv: is a zip archive, not CSV text"),
        ((HEADER + "j,2024-01-01T00:00:00Z,caf\xe9,true,1\n").encode("latin-1"), "offset 71"),
        (HEADER.encode() + b"j,2024-01-01T00:00:00Z,\xff,true,1\n", "offset 68"),
    ],
)
def test_bytes_that_are_not_utf8_csv_name_the_file_and_offset(
    tmp_path: Path, read: Callable[..., tuple[int, float]], content: bytes, fragment: str
) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(content)
    with pytest.raises(jk.SchemaError, match=fragment) as info:
        read(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("read", READERS, ids=lambda r: r.__name__)
@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        ("journey_id,timestamp,channel,channel,converted,value", "channel is a column name used"),
        ("journey_id,timestamp,,channel,converted,value", "has an empty column name"),
    ],
)
def test_header_problems_are_errors(
    tmp_path: Path, read: Callable[..., tuple[int, float]], header: str, fragment: str
) -> None:
    path = _write(tmp_path, header + "\nj,2024-01-01T00:00:00Z,a,b,true,1\n")
    with pytest.raises(jk.SchemaError, match=fragment):
        read(path)


@pytest.mark.parametrize("read", READERS, ids=lambda r: r.__name__)
@pytest.mark.parametrize(
    ("moment", "fragment"),
    [
        ("2024-03-31 02:30:00", "row 1: timestamp does not exist in Europe/Berlin"),
        ("2024-10-27 02:30:00", "row 1: timestamp is ambiguous in Europe/Berlin"),
    ],
)
def test_naive_times_in_a_daylight_saving_change_name_the_row(
    tmp_path: Path, read: Callable[..., tuple[int, float]], moment: str, fragment: str
) -> None:
    # Before: ArrowInvalid from the whole-file reader, a silent guess from the chunked one.
    text = HEADER + "i,2024-03-01 10:00:00,a,true,1\n" + f"j,{moment},a,true,1\n"
    with pytest.raises(jk.SchemaError, match=fragment):
        read(_write(tmp_path, text), tz="Europe/Berlin")


@pytest.mark.parametrize("read", READERS, ids=lambda r: r.__name__)
def test_times_next_to_a_change_are_read(
    tmp_path: Path, read: Callable[..., tuple[int, float]]
) -> None:
    text = HEADER + "i,2024-03-31 01:59:59,a,true,1\nj,2024-03-31 03:00:00,a,true,1\n"
    assert read(_write(tmp_path, text), tz="Europe/Berlin") == (2, 2.0)


def test_a_byte_order_mark_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + ROW).encode())
    assert _whole(path) == _chunked(path) == _plain(path) == (1, 1.0)


def test_a_list_typed_parquet_column_is_a_schema_error(tmp_path: Path) -> None:
    # Before: ArrowNotImplementedError from the frame library.
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.table(
        {
            "journey_id": [["a", "b"]],
            "timestamp": ["2024-01-01T00:00:00Z"],
            "channel": ["a"],
            "converted": [True],
            "value": [1.0],
        }
    )
    path = tmp_path / "events.parquet"
    pq.write_table(table, path)
    with pytest.raises(jk.SchemaError, match="journey_id"):
        read_journeys(path)


@pytest.mark.parametrize("backend", ["pandas", "polars"])
def test_naive_frame_times_in_a_gap_name_the_row(backend: str) -> None:
    # Before: the frame library's own error (pandas, polars or pyarrow, by frame).
    module = pytest.importorskip(backend)
    from datetime import datetime  # noqa: PLC0415

    data = {
        "journey_id": ["i", "j"],
        "timestamp": [datetime(2024, 3, 1, 10), datetime(2024, 3, 31, 2, 30)],
        "channel": ["a", "a"],
        "converted": [True, True],
        "value": [1.0, 1.0],
    }
    frame = module.DataFrame(data)
    with pytest.raises(jk.SchemaError, match="row 1: timestamp does not exist in Europe/Berlin"):
        jk.from_events(frame, tz="Europe/Berlin")
