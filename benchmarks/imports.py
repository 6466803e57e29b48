"""Whole-process import times: the best of N fresh interpreters for each statement.

``import journeykit`` loads names on first use, and hypothesis' entry point (which runs in every
environment where journeykit is installed) imports no journeykit module, so both should cost next
to nothing beyond the interpreter's own start-up. Run from the repository root::

    .venv/bin/python benchmarks/imports.py            # best of 15
    .venv/bin/python benchmarks/imports.py --runs 30

The best of several runs is reported because other processes on a shared machine only ever add
time; beside the wall clock, the child's CPU time (user + system), which contention inflates far
less. Where the time goes inside one import: ``python -X importtime -c "import journeykit"``.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time

_NO_PLUGINS = {"HYPOTHESIS_NO_PLUGINS": "1"}
CASES: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("interpreter start-up", "pass", {}),
    ("numpy + attrs (the floor of any use)", "import numpy, attrs", {}),
    ("import journeykit", "import journeykit", {}),
    ("import journeykit; jk.Records", "import journeykit as jk; jk.Records", {}),
    (
        "import journeykit; jk.read_paths, jk.attribute",
        "import journeykit as jk; jk.read_paths, jk.attribute",
        {},
    ),
    ("import journeykit; every public name", "from journeykit import *", {}),
    ("import hypothesis (journeykit's hook runs)", "import hypothesis", {}),
    (  # hypothesis' own cost where journeykit is not installed: it scans, finds, loads nothing
        "import hypothesis (entry points scanned, none run)",
        "import hypothesis, importlib.metadata as m; m.entry_points(group='hypothesis')",
        _NO_PLUGINS,
    ),
    ("import hypothesis (HYPOTHESIS_NO_PLUGINS: no scan)", "import hypothesis", _NO_PLUGINS),
)


def best_of(statement: str, env: dict[str, str], runs: int) -> tuple[float, float]:
    """The shortest wall and CPU seconds of ``runs`` fresh interpreters running ``statement``."""
    environment = {k: v for k, v in os.environ.items() if k != "HYPOTHESIS_NO_PLUGINS"} | env
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", statement], env=environment, check=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return min(walls), min(cpus)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="fresh processes per statement")
    args = parser.parse_args(argv)
    print(f"| statement (whole process, best of {args.runs}) | wall s | CPU s |")
    print("|---|---:|---:|")
    for label, statement, env in CASES:
        wall, cpu = best_of(statement, env, args.runs)
        print(f"| {label} | {wall:.3f} | {cpu:.3f} |")


if __name__ == "__main__":
    main()
