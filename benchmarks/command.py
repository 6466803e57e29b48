"""Whole process: `journeykit attribute paths.csv --model M` against ChannelAttribution.

ChannelAttribution's side is a fresh interpreter that imports it, reads the CSV with
`pandas.read_csv` and runs its model. Run from the repository root:
`python benchmarks/command.py` (writes the 1M-path CSV to benchmarks/data once).
"""

from __future__ import annotations

import compileall
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate import generate, to_paths_csv

CSV = Path(__file__).parent / "data" / "paths_1m.csv"
PEER = """
import contextlib, io, sys
import pandas as pd
with contextlib.redirect_stdout(io.StringIO()):
    import ChannelAttribution as ca
frame = pd.read_csv(sys.argv[1])
with contextlib.redirect_stdout(io.StringIO()):
    if sys.argv[2] == "markov":
        ca.markov_model(frame, "path", "total_conversions", var_null="total_null", order=1,
                        flg_pro=False, verbose=False)
    else:
        ca.heuristic_models(frame, "path", "total_conversions", flg_pro=False)
"""


def best_of(command: list[str], runs: int = 5) -> float:
    """The fastest wall time of ``runs`` runs of a command, output discarded."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    # An installed wheel has its bytecode; an editable install under PYTHONDONTWRITEBYTECODE
    # would recompile journeykit in every run (as pandas and ChannelAttribution never are).
    import journeykit  # noqa: PLC0415

    compileall.compile_dir(Path(journeykit.__file__).parent, quiet=1)
    if not CSV.exists():
        CSV.parent.mkdir(exist_ok=True)
        to_paths_csv(generate(1_000_000, seed=0), CSV)
    for model in ("linear", "markov"):
        ours = best_of([sys.executable, "-m", "journeykit", "attribute", str(CSV), "--model",
                        model, "--format", "csv"])  # fmt: skip
        theirs = best_of([sys.executable, "-c", PEER, str(CSV), model])
        print(f"{model}: journeykit {ours:.2f} s, ChannelAttribution {theirs:.2f} s, "
              f"ratio {ours / theirs:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
