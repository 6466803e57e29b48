"""Out-of-core and Dask attribution at scale: time and whole-process peak memory.

Usage: ``python benchmarks/scale.py [--journeys 10000000] [--chunk-rows 2000000]``. Writes the
events (sorted by journey and time, as exports usually are) to a Parquet file, then runs each
step in a fresh process so its peak memory is its own.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from generate import generate, to_polars

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
    script = (
        "import time, json\nimport journeykit as jk\n"
        f"PATH = {str(path)!r}\nCHUNK = {chunk_rows}\nstart = time.perf_counter()\n"
        f"{code}\nseconds = time.perf_counter() - start\n"
        "status = open('/proc/self/status').read().splitlines()\n"
        "peak = next(int(line.split()[1]) for line in status if line.startswith('VmHWM'))\n"
        "print(json.dumps([seconds, peak / 1024]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    seconds, peak = json.loads(result.stdout.strip().splitlines()[-1])
    return float(seconds), float(peak)


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
