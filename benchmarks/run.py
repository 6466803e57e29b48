"""Benchmark journeykit (and peers, when installed) on generated journeys; print tables.

Usage: ``python benchmarks/run.py [--sizes 10000 100000 1000000] [--large] [--no-peers]``.
In-process timings for every reader and model; peers on the same path tables; fresh-process
timings with whole-process peak memory against ChannelAttribution at the largest size; with
``--large``, 10M journeys out of core and on Dask (``scale.py``). See README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import platform
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import journeykit as jk
from generate import generate, to_paths_csv, to_polars
from peers import channel_attribution, marketing_attribution_models
from processes import measure_process

RULE_MODELS: list[tuple[str, dict[str, Any]]] = [
    ("first_touch", {}),
    ("last_touch", {}),
    ("last_non_direct", {}),
    ("linear", {}),
    ("position_based", {}),
    ("w_shaped", {}),
    ("full_path", {}),
    ("j_shaped", {}),
    ("inverse_j", {}),
]


def measure(action: Callable[[], Any]) -> tuple[float, float, Any]:
    """Seconds (best of a timed run) and peak traced memory in MiB (a second, traced run)."""
    gc.collect()
    start = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - start
    gc.collect()
    tracemalloc.start()  # traced separately: tracing slows allocation-heavy code down
    action()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak / 2**20, result


DATA_DRIVEN: list[tuple[str, dict[str, Any]]] = [
    ("markov", {"order": 1}),
    ("markov", {"order": 2}),
    ("markov", {"order": 3}),
    ("markov", {"order": 3, "allocation": "journey"}),
    ("shapley", {}),
    ("shapley", {"value": "conversion_rate"}),
    ("ordered_shapley", {}),
]
PEER_OF: dict[str, tuple[str, dict[str, Any]]] = {
    "first/last/linear": ("linear", {}),
    "markov order=1": ("markov", {"order": 1}),
    "markov order=2": ("markov", {"order": 2}),
    "markov order=3": ("markov", {"order": 3}),
    "shapley conversion_rate": ("shapley", {"value": "conversion_rate"}),
}
Row = tuple[str, int, float, float, str]


def run(n: int, rows: list[Row], peer_rows: list[str], *, peers: bool) -> None:
    data = generate(n, seed=1)
    with tempfile.TemporaryDirectory() as folder:
        csv = Path(folder) / "paths.csv"
        n_paths = to_paths_csv(data, csv)
        seconds, peak, paths = measure(lambda: jk.read_paths(csv))
        rows.append(("read_paths (CSV)", n, seconds, peak, f"{n_paths:,} distinct paths"))
        for model, params in DATA_DRIVEN:
            seconds, peak, result = measure(
                lambda model=model, params=params: jk.attribute(paths, model, **params).by(
                    "channel"
                )
            )
            label = model + "".join(f" {k}={v}" for k, v in params.items())
            rows.append((label, n, seconds, peak, "fit + credit, on paths"))
        if peers:
            for key, peer in [*channel_attribution(csv), *marketing_attribution_models(csv)]:
                name, peer_seconds, peer_credit = peer()
                model, params = PEER_OF[key]
                start = time.perf_counter()
                ours = jk.attribute(paths, model, **params).by("channel")
                our_seconds = time.perf_counter() - start
                gap = max(
                    abs(ours.get(c, 0.0) - peer_credit.get(c, 0.0)) for c in {*ours, *peer_credit}
                )
                negative = sum(v < 0 for v in peer_credit.values())
                peer_rows.append(
                    f"| {name:<44} | {n:>11,} | {peer_seconds:>8.3f} | {our_seconds:>8.3f} | "
                    f"{peer_seconds / our_seconds:>7.1f}x | {gap:>12.6g} | {negative:>8} |"
                )
    polars_frame = to_polars(data)
    pandas_frame = polars_frame.to_pandas()
    shuffled = polars_frame.sample(fraction=1.0, shuffle=True, seed=7)
    frames = (
        ("from_events (polars)", polars_frame, "sorted by journey, time"),
        ("from_events (pandas)", pandas_frame, "sorted by journey, time"),
        ("from_events (polars)", shuffled, "rows shuffled"),
    )
    for label, frame, order in frames:
        seconds, peak, events = measure(lambda frame=frame: jk.from_events(frame))
        rows.append((label, n, seconds, peak, f"{data.rows:,} rows, {order}"))
    del pandas_frame, polars_frame, shuffled
    timed = [("time_decay", {}), ("hazard", {})]  # these need touch times: run on events
    for model, params in [*RULE_MODELS, ("linear", {"per": "channel"}), *timed]:
        source = events if model in ("time_decay", "hazard") else paths
        seconds, peak, result = measure(
            lambda model=model, params=params, source=source: jk.attribute(
                source, model, **params
            ).by("channel")
        )
        conserved = abs(result.total - source.total_conversions) <= 1e-6 * max(
            1.0, source.total_conversions
        )
        label = model + "".join(f" {k}={v}" for k, v in params.items())
        where = "on events" if source is events else "on paths"
        rows.append((label, n, seconds, peak, where + ("" if conserved else ", NOT CONSERVED")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument(
        "--large", action="store_true", help="also 10M journeys out of core and on Dask"
    )
    parser.add_argument("--no-peers", action="store_true", help="skip the peer libraries")
    args = parser.parse_args()
    sizes = list(args.sizes)
    rows: list[Row] = []
    peer_rows: list[str] = []
    for n in sizes:
        run(n, rows, peer_rows, peers=not args.no_peers)
    game = _game(20)
    start = time.perf_counter()
    jk.shapley_values(game)
    shapley_seconds = time.perf_counter() - start
    start = time.perf_counter()
    world = jk.datasets.simulate(n_accounts=10_000, seed=0)
    simulate_seconds = time.perf_counter() - start
    print(
        f"journeykit {jk.__version__}, numpy {np.__version__}, "
        f"Python {platform.python_version()}, {platform.machine()}"
    )
    print("Each model step is attribute(...) plus .by('channel'), after loading.")
    print(f"| {'step':<28} | {'N journeys':>11} | {'seconds':>8} | {'peak MiB':>8} | note")
    print(f"|{'-' * 30}|{'-' * 13}|{'-' * 10}|{'-' * 10}|------")
    for step, n, seconds, peak, note in rows:
        print(f"| {step:<28} | {n:>11,} | {seconds:>8.3f} | {peak:>8.1f} | {note}")
    print(
        f"\nshapley_values, a random 20-player game (2**20 - 1 coalitions): {shapley_seconds:.3f} s"
    )
    print(
        f"datasets.simulate(n_accounts=10_000) with ground truth for {len(world.truth.channels)} "
        f"channels and {len(world.truth.assets)} assets ({len(world.records.touchpoints):,} "
        f"touches): {simulate_seconds:.2f} s"
    )
    if peer_rows:
        print(
            "\nPeers on the same path table (credit by channel; gap = largest absolute difference):"
        )
        head = ["peer call".ljust(44), "N journeys".rjust(11), "peer s".rjust(8), "ours s".rjust(8)]
        head += ["speed".rjust(8), "credit gap".rjust(12), "negative".rjust(8)]
        print("| " + " | ".join(head) + " |")
        print("\n".join(peer_rows))
    if not args.no_peers:
        print_process_table(max(sizes))
    if args.large:
        import scale  # noqa: PLC0415  # the 10M steps live in their own script

        sys.argv = ["scale.py", "--journeys", "10000000"]
        scale.main()


def print_process_table(n: int) -> None:
    """Fresh processes, whole-process peak memory: journeykit against ChannelAttribution."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            import ChannelAttribution  # noqa: F401, PLC0415  # only to know it is there
    except ImportError:
        return
    data = generate(n, seed=1)
    with tempfile.TemporaryDirectory() as folder:
        csv = Path(folder) / "paths.csv"
        to_paths_csv(data, csv)
        print(f"\nFresh processes on {n:,} journeys (call time; whole-process peak memory, MiB):")
        print("| model | ChannelAttribution s | its peak | journeykit s | our peak | speed-up |")
        for model, params in [
            ("linear", {}),
            ("markov", {"order": 1}),
            ("markov", {"order": 2}),
            ("markov", {"order": 3}),
        ]:
            ours = min(
                (measure_process("journeykit", csv, model, params) for _ in range(2)),
                key=lambda r: r[0],
            )
            peer = min(
                (measure_process("ChannelAttribution", csv, model, params) for _ in range(2)),
                key=lambda r: r[0],
            )
            label = model + "".join(f" {k}={v}" for k, v in params.items())
            cells = [label, f"{peer[0]:.3f}", f"{peer[1]:.0f}", f"{ours[0]:.3f}", f"{ours[1]:.0f}"]
            print("| " + " | ".join(cells) + f" | {peer[0] / ours[0]:.1f}x |")


def _game(n_players: int) -> dict[frozenset[str], float]:
    players = [f"p{i}" for i in range(n_players)]
    worths = np.random.default_rng(0).random(1 << n_players)
    return {
        frozenset(p for i, p in enumerate(players) if mask >> i & 1): float(worths[mask])
        for mask in range(1, 1 << n_players)
    }


if __name__ == "__main__":
    main()
