"""attribute_file: the same numbers as the in-memory path, whatever the chunk size."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

import journeykit as jk

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
    as_csv = tmp_path / "broken.csv"  # the plain-rows reader takes the other guard
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
