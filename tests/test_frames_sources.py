"""Readers take any table: lazy frames (DuckDB, Ibis, polars LazyFrame), Arrow streams, cursors.

Lazy sources are collected with only the columns a reader uses: the tests give them a column that
fails when it is computed, so reading it would raise.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from typing import Any

import pytest

import journeykit as jk
from journeykit.errors import MissingDependencyError, SchemaError
from journeykit.io._source import load
from journeykit.io._table import open_table
from journeykit.io.files import file_kind, read_journeys

EVENTS_SQL = """
    select * from (values
        ('u1', timestamptz '2024-03-01 09:00:00+00', 'ad',    false, null::double),
        ('u1', timestamptz '2024-03-02 10:00:00+00', 'email', true,  120.0),
        ('u2', timestamptz '2024-03-01 12:00:00+00', 'ad',    false, null)
    ) t(journey_id, timestamp, channel, converted, value)
"""
EXPECTED = "Journeys(n_journeys=2, n_touches=3, conversions=1, value=120, channels=2, columns=[])"


@pytest.fixture
def duckdb_connection() -> Iterator[Any]:
    duckdb = pytest.importorskip("duckdb")
    connection = duckdb.connect()
    connection.execute(f"create table events as {EVENTS_SQL}")
    yield connection
    connection.close()


def test_duckdb_relation_reads_only_the_columns_it_needs(duckdb_connection: Any) -> None:
    # error() raises when DuckDB evaluates it: collecting the junk column would fail
    relation = duckdb_connection.sql("select *, error('never read') as junk from events")
    journeys = jk.from_events(relation)
    assert repr(journeys) == EXPECTED
    assert journeys[0].channels == ("ad", "email")
    assert journeys[0].value == 120.0


def test_duckdb_relation_through_read_journeys_and_file_kind(duckdb_connection: Any) -> None:
    relation = duckdb_connection.sql("select * from events")
    assert file_kind(relation) == "events"
    assert repr(read_journeys(relation)) == EXPECTED
    paths = duckdb_connection.sql("select 'a > b' as path, 3 as total_conversions")
    assert read_journeys(paths).n_touches == 2


def test_duckdb_missing_column_lists_every_column(duckdb_connection: Any) -> None:
    relation = duckdb_connection.sql("select * from events")
    with pytest.raises(SchemaError, match=r"chan is a missing column .*'journey_id'.*'value'"):
        jk.from_events(relation, channel="chan")


def test_duckdb_cursor_after_execute(duckdb_connection: Any) -> None:
    assert repr(jk.from_events(duckdb_connection.execute("select * from events"))) == EXPECTED


def test_arrow_stream_from_duckdb_and_pyarrow(duckdb_connection: Any) -> None:
    pa = pytest.importorskip("pyarrow")
    relation = duckdb_connection.sql("select * from events")
    assert repr(jk.from_events(pa.RecordBatchReader.from_stream(relation))) == EXPECTED
    # read_journeys looks at the stream's columns first: it must not use the stream up
    assert repr(read_journeys(pa.RecordBatchReader.from_stream(relation))) == EXPECTED


def test_arrow_stream_is_read_batch_by_batch_with_only_the_used_columns() -> None:
    pa = pytest.importorskip("pyarrow")
    rows, batches, width = 10_000, 8, 200
    schema = pa.schema([("journey_id", pa.int8()), ("junk", pa.binary(width))])
    held: list[int] = []  # bytes pyarrow holds as each batch is made, above the start

    def produce() -> Iterator[Any]:
        start = pa.total_allocated_bytes()
        for _ in range(batches):
            held.append(pa.total_allocated_bytes() - start)
            ids = pa.repeat(pa.scalar(1, pa.int8()), rows)  # 10 kB, kept
            junk = pa.repeat(pa.scalar(b"x" * width, pa.binary(width)), rows)  # 2 MB, unused
            yield pa.record_batch([ids, junk], schema=schema)

    reader = pa.RecordBatchReader.from_batches(schema, produce())
    opened = open_table(reader, columns=["journey_id"])
    assert opened.names == ["journey_id", "junk"]
    assert opened.n_rows == rows * batches
    assert list(opened.frame.columns) == ["journey_id"]  # type: ignore[attr-defined]
    # Holding the batches as they came would hold every junk column (7 of them by the last).
    assert len(held) == batches
    assert max(held) < 3 * rows * width, held


def _one_touch() -> Any:
    pa = pytest.importorskip("pyarrow")
    return pa.table({"journey_id": ["u1"], "timestamp": ["2024-03-01T09:00:00+00:00"],
                     "channel": ["ad"], "converted": [True]})  # fmt: skip


READ = r"^table: this Arrow stream has already been read \(it yields no batches\): pass a new"


def test_an_arrow_stream_can_be_read_once() -> None:
    stream = load(_one_touch().to_reader())
    assert jk.from_events(stream, value=None).n_journeys == 1
    with pytest.raises(SchemaError, match=READ):
        jk.from_events(stream, value=None)


def test_a_record_batch_reader_read_twice_says_it_has_been_read() -> None:
    reader = _one_touch().to_reader()
    assert jk.from_events(reader, value=None).n_journeys == 1
    with pytest.raises(SchemaError, match=READ):  # not "journey_id cannot be read (ArrowTypeError"
        jk.from_events(reader, value=None)


def test_an_empty_pyarrow_table_reads_as_no_journeys() -> None:
    empty = _one_touch().slice(0, 0)
    assert repr(jk.from_events(empty, value=None)) == (
        "Journeys(n_journeys=0, n_touches=0, conversions=0, value=0, channels=0, columns=[])"
    )
    assert jk.from_events(empty, value=None, team="channel").n_journeys == 0


def test_arrow_stream_without_pyarrow_names_the_dependency(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Stream:
        def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
            raise AssertionError("never called without pyarrow")

    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(MissingDependencyError, match=r"Stream \(an Arrow stream\) needs pyarrow"):
        jk.from_events(Stream())


def test_polars_lazyframe_collects_only_the_used_columns() -> None:
    pl = pytest.importorskip("polars")
    lazy = pl.LazyFrame(
        {
            "journey_id": ["u1", "u1", "u2"],
            "timestamp": [
                "2024-03-01T09:00:00+00:00",
                "2024-03-02T10:00:00+00:00",
                "2024-03-01T12:00:00+00:00",
            ],
            "channel": ["ad", "email", "ad"],
            "converted": [False, True, False],
            "value": [None, 120.0, None],
            "junk": ["x", "y", "z"],
        }
    ).with_columns(junk=pl.col("junk").str.to_integer(strict=True))  # fails when computed
    with pytest.raises(pl.exceptions.ComputeError):
        lazy.collect()
    assert repr(jk.from_events(lazy)) == EXPECTED


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # ibis calls DuckDB's old names
def test_ibis_table(duckdb_connection: Any) -> None:
    ibis = pytest.importorskip("ibis")
    table = ibis.duckdb.from_connection(duckdb_connection).table("events")
    assert repr(jk.from_events(table)) == EXPECTED


def test_sqlite_cursor() -> None:
    connection = sqlite3.connect(":memory:")
    connection.execute(
        "create table events (journey_id text, timestamp text, channel text, converted integer,"
        " value real)"
    )
    connection.executemany(
        "insert into events values (?, ?, ?, ?, ?)",
        [
            ("u1", "2024-03-01T09:00:00+00:00", "ad", 0, None),
            ("u1", "2024-03-02T10:00:00+00:00", "email", 1, 120.0),
            ("u2", "2024-03-01T12:00:00+00:00", "ad", 0, None),
        ],
    )
    assert repr(jk.from_events(connection.execute("select * from events"))) == EXPECTED
    assert repr(read_journeys(connection.execute("select * from events"))) == EXPECTED
    connection.close()


@pytest.mark.parametrize("source", [object(), 42, b"not a path"])
def test_unsupported_sources_name_their_type_and_what_is_accepted(source: Any) -> None:
    with pytest.raises(SchemaError) as caught:
        jk.from_events(source)
    message = str(caught.value)
    assert f"cannot read a source of type {type(source).__qualname__}" in message
    for accepted in ("DuckDB relation", "__arrow_c_stream__", "DB-API cursor", "list of dicts"):
        assert accepted in message


REPEATED_SQL = (
    "select journey_id, timestamp, channel, converted, value, 'zz' as channel from events"
)


def _repeated_sources(connection: Any) -> dict[str, Any]:
    pa = pytest.importorskip("pyarrow")
    pd = pytest.importorskip("pandas")
    table = pa.RecordBatchReader.from_stream(connection.sql(REPEATED_SQL)).read_all()
    return {
        "DuckDB cursor": connection.execute(REPEATED_SQL),
        "DuckDB relation": connection.sql(REPEATED_SQL),
        "Arrow stream": table.to_reader(),
        "pyarrow table": table,
        "pandas frame": pd.DataFrame([c.to_pylist() for c in table.columns]).T.set_axis(
            table.column_names, axis=1
        ),
    }


@pytest.mark.parametrize(
    "kind", ["DuckDB cursor", "DuckDB relation", "Arrow stream", "pyarrow table", "pandas frame"]
)
def test_a_repeated_column_name_is_an_error_naming_it(duckdb_connection: Any, kind: str) -> None:
    # each library picked a different one of the two channel columns, or blamed another column
    source = _repeated_sources(duckdb_connection)[kind]
    with pytest.raises(SchemaError, match=r"^table: channel names 2 columns of .*its own name"):
        jk.from_events(source)


def test_a_repeated_column_name_in_a_sqlite_cursor_is_an_error_naming_it() -> None:
    connection = sqlite3.connect(":memory:")
    cursor = connection.execute("select 'u1' as journey_id, 'ad' as channel, 'zz' as channel")
    with pytest.raises(SchemaError, match=r"channel names 2 columns of a DB-API cursor"):
        jk.from_events(cursor)
    connection.close()


def test_a_cursor_without_a_result_set_says_to_execute_a_select(duckdb_connection: Any) -> None:
    connection = sqlite3.connect(":memory:")
    connection.execute("create table events (journey_id text)")
    inserted = connection.execute("insert into events values ('u1')")
    for cursor in (connection.cursor(), inserted, duckdb_connection.cursor()):
        with pytest.raises(SchemaError) as caught:
            jk.from_events(cursor)
        assert str(caught.value) == (
            "table: a DB-API cursor with no result set: call execute() with a SELECT first"
        )
    connection.close()
