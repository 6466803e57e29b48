"""journeykit.dask: the same numbers as in memory, on threads and on a 2-worker LocalCluster."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

import journeykit as jk

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

import journeykit.dask as jkd  # noqa: E402  # after the optional imports are known to work
from test_streaming import events_frame  # noqa: E402

# One rule model, Markov and Shapley by default (each costs a Dask graph); the rest are slow.
MODELS: list[Any] = [
    ("first_touch", {}),
    pytest.param("linear", {}, marks=pytest.mark.slow),
    pytest.param("w_shaped", {}, marks=pytest.mark.slow),
    pytest.param("time_decay", {}, marks=pytest.mark.slow),
    ("markov", {}),
    pytest.param("markov", {"order": 3}, marks=pytest.mark.slow),
    pytest.param("markov", {"order": 2, "allocation": "journey"}, marks=pytest.mark.slow),
    ("shapley", {}),
    pytest.param("shapley", {"value": "conversion_rate"}, marks=pytest.mark.slow),
    pytest.param("ordered_shapley", {}, marks=pytest.mark.slow),
]


def events() -> pd.DataFrame:
    return events_frame(80, seed=9).to_pandas()


def check_equal(result: jkd.DaskAttribution, model: str, params: dict[str, Any]) -> None:
    whole = jk.attribute(jk.from_events(events(), team="team"), model, **params)
    for key in ("channel", ["team", "channel"]):
        for measure in ("conversions", "value"):
            dimension = key if isinstance(key, str) else tuple(key)
            got = result.by(dimension, measure=measure)
            expected = whole.by(dimension, measure=measure)
            assert isinstance(got, jk.Credit)  # the same result type as every other by()
            assert set(got) == set(expected)
            for label, amount in expected.items():
                assert got[label] == pytest.approx(amount, rel=1e-9, abs=1e-9), (
                    key,
                    measure,
                    label,
                )


@pytest.mark.parametrize(
    ("model", "params"),
    MODELS,
    ids=lambda x: x if isinstance(x, str) else "-".join(f"{k}={v}" for k, v in x.items()),
)
def test_dask_equals_in_memory(model: str, params: dict[str, Any]) -> None:
    frame = dd.from_pandas(events(), npartitions=4)
    result = jkd.attribute(frame, model, columns={"team": "team"}, **params)
    check_equal(result, model, params)
    assert len(result.credit.compute()) == len(events())


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_on_a_two_worker_local_cluster() -> None:
    # dashboard_address=None still binds 8787 (clashing with parallel runs); ":0" picks a free port.
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster),
    ):
        frame = dd.from_pandas(events(), npartitions=6)
        result = jkd.attribute(frame, "markov", columns={"team": "team"}, order=2)
        check_equal(result, "markov", {"order": 2})
