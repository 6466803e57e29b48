"""Out-of-core and Dask attribution at scale: time and whole-process peak memory.

Usage: ``python benchmarks/scale.py [--journeys 10000000] [--chunk-rows 2000000]``. Writes the
events (sorted by journey and time, as exports usually are) to a Parquet file, then runs each
step in a fresh process so its peak memory is its own.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from generate import generate, to_polars
from processes import run_child

STEPS = {
    "attribute_file linear": "jk.attribute_file(PATH, 'linear', chunk_rows=CHUNK)",
    "attribute_file markov": "jk.attribute_file(PATH, 'markov', chunk_rows=CHUNK)",
    "dask markov (LocalCluster, 2 workers)": (
        "from distributed import Client, LocalCluster\n"
        "import dask.dataframe as dd, journeykit.dask as jkd\n"
        "cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None)\n"
        "with cluster, Client(cluster):\n"
        "    jkd.attribute(dd.read_parquet(PATH, split_row_groups=True), 'markov').by('channel')"
    ),
}


def run_step(code: str, path: Path, chunk_rows: int) -> tuple[float, float]:
    setup = f"import journeykit as jk\nPATH = {str(path)!r}\nCHUNK = {chunk_rows}"
    return run_child(setup, code)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--journeys", type=int, default=10_000_000)
    parser.add_argument("--chunk-rows", type=int, default=2_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.parquet"
        start = time.perf_counter()
        data = generate(args.journeys, seed=1)
        to_polars(data).write_parquet(path, row_group_size=args.chunk_rows)
        rows = data.rows
        del data
        took = time.perf_counter() - start
        print(f"{args.journeys:,} journeys, {rows:,} touches written in {took:.1f} s")
        print(f"| {'step':<40} | {'seconds':>8} | {'peak MiB':>9} |")
        for name, code in STEPS.items():
            seconds, peak = run_step(code, path, args.chunk_rows)
            print(f"| {name:<40} | {seconds:>8.1f} | {peak:>9.0f} |", flush=True)


if __name__ == "__main__":
    main()
