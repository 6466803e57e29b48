"""attribute_file: the same numbers as the in-memory path, whatever the chunk size."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

import journeykit as jk
from journeykit import streaming

MODELS: list[tuple[str, dict[str, Any]]] = [
    ("first_touch", {}),
    ("linear", {}),
    ("position_based", {}),
    ("w_shaped", {}),
    ("time_decay", {}),
    ("markov", {}),
    ("markov", {"order": 2}),
    ("markov", {"order": 2, "allocation": "journey"}),
    ("shapley", {}),
    ("shapley", {"value": "conversion_rate"}),
]


def events_frame(n_journeys: int = 60, seed: int = 4) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for j in range(n_journeys):
        length = int(rng.integers(1, 6))
        converts = bool(rng.random() < 0.4)
        for k in range(length):
            last = k == length - 1
            rows.append(
                {
                    "journey_id": f"j{j:03d}",
                    "timestamp": start + timedelta(days=j, hours=k),
                    "channel": str(rng.choice(["ad", "email", "webinar", "call"])),
                    "team": "sales" if rng.random() < 0.3 else "marketing",
                    "converted": converts and last,
                    "value": float(rng.integers(1, 100)) if converts and last else None,
                }
            )
    return pl.DataFrame(rows)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("files")
    frame = events_frame()
    out = {"events.parquet": folder / "events.parquet", "events.csv": folder / "events.csv"}
    frame.write_parquet(out["events.parquet"])
    frame.with_columns(pl.col("timestamp").dt.to_string("%Y-%m-%dT%H:%M:%S%z")).write_csv(
        out["events.csv"]
    )
    journeys = jk.from_events(frame, team="team")
    paths = pl.DataFrame(
        {
            "path": [" > ".join(j.channels) for j in journeys],
            "total_conversions": journeys.conversions,
            "total_conversion_value": journeys.value,
            "total_null": journeys.nulls,
        }
    )
    out["paths.csv"] = folder / "paths.csv"
    paths.write_csv(out["paths.csv"])
    out["paths.parquet"] = folder / "paths.parquet"
    paths.write_parquet(out["paths.parquet"])
    return out


def in_memory(files: dict[str, Path], name: str) -> jk.Journeys:
    if name.startswith("events"):
        return jk.from_events(pl.read_parquet(files["events.parquet"]), team="team")
    return jk.read_paths(pl.read_parquet(files["paths.parquet"]))


@pytest.mark.parametrize(
    ("model", "params"),
    MODELS,
    ids=lambda x: x if isinstance(x, str) else "-".join(f"{k}={v}" for k, v in x.items()),
)
@pytest.mark.parametrize("name", ["events.parquet", "events.csv", "paths.csv", "paths.parquet"])
@pytest.mark.parametrize("chunk_rows", [7, 1000])
def test_streamed_equals_in_memory(
    files: dict[str, Path], name: str, model: str, params: dict[str, Any], chunk_rows: int
) -> None:
    if model == "time_decay" and name.startswith("paths"):
        pytest.skip("paths have no times")
    columns = {"team": "team"} if name.startswith("events") else {}
    keys: list[jk.attribution.result.Key] = (
        ["channel", ("team", "channel")] if name.startswith("events") else ["channel"]
    )
    streamed = jk.attribute_file(
        files[name], model, chunk_rows=chunk_rows, columns=columns, dimensions=keys, **params
    )
    whole = jk.attribute(in_memory(files, name), model, **params)
    for key in keys:
        for measure in ("conversions", "value"):
            expected = dict(whole.by(key, measure=measure))
            got = dict(streamed.by(key, measure=measure))
            assert got.keys() == expected.keys()
            for label, amount in expected.items():
                assert got[label] == pytest.approx(amount, rel=1e-9, abs=1e-9)
    assert streamed.n_journeys == whole.journeys.n_journeys
    assert streamed.total == pytest.approx(whole.total)


def test_a_streamed_time_roll_up_reads_in_time_order_as_in_memory(tmp_path: Path) -> None:
    # March earns most, then February: credit order would be 03, 02, 01; time order is 01, 02, 03
    days = ["2024-01-05", "2024-02-05", "2024-02-06", "2024-03-05", "2024-03-06", "2024-03-07"]
    lines = ["journey_id,timestamp,channel,converted,value"]
    lines += [f"j{i},{day}T00:00:00+00:00,ad,true,1" for i, day in enumerate(days)]
    events = tmp_path / "events.csv"
    events.write_text("\n".join(lines) + "\n", encoding="utf-8")
    streamed = jk.attribute_file(events, "linear", chunk_rows=2, dimensions=["month"])
    whole = jk.attribute(jk.from_events(events), "linear").by("month")
    assert list(streamed.by("month")) == list(whole) == ["2024-01", "2024-02", "2024-03"]


def test_small_chunks_never_split_a_journey(files: dict[str, Path]) -> None:
    streamed = jk.attribute_file(files["events.csv"], "linear", chunk_rows=1)
    assert streamed.n_journeys == in_memory(files, "events.csv").n_journeys
    assert streamed.chunks > 10


def test_a_journey_that_comes_back_is_an_error(tmp_path: Path) -> None:
    frame = events_frame(6)
    broken = pl.concat(
        [
            frame.filter(pl.col("journey_id") != "j000"),
            frame.filter(pl.col("journey_id") == "j000"),
            frame.filter(pl.col("journey_id") == "j000"),
        ]
    )
    broken = pl.concat([frame.head(1), broken])
    target = tmp_path / "broken.parquet"
    broken.write_parquet(target)
    with pytest.raises(jk.SchemaError, match="journey 'j000' appears again after other journeys"):
        jk.attribute_file(target, "linear", chunk_rows=3)
    as_csv = tmp_path / "broken.csv"  # the CSV slab reader
    broken.with_columns(pl.col("timestamp").dt.to_string("%Y-%m-%dT%H:%M:%S%z")).write_csv(as_csv)
    with pytest.raises(jk.SchemaError, match="journey 'j000' appears again after other journeys"):
        jk.attribute_file(as_csv, "linear", chunk_rows=3)
    with pytest.raises(jk.SchemaError, match="appears again"):
        jk.attribute_file(target, "linear", chunk_rows=10_000)  # the whole file in one block


@pytest.mark.parametrize("name", ["events.parquet", "paths.csv"])
def test_the_format_is_read_from_the_suffix_whatever_its_case(
    tmp_path: Path, files: dict[str, Path], name: str
) -> None:
    shouting = tmp_path / name.upper()
    shouting.write_bytes(files[name].read_bytes())
    got = jk.attribute_file(shouting, "markov", chunk_rows=5).by("channel")
    want = jk.attribute_file(files[name], "markov", chunk_rows=5).by("channel")
    assert dict(got) == pytest.approx(dict(want))


def test_bad_arguments(tmp_path: Path, files: dict[str, Path]) -> None:
    with pytest.raises(ValueError, match="chunk_rows must be a whole number >= 1"):
        jk.attribute_file(files["paths.csv"], chunk_rows=0)
    with pytest.raises(ValueError, match="chunk_rows must be a whole number >= 1"):
        jk.attribute_file(files["paths.csv"], chunk_rows=2.5)  # type: ignore[arg-type]
    with pytest.raises(jk.SchemaError, match="does not exist"):
        jk.attribute_file(tmp_path / "nope.csv", input="paths")
    with pytest.raises(KeyError, match="ask for 'team'"):
        jk.attribute_file(files["paths.csv"]).by("team")


@pytest.mark.parametrize("name", ["events.parquet", "events.csv", "paths.csv"])
@pytest.mark.parametrize(("model", "passes"), [("markov", 2), ("linear", 1)])
def test_progress_rises_to_one_over_both_passes(
    files: dict[str, Path], name: str, model: str, passes: int
) -> None:
    seen: list[float] = []
    jk.attribute_file(files[name], model, chunk_rows=7, on_progress=seen.append)
    assert seen == sorted(seen)
    assert seen[-1] == pytest.approx(1.0)
    assert all(0.0 < f <= 1.0 for f in seen)
    if passes == 2:  # the fit pass ends half way
        assert any(f == pytest.approx(0.5) for f in seen)
    else:
        assert len(seen) > 3


# Chunk sizes from a memory budget, the Arrow slab reader and its fallback, one parse per file.

HEADER = "journey_id,timestamp,channel,converted,value\n"


def _rows(n: int, channel: str = "ad") -> str:
    return "".join(
        f"j{i:03d},2024-01-01T{i % 24:02d}:00:00+00:00,{channel},{'true' if i % 3 else 'false'},"
        f"{'5' if i % 3 else ''}\n"
        for i in range(n)
    )


@pytest.mark.parametrize(
    ("memory", "size"),
    [(2_000_000, 2_000_000), ("1GB", 10**9), ("512 MiB", 512 << 20), ("1.5gib", 3 << 29)],
)
def test_memory_sizes_take_units(memory: int | str, size: int) -> None:
    assert streaming.memory_bytes(memory) == size


@pytest.mark.parametrize("memory", ["", "1 XB", "-1GB", "GB", 0, True, 1.5, "1e9"])
def test_a_memory_that_is_not_a_size_is_an_error(memory: Any) -> None:
    with pytest.raises(ValueError, match=r"memory takes a size such as 1GB.*units: B, kB"):
        streaming.memory_bytes(memory)


def test_the_chunk_size_follows_the_documented_cost(files: dict[str, Path]) -> None:
    budget = streaming.BASE_BYTES + 700_000 * streaming.BYTES_PER_ROW
    assert streaming.rows_for_memory(budget) == 700_000
    assert streaming.rows_for_memory(budget + streaming.BYTES_PER_ROW - 1) == 700_000
    with pytest.raises(ValueError, match=r"'100MB' is too little.*give at least 205MB"):
        streaming.rows_for_memory("100MB")
    with pytest.raises(ValueError, match="give chunk_rows or memory, not both"):
        jk.attribute_file(files["events.csv"], chunk_rows=10, memory="1GB")
    whole = jk.attribute_file(files["events.csv"], "markov", memory="1GB")
    small = jk.attribute_file(files["events.csv"], "markov", chunk_rows=7)
    assert whole.chunks <= 2 < small.chunks  # the last journey waits for rows that may follow
    assert dict(whole.by("channel")) == pytest.approx(dict(small.by("channel")))


@pytest.mark.parametrize("model", ["markov", "linear"])
@pytest.mark.parametrize("name", ["events.csv", "events.parquet", "paths.csv"])
def test_the_file_is_parsed_once(
    monkeypatch: pytest.MonkeyPatch, files: dict[str, Path], name: str, model: str
) -> None:
    # Before: a two-pass model parsed every chunk twice, a rule model its first chunk twice.
    calls: list[int] = []
    for reader in ("from_events", "read_paths"):
        real = getattr(streaming, reader)

        def counted(table: Any, *, real: Any = real, **options: Any) -> jk.Journeys:
            calls.append(1)
            return real(table, **options)  # type: ignore[no-any-return]

        monkeypatch.setattr(streaming, reader, counted)
    result = jk.attribute_file(files[name], model, chunk_rows=7)
    assert len(calls) == result.chunks > 3


@pytest.mark.parametrize("slab", [16, 64, 1 << 20])
def test_slabs_end_at_row_ends_outside_quotes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, slab: int
) -> None:
    monkeypatch.setattr(streaming, "_SLAB_BYTES", slab)
    monkeypatch.setattr(streaming, "_plain_csv_tables", None)  # Arrow reads it all
    text = HEADER + "".join(
        f'j{i:02d},2024-01-0{1 + i % 9}T00:00:00+00:00,"multi\nline, ""quoted"" {i % 4}",'
        f"{'true' if i % 2 else 'false'},{'3' if i % 2 else ''}\n"
        for i in range(40)
    )
    target = tmp_path / "quoted.csv"
    target.write_text(text, encoding="utf-8")
    streamed = jk.attribute_file(target, "markov", chunk_rows=5)
    whole = jk.attribute(jk.io.read_journeys(target), "markov")
    assert dict(streamed.by("channel")) == pytest.approx(dict(whole.by("channel")))
    assert set(dict(streamed.by("channel"))) == {f'multi\nline, "quoted" {k}' for k in range(4)}
    assert streamed.n_touches == 40


@pytest.mark.parametrize(
    ("bad_row", "fragment"),
    [
        ("j900,2024-01-01T00:00:00+00:00,ad,true\n", r"row 30: has 4 fields but the header has 5"),
        ("j900,yesterday,ad,true,1\n", r"row 30.*timestamp.*is not a time"),
        ("j900,2024-01-01T00:00:00+00:00,ad,maybe,\n", r"row 30.*converted.*true/false"),
        ("j900,2024-01-01T00:00:00+00:00,ad,true,lots\n", r"row 30.*value.*number"),
    ],
)
def test_a_problem_in_a_later_slab_names_its_row_as_the_whole_file_reader_does(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, bad_row: str, fragment: str
) -> None:
    # A later slab Arrow refuses (a ragged row, a time or a number it cannot convert) is read
    # again by the plain reader, which names the row; the whole-file reader names the same row.
    monkeypatch.setattr(streaming, "_SLAB_BYTES", 256)
    target = tmp_path / "late.csv"
    target.write_text(HEADER + _rows(30) + bad_row + _rows(5, "email"), encoding="utf-8")
    with pytest.raises(jk.SchemaError, match=fragment):
        jk.io.read_journeys(target)
    seen: list[float] = []
    with pytest.raises(jk.SchemaError, match=fragment):
        jk.attribute_file(target, "markov", chunk_rows=4, on_progress=seen.append)
    assert seen == sorted(seen)  # the re-read does not send the bar back


def test_a_column_empty_in_the_first_slab_is_read_from_the_later_ones(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Arrow's own streaming reader typed such a column "null" from its first block and failed.
    monkeypatch.setattr(streaming, "_SLAB_BYTES", 128)
    monkeypatch.setattr(streaming, "_plain_csv_tables", None)  # Arrow reads it all
    quiet = "".join(f"a{i:02d},2024-01-01T00:00:00+00:00,ad,false,\n" for i in range(20))
    late = "b00,2024-02-01T00:00:00+00:00,email,true,12.5\n"
    target = tmp_path / "sparse.csv"
    target.write_text(HEADER + quiet + late, encoding="utf-8")
    streamed = jk.attribute_file(target, "linear", chunk_rows=3)
    assert dict(streamed.by("channel", measure="value")) == {"email": 12.5, "ad": 0.0}
    assert streamed.n_journeys == 21


def test_the_command_takes_a_memory_budget(tmp_path: Path, files: dict[str, Path]) -> None:
    from helpers import run_command  # noqa: PLC0415

    both = run_command(
        "attribute", str(files["events.csv"]), "--memory", "1GB", "--chunk-rows", "5"
    )
    assert both.returncode == 2
    assert "give --chunk-rows or --memory, not both" in both.stderr
    small = run_command("attribute", str(files["events.csv"]), "--memory", "50MB")
    assert small.returncode == 2
    assert "argument --memory: '50MB' is too little" in small.stderr
    out = tmp_path / "credit.json"
    done = run_command(
        "attribute", str(files["events.csv"]), "--model", "markov", "--memory", "1GB",
        "--format", "json", "-o", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    got = {row["label"]: row["conversions"] for row in json.loads(out.read_text())["by"]["channel"]}
    whole = jk.attribute(jk.io.read_journeys(files["events.csv"]), "markov").by("channel")
    assert got == pytest.approx(dict(whole))


@pytest.mark.parametrize("collide", [False, True])
def test_the_journey_guard_confirms_a_fingerprint_with_the_ids(
    monkeypatch: pytest.MonkeyPatch, collide: bool
) -> None:
    import pyarrow as pa  # noqa: PLC0415

    if collide:  # every ID has the same fingerprint: only the IDs themselves may decide
        monkeypatch.setattr(streaming, "_fingerprints", lambda v: np.zeros(len(v), np.uint64))
    guard = streaming._JourneyGuard("journey_id")
    for block in (["a", "a", "b"], ["c", "", ""], ["d", "e", "e"]):
        guard.check(pa.array(block))  # no journey comes back: no error, whatever collides
    with pytest.raises(jk.SchemaError, match=r"row 10: journey_id journey 'b' appears again"):
        guard.check(pa.array(["f", "b"]))


def test_fingerprints_are_equal_for_equal_values_only() -> None:
    import pyarrow as pa  # noqa: PLC0415

    values = ["x", "", "abc", None, "b", "ab", "ba", "", "12"]
    prints = streaming._fingerprints(pa.array(["q", *values]).slice(1))
    again = streaming._fingerprints(pa.array(values[::-1]))[::-1]
    assert prints.tolist() == again.tolist()
    distinct = dict(zip(values, prints.tolist(), strict=True))
    assert len(set(distinct.values())) == len(distinct)  # None, "" and every text apart
    assert streaming._fingerprints(pa.array([12])).tolist() == [distinct["12"]]


def test_without_pyarrow_csv_is_read_with_the_standard_library(
    monkeypatch: pytest.MonkeyPatch, files: dict[str, Path], tmp_path: Path
) -> None:
    arrow = jk.attribute_file(files["events.csv"], "markov", chunk_rows=7)
    monkeypatch.setattr(streaming, "_has_arrow", lambda: False)
    monkeypatch.setattr(streaming, "_arrow_csv_tables", None)  # never reached
    plain = jk.attribute_file(files["events.csv"], "markov", chunk_rows=7)
    assert dict(plain.by("channel")) == pytest.approx(dict(arrow.by("channel")))
    target = tmp_path / "back.csv"
    target.write_text(HEADER + _rows(4) + "j001,2024-01-02T00:00:00+00:00,ad,false,\n")
    with pytest.raises(jk.SchemaError, match="row 4: journey_id journey 'j001' appears again"):
        jk.attribute_file(target, "linear", chunk_rows=2)
