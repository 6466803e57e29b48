"""The readers' one calling convention: ``source`` first, the same option names, formats by suffix."""

from __future__ import annotations

import csv
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import journeykit as jk
from journeykit.errors import ParameterError
from journeykit.io.files import file_format, read_journeys

EVENTS = [
    {"user": "u1", "ts": "2024-03-01T09:00:00+00:00", "channel": "ad", "converted": False,
     "value": None, "Segment Name": "smb"},
    {"user": "u1", "ts": "2024-03-02T10:00:00+00:00", "channel": "email", "converted": True,
     "value": 120.0, "Segment Name": "smb"},
    {"user": "u2", "ts": "2024-03-01T12:00:00+00:00", "channel": "ad", "converted": False,
     "value": None, "Segment Name": "ent"},
]  # fmt: skip
PATHS = [
    {"route": "search > email", "n": 3, "total_null": 2},
    {"route": "direct", "n": 2, "total_null": 1},
]
READERS: list[Callable[..., jk.Journeys]] = [jk.from_events, jk.read_paths, read_journeys]


def same(a: jk.Journeys, b: jk.Journeys) -> None:
    assert repr(a) == repr(b)
    assert np.array_equal(a.offsets, b.offsets)
    assert np.array_equal(a.channel.codes, b.channel.codes)
    assert a.channel.labels == b.channel.labels
    assert np.array_equal(a.value, b.value)


@pytest.mark.parametrize("reader", READERS, ids=lambda r: r.__name__)
def test_every_reader_takes_source_first_and_by_position_only(
    reader: Callable[..., jk.Journeys],
) -> None:
    parameters = list(inspect.signature(reader).parameters.values())
    assert parameters[0].name == "source"
    assert parameters[0].kind is inspect.Parameter.POSITIONAL_ONLY
    others = {p.name: p for p in parameters[1:]}
    assert all(p.kind is not inspect.Parameter.POSITIONAL_OR_KEYWORD for p in others.values())
    assert others["columns"].default is None  # the same role -> column mapping everywhere
    if reader is not jk.read_paths:  # path tables have no times
        assert others["tz"].default is None


def test_the_format_comes_from_the_suffix_in_any_case() -> None:
    assert file_format("E.PARQUET") == "parquet"
    assert file_format(Path("x.Pq")) == "parquet"
    assert file_format("events.CSV") == "csv"
    assert file_format("a.NDJSON") == file_format("b.json") == "jsonl"
    with pytest.raises(jk.SchemaError, match=r"events\.xlsx: has an unknown suffix"):
        file_format("events.xlsx")


def test_every_reader_reads_an_upper_case_parquet_file(tmp_path: Path) -> None:
    events, paths = tmp_path / "E.PARQUET", tmp_path / "P.PARQUET"
    pq.write_table(pa.Table.from_pylist(EVENTS), events)
    pq.write_table(pa.Table.from_pylist(PATHS), paths)
    expected = jk.from_events(EVENTS, columns={"journey": "user", "time": "ts"})
    same(jk.from_events(events, columns={"journey": "user", "time": "ts"}), expected)
    same(read_journeys(events, columns={"journey": "user", "time": "ts"}), expected)
    expected_paths = jk.read_paths(PATHS, columns={"path": "route", "conversions": "n"})
    same(jk.read_paths(paths, columns={"path": "route", "conversions": "n"}), expected_paths)
    same(read_journeys(paths, columns={"path": "route", "conversions": "n"}), expected_paths)


def test_every_reader_reads_a_json_lines_file(tmp_path: Path) -> None:
    import json  # noqa: PLC0415

    target = tmp_path / "paths.JSONL"
    target.write_text("".join(json.dumps(row) + "\n" for row in PATHS))
    columns = {"path": "route", "conversions": "n"}
    same(jk.read_paths(target, columns=columns), jk.read_paths(PATHS, columns=columns))


def test_columns_maps_roles_to_columns_like_the_role_keywords() -> None:
    by_keyword = jk.from_events(EVENTS, journey="user", time="ts")
    by_mapping = jk.from_events(EVENTS, columns={"journey": "user", "time": "ts"})
    same(by_keyword, by_mapping)
    both = jk.from_events(EVENTS, journey="user", columns={"journey": "user", "time": "ts"})
    same(both, by_keyword)
    with pytest.raises(ParameterError, match=r"journey='id' and columns\['journey'\]='user'"):
        jk.from_events(EVENTS, journey="id", columns={"journey": "user"})
    same(
        jk.read_paths(PATHS, path="route", conversions="n"),
        jk.read_paths(PATHS, columns={"path": "route", "conversions": "n"}),
    )


def test_a_role_that_is_not_built_in_carries_a_column_under_its_name() -> None:
    journeys = jk.from_events(
        EVENTS, columns={"journey": "user", "time": "ts", "segment": "Segment Name"}
    )
    assert journeys.column("segment").values() == ["smb", "smb", "ent"]
    legacy = jk.from_events(EVENTS, journey="user", time="ts", columns=["Segment Name"])
    assert legacy.column("Segment Name").values() == ["smb", "smb", "ent"]


@pytest.mark.parametrize(
    ("reader", "columns", "message"),
    [
        (jk.read_paths, {"journey": "user"}, r"read_paths: columns takes the roles path, "),
        (jk.from_events, "user", "got the string 'user'"),
        (jk.from_events, {"journey": 3}, "'journey' has 3"),
    ],
)
def test_bad_columns_are_named(
    reader: Callable[..., jk.Journeys], columns: Any, message: str
) -> None:
    source = PATHS if reader is jk.read_paths else EVENTS
    with pytest.raises(ParameterError, match=message):
        reader(source, columns=columns)


