"""Run one attribution in a fresh process and report its wall time and the process's peak memory.

Peak resident memory of the whole process (``VmHWM`` in ``/proc/self/status``; ``ru_maxrss`` would
carry the parent's peak across ``exec``) is what the operating system charges; it counts C++ and
Arrow allocations that ``tracemalloc`` cannot see, so journeykit and its peers are measured alike.
Linux only.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_CALLS = {  # library: (set-up, timed call)
    "journeykit": (
        "import journeykit as jk\npaths = jk.read_paths(CSV)",
        'jk.attribute(paths, MODEL, **PARAMS).by("channel")',
    ),
    "ChannelAttribution": (
        (
            "import contextlib, io, pandas as pd\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    import ChannelAttribution as ca\n"
            "frame = pd.read_csv(CSV)"
        ),
        (
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    if MODEL == 'markov':\n"
            "        ca.markov_model(frame, 'path', 'total_conversions', var_null='total_null',\n"
            "                        order=PARAMS.get('order', 1), flg_pro=False, verbose=False)\n"
            "    else:\n"
            "        ca.heuristic_models(frame, 'path', 'total_conversions', flg_pro=False)"
        ),
    ),
}


def run_child(setup: str, call: str) -> tuple[float, float]:
    """Run ``setup`` then time ``call`` in a fresh interpreter: (seconds, peak resident MiB)."""
    script = (
        f"import time, json\n{setup}\nstart = time.perf_counter()\n{call}\n"
        "seconds = time.perf_counter() - start\n"
        "status = open('/proc/self/status').read().splitlines()\n"
        "peak = next(int(line.split()[1]) for line in status if line.startswith('VmHWM'))\n"
        "print(json.dumps([seconds, peak / 1024]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    seconds, peak = json.loads(result.stdout.strip().splitlines()[-1])
    return float(seconds), float(peak)


def measure_process(
    library: str, csv: Path, model: str, params: dict[str, object]
) -> tuple[float, float]:
    """Seconds of the call (after imports and reading) and the process's peak memory in MiB."""
    setup, call = _CALLS[library]
    constants = f"CSV = {str(csv)!r}\nMODEL = {model!r}\nPARAMS = {params!r}\n"
    return run_child(constants + setup, call)
