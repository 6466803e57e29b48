"""Peer libraries run on the same path table, when installed (never a journeykit dependency)."""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

PeerRun = tuple[str, float, dict[str, float]]


def channel_attribution(csv: Path) -> Iterator[tuple[str, Callable[[], PeerRun]]]:
    """ChannelAttribution's heuristic_models and markov_model (orders 1 to 3), if installed."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            import ChannelAttribution as ca  # noqa: N813, PLC0415
    except ImportError:
        return
    import pandas as pd  # noqa: PLC0415

    frame = pd.read_csv(csv)

    def heuristics() -> PeerRun:
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            table = ca.heuristic_models(frame, "path", "total_conversions", flg_pro=False)
        seconds = time.perf_counter() - start
        return (
            "ChannelAttribution heuristic_models",
            seconds,
            _credit(table, "linear_touch"),
        )

    yield "first/last/linear", heuristics
    for order in (1, 2, 3):

        def markov(order: int = order) -> PeerRun:
            start = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                table = ca.markov_model(
                    frame,
                    "path",
                    "total_conversions",
                    var_null="total_null",
                    order=order,
                    flg_pro=False,
                    verbose=False,
                )
            seconds = time.perf_counter() - start
            return (
                f"ChannelAttribution markov_model order={order}",
                seconds,
                _credit(table, "total_conversions"),
            )

        yield f"markov order={order}", markov


def _credit(table: Any, column: str) -> dict[str, float]:
    return {str(k): float(v) for k, v in zip(table["channel_name"], table[column], strict=True)}


def marketing_attribution_models(csv: Path) -> Iterator[tuple[str, Callable[[], PeerRun]]]:
    """marketing-attribution-models' linear, Markov and Shapley, if installed."""
    try:
        from mam import MAM  # noqa: PLC0415
    except ImportError:
        return
    import polars as pl  # noqa: PLC0415

    paths = pl.read_csv(csv)
    grouped = pl.concat(
        [
            paths.select(
                pl.col("path"),
                pl.lit(value=True).alias("has_conv"),
                pl.col("total_conversions").alias("occurrences"),
            ),
            paths.select(
                pl.col("path"),
                pl.lit(value=False).alias("has_conv"),
                pl.col("total_null").alias("occurrences"),
            ),
        ]
    ).filter(pl.col("occurrences") > 0)

    def run(method: str, label: str) -> Callable[[], PeerRun]:
        def call() -> PeerRun:
            start = time.perf_counter()
            model = MAM(
                grouped,
                format_type="grouped_journey",
                channels_colname="path",
                journey_with_conv_colname="has_conv",
                occurrences_colname="occurrences",
                path_separator=" > ",
            )
            table = getattr(model, method)().to_polars()
            seconds = time.perf_counter() - start
            credit = dict(
                zip(
                    table["channels"].cast(pl.String).to_list(),
                    table["attribution"].to_list(),
                    strict=True,
                )
            )
            return f"marketing-attribution-models {label}", seconds, credit

        return call

    yield "first/last/linear", run("run_linear", "run_linear")
    yield "markov order=1", run("run_markov", "run_markov")
    yield "shapley conversion_rate", run("run_shapley", "run_shapley")