def test_source_cannot_be_passed_by_keyword() -> None:
    with pytest.raises(TypeError):
        jk.from_events(frame=EVENTS)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        jk.read_paths(source=PATHS)  # type: ignore[call-arg]


def test_read_journeys_takes_tables_too_and_detects_paths_by_the_path_role() -> None:
    same(
        read_journeys(EVENTS, columns={"journey": "user", "time": "ts"}),
        jk.from_events(EVENTS, journey="user", time="ts"),
    )
    same(
        read_journeys(PATHS, columns={"path": "route", "conversions": "n"}),
        jk.read_paths(PATHS, path="route", conversions="n"),
    )
    with pytest.raises(ParameterError, match="sep is the channel separator of a path table"):
        read_journeys(EVENTS, columns={"journey": "user", "time": "ts"}, sep="|")


def test_read_journeys_role_keywords_still_work_with_a_warning(tmp_path: Path) -> None:
    with pytest.warns(DeprecationWarning, match=r"pass columns=\{role: column\} instead"):
        old = read_journeys(EVENTS, journey="user", time="ts")
    same(old, jk.from_events(EVENTS, journey="user", time="ts"))


def test_none_in_columns_leaves_out_an_optional_role_only() -> None:
    same(
        jk.from_events(EVENTS, columns={"journey": "user", "time": "ts", "value": None}),
        jk.from_events(EVENTS, journey="user", time="ts", value=None),
    )
    with pytest.raises(ParameterError, match="'journey' has None"):
        jk.from_events(EVENTS, columns={"journey": None})
    with pytest.raises(ParameterError, match="'segment' has None"):
        jk.from_events(EVENTS, columns={"journey": "user", "time": "ts", "segment": None})
    no_nulls = jk.read_paths(PATHS, columns={"path": "route", "conversions": "n", "nulls": None})
    assert no_nulls.nulls.sum() == 0


@pytest.mark.parametrize("reader", READERS, ids=lambda r: r.__name__)
def test_a_file_that_is_not_its_format_is_a_schema_error(
    tmp_path: Path, reader: Callable[..., jk.Journeys]
) -> None:
    fake = tmp_path / "paths.parquet"
    fake.write_text("path,total_conversions\na,1\n")
    with pytest.raises(jk.SchemaError, match=r"paths\.parquet: is not a Parquet file"):
        reader(fake)
    binary = tmp_path / "events.CSV"
    pq.write_table(pa.Table.from_pylist(PATHS), binary)  # Parquet bytes under a CSV name
    with pytest.raises(jk.SchemaError, match=r"events\.CSV: is a Parquet file, not CSV text"):
        reader(binary)


def test_every_reader_reads_an_open_csv_file() -> None:
    import io  # noqa: PLC0415

    text = "user,ts,channel,converted,value\nu1,2024-03-01T09:00:00+00:00,ad,true,5\n"
    row = {"user": "u1", "ts": "2024-03-01T09:00:00+00:00", "channel": "ad", "converted": "true"}
    columns = {"journey": "user", "time": "ts"}
    expected = jk.from_events([{**row, "value": "5"}], columns=columns)
    same(jk.from_events(io.StringIO(text), columns=columns), expected)
    same(read_journeys(io.StringIO(text), columns=columns), expected)


def test_as_of_must_be_an_aware_datetime() -> None:
    from datetime import UTC, datetime  # noqa: PLC0415

    rows = [{"journey_id": "a", "timestamp": "2024-01-01T00:00:00Z", "channel": "ad",
             "converted": False, "value": None}]  # fmt: skip
    with pytest.raises(jk.ParameterError, match="as_of must be a timezone-aware datetime"):
        jk.from_events(rows, as_of=datetime(2024, 2, 1))  # naive on purpose
    with pytest.raises(jk.ParameterError, match="as_of must be a timezone-aware datetime"):
        jk.from_events(rows, as_of="2024-02-01")  # type: ignore[arg-type]
    aware = jk.from_events(rows, as_of=datetime(2024, 2, 1, tzinfo=UTC))
    assert aware.as_of == jk.from_events(rows).time[0] + 31 * 86_400_000_000


def test_a_deprecated_role_keyword_set_to_none_leaves_the_role_out(tmp_path: Path) -> None:
    target = tmp_path / "e.csv"
    target.write_text(
        "journey_id,timestamp,channel,converted,value\na,2024-01-01T00:00:00Z,ad,true,5\n"
    )
    with pytest.warns(DeprecationWarning, match="is deprecated"):
        journeys = jk.io.read_journeys(target, value=None)
    assert journeys.total_value == 1.0  # the value column is not read: a conversion is worth 1


_BLANKS = " \t\u00a0\u3000\x0b\x1c\x85\u2028"


@settings(max_examples=40)
@given(
    st.lists(
        st.lists(
            st.tuples(st.sampled_from(["a", "b", "paid search", ""]), st.text(_BLANKS, max_size=2)),
            min_size=1,
            max_size=4,
        ),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from([">", " > ", "\t", "->"]),
)
def test_a_path_file_and_its_rows_split_alike(
    tmp_path_factory: pytest.TempPathFactory, paths: list[list[tuple[str, str]]], sep: str
) -> None:
    # The file's Arrow reader and the rows' reader trim the same blanks and refuse the same steps.
    texts = [sep.join(pad + step + pad for step, pad in path) for path in paths]
    rows = [{"path": text, "total_conversions": 1} for text in texts]
    file = tmp_path_factory.mktemp("paths") / "paths.csv"
    with file.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["path", "total_conversions"])
        writer.writeheader()
        writer.writerows(rows)

    def read(source: Any) -> Any:
        try:
            journeys = jk.read_paths(source, sep=sep)
        except jk.JourneykitError as error:
            return type(error).__name__
        return [j.channels for j in journeys]

    assert read(file) == read(rows)
