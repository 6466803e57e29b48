"""Chunked against in-memory attribution of an event CSV: the command's wall time and peak memory.

Usage::

    python benchmarks/chunked.py                      # 300k journeys (about 1.38M rows)
    python benchmarks/chunked.py --journeys 300000 --models linear,markov --repeat 3
    python benchmarks/chunked.py --keep events.csv    # reuse (or keep) the CSV

Each run is the whole ``journeykit attribute`` command in a fresh process (imports, reading,
fitting, writing), as a user runs it; its peak resident memory is the child's ``ru_maxrss`` from
``os.wait4``, so Arrow and numpy memory count. The parent holds no data (the CSV is written by a
child), so the fork copies nothing large. Configurations: in memory, ``--chunk-rows 1000000`` (the
size the command's help suggested), and ``--memory 1GB``/``512MB``/``256MB``. Timings on a shared
machine are noisy: the table shows each configuration's median wall and CPU (user + system) time
and their ratios to the in-memory run of the same model, measured side by side.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

_WRITE = (
    "import sys\n"
    "sys.path.insert(0, {here!r})\n"
    "from generate import generate, to_polars\n"
    "data = generate({n}, seed=1)\n"
    "to_polars(data).write_csv({path!r})\n"
    "print(data.rows)\n"
)

CONFIGS: dict[str, list[str]] = {
    "in memory": [],
    "--chunk-rows 1000000": ["--chunk-rows", "1000000"],
    "--memory 1GB": ["--memory", "1GB"],
    "--memory 512MB": ["--memory", "512MB"],
    "--memory 256MB": ["--memory", "256MB"],
}


def write_events(path: Path, journeys: int) -> int:
    """Write the event CSV in a child process; return its rows."""
    here = str(Path(__file__).resolve().parent)
    code = _WRITE.format(here=here, n=journeys, path=str(path))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(done.stdout.strip())


def run(arguments: list[str]) -> tuple[float, float, float]:
    """Run the command once: (wall seconds, CPU seconds, peak resident MiB)."""
    import time  # noqa: PLC0415

    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "journeykit", *arguments],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    error = child.stderr.read().decode() if child.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"journeykit {' '.join(arguments)} failed:\n{error}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--journeys", type=int, default=300_000)
    parser.add_argument("--models", default="linear,markov")
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="CSV to reuse if it exists, else to write")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = args.keep or Path(folder) / "events.csv"
        if not path.exists():
            rows = write_events(path, args.journeys)
            print(f"{args.journeys:,} journeys, {rows:,} rows -> {path}")
        size = path.stat().st_size / 2**20
        print(f"{path} ({size:.0f} MiB); median of {args.repeat} runs, interleaved\n")
        print("| model | run | wall s | x in-memory | CPU s | x in-memory | peak MiB |")
        print("|---|---|---:|---:|---:|---:|---:|")
        for model in args.models.split(","):
            configs = args.configs.split(",")
            times: dict[str, list[float]] = {c: [] for c in configs}
            cpus: dict[str, list[float]] = {c: [] for c in configs}
            peaks: dict[str, list[float]] = {c: [] for c in configs}
            for _ in range(args.repeat):  # interleaved, so load on the machine hits all alike
                for config in configs:
                    command = ["attribute", str(path), "--model", model, *CONFIGS[config]]
                    seconds, cpu, peak = run(command)
                    times[config].append(seconds)
                    cpus[config].append(cpu)
                    peaks[config].append(peak)
            base = statistics.median(times[configs[0]])
            base_cpu = statistics.median(cpus[configs[0]])
            for config in configs:
                median = statistics.median(times[config])
                cpu = statistics.median(cpus[config])
                print(
                    f"| {model} | {config} | {median:.2f} | {median / base:.2f} | {cpu:.2f} "
                    f"| {cpu / base_cpu:.2f} | {max(peaks[config]):.0f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
