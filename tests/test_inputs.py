"""from_events and read_paths: every backend, every documented rule, every bad input named."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import journeykit as jk

EVENTS: list[dict[str, Any]] = [
    {
        "journey_id": "u2",
        "timestamp": "2024-03-01T12:00:00+00:00",
        "channel": "ad",
        "converted": False,
        "value": None,
    },
    {
        "journey_id": "u1",
        "timestamp": "2024-03-02T10:00:00+00:00",
        "channel": "email",
        "converted": True,
        "value": 120.0,
    },
    {
        "journey_id": "u1",
        "timestamp": "2024-03-01T09:00:00+00:00",
        "channel": "ad",
        "converted": False,
        "value": None,
    },
    {
        "journey_id": "u1",
        "timestamp": "2024-03-03T09:00:00+00:00",
        "channel": "social",
        "converted": False,
        "value": None,
    },
]


def frame(kind: str, rows: list[dict[str, Any]] = EVENTS) -> Any:
    if kind == "rows":
        return rows
    df = pd.DataFrame(rows)
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True)
    if kind == "pandas":
        return df
    if kind == "polars":
        return pl.from_pandas(df)
    return pa.Table.from_pandas(df, preserve_index=False)


@pytest.mark.parametrize("kind", ["rows", "pandas", "polars", "pyarrow"])
def test_from_events_every_backend_gives_the_same_journeys(kind: str) -> None:
    journeys = jk.from_events(frame(kind))
    assert [(j.id, j.channels, j.conversions, j.value) for j in journeys] == [
        ("u1", ("ad", "email"), 1.0, 120.0),
        ("u1", ("social",), 0.0, 0.0),  # touches after the conversion start a new journey
        ("u2", ("ad",), 0.0, 0.0),
    ]
    assert journeys[0].times[0] == datetime(2024, 3, 1, 9, tzinfo=UTC)
    assert journeys[0].goal_time == datetime(2024, 3, 2, 10, tzinfo=UTC)
    assert journeys.nulls.tolist() == [0.0, 1.0, 1.0]


def test_from_events_dict_of_columns() -> None:
    columns = {key: [row[key] for row in EVENTS] for key in EVENTS[0]}
    assert jk.from_events(columns).n_touches == 4


def test_two_conversions_make_two_converting_journeys() -> None:
    rows = [
        {
            "journey_id": "u",
            "timestamp": f"2024-01-0{d}T00:00:00Z",
            "channel": c,
            "converted": conv,
            "value": v,
        }
        for d, c, conv, v in [
            (1, "a", False, None),
            (2, "b", True, 10),
            (3, "c", False, None),
            (4, "d", True, 5),
        ]
    ]
    journeys = jk.from_events(rows)
    assert [(j.channels, j.value) for j in journeys] == [(("a", "b"), 10.0), (("c", "d"), 5.0)]
    credit = jk.attribute(journeys, "linear").by("journey", measure="value")
    assert dict(credit) == {"u": 15.0}
    with pytest.raises(
        jk.ValidationError, match=r"row 1: converted journey 'u' has touches after this conversion"
    ):
        jk.from_events(rows, after_conversion="error")


def test_ties_keep_input_order_and_order_of_rows_does_not_matter() -> None:
    rows = [
        {
            "journey_id": "u",
            "timestamp": "2024-01-01T00:00:00Z",
            "channel": c,
            "converted": c == "z",
            "value": 1 if c == "z" else None,
        }
        for c in ["m", "a", "z"]
    ]
    assert jk.from_events(rows)[0].channels == ("m", "a", "z")
    shuffled = [EVENTS[i] for i in (3, 0, 2, 1)]
    assert [j.channels for j in jk.from_events(shuffled)] == [
        j.channels for j in jk.from_events(EVENTS)
    ]


def test_value_none_makes_each_conversion_worth_one() -> None:
    journeys = jk.from_events(
        [{k: v for k, v in r.items() if k != "value"} for r in EVENTS], value=None
    )
    assert journeys.value.tolist() == [1.0, 0.0, 0.0]


def test_optional_columns_are_carried_and_team_defaults_from_reach() -> None:
    rows = [
        {**EVENTS[2], "reach": "one_to_many", "asset": "guide", "cost": 2.5},
        {**EVENTS[1], "reach": "ONE-TO-ONE", "asset": None, "cost": 0},
    ]
    journeys = jk.from_events(rows, reach="reach", asset="asset", cost="cost")
    assert journeys.column("team").values() == ["marketing", "sales"]
    assert journeys.column("reach").values() == ["one_to_many", "one_to_one"]
    assert journeys.column("asset").values() == ["guide", None]
    assert journeys.cost is not None
    assert journeys.cost.tolist() == [2.5, 0.0]
    result = jk.attribute(journeys, "linear")
    assert dict(result.by(("team", "asset"), measure="value")) == {
        ("marketing", "guide"): 60.0,
        ("sales", None): 60.0,
    }


def test_extra_columns_and_milestones() -> None:
    rows = [
        {**EVENTS[2], "utm": "x", "milestone": "lead_created; opportunity_created"},
        {**EVENTS[1], "utm": None, "milestone": None},
    ]
    journeys = jk.from_events(rows, columns=["utm"], milestone="milestone")
    assert journeys[0].touches[0]["milestones"] == (
        "first_touch",
        "lead_created",
        "opportunity_created",
    )
    assert journeys[0].touches[1]["milestones"] == ("closed_won",)
    assert journeys.column("utm").values() == ["x", None]


def test_naive_times_need_tz() -> None:
    rows = [{**r, "timestamp": r["timestamp"].replace("+00:00", "")} for r in EVENTS]
    with pytest.raises(jk.SchemaError, match=r"row 0: timestamp is timezone-naive; pass tz="):
        jk.from_events(rows)
    localised = jk.from_events(rows, tz="Europe/Paris")
    assert localised[0].times[0] == datetime(2024, 3, 1, 8, tzinfo=UTC)


@pytest.mark.parametrize("kind", ["pandas", "polars"])
def test_naive_datetime_columns_need_tz(kind: str) -> None:
    df = pd.DataFrame(EVENTS)
    df["timestamp"] = pd.to_datetime(df["timestamp"]).dt.tz_localize(None)
    native = df if kind == "pandas" else pl.from_pandas(df)
    with pytest.raises(jk.SchemaError, match="timestamp holds timezone-naive times"):
        jk.from_events(native)
    assert jk.from_events(native, tz="UTC")[0].times[0] == datetime(2024, 3, 1, 9, tzinfo=UTC)


def test_mixed_naive_and_aware_times_name_rows() -> None:
    rows = [dict(r) for r in EVENTS]
    rows[2]["timestamp"] = "2024-03-01T09:00:00"
    with pytest.raises(jk.SchemaError, match="row 2: timestamp mixes timezone-naive times"):
        jk.from_events(rows, tz="UTC")


def test_unparseable_time() -> None:
    rows = [dict(r) for r in EVENTS]
    rows[1]["timestamp"] = "yesterday"
    with pytest.raises(jk.SchemaError, match=r"row 1: timestamp is not a time \(got 'yesterday'"):
        jk.from_events(rows)


def test_missing_columns_are_listed_together() -> None:
    rows = [{"journey_id": "u", "when": "x"}]
    with pytest.raises(jk.SchemaError) as info:
        jk.from_events(rows)
    assert [p.field for p in info.value.problems] == ["timestamp", "channel", "converted", "value"]
    assert "columns: 'journey_id', 'when'" in str(info.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"channel": None}, r"row 1: channel is empty"),
        ({"journey_id": ""}, r"row 1: journey_id is empty"),
        ({"converted": "maybe"}, r"row 1: converted must be true/false or 1/0 \(got 'maybe'\)"),
        ({"value": -3.0}, r"row 1: value must be finite and >= 0"),
        ({"value": float("nan")}, r"row 1: value is empty on a converted row"),
        ({"value": "lots"}, r"row 1: value must be a number \(got 'lots'\)"),
    ],
)
def test_bad_cells_are_named(change: dict[str, Any], message: str) -> None:
    rows = [dict(r) for r in EVENTS]
    rows[1].update(change)
    with pytest.raises(jk.SchemaError, match=message):
        jk.from_events(rows)


def test_value_on_a_row_that_did_not_convert_is_an_error() -> None:
    rows = [dict(r) for r in EVENTS]
    rows[0]["value"] = 9.0
    with pytest.raises(
        jk.SchemaError, match="row 0: value has a value on a row that did not convert"
    ):
        jk.from_events(rows)


def test_bad_reach_is_named() -> None:
    rows = [{**r, "reach": "broadcast" if i == 3 else "one_to_many"} for i, r in enumerate(EVENTS)]
    with pytest.raises(
        jk.SchemaError, match=r"row 3: reach must be one of 'one_to_many', 'one_to_one'"
    ):
        jk.from_events(rows, reach="reach")


def test_not_a_table() -> None:
    with pytest.raises(jk.SchemaError, match="row 1: must be a mapping"):
        jk.from_events([EVENTS[0], 5])


PATHS_CSV = "path,total_conversions,total_conversion_value,total_null\nsearch > email,3,30.0,2\ndirect,2,25.5,1\n"


def test_read_paths_csv_file(tmp_path: Path) -> None:
    target = tmp_path / "paths.csv"
    target.write_text(PATHS_CSV)
    for source in (target, str(target), io.StringIO(PATHS_CSV), io.BytesIO(PATHS_CSV.encode())):
        journeys = jk.read_paths(source)
        assert [j.channels for j in journeys] == [("search", "email"), ("direct",)]
        assert journeys.conversions.tolist() == [3.0, 2.0]
        assert journeys.value.tolist() == [30.0, 25.5]
        assert journeys.nulls.tolist() == [2.0, 1.0]


@pytest.mark.parametrize("kind", ["pandas", "polars", "pyarrow"])
def test_read_paths_frames(kind: str) -> None:
    df = pd.read_csv(io.StringIO(PATHS_CSV))
    native = {"pandas": df, "polars": pl.from_pandas(df), "pyarrow": pa.Table.from_pandas(df)}[kind]
    assert jk.read_paths(native).total_value == 55.5


@pytest.mark.parametrize("sep", [">", " > ", "|"])
def test_separators_with_or_without_spaces(sep: str) -> None:
    rows = [{"p": sep.join(["a", "b", "a"]).replace("|", " | "), "c": 1}]
    journeys = jk.read_paths(
        rows, path="p", conversions="c", value=None, nulls=None, sep=sep.strip()
    )
    assert journeys[0].channels == ("a", "b", "a")


def test_optional_value_and_nulls_columns() -> None:
    journeys = jk.read_paths([{"path": "a", "total_conversions": 4}])
    assert journeys.value.tolist() == [4.0]
    assert journeys.nulls.tolist() == [0.0]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"path": "a >  > b", "total_conversions": 1}, r"row 0: path has an empty step"),
        ({"path": "", "total_conversions": 1}, r"row 0: path is empty"),
        (
            {"path": "a", "total_conversions": -1},
            r"row 0: total_conversions must be a count, finite and >= 0",
        ),
        ({"path": "a", "total_conversions": "x"}, r"row 0: total_conversions must be a number"),
        (
            {"path": "a", "total_conversions": 1, "total_null": float("nan")},
            r"row 0: total_null is empty",
        ),
        ({"route": "a", "total_conversions": 1}, r"table: path is a missing column"),
    ],
)
def test_bad_paths_are_named(row: dict[str, Any], message: str) -> None:
    with pytest.raises(jk.SchemaError, match=message):
        jk.read_paths([row])


def test_csv_with_ragged_rows(tmp_path: Path) -> None:
    target = tmp_path / "bad.csv"
    target.write_text("path,total_conversions\na,1,7\n")
    with pytest.raises(jk.SchemaError, match="row 0: has 3 fields but the header has 2"):
        jk.read_paths(target)


def test_missing_csv_file(tmp_path: Path) -> None:
    with pytest.raises(jk.SchemaError, match="cannot be read"):
        jk.read_paths(tmp_path / "nope.csv")


def test_time_decay_refuses_paths_without_times() -> None:
    with pytest.raises(jk.ModelError, match="time_decay needs touch times"):
        jk.attribute(jk.read_paths(io.StringIO(PATHS_CSV)), "time_decay")


def test_paths_flag_first_and_conversion_touches() -> None:
    journeys = jk.read_paths(
        [
            {"path": "a > b > c", "total_conversions": 1, "total_null": 0},
            {"path": "d > e", "total_conversions": 0, "total_null": 1},
        ]
    )
    assert journeys.milestones is not None
    assert journeys.milestones.tolist() == [
        jk.Milestone.FIRST_TOUCH.bit,
        0,
        jk.Milestone.CLOSED_WON.bit,
        jk.Milestone.FIRST_TOUCH.bit,
        0,
    ]
    assert np.all(journeys.time == jk.journeys.NAT)


def _same_journeys(a: jk.Journeys, b: jk.Journeys) -> None:
    assert a.channel.labels == b.channel.labels
    assert a.channel.codes.dtype == b.channel.codes.dtype
    np.testing.assert_array_equal(a.channel.codes, b.channel.codes)
    np.testing.assert_array_equal(a.offsets, b.offsets)
    for name in ("conversions", "value", "nulls"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert a.journey.labels == b.journey.labels
    np.testing.assert_array_equal(a.milestones, b.milestones)
    assert not a.has_times
    assert not b.has_times


def _random_paths_csv(rng: np.random.Generator, rows: int, bad_row: int | None = None) -> str:
    channels = ["search", "email", "Direct", "a b", "ümlaut", "x"]
    lines = ["path,total_conversions,total_conversion_value,total_null"]
    for i in range(rows):
        steps = rng.choice(channels, size=int(rng.integers(1, 6)))
        conv = -1 if i == bad_row else int(rng.integers(0, 4))
        value = rng.random() * 100 if conv else 0.0  # no value without a conversion
        lines.append(f"{' > '.join(steps)},{conv},{value:.2f},{rng.integers(0, 3)}")
    return "\n".join(lines) + "\n"


def test_path_files_read_in_blocks_equal_the_whole_file_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import journeykit.io._source as source_module  # noqa: PLC0415
    import journeykit.io.paths as paths_module  # noqa: PLC0415

    monkeypatch.setattr(paths_module, "_BLOCK_BYTES", 256)  # dozens of blocks
    text = _random_paths_csv(np.random.default_rng(3), 400)
    target = tmp_path / "paths.csv"
    target.write_text(text, encoding="utf-8")

    def whole_file_reader(source: Any) -> Any:
        raise AssertionError(f"{source} was read whole, not in blocks")

    with monkeypatch.context() as patch:
        patch.setattr(source_module, "read_csv", whole_file_reader)
        streamed = jk.read_paths(target)
    whole = jk.read_paths(io.StringIO(text))  # a file object takes the whole-file reader
    _same_journeys(streamed, whole)
    assert streamed.n_journeys == 400


def test_a_bad_row_in_a_late_block_is_still_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import journeykit.io.paths as paths_module  # noqa: PLC0415

    monkeypatch.setattr(paths_module, "_BLOCK_BYTES", 256)
    target = tmp_path / "paths.csv"
    target.write_text(_random_paths_csv(np.random.default_rng(4), 300, bad_row=287))
    with pytest.raises(jk.SchemaError, match=r"row 287: total_conversions must be a count"):
        jk.read_paths(target)
    target.write_text(PATHS_CSV + "a >  > b,1,1,1\n")
    with pytest.raises(jk.SchemaError, match=r"row 2: path has an empty step"):
        jk.read_paths(target)
